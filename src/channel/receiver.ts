import type { ChannelContext } from './status';
import type { Sender } from './sender';
import type { WireData } from '../wire/codec';
import { ProtocolErrorCode } from '../codes';
import { describeError, MultisocketError, ProtocolError } from '../errors';
import type { Heartbeat } from './heartbeat';
import { Inbox } from './inbox';
import { type Frame, Op, opName, type Welcome } from '../wire/protocol';
import type { ReceiveVerdict } from '../reliable/reliable';
import type { PendingRequests } from '../reliable/requests';
import { isThenable, type MessageMeta, type Router } from '../routing/router';
import type { ClientSession } from '../reliable/client-session';
import { ChannelState } from './state';

/** What the receiver reports to the channel's lifecycle: the frames and failures that end a handshake or a connection. */
export interface ReceivedEvents {
  welcome(welcome: Welcome): void;
  /** `retryMs`: the server's retry hint, if it gave one. */
  bye(code: number, reason: string, retryMs: number | undefined): void;
  /** Drops the connection for a protocol violation; the channel reconnects. */
  lost(error: MultisocketError): void;
}

/** The last PONG's measurements, which the channel reports as `rtt` and `serverNow()`. */
export class RoundTrip {
  /** The last measured round-trip time, ms (undefined before the first PONG). */
  rtt: number | undefined;
  /** The server's clock minus this one, as estimated from the last PONG. */
  offset: number | undefined;
}

/**
 * The receiving side of a channel: queues each WebSocket message in the {@link Inbox}, which decodes it and hands its
 * frames here one by one: the handshake's WELCOME or BYE, then PONG, PUSH, REQUEST, REPLY, FAIL, RELIABLE, ACK and BYE.
 */
export class Receiver {
  /** The frames received and not yet handled. */
  private readonly inbox: Inbox;

  constructor(
    private readonly context: ChannelContext,
    receiveTurnMs: number,
    private readonly router: Router,
    private readonly requests: PendingRequests,
    private readonly session: ClientSession,
    private readonly heartbeat: Heartbeat,
    private readonly sender: Sender,
    private readonly roundTrip: RoundTrip,
    private readonly lifecycle: ReceivedEvents,
  ) {
    this.inbox = new Inbox(
      context.clock,
      receiveTurnMs,
      (frame) => this.handle(frame),
      (data) => this.decode(data),
    );
  }

  /** True while frames wait for a later turn. */
  get armed(): boolean {
    return this.inbox.armed;
  }

  /** Handles every waiting frame now: the socket failed or closed, and what it delivered before comes first. */
  flush(): void {
    this.inbox.flush();
  }

  /** Drops every waiting frame: the connection they came on is gone. */
  clear(): void {
    this.inbox.clear();
  }

  /**
   * Takes one message from the current socket. It is decoded at once unless frames wait for a later turn; then it
   * waits, undecoded, behind them (the inbox decodes it within a turn's budget).
   */
  receive(data: WireData): void {
    // Bytes arrived: the connection is alive, whether or not this message can be decoded yet.
    this.heartbeat.received();
    // A frame that drops the connection (BYE, a gap) clears the inbox: nothing after it is handled.
    this.inbox.addMessage(data);
  }

  /** Decodes one message for the inbox; a message that cannot be decoded is reported and skipped. */
  private decode(data: WireData): Frame[] | undefined {
    let frames: Frame[];
    try {
      frames = this.context.codec.decode(data);
    } catch (error) {
      this.context.counters.protocolErrors++;
      const err = error instanceof MultisocketError ? error : new ProtocolError(ProtocolErrorCode.Malformed, String(error));
      // Messages stand alone, so one bad message does not spoil the stream, except during the handshake.
      if (this.context.status.state === ChannelState.Handshaking) this.lifecycle.lost(err);
      else this.context.events.emit('error', err);
      return undefined;
    }
    this.context.counters.messagesReceived++;
    this.context.counters.framesReceived += frames.length;
    this.context.counters.bytesReceived += typeof data === 'string' ? data.length : data.byteLength;
    return frames;
  }

