/*
 * The connection logic of the Cocos example, with nothing of Cocos in it: NetworkComponent.ts (the component) only
 * picks the platform and draws, and a test (test/package/example-cocos.test.ts) drives this class on the wx emulator
 * against the reference server. Copy both files into your project's assets/.
 *
 * One ConnectionManager, two channels: game (inputs out, the server's state in, 20 times a second) and chat (reliable
 * lines in one room, each once and in order across reconnects).
 */
import { ConnectionManager, type Lifecycle, type Transport, wxLifecycle, type WxLifecycleApi, type WxSocketApi, wxTransport } from 'multisocket';
import { type ChatChannel, chatChannel, type GameChannel, gameChannel } from 'multisocket/channels';

/** A point of the game world: the origin in the middle of the field, y growing downwards (the server's convention). */
export interface Position {
  x: number;
  y: number;
}

/** One chat line, as shown. */
export interface ChatLine {
  id: number;
  from: string;
  text: string;
}

/** How the channels reach the server on this platform. */
export interface NetworkPlatform {
  transport: Transport;
  /** The app's hide/show, where the platform has one (mini-games); the manager closes sockets in the background. */
  lifecycle?: Lifecycle;
}

/** Options of {@link GameNetwork}. */
export interface GameNetworkOptions {
  /** The server, e.g. `wss://game.example.com`; the channels connect to `/game` and `/chat`. */
  url: string;
  /** The chat room. Default `'lobby'`. */
  room?: string;
  /** Chat lines kept for the screen. Default 20. */
  keepLines?: number;
}

/** The largest step one input may make: the reference server's `installGame` default `maxStep`. */
export const MAX_STEP = 10;
/** An input the server has not applied after this long was lost on the way (sent as the socket dropped), ms. */
const PENDING_MS = 1000;

/** WeChat (`wx`), Douyin (`tt`) and the other wx-shaped mini-game platforms: their SocketTask and their onHide/onShow. */
export function miniGamePlatform(api: WxSocketApi & WxLifecycleApi, options: { allowInsecure?: boolean } = {}): NetworkPlatform {
  return { transport: wxTransport(api, { allowInsecure: options.allowInsecure === true }), lifecycle: wxLifecycle(api) };
}

/** A player's connection: the dots to draw, the chat lines to show, and what the player does. */
export class GameNetwork {
  /** This player's id in the game state, once {@link ready}. */
  me: string | undefined;
  /** The latest server positions, by player id. */
  players: Readonly<Record<string, Position>> = {};
  /** The latest chat lines, oldest first. */
  readonly lines: ChatLine[] = [];
  /** Resolves with this player's id once the game has made it a player and the chat room is joined. */
  readonly ready: Promise<string>;

  private readonly manager: ConnectionManager;
  private readonly game: GameChannel;
  private readonly chat: ChatChannel;
  private readonly room: string;
  private readonly keepLines: number;
  /** Inputs sent and not yet applied by the server (the state lags by a round trip), to steer without overshooting. */
  private pending: { seq: number; dx: number; dy: number; at: number }[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(platform: NetworkPlatform, options: GameNetworkOptions) {
    this.room = options.room ?? 'lobby';
    this.keepLines = options.keepLines ?? 20;
    this.manager = new ConnectionManager(platform);
    this.game = gameChannel({ manager: this.manager, url: `${options.url}/game` });
    this.chat = chatChannel({ manager: this.manager, url: `${options.url}/chat` });

    this.game.onState<Record<string, Position>>((state) => {
      this.players = state.players;
      const now = Date.now();
      this.pending = this.pending.filter((input) => input.seq > state.lastInput && now - input.at < PENDING_MS);
      this.changed();
    });
    this.chat.onMessage<{ text?: unknown }>(this.room, (message) => {
      this.lines.push({ id: message.id, from: String(message.from), text: String(message.body?.text) });
      if (this.lines.length > this.keepLines) this.lines.shift();
      this.changed();
    });
    for (const channel of [this.game.channel, this.chat.channel]) channel.on('state', () => this.changed());
    this.ready = Promise.all([this.game.channel.request('game/join', {}), this.chat.join(this.room)]).then(([joined]) => {
      this.me = (joined as { id: string }).id;
      return this.me;
    });
  }

  /** Calls `listener` after each server state, chat line and channel state change (a component can also just read every frame). Returns the undo. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Each channel's state (`'open'`, `'reconnecting'`, ...), for a status line. */
  get status(): { game: string; chat: string } {
    return { game: this.game.channel.state, chat: this.chat.channel.state };
  }

  /** Sends the next input toward a world point; returns its seq, or 0 when the dot is there or not placed yet. */
  steerToward(target: Position): number {
    const at = this.me === undefined ? undefined : this.players[this.me];
    if (!at) return 0;
    const from = this.pending.reduce((p, input) => ({ x: p.x + input.dx, y: p.y + input.dy }), at);
    const clamp = (value: number) => Math.max(-MAX_STEP, Math.min(MAX_STEP, Math.round(value)));
    const dx = clamp(target.x - from.x);
    const dy = clamp(target.y - from.y);
    if (dx === 0 && dy === 0) return 0;
    const seq = this.game.sendInput({ dx, dy });
    this.pending.push({ seq, dx, dy, at: Date.now() });
    return seq;
  }

  /** Says a line in the room; resolves with its id once the server has stored it. */
  async say(text: string): Promise<number> {
    return (await this.chat.say(this.room, { text })).id;
  }

  private changed(): void {
    this.listeners.forEach((listener) => listener());
  }

  /** Closes both channels (the component's onDestroy); resolves once both are closed. */
  close(): Promise<void> {
    const channels = [this.game.channel, this.chat.channel];
    const closed = channels.map(
      (channel) =>
        new Promise<void>((resolve) => {
          if (channel.state === 'closed') return resolve();
          channel.on('state', ({ next }) => next === 'closed' && resolve());
        }),
    );
    this.manager.close();
    return Promise.all(closed).then(() => undefined);
  }
}
