/*
 * Child of the game-under-chat-load suite: a reference server whose game loop sends `game/state` for 20 players at
 * 60 Hz to every connected client. It is installGame's loop (absolute schedule, one PUSH per player per tick) with
 * fields more: `sentAt`, the send time at sub-millisecond resolution, since `serverTime` is whole milliseconds and
 * a game message crosses 127.0.0.1 in a fraction of one; `dueAt`, when the tick was due (the timer fires late when the
 * process waits for a core, or by up to a millisecond of timer granularity); `prevFlushLag`, how long the previous
 * tick's message waited in the connection's outbox (its `setImmediate`) after `sentAt`; `runDelay`, this process's
 * run-queue delay (Linux schedstat, ms) since the previous tick ended: an upper bound on how much of
 * `sentAt - dueAt` it spent waiting for a core. Prints {type:'ready', url}; exits when stdin closes.
 */
import { readFileSync } from 'fs';
import { createServer } from '../../server';
import { type Clock, systemClock } from '../../src/time/clock';
import { Timer } from '../../src/time/timer';
import { failOnError, listenToParent, preciseNow, tellParent } from '../script-process';

failOnError('game-chat game server');

/** This process's cumulative run-queue delay, ms (NaN off Linux). */
function runDelayMs(): number {
  try {
    return Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return NaN;
  }
}

const PLAYERS = 20;
const TICK_HZ = 60;

async function main(): Promise<void> {
  const server = createServer({ host: '127.0.0.1', port: 0 });
  const address = await server.listen();
  const players: Record<string, { x: number; y: number }> = {};
  for (let i = 0; i < PLAYERS; i++) players[`p${i}`] = { x: i * 10, y: 0 };
  const lastInput = new Map<string, number>();
  server.on('game/input', (payload, { connection }) => {
    const seq = (payload as { seq?: unknown } | null)?.seq;
    if (typeof seq === 'number') lastInput.set(connection.id, seq);
  });
  server.events.on('disconnect', ({ connection }) => lastInput.delete(connection.id));

  const intervalMs = 1000 / TICK_HZ;
  // The schedule on the sub-millisecond clock, so that `dueAt` and `sentAt` compare at the precision of the latency.
  const clock: Clock = { ...systemClock, now: preciseNow };
  let tick = 0;
  let nextAt = clock.now() + intervalMs;
  let lastRunDelay = runDelayMs();
  let prevFlushLag = 0;
  const timer = new Timer(clock, () => {
    const now = clock.now();
    if (now < nextAt) {
      timer.schedule(nextAt - now);
      return;
    }
    tick++;
    const dueAt = nextAt;
    const runDelay = runDelayMs() - lastRunDelay;
    for (const [id, p] of Object.entries(players)) {
      p.x = (p.x + 1) % 1000;
      p.y = (p.y + (id.length % 3)) % 1000;
    }
    let sentAt = 0;
    for (const connection of server.connections.values()) {
      sentAt = preciseNow();
      connection.push('game/state', { tick, serverTime: Math.floor(now), sentAt, dueAt, prevFlushLag, runDelay, players, lastInput: lastInput.get(connection.id) ?? 0 });
    }
    // Queued after the outbox's own setImmediate, so it runs right after the message was written to the socket.
    setImmediate(() => {
      prevFlushLag = preciseNow() - sentAt;
      lastRunDelay = runDelayMs();
    });
    nextAt += intervalMs;
    if (nextAt <= now) nextAt = now + intervalMs;
    timer.schedule(nextAt - now);
  });
  timer.schedule(intervalMs);
  tellParent({ type: 'ready', url: address.url });
  listenToParent(
    () => undefined,
    () => {
      timer.cancel();
      void server.close().then(() => process.exit(0));
    },
  );
}

void main();
