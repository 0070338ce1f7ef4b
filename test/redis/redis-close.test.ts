import { Redis } from 'ioredis';
import { createRedisChatStore } from '../../server/redis/chat-store';
import { createRedisGameBroker } from '../../server/redis/game-broker';
import { createRedisSessionStore } from '../../server/redis/session-store';
import type { RedisServer } from '../support/redis-server';
import { describeWithRedis, redisServerPerSuite } from '../support/redis-suite';

/*
 * Closing a Redis chat store, game broker or session store twice (a test's own close, then its cleanup's): the second close answers
 * the first one's. A second quit() on a closed connection rejects, and the disconnect() it fell back to armed a 2 s
 * ioredis timer that kept the jest worker from exiting.
 */

jest.setTimeout(30_000);

/** Timers alive now (Node's view), to see whether a close armed one. */
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describeWithRedis('closing a Redis store twice', () => {
  let redis: RedisServer;
  redisServerPerSuite((r) => (redis = r), { durable: false });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  const opened = {
    'chat store': () => createRedisChatStore({ url: redis.url }),
    'game broker': () => createRedisGameBroker({ url: redis.url }),
    'session store': () => createRedisSessionStore({ url: redis.url }),
  };

  for (const [name, open] of Object.entries(opened)) {
    it(`the ${name}: a close during the first and one after it resolve, and neither quits or disconnects again`, async () => {
      const closable = await open();
      const quit = jest.spyOn(Redis.prototype, 'quit');
      const disconnect = jest.spyOn(Redis.prototype, 'disconnect');
      await expect(Promise.all([closable.close(), closable.close()])).resolves.toEqual([undefined, undefined]);
      const before = timers();
      await expect(closable.close()).resolves.toBeUndefined();
      // Its two connections, each quit once.
      expect(quit).toHaveBeenCalledTimes(2);
      expect(disconnect).not.toHaveBeenCalled();
      expect(timers()).toBeLessThanOrEqual(before);
    });
  }
});
