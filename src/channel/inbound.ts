import type { ChannelCounters } from './counters';
import type { Outbound } from './outbound';
import type { ChannelEvents } from './types';
import type { Clock } from '../time/clock';
import type { FrameCodec, WireData } from '../wire/codec';
import { ProtocolErrorCode } from '../codes';
import type { Emitter } from '../emitter';
import { describeError, MultisocketError, ProtocolError } from '../errors';
import type { Heartbeat } from './heartbeat';
import { Inbox } from './inbox';
import { type Frame, Op, opName, type Welcome } from '../wire/protocol';
import type { ReceiveVerdict } from '../reliable/reliable';
import type { PendingRequests } from '../reliable/requests';
import { isThenable, type MessageMeta, type Router } from '../routing/router';
import type { ClientSession } from '../reliable/client-session';
import { ChannelState } from './state';

/** What the inbound side asks of its channel: its state, and the decisions that belong to the connection's lifecycle. */
export interface InboundHost {
  readonly name: string;
  /** Where `error` and `pong` events go. */
  readonly events: Pick<Emitter<ChannelEvents>, 'emit'>;
  state(): ChannelState;
  /** The current connection, so that a reply computed for an older one never goes out on a newer one. */
  connection(): { readonly current: boolean } | undefined;
  welcome(welcome: Welcome): void;
  bye(code: number, reason: string): void;
  /** Drops the connection for a protocol violation; the channel reconnects. */
  lost(error: MultisocketError): void;
}

/**
 * The receiving half of a channel: queues each WebSocket message in the {@link Inbox}, which decodes it and handles its
 * frames one by one (the handshake's WELCOME or BYE, then PONG, PUSH, REQUEST, REPLY, FAIL, RELIABLE, ACK and BYE).
 */
export class Inbound {
  /** The frames received and not yet handled; the channel clears it when it drops a connection. */
  readonly inbox: Inbox;
  private lastRtt: number | undefined;
  private lastOffset: number | undefined;

  constructor(
    private readonly host: InboundHost,
    private readonly outbound: Outbound,
    private readonly clock: Clock,
    private readonly codec: FrameCodec,
    receiveTurnMs: number,
    private readonly router: Router,
    private readonly requests: PendingRequests,
    private readonly session: ClientSession,
    private readonly heartbeat: Heartbeat,
    private readonly counters: ChannelCounters,
  ) {
    this.inbox = new Inbox(
      clock,
      receiveTurnMs,
      (frame) => this.handle(frame),
      (data) => this.decode(data),
    );
  }

  /** The last measured round-trip time, ms (undefined before the first PONG). */
  get rtt(): number | undefined {
    return this.lastRtt;
  }

  /** The server's clock minus this one, as estimated from the last PONG. */
  get offset(): number | undefined {
    return this.lastOffset;
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
      frames = this.codec.decode(data);
    } catch (error) {
      this.counters.protocolErrors++;
      const err = error instanceof MultisocketError ? error : new ProtocolError(ProtocolErrorCode.Malformed, String(error));
      // Messages stand alone, so one bad message does not spoil the stream, except during the handshake.
      if (this.host.state() === ChannelState.Handshaking) this.host.lost(err);
      else this.host.events.emit('error', err);
      return undefined;
    }
    this.counters.messagesReceived++;
    this.counters.framesReceived += frames.length;
    this.counters.bytesReceived += typeof data === 'string' ? data.length : data.byteLength;
    return frames;
  }

  private handle(frame: Frame): void {
    if (this.host.state() === ChannelState.Handshaking) {
      if (frame[0] === Op.Welcome) this.host.welcome(frame[1]);
      else if (frame[0] === Op.Bye) this.host.bye(frame[1], frame[2]);
      else this.unexpected(frame, true);
      return;
    }
    switch (frame[0]) {
      case Op.Pong: {
        const now = this.clock.now();
        this.lastRtt = Math.max(0, now - frame[1]);
        this.lastOffset = frame[2] - (frame[1] + this.lastRtt / 2);
        this.host.events.emit('pong', { rtt: this.lastRtt, offset: this.lastOffset });
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
          this.counters.protocolErrors++;
          // A gap: the stream cannot be trusted. Reconnecting resumes from `recv`, which repairs it.
          this.host.lost(error as ProtocolError);
          return;
        }
        if (verdict === 'deliver') this.router.dispatch(frame[2], frame[3], { topic: frame[2], kind: 'reliable', channel: this.host.name, seq: frame[1] });
        return;
      }
      case Op.Ack:
        this.session.acknowledged(frame[1]);
        return;
      case Op.Bye:
        this.host.bye(frame[1], frame[2]);
        return;
      default:
        this.unexpected(frame, false);
    }
  }

  private meta(topic: string, kind: MessageMeta['kind']): MessageMeta {
    return { topic, kind, channel: this.host.name };
  }

  private unexpected(frame: Frame, fatal: boolean): void {
    this.counters.protocolErrors++;
    const error = new ProtocolError(ProtocolErrorCode.UnexpectedFrame, `${opName(frame[0])} is not expected in state ${this.host.state()}`);
    if (fatal) this.host.lost(error);
    else this.host.events.emit('error', error);
  }

  /** Runs the first subscriber for a REQUEST and sends its REPLY or FAIL, unless the connection changed meanwhile. */
  private answer(id: number, topic: string, payload: unknown): void {
    const connection = this.host.connection();
    const stale = () => !connection || !connection.current;
    const reply = (value: unknown) => {
      if (stale()) return;
      try {
        this.outbound.sendFrame([Op.Reply, id, value]);
      } catch (error) {
        this.host.events.emit('error', error as MultisocketError);
        this.outbound.sendFrame([Op.Fail, id, 'internal', 'the reply could not be encoded']);
      }
    };
    const fail = (error: unknown) => {
      if (stale()) return;
      const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'internal';
      const message = describeError(error);
      this.outbound.sendFrame([Op.Fail, id, code, message]);
    };
    const outcome = this.router.dispatchRequest(topic, payload, this.meta(topic, 'request'));
    if (!outcome.handled) this.outbound.sendFrame([Op.Fail, id, 'not_found', `no handler for "${topic}"`]);
    else if ('error' in outcome) fail(outcome.error);
    else if (isThenable(outcome.result)) outcome.result.then(reply, fail);
    else reply(outcome.result);
  }
}
