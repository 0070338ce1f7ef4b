import { createServer, type ReferenceServer } from '../../server';
import { createRedisSessionStore, type RedisSessionStoreOptions } from '../../server/redis/session-store';
import type { SharedSessionStore } from '../../server/sessions/store';
import { Op } from '../../src/wire/protocol';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { ManualClock } from '../support/manual-clock';
import { ProtocolClient } from '../support/protocol-client';
import { type RedisServer, startRedisServer } from '../support/redis-server';
import { describeWithRedis } from '../support/redis-suite';
import { type RedisWatch, watchRedis } from '../support/redis-watch';
import { type SessionProcess, startSessionProcess } from '../support/session-process';

/*
 * The memory of ended sessions on Redis (issue 8; PROTOCOL.md section 5, WELCOME `previousRecv`): a client that comes
 * back too late to ANY process is told what its ended session had applied, whether the process that held the session
 * ended it (its resume window ran out) or vanished without ending anything (cut from Redis, as a killed process is).
 */

jest.setTimeout(30_000);

describeWithRedis('ended sessions remembered on Redis', () => {
  let redis: RedisServer;
  let watch: RedisWatch;
  let prefix = 0;
  const servers: ReferenceServer[] = [];
  const stores: SharedSessionStore[] = [];
  const clients: ProtocolClient[] = [];
  const proxies: FaultProxy[] = [];
  const processes: SessionProcess[] = [];

  beforeAll(async () => {
    redis = await startRedisServer({ durable: false });
    watch = await watchRedis(redis.url);
  });
  afterAll(async () => {
    await watch.close();
    await redis.close();
  });
  beforeEach(() => {
    prefix++;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
  });

  const key = (id: string, part = '') => `ms:l${prefix}:session:{${id}}${part}`;

  /** A server on its own session store; `applied` records what its handlers applied. */
  const startNode = async (options: { clock?: ManualClock; resumeWindowMs?: number; redisUrl?: string; store?: Partial<RedisSessionStoreOptions> } = {}) => {
    const sessionStore = await createRedisSessionStore({ url: options.redisUrl ?? redis.url, prefix: `l${prefix}`, ...options.store });
    stores.push(sessionStore);
    const server = createServer({
      port: 0,
      sessionStore,
      clock: options.clock,
      resumeWindowMs: options.resumeWindowMs ?? 30_000,
      // An ACK for every message, at once: the client knows what is durable.
      reliable: { ackEvery: 1, ackDelayMs: 0 },
    });
    servers.push(server);
    const applied: number[] = [];
    server.on('work', (payload) => void applied.push(payload as number));
    const { url } = await server.listen();
    return { server, url, applied, store: sessionStore };
  };

  const connect = async (url: string): Promise<ProtocolClient> => {
    const client = await ProtocolClient.connect(`${url}/raw`);
    clients.push(client);
    return client;
  };

  /** Opens a session on `url`, has three RELIABLE messages applied and acknowledged (durable), and leaves. */
  const sessionWithThree = async (url: string): Promise<string> => {
    const client = await connect(url);
    const welcome = await client.hello({ channel: 'work' });
    client.send([Op.Reliable, 1, 'work', 1], [Op.Reliable, 2, 'work', 2], [Op.Reliable, 3, 'work', 3]);
    await client.nextMatching((frame) => frame[0] === Op.Ack && frame[1] === 3);
    await client.close();
    return welcome.session;
  };

  it('a session whose resume window ran out on process 1 is resumed on process 2 as resumed:false with its previousRecv', async () => {
    const clock = new ManualClock();
    const one = await startNode({ clock, store: { lostSessionMemoryMs: 60_000 } });
    const two = await startNode();
    const ended = new Promise<string>((resolve) => one.server.events.on('sessionEnd', ({ reason }) => resolve(reason)));
    const detached = new Promise<void>((resolve) => one.server.events.on('disconnect', () => resolve()));
    const id = await sessionWithThree(one.url);
    await detached;
    expect(one.applied).toEqual([1, 2, 3]);
    // The window ends on process 1's clock: it ends the session, and the store keeps what it had applied.
    const removed = watch.until('del', key(id, ':owner'));
    clock.advance(30_000);
    expect(await ended).toBe('expired');
    await removed;
    // Bounded: the stored session is cut down to what previousRecv needs, and expires.
    expect(await watch.redis.hgetall(key(id))).toEqual({ channel: 'work', recv: '3' });
    expect(await watch.redis.exists(key(id, ':owner'), key(id, ':frames'))).toBe(0);
    const ttl = await watch.redis.pttl(key(id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);

    const late = await connect(two.url);
    const welcome = await late.hello({ channel: 'work', session: id, recv: 0 });
    expect(welcome).toMatchObject({ resumed: false, recv: 0, previousRecv: 3 });
    expect(welcome.session).not.toBe(id);
    // Process 2 knew nothing of the session itself: the answer came from Redis.
    expect(two.server.sessions.size).toBe(1);
    // Another channel's client presenting the id is told nothing.
    const other = await connect(two.url);
    expect((await other.hello({ channel: 'chat', session: id, recv: 0 })).previousRecv).toBeUndefined();
  });

  it('a session whose process vanished (cut from Redis, ending nothing) is remembered once its window passes on Redis', async () => {
    const link = await startFaultProxy({ targetPort: redis.port });
    proxies.push(link);
    // Process 1's clock never moves: it never ends the session itself, as a killed process would not.
    const one = await startNode({ clock: new ManualClock(), resumeWindowMs: 1_000, redisUrl: `redis://127.0.0.1:${link.port}` });
    const two = await startNode({ resumeWindowMs: 1_000 });
    const detached = new Promise<void>((resolve) => one.server.events.on('disconnect', () => resolve()));
    const id = await sessionWithThree(one.url);
    await detached;
    // Process 1 loses Redis for good, right after its last write (the detach) started the window there.
    const windowOver = watch.until('expired', key(id, ':owner'));
    link.refuse();
    link.reset();
    await windowOver;
    expect(one.server.sessions.size).toBe(1);

    const late = await connect(two.url);
    const welcome = await late.hello({ channel: 'work', session: id, recv: 0 });
    expect(welcome).toMatchObject({ resumed: false, recv: 0, previousRecv: 3 });
    // Kept past the window only for the memory's time, never for good.
    const ttl = await watch.redis.pttl(key(id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000);
  });

  it('a session whose process was SIGKILLed is remembered once its window passes on Redis', async () => {
    const child = await startSessionProcess({ REDIS_URL: redis.url, REDIS_PREFIX: `l${prefix}`, RESUME_WINDOW_MS: '1000' });
    processes.push(child);
    const two = await startNode({ resumeWindowMs: 1_000 });
    const id = await sessionWithThree(`ws://127.0.0.1:${child.port}`);
    const windowOver = watch.until('expired', key(id, ':owner'));
    await child.kill('SIGKILL');
    await windowOver;
    const late = await connect(two.url);
    expect(await late.hello({ channel: 'work', session: id, recv: 0 })).toMatchObject({ resumed: false, recv: 0, previousRecv: 3 });
  });

  it('a session ended while its process cannot reach Redis has its remove retried once Redis is back: the previousRecv elsewhere counts what it applied', async () => {
    const link = await startFaultProxy({ targetPort: redis.port });
    proxies.push(link);
    const clock = new ManualClock();
    const one = await startNode({ clock, resumeWindowMs: 1_000, redisUrl: `redis://127.0.0.1:${link.port}` });
    const two = await startNode({ resumeWindowMs: 1_000 });
    const client = await connect(one.url);
    const welcome = await client.hello({ channel: 'work' });
    const id = welcome.session;
    client.send([Op.Reliable, 1, 'work', 1], [Op.Reliable, 2, 'work', 2], [Op.Reliable, 3, 'work', 3]);
    await client.nextMatching((frame) => frame[0] === Op.Ack && frame[1] === 3);
    expect(await watch.redis.hget(key(id), 'recv')).toBe('3');

    // Process 1 loses Redis; what it applies now cannot be stored, and its client is closed (4000).
    link.refuse();
    link.reset();
    const detached = new Promise<void>((resolve) => one.server.events.on('disconnect', () => resolve()));
    // One at a time until a write fails (the first may still land, before process 1 sees its link gone).
    let stored = 3;
    for (let seq = 4; seq < 50; seq++) {
      client.send([Op.Reliable, seq, 'work', seq]);
      const frame = await client.nextMatching((f) => f[0] === Op.Ack || f[0] === Op.Bye);
      if (frame[0] === Op.Bye) break;
      stored = seq;
    }
    await detached;
    const applied = one.applied.length;
    expect(applied).toBe(stored + 1);
    // The window ends on process 1's clock while Redis is still away: its remove fails.
    const ended = new Promise<string>((resolve) => one.server.events.on('sessionEnd', ({ reason }) => resolve(reason)));
    clock.advance(1_000);
    expect(await ended).toBe('expired');
    expect(await watch.redis.hget(key(id), 'recv')).toBe(String(stored));

    // Redis is back for process 1: the kept remove is made (the hash is cut down to channel and the recv applied).
    const removed = watch.until('del', key(id), 10_000);
    link.pass();
    await removed;
    expect(await watch.redis.hgetall(key(id))).toEqual({ channel: 'work', recv: String(applied) });
    const late = await connect(two.url);
    expect(await late.hello({ channel: 'work', session: id, recv: 0 })).toMatchObject({ resumed: false, recv: 0, previousRecv: applied });
  });

  it('past lostSessionMemoryMs Redis forgets the session: a late client gets neither its session nor previousRecv', async () => {
    const clock = new ManualClock();
    const one = await startNode({ clock, store: { lostSessionMemoryMs: 200 } });
    const two = await startNode();
    const detached = new Promise<void>((resolve) => one.server.events.on('disconnect', () => resolve()));
    const id = await sessionWithThree(one.url);
    await detached;
    const forgotten = watch.until('expired', key(id));
    clock.advance(30_000);
    await forgotten;
    const late = await connect(two.url);
    const welcome = await late.hello({ channel: 'work', session: id, recv: 0 });
    expect(welcome.resumed).toBe(false);
    expect(welcome.previousRecv).toBeUndefined();
  });
});
