import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { createServer, type ReferenceServer } from '../../server';
import { Op } from '../../src/wire/protocol';
import { httpGet, upgradeRefusal } from '../support/http-get';
import { ManualClock } from '../support/manual-clock';
import { ProtocolClient } from '../support/protocol-client';

/*
 * Attached to an application's HTTP server, the multisocket server takes the upgrades on its path and nothing else:
 * the application's requests and its other WebSocket upgrades still reach it, and closing multisocket leaves it
 * running. On a port of its own with a path, an upgrade elsewhere is refused 404.
 */

describe('attached to an existing http server ({ server, path })', () => {
  let app: Server;
  let other: WebSocketServer;
  let server: ReferenceServer;
  const clients: ProtocolClient[] = [];

  beforeEach(async () => {
    app = createHttpServer((req, res) => res.end(`app says ${req.url}`));
    // The application's own WebSocket endpoint on another path, answered by its own upgrade listener.
    other = new WebSocketServer({ noServer: true });
    other.on('connection', (ws) => ws.send('from the app'));
    app.on('upgrade', (req, socket, head) => {
      if (req.url === '/app-ws') other.handleUpgrade(req, socket, head, (ws) => other.emit('connection', ws, req));
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    server = createServer({ server: app, path: '/multisocket' });
    server.handle('add', (payload) => (payload as number[]).reduce((a, b) => a + b, 0));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await server.close();
    other.close();
    await new Promise<void>((resolve) => app.close(() => resolve()));
  });

  async function connect(url: string): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(url);
    clients.push(client);
    return client;
  }

  it('serves sessions on its path, with the query string ignored, and its address names the path', async () => {
    const address = await server.listen();
    const port = (app.address() as AddressInfo).port;
    expect(address).toMatchObject({ host: '127.0.0.1', port, url: `ws://127.0.0.1:${port}/multisocket` });
    const client = await connect(`${address.url}?token=abc`);
    await client.hello();
    await expect(client.call(1, 'add', [1, 2, 3])).resolves.toEqual([Op.Reply, 1, 6]);
  });

  it("leaves the application's requests and its other upgrades to it, and answers none of its own there", async () => {
    const address = await server.listen();
    const base = `http://127.0.0.1:${address.port}`;
    await expect(httpGet(`${base}/hello`)).resolves.toMatchObject({ status: 200, body: 'app says /hello' });
    // No health endpoint on a server that belongs to the application (the admin port serves them).
    await expect(httpGet(`${base}/healthz`)).resolves.toMatchObject({ status: 200, body: 'app says /healthz' });
    const appSocket = await connect(`ws://127.0.0.1:${address.port}/app-ws`);
    expect(appSocket.isClosed).toBe(false);
  });

  it('close() ends its clients and lets go of the server, which keeps listening and serving', async () => {
    const address = await server.listen();
    const client = await connect(address.url);
    await client.hello();
    await server.close();
    await expect(client.expectBye()).resolves.toMatchObject({ close: { code: 1000 } });
    expect(app.listening).toBe(true);
    await expect(httpGet(`http://127.0.0.1:${address.port}/after`)).resolves.toMatchObject({ status: 200, body: 'app says /after' });
    expect(app.listenerCount('upgrade')).toBe(1);
  });

  it('an admin port beside it, on host, serves the health endpoints the application server does not', async () => {
    const withAdmin = createServer({ server: app, path: '/ms', host: '127.0.0.1', adminPort: 0 });
    try {
      const { adminPort } = await withAdmin.listen();
      await expect(httpGet(`http://127.0.0.1:${adminPort}/healthz`)).resolves.toMatchObject({ status: 200, body: 'ok\n' });
    } finally {
      await withAdmin.close();
    }
    expect(app.listening).toBe(true);
  });

  it('while it drains, an upgrade on its path is answered 503, and the application keeps serving', async () => {
    const clock = new ManualClock();
    const draining = createServer({ server: app, path: '/drain', clock, closeTimeoutMs: 1_000 });
    const address = await draining.listen();
    // A client that stops reading never answers the close: the drain lasts until closeTimeoutMs on the clock.
    const stuck = await connect(address.url);
    await stuck.hello();
    stuck.pause();
    const closed = draining.close();
    await expect(upgradeRefusal(`http://127.0.0.1:${address.port}/drain`)).resolves.toBe(503);
    await expect(httpGet(`http://127.0.0.1:${address.port}/still`)).resolves.toMatchObject({ status: 200, body: 'app says /still' });
    clock.advance(1_000);
    await closed;
    stuck.resume();
  });

  it('listen() before the application listens waits for it', async () => {
    const late = createHttpServer();
    const attached = createServer({ server: late, path: '/ms' });
    const listened = attached.listen();
    late.listen(0, '127.0.0.1');
    const address = await listened;
    expect(address.port).toBe((late.address() as AddressInfo).port);
    await attached.close();
    await new Promise<void>((resolve) => late.close(() => resolve()));
  });
});

describe('on a port of its own with a path', () => {
  it('refuses an upgrade on another path with 404, and serves its own path', async () => {
    const server = createServer({ port: 0, path: '/ws' });
    try {
      const address = await server.listen();
      expect(address.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
      await expect(upgradeRefusal(`http://127.0.0.1:${address.port}/elsewhere`)).resolves.toBe(404);
      const client = await ProtocolClient.connect(address.url);
      await client.hello();
      await client.close();
    } finally {
      await server.close();
    }
  });
});

describe('a port already taken', () => {
  it('listen() rejects with the socket error, and close() still resolves', async () => {
    const first = createServer({ port: 0 });
    const { port } = await first.listen();
    const second = createServer({ port, adminPort: 0 });
    try {
      await expect(second.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
      await expect(second.close()).resolves.toBeUndefined();
    } finally {
      await first.close();
    }
  });
});

describe('deploy options', () => {
  const app = createHttpServer();
  it.each([
    [{ server: app }, /option path is invalid: required with server/],
    [{ server: app, path: '/x', port: 80 }, /option port is invalid: not with server/],
    [{ server: app, path: '/x', tls: { cert: 'c', key: 'k' } }, /option tls is invalid: not with server/],
    [{ server: {} as Server, path: '/x' }, /option server is invalid/],
    [{ path: 'no-slash' }, /option path is invalid: no-slash/],
    [{ tls: { cert: 'only a cert' } }, /option tls is invalid: needs cert and key/],
    [{ tls: { cert: 'c', key: 'k', passphrse: 'p' } as never }, /unknown option tls\.passphrse .*did you mean tls\.passphrase/],
    [{ adminPort: 70_000 }, /option adminPort is invalid: 70000/],
    [{ readyTimeoutMs: 0 }, /option readyTimeoutMs is invalid/],
    [{ metrics: 'yes' as never }, /option metrics is invalid: yes/],
    [{ metrics: { registry: {} } as never }, /option metrics.registry is invalid/],
  ])('%p is refused naming the option', (options, message) => {
    expect(() => createServer(options)).toThrow(message);
  });
});
