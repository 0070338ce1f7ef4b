import WebSocket from 'ws';
import { type InstallChatOptions, createServer, installChat, type ReferenceServer, type SessionEndReason } from '../../server';
import type { ChatStore } from '../../server/chat/store';
import { createRedisChatStore } from '../../server/redis/chat-store';
import { createRedisSessionStore } from '../../server/redis/session-store';
import type { SharedSessionStore } from '../../server/sessions/store';
import { type Channel, ConnectionManager, RemoteError, webSocketTransport } from '../../src';
import { next, reach } from '../support/channel-helpers';
import { ManualLifecycle } from '../support/harness';
import { ManualClock } from '../support/manual-clock';
import { nextEvent } from '../support/protocol-client';
import type { RedisClient } from '../../server/redis/client';
import { describeOnRedisBackends } from '../support/redis-backends';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';

/*
 * Room presence shared by several server processes through a real Redis (issue 8): `chat/presence` lists the members
 * of every process; a leave, a session moved to another process and a process that dies without a word each leave
 * exactly the right entries behind. Run on a single Redis and a three-master Cluster (issue 18); the tests that stop
 * Redis or cut one process's link to it, on the single Redis only.
 */

const ROOM = 'lobby';
jest.setTimeout(60_000);

interface Node {
  readonly server: ReferenceServer;
  readonly store: ChatStore;
  readonly sessionStore: SharedSessionStore;
  readonly url: string;
  readonly port: number;
}

interface Client {
  readonly manager: ConnectionManager;
  readonly channel: Channel;
  /** Its session's public id. */
  readonly id: string;
}

interface Presence {
  room: unknown;
  members: string[];
  count: number;
}

