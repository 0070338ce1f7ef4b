import WebSocket from 'ws';
import { createServer, installChat, type ReferenceServer } from '../../server';
import type { ChatStore } from '../../server/chat/store';
import { createRedisChatStore } from '../../server/redis/chat-store';
import { ConnectionManager, RemoteError, webSocketTransport } from '../../src';
import { type ChatChannel, chatChannel, type ChatMessage } from '../../channels';
import { closeAndWait, reach } from '../support/channel-helpers';
import { ManualLifecycle } from '../support/harness';
import { describeOnRedisBackends } from '../support/redis-backends';
import { startServerProcess, type ServerProcess } from '../support/server-process';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { Changes, holds, waitFor } from '../support/wait';
import { wireIds } from '../support/chat-wire';

/*
 * Chat rooms shared by several server processes through a real Redis (issue 8, phase 1): ids, history, dedupe and
 * fan-out. Sessions stay per process, so a client moved to another process starts a new session and the chat preset
 * recovers the room from the shared history. Run on a single Redis, a three-master Cluster and behind a Sentinel (issue
 * 18); the outage tests on the single Redis only.
 */

const ROOM = 'lobby';
jest.setTimeout(60_000);

interface Client {
  readonly chat: ChatChannel;
  readonly manager: ConnectionManager;
  readonly received: ChatMessage[];
  /** The id of every `room/<room>/message` that reached the channel, before the preset's own dedupe by id. */
  readonly wire: number[];
  /** Resolves once `count` messages have been delivered in all. */
  until(count: number): Promise<void>;
}

async function connect(url: string, random: () => number = () => 0): Promise<Client> {
  const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket), lifecycle: new ManualLifecycle(), random });
  const chat = chatChannel({ manager, url: `${url}/chat`, reconnect: { baseMs: 10, maxMs: 50 } });
  const received: ChatMessage[] = [];
  const wire: number[] = [];
  wireIds(chat.channel, ROOM, wire);
  const changes = new Changes();
  chat.onMessage(ROOM, (message) => {
    received.push(message);
    changes.notify();
  });
  await reach(chat.channel, 'open');
  await chat.join(ROOM);
  const until = (count: number) =>
    waitFor(`${count} messages in room ${ROOM}`, holds(() => received.length >= count, changes), { detail: () => received.map((m) => m.body) });
  return { chat, manager, received, wire, until };
}

async function disconnect(client: Client): Promise<void> {
  await closeAndWait(client.chat.channel, () => client.manager.close());
}

/** The ids strictly increase and every body is there once. */
function expectOnceInOrder(client: Client, bodies: string[], wireOnce = true): void {
  const ids = client.received.map((m) => m.id);
  for (let i = 1; i < ids.length; i++) expect(ids[i] as number).toBeGreaterThan(ids[i - 1] as number);
  expect(client.received.map((m) => m.body as string).sort()).toEqual([...bodies].sort());
  // The server sent each one at most once and in order (a moved client gets the rest from history): the preset's dedupe
  // by id had nothing to hide.
  if (wireOnce) expect(client.wire).toEqual([...new Set(client.wire)].sort((x, y) => x - y));
  for (const id of client.wire) expect(ids).toContain(id);
}

