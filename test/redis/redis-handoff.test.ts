import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { createServer, type ReferenceServer, type ServerSession } from '../../server';
import { createRedisSessionStore, type RedisSessionStoreOptions } from '../../server/redis/session-store';
import type { SharedSessionStore } from '../../server/sessions/store';
import { type Channel, ConnectionManager, webSocketTransport } from '../../src';
import { CloseCode } from '../../src/codes';
import { Op } from '../../src/wire/protocol';
import { closeClients, next, reach } from '../support/channel-helpers';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { ManualLifecycle } from '../support/harness';
import { ProtocolClient } from '../support/protocol-client';
import { describeOnRedisBackends } from '../support/redis-backends';
import { type RedisWatch, watchRedis } from '../support/redis-watch';
import { type SessionProcess, startSessionProcess } from '../support/session-process';
import { Changes, holds, waitFor } from '../support/wait';

/*
 * A session that moves between live processes is handed over, not snatched (issue 8; SCALING.md "Handoff"): the
 * process that takes it first asks the owner, which writes what it applied and had not stored yet (a write in flight,
 * a journal a Redis outage suspended) and gives the session up. So a client that resumes on ANOTHER process gets the
 * state the first one applied: every RELIABLE message applied exactly once, both ways, provided the first process is
 * alive. A dead owner (its liveness key expired) is not waited for. Run on a single Redis and a three-master Cluster
 * (issue 18); the tests that stop Redis or cut one process's link to it, on the single Redis only.
 */

jest.setTimeout(30_000);

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

interface Client {
  readonly manager: ConnectionManager;
  readonly channel: Channel;
  readonly got: { echo: number[]; down: number[] };
  readonly opens: boolean[];
  readonly retries: (number | undefined)[];
  readonly resyncs: unknown[];
  /** Resolves once `check` holds (checked on every delivery, open and reconnect); rejects after 10 s, naming `what`. */
  until(check: () => boolean, what: string): Promise<void>;
  /** Sends `echo` RELIABLEs `from`..`to`-1; their acknowledgements are collected for {@link acked}. */
  send(from: number, to: number): void;
  /** Every send acknowledged (none refused). */
  acked(): Promise<void>;
}

function connect(url: string): Client {
  const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket), lifecycle: new ManualLifecycle(), random: () => 0.5 });
  const channel = manager.open('raw', { url: `${url}/raw`, reconnect: { baseMs: 20, maxMs: 100 } });
  const got = { echo: [] as number[], down: [] as number[] };
  const opens: boolean[] = [];
  const retries: (number | undefined)[] = [];
  const resyncs: unknown[] = [];
  const changes = new Changes();
  channel.subscribe('echo', (payload) => {
    got.echo.push(payload as number);
    changes.notify();
  });
  channel.subscribe('down', (payload) => {
    got.down.push(payload as number);
    changes.notify();
  });
  channel.on('open', ({ resumed }) => {
    opens.push(resumed);
    changes.notify();
  });
  channel.on('reconnecting', ({ code }) => {
    retries.push(code);
    changes.notify();
  });
  channel.on('resync', (event) => void resyncs.push(event));
  const sends: Promise<void>[] = [];
  return {
    manager,
    channel,
    got,
    opens,
    retries,
    resyncs,
    until: (check, what) => waitFor(what, holds(check, changes), { detail: () => ({ ...got, opens, retries }) }),
    send: (from, to) => sends.push(...range(from, to).map((n) => channel.sendReliable('echo', n))),
    acked: async () => void (await Promise.all(sends)),
  };
}

