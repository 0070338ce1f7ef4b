/**
 * `multisocket/server/redis`: the Redis implementations of the server's stores and broker, so that several processes
 * form one service (SCALING.md). Needs the `ioredis` package (an optional peer dependency); `multisocket/server` never
 * loads this entry, so a server without Redis needs nothing beyond `ws`.
 */
import './needs-ioredis';

export { createRedisChatStore } from './chat-store';
export type { RedisChatStoreOptions } from './chat-store';
export { createRedisSessionStore } from './session-store';
export type { RedisSessionStoreOptions } from './session-store';
export { createRedisGameBroker } from './game-broker';
export type { RedisGameBrokerOptions } from './game-broker';
export type { RedisLinkOptions } from './link';
export { clusterClientOptions, createClusterClient, redisClientOptions } from './client';
export type { RedisClient, RedisTarget } from './client';
