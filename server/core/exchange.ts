import type { Clock } from '../../src/time/clock';
import { type Frame, Op } from '../../src/wire/protocol';
import { PendingRequests } from '../../src/reliable/requests';
import { ServerError, ServerErrorCode } from './errors';
import { type Handlers, type RequestOutcome, shortTopic } from './handlers';
import type { Session } from '../sessions/session';
import type { MessageKind, ServerConnection } from './types';

/** Where an exchange's frames and failures go: its connection. */
export interface ExchangeLink {
  /** Queues `frame` and returns true, or returns false: the connection stopped being open (a handler may answer after). */
  answer(frame: Frame): boolean;
  /** Reports an `error` event for the connection. */
  error(error: Error): void;
}

/**
 * The application frames of one welcomed connection, both ways: the client's PUSH, RELIABLE and REQUEST to the
 * server's handlers (with the REPLY or FAIL a REQUEST earns), its ACKs to the session, and the server's own REQUESTs
 * waiting for the client's REPLY or FAIL. Made at WELCOME, when the session it speaks for is known.
 */
export class Exchange {
  private readonly pending: PendingRequests;
  private readonly outcome: RequestOutcome;
  /** Made once: a PUSH handler's failure is reported through it, and a closure per inbound frame would be garbage. */
  private readonly handlerFailed: (error: Error) => void;

  constructor(
    private readonly connection: ServerConnection,
    private readonly session: Session,
    private readonly handlers: Handlers,
    clock: Clock,
    private readonly link: ExchangeLink,
  ) {
    this.pending = new PendingRequests(
      clock,
      (topic, timeoutMs) => new ServerError(ServerErrorCode.Timeout, `request "${topic}" got no reply within ${timeoutMs} ms`),
    );
    this.handlerFailed = (error) => link.error(error);
    this.outcome = {
      reply: (requestId, value, topic) => {
        if (!link.answer([Op.Reply, requestId, value])) this.late('REPLY', requestId, topic);
      },
      fail: (requestId, code, message, topic) => {
        if (!link.answer([Op.Fail, requestId, code, message])) this.late('FAIL', requestId, topic);
      },
      error: (error) => link.error(error),
    };
  }

  /** Runs one admitted application frame (the connection's admission check lets no other opcode through). */
  handle(frame: Frame): void {
    switch (frame[0]) {
      case Op.Push:
        this.dispatch(frame[1], frame[2], 'push');
        break;
      case Op.Request:
        this.handlers.dispatchRequest(frame[1], frame[3], { connection: this.connection, session: this.session, topic: frame[2], kind: 'request' }, this.outcome);
        break;
      case Op.Reply:
        this.pending.reply(frame[1], frame[2]);
        break;
      case Op.Fail:
        this.pending.fail(frame[1], frame[2], frame[3]);
        break;
      case Op.Reliable:
        // A duplicate is dropped (and acknowledged again); admitSequenced() already refused a gap.
        if (this.session.receive(frame[1])) this.dispatch(frame[2], frame[3], 'reliable', frame[1]);
        break;
      case Op.Ack:
        this.session.acknowledge(frame[1]);
        break;
      default:
        break;
    }
  }

  /** Sends a REQUEST to the client; the caller has checked that the connection is open and the arguments. */
  request(topic: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    const { id, promise } = this.pending.create(topic, timeoutMs);
    try {
      this.link.answer([Op.Request, id, topic, payload]);
    } catch (err) {
      this.pending.discard(id);
      throw err;
    }
    return promise;
  }

  /** The connection is closing: every REQUEST still waiting rejects with `disconnected`. */
  close(): void {
    if (this.pending.size === 0) return;
    const error = new ServerError(ServerErrorCode.Disconnected, `connection ${this.connection.id} closed before the reply`);
    this.pending.rejectAll(() => error);
  }

  /**
   * A handler answered after the connection closed. The answer is not kept for a resumed session's next connection: the
   * client failed the request with `disconnected` when it lost this one, and ids mean nothing on another connection.
   */
  private late(kind: string, requestId: number, topic: string): void {
    this.link.error(
      new ServerError(
        ServerErrorCode.Disconnected,
        `the ${kind} to REQUEST ${requestId} "${shortTopic(topic)}" was dropped: connection ${this.connection.id} closed before the handler answered`,
      ),
    );
  }

  private dispatch(topic: string, payload: unknown, kind: MessageKind, seq?: number): void {
    const ctx = { connection: this.connection, session: this.session, topic, kind, seq };
    // A handler still running holds its session's departure to another process (bounded), so that its answer goes too.
    const running = this.handlers.dispatchPush(payload, ctx, this.handlerFailed);
    if (running) this.session.hold(running);
  }
}
