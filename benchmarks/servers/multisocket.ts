/*
 * The multisocket reference server for the end-to-end suites: `createServer` with its defaults (flood limits off),
 * and one handler that sends the payload back on the same topic (a PUSH for a PUSH, a RELIABLE for a RELIABLE).
 * Usage: node multisocket.js (says ready with its url; exits when stdin closes).
 */
import { createServer } from '../../server';
import { ECHO_TOPICS, toEveryone } from '../payloads';
import { serveUntilStdinEnds } from './lifetime';

// The flood limits (1,000 messages a second per connection by default) are off: this server measures the ceiling,
// and neither the raw ws nor the socket.io server has such limits.
const server = createServer({ host: '127.0.0.1', port: 0, rateLimit: false });
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
server.events.on('error', ({ error }) => process.stderr.write(`multisocket bench server: ${error.message}\n`));

void server.listen().then(({ port }) => serveUntilStdinEnds(port, () => server.close()));
