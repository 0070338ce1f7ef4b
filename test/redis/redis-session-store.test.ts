import { Redis } from 'ioredis';
import { createRedisSessionStore } from '../../server/redis/session-store';
import type { SharedSessionStore } from '../../server/sessions/store';
import { type RedisServer, startRedisServer } from '../support/redis-server';
import { describeWithRedis } from '../support/redis-suite';
import { Changes, holds, waitFor } from '../support/wait';

/*
 * The Redis session store's scripts and handoff messages, driven directly (no server): a process that plays the other
 * side is a few keys and a pub/sub connection set up by the test. SCALING.md "Sessions on Redis (phase 2)", "Handoff".
 */

jest.setTimeout(30_000);

/** A pub/sub connection that records what it hears, in order, and waits for a message that matches. */
interface Listener {
  readonly heard: { channel: string; message: unknown[] }[];
  /** Resolves with the first message from index `from` on that matches; rejects after 10 s. */
  until(match: (channel: string, message: unknown[]) => boolean, from?: number): Promise<unknown[]>;
  close(): void;
}

async function listen(url: string, channels: string[]): Promise<Listener> {
  const redis = new Redis(url);
  const heard: { channel: string; message: unknown[] }[] = [];
  const changes = new Changes();
  redis.on('message', (channel: string, text: string) => {
    heard.push({ channel, message: JSON.parse(text) as unknown[] });
    changes.notify();
  });
  await redis.subscribe(...channels);
  const found = (match: (channel: string, message: unknown[]) => boolean, from: number) =>
    heard.slice(from).find((h) => match(h.channel, h.message));
  return {
    heard,
    until: async (match, from = 0) => {
      await waitFor('a matching message', holds(() => found(match, from) !== undefined, changes), { detail: () => heard });
      return (found(match, from) as { message: unknown[] }).message;
    },
    close: () => redis.disconnect(),
  };
}

describeWithRedis('the Redis session store', () => {
  let redis: RedisServer;
  let direct: Redis;
  let prefix = 0;
  const stores: SharedSessionStore[] = [];
  const listeners: Listener[] = [];

  beforeAll(async () => {
    redis = await startRedisServer({ durable: false });
    direct = new Redis(redis.url);
  });
  afterAll(async () => {
    await direct.quit();
    await redis.close();
  });
  beforeEach(() => {
    prefix++;
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    for (const l of listeners.splice(0)) l.close();
  });

  const p = () => `s${prefix}`;
  const key = (id: string, part = '') => `ms:${p()}:session:{${id}}${part}`;
  const channel = (owner: string) => `ms:${p()}:handoff:${owner}`;
  const open = async (handoffTimeoutMs = 20_000) => {
    const store = await createRedisSessionStore({ url: redis.url, prefix: p(), handoffTimeoutMs });
    stores.push(store);
    return store;
  };
  const meta = { channel: 'work', publicId: 'p1', user: undefined };
  const frame = (seq: number) => ({ seq, frame: new Uint8Array([seq]) });

  it('a late "released" answer from an earlier ask does not end the current one: the session is taken only on its own answer', async () => {
    const store = await open();
    // The owner: a live process (its liveness key) that holds session `a`, played by the test.
    const owner = 'other';
    await direct.hset(key('a'), { channel: 'work', publicId: 'p1', recv: '4', acked: '0', next: '1' });
    await direct.set(key('a', ':owner'), owner, 'PX', 60_000);
    await direct.set(`ms:${p()}:process:${owner}`, '1', 'PX', 60_000);
    const listener = await listen(redis.url, [channel(owner), channel('probe')]);
    listeners.push(listener);

    const take = store.take('a', 30_000);
    const request = await listener.until((c) => c === channel(owner));
    expect(request.slice(0, 3)).toEqual(['release', store.owner, 'a']);
    const nonce = request[3];
    expect(typeof nonce).toBe('string');

    // An answer to an earlier ask for the same session arrives late...
    await direct.publish(channel(store.owner), JSON.stringify(['released', 'a', 'an-earlier-ask']));
    // ...then a request the store answers at once (it holds no session `probe`): its answer proves the late one was heard.
    await direct.publish(channel(store.owner), JSON.stringify(['release', 'probe', 'b', 'n']));
    await listener.until((c, m) => c === channel('probe') && m[1] === 'b');
    const from = listener.heard.length;
    // Still asking (every request published from now on was sent after the late answer was heard), not taken.
    const next = await Promise.race([take.then(() => 'taken'), listener.until((c) => c === channel(owner), from).then((m) => m)]);
    expect(next).toEqual(['release', store.owner, 'a', nonce]);
    expect(await direct.get(key('a', ':owner'))).toBe(owner);

    // The owner answers this ask: the session is taken.
    await direct.publish(channel(store.owner), JSON.stringify(['released', 'a', nonce]));
    const taken = await take;
    expect(taken && !taken.ended && taken.session.recv).toBe(4);
    expect(await direct.get(key('a', ':owner'))).toBe(store.owner);
  });

  it("a request's answer echoes its nonce", async () => {
    const store = await open();
    const listener = await listen(redis.url, [channel('asker')]);
    listeners.push(listener);
    await direct.publish(channel(store.owner), JSON.stringify(['release', 'asker', 'x', 'n1']));
    expect(await listener.until((_c, m) => m[1] === 'x')).toEqual(['released', 'x', 'n1']);
  });

  it("a repair carrying a new session's meta does not re-create a session whose window passed on Redis; a new one is created", async () => {
    const store = await open();
    // The session's first write landed (its answer was lost: the process repairs it later, meta included).
    expect(await store.write('a', { meta, recv: 2, nextSeq: 2, frames: [frame(1)] }, 30_000)).toBe(true);
    // Its window passes on Redis: the owner key is gone, the hash stays (what previousRecv reports).
    await direct.del(key('a', ':owner'));
    const before = await direct.hgetall(key('a'));
    // The late repair: refused (the journal ends its copy as lost), nothing reset or revived.
    expect(await store.write('a', { meta, recv: 3, acked: 1, nextSeq: 3, frames: [frame(2)] }, 30_000)).toBe(false);
    expect(await direct.exists(key('a', ':owner'))).toBe(0);
    expect(await direct.hgetall(key('a'))).toEqual({ ...before, recv: '3' });
    // Ended everywhere, remembering the most it applied.
    expect(await store.take('a', 30_000)).toEqual({ ended: true, channel: 'work', recv: 3 });

    // A session Redis never had is created by its first write.
    expect(await store.write('b', { meta, recv: 1, frames: [] }, 30_000)).toBe(true);
    expect(await store.take('b', 30_000)).toMatchObject({ wasMine: true, session: { channel: 'work', recv: 1, acked: 0, nextSeq: 1 } });
  });

  it('a remove never moves the remembered recv backwards (a retried remove, an older one)', async () => {
    const store = await open();
    expect(await store.write('a', { meta, recv: 7, frames: [] }, 30_000)).toBe(true);
    await store.remove('a', 5);
    expect(await direct.hgetall(key('a'))).toEqual({ channel: 'work', recv: '7' });
    await store.remove('a', 3);
    expect(await direct.hgetall(key('a'))).toEqual({ channel: 'work', recv: '7' });
    await store.remove('a', 9);
    expect(await direct.hgetall(key('a'))).toEqual({ channel: 'work', recv: '9' });
    expect(await store.take('a', 30_000)).toEqual({ ended: true, channel: 'work', recv: 9 });
  });
});
