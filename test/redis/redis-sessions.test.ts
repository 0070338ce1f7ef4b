import WebSocket from 'ws';
import { createServer, installChat, type ReferenceServer, type ServerSession } from '../../server';
import type { ChatStore } from '../../server/chat/store';
import { createRedisChatStore } from '../../server/redis/chat-store';
import { createRedisSessionStore } from '../../server/redis/session-store';
import type { SharedSessionStore } from '../../server/sessions/store';
import { type Channel, ConnectionManager, webSocketTransport } from '../../src';
import { chatChannel } from '../../channels';
import { closeClients, next, reach } from '../support/channel-helpers';
import { ManualLifecycle } from '../support/harness';
import type { RedisServer } from '../support/redis-server';
import { describeWithRedis, redisServerPerSuite } from '../support/redis-suite';
import { startServerProcess, type ServerProcess } from '../support/server-process';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { Changes, holds, waitFor } from '../support/wait';
import { wireIds } from '../support/chat-wire';

/*
 * Sessions shared by several server processes through a real Redis (issue 8, phase 2): a client whose connection
 * moves to another process resumes its session there (WELCOME `resumed`), and every RELIABLE message, both ways, is
 * delivered exactly once and in order, also when the first process is killed.
 */

jest.setTimeout(60_000);

interface Client {
  readonly manager: ConnectionManager;
  readonly channel: Channel;
  /** Payloads of the server's RELIABLE messages on `topic`, as delivered. */
  readonly got: number[];
  /** Resolves once `count` have been delivered. */
  until(count: number): Promise<void>;
}

