/*
 * Child of the reconnect-storm suite: a server (the reference server, or socket.io for the reference row) behind a TCP
 * proxy on 127.0.0.1 that can cut every connection at once ({type:'drop'}): each client loses its socket without a
 * close frame, as when a server process dies or a load balancer restarts, while the server itself stays up, so every
 * reconnect attempt the clients make is one the server sees. Prints {type:'ready', url} and answers a drop with
 * {type:'dropped', count}; exits when stdin closes.
 */
import { createServer as createHttpServer } from 'http';
import { type AddressInfo, createServer as createTcpServer, connect, type Socket } from 'net';
import { Server as SocketIoServer } from 'socket.io';
import { createServer } from '../../server';
import { failOnError, listenToParent, tellParent } from '../script-process';

failOnError('storm server');

/** Starts the backend on port 0; resolves with its port and how to stop it. */
async function backend(kind: string): Promise<{ port: number; close: () => Promise<void> }> {
  if (kind === 'socketio') {
    const http = createHttpServer();
    const io = new SocketIoServer(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return {
      port: (http.address() as AddressInfo).port,
      close: () => new Promise<void>((resolve) => io.close(() => resolve())),
    };
  }
  // The fleet is 200 clients on one address; sessions wait for their clients as they would in production.
  const server = createServer({ host: '127.0.0.1', port: 0 });
  const address = await server.listen();
  return { port: address.port, close: () => server.close() };
}

async function main(kind: string): Promise<void> {
  const upstream = await backend(kind);
  const pairs = new Set<[Socket, Socket]>();
  const proxy = createTcpServer((client) => {
    const server = connect(upstream.port, '127.0.0.1');
    const pair: [Socket, Socket] = [client, server];
    pairs.add(pair);
    client.setNoDelay(true);
    server.setNoDelay(true);
    client.pipe(server);
    server.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('error', end).on('close', end);
    server.on('error', end).on('close', end);
  });
  proxy.maxConnections = 10_000;
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;
  tellParent({ type: 'ready', url: kind === 'socketio' ? `http://127.0.0.1:${port}` : `ws://127.0.0.1:${port}` });
  listenToParent(
    (message) => {
      if (message.type !== 'drop') return;
      const count = pairs.size;
      for (const [client, server] of [...pairs]) {
        client.destroy();
        server.destroy();
      }
      tellParent({ type: 'dropped', count });
    },
    () => {
      for (const [client, server] of pairs) {
        client.destroy();
        server.destroy();
      }
      proxy.close();
      void upstream.close().then(() => process.exit(0));
    },
  );
}

void main(process.argv[2] ?? 'multisocket');
