import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Registry } from 'prom-client';
import { UsageErrorCode } from '../../src/codes';
import { UsageError } from '../../src/errors';
import { opName } from '../../src/wire/protocol';
import type { EventSource, ServerEventMap } from '../core/events';
import type { Traffic } from '../core/traffic';
import { measureRedisCommands } from './redis';

/*
 * The server's Prometheus metrics (prom-client). Nothing here runs per frame: connection counts follow the server's
 * own events, traffic is read from its counters at scrape time, sessions are counted at scrape time, Redis commands
 * are timed from ioredis' tracing channel (./redis.ts). Names follow
 * Prometheus' conventions: `multisocket_` prefix, `_total` for counters, base units (`_seconds`, `_bytes`).
 */

/** What the metrics read from their server. */
export interface MetricsSource {
  readonly events: EventSource<ServerEventMap>;
  readonly traffic: Traffic;
  /** The sessions held, read at scrape time. */
  sessions(): Iterable<{ readonly channel: string }>;
}

/** A server's metrics: the registry they are in, and how to stop what they keep running. */
export interface ServerMetrics {
  readonly registry: Registry;
  /** The text exposition and its content type, for `/metrics`. */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** Stops the event-loop monitor, the Redis measure and the event listeners (the metrics keep their last values). */
  stop(): void;
}

/**
 * Registers the server's metrics in `registry` (default: a registry of its own).
 * @throws {UsageError} `invalid_option` when `registry` already holds multisocket metrics (another server's).
 */
export function createServerMetrics(source: MetricsSource, registry: Registry = new Registry()): ServerMetrics {
  if (registry.getSingleMetric('multisocket_connections')) {
    throw new UsageError(UsageErrorCode.InvalidOption, 'option metrics.registry is invalid: it already holds the metrics of another multisocket server (one registry per server)');
  }
  const registers = [registry];
  const { events, traffic, sessions } = source;
  const connections = new Gauge({ name: 'multisocket_connections', help: 'Connections past their handshake, by channel.', labelNames: ['channel'], registers });
  new Gauge({
    name: 'multisocket_sessions',
    help: 'Sessions held (attached, or waiting for their client to resume), by channel.',
    labelNames: ['channel'],
    registers,
    collect() {
      this.reset();
      for (const session of sessions()) this.inc({ channel: session.channel });
    },
  });
  trafficCounter(registers, 'multisocket_frames_received_total', 'Frames received from clients, by op.', traffic.framesIn);
  trafficCounter(registers, 'multisocket_frames_sent_total', 'Frames sent to clients, by op.', traffic.framesOut);
  counterOf(registers, 'multisocket_messages_received_total', 'WebSocket messages received (each carries one or more frames).', () => traffic.messagesIn);
  counterOf(registers, 'multisocket_messages_sent_total', 'WebSocket messages sent (each carries one or more frames).', () => traffic.messagesOut);
  counterOf(registers, 'multisocket_received_bytes_total', 'Bytes of the WebSocket messages received.', () => traffic.bytesIn);
  counterOf(registers, 'multisocket_sent_bytes_total', 'Bytes of the WebSocket messages sent.', () => traffic.bytesOut);
  const resumes = new Counter({ name: 'multisocket_resumes_total', help: 'Sessions resumed by a reconnecting client, by channel.', labelNames: ['channel'], registers });
  const resyncs = new Counter({
    name: 'multisocket_resyncs_total',
    help: 'Clients that asked to resume a session no longer held and got a new one (they reload what they missed), by channel.',
    labelNames: ['channel'],
    registers,
  });
  const handoffs = new Counter({ name: 'multisocket_handoffs_total', help: 'Sessions handed to another process, where their client resumed.', registers });
  const rateLimited = new Counter({ name: 'multisocket_rate_limited_closes_total', help: 'Connections closed (BYE 4002) over a rate limit, by limit.', labelNames: ['limit'], registers });
  const refused = new Counter({ name: 'multisocket_refused_upgrades_total', help: 'Upgrades refused with HTTP 429, by limit.', labelNames: ['limit'], registers });
  const slow = new Counter({ name: 'multisocket_slow_consumer_closes_total', help: 'Connections closed because their send buffer passed maxBufferedBytes.', registers });
  const protocolErrors = new Counter({ name: 'multisocket_protocol_error_closes_total', help: 'Connections closed for breaking the protocol, by error code.', labelNames: ['code'], registers });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  new Gauge({
    name: 'multisocket_event_loop_lag_seconds',
    help: 'Event-loop delay since the last scrape (quantile 0.5, 0.99 and 1, the maximum).',
    labelNames: ['quantile'],
    registers,
    collect() {
      // The histogram counts in nanoseconds, from 0 when nothing has been measured yet.
      for (const [quantile, value] of [['0.5', loop.percentile(50)], ['0.99', loop.percentile(99)], ['1', loop.max]] as const) {
        this.set({ quantile }, Number.isFinite(value) ? value / 1e9 : 0);
      }
      loop.reset();
    },
  });
  const undo = [
    measureRedisCommands(registers),
    events.on('connection', ({ connection, resumed, resync }) => {
      connections.inc({ channel: connection.channel });
      if (resumed) resumes.inc({ channel: connection.channel });
      if (resync) resyncs.inc({ channel: connection.channel });
    }),
    events.on('disconnect', ({ connection }) => connections.dec({ channel: connection.channel })),
    events.on('sessionEnd', ({ reason }) => {
      if (reason === 'moved') handoffs.inc();
    }),
    events.on('limited', ({ limit, connection }) => {
      if (limit === 'maxBufferedBytes') slow.inc();
      else if (connection) rateLimited.inc({ limit });
      else refused.inc({ limit });
    }),
    events.on('protocolError', ({ error }) => protocolErrors.inc({ code: error.code })),
  ];
  return {
    registry,
    scrape: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    stop: () => {
      loop.disable();
      for (const off of undo.splice(0)) off();
    },
  };
}

/** A counter by op whose values are read from `counts` (indexed by op) at scrape time. */
function trafficCounter(registers: Registry[], name: string, help: string, counts: readonly number[]): void {
  new Counter({
    name,
    help,
    labelNames: ['op'],
    registers,
    collect() {
      this.reset();
      counts.forEach((count, op) => {
        if (count > 0) this.inc({ op: opName(op) }, count);
      });
    },
  });
}

/** A counter without labels whose value is read at scrape time. */
function counterOf(registers: Registry[], name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
