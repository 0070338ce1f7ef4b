import { performance } from 'node:perf_hooks';
import { type ChatChannel, chatChannel, type GameChannel, gameChannel } from '../../channels';
import { createWxEmulator, type WxEmulator } from '../../emulator/wx-emulator';
import { type Channel, type ChannelStats, ConnectionManager, wxLifecycle, wxTransport } from '../../src';
import type { ChatArrival } from './summary';

/*
 * One simulated player: a mini-game on its own emulated phone (the wx emulator over real sockets), running the real
 * runtime with the two presets: a game channel (an input every 100 ms, server state 20 times a second) and a chat
 * channel (a numbered line every 250 ms in a room every player is in). Like a real mini-game it stops its loops while
 * its app is hidden. It records what the summary needs: every chat line delivered, and latency samples.
 */

/** The chat room every player joins. */
const ROOM = 'lobby';
const INPUT_EVERY_MS = 100;
/** A chat line per player this often, ms. */
export const SAY_EVERY_MS = 250;
const REQUEST_TIMEOUT_MS = 10_000;

/** A chat line's body: the sender's player index, its sequence number, and when it was said (this process's clock). */
interface LineBody {
  p: number;
  n: number;
  t: number;
}

/** Where the player's channels connect. */
export interface PlayerUrls {
  game: string;
  chat: string;
}

/** A display row: one channel of one player. */
export interface ChannelRow {
  player: string;
  channel: 'game' | 'chat';
  stats: ChannelStats;
}

export class Player {
  readonly name: string;
  readonly emulator: WxEmulator;
  readonly manager: ConnectionManager;
  readonly game: GameChannel;
  readonly chat: ChatChannel;
  /** Every chat line delivered to this player, in order. */
  readonly received: ChatArrival[] = [];
  /** Input sent until the server state that applied it arrived, ms. */
  readonly gameLatency: number[] = [];
  /** Line said (by any player) until it was delivered here, ms. */
  readonly chatLatency: number[] = [];
  said = 0;
  failedSays = 0;
  pendingSays = 0;
  inputsSent = 0;
  statesReceived = 0;
  private hidden = false;
  private loops: NodeJS.Timeout[] = [];
  private readonly inputTimes = new Map<number, number>();
  private readonly progress = new Set<() => void>();

  constructor(readonly index: number, private readonly urls: PlayerUrls) {
    this.name = `p${index + 1}`;
    // devMode: ws:// to 127.0.0.1, as WeChat Developer Tools allows with domain checks off.
    this.emulator = createWxEmulator({ devMode: true });
    this.manager = new ConnectionManager({
      transport: wxTransport(this.emulator, { allowInsecure: true }),
      lifecycle: wxLifecycle(this.emulator),
    });
    // Short heartbeats so that the display shows a fresh RTT every second; quick reconnects so the faults heal fast.
    const heartbeat = { intervalMs: 1000, timeoutMs: 2000 };
    this.game = gameChannel({ manager: this.manager, url: urls.game, heartbeat, reconnect: { baseMs: 200, maxMs: 2000 } });
    this.chat = chatChannel({ manager: this.manager, url: urls.chat, heartbeat, reconnect: { baseMs: 200, maxMs: 1000 } });
    this.emulator.onHide(() => (this.hidden = true));
    this.emulator.onShow(() => (this.hidden = false));

    this.game.onState(({ lastInput }) => {
      this.statesReceived++;
      const sentAt = this.inputTimes.get(lastInput);
      if (sentAt !== undefined) this.gameLatency.push(performance.now() - sentAt);
      for (const seq of this.inputTimes.keys()) {
        if (seq <= lastInput) this.inputTimes.delete(seq);
      }
    });
    this.chat.onMessage<LineBody>(ROOM, ({ body }) => {
      this.received.push({ from: body.p, n: body.n });
      this.chatLatency.push(performance.now() - body.t);
      this.notify();
    });
  }

  /** Waits until the game server has made this player a player and the chat room is joined. */
  async join(): Promise<void> {
    await Promise.all([
      this.game.channel.request('game/join', {}, { timeoutMs: REQUEST_TIMEOUT_MS }),
      this.chat.join(ROOM),
    ]);
  }

  /** Starts the game loop and the chat loop; `offsetMs` spreads the players' chat lines apart. */
  startTraffic(offsetMs: number): void {
    this.loops.push(setInterval(() => this.move(), INPUT_EVERY_MS));
    const first = setTimeout(() => {
      this.say();
      this.loops.push(setInterval(() => this.say(), SAY_EVERY_MS));
    }, offsetMs);
    this.loops.push(first);
  }

  stopTraffic(): void {
    for (const timer of this.loops.splice(0)) clearInterval(timer);
  }

  /** Whether the app is in the background. */
  get isHidden(): boolean {
    return this.hidden;
  }

  /** Sends the app to the background, as the user switching apps does. */
  hide(): void {
    this.emulator.hide();
  }

  show(): void {
    this.emulator.show();
  }

  /** Destroys the game channel's TCP connection (no close frame). Returns whether one was open. */
  dropGameSocket(): boolean {
    const wasOpen = this.game.channel.state === 'open';
    this.emulator.tasks.forEach((task, i) => {
      if (this.emulator.connectCalls[i]?.url === this.urls.game) this.emulator.dropConnection(task);
    });
    return wasOpen;
  }

  rows(): ChannelRow[] {
    return [
      { player: this.name, channel: 'game', stats: this.game.channel.stats() },
      { player: this.name, channel: 'chat', stats: this.chat.channel.stats() },
    ];
  }

  get channels(): Channel[] {
    return [this.game.channel, this.chat.channel];
  }

  /** Calls `fn` whenever a chat line arrives or a say settles; returns the undo. */
  onProgress(fn: () => void): () => void {
    this.progress.add(fn);
    return () => void this.progress.delete(fn);
  }

  /** Closes both channels and the emulated phone; resolves once every socket is closed. */
  async close(): Promise<void> {
    this.stopTraffic();
    const closed = this.channels.map(
      (channel) =>
        new Promise<void>((resolve) => {
          if (channel.state === 'closed') resolve();
          else channel.on('state', ({ next }) => next === 'closed' && resolve());
        }),
    );
    this.manager.close();
    await Promise.all(closed);
    await this.emulator.dispose();
  }

  private move(): void {
    if (this.hidden) return;
    // A random walk: each input moves the dot by at most 3 in each direction.
    const seq = this.game.sendInput({ dx: Math.round(Math.random() * 6 - 3), dy: Math.round(Math.random() * 6 - 3) });
    this.inputTimes.set(seq, performance.now());
    this.inputsSent++;
  }

  private say(): void {
    if (this.hidden) return;
    const body: LineBody = { p: this.index, n: this.said++, t: performance.now() };
    this.pendingSays++;
    this.chat
      .say(ROOM, body)
      .catch(() => void this.failedSays++)
      .finally(() => {
        this.pendingSays--;
        this.notify();
      });
  }

  private notify(): void {
    for (const fn of [...this.progress]) fn();
  }
}
