import { requirePeer } from '../peer';

// Imported first by server/redis/index.ts: `ioredis` is an optional peer, checked before anything requires it.
requirePeer('ioredis', 'multisocket/server/redis');
