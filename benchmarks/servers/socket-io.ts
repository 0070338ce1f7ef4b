/*
 * The peer of the end-to-end suites: socket.io 4 on the websocket transport only, answering an `echo` event with the
 * same payload; for the scale suite's fan-out, `join` (with an ack) puts the socket in a room and `fanout` sends its
 * payload to the room as `room` with `io.to(room).emit`. `--parser=msgpack` uses socket.io-msgpack-parser; otherwise
 * socket.io's default (JSON) parser. `--ping-interval-ms=N` sets engine.io's heartbeat (default 25,000).
 * Usage: node socket-io.js [--parser=msgpack] [--ping-interval-ms=N] (says ready with its url; exits when stdin closes).
 */
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Server, type ServerOptions } from 'socket.io';
import * as msgpackParser from 'socket.io-msgpack-parser';
import { readCommandLine } from '../../scripts/command-line';
import { serveUntilStdinEnds } from './lifetime';

const line = readCommandLine(process.argv.slice(2), { parser: { type: 'string' }, 'ping-interval-ms': { type: 'string' } });
const values = line === 'help' ? {} : line.values;
const options: Partial<ServerOptions> = { transports: ['websocket'], serveClient: false, perMessageDeflate: false };
if (values.parser === 'msgpack') options.parser = msgpackParser;
if (values['ping-interval-ms'] !== undefined) options.pingInterval = Number(values['ping-interval-ms']);

const ROOM = 'scale';
const http = createServer();
const io = new Server(http, options);
io.on('connection', (socket) => {
  socket.on('echo', (payload: unknown) => {
    socket.emit('echo', payload);
  });
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
