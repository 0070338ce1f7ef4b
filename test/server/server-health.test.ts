import { createServer, type ReferenceServer } from '../../server';
import { createRedisSessionStore } from '../../server/redis/session-store';
import type { SharedSessionStore } from '../../server/sessions/store';
import { exitOnStopSignals, type ShutdownHost } from '../../server/shutdown';
import { httpGet } from '../support/http-get';
import { ManualClock } from '../support/manual-clock';
import { ProtocolClient } from '../support/protocol-client';
import type { RedisServer } from '../support/redis-server';
import { describeWithRedis, redisServerPerSuite } from '../support/redis-suite';

/*
 * `/healthz` says the process answers; `/readyz` says to send it clients: listening, not draining, and its session
 * store (Redis) answering a PING. Served on the server's own port, or on `adminPort` alone, which stays up through a
 * drain so that a load balancer sees 503 until the process is gone.
 */

describe('health on the server port', () => {
  let server: ReferenceServer;
  let base: string;
  beforeEach(async () => {
    server = createServer({ port: 0 });
    base = `http://127.0.0.1:${(await server.listen()).port}`;
  });
  afterEach(() => server.close());

  it('answers /healthz and /readyz 200, /metrics 404 without the metrics option, another path 404', async () => {
    await expect(httpGet(`${base}/healthz`)).resolves.toEqual({ status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok\n' });
    await expect(httpGet(`${base}/readyz?verbose`)).resolves.toMatchObject({ status: 200, body: 'ready\n' });
    await expect(httpGet(`${base}/metrics`)).resolves.toMatchObject({ status: 404 });
    await expect(httpGet(`${base}/nothing`)).resolves.toMatchObject({ status: 404 });
  });

  it('answers HEAD, and refuses another method with 405', async () => {
    await expect(httpGet(`${base}/healthz`, 'HEAD')).resolves.toMatchObject({ status: 200, body: '' });
    await expect(httpGet(`${base}/readyz`, 'POST')).resolves.toMatchObject({ status: 405 });
  });
});

describe('health on the admin port', () => {
  it('serves them there and not on the public port; through a SIGTERM drain /readyz is 503 while /healthz stays 200', async () => {
    const clock = new ManualClock();
    const server = createServer({ port: 0, adminPort: 0, clock, closeTimeoutMs: 1_000 });
    const address = await server.listen();
    const admin = `http://127.0.0.1:${address.adminPort}`;
    expect(address.adminPort).toEqual(expect.any(Number));
    expect(address.adminPort).not.toBe(address.port);
    await expect(httpGet(`http://127.0.0.1:${address.port}/readyz`)).resolves.toMatchObject({ status: 404 });
    await expect(httpGet(`${admin}/readyz`)).resolves.toMatchObject({ status: 200, body: 'ready\n' });

    // A client that stops reading never answers the close: the drain lasts until closeTimeoutMs on the server's clock.
    const client = await ProtocolClient.connect(address.url);
    await client.hello();
    client.pause();
    const signals = new Map<string, () => void>();
    const exits: number[] = [];
    let exited: () => void = () => undefined;
    const whenExited = new Promise<void>((resolve) => (exited = resolve));
    const host: ShutdownHost = {
      on: (signal, listener) => signals.set(signal, listener),
      exit: (code) => {
        exits.push(code);
        exited();
      },
      log: () => undefined,
      logError: () => undefined,
      clock,
    };
    exitOnStopSignals(host, () => server.close({ code: 4000, reason: 'server restarting' }));
    signals.get('SIGTERM')?.();

    await expect(httpGet(`${admin}/readyz`)).resolves.toEqual({ status: 503, contentType: 'text/plain; charset=utf-8', body: 'not ready: draining\n' });
    await expect(httpGet(`${admin}/healthz`)).resolves.toMatchObject({ status: 200 });
    expect(exits).toEqual([]);

    clock.advance(1_000);
    await whenExited;
    expect(exits).toEqual([0]);
    // Gone with the process's server: the admin port closed last.
    await expect(httpGet(`${admin}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    client.resume();
    await client.close();
  });
});

describeWithRedis('/readyz and Redis', () => {
  let redis: RedisServer;
  redisServerPerSuite((started) => (redis = started));

  it('is 503 naming the session store while redis-server is stopped, and 200 again once it is back', async () => {
    const sessionStore: SharedSessionStore = await createRedisSessionStore({ url: redis.url, prefix: 'readyz' });
    const server = createServer({ port: 0, adminPort: 0, sessionStore, readyTimeoutMs: 2_000 });
    const admin = `http://127.0.0.1:${(await server.listen()).adminPort}`;
    try {
      await expect(httpGet(`${admin}/readyz`)).resolves.toMatchObject({ status: 200, body: 'ready\n' });
      await redis.stop();
      const down = await httpGet(`${admin}/readyz`);
      expect(down.status).toBe(503);
      expect(down.body).toMatch(/^not ready: session store: /);
      await expect(httpGet(`${admin}/healthz`)).resolves.toMatchObject({ status: 200 });

      const back = new Promise<void>((resolve) => sessionStore.onAvailable?.(resolve));
      await redis.start();
      await back;
      await expect(httpGet(`${admin}/readyz`)).resolves.toMatchObject({ status: 200, body: 'ready\n' });
    } finally {
      await server.close();
      await sessionStore.close();
    }
  });
});
