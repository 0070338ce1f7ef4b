/*
 * The Colyseus peer of the end-to-end suites: a Colyseus 0.16 server (`@colyseus/core` on `@colyseus/ws-transport`)
 * with one room type, `echo`, whose `onMessage('echo')` sends the message back to the client that sent it
 * (`client.send`, Colyseus's room message: msgpack, no state sync); the bytes suite's chat topic goes to the whole
 * room (`broadcast`). The clients join it through the matchmaker's HTTP
 * route, as a Colyseus client does.
 * `--ping=MS` sets the transport's `pingInterval` (WebSocket pings; default 3 s).
 * Usage: node colyseus.js [--ping=MS] (says ready with its url; exits when stdin closes).
 */
import { Room, Server } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { ECHO_TOPICS, toEveryone } from '../payloads';
import { pingIntervalArg, serveUntilStdinEnds } from './lifetime';

class EchoRoom extends Room {
  override onCreate(): void {
    // Every client of the suite in one room would change nothing: each has its own connection and its own echoes.
    this.maxClients = 1000;
    for (const topic of ECHO_TOPICS) {
      if (toEveryone(topic)) this.onMessage(topic, (_client, message: unknown) => this.broadcast(topic, message));
      else this.onMessage(topic, (client, message: unknown) => client.send(topic, message));
    }
  }
}

const http = createServer();
const pingMs = pingIntervalArg();
const transport = new WebSocketTransport({ server: http, perMessageDeflate: false, ...(pingMs === undefined ? {} : { pingInterval: pingMs }) });
const server = new Server({ greet: false, transport });
server.define('echo', EchoRoom);

void server.listen(0, '127.0.0.1').then(() =>
  serveUntilStdinEnds((http.address() as AddressInfo).port, () => server.gracefullyShutdown(false)),
);
