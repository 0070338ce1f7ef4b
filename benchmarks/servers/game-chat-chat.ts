/*
 * Child of the game-under-chat-load suite: a reference server that speaks the chat module's wire contract for rooms
 * (REQUEST `chat/join` {room} -> {room, lastId}; RELIABLE `room/<room>/message` {id, ts, from, body, mid}, what the
 * client's chat preset consumes) and makes a burst on request: REQUEST `bench/burst` {room, count, bytes} sends
 * `count` messages of `bytes` to every member of the room through `broadcastReliable`, as installChat does for each
 * message said. Not installChat itself: there a burst needs a bot that says every message and hears it back, ten times
 * the CPU of the burst the client receives, and on a small machine that CPU would be taken from the game server and
 * the client, whose isolation is what the suite measures. The burst's answer carries `handlerMs`, the time the burst
 * took to encode and write. Prints {type:'ready', url}; exits when stdin closes.
 */
import { performance } from 'perf_hooks';
import { createServer, type ServerSession } from '../../server';
import { failOnError, listenToParent, tellParent } from '../script-process';

failOnError('game-chat chat server');

async function main(): Promise<void> {
  // A burst is 500 unacknowledged messages at once, and the client asks for the next as soon as it has the last: room
  // for a few in the session's reliable buffer, and no flood limits (the bursts are the point).
  const server = createServer({ host: '127.0.0.1', port: 0, reliable: { maxUnacked: 10_000, maxUnackedBytes: 16 * 1024 * 1024 }, rateLimit: false });
  const address = await server.listen();
  const rooms = new Map<string, Set<ServerSession>>();
  let nextId = 1;
  server.handle('chat/join', (payload, { session }) => {
    const room = String((payload as { room: unknown }).room);
    const members = rooms.get(room) ?? new Set<ServerSession>();
    members.add(session);
    rooms.set(room, members);
    return { room, lastId: nextId - 1 };
  });
  server.handle('bench/burst', (payload) => {
    const { room, count, bytes } = payload as { room: string; count: number; bytes: number };
    const members = rooms.get(room) ?? new Set<ServerSession>();
    const body = 'x'.repeat(bytes);
    // How long this process holds a core per burst (encoding and writing it), for the suite's scheduler rows.
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const id = nextId++;
      server.broadcastReliable(members, `room/${room}/message`, { id, ts: Math.floor(server.clock.now()), from: 'bot', body, mid: `bot-${id}` });
    }
    return { room, count, handlerMs: performance.now() - start };
  });
  server.events.on('sessionEnd', ({ session }) => {
    for (const members of rooms.values()) members.delete(session);
  });
  server.events.on('error', ({ error }) => process.stderr.write(`chat server: ${String(error)}\n`));
  tellParent({ type: 'ready', url: address.url });
  listenToParent(
    () => undefined,
    () => void server.close().then(() => process.exit(0)),
  );
}

void main();
