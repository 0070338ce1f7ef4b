import { FrameCodec } from '../../src/wire/codec';
import { UsageErrorCode } from '../../src/codes';
import { QueueFullError, UsageError } from '../../src/errors';
import { Op } from '../../src/wire/protocol';
import { validateTopic } from '../../src/routing/topics';
import { Connection } from './connection';
import { ServerError, ServerErrorCode } from './errors';
import type { ResolvedServerOptions } from './options';
import { FanOutFrame } from '../sessions/fan-out-frame';
import { Session } from '../sessions/session';
import type { Sessions } from '../sessions/sessions';
import type { ServerRequestOptions, SendReliableOptions, ServerConnection, ServerSession } from './types';

/**
 * What a server sends on its own initiative: to one connection or session, found from whatever the caller holds (an
 * id, the object, a connection standing for its session), or fanned out to many with the frame encoded once. The
 * server's public methods of the same names document each one; this holds how.
 */
export class Delivery {
  private readonly broadcastCodec: FrameCodec;

  /** @param open the server's welcomed connections by id, kept current by the server. */
  constructor(
    private readonly open: ReadonlyMap<string, Connection>,
    private readonly registry: Sessions,
    private readonly options: Pick<ResolvedServerOptions, 'limits' | 'reliable'>,
  ) {
    this.broadcastCodec = new FrameCodec(options.limits);
  }

  push(connectionOrId: ServerConnection | string, topic: string, payload: unknown): boolean {
    validateTopic(topic);
    const connection = this.find(connectionOrId);
    return connection ? connection.push(topic, payload) : false;
  }

  broadcast(topic: string, payload: unknown, filter?: (connection: ServerConnection) => boolean): number {
    validateTopic(topic);
    if (this.open.size === 0) return 0;
    const frame = this.broadcastCodec.encodeShared([Op.Push, topic, payload]);
    let sent = 0;
    // Every socket writer copies the frame as it is added, so the codec's shared buffer holds for the whole loop.
    for (const connection of this.open.values()) {
      if (filter && !filter(connection)) continue;
      if (connection.pushEncoded(frame)) sent++;
    }
    return sent;
  }

  request(connectionOrId: ServerConnection | string, topic: string, payload: unknown, options: ServerRequestOptions): Promise<unknown> {
    const connection = this.find(connectionOrId);
    if (!connection) {
      validateTopic(topic);
      const id = typeof connectionOrId === 'string' ? connectionOrId : connectionOrId.id;
      return Promise.reject(new ServerError(ServerErrorCode.NotOpen, `no open connection ${id}`));
    }
    return connection.request(topic, payload, options);
  }

  sendReliable(target: ServerSession | ServerConnection | string, topic: string, payload: unknown, options?: SendReliableOptions): boolean {
    validateTopic(topic);
    const session = this.sessionOf(target);
    return session ? session.sendReliable(topic, payload, options) : false;
  }

  broadcastReliable(targets: Iterable<ServerSession | ServerConnection | string>, topic: string, payload: unknown): number {
    validateTopic(topic);
    const sessions: Session[] = [];
    for (const target of targets) {
      const session = this.sessionOf(target);
      if (session) sessions.push(session);
    }
    if (sessions.length === 0) return 0;
    const frame = new FanOutFrame(this.registry.codec, topic, payload, this.options.reliable.maxUnackedBytes);
    const overflowed: Session[] = [];
    let sent = 0;
    for (const session of sessions) {
      try {
        if (session.enqueue(frame)) sent++;
      } catch (err) {
        if (!(err instanceof QueueFullError)) throw err;
        overflowed.push(session);
      }
    }
    // Ended after the loop, so that no `sessionEnd` listener (which may leave rooms) runs in the middle of the fan-out.
    for (const session of overflowed) this.registry.end(session, 'overflow');
    return sent;
  }

  private sessionOf(target: ServerSession | ServerConnection | string): Session | undefined {
    if (typeof target === 'string') return this.registry.get(target);
    // Identity, not just the id: a session of another server instance is not ours.
    if (target instanceof Session) return this.registry.get(target.id) === target ? target : undefined;
    // A connection stands for its session wherever that is attached now (a resume moves it to a new connection).
    if (target instanceof Connection) return this.registry.get(target.session);
    throw new UsageError(UsageErrorCode.InvalidArgument, `expected a session, a connection or a session id, got ${typeof target}`);
  }

  private find(connectionOrId: ServerConnection | string): Connection | undefined {
    if (typeof connectionOrId === 'string') return this.open.get(connectionOrId);
    if (typeof connectionOrId !== 'object' || connectionOrId === null) {
      throw new UsageError(UsageErrorCode.InvalidArgument, `expected a connection or its id, got ${typeof connectionOrId}`);
    }
    const connection = this.open.get(connectionOrId.id);
    // Identity, not just the id: a connection of another server instance may share it.
    return connection === connectionOrId ? connection : undefined;
  }
}
