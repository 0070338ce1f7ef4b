import type { Said } from '../../channels';
import { closeAndWait, next } from '../support/channel-helpers';
import type { RedisServer } from '../support/redis-server';
import { describeWithRedis, redisServerPerSuite } from '../support/redis-suite';
import { startServerProcess, type ServerProcess } from '../support/server-process';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { expectOnceInOrder, ROOM, talk, type Talker, talker } from '../support/talkers';
import { waitFor } from '../support/wait';

/*
 * A deploy: SIGTERM to the built server (`--redis`) holding chat sessions while their clients talk. The closing process
 * leaves the sessions in Redis; its clients resume them on another process (WELCOME `resumed`) and must still be in
 * their rooms there: every line once, in id order, on every client, and their says keep being answered.
 */

jest.setTimeout(60_000);

describeWithRedis('SIGTERM to a process holding chat sessions on Redis (a deploy)', () => {
  let redis: RedisServer;
  let prefix = 0;
  const talkers: Talker[] = [];
  const processes: ServerProcess[] = [];
  const proxies: FaultProxy[] = [];

  redisServerPerSuite((r) => (redis = r), {}, () => void prefix++);
  afterEach(async () => {
    for (const t of talkers.splice(0)) await closeAndWait(t.chat.channel, () => t.manager.close());
    await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  it('its clients resume on another process still in their rooms: every line once, in order, every say answered', async () => {
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: `sigterm${prefix}` };
    const [closing, staying] = await Promise.all([startServerProcess(0, env), startServerProcess(0, env)]);
    processes.push(closing, staying);
    const proxy = await startFaultProxy({ targetPort: closing.port });
    proxies.push(proxy);
    const movers = [await talker('a', `ws://127.0.0.1:${proxy.port}`), await talker('b', `ws://127.0.0.1:${proxy.port}`)];
    const witness = await talker('w', staying.url);
    const all = [...movers, witness];
    talkers.push(...all);
    const LINES = 60;
    for (const t of all) talk(t, LINES, 4);
    // Mid-conversation: each mover has heard some of its own lines, the rest are on their way or still to be said.
    await Promise.all(movers.map((t) => t.heard(10)));
    // The deploy: the load balancer sends the next connects to the other process, and the first one is told to stop.
    proxy.retarget(staying.port);
    const resumed = movers.map((t) => next(t.chat.channel, 'open'));
    expect(await closing.kill('SIGTERM')).toBe(0);
    for (const open of await Promise.all(resumed)) expect(open.resumed).toBe(true);
    for (const t of movers) expect(t.received.length).toBeLessThan(3 * LINES);
    await Promise.all(all.map((t) => t.until(3 * LINES)));
    // Every say of every talker is answered with an id of its own (one refused `not_member` would be rejected).
    const answers = await waitFor<PromiseSettledResult<Said>[]>('every say answered', (done) => {
      void Promise.allSettled(all.flatMap((t) => t.says)).then(done);
      return () => undefined;
    });
    expect(answers.filter((answer) => answer.status === 'rejected')).toEqual([]);
    expect(new Set(answers.map((answer) => (answer.status === 'fulfilled' ? answer.value.id : 0))).size).toBe(3 * LINES);
    const bodies = all.flatMap((t) => Array.from({ length: LINES }, (_, n) => `${t.name}-${n}`));
    const reference = witness.received.map((m) => m.id);
    for (const t of all) {
      expectOnceInOrder(t, bodies, reference);
      expect(t.resyncs).toEqual([]);
    }
    // Members of the room on the process they moved to: every talker is listed once.
    const froms = new Set(all.map((t) => t.received.find((m) => String(m.body).startsWith(`${t.name}-`))?.from));
    const presence = await movers[0]?.chat.presence(ROOM);
    expect(presence?.count).toBe(3);
    expect(new Set(presence?.members)).toEqual(froms);
  });
});
