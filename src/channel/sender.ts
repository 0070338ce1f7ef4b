import { Batcher } from '../wire/batcher';
import type { ChannelContext } from './status';
import type { ResolvedChannelOptions } from './options';
import type { SendOptions } from './types';
import { DisconnectedErrorCode, UsageErrorCode } from '../codes';
import { DisconnectedError, QueueFullError, UsageError } from '../errors';
import type { Heartbeat } from './heartbeat';
import { type DropReason, Outbox, type OutboxEntry } from './outbox';
import { type Frame, Op } from '../wire/protocol';
import type { PendingRequests } from '../reliable/requests';

/**
 * The sending side of a channel: PUSH and REQUEST frames go into the current batch when the connection is live and
 * into the {@link Outbox} otherwise; each batch is one WebSocket message on the current connection attempt.
 */
export class Sender {
  /** Coalesces the frames of one turn into one message. */
  private readonly batcher: Batcher;
  /** What waits for the next connection. */
  private readonly outbox: Outbox;
  /** Bytes of early frames the server takes right behind the next HELLO: the last WELCOME's `early`. */
  earlyBytes = 0;

  constructor(
    private readonly context: ChannelContext,
    private readonly options: ResolvedChannelOptions,
    private readonly requests: PendingRequests,
    private readonly heartbeat: Heartbeat,
  ) {
    this.outbox = new Outbox(options.outbox, (entry, reason) => context.drop(entry.topic, reason));
    this.batcher = new Batcher(options.clock, context.codec.limits.maxFrameBytes, options.maxBatchBytes, options.flushMs, (data, frames, topics) =>
      this.transmit(data, frames, topics),
    );
  }

  /** Messages waiting in the outbox, and their bytes. */
  get queued(): { count: number; bytes: number } {
    return { count: this.outbox.count, bytes: this.outbox.byteLength };
  }

  /** True while a batch waits for its flush timer. */
  get armed(): boolean {
    return this.batcher.armed;
  }

  /** `Channel.send` once the topic and the channel are known good. */
  push(topic: string, payload: unknown, options: SendOptions): boolean {
    const frame: Frame = [Op.Push, topic, payload];
    if (this.context.status.live() && this.heartbeat.check()) {
      this.sendFrame(frame, topic);
      return true;
    }
    if (this.context.status.ended) {
      // The deadline check just found the connection dead and the channel gave up.
      this.context.codec.encodeShared(frame);
      this.context.drop(topic, 'closed');
      return false;
    }
    const policy = options.policy ?? this.options.outbox.policy;
    if (policy === 'drop') {
      this.context.codec.encodeShared(frame);
      this.context.drop(topic, 'not_open');
      return false;
    }
    return this.outbox.add({
      topic,
      bytes: this.context.codec.encodeShared(frame).slice(),
      key: policy === 'latest' ? topic : undefined,
      expiresAt: options.ttlMs !== undefined ? this.options.clock.now() + options.ttlMs : undefined,
      onDrop: undefined,
      onSent: undefined,
    });
  }

