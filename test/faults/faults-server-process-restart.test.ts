import { type ChatChannel, chatChannel, type ChatMessage } from '../../channels';
import { backoffDelay, hintedDelay } from '../../src/time/backoff';
import WebSocket from 'ws';
import { ConnectionManager } from '../../src/manager';
import { webSocketTransport } from '../../src/transport/websocket';
import { next, reach } from '../support/channel-helpers';
import { untilOpen } from '../support/drive';
import { type Harness, ManualLifecycle, startHarness, TRANSPORT_KINDS } from '../support/harness';
import { seededRandom } from '../support/random';
import { type ServerProcess, startServerProcess } from '../support/server-process';

/*
 * The reference server (`npm run serve`) runs in a child process that is killed and started again on the same port:
 * a new process keeps nothing, so sessions cannot resume whatever the time away. What must hold: the client comes
 * back into a new session and resyncs, every message said while the server was away is stored once and delivered
 * once, in order, and the backoff stays within its bounds all along. (A restart that keeps its state, within and
 * beyond the resume window, is in chat-restart.test.ts and chat-delivery.test.ts.)
 */
const ROOM = 5;
const RECONNECT = { baseMs: 500, factor: 2, maxMs: 8000 };

describe.each(TRANSPORT_KINDS)('the server process killed and started again on the same port, over %s', (kind) => {
  let h: Harness;
  let server: ServerProcess | undefined;
  let manager: ConnectionManager;
  let chat: ChatChannel;
  let received: ChatMessage[];
  let resyncs: string[];
  let missed: { afterId: number; beforeId: number }[];

  beforeEach(async () => {
    h = await startHarness(kind);
    server = await startServerProcess();
    manager = new ConnectionManager({ transport: h.transport, lifecycle: h.lifecycle, clock: h.clock, random: seededRandom(11) });
    const url = `${kind !== 'websocket' ? 'wss' : 'ws'}://127.0.0.1:${server.port}/chat`;
    chat = chatChannel({ manager, url, reconnect: RECONNECT });
    received = [];
    resyncs = [];
    missed = [];
    chat.onMessage(ROOM, (m) => received.push(m));
    chat.channel.on('resync', ({ previousSession }) => resyncs.push(previousSession));
    chat.on('missed', ({ afterId, beforeId }) => missed.push({ afterId, beforeId }));
    await reach(chat.channel, 'open');
    await chat.join(ROOM);
  });
  afterEach(async () => {
    const closed = chat.channel.state === 'closed' ? Promise.resolve() : reach(chat.channel, 'closed');
    manager.close();
    h.clock.advance(10_000); // a close on a socket that never answers ends at its deadline
    await closed;
    await server?.kill('SIGKILL');
    await h.close();
  });

  /** Says `from..to-1`, resolving with the server's answers. */
  const say = (from: number, to: number) => Promise.all(Array.from({ length: to - from }, (_, i) => chat.say(ROOM, { n: from + i })));
  const bodies = () => received.map((m) => (m.body as { n: number }).n);

  /** Everything said so far was stored, and the server acknowledged it (the ACK frame, not just `chat/said`). */
  const settle = async (n: number) => {
    await say(0, n);
    await chat.channel.sendReliable('echo', 'sync'); // resolves on its ACK, which covers every RELIABLE before it
  };

  it('killed (no BYE) and back before the resume window would end: a new session, resync, messages said meanwhile stored and delivered once', async () => {
    await settle(20);
    const lastOld = received[19]?.id as number;
    const firstSession = chat.channel.session;
    const lost = next(chat.channel, 'reconnecting');
    await server?.kill('SIGKILL');
    expect(['socket_closed', 'socket_error']).toContain((await lost).reason);
    const meanwhile = say(20, 40); // queued while the server is away
    server = await startServerProcess(server?.port);
    const reopened = next(chat.channel, 'open');
    const resynced = new Promise((resolve) => chat.on('resynced', resolve));
    await untilOpen(chat.channel, h.clock);
    expect((await reopened).resumed).toBe(false);
    await resynced;
    // The server sends each room message before its `chat/said`, in one ordered stream: once every say has resolved
    // and the resync is over, every message has been delivered (or dropped) here.
    const said = await meanwhile;
    expect(resyncs).toEqual([firstSession]);
    expect(bodies()).toEqual(Array.from({ length: 40 }, (_, n) => n));
    // The new process stored each once: its history holds exactly the 20 said while it was away, in order.
    const history = await chat.history(ROOM, { limit: 500 });
    expect(history.map((m) => (m.body as { n: number }).n)).toEqual(Array.from({ length: 20 }, (_, i) => 20 + i));
    expect(said.map((s) => s.id)).toEqual(history.map((m) => m.id));
    // The old history is gone with its process: the client says so, from the last id it had up to the new process's
    // first (ids start from the clock, so the new process numbers above the old one).
    expect(history[0]?.id).toBeGreaterThan(lastOld);
    expect(missed).toEqual([{ afterId: lastOld, beforeId: history[0]?.id }]);
  });

  it('killed, and others talk in the new process before this client is back: it gets every message the new process holds', async () => {
    await settle(20);
    const lastOld = received[19]?.id as number;
    const lost = next(chat.channel, 'reconnecting');
    await server?.kill('SIGKILL');
    await lost;
    server = await startServerProcess(server?.port);
    // Another player, on a manager of its own with the real clock, says more in the new process than this client had
    // seen in the old one, before this client reconnects: had ids started again at 1, they would reach past its
    // baseline (the old process's 20th id) and it would skip the first 20 of them as already delivered.
    const other = new ConnectionManager({ transport: webSocketTransport(WebSocket), lifecycle: new ManualLifecycle(), random: seededRandom(3) });
    try {
      const b = chatChannel({ manager: other, url: `ws://127.0.0.1:${server.port}/chat` });
      await reach(b.channel, 'open');
      await b.join(ROOM);
      await Promise.all(Array.from({ length: 30 }, (_, i) => b.say(ROOM, { n: 100 + i })));
    } finally {
      other.close();
    }
    const resynced = new Promise((resolve) => chat.on('resynced', resolve));
    await untilOpen(chat.channel, h.clock);
    await resynced;
    expect(bodies()).toEqual([...Array.from({ length: 20 }, (_, n) => n), ...Array.from({ length: 30 }, (_, i) => 100 + i)]);
    // What the old process held after id 20 is gone with it, and the client says so, up to the new process's first id.
    const first = (await chat.history(ROOM, { limit: 500 }))[0]?.id;
    expect(missed).toEqual([{ afterId: lastOld, beforeId: first }]);
  });

  it('stopped (BYE 4000) and away past the resume window: backoff within bounds on every attempt, then a new session and nothing lost', async () => {
    await settle(10);
    const port = server?.port;
    const lost = next(chat.channel, 'reconnecting');
    await server?.kill('SIGTERM');
    const first = await lost;
    expect([first.reason, first.code]).toEqual(['bye', 4000]);
    const meanwhile = say(10, 30);
    // Away for more than the server's 2-minute resume window: every attempt is refused, with the backoff bounded.
    const replay = seededRandom(11);
    const started = h.clock.now();
    const attempts = [first];
    while (h.clock.now() - started < 125_000) {
      const r = attempts[attempts.length - 1] as typeof first;
      // The first follows the BYE's retry hint (the command's default, 1 s), the others the backoff.
      expect(r.delayMs).toBe(r === first ? hintedDelay(1_000, RECONNECT, replay) : backoffDelay(r.attempt - 1, RECONNECT, replay));
      expect(r.delayMs).toBeLessThan(RECONNECT.maxMs);
      const again = next(chat.channel, 'reconnecting');
      h.clock.advance(r.delayMs);
      attempts.push(await again);
    }
    expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, i) => i + 1));
    expect(attempts.slice(1).every((a) => a.reason === 'socket_error')).toBe(true);
    server = await startServerProcess(port);
    const reopened = next(chat.channel, 'open');
    const resynced = new Promise((resolve) => chat.on('resynced', resolve));
    await untilOpen(chat.channel, h.clock);
    expect((await reopened).resumed).toBe(false);
    await Promise.all([meanwhile, resynced]);
    expect(bodies()).toEqual(Array.from({ length: 30 }, (_, n) => n));
    expect(resyncs.length).toBe(1);
    expect(chat.channel.stats().reconnects).toBe(1);
  });
});
