import WebSocket from 'ws';
import { createMemoryState, createServer, installChat, type ReferenceServer } from '../../server';
import { ConnectionManager, webSocketTransport, wxLifecycle, wxTransport } from '../../src';
import { type ChatChannel, chatChannel, type ChatMessage } from '../../channels';
import { ManualClock } from './manual-clock';
import { ManualLifecycle } from './harness';
import { createWxEmulator, type WxEmulator } from './wx-emulator';
import { next, reach } from './channel-helpers';

/** One chat client and the hooks to cut its connection in each way a phone loses one. */
export interface ChatClient {
  readonly name: string;
  readonly manager: ConnectionManager;
  readonly chat: ChatChannel;
  /** Every message delivered to `onMessage`, in order. */
  readonly received: ChatMessage[];
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
  readonly serverClock: ManualClock;
  readonly emulator: WxEmulator;
  readonly a: ChatClient & { hideAndShow(): Promise<void> };
  readonly b: ChatClient;
  /** The server process restarts within the resume window: closed (BYE 4000), a new one on the same port and state. */
  restart(): Promise<void>;
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
  const recover = async (chat: ChatChannel, clock: ManualClock) => {
    for (let steps = 0; chat.channel.state !== 'open'; steps++) {
      if (steps > 1000) throw new Error(`recover: stuck in state ${chat.channel.state}`);
      const state = chat.channel.state;
      const nextAt = clock.nextAt;
      if ((state === 'reconnecting' || state === 'suspended') && nextAt !== undefined) {
        // Time moves only to the next timer due (the backoff, the stagger, or an ACK on the way).
        clock.advance(Math.max(0, nextAt - clock.now()));
        continue;
      }
      // Waiting on the network: the next state change, whenever a socket event brings it.
      await next(chat.channel, 'state');
    }
  };

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
    return {
      name,
      manager,
      chat,
      received,
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
    serverClock,
    emulator,
    a: {
      ...a,
      hideAndShow: async () => {
        const suspended = reach(a.chat.channel, 'suspended');
        emulator.hide();
        clockA.advance(3000); // hideGraceMs: the runtime closes first
        await suspended;
        clockA.advance(4000); // past the platform's 5 s cut
        emulator.show();
        await recover(a.chat, clockA);
      },
    },
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
    close: async () => {
      managerA.close();
      managerB.close();
      sockets.forEach((s) => s.terminate());
      await emulator.dispose();
      await server.close();
    },
  };
}
