/*
 * The floor of the end-to-end suites: a hand-written `ws` server that decodes each binary message with one reused
 * @msgpack/msgpack Decoder as `[topic, payload]` and answers an `echo` with the same payload, re-encoded, in its own
 * message (on `echo` and the bytes suite's topics). No protocol, no session, no heartbeat (but WebSocket pings with
 * `--ping=MS`): what an application writes when it writes everything itself.
 * Usage: node raw-ws.js [--ping=MS] (says ready with its url; exits when stdin closes).
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { ECHO_TOPICS, toEveryone } from '../payloads';
import { pingIntervalArg, serveUntilStdinEnds } from './lifetime';

const encoder = new Encoder();
const decoder = new Decoder();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });

const pingMs = pingIntervalArg();

wss.on('connection', (ws) => {
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) return;
    const message = decoder.decode(data) as [string, unknown];
    if (!ECHO_TOPICS.includes(message[0])) return;
    const reply = encoder.encode([message[0], message[1]]);
    for (const to of toEveryone(message[0]) ? wss.clients : [ws]) to.send(reply);
  });
  // A heartbeat of its own, when asked: WebSocket pings, which the client's `ws` answers with a pong.
  if (pingMs !== undefined) {
    const timer = setInterval(() => ws.ping(), pingMs);
    ws.on('close', () => clearInterval(timer));
  }
});

wss.on('listening', () =>
  serveUntilStdinEnds((wss.address() as AddressInfo).port, () => {
    for (const client of wss.clients) client.terminate();
    return new Promise((resolve) => wss.close(() => resolve()));
  }),
);
