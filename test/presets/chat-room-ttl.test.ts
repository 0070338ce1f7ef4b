import { type InstallChatOptions, installChat } from '../../server';
import { ConnectionManager } from '../../src';
import { type ChatChannel, chatChannel, type ChatMessage } from '../../channels';
import { next, reach } from '../support/channel-helpers';
import { untilOpen } from '../support/drive';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { type Harness, startHarness } from '../support/harness';
import { ManualClock } from '../support/manual-clock';

/*
 * Issue 15, part 3: a room's history outlives its members (server/chat/memory-store.ts). X and Y chat in a room; X's
 * link goes silent, so a line Y says is acknowledged to Y but never reaches X; then both are cut and stay away past the
 * resume window, so both sessions end and the room is left without members. When they come back in new sessions, the
 * chat preset re-joins and fetches what X missed from the history: it is there for `roomTtlMs`, unless `maxRooms`
 * dropped the room first, and then the preset says what is gone (`missed`).
 */
const ROOM = 7;
const RESUME_WINDOW_MS = 120_000;
const HOUR_MS = 3_600_000;

interface Member {
  readonly chat: ChatChannel;
  readonly proxy: FaultProxy;
  readonly received: ChatMessage[];
  readonly missed: { room: unknown; afterId: number; beforeId: number }[];
  /** The room's newest id when this member joined: what it counts as delivered. */
  readonly joinedAt: number;
  /** Its runtime's clock: its own, so that one member coming back never brings the other back. */
  readonly clock: ManualClock;
}

let h: Harness;
let serverClock: ManualClock;
let managers: ConnectionManager[];
let proxies: FaultProxy[];

async function start(options: Readonly<Partial<InstallChatOptions>> = {}): Promise<void> {
  serverClock = new ManualClock();
  h = await startHarness('websocket', { clock: serverClock, resumeWindowMs: RESUME_WINDOW_MS });
  installChat(h.server, options);
}

afterEach(async () => {
  managers.forEach((manager) => manager.close());
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await h.close();
});

beforeEach(() => {
  managers = [];
  proxies = [];
});

/** A chat client through a proxy of its own (so that its link alone can be silenced), in `room`. */
async function member(room: number = ROOM): Promise<Member> {
  const proxy = await startFaultProxy({ targetPort: (h.server.address as { port: number }).port });
  proxies.push(proxy);
  const clock = new ManualClock();
  const manager = new ConnectionManager({ transport: h.transport, clock, random: () => 0.5 });
  managers.push(manager);
  const chat = chatChannel({ manager, url: proxy.url(h.url), reconnect: { baseMs: 100, maxMs: 1000 } });
  const received: ChatMessage[] = [];
  const missed: Member['missed'] = [];
  chat.onMessage(room, (message) => void received.push(message));
  chat.on('missed', (event) => void missed.push(event));
  await reach(chat.channel, 'open');
  const joined = (await chat.join(room)) as { lastId: number };
  return { chat, proxy, received, missed, joinedAt: joined.lastId, clock };
}

/**
 * X's link goes silent; Y says a line, which the server acknowledges to Y; both links are cut and both sessions end
 * (the server's clock passes the resume window). Resolves with the line Y said and the server time the room emptied.
 */
async function bothAwayAfterALineXNeverGot(x: Member, y: Member): Promise<{ line: ChatMessage; emptiedAt: number }> {
  x.proxy.blackhole();
  const said = await y.chat.say(ROOM, 'said while x was away');
  const line = y.received.find((m) => m.id === said.id) as ChatMessage;
  expect(line.body).toBe('said while x was away');
  expect(x.received).toEqual([]);
  let disconnects = 0;
  const serverSawBoth = new Promise<void>((resolve) => {
    const undo = h.server.events.on('disconnect', () => {
      if (++disconnects < 2) return;
      undo();
      resolve();
    });
  });
  const lost = [next(x.chat.channel, 'reconnecting'), next(y.chat.channel, 'reconnecting')];
  for (const m of [x, y]) {
    m.proxy.reset();
    m.proxy.pass();
  }
  await Promise.all([...lost, serverSawBoth]);
  const ended: string[] = [];
  let emptiedAt = 0;
  const undo = h.server.events.on('sessionEnd', ({ reason }) => {
    ended.push(reason);
    emptiedAt = serverClock.now();
  });
  serverClock.advance(RESUME_WINDOW_MS + 1);
  undo();
  expect(ended).toEqual(['expired', 'expired']);
  return { line, emptiedAt };
}

