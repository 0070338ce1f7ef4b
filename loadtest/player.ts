import WebSocket from 'ws';
import { type ChatChannel, chatChannel, type GameChannel, gameChannel } from '../channels';
import { ConnectionManager, type Lifecycle, webSocketTransport } from '../src';
import { BACKGROUND_MS, type FaultKind, OFFLINE_MS } from './faults';
import type { Tally } from './tally';

/*
 * One simulated player: what a phone runs, the real runtime with the game and the chat presets on one
 * ConnectionManager, over `ws` through webSocketTransport, with the app's hide/show and network signals driven here.
 */

/** The app's hide/show and network signals, fired by the fault injector as the platform would. */
class DrivenLifecycle implements Lifecycle {
  private readonly listeners = { hide: new Set<() => void>(), show: new Set<() => void>(), network: new Set<(online: boolean) => void>() };

  onHide(listener: () => void): () => void {
    this.listeners.hide.add(listener);
    return () => this.listeners.hide.delete(listener);
  }
  onShow(listener: () => void): () => void {
    this.listeners.show.add(listener);
    return () => this.listeners.show.delete(listener);
  }
  onNetworkChange(listener: (online: boolean) => void): () => void {
    this.listeners.network.add(listener);
    return () => this.listeners.network.delete(listener);
  }
  fire(event: 'hide' | 'show'): void {
    for (const listener of [...this.listeners[event]]) listener();
  }
  network(online: boolean): void {
    for (const listener of [...this.listeners.network]) listener(online);
  }
}

/** A chat line's body: the sender, its own sequence number, and when it was said (this process's clock). */
export interface Line {
  readonly s: number;
  readonly n: number;
  readonly t: number;
}

/** What one player heard from one sender of its room. */
interface Heard {
  max: number;
  readonly seen: Set<number>;
}

export interface PlayerSetup {
  readonly index: number;
  readonly room: string;
  readonly url: string;
  readonly gameRate: number;
  readonly getToken: (() => string | Promise<string>) | undefined;
  readonly tally: Tally;
}

