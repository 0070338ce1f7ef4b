import WebSocket from 'ws';
import { createMemoryState, createServer, installChat, type ReferenceServer, type ServerState } from '../../server';
import { ConnectionManager, webSocketTransport } from '../../src';
import { type ChatChannel, chatChannel, type ChatMessage } from '../../channels';
import { ManualClock } from './manual-clock';
import { ManualLifecycle } from './harness';
import { next, reach } from './channel-helpers';

/** One chat client over webSocketTransport(ws), on its own manual clock. */
export interface RestartClient {
  readonly chat: ChatChannel;
  /** Every message delivered to `onMessage`, in order. */
  readonly received: ChatMessage[];
  /** `resumed` of every `open` after the first. */
  readonly reopened: boolean[];
  /** How many times the channel resynced (a lost session). */
  resyncs: number;
}

/**
 * Two chat clients in one room, and a server whose sessions and rooms live in a state that outlives it, so that the
 * test can restart the server on the same port. The server instances share one manual clock: sessions expire only
 * when a test moves it.
 */
export interface RestartPair {
  readonly server: ReferenceServer;
  readonly state: ServerState;
  readonly serverClock: ManualClock;
  readonly a: RestartClient;
  readonly b: RestartClient;
  /** Closes the server (BYE 4000), starts a new one with the same state on the same port; both clients reconnect. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startRestartPair(room: number): Promise<RestartPair> {
  const state = createMemoryState();
  const serverClock = new ManualClock();
  const start = async (port: number): Promise<ReferenceServer> => {
    const server = createServer({ port, clock: serverClock, state });
    installChat(server);
    await server.listen();
    return server;
  };
  let server = await start(0);
  const port = (server.address as { port: number }).port;
  const sockets = new Set<WebSocket>();
  class TrackedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      sockets.add(this);
      this.once('close', () => sockets.delete(this));
    }
  }

  const managers: ConnectionManager[] = [];
  const clocks: ManualClock[] = [];
  const client = async (): Promise<RestartClient> => {
    const clock = new ManualClock();
    const manager = new ConnectionManager({ transport: webSocketTransport(TrackedWebSocket), lifecycle: new ManualLifecycle(), clock, random: () => 0.5 });
    managers.push(manager);
    clocks.push(clock);
    const chat = chatChannel({ manager, url: `ws://127.0.0.1:${port}/chat`, reconnect: { baseMs: 100, maxMs: 1000 } });
    const c: RestartClient = { chat, received: [], reopened: [], resyncs: 0 };
    chat.onMessage(room, (m) => c.received.push(m));
    chat.channel.on('resync', () => c.resyncs++);
    await reach(chat.channel, 'open');
    chat.channel.on('open', ({ resumed }) => c.reopened.push(resumed));
    await chat.join(room);
    return c;
  };

  /** Drives a client's clock through backoff until its channel is open again (connection attempts run on real sockets). */
  const recover = async (chat: ChatChannel, clock: ManualClock): Promise<void> => {
    for (let steps = 0; chat.channel.state !== 'open'; steps++) {
      if (steps > 1000) throw new Error(`recover: stuck in state ${chat.channel.state}`);
      const nextAt = clock.nextAt;
      if (chat.channel.state === 'reconnecting' && nextAt !== undefined) {
        clock.advance(Math.max(0, nextAt - clock.now()));
        continue;
      }
      await next(chat.channel, 'state');
    }
  };

  const a = await client();
  const b = await client();
  const clients = [a, b];
  return {
    get server() {
      return server;
    },
    state,
    serverClock,
    a,
    b,
    restart: async () => {
      const lost = clients.map((c) => next(c.chat.channel, 'reconnecting'));
      await server.close({ code: 4000, reason: 'restarting' });
      await Promise.all(lost);
      server = await start(port);
      await Promise.all(clients.map((c, i) => recover(c.chat, clocks[i] as ManualClock)));
    },
    close: async () => {
      for (const manager of managers) manager.close();
      sockets.forEach((s) => s.terminate());
      await server.close({ keepSessions: false });
    },
  };
}
