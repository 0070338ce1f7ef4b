import Redis from 'ioredis';
import { createServer, type Game, type GameBroker, installGame, type ReferenceServer } from '../../server';
import { createRedisGameBroker } from '../../server/redis/game-broker';
import { createRedisSessionStore } from '../../server/redis/session-store';
import type { SharedSessionStore } from '../../server/sessions/store';
import { ConnectionManager, wxTransport } from '../../src';
import { type GameChannel, gameChannel, type GameState } from '../../channels';
import { closeAndWait, next, reach } from '../support/channel-helpers';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import type { RedisServer } from '../support/redis-server';
import { describeWithRedis, redisServerPerSuite } from '../support/redis-suite';
import { waitFor } from '../support/wait';
import { createWxEmulator, type WxEmulator } from '../support/wx-emulator';

/*
 * The game across server processes on a real Redis (issue 8): sessions on the Redis session store and the world on
 * the Redis game broker. A player whose connection moves to another process goes on there where it was (position and
 * lastInput), players on different processes see each other, and a process whose broker link is cut has its players
 * vanish from the others' state after the timeout, and come back when the link does. Real time end to end: every
 * wait is for an event or a state, bounded.
 */

jest.setTimeout(60_000);

type Players = Record<string, { x: number; y: number }>;
type State = GameState<Players>;

interface Node {
  readonly server: ReferenceServer;
  readonly port: number;
  readonly game: Game;
  readonly broker: GameBroker;
  /** The broker's `unavailable` / `available` events, in order. */
  readonly brokerEvents: string[];
}

interface Client {
  readonly emulator: WxEmulator;
  readonly manager: ConnectionManager;
  readonly game: GameChannel;
  readonly id: string;
  /** Every `game/state` received, with the number of opens the channel had when it arrived. */
  readonly states: { opens: number; state: State }[];
  /** Resolves with the first state from now on that passes `test`; fails after a bound naming `what`. */
  until(what: string, test: (state: State) => boolean): Promise<State>;
}

