import { Batcher } from '../wire/batcher';
import type { ChannelCounters } from './counters';
import type { ResolvedChannelOptions } from './options';
import type { SendOptions } from './types';
import type { Clock } from '../time/clock';
import type { FrameCodec } from '../wire/codec';
import { DisconnectedErrorCode, UsageErrorCode } from '../codes';
import type { ConnectionAttempt } from './attempt';
import { DisconnectedError, QueueFullError, UsageError } from '../errors';
import type { Heartbeat } from './heartbeat';
import type { DropReason, Outbox, OutboxEntry } from './outbox';
import { type Frame, Op } from '../wire/protocol';
import type { PendingRequests } from '../reliable/requests';
import type { ChannelState } from './state';

/** What the outbound side asks of its channel: whether frames can go out now, and where a lost one is reported. */
export interface OutboundHost {
  readonly name: string;
  state(): ChannelState;
  /** Frames can go out now (open, or draining the outbox right after WELCOME, with an open socket). */
  live(): boolean;
  /** Closed or closing. */
  ended(): boolean;
  connection(): ConnectionAttempt | undefined;
  drop(topic: string, reason: DropReason): void;
}

/**
 * The sending half of a channel: PUSH and REQUEST frames go into the current batch when the connection is live and
 * into the {@link Outbox} otherwise; each batch is one WebSocket message on the current connection.
 */
export class Outbound {
  /** Coalesces the frames of one turn into one message; the channel flushes or discards it as the connection changes. */
  readonly batcher: Batcher;

  constructor(
    private readonly host: OutboundHost,
    private readonly options: ResolvedChannelOptions,
    private readonly clock: Clock,
    private readonly codec: FrameCodec,
    private readonly outbox: Outbox,
    private readonly requests: PendingRequests,
    private readonly heartbeat: Heartbeat,
    private readonly counters: ChannelCounters,
  ) {
    this.batcher = new Batcher(clock, codec.limits.maxFrameBytes, options.maxBatchBytes, options.flushMs, (data, frames, topics) =>
      this.transmit(data, frames, topics),
    );
  }

  /** `Channel.send` once the topic and the channel are known good. */
  push(topic: string, payload: unknown, options: SendOptions): boolean {
    const frame: Frame = [Op.Push, topic, payload];
    if (this.host.live() && this.heartbeat.check()) {
      this.sendFrame(frame, topic);
      return true;
    }
    if (this.host.ended()) {
      // The deadline check just found the connection dead and the channel gave up.
      this.codec.encodeShared(frame);
      this.host.drop(topic, 'closed');
      return false;
    }
    const policy = options.policy ?? this.options.outbox.policy;
    if (policy === 'drop') {
      this.codec.encodeShared(frame);
      this.host.drop(topic, 'not_open');
      return false;
    }
    return this.outbox.add({
      topic,
      bytes: this.codec.encodeShared(frame).slice(),
      key: policy === 'latest' ? topic : undefined,
      expiresAt: options.ttlMs !== undefined ? this.clock.now() + options.ttlMs : undefined,
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
    const open = this.host.live() && this.heartbeat.check();
    if (!open && this.host.ended()) {
      return Promise.reject(new DisconnectedError(DisconnectedErrorCode.Closed, `channel "${this.host.name}" closed; request "${topic}" not sent`));
    }
    if (!open && this.options.requests.whileDisconnected === 'reject') {
      return Promise.reject(new DisconnectedError(DisconnectedErrorCode.NotOpen, `channel "${this.host.name}" is ${this.host.state()}; request "${topic}" not sent`));
    }
    let queued: OutboxEntry | undefined;
    const { id, promise } = this.requests.create(topic, timeoutMs, () => {
      if (queued) this.outbox.withdraw(queued);
    });
    let bytes: Uint8Array;
    try {
      bytes = this.codec.encodeShared([Op.Request, id, topic, payload]);
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
  drainOutbox(): void {
    for (const entry of this.outbox.drain(this.clock.now())) {
      this.batcher.add(entry.bytes, entry.topic);
      entry.onSent?.();
    }
  }

  /** Batches one frame. `topic` names a frame whose loss is reported as `dropped`; control frames pass none. */
  sendFrame(frame: Frame, topic?: string): void {
    this.batcher.add(this.codec.encodeShared(frame), topic);
  }

  /** Sends one message on the current connection, or reports its topics dropped when there is no open one. */
  transmit(data: ArrayBuffer, frames: number, topics: readonly string[]): void {
    const connection = this.host.connection();
    if (!connection || !connection.open) {
      for (const topic of topics) this.host.drop(topic, 'disconnected');
      return;
    }
    this.counters.messagesSent++;
    this.counters.framesSent += frames;
    this.counters.bytesSent += data.byteLength;
    connection.send(data);
  }
}

function dropError(topic: string, reason: DropReason): Error {
  if (reason === 'overflow' || reason === 'too_large') {
    return new QueueFullError(`request "${topic}" refused: the outbox is full (${reason})`);
  }
  return new DisconnectedError(DisconnectedErrorCode.Closed, `request "${topic}" dropped from the outbox (${reason})`);
}
