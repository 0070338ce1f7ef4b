/*
 * The peer of the end-to-end suites: socket.io 4 on the websocket transport only, answering an `echo` event (and the
 * bytes suite's events; its chat event to every client) with the same payload; for the scale suite's fan-out, `join`
 * (with an ack) puts the socket in a room and `fanout` sends its payload to the room as `room` with
 * `io.to(room).emit`. `--parser=msgpack` uses socket.io-msgpack-parser; otherwise socket.io's default (JSON) parser.
 * `--ping=MS` sets its `pingInterval` (default 25 s).
 * Usage: node socket-io.js [--parser=msgpack] [--ping=MS] (says ready with its url; exits when stdin closes).
 */
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Server, type ServerOptions } from 'socket.io';
import * as msgpackParser from 'socket.io-msgpack-parser';
import { ECHO_TOPICS, toEveryone } from '../payloads';
import { pingIntervalArg, serveUntilStdinEnds } from './lifetime';

const options: Partial<ServerOptions> = { transports: ['websocket'], serveClient: false, perMessageDeflate: false };
if (process.argv.includes('--parser=msgpack')) options.parser = msgpackParser;
const pingMs = pingIntervalArg();
if (pingMs !== undefined) options.pingInterval = pingMs;

const ROOM = 'scale';
const http = createServer();
const io = new Server(http, options);
io.on('connection', (socket) => {
  for (const topic of ECHO_TOPICS) {
    const everyone = toEveryone(topic);
    socket.on(topic, (payload: unknown) => {
      if (everyone) io.emit(topic, payload);
      else socket.emit(topic, payload);
    });
  }
  socket.on('join', (ack: unknown) => {
    void socket.join(ROOM);
    if (typeof ack === 'function') (ack as (ok: boolean) => void)(true);
  });
  socket.on('fanout', (payload: unknown) => {
    io.to(ROOM).emit('room', payload);
  });
});

http.listen(0, '127.0.0.1', () =>
  serveUntilStdinEnds((http.address() as AddressInfo).port, () => new Promise((resolve) => void io.close(() => resolve()))),
);
