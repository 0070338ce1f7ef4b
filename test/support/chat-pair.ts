import WebSocket from 'ws';
import { createMemoryState, createServer, installChat, type ReferenceServer, type ServerState } from '../../server';
import { ConnectionManager, webSocketTransport, wxLifecycle, wxTransport } from '../../src';
import { type ChatChannel, chatChannel, type ChatMessage } from '../../channels';
import { ManualClock } from './manual-clock';
import { ManualLifecycle } from './harness';
import { createWxEmulator, type WxEmulator } from './wx-emulator';
import { next, reach } from './channel-helpers';
import { untilOpen } from './drive';

/** One chat client and the hooks to cut its connection in each way a phone loses one. */
export interface ChatClient {
  readonly name: string;
  readonly manager: ConnectionManager;
  readonly chat: ChatChannel;
  /** Every message delivered to `onMessage`, in order. */
  readonly received: ChatMessage[];
  /** `resumed` of every reopen after the first open, in order. */
  readonly reopened: boolean[];
  /** How many times the channel resynced (its session was lost). */
  readonly resyncs: number;
  /** This client's runtime clock (each client has its own, so one client's time jumps never touch the other). */
  readonly clock: ManualClock;
  /** Cuts without a close frame, then drives the runtime's clock until the channel is open again. */
  drop(): Promise<void>;
  /** Half-open: the heartbeat has to find it; then reconnect. */
  silence(): Promise<void>;
  /** Drives the runtime's clock until the channel is open again. */
  recover(): Promise<void>;
}

/**
 * A chat server and two clients in one room: `a` on the wx emulator (a phone), `b` on webSocketTransport(ws).
 * The runtime's clock is manual (both clients share it); the server has its own manual clock, so sessions expire
 * only when a test moves it.
 */
export interface ChatPair {
  readonly server: ReferenceServer;
  /** Sessions and rooms, kept outside the server as an external store would keep them. */
  readonly state: ServerState;
  readonly serverClock: ManualClock;
  readonly emulator: WxEmulator;
  readonly a: ChatClient & { hideAndShow(): Promise<void> };
  readonly b: ChatClient;
  /** The server process restarts within the resume window: closed (BYE 4000), a new one on the same port and state. */
  restart(): Promise<void>;
  /**
   * a is cut and stays away past the server's resume window, so its session ends (`whileAway` runs meanwhile); then a
   * comes back, gets a new session and resyncs. Resolves once a has resynced.
   */
  loseSessionOfA(whileAway?: () => Promise<unknown>): Promise<void>;
  close(): Promise<void>;
}

