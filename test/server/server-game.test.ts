import { createServer, type Game, type GameBroker, type InstallGameOptions, installGame, type ReferenceServer, type ServerOptions, type WorldUpdate } from '../../server';
import { type Hello, Op } from '../../src/wire/protocol';
import { ManualClock } from '../support/manual-clock';
import { nextEvent, ProtocolClient } from '../support/protocol-client';
import { type Connected, serverSuite } from '../support/servers';

const T0 = 1_700_000_000_000;
let clock: ManualClock;
const suite = serverSuite();

async function start(gameOptions: Partial<InstallGameOptions> = {}, options: Partial<ServerOptions> = {}): Promise<{ srv: ReferenceServer; game: Game }> {
  clock = new ManualClock(T0);
  const srv = await suite.start({ clock, ...options });
  return { srv, game: installGame(srv, gameOptions) };
}

interface Player extends Connected {
  id: string;
}

async function player(hello: Partial<Hello> = {}): Promise<Player> {
  const event = await suite.connected({ channel: 'game', ...hello });
  return { id: event.session.publicId, ...event };
}

let requestId = 1;

/** `game/join`: idempotent, so it also serves to wait until every input sent before it was applied. */
async function join(p: Player): Promise<unknown> {
  const id = requestId++;
  const answer = await p.client.call(id, 'game/join', null);
  expect(answer[0]).toBe(Op.Reply);
  return answer[2];
}

function input(p: Player, seq: number, dx?: number, dy?: number): void {
  p.client.send([Op.Push, 'game/input', { seq, dx, dy }]);
}

async function state(p: Player): Promise<unknown> {
  const [, topic, payload] = await p.client.expect(Op.Push);
  expect(topic).toBe('game/state');
  return payload;
}

test('every tick each player gets game/state with every connected player and its own lastInput', async () => {
  await start();
  const alice = await player();
  const bob = await player();
  expect(await join(alice)).toEqual({ id: alice.id, x: 0, y: 0, tickHz: 20 });

  input(alice, 1, 3, -2);
  input(alice, 2, 1);
  // Bob never joined: his first input makes him a player.
  input(bob, 7, -1, 4);
  expect(await join(alice)).toEqual({ id: alice.id, x: 4, y: -2, tickHz: 20 });
  expect(await join(bob)).toEqual({ id: bob.id, x: -1, y: 4, tickHz: 20 });

  clock.advance(49);
  expect(alice.client.queued + bob.client.queued).toBe(0);
  clock.advance(1);
  const players = { [alice.id]: { x: 4, y: -2 }, [bob.id]: { x: -1, y: 4 } };
  expect(await state(alice)).toEqual({ tick: 1, serverTime: T0 + 50, players, lastInput: 2 });
  expect(await state(bob)).toEqual({ tick: 1, serverTime: T0 + 50, players, lastInput: 7 });

  input(bob, 8, 0, 1);
  await join(bob);
  clock.advance(50);
  const moved = { [alice.id]: { x: 4, y: -2 }, [bob.id]: { x: -1, y: 5 } };
  expect(await state(alice)).toEqual({ tick: 2, serverTime: T0 + 100, players: moved, lastInput: 2 });
  expect(await state(bob)).toEqual({ tick: 2, serverTime: T0 + 100, players: moved, lastInput: 8 });
});

test('a stale or malformed input is ignored; a step is cut to maxStep', async () => {
  await start({ maxStep: 5, tickHz: 10 });
  const alice = await player();

  input(alice, 3, 100, -100);
  input(alice, 2, 1, 1);
  input(alice, 3, 1, 1);
  alice.client.send([Op.Push, 'game/input', { seq: -1, dx: 1 }], [Op.Push, 'game/input', 'garbage'], [Op.Push, 'game/input', { seq: 4, dx: 'far', dy: Infinity }]);
  expect(await join(alice)).toEqual({ id: alice.id, x: 5, y: -5, tickHz: 10 });

  clock.advance(100);
  expect(await state(alice)).toEqual({ tick: 1, serverTime: T0 + 100, players: { [alice.id]: { x: 5, y: -5 } }, lastInput: 4 });
});

test('each player gets its own lastInput, whatever its size, in one state encoded once per tick', async () => {
  await start();
  const seqs = [127, 128, 70_000, 2 ** 32 + 5];
  const each = await Promise.all(seqs.map(() => player()));
  each.forEach((p, i) => input(p, seqs[i] as number));
  for (const p of each) await join(p);
  clock.advance(50);
  const states = (await Promise.all(each.map((p) => state(p)))) as { lastInput: number; players: object }[];
  expect(states.map((s) => s.lastInput)).toEqual(seqs);
  for (const s of states) expect(s.players).toEqual(states[0]?.players);
});