describeOnRedisBackends('room presence across server processes', (backend, singleOnly) => {
  /** A plain connection of the test's own, to look at the keys. */
  let peek: RedisClient;
  let prefix = 0;
  let redisStopped = false;
  const servers: ReferenceServer[] = [];
  const stores: (ChatStore | SharedSessionStore)[] = [];
  const clients: Client[] = [];
  const proxies: FaultProxy[] = [];
  const key = (suffix: string) => `ms:p${prefix}:room:{${ROOM}}:${suffix}`;

  beforeAll(() => {
    // Quit by describeOnRedisBackends after the suite.
    peek = backend.peek();
    peek.on('error', () => undefined);
  });
  beforeEach(() => {
    prefix++;
  });
  afterEach(async () => {
    if (redisStopped) {
      await backend.server.start();
      redisStopped = false;
    }
    for (const c of clients.splice(0)) {
      const closed = reach(c.channel, 'closed');
      c.manager.close();
      await closed;
    }
    await Promise.all(servers.splice(0).map((s) => s.close()));
    // Stores before the proxies they may reach Redis through: a store closed while cut off arms an ioredis timer.
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  /**
   * One process's worth: its own server and its own Redis connections, sessions shared too unless `sessions` is false.
   * `chatVia`: a proxy to Redis for the chat store (to cut it off).
   */
  const startNode = async (chat: Partial<InstallChatOptions> = {}, clock?: ManualClock, chatVia?: FaultProxy, sessions = true): Promise<Node> => {
    const sessionStore = await createRedisSessionStore({ ...backend.target(), prefix: `p${prefix}` });
    stores.push(sessionStore);
    const store = await createRedisChatStore({ ...(chatVia ? { url: `redis://127.0.0.1:${chatVia.port}` } : backend.target()), prefix: `p${prefix}` });
    stores.push(store);
    const server = createServer({ port: 0, ...(sessions ? { sessionStore } : {}), ...(clock ? { clock } : {}) });
    servers.push(server);
    installChat(server, { ...chat, store });
    const { url, port } = await server.listen();
    return { server, store, sessionStore, url, port };
  };

  /** A client of `node` (through `via`, a proxy's url, if given), open. */
  const connect = async (node: Node, via?: string): Promise<Client> => {
    const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket), lifecycle: new ManualLifecycle(), random: () => 0 });
    const opened = nextEvent(node.server.events, 'connection');
    const channel = manager.open('chat', { url: `${via ?? node.url}/chat`, reconnect: { baseMs: 10, maxMs: 50 } });
    const { session } = await opened;
    await reach(channel, 'open');
    const client = { manager, channel, id: session.publicId };
    clients.push(client);
    return client;
  };

  const join = (c: Client, room: unknown = ROOM) => c.channel.request('chat/join', { room });
  const presence = (c: Client, room: unknown = ROOM) => c.channel.request('chat/presence', { room }) as Promise<Presence>;
  const sorted = (...cs: Client[]) => cs.map((c) => c.id).sort();
  /** Redis's clock, ms: what the scripts judge expiry by. */
  const redisNow = async () => {
    const [seconds, micros] = await peek.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };
  /** A proxy to `targetPort` (Redis by default), closed after the test. */
  const proxy = async (targetPort = backend.server.port) => {
    const p = await startFaultProxy({ targetPort });
    proxies.push(p);
    return p;
  };
  /** What `room`'s presence keys hold for `id`: its owner and whether the other two keys list it. */
  const entry = async (id: string) => ({
    owner: await peek.hget(key('owners'), id),
    expiry: await peek.zscore(key('presence'), id),
    listed: (await peek.zscore(key('roster'), id)) !== null,
  });

  it('members on two processes: each lists all of them, sorted, once; a leave or a process shutting down removes them everywhere', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const [a1, a2, b1] = [await connect(one), await connect(one), await connect(two)];
    for (const c of [b1, a2, a1, a2]) await join(c);
    const all = { room: ROOM, members: sorted(a1, a2, b1), count: 3 };
    for (const c of [a1, a2, b1]) expect(await presence(c)).toEqual(all);

    // Answered once every process no longer lists it.
    await a2.channel.request('chat/leave', { room: ROOM });
    expect(await presence(b1)).toEqual({ room: ROOM, members: sorted(a1, b1), count: 2 });
    expect(await entry(a2.id)).toEqual({ owner: null, expiry: null, listed: false });

    // A process that closes ends its sessions, which leave their rooms before its store connection goes.
    await one.server.close();
    await one.store.close();
    expect(await presence(b1)).toEqual({ room: ROOM, members: [b1.id], count: 1 });
  });

  it('without the session store too, members of different processes are told apart: public ids carry a per-process token', async () => {
    const [one, two] = [await startNode({}, undefined, undefined, false), await startNode({}, undefined, undefined, false)];
    const [a, b] = [await connect(one), await connect(two)];
    expect(a.id).not.toBe(b.id);
    for (const c of [a, b]) await join(c);
    expect(await presence(a)).toEqual({ room: ROOM, members: sorted(a, b), count: 2 });
    const heard = new Promise((resolve) => b.channel.once(`room/${ROOM}/message`, resolve));
    await a.channel.sendReliable('chat/say', { room: ROOM, mid: 'm1', body: 'hi' });
    expect(await heard).toMatchObject({ from: a.id, body: 'hi' });
  });

  it('maxPresence bounds the list, not the count; a non-member gets not_member, a bad payload bad_request', async () => {
    const [one, two] = [await startNode({ maxPresence: 2 }), await startNode()];
    const [a1, a2, b1, outsider] = [await connect(one), await connect(one), await connect(two), await connect(two)];
    for (const c of [a1, a2, b1]) await join(c);
    expect(await presence(a1)).toEqual({ room: ROOM, members: sorted(a1, a2, b1).slice(0, 2), count: 3 });
    expect(await presence(b1)).toEqual({ room: ROOM, members: sorted(a1, a2, b1), count: 3 });
    await expect(presence(outsider)).rejects.toMatchObject({ code: 'not_member' });
    for (const payload of [{ room: 'a/b' }, { room: '' }, {}, 'lobby']) {
      await expect(b1.channel.request('chat/presence', payload)).rejects.toMatchObject({ code: 'bad_request' });
    }
    await expect(presence(outsider)).rejects.toBeInstanceOf(RemoteError);
  });

  it('removal is owner-checked: another copy of the session neither removes nor renews the entry the current one made', async () => {
    const [s1, s2] = [await startNode(), await startNode()].map((n) => n.store) as [ChatStore, ChatStore];
    const old = { publicId: 'p-moved', owner: 'process-1-copy' };
    const current = { publicId: 'p-moved', owner: 'process-2-copy' };
    await s1.present(ROOM, [old], 60_000, 'join');
    await s2.present(ROOM, [current], 60_000, 'join');
    expect(await s1.presence(ROOM, 10)).toEqual({ members: ['p-moved'], count: 1 });
    // Process 1 renews its stale copy, then drops it: neither touches the entry process 2 made.
    await s1.present(ROOM, [old], 60_000, 'refresh');
    expect((await entry('p-moved')).owner).toBe('process-2-copy');
    await s1.absent(ROOM, old, 60_000);
    expect(await s2.presence(ROOM, 10)).toEqual({ members: ['p-moved'], count: 1 });
    // Nor is the id tombstoned: it was not removed.
    expect(await peek.exists(key('left'))).toBe(0);
    // A refresh adds back an entry that is missing (it expired while its process was late).
    await s1.present(ROOM, [{ publicId: 'p-late', owner: 'process-1-copy' }], 60_000, 'refresh');
    expect(await s2.presence(ROOM, 10)).toEqual({ members: ['p-late', 'p-moved'], count: 2 });
    // The keys outlive the entries by roomTtlMs (default 24 hours), like the room's message keys.
    for (const suffix of ['presence', 'owners', 'roster']) expect(await peek.pttl(key(suffix))).toBeGreaterThan(23 * 3600_000);
    await s2.absent(ROOM, current, 0);
    await s1.absent(ROOM, { publicId: 'p-late', owner: 'process-1-copy' }, 0);
    expect(await s1.presence(ROOM, 10)).toEqual({ members: [], count: 0 });
    expect(await peek.exists(key('presence'), key('owners'), key('roster'), key('left'))).toBe(0);
  });

  it('a session moved to another process is listed once, and the end of the copy it left behind does not remove it', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const balancer = await proxy(one.port);
    const moving = await connect(one, `ws://127.0.0.1:${balancer.port}`);
    const witness = await connect(two);
    for (const c of [moving, witness]) await join(c);
    expect(await presence(witness)).toEqual({ room: ROOM, members: sorted(moving, witness), count: 2 });
    const leftBehind = new Promise<SessionEndReason>((resolve) => {
      one.server.events.on('sessionEnd', ({ session, reason }) => {
        if (session.publicId === moving.id) resolve(reason);
      });
    });

    balancer.retarget(two.port);
    const resumed = next(moving.channel, 'open');
    balancer.reset();
    expect((await resumed).resumed).toBe(true);
    // Process 1 is alive and in touch with Redis: it let the session go at the handoff, which ended its copy there.
    expect(await leftBehind).toBe('moved');
    // Its requests wait until it has re-joined its rooms here.
    expect(await presence(moving)).toEqual({ room: ROOM, members: sorted(moving, witness), count: 2 });
    // Ordered after whatever the old copy's end sent on process 1's connection (a removal of the entry it owned,
    // before or after process 2's re-join took the entry over): the session is listed, and not tombstoned.
    expect(await one.store.presence(ROOM, 10)).toEqual({ members: sorted(moving, witness), count: 2 });
    expect(await presence(witness)).toEqual({ room: ROOM, members: sorted(moving, witness), count: 2 });
    expect(await peek.zscore(key('left'), moving.id)).toBeNull();
  });

  singleOnly('a session that left on process 2 is not listed again by the copy process 1 kept while cut from Redis', async () => {
    const chatLink = await proxy();
    const [one, two] = [await startNode({}, undefined, chatLink), await startNode()];
    const balancer = await proxy(one.port);
    const moving = await connect(one, `ws://127.0.0.1:${balancer.port}`);
    const witness = await connect(two);
    for (const c of [moving, witness]) await join(c);
    const copy = [...one.server.sessions.values()].find((session) => session.publicId === moving.id);
    expect(copy).toBeDefined();

    // Process 1 is cut from Redis but lives on: its chat store's link fails, and its session store is gone, which
    // also makes process 2 find it dead (no liveness key) rather than wait for its answer.
    const chatDown = new Promise<void>((resolve) => one.store.on('unavailable', () => resolve()));
    chatLink.refuse();
    chatLink.reset();
    await chatDown;
    stores.splice(stores.indexOf(one.sessionStore), 1);
    await one.sessionStore.close();
    // The client resumes on process 2, which takes the session without process 1's word.
    balancer.retarget(two.port);
    const resumed = next(moving.channel, 'open');
    balancer.reset();
    expect((await resumed).resumed).toBe(true);
    expect(await presence(moving)).toEqual({ room: ROOM, members: sorted(moving, witness), count: 2 });

    // It leaves the room there: its entry goes, and a tombstone stays for as long as process 1's copy may live (the
    // resume window, 120 s by default) plus presenceTtlMs (30 s by default).
    const before = await redisNow();
    await moving.channel.request('chat/leave', { room: ROOM });
    expect(await presence(witness)).toEqual({ room: ROOM, members: [witness.id], count: 1 });
    const until = Number(await peek.zscore(key('left'), moving.id));
    expect(until).toBeGreaterThanOrEqual(before + 150_000);
    expect(until - (await redisNow())).toBeLessThanOrEqual(150_000);

    // Redis is back for process 1's chat store (not for its sessions: its copy stays, unaware that it moved).
    // `available` renews its members' entries, the stale copy's among them; the read is ordered after that renewal.
    const up = new Promise<void>((resolve) => one.store.on('available', () => resolve()));
    chatLink.pass();
    await up;
    expect(await one.store.presence(ROOM, 10)).toEqual({ members: [witness.id], count: 1 });
    expect(await entry(moving.id)).toEqual({ owner: null, expiry: null, listed: false });
    expect(copy?.ended).toBe(false);
  });

  it('a removal leaves a tombstone for rememberMs: a refresh does not add the id back, a join does; expired ones are pruned', async () => {
    const [s1, s2] = [await startNode(), await startNode()].map((n) => n.store) as [ChatStore, ChatStore];
    const stale = { publicId: 'p-moved', owner: 'process-1-copy' };
    const current = { publicId: 'p-moved', owner: 'process-2-copy' };
    const other = { publicId: 'p-other', owner: 'process-1-copy' };
    await s1.present(ROOM, [stale, other], 60_000, 'join');
    await s2.present(ROOM, [current], 60_000, 'join');

    // The session leaves on process 2.
    const before = await redisNow();
    await s2.absent(ROOM, current, 150_000);
    const until = Number(await peek.zscore(key('left'), 'p-moved'));
    expect(until).toBeGreaterThanOrEqual(before + 150_000);
    expect(until - (await redisNow())).toBeLessThanOrEqual(150_000);
    // Process 1 renews the copy it still holds: the id is not listed again.
    await s1.present(ROOM, [stale, other], 60_000, 'refresh');
    expect(await s2.presence(ROOM, 10)).toEqual({ members: ['p-other'], count: 1 });
    // A shorter tombstone does not shorten the key's life below the longer one's.
    await s1.absent(ROOM, other, 1_000);
    expect(await peek.pttl(key('left'))).toBeGreaterThan(100_000);
    expect(await peek.pttl(key('left'))).toBeLessThanOrEqual(150_000);

    // Time passes (the tombstones' expiry moved into the past): the next script drops them, key and all.
    const past = String((await redisNow()) - 1);
    await peek.zadd(key('left'), 'XX', past, 'p-moved', past, 'p-other');
    expect(await s1.presence(ROOM, 10)).toEqual({ members: [], count: 0 });
    expect(await peek.exists(key('left'))).toBe(0);
    // Missing and no longer tombstoned: a refresh adds it back (as after an outage).
    await s1.present(ROOM, [stale], 60_000, 'refresh');
    expect(await s2.presence(ROOM, 10)).toEqual({ members: ['p-moved'], count: 1 });

    // An entry that expired still belongs to its last owner: removing it tombstones it too.
    await peek.zadd(key('presence'), 'XX', String((await redisNow()) - 1), 'p-moved');
    await s1.absent(ROOM, stale, 150_000);
    expect(await peek.zscore(key('left'), 'p-moved')).not.toBeNull();
    // A join clears the tombstone: the session is served there now.
    await s2.present(ROOM, [current], 60_000, 'join');
    expect(await peek.zscore(key('left'), 'p-moved')).toBeNull();
    expect(await entry('p-moved')).toMatchObject({ owner: 'process-2-copy', listed: true });
  });

  it('a process that dies without removing its members loses them presenceTtlMs after its last renewal', async () => {
    const [one, two] = [await startNode({ presenceTtlMs: 20_000 }), await startNode()];
    const [a, b] = [await connect(one), await connect(two)];
    for (const c of [a, b]) await join(c);
    expect(await presence(b)).toEqual({ room: ROOM, members: sorted(a, b), count: 2 });

    // The crash: its Redis connections go first, so nothing it does afterwards reaches Redis.
    await one.store.close();
    await one.server.close();
    const left = await entry(a.id);
    expect(left).toMatchObject({ owner: expect.any(String), listed: true });
    // It expires at most presenceTtlMs after its last renewal, on Redis's clock; until then it is listed.
    const remaining = Number(left.expiry) - (await redisNow());
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(20_000);
    expect(await presence(b)).toEqual({ room: ROOM, members: sorted(a, b), count: 2 });
    // Time passes without a renewal (the expiry moved into the past): the next read drops the entry.
    await peek.zadd(key('presence'), 'XX', String((await redisNow()) - 1), a.id);
    expect(await presence(b)).toEqual({ room: ROOM, members: [b.id], count: 1 });
    expect(await entry(a.id)).toEqual({ owner: null, expiry: null, listed: false });
    expect(await entry(b.id)).toMatchObject({ listed: true });
  });

  it('renewals run on the server clock: a missing entry is added back, one another copy owns is left alone', async () => {
    const clock = new ManualClock();
    const one = await startNode({ presenceTtlMs: 3_000 }, clock);
    const a = await connect(one);
    await join(a);
    const mine = (await entry(a.id)).owner;
    expect(mine).toEqual(expect.any(String));
    // As if it had expired.
    await peek.multi().hdel(key('owners'), a.id).zrem(key('presence'), a.id).zrem(key('roster'), a.id).exec();
    expect(await presence(a)).toEqual({ room: ROOM, members: [], count: 0 });
    clock.advance(999);
    // Ordered after any renewal the clock set off on the same connection.
    expect(await one.store.presence(ROOM, 10)).toEqual({ members: [], count: 0 });
    clock.advance(1);
    expect(await one.store.presence(ROOM, 10)).toEqual({ members: [a.id], count: 1 });
    expect((await entry(a.id)).owner).toBe(mine);

    await peek.hset(key('owners'), a.id, 'a-newer-copy');
    clock.advance(1_000);
    expect(await one.store.presence(ROOM, 10)).toEqual({ members: [a.id], count: 1 });
    expect((await entry(a.id)).owner).toBe('a-newer-copy');
  });

  singleOnly('while Redis is away chat/presence fails "unavailable"; once it is back the members are listed again', async () => {
    const one = await startNode();
    const a = await connect(one);
    await join(a);
    const down = new Promise<void>((resolve) => one.store.on('unavailable', () => resolve()));
    redisStopped = true;
    await backend.server.stop();
    await down;
    await expect(presence(a)).rejects.toMatchObject({ code: 'unavailable' });
    const up = new Promise<void>((resolve) => one.store.on('available', () => resolve()));
    await backend.server.start();
    redisStopped = false;
    await up;
    expect(await presence(a)).toEqual({ room: ROOM, members: [a.id], count: 1 });
  });
});
