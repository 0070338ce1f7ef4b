/*
 * Child of the fan-out suite: the reference server with the chat module, in memory (no argument) or on the Redis at
 * argv[2] (createRedisChatStore, prefix `bench`): several of these on one Redis form one chat service. Rate limits are
 * off and the reliable buffers roomy (the senders keep many says in flight on purpose). Prints {type:'ready', url};
 * exits when stdin closes.
 */
import { createServer, installChat } from '../../server';
import type { ChatStore } from '../../server/chat/store';
import { createRedisChatStore } from '../../server/redis/chat-store';
import { failOnError, listenToParent, tellParent } from '../script-process';

failOnError('fanout server');

async function main(redisUrl: string | undefined): Promise<void> {
  const server = createServer({ host: '127.0.0.1', port: 0, rateLimit: false, reliable: { maxUnacked: 10_000, maxUnackedBytes: 16 * 1024 * 1024 } });
  let store: ChatStore | undefined;
  if (redisUrl) {
    store = await createRedisChatStore({ url: redisUrl, prefix: 'bench' });
    store.on('unavailable', ({ error }) => process.stderr.write(`fanout server: redis unavailable: ${error.message}\n`));
  }
  installChat(server, store ? { store } : {});
  const address = await server.listen();
  server.events.on('error', ({ error }) => process.stderr.write(`fanout server: ${String(error)}\n`));
  tellParent({ type: 'ready', url: address.url });
  listenToParent(
    () => undefined,
    () =>
      void server
        .close()
        .then(() => store?.close())
        .then(() => process.exit(0)),
  );
}

void main(process.argv[2]);
