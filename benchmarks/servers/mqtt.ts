/*
 * The MQTT peer of the end-to-end suites: an aedes broker (in memory, its defaults) behind a `ws` server, each
 * WebSocket handed to the broker as a stream (`createWebSocketStream`), the way MQTT over WebSocket is served. There is
 * no application handler: an MQTT client that subscribes to the topic it publishes on gets its own message back from
 * the broker, which is the echo (QoS 0 or 1, as the client publishes and subscribes).
 * Usage: node mqtt.js (says ready with its url; exits when stdin closes).
 */
import { Aedes } from 'aedes';
import { type AddressInfo } from 'node:net';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { serveUntilStdinEnds } from './lifetime';

async function main(): Promise<void> {
  const broker = await Aedes.createBroker();
  broker.on('clientError', (_client, error) => process.stderr.write(`mqtt bench broker: ${error.message}\n`));
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (ws, request) => {
    broker.handle(createWebSocketStream(ws), request);
  });
  wss.on('listening', () =>
    serveUntilStdinEnds((wss.address() as AddressInfo).port, () => {
      for (const client of wss.clients) client.terminate();
      return new Promise((resolve) => wss.close(() => broker.close(() => resolve())));
    }),
  );
}

void main();