  /** `Channel.request` once the topic and the channel are known good. */
  request<R>(topic: string, payload: unknown, options: { timeoutMs?: number }): Promise<R> {
    const timeoutMs = options.timeoutMs ?? this.options.requests.timeoutMs;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
      return Promise.reject(new UsageError(UsageErrorCode.InvalidArgument, `timeoutMs must be a number > 0 (Infinity for none), got ${String(timeoutMs)}`));
    }
    // As for a send: the deadline is checked here too, so a request never goes onto a connection already overdue.
    const open = this.context.status.live() && this.heartbeat.check();
    if (!open && this.context.status.ended) {
      return Promise.reject(new DisconnectedError(DisconnectedErrorCode.Closed, `channel "${this.context.name}" closed; request "${topic}" not sent`));
    }
    if (!open && this.options.requests.whileDisconnected === 'reject') {
      return Promise.reject(new DisconnectedError(DisconnectedErrorCode.NotOpen, `channel "${this.context.name}" is ${this.context.status.state}; request "${topic}" not sent`));
    }
    let queued: OutboxEntry | undefined;
    const { id, promise } = this.requests.create(topic, timeoutMs, () => {
      if (queued) this.outbox.withdraw(queued);
    });
    let bytes: Uint8Array;
    try {
      bytes = this.context.codec.encodeShared([Op.Request, id, topic, payload]);
    } catch (error) {
      this.requests.reject(id, error as Error);
      return promise as Promise<R>;
    }
    if (open) {
      this.requests.sent(id);
      this.batcher.add(bytes, topic);
    } else {
      const entry: OutboxEntry = {
        topic,
        bytes: bytes.slice(),
        key: undefined,
        expiresAt: undefined,
        onDrop: (reason) => this.requests.reject(id, dropError(topic, reason)),
        onSent: undefined,
      };
      entry.onSent = () => {
        queued = undefined;
        this.requests.sent(id);
      };
      queued = entry;
      this.outbox.add(entry);
    }
    return promise as Promise<R>;
  }

  /** Sends what waited in the outbox (the expired entries are dropped), in order, into the current batch. */
  drainOutbox(maxBytes = Infinity): number {
    const entries = this.outbox.drain(this.options.clock.now(), maxBytes);
    for (const entry of entries) {
      this.batcher.add(entry.bytes, entry.topic);
      entry.onSent?.();
    }
    return entries.length;
  }

  /**
   * Right behind HELLO, sends the PUSH and REQUEST frames waiting in the outbox (RELIABLE frames never wait there),
   * in order, up to the bytes the last WELCOME announced (`early`), as one message of their own (PROTOCOL.md section
   * 3, "Early frames"). Sending any uses the announcement up: a server that refuses this HELLO (or no longer takes
   * early frames, after a rollback) is sent none on the next attempt, until a WELCOME announces them again.
   */
  sendEarly(): void {
    if (this.earlyBytes > 0 && this.drainOutbox(this.earlyBytes) > 0) {
      this.earlyBytes = 0;
      this.batcher.flush();
    }
  }

  /** The session's RELIABLE and ACK frames, already encoded: batched when live; false when there is no live connection. */
  sendEncoded(frame: Uint8Array): boolean {
    if (!this.context.status.live()) return false;
    this.batcher.add(frame, undefined);
    return true;
  }

  /**
   * Sends a PING at once, never held for a tick: time spent in the batch would count as network delay on one leg only,
   * skewing both rtt and the clock offset by half of it.
   */
  ping(clientTime: number): void {
    this.sendFrame([Op.Ping, clientTime]);
    this.batcher.flush();
  }

  /** Sends the current batch now (before a close, say). */
  flush(): void {
    this.batcher.flush();
  }

  /** Throws the current batch away: the connection it was meant for is gone. Returns the topics it held. */
  discard(): string[] {
    return this.batcher.discard();
  }

  /** Empties the outbox for good: the channel closed. */
  clearOutbox(): void {
    this.outbox.clear('closed');
  }

  /** Batches one frame. `topic` names a frame whose loss is reported as `dropped`; control frames pass none. */
  sendFrame(frame: Frame, topic?: string): void {
    this.batcher.add(this.context.codec.encodeShared(frame), topic);
  }

  /** Sends one message on the current connection attempt, or reports its topics dropped when there is no open one. */
  transmit(data: ArrayBuffer, frames: number, topics: readonly string[]): void {
    const connection = this.context.status.connection;
    if (!connection || !connection.open) {
      for (const topic of topics) this.context.drop(topic, 'disconnected');
      return;
    }
    this.context.counters.messagesSent++;
    this.context.counters.framesSent += frames;
    this.context.counters.bytesSent += data.byteLength;
    connection.send(data);
  }
}

function dropError(topic: string, reason: DropReason): Error {
  if (reason === 'overflow' || reason === 'too_large') {
    return new QueueFullError(`request "${topic}" refused: the outbox is full (${reason})`);
  }
  return new DisconnectedError(DisconnectedErrorCode.Closed, `request "${topic}" dropped from the outbox (${reason})`);
}
