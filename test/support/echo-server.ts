import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** A FIFO of events a test waits on: `next()` resolves with the oldest unread item, now or when it arrives. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<(item: T) => void> = [];

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }

  next(): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Items that arrived and were not read yet. */
  get unread(): readonly T[] {
    return this.items;
  }
}

/** One message as the server received it: binary as an exact-length Buffer. */
interface Received {
  data: Buffer | string;
  isBinary: boolean;
  connection: WebSocket;
}

/** A close as the server saw it. */
interface ServerClose {
  code: number;
  reason: string;
  connection: WebSocket;
}

/** A connection the server accepted, with its handshake. */
interface Accepted {
  connection: WebSocket;
  headers: IncomingHttpHeaders;
  protocol: string;
}

/** A real `ws` server on 127.0.0.1 that echoes (or, when `echo` is false, only records) what it receives. */
export interface EchoServer {
  readonly port: number;
  /** `ws://127.0.0.1:port`. */
  readonly url: string;
  /** `wss://127.0.0.1:port`: for the wx emulator, which connects wss URLs over plain TCP (tests have no TLS). */
  readonly secureUrl: string;
  readonly connections: Inbox<Accepted>;
  readonly received: Inbox<Received>;
  readonly closes: Inbox<ServerClose>;
  /** Echo every message back (default) or stay silent. */
  echo: boolean;
  /** Live server-side connections. */
  readonly clients: ReadonlySet<WebSocket>;
  close(): Promise<void>;
}

/** Starts an {@link EchoServer} on an ephemeral port; it accepts any subprotocol the client offers first. */
export async function startEchoServer(): Promise<EchoServer> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => protocols.values().next().value ?? false,
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const port = (wss.address() as AddressInfo).port;
  const server: EchoServer = {
    port,
    url: `ws://127.0.0.1:${port}`,
    secureUrl: `wss://127.0.0.1:${port}`,
    connections: new Inbox(),
    received: new Inbox(),
    closes: new Inbox(),
    echo: true,
    clients: wss.clients,
    close: () => closeServer(wss),
  };
  wss.on('connection', (connection, request) => {
    server.connections.push({ connection, headers: request.headers, protocol: connection.protocol });
    connection.on('message', (raw, isBinary) => {
      const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
      const data = isBinary ? bytes : bytes.toString('utf8');
      server.received.push({ data, isBinary, connection });
      if (server.echo) connection.send(data, { binary: isBinary });
    });
    connection.on('close', (code, reason) => server.closes.push({ code, reason: reason.toString('utf8'), connection }));
    // A client that vanishes mid-frame makes the server socket error; the close event that follows is what tests read.
    connection.on('error', () => undefined);
  });
  return server;
}

function closeServer(wss: WebSocketServer): Promise<void> {
  for (const client of wss.clients) client.terminate();
  return new Promise((resolve) => wss.close(() => resolve()));
}

/** A TCP server that accepts connections and never answers: a WebSocket handshake to it hangs until a timeout. */
export interface SilentServer {
  readonly url: string;
  readonly secureUrl: string;
  close(): Promise<void>;
}

/** Starts a {@link SilentServer} on an ephemeral port of 127.0.0.1. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    secureUrl: `wss://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
