/*
 * Child of the memory suite: the reference server with the chat and game modules, plus REQUEST `bench/states`
 * {count} that pushes `count` game states (20 players) to the asking connection before it replies, so a client can
 * pull game traffic as fast as it handles it. Rate limits are off: the client sends thousands of messages a second on
 * purpose. Prints {type:'ready', url}; exits when stdin closes.
 */
import { createServer, installChat, installGame } from '../../server';
import { failOnError, listenToParent, tellParent } from '../script-process';

failOnError('memory server');

const PLAYERS = 20;

async function main(): Promise<void> {
  const server = createServer({ host: '127.0.0.1', port: 0, rateLimit: false });
  installChat(server);
  installGame(server);
  const address = await server.listen();
  const players: Record<string, { x: number; y: number }> = {};
  for (let i = 0; i < PLAYERS; i++) players[`p${i}`] = { x: i, y: 0 };
  let tick = 0;
  server.handle('bench/states', (payload, { connection }) => {
    const count = (payload as { count: number }).count;
    for (let i = 0; i < count; i++) {
      tick++;
      for (const p of Object.values(players)) p.x = (p.x + 1) % 1000;
      connection.push('game/state', { tick, serverTime: Math.floor(server.clock.now()), players, lastInput: 0 });
    }
    return { count };
  });
  tellParent({ type: 'ready', url: address.url });
  listenToParent(
    () => undefined,
    () => void server.close().then(() => process.exit(0)),
  );
}

void main();
