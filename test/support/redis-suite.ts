import { type RedisServer, redisServerBinary, startRedisServer } from './redis-server';

// Jest-only (redis-server.ts is also used by the fan-out benchmark, built without jest's globals).
/**
 * `describe(title, body)` when redis-server is installed; otherwise a single test that fails naming what to install,
 * unless MULTISOCKET_SKIP_REDIS=1 says to run without the Redis tests (`npm test` installs redis-server: scripts/provision.js).
 */
export function describeWithRedis(title: string, body: () => void): void {
  if (redisServerBinary()) {
    describe(title, body);
    return;
  }
  it(`${title}: needs redis-server (apt-get install redis-server), or MULTISOCKET_SKIP_REDIS=1 to run without the Redis tests`, () => {
    expect(process.env.MULTISOCKET_SKIP_REDIS).toBe('1');
  });
}

/**
 * Starts a redis-server before the suite's tests and stops it after them; `set` receives it for the tests to use, and
 * `eachTest` (a fresh key prefix, say) runs before each test.
 */
export function redisServerPerSuite(set: (redis: RedisServer) => void, options: { durable?: boolean } = {}, eachTest?: () => void): void {
  let server: RedisServer | undefined;
  if (eachTest) beforeEach(eachTest);
  beforeAll(async () => {
    server = await startRedisServer(options);
    set(server);
  });
  afterAll(async () => {
    await server?.close();
  });
}
