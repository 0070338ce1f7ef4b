/*
 * The multisocket reference server for the end-to-end suites: `createServer` with its defaults (flood limits and the
 * per-address cap off), one handler per echo topic that sends the payload back on the same topic (a PUSH for a PUSH, a
 * RELIABLE for a RELIABLE; the bytes suite's chat topic to everyone), and a room for the scale suite's fan-out: REQUEST
 * `join` adds the connection, PUSH `fanout` sends its payload to every member as PUSH `room` (encoded once, as
 * socket.io's `to(room).emit`).
 * Usage: node multisocket.js [--heartbeat-ms=N] (says ready with its url; exits when stdin closes).
 */
import { createServer } from '../../server';
import { readCommandLine } from '../../scripts/command-line';
import { ECHO_TOPICS, toEveryone } from '../payloads';
import { serveUntilStdinEnds } from './lifetime';

const line = readCommandLine(process.argv.slice(2), { 'heartbeat-ms': { type: 'string' } });
const heartbeatMs = line === 'help' ? undefined : line.values['heartbeat-ms'];

// The flood limits (1,000 messages a second per connection by default) are off: this server measures the ceiling,
// and neither the raw ws nor the socket.io server has such limits. The scale suite's clients share a few addresses.
const server = createServer({
  host: '127.0.0.1',
  port: 0,
  rateLimit: false,
  maxConnectionsPerAddress: Infinity,
  // A given heartbeat tolerates silence as long as socket.io's pingTimeout (20 s) past it: the same slack for both.
  ...(heartbeatMs === undefined ? {} : { heartbeatMs: Number(heartbeatMs), heartbeatGraceMs: 20_000 }),
});
// A RELIABLE is answered with a RELIABLE (the reliable contender), a PUSH with a PUSH.
for (const topic of ECHO_TOPICS) {
  const everyone = toEveryone(topic);
  server.on(topic, (payload, ctx) => {
    for (const connection of everyone ? server.connections.values() : [ctx.connection]) {
      if (ctx.kind === 'reliable') connection.sendReliable(topic, payload);
      else connection.push(topic, payload);
    }
  });
}
const room = new Set<string>();
server.handle('join', (_payload, { connection }) => {
  room.add(connection.id);
  return true;
});
server.events.on('disconnect', ({ connection }) => room.delete(connection.id));
server.on('fanout', (payload) => {
  server.broadcast('room', payload, (connection) => room.has(connection.id));
});
server.events.on('error', ({ error }) => process.stderr.write(`multisocket bench server: ${error.message}\n`));

void server.listen().then(({ port }) => serveUntilStdinEnds(port, () => server.close()));
