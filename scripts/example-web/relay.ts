import net from 'node:net';
import type { AddressInfo } from 'node:net';

/*
 * A TCP relay on 127.0.0.1 in front of the example's game server, so that the page's "drop the game socket" button is
 * a real network hiccup: every relayed connection is destroyed at once, no close frame either way, as a phone losing
 * its network does (the demo's wx emulator does the same with `dropConnection`).
 */

/** A running relay. */
export interface Relay {
  /** The port pages connect to. */
  readonly port: number;
  /** Destroys every relayed connection; returns how many there were. */
  drop(): number;
  /** Stops accepting and destroys what is left. */
  close(): Promise<void>;
}

/** Starts a relay on `host` (a free port) to `targetPort` on 127.0.0.1. */
export function startRelay(targetPort: number, host = '127.0.0.1'): Promise<Relay> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, upstream];
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
  const drop = (): number => {
    const count = pairs.size;
    for (const [client, upstream] of [...pairs]) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
    return count;
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        drop,
        close: () => new Promise<void>((done) => (drop(), server.close(() => done()))),
      });
    });
  });
}