describeWithRedis('the game across server processes on Redis', () => {
  let redis: RedisServer;
  let prefix = 0;
  const servers: ReferenceServer[] = [];
  const closers: { close(): Promise<void> }[] = [];
  const clients: Client[] = [];
  const proxies: FaultProxy[] = [];

  redisServerPerSuite((r) => (redis = r), { durable: false });
  beforeEach(() => {
    prefix++;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) {
      await closeAndWait(c.game.channel, () => c.manager.close());
      await c.emulator.dispose();
    }
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(closers.splice(0).map((c) => c.close()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  /** One process's worth: sessions and the game world on Redis (the broker through `brokerUrl` if given). */
  const startNode = async (brokerUrl = redis.url, sessionUrl = redis.url): Promise<Node> => {
    const sessionStore: SharedSessionStore = await createRedisSessionStore({ url: sessionUrl, prefix: `g${prefix}` });
    closers.push(sessionStore);
    const broker = await createRedisGameBroker({ url: brokerUrl, prefix: `g${prefix}` });
    closers.push(broker);
    const brokerEvents: string[] = [];
    broker.on('unavailable', () => void brokerEvents.push('unavailable'));
    broker.on('available', () => void brokerEvents.push('available'));
    const server = createServer({ port: 0, sessionStore });
    servers.push(server);
    const game = installGame(server, { broker, tickHz: 50 });
    const { port } = await server.listen();
    return { server, port, game, broker, brokerEvents };
  };

  /** A game preset on the wx emulator, joined: `port` is the server's, or a proxy's in front of it. */
  const connect = async (port: number): Promise<Client> => {
    const emulator = createWxEmulator();
    const manager = new ConnectionManager({ transport: wxTransport(emulator), random: () => 0 });
    const game = gameChannel({ manager, url: `wss://127.0.0.1:${port}/game`, tickMs: 10, reconnect: { baseMs: 10, maxMs: 50 } });
    let opens = 0;
    game.channel.on('open', () => void opens++);
    const states: { opens: number; state: State }[] = [];
    const waiters = new Set<(state: State) => void>();
    game.onState<Players>((state) => {
      states.push({ opens, state });
      for (const waiter of [...waiters]) waiter(state);
    });
    const until = (what: string, test: (state: State) => boolean) =>
      waitFor<State>(what, (done) => {
        const waiter = (state: State) => void (test(state) && done(state));
        waiters.add(waiter);
        return () => void waiters.delete(waiter);
      });
    await reach(game.channel, 'open');
    const { id } = await game.channel.request<{ id: string }>('game/join', null);
    const client: Client = { emulator, manager, game, id, states, until };
    clients.push(client);
    return client;
  };

  const brokerEvent = (node: Node, event: 'unavailable' | 'available') =>
    waitFor<void>(`the broker's ${event} event`, (done) => node.broker.on(event, () => done()));

  it('a client on each process sees both players in game/state', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const alice = await connect(one.port);
    const bob = await connect(two.port);
    expect(alice.id).not.toBe(bob.id);
    alice.game.sendInput({ dx: 3 });
    bob.game.sendInput({ dy: -4 });
    const world = { [alice.id]: { x: 3, y: 0 }, [bob.id]: { x: 0, y: -4 } };
    const [seenByAlice, seenByBob] = await Promise.all([
      alice.until('alice to see both players', (s) => s.lastInput === 1 && Object.keys(s.players).length === 2 && s.players[bob.id]?.y === -4),
      bob.until('bob to see both players', (s) => s.lastInput === 1 && Object.keys(s.players).length === 2 && s.players[alice.id]?.x === 3),
    ]);
    expect(seenByAlice.players).toEqual(world);
    expect(seenByBob.players).toEqual(world);
    expect([one.game.players, one.game.remotePlayers, two.game.players, two.game.remotePlayers]).toEqual([1, 1, 1, 1]);
  });

  it('a player moved to another process goes on where it was: same id, position and lastInput; stale inputs ignored, new ones applied once', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const proxy = await startFaultProxy({ targetPort: one.port });
    proxies.push(proxy);
    const alice = await connect(proxy.port);
    const bob = await connect(two.port);
    for (const dx of [1, 2, 3]) alice.game.sendInput({ dx });
    await alice.until('alice at x 6 after input 3', (s) => s.lastInput === 3 && s.players[alice.id]?.x === 6);
    await bob.until('bob to see alice at x 6', (s) => s.players[alice.id]?.x === 6);
    const bobFrom = bob.states.length;

    proxy.retarget(two.port);
    const resumed = next(alice.game.channel, 'open');
    proxy.reset();
    expect((await resumed).resumed).toBe(true);
    // The first state from process two: the player restored from its session, not a new one at the origin.
    const first = alice.states.find((entry) => entry.opens === 2)?.state ?? (await alice.until('a state after the move', () => true));
    expect(first.lastInput).toBe(3);
    expect(first.players[alice.id]).toEqual({ x: 6, y: 0 });
    expect(two.game.players).toBe(2);

    // Stale seqs (at or below the restored lastInput) are ignored there too; new ones apply once.
    alice.game.channel.send('game/input', { seq: 2, dx: 100 }, { policy: 'queue' });
    alice.game.channel.send('game/input', { seq: 3, dx: 100 }, { policy: 'queue' });
    expect(alice.game.sendInput({ dx: 4 })).toBe(4);
    alice.game.channel.send('game/input', { seq: 4, dx: 100 }, { policy: 'queue' });
    expect(alice.game.sendInput({ dx: 1 })).toBe(5);
    const moved = await alice.until('alice to have input 5 applied', (s) => s.lastInput === 5);
    expect(moved.players).toEqual({ [alice.id]: { x: 11, y: 0 }, [bob.id]: { x: 0, y: 0 } });
    await bob.until('bob to see alice at x 11', (s) => s.players[alice.id]?.x === 11);

    // Bob saw one alice all along: the same id, never back at the origin, only where she was.
    const seen = bob.states.slice(bobFrom).map(({ state }) => state.players);
    for (const players of seen) expect(Object.keys(players).every((id) => id === alice.id || id === bob.id)).toBe(true);
    const xs = [...new Set(seen.map((players) => players[alice.id]?.x).filter((x) => x !== undefined))];
    expect(xs).toEqual([6, 10, 11].filter((x) => xs.includes(x)));
    expect(xs).toContain(11);
  });

  it('a process whose broker link is cut: its players vanish from the others after the timeout, it plays on alone, and the world joins up when the link is back', async () => {
    const link = await startFaultProxy({ targetPort: redis.port });
    proxies.push(link);
    const one = await startNode(`redis://127.0.0.1:${link.port}`);
    const two = await startNode();
    const alice = await connect(one.port);
    const bob = await connect(two.port);
    await Promise.all([
      alice.until('alice to see bob', (s) => bob.id in s.players),
      bob.until('bob to see alice', (s) => alice.id in s.players),
    ]);

    const down = brokerEvent(one, 'unavailable');
    link.refuse();
    link.reset();
    await down;
    // Nothing heard from process one any more: bob's state drops alice once the remote timeout has passed.
    await bob.until('alice to vanish from bob\'s state', (s) => !(alice.id in s.players));
    expect(two.game.remotePlayers).toBe(0);
    // Process one goes on with its own players: alice's inputs still apply, and bob is gone from her state too.
    alice.game.sendInput({ dx: 5 });
    const alone = await alice.until('alice to play on alone', (s) => s.lastInput === 1 && !(bob.id in s.players));
    expect(alone.players).toEqual({ [alice.id]: { x: 5, y: 0 } });

    const up = brokerEvent(one, 'available');
    link.pass();
    await up;
    await Promise.all([
      alice.until('alice to see bob again', (s) => bob.id in s.players),
      bob.until('bob to see alice again, where she went meanwhile', (s) => s.players[alice.id]?.x === 5),
    ]);
    expect(one.brokerEvents).toEqual(['unavailable', 'available']);
    expect(two.brokerEvents).toEqual([]);
  });

  it('a process whose session store loses Redis keeps its moving players connected, and stores their notes when Redis is back', async () => {
    const link = await startFaultProxy({ targetPort: redis.port });
    proxies.push(link);
    const one = await startNode(redis.url, `redis://127.0.0.1:${link.port}`);
    const alice = await connect(one.port);
    const session = alice.game.channel.session as string;
    const hash = `ms:g${prefix}:session:{${session}}`;
    // The note as Redis holds it, read again at each write to the session's hash (keyspace notifications), no polling.
    const reader = new Redis(redis.url);
    const watcher = new Redis(redis.url);
    closers.push({ close: async () => void (reader.disconnect(), watcher.disconnect()) });
    await reader.config('SET', 'notify-keyspace-events', 'Kh');
    const writes = new Set<() => void>();
    watcher.on('message', () => {
      for (const check of [...writes]) check();
    });
    await watcher.subscribe(`__keyspace@0__:${hash}`);
    const noted = (what: string, value: string) =>
      waitFor<void>(what, (done) => {
        const check = () => void reader.hget(hash, 'n:game:player').then((v) => v === value && done());
        writes.add(check);
        check();
        return () => void writes.delete(check);
      });
    alice.game.sendInput({ dx: 2 });
    await noted('the note of x 2 in Redis', '2,0,1');
    const errors: Error[] = [];
    one.server.events.on('error', ({ error }) => void errors.push(error));

    link.refuse();
    link.reset();
    // Every tick notes the moving player, and every such write fails: the player plays on, on the same connection.
    for (let seq = 2; seq <= 6; seq++) {
      alice.game.sendInput({ dx: 1 });
      await alice.until(`input ${seq} applied while Redis is away`, (s) => s.lastInput === seq);
    }
    expect(alice.states.every((entry) => entry.opens === 1)).toBe(true);
    expect(alice.game.channel.state).toBe('open');
    expect(errors).toEqual([]);
    expect(await reader.hget(hash, 'n:game:player')).toBe('2,0,1');

    // Back: the note goes with the next write, and it is the latest one.
    link.pass();
    await noted('the latest note in Redis once it is back', '7,0,6');
    expect(alice.states.every((entry) => entry.opens === 1)).toBe(true);
  });
});