test('a player away is left out of players until it resumes, and removed when its session ends', async () => {
  const { game } = await start({}, { resumeWindowMs: 1_000 });
  const alice = await player();
  const bob = await player();
  await join(alice);
  await join(bob);
  const gone = nextEvent(suite.server.events, 'disconnect');
  await bob.client.close();
  await gone;

  clock.advance(50);
  expect(await state(alice)).toEqual({ tick: 1, serverTime: T0 + 50, players: { [alice.id]: { x: 0, y: 0 } }, lastInput: 0 });

  const back = await player({ session: bob.welcome.session, recv: 0 });
  expect(back.id).toBe(bob.id);
  clock.advance(50);
  const both = { [alice.id]: { x: 0, y: 0 }, [bob.id]: { x: 0, y: 0 } };
  expect(await state(alice)).toEqual({ tick: 2, serverTime: T0 + 100, players: both, lastInput: 0 });
  expect(await state(back)).toEqual({ tick: 2, serverTime: T0 + 100, players: both, lastInput: 0 });
  expect(game.players).toBe(2);

  const goneAgain = nextEvent(suite.server.events, 'disconnect');
  await back.client.close();
  await goneAgain;
  clock.advance(1_000);
  expect(game.players).toBe(1);
});

test('the loop runs only while there are players, skips the ticks a late timer missed, and stops on close', async () => {
  const { srv, game } = await start();
  const alice = await player();
  clock.advance(500);
  expect(game.tick).toBe(0);

  await join(alice);
  clock.advance(100);
  expect(game.tick).toBe(2);
  clock.jump(1_000);
  expect(game.tick).toBe(3);
  clock.advance(50);
  expect(game.tick).toBe(4);
  expect(await Promise.all([1, 2, 3, 4].map(() => state(alice)))).toMatchObject([{ tick: 1 }, { tick: 2 }, { tick: 3 }, { tick: 4 }]);

  expect((await alice.client.call(requestId++, 'game/leave', null))[2]).toBeNull();
  clock.advance(500);
  expect(game.tick).toBe(4);

  await join(alice);
  clock.advance(50);
  expect(game.tick).toBe(5);
  await srv.close();
  expect(game.players).toBe(0);
  expect(clock.pending).toBe(0);
  expect(() => installGame(srv, { tickHz: 0 })).toThrow(expect.objectContaining({ code: 'invalid_option' }));
});

/**
 * An in-process stand-in for the Redis broker: every game's updates go to every subscriber at once, the publisher's
 * own included (as Redis pub/sub does). `mute` drops one game's updates (its process died, or its link to Redis did).
 */
class WorldHub {
  readonly published: WorldUpdate[] = [];
  private readonly listeners = new Set<(update: WorldUpdate) => void>();
  private readonly muted = new Set<GameBroker>();

  broker(): GameBroker {
    const broker: GameBroker = {
      publish: (update) => {
        if (this.muted.has(broker)) return;
        this.published.push(update);
        for (const listener of [...this.listeners]) listener(update);
      },
      subscribe: (listener) => {
        this.listeners.add(listener);
        return () => void this.listeners.delete(listener);
      },
      on: () => () => undefined,
      close: () => Promise.resolve(),
    };
    return broker;
  }

  mute(broker: GameBroker): void {
    this.muted.add(broker);
  }

