import WebSocket from 'ws';

/** How a WebSocket upgrade ended: 101 with the open socket, or the HTTP status the server refused it with. */
export type Upgrade = { status: 101; socket: WebSocket } | { status: number; socket?: undefined };

/**
 * Asks `url` for a WebSocket upgrade with `headers` (Origin, Referer, X-Forwarded-For: any the test sets) and resolves
 * with the outcome; the caller closes an open socket. `localAddress` is the address to connect from (any 127.x.y.z).
 */
export function upgrade(url: string, headers: Readonly<Record<string, string>> = {}, localAddress?: string): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { ...headers }, localAddress });
    socket.once('open', () => resolve({ status: 101, socket }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      response.resume();
      socket.terminate();
    });
    socket.on('error', (error) => reject(error));
  });
}

/** Closes the sockets of the upgrades that opened, and waits until each is closed. */
export async function closeUpgrades(upgrades: readonly Upgrade[]): Promise<void> {
  await Promise.all(
    upgrades.map(({ socket }) => {
      if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
      return new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close();
      });
    }),
  );
}