describeOnRedisBackends('chat rooms across server processes', (backend, singleOnly) => {
  let prefix = 0;
  const servers: ReferenceServer[] = [];
  const stores: ChatStore[] = [];
  const clients: Client[] = [];
  const processes: ServerProcess[] = [];
  const proxies: FaultProxy[] = [];

  /** Whether a test stopped Redis and has not started it again: the next test must not inherit that. */
  let redisStopped = false;
  const stopRedis = async () => {
    redisStopped = true;
    await backend.server.stop();
  };
  const startRedis = async () => {
    await backend.server.start();
    redisStopped = false;
  };
  beforeEach(() => {
    prefix++;
  });
  afterEach(async () => {
    if (redisStopped) await startRedis();
    await Promise.all(clients.splice(0).map(disconnect));
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(processes.splice(0).map((p) => p.kill('SIGTERM')));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  /** One server process's worth: its own server and its own Redis connections, on a port of its own. */
  const startNode = async (historySize = 1000): Promise<{ server: ReferenceServer; store: ChatStore; url: string }> => {
    const store = await createRedisChatStore({ ...backend.target(), prefix: `t${prefix}` });
    stores.push(store);
    const server = createServer({ port: 0 });
    servers.push(server);
    installChat(server, { store, historySize });
    const { url } = await server.listen();
    return { server, store, url };
  };
  const client = async (url: string, random?: () => number) => {
    const c = await connect(url, random);
    clients.push(c);
    return c;
  };

  it('members on two processes get each message of one room once, in the same id order, and history is shared', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const members = [await client(one.url), await client(one.url), await client(two.url), await client(two.url)];
    const bodies: string[] = [];
    const says: Promise<unknown>[] = [];
    for (let n = 0; n < 15; n++) {
      members.forEach((member, i) => {
        const body = `m${i}-${n}`;
        bodies.push(body);
        says.push(member.chat.say(ROOM, body));
      });
    }
    await Promise.all(says);
    await Promise.all(members.map((m) => m.until(bodies.length)));
    for (const member of members) expectOnceInOrder(member, bodies);
    // The same sequence everywhere: one id per message, all members agreeing.
    const sequence = members[0]?.received.map((m) => `${m.id}:${String(m.body)}`);
    for (const member of members) expect(member.received.map((m) => `${m.id}:${String(m.body)}`)).toEqual(sequence);
    // Each sender's own messages in the order it said them.
    for (let i = 0; i < members.length; i++) {
      const own = members[0]?.received.map((m) => m.body as string).filter((b) => b.startsWith(`m${i}-`));
      expect(own).toEqual(Array.from({ length: 15 }, (_, n) => `m${i}-${n}`));
    }
    const [fromOne, fromTwo] = await Promise.all([members[0]?.chat.history(ROOM, { limit: 500 }), members[3]?.chat.history(ROOM, { limit: 500 })]);
    expect(fromOne).toEqual(fromTwo);
    expect(fromOne?.map((m) => m.id)).toEqual(members[0]?.received.map((m) => m.id));
  });

  it('a mid sent again through another process is answered with its first id and not delivered twice', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const [a, b] = [await client(one.url), await client(two.url)];
    const said = (c: Client) =>
      new Promise<unknown>((resolve) => {
        const off = c.chat.channel.subscribe('chat/said', (payload) => {
          off();
          resolve(payload);
        });
      });
    const first = said(a);
    await a.chat.channel.sendReliable('chat/say', { room: ROOM, mid: 'same-mid', body: 'once' });
    const again = said(b);
    await b.chat.channel.sendReliable('chat/say', { room: ROOM, mid: 'same-mid', body: 'once' });
    const [x, y] = (await Promise.all([first, again])) as { id: number }[];
    expect(y?.id).toBe(x?.id);
    await b.chat.say(ROOM, 'marker');
    await Promise.all([a.until(2), b.until(2)]);
    for (const c of [a, b]) expectOnceInOrder(c, ['once', 'marker']);
  });

  it('a mid the room remembers from another body is refused mid_conflict on every process, stored nowhere; the first line stays', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const [a, b] = [await client(one.url), await client(two.url)];
    const said = (c: Client) =>
      new Promise<{ id?: number; error?: { code: string } }>((resolve) => {
        const off = c.chat.channel.subscribe('chat/said', (payload) => {
          off();
          resolve(payload as { id?: number; error?: { code: string } });
        });
      });
    const first = said(a);
    await a.chat.channel.sendReliable('chat/say', { room: ROOM, mid: '1', body: 'from a' });
    const stored = await first;
    const clash = said(b);
    await b.chat.channel.sendReliable('chat/say', { room: ROOM, mid: '1', body: 'from b' });
    expect((await clash).error?.code).toBe('mid_conflict');
    // Not a member there: refused the same way (the store's said), not answered with a's chat/said.
    const outsider = await startNode();
    const c = await connect(outsider.url);
    clients.push(c);
    await c.chat.leave(ROOM);
    const refused = said(c);
    await c.chat.channel.sendReliable('chat/say', { room: ROOM, mid: '1', body: 'from c' });
    expect((await refused).error?.code).toBe('mid_conflict');
    // The same mid and body again, from a new session on the other process: the first answer, nothing broadcast.
    const again = said(b);
    await b.chat.channel.sendReliable('chat/say', { room: ROOM, mid: '1', body: 'from a' });
    expect((await again).id).toBe(stored.id);
    await b.chat.say(ROOM, 'marker');
    await Promise.all([a.until(2), b.until(2)]);
    for (const member of [a, b]) expectOnceInOrder(member, ['from a', 'marker']);
    expect((await b.chat.history(ROOM)).map((m) => [m.mid, m.body])).toEqual([['1', 'from a'], [expect.any(String), 'marker']]);
  });

  it('works with the built server (npm run serve -- --redis, or --redis-cluster) as one of the processes', async () => {
    const one = await startNode();
    const child = await startServerProcess(0, { ...backend.env(), REDIS_PREFIX: `t${prefix}` });
    processes.push(child);
    const [a, b] = [await client(one.url), await client(child.url)];
    await Promise.all([a.chat.say(ROOM, 'from-in-process'), b.chat.say(ROOM, 'from-child')]);
    await Promise.all([a.until(2), b.until(2)]);
    expect(a.received.map((m) => m.id)).toEqual(b.received.map((m) => m.id));
    expectOnceInOrder(b, ['from-in-process', 'from-child']);
  });

  it('a client moved to another process (new session there) misses nothing of the room and repeats nothing', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const proxy = await startFaultProxy({ targetPort: Number(new URL(one.url).port) });
    proxies.push(proxy);
    const moving = await client(`ws://127.0.0.1:${proxy.port}`);
    const staying = await client(two.url);
    await moving.chat.say(ROOM, 'before');
    const resynced = new Promise<void>((resolve) => moving.chat.on('resynced', () => resolve()));
    // The load balancer sends the next connect to process 2; the socket to process 1 dies mid-exchange.
    proxy.retarget(Number(new URL(two.url).port));
    const inFlight = moving.chat.say(ROOM, 'in-flight');
    proxy.reset();
    const away = Promise.all([0, 1, 2].map((n) => staying.chat.say(ROOM, `while-moving-${n}`)));
    await Promise.all([resynced, inFlight, away]);
    await moving.chat.say(ROOM, 'after');
    const all = ['before', 'in-flight', 'while-moving-0', 'while-moving-1', 'while-moving-2', 'after'];
    await Promise.all([moving.until(all.length), staying.until(all.length)]);
    expectOnceInOrder(moving, all);
    expectOnceInOrder(staying, all);
    expect(moving.received.map((m) => m.id)).toEqual(staying.received.map((m) => m.id));
    expect(one.server.connections.size).toBe(0);
  });

  it('a process killed (SIGKILL) during traffic: its clients go on on another process, nothing stored is lost or repeated', async () => {
    const child = await startServerProcess(0, { ...backend.env(), REDIS_PREFIX: `t${prefix}` });
    processes.push(child);
    const two = await startNode();
    const proxy = await startFaultProxy({ targetPort: child.port });
    proxies.push(proxy);
    const victim = await client(`ws://127.0.0.1:${proxy.port}`);
    const witness = await client(two.url);
    const resynced = new Promise<void>((resolve) => victim.chat.on('resynced', () => resolve()));
    const bodies = Array.from({ length: 20 }, (_, n) => `v${n}`);
    const says = bodies.map((body) => victim.chat.say(ROOM, body));
    await says[4];
    proxy.retarget(Number(new URL(two.url).port));
    await child.kill('SIGKILL');
    // Every say settles with an id: those stored before the kill once (mid dedupe), the others after the move.
    const ids = (await Promise.all(says)).map((said) => said.id);
    await resynced;
    expect(new Set(ids).size).toBe(bodies.length);
    await Promise.all([victim.until(bodies.length), witness.until(bodies.length)]);
    // KNOWN GAP on a Cluster (filed in the closing note of issue 18): the victim re-joins on the surviving process while
    // that process still hears, late over the Cluster bus, lines the victim already had from the killed one; they are
    // sent to it live a second time. The preset drops them by id (the app sees each once and in order, checked here),
    // but the wire is not once. The fix is a chat/join that carries the client's last id (a protocol change).
    expectOnceInOrder(victim, bodies, backend.kind !== 'Redis Cluster');
    expectOnceInOrder(witness, bodies);
  });

  singleOnly('while Redis is away a say is refused "unavailable" and nothing is half-stored; the preset retries it until Redis returns', async () => {
    const [one, two] = [await startNode(), await startNode()];
    // A mid-range jitter: the retries back off (a random source of 0 would send them again at once).
    const [a, b] = [await client(one.url, () => 0.5), await client(two.url)];
    await a.chat.say(ROOM, 'before');
    const downs = [one.store, two.store].map((s) => new Promise<void>((resolve) => s.on('unavailable', () => resolve())));
    await stopRedis();
    await Promise.all(downs);
    // Every chat/said the server sends a while Redis is away: refusals, each followed by a retry of the same mid.
    const refusals: { mid: string; code?: string }[] = [];
    let refusedTwice: () => void = () => undefined;
    const twice = new Promise<void>((resolve) => (refusedTwice = resolve));
    const off = a.chat.channel.subscribe('chat/said', (payload) => {
      const said = payload as { mid: string; error?: { code: string } };
      if (!said.error) return;
      refusals.push({ mid: said.mid, code: said.error.code });
      if (refusals.length >= 2) refusedTwice();
    });
    let settled: 'resolved' | 'rejected' | undefined;
    const saying = a.chat.say(ROOM, 'while-down');
    saying.then(
      () => (settled = 'resolved'),
      () => (settled = 'rejected'),
    );
    // Two refusals, or the say settling first (which fails the next line rather than the test's timeout).
    await Promise.race([twice, saying.catch(() => undefined)]);
    // Refused twice and still pending: the preset sent it again instead of rejecting, with the same mid.
    expect(settled).toBeUndefined();
    expect(refusals.slice(0, 2).map((r) => r.code)).toEqual(['unavailable', 'unavailable']);
    expect(refusals[1]?.mid).toBe(refusals[0]?.mid);
    await expect(b.chat.history(ROOM)).rejects.toMatchObject({ code: 'unavailable' });
    const ups = [one.store, two.store].map((s) => new Promise<void>((resolve) => s.on('available', () => resolve())));
    await startRedis();
    await Promise.all(ups);
    // The retry after Redis returned is stored and delivered once, with an id after the last one.
    const retried = await saying;
    off();
    expect(settled).toBe('resolved');
    await b.chat.say(ROOM, 'after');
    await Promise.all([a.until(3), b.until(3)]);
    for (const c of [a, b]) expect(c.received.map((m) => m.body)).toEqual(['before', 'while-down', 'after']);
    for (const c of [a, b]) expect(c.wire).toEqual(c.received.map((m) => m.id));
    expect(retried.id).toBe(a.received[1]?.id);
    expect(retried.id).toBeGreaterThan(a.received[0]?.id as number);
    expect((await b.chat.history(ROOM)).map((m) => m.body)).toEqual(['before', 'while-down', 'after']);
  });

  singleOnly('a say refused "unavailable" for longer than sayRetry.limitMs rejects with that RemoteError', async () => {
    const one = await startNode();
    const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket), lifecycle: new ManualLifecycle(), random: () => 0.5 });
    const chat = chatChannel({ manager, url: `${one.url}/chat`, sayRetry: { baseMs: 20, maxMs: 20, limitMs: 30 } });
    clients.push({ chat, manager, received: [], wire: [], until: () => Promise.resolve() });
    await reach(chat.channel, 'open');
    await chat.join(ROOM);
    let refusals = 0;
    chat.channel.subscribe('chat/said', (payload) => {
      if ((payload as { error?: unknown }).error) refusals++;
    });
    const down = new Promise<void>((resolve) => one.store.on('unavailable', () => resolve()));
    // Redis stays away for the rest of the test; afterEach starts it again.
    await stopRedis();
    await down;
    const refused = await chat.say(ROOM, 'given-up').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(RemoteError);
    expect(refused).toMatchObject({ code: 'unavailable' });
    // 10 ms delays within 30 ms: retried, then given up.
    expect(refusals).toBeGreaterThanOrEqual(2);
  });

  it('history keeps historySize messages across processes and reports what fell out', async () => {
    const [one, two] = [await startNode(3), await startNode(3)];
    const [a, b] = [await client(one.url), await client(two.url)];
    for (let n = 0; n < 5; n++) await (n % 2 ? b : a).chat.say(ROOM, `h${n}`);
    await b.until(5);
    const reply = (await b.chat.channel.request('chat/history', { room: ROOM })) as { messages: ChatMessage[]; evictedUpTo: number };
    expect(reply.messages.map((m) => m.body)).toEqual(['h2', 'h3', 'h4']);
    expect(reply.evictedUpTo).toBe(b.received[1]?.id);
    const older = (await a.chat.channel.request('chat/history', { room: ROOM, before: reply.messages[2]?.id, limit: 1 })) as { messages: ChatMessage[] };
    expect(older.messages.map((m) => m.body)).toEqual(['h3']);
  });

  it("a room's keys last roomTtlMs (default 24 hours) after its last message, and again after each presence write", async () => {
    const direct = backend.peek();
    const limits = { historySize: 10, dedupeSize: 10 };
    const draft = { ts: 1, from: 'p', body: 'b', mid: 'm1' };
    const ttls = (k: string) => Promise.all(['id', 'history', 'evicted', 'mids', 'midlog'].map((suffix) => direct.pttl(`${k}:${suffix}`)));
    try {
      const byDefault = await startNode();
      await byDefault.store.append('by-default', draft, 'digest', limits);
      for (const ttl of await ttls(`ms:t${prefix}:room:{by-default}`)) {
        expect(ttl).toBeGreaterThan(23 * 3600_000);
        expect(ttl).toBeLessThanOrEqual(24 * 3600_000);
      }
      const store = await createRedisChatStore({ ...backend.target(), prefix: `t${prefix}`, roomTtlMs: 60_000 });
      stores.push(store);
      const k = `ms:t${prefix}:room:{set}`;
      await store.append('set', draft, 'digest', limits);
      for (const ttl of await ttls(k)) expect(ttl).toBeGreaterThan(50_000);
      for (const ttl of await ttls(k)) expect(ttl).toBeLessThanOrEqual(60_000);
      // Most of the minute passes with no message, but a member is there: its presence keeps the history too.
      for (const suffix of ['id', 'history', 'evicted', 'mids', 'midlog']) await direct.pexpire(`${k}:${suffix}`, 1000);
      await store.present('set', [{ publicId: 'p1', owner: 'o1' }], 30_000, 'join');
      for (const ttl of await ttls(k)) expect(ttl).toBeGreaterThan(50_000);
    } finally {
      direct.disconnect();
    }
  });

  it('a room whose keys expired numbers above its old ids: members still in it on every process get what comes next', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const [a, b] = [await client(one.url), await client(two.url)];
    const before: { id: number }[] = [];
    for (let n = 0; n < 3; n++) before.push(await a.chat.say(ROOM, `old${n}`));
    await b.until(3);
    const joinedBase = ((await b.chat.channel.request('chat/join', { room: ROOM })) as { lastId: number }).lastId;
    expect(joinedBase).toBe(before[2]?.id);
    // What roomTtlMs does to an idle room, done at once: every key of the room's messages gone.
    const direct = backend.peek();
    try {
      const k = `ms:t${prefix}:room:{${ROOM}}`;
      expect(await direct.del(`${k}:id`, `${k}:history`, `${k}:evicted`, `${k}:mids`, `${k}:midlog`)).toBe(5);
    } finally {
      direct.disconnect();
    }
    const after = await b.chat.say(ROOM, 'new');
    // Ids started again at 1 would be taken as already delivered by both processes, and by both clients.
    expect(after.id).toBeGreaterThan(before[2]?.id as number);
    await Promise.all([a.until(4), b.until(4)]);
    for (const c of [a, b]) expectOnceInOrder(c, ['old0', 'old1', 'old2', 'new']);
    // The new run's history starts at its base: older ids are reported gone, not silently absent.
    const reply = (await a.chat.channel.request('chat/history', { room: ROOM })) as { messages: ChatMessage[]; evictedUpTo: number };
    expect(reply.messages.map((m) => m.body)).toEqual(['new']);
    expect(reply.evictedUpTo).toBe(after.id - 1);
  });
}, { kinds: ['single Redis', 'Redis Cluster', 'Redis Sentinel'] });
