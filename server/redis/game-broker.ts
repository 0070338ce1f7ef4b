import { UsageErrorCode } from '../../src/codes';
import { asError, UsageError } from '../../src/errors';
import { Emitter } from '../../src/emitter';
import { DEFAULT_CODEC_LIMITS } from '../../src/wire/limits';
import { MsgpackDecoder } from '../../src/wire/msgpack/decoder';
import { MsgpackEncoder } from '../../src/wire/msgpack/encoder';
import { ServerError, ServerErrorCode } from '../core/errors';
import type { GameBroker, GameBrokerEvents, PlayerPosition, WorldUpdate } from '../game/broker';
import type { RedisTarget } from './client';
import { Availability, checkedOptions, opened, RedisLink, type RedisLinkOptions } from './link';

/*
 * The game world's updates on Redis pub/sub (SCALING.md, "The game across processes"): one channel per service,
 *
 *   channel ms:<prefix>:game:world   msgpack [owner, tick, [id1, x1, y1, id2, x2, y2, ...]]
 *
 * one PUBLISH per process per tick. Nothing is stored: an update missed (Redis away, a subscription being
 * re-established) is simply superseded by the next one.
 */

/** Options of {@link createRedisGameBroker}; every field but `url` (or `client`) is optional. */
export interface RedisGameBrokerOptions extends RedisLinkOptions {
  /** Namespace of the channel: processes with the same one share one world. Default `default`. */
  prefix: string;
}

/**
 * Opens a game broker on Redis: one connection to publish and one subscribed to the world channel, both failing fast
 * (no offline queue: an update Redis cannot take now is dropped) and reconnecting by themselves. Resolves once both
 * are ready and subscribed; pass it as `installGame(server, { broker })`.
 * @throws {UsageError} `invalid_option` naming a bad option.
 * @throws {ServerError} (as a rejection) `store_unavailable` when Redis cannot be reached within `connectTimeoutMs`.
 */
export async function createRedisGameBroker(options: Readonly<Partial<RedisGameBrokerOptions>> & RedisTarget): Promise<GameBroker> {
  return opened<GameBroker>(new RedisGameBroker(options), options.connectTimeoutMs);
}

class RedisGameBroker implements GameBroker {
  private readonly channel: string;
  private readonly link: RedisLink;
  private readonly availability: Availability;
  private readonly listeners = new Set<(update: WorldUpdate) => void>();
  private readonly events = new Emitter<GameBrokerEvents>();
  private readonly encoder = new MsgpackEncoder({ maxDepth: 4 });
  private readonly decoder = new MsgpackDecoder({ ...DEFAULT_CODEC_LIMITS, maxDepth: 4 });
  private closed = false;

  constructor(options: Readonly<Partial<RedisGameBrokerOptions>> & RedisTarget) {
    const { target, prefix } = checkedOptions(options, invalid);
    this.channel = `ms:${prefix}:game:world`;
    // Fail fast rather than queue: a position sent late is worse than none, the next tick has a newer one.
    this.link = new RedisLink(target);
    this.link.listen(this.link.subscriber, 'messageBuffer', (channel: Buffer, message: Buffer) => {
      if (channel.toString() === this.channel) this.deliver(message);
    });
    this.availability = new Availability(this.link, this.events);
    // Publishing is fire and forget: no failed command tells of a dropped connection, so its close does.
    for (const redis of this.link.connections) this.link.listen(redis, 'close', () => this.availability.lost(new Error('connection to redis closed')));
  }

  /** Resolves once both connections are ready and the world channel subscribed. */
  ready(timeoutMs: number): Promise<void> {
    const late = () => new ServerError(ServerErrorCode.StoreUnavailable, `redis is not ready after ${timeoutMs} ms`);
    return this.link.whenReady(timeoutMs, late, () => this.link.subscriber.subscribe(this.channel));
  }

  publish(update: WorldUpdate): void {
    if (this.closed) return;
    const publisher = this.link.commands;
    if (publisher.status !== 'ready') {
      this.availability.lost(new Error(`redis connection is ${publisher.status}`));
      return;
    }
    const flat: (string | number)[] = [];
    for (const id in update.players) {
      const p = update.players[id] as PlayerPosition;
      flat.push(id, p.x, p.y);
    }
    const bytes = Buffer.from(this.encoder.encodeSharedRef([update.owner, update.tick, flat]));
    publisher.publish(this.channel, bytes).catch((err: unknown) => this.availability.lost(asError(err)));
  }

  subscribe(listener: (update: WorldUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  on<K extends keyof GameBrokerEvents & string>(event: K, listener: (context: GameBrokerEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  close(): Promise<void> {
    return this.link.close(() => {
      this.closed = true;
      this.availability.stop();
      this.listeners.clear();
    });
  }

  private deliver(message: Buffer): void {
    let update: WorldUpdate;
    try {
      update = decodeUpdate(this.decoder.decodeAll(message)[0]);
    } catch (err) {
      this.events.emit('error', { error: asError(err) });
      return;
    }
    for (const listener of this.listeners) listener(update);
  }

}

/**
 * `[owner, tick, [id, x, y, ...]]` back into an update.
 * @throws {TypeError} for anything else.
 */
function decodeUpdate(value: unknown): WorldUpdate {
  if (!Array.isArray(value) || value.length !== 3) throw new TypeError('game world update: not [owner, tick, players]');
  const [owner, tick, flat] = value as [unknown, unknown, unknown];
  if (typeof owner !== 'string' || typeof tick !== 'number' || !Array.isArray(flat) || flat.length % 3 !== 0) {
    throw new TypeError('game world update: bad owner, tick or players');
  }
  const players: Record<string, PlayerPosition> = {};
  for (let i = 0; i < flat.length; i += 3) {
    const [id, x, y] = [flat[i], flat[i + 1], flat[i + 2]] as unknown[];
    // `__proto__` would set the object's prototype rather than add a player; no public id looks like it.
    if (typeof id !== 'string' || id === '__proto__' || typeof x !== 'number' || typeof y !== 'number') throw new TypeError(`game world update: bad player at ${i / 3}`);
    players[id] = { x, y };
  }
  return { owner, tick, players };
}

function invalid(name: string, shown: string): never {
  throw new UsageError(UsageErrorCode.InvalidOption, `redis game broker option ${name} is invalid: ${shown}`);
}
