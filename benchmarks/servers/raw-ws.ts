/*
 * The floor of the end-to-end suites: a hand-written `ws` server that decodes each binary message with one reused
 * @msgpack/msgpack Decoder as `[topic, payload]` and answers an `echo` with the same payload, re-encoded, in its own
 * message. No protocol, no session, no heartbeat: what an application writes when it writes everything itself.
 * Usage: node raw-ws.js (says ready with its url; exits when stdin closes).
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { serveUntilStdinEnds } from './lifetime';

const encoder = new Encoder();
const decoder = new Decoder();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });

wss.on('connection', (ws) => {
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) return;
    const message = decoder.decode(data) as [string, unknown];
    if (message[0] === 'echo') ws.send(encoder.encode(['echo', message[1]]));
  });
});

wss.on('listening', () =>
  serveUntilStdinEnds((wss.address() as AddressInfo).port, () => {
    for (const client of wss.clients) client.terminate();
    return new Promise((resolve) => wss.close(() => resolve()));
  }),
);
