import { connect, createServer, type Socket } from 'net';

/** A TCP relay on 127.0.0.1 in front of a server, to cut its connections the way a dying server or network does. */
export interface TcpProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Resets every relayed connection: the client sees its socket die with no WebSocket close frame (code 1006). */
  dropAll(): void;
  /** Relays new connections to `port` from now on (a load balancer sending the next connect to another server). */
  retarget(port: number): void;
  close(): Promise<void>;
}

/** Starts a relay on an ephemeral port of 127.0.0.1 to `targetPort` there. */
export function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let accepted = 0;
  let target = targetPort;
  const server = createServer((client) => {
    accepted++;
    const upstream = connect(target, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of pair) socket.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('proxy: no TCP address'));
      resolve({
        port: address.port,
        get accepted() {
          return accepted;
        },
        retarget: (port: number) => {
          target = port;
        },
        dropAll: () => {
          for (const [client, upstream] of [...pairs]) {
            client.resetAndDestroy();
            upstream.destroy();
          }
        },
        close: () =>
          new Promise<void>((done) => {
            for (const [client, upstream] of pairs) {
              client.destroy();
              upstream.destroy();
            }
            server.close(() => done());
          }),
      });
    });
  });
}
