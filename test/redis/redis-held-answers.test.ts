import WebSocket from 'ws';
import { createServer, installChat, type ReferenceServer, type SessionEndEvent } from '../../server';
import type { ChatStore } from '../../server/chat/store';
import { createRedisChatStore } from '../../server/redis/chat-store';
import { createRedisSessionStore } from '../../server/redis/session-store';
import type { SharedSessionStore } from '../../server/sessions/store';
import { type Channel, ConnectionManager, webSocketTransport } from '../../src';
import { closeClients, next, reach } from '../support/channel-helpers';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { ManualLifecycle } from '../support/harness';
import type { RedisServer } from '../support/redis-server';
import { describeWithRedis, redisServerPerSuite } from '../support/redis-suite';
import { ROOM, type Talker, talker } from '../support/talkers';
import { Changes, holds, waitFor } from '../support/wait';

/*
 * A handler's answer produced while its session leaves the process (a handoff to another process, or a closing server's
 * last write) goes with the session: the client that resumes on the other process gets it. Each test holds a RELIABLE
 * handler's answer until the move has begun (real redis-server, two servers on it, a client through a TCP relay whose
 * next connect goes to the other one), then checks the answer reached the client before a later echo did.
 */

jest.setTimeout(30_000);

/** A gate a handler awaits: opened by the test at the moment it chooses. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

interface Client {
  readonly manager: ConnectionManager;
  readonly channel: Channel;
  readonly got: { answer: unknown[]; echo: unknown[] };
  until(check: () => boolean, what: string): Promise<void>;
}

function connect(url: string): Client {
  const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket), lifecycle: new ManualLifecycle(), random: () => 0.5 });
  const channel = manager.open('raw', { url: `${url}/raw`, reconnect: { baseMs: 20, maxMs: 100 } });
  const got = { answer: [] as unknown[], echo: [] as unknown[] };
  const changes = new Changes();
  for (const topic of ['answer', 'echo'] as const) {
    channel.subscribe(topic, (payload) => {
      got[topic].push(payload);
      changes.notify();
    });
  }
  return { manager, channel, got, until: (check, what) => waitFor(what, holds(check, changes), { detail: () => got }) };
}

describeWithRedis('answers produced while a session moves to another process', () => {
  let redis: RedisServer;
  let prefix = 0;
  const servers: ReferenceServer[] = [];
  const stores: SharedSessionStore[] = [];
  const clients: Client[] = [];
  const talkers: Talker[] = [];
  const proxies: FaultProxy[] = [];
  const chatStores: ChatStore[] = [];
  redisServerPerSuite((r) => (redis = r), {}, () => void prefix++);
  afterEach(async () => {
    await closeClients(clients.splice(0));
    await closeClients(talkers.splice(0).map((t) => ({ channel: t.chat.channel, manager: t.manager })));
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(chatStores.splice(0).map((s) => s.close()));
  });

  /**
   * A server on its own Redis session store: `ask` answers (RELIABLE `answer`) once `held` opens, `echo` at once.
   * `releasing` runs as another process's ask for one of its sessions begins to be served.
   */
  const startNode = async (held: Promise<void>, releasing = (): void => undefined) => {
    const inner = await createRedisSessionStore({ url: redis.url, prefix: `held${prefix}` });
    stores.push(inner);
    const { serveReleases, onAvailable } = inner;
    if (!serveReleases || !onAvailable) throw new Error('the Redis session store hands sessions over');
    const store: SharedSessionStore = {
      owner: inner.owner,
      write: (id, write, ttlMs) => inner.write(id, write, ttlMs),
      take: (id, ttlMs) => inner.take(id, ttlMs),
      remove: (id, recv) => inner.remove(id, recv),
      onAvailable: (listener) => onAvailable.call(inner, listener),
      // The test's hook runs once the release has begun (the session refuses nothing yet that it should take).
      serveReleases: (release) =>
        serveReleases.call(inner, (id) => {
          const given = release(id);
          releasing();
          return given;
        }),
      close: () => inner.close(),
    };
    const server = createServer({ port: 0, sessionStore: store });
    servers.push(server);
    const asked = gate();
    server.on('ask', async (payload, ctx) => {
      asked.open();
      await held;
      ctx.session.sendReliable('answer', payload);
    });
    server.on('echo', (payload, ctx) => void ctx.session.sendReliable('echo', payload));
    const ends: SessionEndEvent[] = [];
    server.events.on('sessionEnd', (event) => void ends.push(event));
    const chat = await createRedisChatStore({ url: redis.url, prefix: `held${prefix}` });
    chatStores.push(chat);
    const appending = gate();
    // The chat's store, with each append held until `held` opens: the say's `chat/said` comes after the move began.
    const append: ChatStore['append'] = (...args) => {
      appending.open();
      return held.then(() => chat.append(...args));
    };
    installChat(server, { store: new Proxy(chat, { get: (target, key) => (key === 'append' ? append : (Reflect.get(target, key) as unknown)) }) });
    const { port } = await server.listen();
    return { server, port, asked: asked.opened, appending: appending.opened, ends };
  };

  /** A client through a relay to `port`, whose `ask` 1 the handler there has begun and whose ACK it got. */
  const askOn = async (port: number) => {
    const balancer = await startFaultProxy({ targetPort: port });
    proxies.push(balancer);
    const client = connect(`ws://127.0.0.1:${balancer.port}`);
    clients.push(client);
    await reach(client.channel, 'open');
    await client.channel.sendReliable('ask', 1);
    return { client, balancer };
  };

  /** The client resumed elsewhere: an echo sent there now comes back after everything the session held. */
  const expectAnswered = async (client: Client) => {
    await client.channel.sendReliable('echo', 2);
    await client.until(() => client.got.echo.length === 1, 'the echo on the other process');
    expect(client.got).toEqual({ answer: [1], echo: [2] });
  };

  it('a handoff waits for the handler in flight: its answer goes with the session to the process that asked', async () => {
    const held = gate();
    const one = await startNode(held.opened, held.open);
    const two = await startNode(new Promise(() => undefined));
    const { client, balancer } = await askOn(one.port);
    await one.asked;
    balancer.retarget(two.port);
    const resumed = next(client.channel, 'open');
    balancer.reset();
    expect((await resumed).resumed).toBe(true);
    await expectAnswered(client);
    expect(one.ends.map((e) => e.reason)).toEqual(['moved']);
  });

  it("a closing server's last write waits for the handler in flight: its answer reaches the client on the other process", async () => {
    const held = gate();
    const one = await startNode(held.opened);
    const two = await startNode(new Promise(() => undefined));
    one.server.events.on('sessionEnd', () => held.open());
    const { client, balancer } = await askOn(one.port);
    await one.asked;
    balancer.retarget(two.port);
    const resumed = next(client.channel, 'open');
    await one.server.close();
    expect((await resumed).resumed).toBe(true);
    await expectAnswered(client);
    expect(one.ends.map((e) => e.reason)).toEqual(['server_closed']);
  });

  it("a chat say whose append is in flight when its session is handed over is answered: its chat/said goes with the session", async () => {
    const held = gate();
    const one = await startNode(held.opened, held.open);
    const two = await startNode(Promise.resolve());
    const balancer = await startFaultProxy({ targetPort: one.port });
    proxies.push(balancer);
    const t = await talker('a', `ws://127.0.0.1:${balancer.port}`);
    talkers.push(t);
    const said = t.chat.say(ROOM, 'a-0');
    await one.appending;
    balancer.retarget(two.port);
    const resumed = next(t.chat.channel, 'open');
    balancer.reset();
    expect((await resumed).resumed).toBe(true);
    // Answered (not refused, not left pending), with the id of the line every member got.
    await t.until(1);
    const answer = await waitFor<unknown>('the say answered', (done) => {
      said.then(done, done);
      return () => undefined;
    });
    expect(answer).toEqual(expect.objectContaining({ id: t.received[0]?.id }));
    expect(one.ends.map((e) => e.reason)).toEqual(['moved']);
  });

  it('a handler that never answers holds a handoff back only for a bounded time: the session still moves', async () => {
    const one = await startNode(new Promise(() => undefined));
    const two = await startNode(new Promise(() => undefined));
    const { client, balancer } = await askOn(one.port);
    await one.asked;
    balancer.retarget(two.port);
    const resumed = next(client.channel, 'open');
    balancer.reset();
    expect((await resumed).resumed).toBe(true);
    await client.channel.sendReliable('echo', 2);
    await client.until(() => client.got.echo.length === 1, 'the echo on the other process');
    // Given up by the handover's own write, not taken from it when the asker's patience ran out.
    await waitFor('the session given up on process 1', holds(() => one.ends.length === 1));
    expect(one.ends.map((e) => e.reason)).toEqual(['moved']);
    expect(client.got.answer).toEqual([]);
  });
});
