import { installChat, type ServerConnection } from '../../server';
import { ConnectionManager } from '../../src';
import { type ChatChannel, chatChannel, type ChatMessage, type Said } from '../../channels';
import { next, reach } from '../support/channel-helpers';
import { untilOpen } from '../support/drive';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { type Harness, startHarness, TRANSPORT_KINDS } from '../support/harness';
import { ManualClock } from '../support/manual-clock';

/*
 * Issue 15, part 2: one sender's lines stay in the order they were said across a lost session. Y's lines that were
 * on their way when its session was lost are re-sent by the runtime right after WELCOME, before the chat preset's
 * re-join reaches the server, and are refused `not_member`; a line Y says meanwhile must wait behind them, not go out
 * right behind the join request and overtake them. X watches the room on a connection that is never cut.
 */
const ROOM = 7;
const RESUME_WINDOW_MS = 1000;

describe.each(TRANSPORT_KINDS)("one sender's lines keep their order across a lost session, over %s", (kind) => {
  let h: Harness;
  let serverClock: ManualClock;
  let proxy: FaultProxy;
  let managers: ConnectionManager[];
  let x: ChatChannel;
  let y: ChatChannel;
  let seen: ChatMessage[];

  beforeEach(async () => {
    serverClock = new ManualClock();
    h = await startHarness(kind, { clock: serverClock, resumeWindowMs: RESUME_WINDOW_MS });
    installChat(h.server);
    proxy = await startFaultProxy({ targetPort: (h.server.address as { port: number }).port });
    managers = [];
    const open = (url: string) => {
      const manager = new ConnectionManager({ transport: h.transport, clock: h.clock, random: () => 0.5 });
      managers.push(manager);
      return chatChannel({ manager, url, reconnect: { baseMs: 100, maxMs: 1000 } });
    };
    // X straight to the server; Y through the proxy, so that only Y's connection is cut.
    x = open(h.url);
    y = open(proxy.url(h.url));
    seen = [];
    x.onMessage(ROOM, (m) => void seen.push(m));
    await Promise.all([reach(x.channel, 'open'), reach(y.channel, 'open')]);
    await x.join(ROOM);
    await y.join(ROOM);
  });
  afterEach(async () => {
    managers.forEach((manager) => manager.close());
    await proxy.close();
    await h.close();
  });

  /** Cuts Y's connection (a TCP reset at both ends); resolves once Y and the server have both seen it. */
  const cutY = async () => {
    const lost = next(y.channel, 'reconnecting');
    let undo = () => {};
    const serverSawIt = new Promise<void>((resolve) => (undo = h.server.events.on('disconnect', () => resolve())));
    proxy.reset();
    proxy.pass();
    await Promise.all([lost, serverSawIt]);
    undo();
  };

  /** Runs `fn` at the server's first message on Y's next connection that starts a new session; resolves with its result. */
  const atFirstMessageOfNewSession = <T>(fn: () => T) =>
    new Promise<T>((resolve) => {
      let connection: ServerConnection | undefined;
      const undoConnection = h.server.events.on('connection', (event) => {
        if (!event.resumed) connection = event.connection;
      });
      const undoMessage = h.server.events.on('message', (event) => {
        if (event.connection !== connection) return;
        undoConnection();
        undoMessage();
        resolve(fn());
      });
    });

  /** Resolves once X has received `count` lines. */
  const xHas = (count: number) =>
    new Promise<void>((resolve) => {
      if (seen.length >= count) return resolve();
      const undo = x.onMessage(ROOM, () => {
        if (seen.length < count) return;
        undo();
        resolve();
      });
    });

  /** X got exactly `lines`, in that order, with increasing ids, and each say resolved with its own line's id. */
  const expectInOrder = async (lines: string[], says: Map<string, Promise<Said>>) => {
    expect([...says.keys()].sort()).toEqual([...lines].sort());
    const said = await Promise.all(lines.map((line) => says.get(line) as Promise<Said>));
    await xHas(lines.length);
    expect(seen.map((m) => m.body)).toEqual(lines);
    for (let i = 1; i < seen.length; i++) expect((seen[i] as ChatMessage).id).toBeGreaterThan((seen[i - 1] as ChatMessage).id);
    expect(said.map((s) => [s.id, s.mid])).toEqual(seen.map((m) => [m.id, m.mid]));
  };

  const line = (n: number) => `y${n}`;

  /**
   * Y's line 0 is stored; lines 1..`inHole` go into a black hole and Y's connection is cut; the session ends; Y comes
   * back in a new session and resyncs. `duringRejoin` runs at the server's first message from Y's new connection
   * (the runtime's re-sends and the re-join request), before the join is handled.
   */
  const loseSession = async <T>(says: Map<string, Promise<Said>>, inHole: number, duringRejoin: () => T): Promise<{ rejoining: Promise<T> }> => {
    const say = (n: number) => says.set(line(n), y.say(ROOM, line(n)));
    say(0);
    await says.get(line(0));
    proxy.blackhole();
    for (let n = 1; n <= inHole; n++) say(n);
    await cutY();
    serverClock.advance(RESUME_WINDOW_MS + 1);
    return { rejoining: atFirstMessageOfNewSession(duringRejoin) };
  };

  it('X receives y0, y1, y2, y3, y4 when Y says y4 at the resync, and say(y4) resolves with the highest id', async () => {
    const says = new Map<string, Promise<Said>>();
    await loseSession(says, 3, () => {});
    y.channel.on('resync', () => void says.set('y4', y.say(ROOM, 'y4')));
    const resynced = new Promise((resolve) => y.on('resynced', resolve));
    await untilOpen(y.channel, h.clock);
    await resynced;
    await expectInOrder(['y0', 'y1', 'y2', 'y3', 'y4'], says);
  });

  it('50 lines: 19 in flight at the cut, 5 said at the open, 10 at the resync, 15 while the re-join is on its way', async () => {
    const says = new Map<string, Promise<Said>>();
    let n = 20;
    const sayNext = (count: number) => {
      for (const end = n + count; n < end; n++) says.set(line(n), y.say(ROOM, line(n)));
    };
    await loseSession(says, 19, () => sayNext(15));
    const undoOpen = y.channel.on('open', () => {
      undoOpen();
      sayNext(5);
    });
    y.channel.on('resync', () => sayNext(10));
    const resynced = new Promise((resolve) => y.on('resynced', resolve));
    await untilOpen(y.channel, h.clock);
    await resynced;
    await expectInOrder(Array.from({ length: 50 }, (_, i) => line(i)), says);
  });

  it.each([
    ['resumed', false],
    ['lost again', true],
  ])('a second cut during the re-join (session %s): held and new lines still go in the order said', async (_, loseAgain) => {
    const says = new Map<string, Promise<Said>>();
    let n = 4;
    const sayNext = (count: number) => {
      for (const end = n + count; n < end; n++) says.set(line(n), y.say(ROOM, line(n)));
    };
    const errors: Error[] = [];
    y.on('error', (error) => void errors.push(error));
    const { rejoining } = await loseSession(says, 3, () => {
      sayNext(5);
      // The join request is in this very message: the server handles it, but its reply never reaches Y.
      return cutY();
    });
    y.channel.on('resync', () => sayNext(5));
    await untilOpen(y.channel, h.clock);
    await rejoining;
    sayNext(5);
    if (loseAgain) serverClock.advance(RESUME_WINDOW_MS + 1);
    const reopened = next(y.channel, 'open');
    const resynced = new Promise((resolve) => y.on('resynced', resolve));
    await untilOpen(y.channel, h.clock);
    expect((await reopened).resumed).toBe(!loseAgain);
    await resynced;
    sayNext(5);
    await expectInOrder(Array.from({ length: n }, (_, i) => line(i)), says);
    // The recovery the second cut interrupted was reported, as a lost connection.
    expect(errors.map((e) => e.name)).toEqual(['DisconnectedError']);
  });
});