export async function startChatPair(room: number, historySize = 1000): Promise<ChatPair> {
  const clockA = new ManualClock();
  const clockB = new ManualClock();
  const serverClock = new ManualClock();
  // The server's state lives outside the server, as in an external store, so a restart keeps sessions and rooms.
  const state = createMemoryState();
  const startServer = async (listenPort: number): Promise<ReferenceServer> => {
    const instance = createServer({ port: listenPort, clock: serverClock, state });
    installChat(instance, { historySize });
    await instance.listen();
    return instance;
  };
  let server = await startServer(0);
  const port = (server.address as { port: number }).port;
  const emulator = createWxEmulator({ clock: clockA });
  const sockets: WebSocket[] = [];
  class TrackedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      sockets.push(this);
    }
  }

  /** Drives the runtime's clock through backoff (and a show stagger) until the channel is open again. */
  const recover = (chat: ChatChannel, clock: ManualClock) => untilOpen(chat.channel, clock);

  const client = async (
    name: string,
    manager: ConnectionManager,
    clock: ManualClock,
    cut: () => void,
    silence: () => () => void,
  ): Promise<ChatClient> => {
    // Short backoff: a cut costs a few hundred ms of manual time, never tens of seconds.
    const chat = chatChannel({ manager, url: `${name === 'a' ? 'wss' : 'ws'}://127.0.0.1:${port}/chat`, reconnect: { baseMs: 100, maxMs: 1000 } });
    const received: ChatMessage[] = [];
    chat.onMessage(room, (m) => received.push(m));
    await reach(chat.channel, 'open');
    await chat.join(room);
    const reopened: boolean[] = [];
    let resyncs = 0;
    chat.channel.on('open', ({ resumed }) => reopened.push(resumed));
    chat.channel.on('resync', () => resyncs++);
    return {
      name,
      manager,
      chat,
      received,
      reopened,
      get resyncs() {
        return resyncs;
      },
      clock,
      recover: () => recover(chat, clock),
      drop: async () => {
        const lost = next(chat.channel, 'reconnecting');
        cut();
        await lost;
        await recover(chat, clock);
      },
      silence: async () => {
        const lost = next(chat.channel, 'reconnecting');
        const release = silence();
        const { intervalMs, timeoutMs } = chat.channel.options.heartbeat;
        clock.advance(intervalMs);
        clock.advance(timeoutMs);
        await lost;
        await recover(chat, clock);
        // The abandoned half-open connection is finally torn down, as the OS does with a dead TCP connection.
        release();
      },
    };
  };

  const managerA = new ConnectionManager({ transport: wxTransport(emulator), lifecycle: wxLifecycle(emulator), clock: clockA, random: () => 0.5 });
  const managerB = new ConnectionManager({ transport: webSocketTransport(TrackedWebSocket), lifecycle: new ManualLifecycle(), clock: clockB, random: () => 0.5 });
  const a = await client('a', managerA, clockA, () => emulator.dropConnection(), () => {
    const tasks = [...emulator.tasks];
    emulator.blackhole();
    return () => tasks.forEach((task) => emulator.dropConnection(task));
  });
  const b = await client('b', managerB, clockB, () => sockets.forEach((s) => s.terminate()), () => {
    const paused = [...sockets];
    paused.forEach((s) => s.pause());
    return () => paused.forEach((s) => s.terminate());
  });
  return {
    get server() {
      return server;
    },
    state,
    serverClock,
    emulator,
    // Object.assign, not a spread: a spread would freeze the client's getters (resyncs).
    a: Object.assign(a, {
      hideAndShow: async () => {
        const suspended = reach(a.chat.channel, 'suspended');
        emulator.hide();
        clockA.advance(3000); // hideGraceMs: the runtime closes first
        await suspended;
        clockA.advance(4000); // past the platform's 5 s cut
        emulator.show();
        await recover(a.chat, clockA);
      },
    }),
    b,
    restart: async () => {
      const lost = [next(a.chat.channel, 'reconnecting'), next(b.chat.channel, 'reconnecting')];
      const closing = server.close({ code: 4000, reason: 'restarting' });
      // The server's close deadline runs on its (manual) clock: let it pass, so no slow peer holds the restart up.
      serverClock.advance(5000);
      await closing;
      server = await startServer(port);
      await Promise.all(lost);
      await Promise.all([a.recover(), b.recover()]);
    },
    loseSessionOfA: async (whileAway = async () => undefined) => {
      // The server's clock may only move once the server itself has seen the connection go (the client may notice
      // first, from a failed send).
      const lost = next(a.chat.channel, 'reconnecting');
      const serverSawIt = new Promise<void>((resolve) => server.events.on('disconnect', () => resolve()));
      emulator.dropConnection();
      await Promise.all([lost, serverSawIt]);
      await whileAway();
      // Two minutes of server time also leave b silent past its server-side heartbeat deadline: the server sends b
      // BYE 4001 (retryable), and b comes back and resumes its session, which is still within the window.
      const bKicked = next(b.chat.channel, 'reconnecting');
      serverClock.advance(120_001);
      const resynced = new Promise<void>((resolve) => a.chat.on('resynced', () => resolve()));
      await a.recover();
      await bKicked;
      await b.recover();
      await resynced;
    },
    close: async () => {
      managerA.close();
      managerB.close();
      sockets.forEach((s) => s.terminate());
      await emulator.dispose();
      await server.close();
    },
  };
}

/** Each client must see every message of both senders (bodies `{from, n}`) exactly once, in each sender's order. */
export function checkDelivery(client: ChatClient, perSender: number): void {
  const ids = client.received.map((m) => m.id);
  expect(new Set(ids).size).toBe(ids.length); // no duplicate
  for (let i = 1; i < ids.length; i++) expect(ids[i] as number).toBeGreaterThan(ids[i - 1] as number); // room order
  for (const sender of ['a', 'b']) {
    const seq = client.received.map((m: ChatMessage) => m.body as { from: string; n: number }).filter((b) => b.from === sender).map((b) => b.n);
    expect(seq).toEqual(Array.from({ length: perSender }, (_, n) => n));
  }
}

/**
 * A {@link ChatPair} on `room` for every test of the enclosing describe block: started before each test, closed after
 * it. The object given takes on each test's pair, getters (`server`) and all.
 */
export function chatPairPerTest(room: number): ChatPair {
  const pair = {} as ChatPair;
  let current: ChatPair | undefined;
  beforeEach(async () => {
    current = await startChatPair(room);
    Object.defineProperties(pair, Object.getOwnPropertyDescriptors(current));
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return pair;
}