  /** An update from a process that is not a server here. */
  inject(update: WorldUpdate): void {
    for (const listener of [...this.listeners]) listener(update);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}

describe('one game world across servers (broker)', () => {
  const servers: ReferenceServer[] = [];
  const clients: ProtocolClient[] = [];
  let hub: WorldHub;

  beforeEach(() => {
    clock = new ManualClock(T0);
    hub = new WorldHub();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  /** A server on the shared manual clock with its game on the hub. */
  async function node(gameOptions: Partial<InstallGameOptions> = {}): Promise<{ srv: ReferenceServer; game: Game; broker: GameBroker; url: string }> {
    const srv = createServer({ port: 0, clock });
    // Player ids must be unique across the world: in production the shared session store makes public ids so.
    srv.state.nextPublicId = 100 * servers.length + 1;
    servers.push(srv);
    const broker = hub.broker();
    const game = installGame(srv, { broker, ...gameOptions });
    return { srv, game, broker, url: (await srv.listen()).url };
  }

  async function playerOn(at: { srv: ReferenceServer; url: string }): Promise<Player> {
    const opened = nextEvent(at.srv.events, 'connection');
    const client = await ProtocolClient.connect(at.url);
    clients.push(client);
    const welcome = await client.hello({ channel: 'game' });
    const event = await opened;
    const p = { client, welcome, id: event.session.publicId, ...event };
    await join(p);
    return p;
  }

  it('each server merges the others\' players into its game/state, and publishes its own once per tick', async () => {
    const [a, b] = [await node(), await node()];
    const alice = await playerOn(a);
    const bob = await playerOn(b);
    input(alice, 1, 3);
    input(bob, 1, 0, -2);
    await join(alice);
    await join(bob);

    clock.advance(50);
    // a ticked first and heard nothing yet; b heard a's tick before its own.
    expect(await state(alice)).toEqual({ tick: 1, serverTime: T0 + 50, players: { [alice.id]: { x: 3, y: 0 } }, lastInput: 1 });
    const both = { [alice.id]: { x: 3, y: 0 }, [bob.id]: { x: 0, y: -2 } };
    expect(await state(bob)).toEqual({ tick: 1, serverTime: T0 + 50, players: both, lastInput: 1 });
    clock.advance(50);
    expect(await state(alice)).toEqual({ tick: 2, serverTime: T0 + 100, players: both, lastInput: 1 });
    expect(await state(bob)).toEqual({ tick: 2, serverTime: T0 + 100, players: both, lastInput: 1 });
    expect([a.game.remotePlayers, b.game.remotePlayers]).toEqual([1, 1]);
    // One update per server per tick, each listing only its own players.
    expect(hub.published.map((u) => [u.tick, Object.keys(u.players)])).toEqual([
      [1, [alice.id]],
      [1, [bob.id]],
      [2, [alice.id]],
      [2, [bob.id]],
    ]);
  });

  it('a server not heard from for remoteTimeoutMs has its players dropped, on the injected clock', async () => {
    const [a, b] = [await node(), await node()];
    const alice = await playerOn(a);
    await playerOn(b);
    clock.advance(50);
    await state(alice);
    hub.mute(b.broker); // b's last update was heard at T0 + 50
    for (let t = 2; t <= 6; t++) {
      clock.advance(50);
      expect(Object.keys(((await state(alice)) as { players: object }).players)).toHaveLength(t < 6 ? 2 : 1);
    }
    // Dropped at the first tick 250 ms (the default: 3 ticks of 50 ms is less) after the last update.
    expect(clock.now()).toBe(T0 + 300);
    expect(a.game.remotePlayers).toBe(0);
  });

  it('the server that holds a player wins over another listing the same id; remote players are capped', async () => {
    const a = await node({ maxRemotePlayers: 2 });
    const alice = await playerOn(a);
    input(alice, 1, 5);
    await join(alice);
    hub.inject({ owner: 'elsewhere', tick: 9, players: { [alice.id]: { x: 99, y: 99 }, r1: { x: 1, y: 1 }, r2: { x: 2, y: 2 } } });
    expect(a.game.remotePlayers).toBe(2);
    hub.inject({ owner: 'another', tick: 1, players: { r3: { x: 3, y: 3 } } });
    expect(a.game.remotePlayers).toBe(2);
    clock.advance(50);
    expect(await state(alice)).toEqual({ tick: 1, serverTime: T0 + 50, players: { [alice.id]: { x: 5, y: 0 }, r1: { x: 1, y: 1 } }, lastInput: 1 });
    // An empty update takes that server's players out at once.
    hub.inject({ owner: 'elsewhere', tick: 10, players: {} });
    expect(a.game.remotePlayers).toBe(0);
  });

  it('a world too big for the frame limit drops those states and the loop goes on; the default cap keeps a world within the clients\' map limit', async () => {
    const srv = createServer({ port: 0, clock, limits: { maxFrameBytes: 4096 } });
    servers.push(srv);
    const game = installGame(srv, { broker: hub.broker() });
    const at = { srv, url: (await srv.listen()).url };
    const alice = await playerOn(at);
    const many: Record<string, { x: number; y: number }> = {};
    for (let i = 0; i < 5_000; i++) many[`remote-${i}`] = { x: i, y: -i };
    hub.inject({ owner: 'big', tick: 1, players: many });
    // The default cap: at most 1,000 remote players, whatever a remote process sends.
    expect(game.remotePlayers).toBe(1_000);
    clock.advance(50);
    clock.advance(50);
    expect(game.tick).toBe(2);
    expect(game.statesDropped).toBe(2);
    // Small again: the next tick's state goes out.
    hub.inject({ owner: 'big', tick: 2, players: { r: { x: 1, y: 2 } } });
    input(alice, 1, 3);
    await join(alice);
    clock.advance(50);
    expect(await state(alice)).toEqual({ tick: 3, serverTime: T0 + 150, players: { [alice.id]: { x: 3, y: 0 }, r: { x: 1, y: 2 } }, lastInput: 1 });
    expect(game.statesDropped).toBe(2);
  });

  it('the last player leaving says so at once; a closed game stops listening and keeps nothing', async () => {
    const [a, b] = [await node(), await node()];
    const alice = await playerOn(a);
    const bob = await playerOn(b);
    clock.advance(50);
    expect(b.game.remotePlayers).toBe(1);
    await state(alice);
    expect((await alice.client.call(requestId++, 'game/leave', null))[2]).toBeNull();
    expect(hub.published.at(-1)).toMatchObject({ players: {} });
    expect(b.game.remotePlayers).toBe(0);
    clock.advance(50);
    expect(a.game.remotePlayers).toBe(0); // no player on a: nothing heard is kept there
    await state(bob);
    expect(await state(bob)).toMatchObject({ tick: 2, players: { [bob.id]: { x: 0, y: 0 } } });
    expect(hub.subscribers).toBe(2);
    await b.srv.close();
    expect(hub.subscribers).toBe(1);
    expect(b.game.players + b.game.remotePlayers).toBe(0);
    expect(() => installGame(a.srv, { remoteTimeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'invalid_option' }));
    expect(() => installGame(a.srv, { maxRemotePlayers: -1 })).toThrow(expect.objectContaining({ code: 'invalid_option' }));
  });
});