function connect(url: string, topic: string): Client {
  const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket), lifecycle: new ManualLifecycle(), random: () => 0 });
  const channel = manager.open('raw', { url: `${url}/raw`, reconnect: { baseMs: 10, maxMs: 50 } });
  const got: number[] = [];
  const changes = new Changes();
  channel.subscribe(topic, (payload) => {
    got.push(payload as number);
    changes.notify();
  });
  const until = (count: number) => waitFor(`${count} on ${topic}`, holds(() => got.length >= count, changes), { detail: () => got });
  return { manager, channel, got, until };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describeWithRedis('sessions across server processes on Redis', () => {
  let redis: RedisServer;
  let prefix = 0;
  const servers: ReferenceServer[] = [];
  const stores: (SharedSessionStore | ChatStore)[] = [];
  const clients: Client[] = [];
  const processes: ServerProcess[] = [];
  const proxies: FaultProxy[] = [];

  redisServerPerSuite((r) => (redis = r), {}, () => void prefix++);
  afterEach(async () => {
    await closeClients(clients);
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  /** One process's worth: a server with its own Redis connection; `up` records what its handlers applied. */
  const startNode = async (chat = false): Promise<{ server: ReferenceServer; port: number; up: number[]; sessions: ServerSession[] }> => {
    const sessionStore = await createRedisSessionStore({ url: redis.url, prefix: `s${prefix}` });
    stores.push(sessionStore);
    const server = createServer({ port: 0, sessionStore });
    servers.push(server);
    if (chat) {
      const store = await createRedisChatStore({ url: redis.url, prefix: `s${prefix}` });
      stores.push(store);
      installChat(server, { store });
    }
    const up: number[] = [];
    const sessions: ServerSession[] = [];
    server.on('up', (payload) => void up.push(payload as number));
    server.on('echo/reliable', (payload, ctx) => {
      up.push(payload as number);
      ctx.session.sendReliable('echo/reliable', payload);
    });
    server.events.on('connection', ({ session }) => void sessions.push(session));
    const { port } = await server.listen();
    return { server, port, up, sessions };
  };

  it('a client moved to another process in the middle of a reliable exchange resumes there: each message once, in order, both ways', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const proxy = await startFaultProxy({ targetPort: one.port });
    proxies.push(proxy);
    const client = connect(`ws://127.0.0.1:${proxy.port}`, 'down');
    clients.push(client);
    const opens: boolean[] = [];
    client.channel.on('open', ({ resumed }) => void opens.push(resumed));
    const resyncs: unknown[] = [];
    client.channel.on('resync', (event) => void resyncs.push(event));
    await reach(client.channel, 'open');
    const N = 60;
    const acked = range(0, N / 2).map((n) => client.channel.sendReliable('up', n));
    const first = one.sessions[0] as ServerSession;
    for (let n = 0; n < N / 2; n++) first.sendReliable('down', n);
    // Mid-exchange: some of each direction through, the rest on its way or still queued.
    await client.until(5);
    proxy.retarget(two.port);
    const resumed = next(client.channel, 'open');
    // Sent just before the drop: some reach process one, some are cut and sent again on resume.
    acked.push(...range(N / 2, (3 * N) / 4).map((n) => client.channel.sendReliable('up', n)));
    proxy.reset();
    expect((await resumed).resumed).toBe(true);
    const second = two.sessions[0] as ServerSession;
    expect(second.publicId).toBe(first.publicId);
    for (let n = N / 2; n < N; n++) second.sendReliable('down', n);
    acked.push(...range((3 * N) / 4, N).map((n) => client.channel.sendReliable('up', n)));
    await Promise.all(acked);
    await client.until(N);
    expect(client.got).toEqual(range(0, N));
    // What process one applied and then what process two applied: every message once, in order.
    expect([...one.up, ...two.up]).toEqual(range(0, N));
    expect(two.up.length).toBeGreaterThan(0);
    expect(opens).toEqual([false, true]);
    expect(resyncs).toEqual([]);
  });

  it('a client moved away and back resumes from the store, not from the stale copy the first process kept', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const proxy = await startFaultProxy({ targetPort: one.port });
    proxies.push(proxy);
    const client = connect(`ws://127.0.0.1:${proxy.port}`, 'echo/reliable');
    clients.push(client);
    await reach(client.channel, 'open');
    const acked: Promise<void>[] = [];
    const send = (from: number, to: number) => acked.push(...range(from, to).map((n) => client.channel.sendReliable('echo/reliable', n)));
    const move = async (port: number) => {
      proxy.retarget(port);
      const resumed = next(client.channel, 'open');
      proxy.reset();
      expect((await resumed).resumed).toBe(true);
    };
    send(0, 10);
    await client.until(10);
    await move(two.port);
    send(10, 20);
    await client.until(20);
    await move(one.port);
    send(20, 30);
    await client.until(30);
    await Promise.all(acked);
    expect(client.got).toEqual(range(0, 30));
    expect(one.up).toEqual([...range(0, 10), ...range(20, 30)]);
    expect(two.up).toEqual(range(10, 20));
    // The stale copy on process one was dropped ('moved') and the session taken again from the store.
    expect(one.server.sessions.size).toBe(1);
  });

  it('a chat member moved to another process keeps its rooms: every message once, in id order, no resync', async () => {
    const [one, two] = [await startNode(true), await startNode(true)];
    const proxy = await startFaultProxy({ targetPort: one.port });
    proxies.push(proxy);
    const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket), lifecycle: new ManualLifecycle(), random: () => 0 });
    const chat = chatChannel({ manager, url: `ws://127.0.0.1:${proxy.port}/chat`, reconnect: { baseMs: 10, maxMs: 50 } });
    clients.push({ manager, channel: chat.channel, got: [], until: () => Promise.resolve() });
    const wire: number[] = [];
    const bodies: string[] = [];
    wireIds(chat.channel, 'lobby', wire);
    const seen: string[] = [];
    let wanted = 0;
    let done: () => void = () => undefined;
    chat.onMessage('lobby', (message) => {
      seen.push(message.body as string);
      if (seen.length === wanted) done();
    });
    const resyncs: unknown[] = [];
    chat.channel.on('resync', (event) => void resyncs.push(event));
    await reach(chat.channel, 'open');
    await chat.join('lobby');
    // A line before the room opens on process two: its epoch there (the room's newest id then) differs from one's,
    // so a member moved there must learn it before the messages it is handed (small ids, PROTOCOL.md section 6).
    const early = new Promise<void>((resolve) => {
      wanted = 1;
      done = resolve;
    });
    await chat.say('lobby', 'early');
    await early;
    const witness = connect(`ws://127.0.0.1:${two.port}`, 'unused');
    clients.push(witness);
    const other = chatChannel({ manager: witness.manager, url: `ws://127.0.0.1:${two.port}/chat`, reconnect: { baseMs: 10, maxMs: 50 } });
    await reach(other.channel, 'open');
    await other.join('lobby');
    const N = 40;
    const all = new Promise<void>((resolve) => {
      wanted = N + 11;
      done = resolve;
    });
    const says: Promise<unknown>[] = [];
    for (let n = 0; n < N / 2; n++) says.push(other.say('lobby', `w${n}`));
    for (let n = 0; n < 5; n++) says.push(chat.say('lobby', `m${n}`));
    await says[3];
    proxy.retarget(two.port);
    const resumed = next(chat.channel, 'open');
    proxy.reset();
    for (let n = N / 2; n < N; n++) says.push(other.say('lobby', `w${n}`));
    expect((await resumed).resumed).toBe(true);
    for (let n = 5; n < 10; n++) says.push(chat.say('lobby', `m${n}`));
    await Promise.all(says);
    await all;
    bodies.push('early', ...range(0, N).map((n) => `w${n}`), ...range(0, 10).map((n) => `m${n}`));
    expect([...seen].sort()).toEqual([...bodies].sort());
    // Each message reached the moved member once, in id order, without the preset's dedupe having to hide anything.
    expect(wire).toEqual([...new Set(wire)].sort((x, y) => x - y));
    expect(wire.length).toBe(N + 11);
    expect(resyncs).toEqual([]);
  });

  it('a process killed (SIGKILL) during traffic: its client resumes on another process from what was acknowledged, nothing lost or repeated', async () => {
    const child = await startServerProcess(0, { REDIS_URL: redis.url, REDIS_PREFIX: `s${prefix}` });
    processes.push(child);
    const two = await startNode();
    const proxy = await startFaultProxy({ targetPort: child.port });
    proxies.push(proxy);
    const client = connect(`ws://127.0.0.1:${proxy.port}`, 'echo/reliable');
    clients.push(client);
    const resyncs: unknown[] = [];
    client.channel.on('resync', (event) => void resyncs.push(event));
    await reach(client.channel, 'open');
    const N = 400;
    const WINDOW = 20;
    // Paced by the echoes, WINDOW in flight, so that traffic is going on both ways whenever the kill comes.
    const acked = range(0, WINDOW).map((n) => client.channel.sendReliable('echo/reliable', n));
    let sent = WINDOW;
    client.channel.subscribe('echo/reliable', () => {
      if (sent < N) acked.push(client.channel.sendReliable('echo/reliable', sent++));
    });
    await client.until(50);
    proxy.retarget(two.port);
    const resumed = next(client.channel, 'open');
    const killed = child.kill('SIGKILL');
    const atKill = client.got.length;
    await killed;
    expect(atKill).toBeLessThan(N);
    expect((await resumed).resumed).toBe(true);
    await client.until(N);
    await Promise.all(acked);
    // Each echo once and in order: the ones process one made durably before it died, then process two's.
    expect(client.got).toEqual(range(0, N));
    // Process two echoed a tail of the stream, without a hole or a repeat of what process one had made durable.
    expect(two.up).toEqual(range(N - two.up.length, N));
    expect(resyncs).toEqual([]);
  });
});
