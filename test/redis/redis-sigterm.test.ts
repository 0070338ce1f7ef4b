import WebSocket from 'ws';
import { ConnectionManager, RemoteError, webSocketTransport } from '../../src';
import { type ChatChannel, chatChannel, type ChatMessage, type Said } from '../../channels';
import { closeAndWait, next, reach } from '../support/channel-helpers';
import { ManualLifecycle } from '../support/harness';
import type { RedisServer } from '../support/redis-server';
import { describeWithRedis, redisServerPerSuite } from '../support/redis-suite';
import { startServerProcess, type ServerProcess } from '../support/server-process';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { Changes, holds, waitFor } from '../support/wait';
import { wireIds } from '../support/chat-wire';

/*
 * A deploy: SIGTERM to the built server (`--redis`) holding chat sessions while their clients talk. The closing process
 * leaves the sessions in Redis; its clients resume them on another process (WELCOME `resumed`) and must still be in
 * their rooms there: every line once, in id order, on every client, and their says keep being answered.
 */

const ROOM = 'lobby';
jest.setTimeout(60_000);

interface Talker {
  readonly name: string;
  readonly chat: ChatChannel;
  readonly manager: ConnectionManager;
  /** Every message delivered by the preset, in order. */
  readonly received: ChatMessage[];
  /** The id of every `room/<room>/message` that reached the channel, before the preset's own dedupe by id. */
  readonly wire: number[];
  /** Each say's answer, in the order said. */
  readonly says: Promise<Said>[];
  /** The code of every say refused. */
  readonly refused: string[];
  readonly resyncs: unknown[];
  /** Resolves once `count` messages have been delivered in all. */
  until(count: number): Promise<void>;
  /** Resolves once `count` of its own lines have come back to it through the room. */
  heard(count: number): Promise<void>;
}

async function talker(name: string, url: string): Promise<Talker> {
  const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket), lifecycle: new ManualLifecycle(), random: () => 0 });
  const chat = chatChannel({ manager, url: `${url}/chat`, reconnect: { baseMs: 10, maxMs: 50 } });
  const received: ChatMessage[] = [];
  const wire: number[] = [];
  const resyncs: unknown[] = [];
  const refused: string[] = [];
  const changes = new Changes();
  wireIds(chat.channel, ROOM, wire);
  chat.channel.on('resync', (event) => void resyncs.push(event));
  chat.onMessage(ROOM, (message) => {
    received.push(message);
    changes.notify();
  });
  await reach(chat.channel, 'open');
  await chat.join(ROOM);
  const own = () => received.filter((m) => String(m.body).startsWith(`${name}-`)).length;
  const wait = (what: string, check: () => boolean) => waitFor(`${name}: ${what}`, holds(check, changes), { detail: () => ({ refused, received: received.map((m) => m.body) }) });
  return {
    name,
    chat,
    manager,
    received,
    wire,
    says: [],
    refused,
    resyncs,
    until: (count) => wait(`${count} messages`, () => received.length >= count),
    heard: (count) => wait(`${count} of its own lines`, () => own() >= count),
  };
}

/**
 * `talker` says `lines` lines, `window` at a time: the next goes when one of its own comes back through the room, so
 * that it keeps talking across the move whether or not a `chat/said` is on its way.
 */
function talk(t: Talker, lines: number, window: number): void {
  let said = 0;
  const say = () => {
    const answer = t.chat.say(ROOM, `${t.name}-${said++}`);
    // Awaited by the test; a test that failed closes the channel with says pending, which is no news.
    answer.catch((error: unknown) => void t.refused.push(error instanceof RemoteError ? error.code : String(error)));
    t.says.push(answer);
  };
  t.chat.onMessage(ROOM, (message) => {
    if (String(message.body).startsWith(`${t.name}-`) && said < lines && t.chat.channel.state !== 'closing' && t.chat.channel.state !== 'closed') say();
  });
  while (said < Math.min(window, lines)) say();
}

/** Ids strictly increasing, each message once, the same sequence as `reference`, and the preset had nothing to hide. */
function expectOnceInOrder(t: Talker, bodies: readonly string[], reference: readonly number[]): void {
  const ids = t.received.map((m) => m.id);
  for (let i = 1; i < ids.length; i++) expect(ids[i] as number).toBeGreaterThan(ids[i - 1] as number);
  expect(t.received.map((m) => m.body).sort()).toEqual([...bodies].sort());
  expect(ids).toEqual(reference);
  expect(t.wire).toEqual(ids);
}

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