/** Moves the server's clock to `at`. */
function serverTimeTo(at: number): void {
  serverClock.advance(at - serverClock.now());
}

/** The member comes back in a new session; resolves once its chat preset has re-joined and caught up. */
async function comeBack(m: Member): Promise<void> {
  const resynced = new Promise((resolve) => m.chat.on('resynced', resolve));
  await untilOpen(m.chat.channel, m.clock);
  await resynced;
  // The catch-up runs after the re-join; a history request answered after it proves it is done.
  await m.chat.history(ROOM);
}

it('two members away past the resume window get, when they come back, every line the server acknowledged', async () => {
  await start();
  const [x, y] = [await member(), await member()];
  const { line } = await bothAwayAfterALineXNeverGot(x, y);
  // Gone for a while longer, well within roomTtlMs: their sessions are long over.
  serverClock.advance(HOUR_MS);
  await comeBack(x);
  await comeBack(y);
  expect(x.received.map((m) => [m.id, m.body])).toEqual([[line.id, line.body]]);
  expect(y.received.map((m) => [m.id, m.body])).toEqual([[line.id, line.body]]);
  expect([x.missed, y.missed]).toEqual([[], []]);
});

it('a room without members keeps its history until roomTtlMs after it emptied, and then a returning member gets `missed`', async () => {
  await start({ roomTtlMs: HOUR_MS });
  const [x, y] = [await member(), await member()];
  const { line, emptiedAt } = await bothAwayAfterALineXNeverGot(x, y);
  serverTimeTo(emptiedAt + HOUR_MS - 1);
  await comeBack(x);
  expect(x.received.map((m) => m.id)).toEqual([line.id]);
  expect(x.missed).toEqual([]);
  // X says one more line while Y is still away, and leaves: the room is empty again from now.
  const second = await x.chat.say(ROOM, 'second');
  await x.chat.leave(ROOM);
  serverTimeTo(serverClock.now() + HOUR_MS);
  await comeBack(y);
  expect(y.received.map((m) => m.id)).toEqual([line.id]);
  // The new run starts at the newest id given (X's second line): all after what Y had up to it is gone.
  expect(y.missed).toEqual([{ room: ROOM, afterId: line.id, beforeId: second.id + 1 }]);
});

it('past maxRooms the longest-idle room without members is dropped: its returning members get `missed`', async () => {
  await start({ maxRooms: 2 });
  const [x, y] = [await member(), await member()];
  const { line } = await bothAwayAfterALineXNeverGot(x, y);
  // Room 8 empties after room 7, so room 7 is the longest idle and goes when room 9 makes three.
  const other = await member(8);
  await other.chat.say(8, 'eight');
  await other.chat.leave(8);
  await member(9);
  // Room 8, idle for less long, is still there.
  const eight = (await other.chat.join(8)) as { lastId: number };
  expect((await other.chat.history(8)).map((m) => m.body)).toEqual(['eight']);
  await comeBack(x);
  expect(x.received).toEqual([]);
  // The new run starts at the newest id given (room 8's line): all after what X had up to it is gone.
  expect(x.missed).toEqual([{ room: ROOM, afterId: x.joinedAt, beforeId: eight.lastId + 1 }]);
  expect(eight.lastId).toBeGreaterThan(line.id);
});

it('past maxRooms a room with members is never dropped: new rooms open beyond it', async () => {
  await start({ maxRooms: 1 });
  const x = await member();
  const said = await x.chat.say(ROOM, 'kept');
  const other = await member(8);
  await other.chat.say(8, 'also kept');
  expect((await x.chat.history(ROOM)).map((m) => m.id)).toEqual([said.id]);
  expect((await other.chat.history(8)).map((m) => m.body)).toEqual(['also kept']);
});
