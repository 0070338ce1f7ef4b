import { requirePeer } from './peer';

// Imported first by server/index.ts: `ws` is an optional peer, checked before anything requires it.
requirePeer('ws', 'multisocket/server');