export class Player {
  readonly index: number;
  readonly room: string;
  private readonly lifecycle = new DrivenLifecycle();
  private readonly sockets = new Set<WebSocket>();
  private readonly manager: ConnectionManager;
  private readonly game: GameChannel;
  readonly chat: ChatChannel;
  private readonly tally: Tally;
  /** Inputs sent while open and not yet applied: seq and send time, oldest first. */
  private readonly pending: { seq: number; at: number }[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private inputs: ReturnType<typeof setInterval> | undefined;
  private readonly heard = new Map<number, Heard>();
  /** Lines this player said, by number: true once stored, false if refused; absent while in flight. */
  readonly said = new Map<number, boolean>();
  private lines = 0;
  private open = { game: false, chat: false };
  connected = false;
  joined = false;
  private closed = false;

  constructor(setup: PlayerSetup) {
    this.index = setup.index;
    this.room = setup.room;
    this.tally = setup.tally;
    const sockets = this.sockets;
    class TrackedWebSocket extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        sockets.add(this);
        this.once('close', () => sockets.delete(this));
      }
    }
    const started = performance.now();
    this.manager = new ConnectionManager({ transport: webSocketTransport(TrackedWebSocket), lifecycle: this.lifecycle });
    const getToken = setup.getToken;
    const common = { url: setup.url, ...(getToken ? { getToken } : {}) };
    this.game = gameChannel({ manager: this.manager, ...common });
    this.chat = chatChannel({ manager: this.manager, ...common });
    for (const [name, channel] of [['game', this.game.channel], ['chat', this.chat.channel]] as const) {
      let opens = 0;
      channel.on('open', () => {
        this.open[name] = true;
        if (++opens > 1) this.tally.reconnects++;
        if (!this.connected && this.open.game && this.open.chat) {
          if (opens === 1 && this.tally.connectMs.length < 100_000) this.tally.connectMs.push(performance.now() - started);
          this.connected = true;
        }
      });
      channel.on('state', ({ next }) => {
        if (next === 'open') return;
        this.open[name] = false;
        this.connected = false;
      });
      channel.on('reconnecting', ({ code, reason }) => this.tally.close(code === undefined ? reason : String(code)));
      channel.on('terminal', ({ code }) => this.tally.close(String(code)));
      channel.on('error', () => this.tally.errors++);
    }
    this.chat.on('error', () => this.tally.errors++);
    this.chat.on('missed', () => this.tally.errors++);
    this.game.onState(({ lastInput }) => {
      this.tally.received++;
      const now = performance.now();
      while (this.pending.length > 0 && (this.pending[0] as { seq: number }).seq <= lastInput) {
        this.tally.rtt((now - (this.pending.shift() as { at: number }).at));
      }
    });
    this.chat.onMessage<Line>(this.room, ({ body }) => this.hear(body));
    const offGame = this.game.channel.on('open', () => {
      offGame();
      if (setup.gameRate > 0 && !this.closed) this.inputs = setInterval(() => this.input(), 1000 / setup.gameRate);
    });
    const offChat = this.chat.channel.on('open', () => {
      offChat();
      this.chat.join(this.room).then(
        () => {
          this.joined = true;
        },
        () => this.tally.errors++,
      );
    });
  }

  private input(): void {
    const seq = this.game.sendInput({ dx: 1, dy: 0 });
    this.tally.sent++;
    this.tally.inputs++;
    // Only what is sent on an open channel is a round trip; what waits in the outbox is a recovery.
    if (this.game.channel.state === 'open') this.pending.push({ seq, at: performance.now() });
    if (this.pending.length > 1000) this.pending.shift();
  }

  /** Says the next line in the room. */
  say(): void {
    if (this.closed) return;
    const n = ++this.lines;
    const line: Line = { s: this.index, n, t: Date.now() };
    this.tally.sent++;
    this.chat.say(this.room, line).then(
      () => this.said.set(n, true),
      () => {
        this.said.set(n, false);
        this.tally.errors++;
      },
    );
  }

  private hear(line: Line): void {
    this.tally.received++;
    if (typeof line !== 'object' || line === null || typeof line.s !== 'number' || typeof line.n !== 'number') {
      this.tally.errors++;
      return;
    }
    let heard = this.heard.get(line.s);
    if (!heard) this.heard.set(line.s, (heard = { max: 0, seen: new Set() }));
    if (heard.seen.has(line.n)) {
      this.tally.duplicated++;
      return;
    }
    if (line.n < heard.max) this.tally.outOfOrder++;
    heard.seen.add(line.n);
    heard.max = Math.max(heard.max, line.n);
    this.tally.chatLatency(Date.now() - line.t);
  }

  /** Lines `sender` said (and were not refused) that this player never heard. */
  missing(sender: Player): number {
    const seen = this.heard.get(sender.index)?.seen;
    let lost = 0;
    for (let n = 1; n <= sender.lines; n++) if (sender.said.get(n) !== false && !seen?.has(n)) lost++;
    return lost;
  }

  /** Whether this player has heard every line `sender` said that was not refused. */
  hasAll(sender: Player): boolean {
    return this.missing(sender) === 0;
  }

  /** Every line said has its answer. */
  get settled(): boolean {
    return this.said.size === this.lines;
  }

  /** Stops the game inputs and new lines (the channels stay open to receive what is in flight). */
  quiet(): void {
    if (this.inputs) clearInterval(this.inputs);
    this.inputs = undefined;
  }

  /** The fault `kind`, as a phone has it. */
  fault(kind: FaultKind): void {
    if (this.closed) return;
    this.tally.faults++;
    if (kind === 'drop') {
      for (const socket of this.sockets) socket.terminate();
    } else if (kind === 'background') {
      this.lifecycle.fire('hide');
      this.later(BACKGROUND_MS, () => this.lifecycle.fire('show'));
    } else {
      this.lifecycle.network(false);
      for (const socket of this.sockets) socket.terminate();
      this.later(OFFLINE_MS, () => this.lifecycle.network(true));
    }
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  close(): void {
    this.closed = true;
    this.quiet();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.manager.close();
  }
}
