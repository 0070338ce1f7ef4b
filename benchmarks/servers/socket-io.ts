/*
 * The peer of the end-to-end suites: socket.io 4 on the websocket transport only, answering an `echo` event with the
 * same payload. `--parser=msgpack` uses socket.io-msgpack-parser; otherwise socket.io's default (JSON) parser.
 * Usage: node socket-io.js [--parser=msgpack] (says ready with its url; exits when stdin closes).
 */
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Server, type ServerOptions } from 'socket.io';
import * as msgpackParser from 'socket.io-msgpack-parser';
import { serveUntilStdinEnds } from './lifetime';

const options: Partial<ServerOptions> = { transports: ['websocket'], serveClient: false, perMessageDeflate: false };
if (process.argv.includes('--parser=msgpack')) options.parser = msgpackParser;

const http = createServer();
const io = new Server(http, options);
io.on('connection', (socket) => {
  socket.on('echo', (payload: unknown) => {
    socket.emit('echo', payload);
  });
});

http.listen(0, '127.0.0.1', () =>
  serveUntilStdinEnds((http.address() as AddressInfo).port, () => new Promise((resolve) => void io.close(() => resolve()))),
);