describeOnRedisBackends('sessions handed over between live processes', (backend, singleOnly) => {
  let prefix = 0;
  /** Whether a test stopped Redis and has not started it again: the next test must not inherit that. */
  let redisStopped = false;
  const servers: ReferenceServer[] = [];
  const stores: SharedSessionStore[] = [];
  const clients: Client[] = [];
  const proxies: FaultProxy[] = [];
  const watches: RedisWatch[] = [];
  const processes: SessionProcess[] = [];

  beforeEach(() => {
    prefix++;
  });
  afterEach(async () => {
    await closeClients(clients);
    await Promise.all(servers.splice(0).map((s) => s.close()));
    // Proxies first: a store behind a black hole would wait for its goodbye forever.
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(watches.splice(0).map((w) => w.close()));
    await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
    if (redisStopped) await backend.server.start();
    redisStopped = false;
  });

  /** One process's worth: a server on its own session store (through `redisPort`, a proxy, if given). */
  const startNode = async (options: { redisPort?: number; store?: Partial<RedisSessionStoreOptions> } = {}) => {
    const target = options.redisPort === undefined ? backend.target() : { url: `redis://127.0.0.1:${options.redisPort}` };
    const store = await createRedisSessionStore({ ...target, prefix: `h${prefix}`, ...options.store });
    stores.push(store);
    const server = createServer({ port: 0, sessionStore: store });
    servers.push(server);
    const up: number[] = [];
    const sessions: ServerSession[] = [];
    const changes = new Changes();
    server.on('echo', (payload, ctx) => {
      up.push(payload as number);
      ctx.session.sendReliable('echo', payload);
      changes.notify();
    });
    server.events.on('connection', ({ session }) => void sessions.push(session));
    const { port } = await server.listen();
    /** Resolves once this process's handlers applied `count` messages. */
    const applied = (count: number) => waitFor(`${count} messages applied`, holds(() => up.length >= count, changes), { detail: () => up });
    return { server, store, port, up, sessions, applied };
  };

  /** A client that reaches the processes through a proxy (its load balancer), first to `port`. */
  const clientOn = async (port: number) => {
    const balancer = await startFaultProxy({ targetPort: port });
    proxies.push(balancer);
    const client = connect(`ws://127.0.0.1:${balancer.port}`);
    clients.push(client);
    await reach(client.channel, 'open');
    return { client, balancer };
  };

  /**
   * A client on process `node` (through its balancer) exchanges 10 echoes; then Redis stops while it sends 10 more,
   * which the process applies before its write fails and it closes the client; then the process sends 5 `down`
   * frames to the session, kept while its client is away.
   */
  const outageOn = async (node: { port: number; sessions: ServerSession[] }) => {
    const { client, balancer } = await clientOn(node.port);
    client.send(0, 10);
    await client.until(() => client.got.echo.length === 10, 'the first 10 echoes');
    await client.acked();
    redisStopped = true;
    await backend.server.stop();
    client.send(10, 20);
    await client.until(() => client.retries.length >= 1, 'the close');
    const session = node.sessions[0] as ServerSession;
    for (let n = 0; n < 5; n++) session.sendReliable('down', n);
    return { client, balancer, session };
  };

  singleOnly('Redis restarted mid-exchange, the client resumes on the OTHER process: every message applied once, in order, both ways', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const { client, balancer, session } = await outageOn(one);
    // From now on the client's connects land on process 2, which refuses them (retryably) while Redis is away.
    balancer.retarget(two.port);
    await client.until(() => client.retries.length >= 3, 'refused resumes');
    expect(client.opens).toEqual([false]);
    expect(one.up.length).toBeGreaterThan(10);
    expect(one.up).toEqual(range(0, one.up.length));
    expect(client.channel.stats().unacked).toBe(10);

    // Redis is back: process 2 asks process 1, which writes what it applied (and the frames it kept) and lets go.
    const resumed = next(client.channel, 'open');
    await backend.server.start();
    redisStopped = false;
    expect((await resumed).resumed).toBe(true);
    client.send(20, 25);
    await client.acked();
    await client.until(() => client.got.echo.length >= 25 && client.got.down.length >= 5, '25 echoes and 5 down');
    expect([...one.up, ...two.up]).toEqual(range(0, 25));
    expect(two.up.length).toBeGreaterThan(0);
    expect(client.got.echo).toEqual(range(0, 25));
    expect(client.got.down).toEqual(range(0, 5));
    expect(client.opens.slice(1).every((r) => r)).toBe(true);
    expect(client.resyncs).toEqual([]);
    // Process 1 gave the session up ('moved'); process 2 holds it.
    expect(session.ended).toBe(true);
    expect([one.server.sessions.size, two.server.sessions.size]).toEqual([0, 1]);
  });

  singleOnly('a process closed once Redis is back writes what it applied before it goes: the client resumes on the other process, every message once', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const { client, balancer, session } = await outageOn(one);
    // The client is kept away until process 1 is gone: no handoff can help here.
    balancer.refuse();
    expect(one.up.length).toBeGreaterThan(10);

    // Redis is back and process 1 shuts down (a deploy): close() first writes what the session applied and kept.
    await backend.server.start();
    redisStopped = false;
    await one.server.close({ code: 4000, reason: 'server restarting' });
    await one.store.close();
    expect(session.ended).toBe(true);

    // The client reaches process 2, which takes the session from Redis at once (process 1 is not alive any more).
    balancer.retarget(two.port);
    const resumed = next(client.channel, 'open');
    balancer.pass();
    expect((await resumed).resumed).toBe(true);
    client.send(20, 25);
    await client.acked();
    await client.until(() => client.got.echo.length >= 25 && client.got.down.length >= 5, '25 echoes and 5 down');
    expect([...one.up, ...two.up]).toEqual(range(0, 25));
    expect(client.got.echo).toEqual(range(0, 25));
    expect(client.got.down).toEqual(range(0, 5));
    expect(client.resyncs).toEqual([]);
  });

  singleOnly('a process closing with a last write still to make answers a handoff only once that write is done: nothing applied twice', async () => {
    const link = await startFaultProxy({ targetPort: backend.server.port });
    proxies.push(link);
    // Process 1 counts as alive throughout (its liveness key outlasts the test); process 2 is patient.
    const one = await startNode({ redisPort: link.port, store: { livenessTtlMs: 60_000 } });
    const two = await startNode({ store: { handoffTimeoutMs: 30_000 } });
    const { client, balancer } = await clientOn(one.port);
    client.send(0, 10);
    await client.until(() => client.got.echo.length === 10, 'the first 10 echoes');
    await client.acked();

    // Process 1 loses Redis while the client keeps sending: it applies what comes before its write fails.
    link.refuse();
    link.reset();
    client.send(10, 20);
    await client.until(() => client.retries.length >= 1, 'the close');
    expect(one.up.length).toBeGreaterThan(10);
    const session = one.sessions[0] as ServerSession;

    // Process 1 shuts down while it still cannot reach Redis: its session's last write waits.
    const watcher = new Redis(backend.server.url);
    const asked = new Promise<void>((resolve) => watcher.on('message', () => resolve()));
    await watcher.subscribe(`ms:h${prefix}:handoff:${one.store.owner}`);
    const closed = one.server.close({ code: 4000, reason: 'server restarting' });
    expect(session.ended).toBe(true);
    // The client reaches process 2, which asks process 1 for the session...
    balancer.retarget(two.port);
    await asked;
    // ...and gets it once process 1's link is back and its last write (applied seqs, frames) is done.
    const resumed = next(client.channel, 'open');
    link.pass();
    await closed;
    expect((await resumed).resumed).toBe(true);
    watcher.disconnect();
    client.send(20, 25);
    await client.acked();
    await client.until(() => client.got.echo.length >= 25, '25 echoes');
    expect([...one.up, ...two.up]).toEqual(range(0, 25));
    expect(client.got.echo).toEqual(range(0, 25));
    expect(client.resyncs).toEqual([]);
  });

  singleOnly('a client moved while process 1 has writes in flight (slow Redis link) gets them applied once, not twice', async () => {
    const slow = await startFaultProxy({ targetPort: backend.server.port });
    proxies.push(slow);
    const one = await startNode({ redisPort: slow.port });
    // Patient: this test is about what process 1 holds, not about a deadline.
    const two = await startNode({ store: { handoffTimeoutMs: 20_000 } });
    const { client, balancer } = await clientOn(one.port);
    client.send(0, 10);
    await client.until(() => client.got.echo.length === 10, 'the first 10 echoes');

    // Process 1's Redis link turns slow: what it applies now is written late.
    slow.latency(150);
    client.send(10, 20);
    await one.applied(20);
    // Applied on process 1, not durable yet: no echo has left.
    expect(client.got.echo.length).toBe(10);

    balancer.retarget(two.port);
    const resumed = next(client.channel, 'open');
    balancer.reset();
    expect((await resumed).resumed).toBe(true);
    client.send(20, 30);
    await client.acked();
    await client.until(() => client.got.echo.length >= 30, '30 echoes');
    expect([...one.up, ...two.up]).toEqual(range(0, 30));
    expect(two.up).toEqual(range(20, 30));
    expect(client.got.echo).toEqual(range(0, 30));
    expect(client.resyncs).toEqual([]);
  });

  singleOnly('an owner that is not alive (cut from Redis: its liveness key expires) is not waited for: the session is taken then', async () => {
    const watch = await watchRedis(backend.urls());
    watches.push(watch);
    const cut = await startFaultProxy({ targetPort: backend.server.port });
    proxies.push(cut);
    const one = await startNode({ redisPort: cut.port, store: { livenessTtlMs: 1_000 } });
    // Longer than this test may run: only the liveness key can end the wait.
    const two = await startNode({ store: { handoffTimeoutMs: 60_000 } });
    const alive = `ms:h${prefix}:process:${one.store.owner}`;
    const { client, balancer } = await clientOn(one.port);
    client.send(0, 10);
    await client.until(() => client.got.echo.length === 10, 'the first 10 echoes');
    await client.acked();

    // Process 1 vanishes from Redis (as a killed process does) while its liveness key still says it is alive.
    cut.refuse();
    cut.reset();
    expect(await watch.redis.exists(alive)).toBe(1);
    const expired = watch.until('expired', alive);
    balancer.retarget(two.port);
    const resumed = next(client.channel, 'open');
    balancer.reset();
    expect((await resumed).resumed).toBe(true);
    await expired;
    client.send(10, 20);
    await client.acked();
    await client.until(() => client.got.echo.length >= 20, '20 echoes');
    expect(one.up).toEqual(range(0, 10));
    expect(two.up).toEqual(range(10, 20));
    expect(client.got.echo).toEqual(range(0, 20));
    expect(client.resyncs).toEqual([]);
  });

  singleOnly('a live owner that does not answer is waited for handoffTimeoutMs, then the session is taken', async () => {
    const watch = await watchRedis(backend.urls());
    watches.push(watch);
    const hole = await startFaultProxy({ targetPort: backend.server.port });
    proxies.push(hole);
    // Alive for longer than this test may run: only the patience of process 2 can end its wait.
    const one = await startNode({ redisPort: hole.port, store: { livenessTtlMs: 60_000 } });
    // Asks every 100 ms: several rounds before the patience ends.
    const two = await startNode({ store: { handoffTimeoutMs: 400 } });
    const { client, balancer } = await clientOn(one.port);
    client.send(0, 10);
    await client.until(() => client.got.echo.length === 10, 'the first 10 echoes');
    await client.acked();
    // What Redis does, in the order it does it, on one connection: the requests published on process 1's channel and
    // every SET of the session's owner key (the take script sets it).
    const ownerKey = `ms:h${prefix}:session:{${(one.sessions[0] as ServerSession).id}}:owner`;
    const order: string[] = [];
    const observer = new Redis(backend.server.url);
    await watch.redis.config('SET', 'notify-keyspace-events', 'Eg$x');
    observer.on('message', (_channel: string, text: string) => void order.push(`ask ${(JSON.parse(text) as string[])[3] ?? ''}`));
    observer.on('pmessage', (_pattern: string, _channel: string, key: string) => void (key === ownerKey && order.push('set owner')));
    await observer.subscribe(`ms:h${prefix}:handoff:${one.store.owner}`);
    await observer.psubscribe('__keyevent@0__:set');
    // Process 1 hears nothing more from Redis, and says nothing: still alive by its key, but silent.
    hole.blackhole();
    balancer.retarget(two.port);
    const resumed = next(client.channel, 'open');
    balancer.reset();
    expect((await resumed).resumed).toBe(true);
    // A SET of the owner key and the notification are one step in Redis: both are heard by now on a round trip.
    await observer.ping();
    observer.disconnect();
    // Process 2 asked process 1 (one ask, published again each round) and took the session only after asking in
    // vain: the first SET of the owner key after the first request is the take (process 1's writes are swallowed).
    const first = order.findIndex((e) => e.startsWith('ask'));
    const take = order.indexOf('set owner', first);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(take).toBeGreaterThan(first);
    const asks = order.slice(first, take);
    expect(asks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(asks).size).toBe(1);
    expect(asks[0]).toMatch(/^ask \S+$/);
    expect(await watch.redis.exists(`ms:h${prefix}:process:${one.store.owner}`)).toBe(1);
    client.send(10, 20);
    await client.acked();
    await client.until(() => client.got.echo.length >= 20, '20 echoes');
    expect([...one.up, ...two.up]).toEqual(range(0, 20));
    expect(client.got.echo).toEqual(range(0, 20));
  });

  it('an owner SIGKILLed is not waited for past its liveness key: the session is taken from what it made durable', async () => {
    const child = await startSessionProcess({ ...backend.env(), REDIS_PREFIX: `h${prefix}`, LIVENESS_TTL_MS: '1000' });
    processes.push(child);
    const two = await startNode({ store: { handoffTimeoutMs: 60_000 } });
    const { client, balancer } = await clientOn(child.port);
    // Paced by the echoes, so that traffic is going on both ways when the kill comes.
    client.send(0, 10);
    let sent = 10;
    client.channel.subscribe('echo', () => {
      if (sent < 100) client.send(sent, ++sent);
    });
    await client.until(() => client.got.echo.length >= 30, '30 echoes');
    balancer.retarget(two.port);
    const resumed = next(client.channel, 'open');
    await child.kill('SIGKILL');
    expect((await resumed).resumed).toBe(true);
    await client.until(() => client.got.echo.length >= 100, '100 echoes');
    await client.acked();
    expect(client.got.echo).toEqual(range(0, 100));
    expect(two.up).toEqual(range(100 - two.up.length, 100));
    expect(client.resyncs).toEqual([]);
  });

  it('a session taken over on another process while its channel is live: the channel gets BYE 4104 and does not come back', async () => {
    const [one, two] = [await startNode(), await startNode({ store: { handoffTimeoutMs: 60_000 } })];
    const { client } = await clientOn(one.port);
    client.send(0, 3);
    await client.acked();
    await client.until(() => client.got.echo.length === 3, '3 echoes');
    const session = client.channel.session as string;
    const terminal = Promise.race([next(client.channel, 'terminal'), next(client.channel, 'reconnecting')]);
    const other = await ProtocolClient.connect(`ws://127.0.0.1:${two.port}/raw`);
    try {
      expect(await other.hello({ channel: 'raw', session, recv: 3 })).toMatchObject({ session, resumed: true });
      expect(await terminal).toEqual({ code: CloseCode.SessionTakenOver, reason: 'session taken over' });
      expect(client.channel.state).toBe('closed');
      other.send([Op.Reliable, 4, 'echo', 3]);
      expect(await other.expect(Op.Reliable)).toEqual([Op.Reliable, 4, 'echo', 3]);
      expect([...one.up, ...two.up]).toEqual([0, 1, 2, 3]);
    } finally {
      await other.close();
    }
  });

  it('a live owner hands the session over without being waited out, there and back; a closed process deletes its liveness key', async () => {
    const watch = await watchRedis(backend.urls());
    watches.push(watch);
    const [one, two] = [await startNode(), await startNode({ store: { handoffTimeoutMs: 60_000 } })];
    const { client, balancer } = await clientOn(one.port);
    client.send(0, 5);
    await client.acked();
    await client.until(() => client.got.echo.length === 5, '5 echoes');
    balancer.retarget(two.port);
    let resumed = next(client.channel, 'open');
    balancer.reset();
    // Handed over (a 60 s patience would fail the test otherwise), and back again.
    expect((await resumed).resumed).toBe(true);
    balancer.retarget(one.port);
    resumed = next(client.channel, 'open');
    balancer.reset();
    expect((await resumed).resumed).toBe(true);
    client.send(5, 10);
    await client.acked();
    await client.until(() => client.got.echo.length >= 10, '10 echoes');
    expect([...one.up, ...two.up].sort((a, b) => a - b)).toEqual(range(0, 10));
    const alive = `ms:h${prefix}:process:${two.store.owner}`;
    expect(await watch.redis.exists(alive)).toBe(1);
    const gone = watch.until('del', alive);
    await two.server.close();
    await two.store.close();
    await gone;
  });
});
