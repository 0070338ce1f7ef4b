import { tracingChannel } from 'node:diagnostics_channel';
import { Counter, Histogram, type Registry } from 'prom-client';

/*
 * Redis command latency and errors, from the `ioredis:command` tracing channel that ioredis publishes on
 * node:diagnostics_channel: every ioredis client of the process is measured (the stores, the session store, the game
 * broker, any other), with no wrapper around any of them. Subscribing turns ioredis' tracing on; unsubscribing
 * turns it off again when nothing else listens.
 */

/** What ioredis hands each event of a traced command (the same object from start to end). */
interface CommandContext {
  readonly command?: string;
}

/** Latency buckets, s: from a local Redis's tenth of a millisecond to a second. */
const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Registers the Redis metrics in `registers` and starts measuring; returns the function that stops. */
export function measureRedisCommands(registers: Registry[]): () => void {
  const duration = new Histogram({
    name: 'multisocket_redis_command_duration_seconds',
    help: 'Time from sending a Redis command to its answer (ioredis, every client of the process), by command.',
    labelNames: ['command'],
    buckets: BUCKETS,
    registers,
  });
  const errors = new Counter({
    name: 'multisocket_redis_command_errors_total',
    help: 'Redis commands that failed (an error reply, or the connection lost), by command.',
    labelNames: ['command'],
    registers,
  });
  const started = new WeakMap<object, number>();
  const channel = tracingChannel<string, CommandContext & object>('ioredis:command');
  const handlers = {
    start: (context: CommandContext & object) => void started.set(context, performance.now()),
    end: () => undefined,
    asyncStart: () => undefined,
    asyncEnd: (context: CommandContext & object) => {
      const at = started.get(context);
      if (at !== undefined) duration.observe({ command: commandOf(context) }, (performance.now() - at) / 1000);
    },
    error: (context: CommandContext & object) => errors.inc({ command: commandOf(context) }),
  };
  channel.subscribe(handlers);
  return () => channel.unsubscribe(handlers);
}

function commandOf(context: CommandContext): string {
  return typeof context.command === 'string' ? context.command.toLowerCase() : 'unknown';
}
