/*
 * Child of the game-under-chat-load suite: a reference server whose game loop sends `game/state` for 20 players at
 * 60 Hz to every connected client. It is installGame's loop (absolute schedule, one PUSH per player per tick) with
 * one field more, `sentAt`: the send time at sub-millisecond resolution, since `serverTime` is whole milliseconds and
 * a game message crosses 127.0.0.1 in a fraction of one. Prints {type:'ready', url}; exits when stdin closes.
 */
import { createServer } from '../../server';
import { Timer, systemClock } from '../../src/clock';
import { failOnError, listenToParent, preciseNow, tellParent } from '../script-process';

failOnError('game-chat game server');

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
  let tick = 0;
  let nextAt = systemClock.now() + intervalMs;
  const timer = new Timer(systemClock, () => {
    const now = systemClock.now();
    if (now < nextAt) {
      timer.schedule(nextAt - now);
      return;
    }
    tick++;
    for (const [id, p] of Object.entries(players)) {
      p.x = (p.x + 1) % 1000;
      p.y = (p.y + (id.length % 3)) % 1000;
    }
    for (const connection of server.connections.values()) {
      const sentAt = preciseNow();
      connection.push('game/state', { tick, serverTime: Math.floor(now), sentAt, players, lastInput: lastInput.get(connection.id) ?? 0 });
    }
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
