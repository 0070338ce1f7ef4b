/*
 * The page script of test/package/browser.test.ts, bundled by esbuild and run in headless Chromium: the runtime and the
 * presets on the browser's own WebSocket, as an H5 build of a game uses them. The test drives it through
 * `window.multisocketPage`; every method settles on an event, never on a delay.
 */
import { type Channel, ConnectionManager, webSocketTransport, type WebSocketLikeCtor } from '../../src';
import { type ChatMessage, chatChannel, gameChannel, type GameState } from '../../channels';
import { waitFor } from './wait';

declare const WebSocket: WebSocketLikeCtor;
declare const window: { multisocketPage?: BrowserPage };

/** Positions by player id, as the reference server's game sends them. */
export type Players = Record<string, { x: number; y: number }>;

/** What the test can call in the page (arguments and results cross as JSON). */
export interface BrowserPage {
  /** Opens the chat and game channels on `url`, waits for both, and joins `room`. */
  start(url: string, room: number): Promise<void>;
  /** Says `text` in the room; resolves with the server's message id. */
  say(text: string): Promise<number>;
  /** Resolves with the first message of the room whose body is `text` (at once if it already came). */
  message(text: string): Promise<ChatMessage<string>>;
  /** Sends a game input moving by `dx`; resolves with the first state that applied it. */
  input(dx: number): Promise<GameState<Players>>;
  /** Resolves once both channels have opened `count` times. */
  opened(count: number): Promise<{ chat: number; game: number }>;
  /** Closes the manager; resolves once both channels are closed. */
  stop(): Promise<void>;
}

/** Resolves once `done()` holds, checking now and after each `event` of any of `channels`. */
function until(channels: Channel[], event: 'open' | 'state', done: () => boolean): Promise<void> {
  return waitFor(`${String(done)} (checked on each ${event})`, (ready) => {
    const check = () => void (done() && ready());
    const undo = channels.map((channel) => channel.on(event, check));
    check();
    return () => undo.forEach((u) => u());
  });
}

function createPage(): BrowserPage {
  const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket) });
  let session: { chat: ReturnType<typeof chatChannel>; game: ReturnType<typeof gameChannel>; room: number } | undefined;
  const opens = { chat: 0, game: 0 };
  const received: ChatMessage<string>[] = [];
  const started = () => {
    if (!session) throw new Error('multisocketPage.start() first');
    return session;
  };

  return {
    async start(url, room) {
      const chat = chatChannel({ manager, url });
      const game = gameChannel({ manager, url, tickMs: 10 });
      session = { chat, game, room };
      chat.channel.on('open', () => opens.chat++);
      game.channel.on('open', () => opens.game++);
      chat.onMessage<string>(room, (message) => received.push(message));
      await until([chat.channel, game.channel], 'open', () => opens.chat > 0 && opens.game > 0);
      await chat.join(room);
    },
    async say(text) {
      const { chat, room } = started();
      return (await chat.say(room, text)).id;
    },
    message(text) {
      const { chat, room } = started();
      return new Promise((resolve) => {
        const found = received.find((m) => m.body === text);
        if (found) return resolve(found);
        const undo = chat.onMessage<string>(room, (m) => {
          if (m.body !== text) return;
          undo();
          resolve(m);
        });
      });
    },
    input(dx) {
      const { game } = started();
      return new Promise((resolve) => {
        const seq = game.sendInput({ dx });
        const undo = game.onState<Players>((state) => {
          if (state.lastInput < seq) return;
          undo();
          resolve(state);
        });
      });
    },
    async opened(count) {
      const { chat, game } = started();
      await until([chat.channel, game.channel], 'open', () => opens.chat >= count && opens.game >= count);
      return { ...opens };
    },
    async stop() {
      const { chat, game } = started();
      manager.close();
      await until([chat.channel, game.channel], 'state', () => chat.channel.state === 'closed' && game.channel.state === 'closed');
    },
  };
}

window.multisocketPage = createPage();
