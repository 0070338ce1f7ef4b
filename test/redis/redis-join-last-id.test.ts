import WebSocket from 'ws';
import { createServer, installChat, type ReferenceServer } from '../../server';
import type { ChatStore, RoomListener } from '../../server/chat/store';
import { createRedisChatStore } from '../../server/redis/chat-store';
import { ConnectionManager, webSocketTransport } from '../../src';
import { closeClients, reach } from '../support/channel-helpers';
import { ManualLifecycle } from '../support/harness';
import type { RedisServer } from '../support/redis-server';
import { describeWithRedis, redisServerPerSuite } from '../support/redis-suite';
import { ROOM, type Talker, talker } from '../support/talkers';

/*
 * A join's `lastId` is never behind what the room already delivered on another process. A process's share of a room
 * hears the room's messages through its subscription, which may lag (on a Redis Cluster a PUBLISH reaches the other
 * nodes over the cluster bus); a client that lost its session on one process and re-joins on another compares that
 * `lastId` with the last id it got, and a lower one reads as a room whose ids went back (the chat preset then delivers
 * the history again). Real redis-server, two servers on it; the second one's subscription is held back by the test.
 */

jest.setTimeout(30_000);

describeWithRedis("a join's lastId on a process whose subscription lags", () => {
  let redis: RedisServer;
  let prefix = 0;
  const servers: ReferenceServer[] = [];
  const stores: ChatStore[] = [];
  const talkers: Talker[] = [];
  const raw: { channel: ReturnType<ConnectionManager['open']>; manager: ConnectionManager }[] = [];
  redisServerPerSuite((r) => (redis = r), {}, () => void prefix++);
  afterEach(async () => {
    await closeClients([...talkers.splice(0).map((t) => ({ channel: t.chat.channel, manager: t.manager })), ...raw.splice(0)]);
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  /** A server with a chat on Redis; `wrap` may replace store methods. */
  const startNode = async (wrap: (store: ChatStore) => Partial<ChatStore> = () => ({})) => {
    const inner = await createRedisChatStore({ url: redis.url, prefix: `last${prefix}` });
    stores.push(inner);
    const own = wrap(inner);
    const store = new Proxy(inner, { get: (target, key) => (key in own ? own[key as keyof ChatStore] : (Reflect.get(target, key) as unknown)) });
    const server = createServer({ port: 0 });
    servers.push(server);
    installChat(server, { store });
    const { url } = await server.listen();
    return url;
  };

  it('answers once the room here has handed over every message stored before the join', async () => {
    // Process two's subscription delivers nothing while `held` collects it; a join's presence write lets it go a turn
    // after it is done, by when a join that did not wait for the room has answered.
    let held: (() => void)[] | undefined;
    const release = () => {
      const go = held ?? [];
      held = undefined;
      for (const deliver of go) deliver();
    };
    const two = await startNode((store) => ({
      subscribe: (room: string, listener: RoomListener) =>
        store.subscribe(room, (message, after) => {
          if (held) held.push(() => listener(message, after));
          else listener(message, after);
        }),
      present: async (...args: Parameters<ChatStore['present']>) => {
        await store.present(...args);
        if (held && args[3] === 'join') setImmediate(release);
      },
    }));
    const one = await startNode();
    talkers.push(await talker('w', two));
    held = [];
    const x = await talker('x', one);
    talkers.push(x);
    const said = await x.chat.say(ROOM, 'x-0');
    const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket), lifecycle: new ManualLifecycle() });
    const channel = manager.open('chat', { url: `${two}/chat` });
    raw.push({ channel, manager });
    await reach(channel, 'open');
    const joined = (await channel.request('chat/join', { room: ROOM })) as { lastId: number };
    expect(joined.lastId).toBe(said.id);
  });
});
