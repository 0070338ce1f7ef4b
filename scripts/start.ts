/*
 * `npm start`: the reference server on 127.0.0.1 and one scripted client through the runtime, exchanging a push and
 * a request/reply each way, printing what happens. Exits 0 when every step worked, 1 otherwise.
 */
import WebSocket from 'ws';
import { createServer } from '../server';
import { ConnectionManager, webSocketTransport } from '../src';

function log(step: string, detail: unknown = ''): void {
  const text = typeof detail === 'string' ? detail : JSON.stringify(detail);
  process.stdout.write(`  ${step.padEnd(34)} ${text}\n`);
}

async function main(): Promise<void> {
  const server = createServer({ host: '127.0.0.1', port: 0 });
  server.handle('room/join', (payload) => ({ joined: (payload as { room: number }).room, members: 3 }));
  server.on('chat/say', (payload, ctx) => {
    ctx.connection.push('room/42/message', { from: 'server', echo: payload });
  });
  const { url } = await server.listen();
  process.stdout.write(`multisocket: reference server listening on ${url}\n`);

  const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket) });
  // A short heartbeat so the demo shows a measured round trip within its few seconds.
  const chat = manager.open('chat', { url, getToken: () => 'demo-token', heartbeat: { intervalMs: 200, timeoutMs: 1000 } });
  log('manager.open("chat")', `state ${chat.state}`);
  chat.on('state', ({ previous, next, reason }) => log('state', `${previous} -> ${next} (${reason})`));
  chat.subscribe('server/ask', (payload) => ({ answer: 42, question: payload }));

  await new Promise<void>((resolve) => chat.on('open', () => resolve()));
  log('opened, session', chat.session ?? '');

  const pushed = chat.waitFor('room/42/message', { timeoutMs: 5000 });
  chat.send('chat/say', { text: '你好 👋' });
  log('client -> server PUSH chat/say', { text: '你好 👋' });
  log('server -> client PUSH room/42/message', await pushed);

  const reply = await chat.request('room/join', { room: 42 }, { timeoutMs: 5000 });
  log('client REQUEST room/join -> REPLY', reply);

  const connection = [...server.connections.values()][0];
  if (!connection) throw new Error('the server has no connection');
  const answer = await connection.request('server/ask', 'meaning of life?', { timeoutMs: 5000 });
  log('server REQUEST server/ask -> REPLY', answer);

  const pong = await new Promise<{ rtt: number; offset: number }>((resolve) => chat.on('pong', resolve));
  log('heartbeat PING -> PONG', `rtt ${pong.rtt} ms, server clock offset ${Math.round(pong.offset)} ms`);

  const closed = new Promise<void>((resolve) =>
    chat.on('state', ({ next }) => {
      if (next === 'closed') resolve();
    }),
  );
  manager.close();
  await closed;
  await server.close();
  const s = chat.stats();
  process.stdout.write(`multisocket: done. frames sent ${s.framesSent} in ${s.messagesSent} messages, received ${s.framesReceived}; dropped ${s.dropped}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`multisocket: the scripted session failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