  private handle(frame: Frame): void {
    if (this.context.status.state === ChannelState.Handshaking) {
      if (frame[0] === Op.Welcome) this.lifecycle.welcome(frame[1]);
      else if (frame[0] === Op.Bye) this.lifecycle.bye(frame[1], frame[2], frame[3]);
      else this.unexpected(frame, true);
      return;
    }
    switch (frame[0]) {
      case Op.Pong: {
        const rtt = Math.max(0, this.context.clock.now() - frame[1]);
        const offset = frame[2] - (frame[1] + rtt / 2);
        this.roundTrip.rtt = rtt;
        this.roundTrip.offset = offset;
        this.context.events.emit('pong', { rtt, offset });
        return;
      }
      case Op.Push:
        this.router.dispatch(frame[1], frame[2], this.meta(frame[1], 'push'));
        return;
      case Op.Request:
        this.answer(frame[1], frame[2], frame[3]);
        return;
      case Op.Reply:
        this.requests.reply(frame[1], frame[2]);
        return;
      case Op.Fail:
        this.requests.fail(frame[1], frame[2], frame[3]);
        return;
      case Op.Reliable: {
        let verdict: ReceiveVerdict;
        try {
          verdict = this.session.receive(frame[1]);
        } catch (error) {
          this.context.counters.protocolErrors++;
          // A gap: the stream cannot be trusted. Reconnecting resumes from `recv`, which repairs it.
          this.lifecycle.lost(error as ProtocolError);
          return;
        }
        if (verdict === 'deliver') this.router.dispatch(frame[2], frame[3], { topic: frame[2], kind: 'reliable', channel: this.context.name, seq: frame[1] });
        return;
      }
      case Op.Ack:
        this.session.acknowledged(frame[1]);
        return;
      case Op.Bye:
        this.lifecycle.bye(frame[1], frame[2], frame[3]);
        return;
      default:
        this.unexpected(frame, false);
    }
  }

  private meta(topic: string, kind: MessageMeta['kind']): MessageMeta {
    return { topic, kind, channel: this.context.name };
  }

  private unexpected(frame: Frame, fatal: boolean): void {
    this.context.counters.protocolErrors++;
    const error = new ProtocolError(ProtocolErrorCode.UnexpectedFrame, `${opName(frame[0])} is not expected in state ${this.context.status.state}`);
    if (fatal) this.lifecycle.lost(error);
    else this.context.events.emit('error', error);
  }

  /**
   * Runs the first subscriber for a REQUEST and sends its REPLY or FAIL on the connection the REQUEST came on. An
   * answer that comes after that connection was lost is dropped and reported (`dropped`, reason `disconnected`): the
   * server failed the request with `disconnected` when the connection closed, and its id means nothing on another
   * connection (PROTOCOL.md, "Push and request").
   */
  private answer(id: number, topic: string, payload: unknown): void {
    const connection = this.context.status.connection;
    const stale = (): boolean => {
      if (connection && connection.current) return false;
      this.context.drop(topic, this.context.status.ended ? 'closed' : 'disconnected');
      return true;
    };
    const reply = (value: unknown) => {
      if (stale()) return;
      try {
        this.sender.sendFrame([Op.Reply, id, value], topic);
      } catch (error) {
        this.context.events.emit('error', error as MultisocketError);
        this.sender.sendFrame([Op.Fail, id, 'internal', 'the reply could not be encoded'], topic);
      }
    };
    const fail = (error: unknown) => {
      if (stale()) return;
      const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'internal';
      const message = describeError(error);
      this.sender.sendFrame([Op.Fail, id, code, message], topic);
    };
    const outcome = this.router.dispatchRequest(topic, payload, this.meta(topic, 'request'));
    if (!outcome.handled) this.sender.sendFrame([Op.Fail, id, 'not_found', `no handler for "${topic}"`], topic);
    else if ('error' in outcome) fail(outcome.error);
    else if (isThenable(outcome.result)) outcome.result.then(reply, fail);
    else reply(outcome.result);
  }
}
