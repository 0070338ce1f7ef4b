import { Timer } from '../src/clock';
import { UsageErrorCode } from '../src/codes';
import { UsageError } from '../src/errors';
import type { ReferenceServer } from './server';
import type { ServerSession } from './types';

/** Options of {@link installGame}; every field is optional and its default is given here. */
export interface GameOptions {
  /** State broadcasts per second, at most 1,000. Default 20. */
  tickHz: number;
  /** Largest |dx| or |dy| one input moves a player; larger ones are cut to it. Default 10. */
  maxStep: number;
}

/** A game module installed on a server. */
export interface Game {
  /** Players held now (attached or awaiting a resume). */
  readonly players: number;
  /** The last tick broadcast (0 before the first). */
  readonly tick: number;
  /** Stops the tick loop and removes the game's handlers and listeners from the server. */
  close(): void;
}

/** A player's position in `game/state`. */
export interface PlayerPosition {
  x: number;
  y: number;
}

/** The PUSH `game/state` payload; `lastInput` is the receiving player's own last applied input `seq`. */
export interface GameState {
  tick: number;
  serverTime: number;
  players: Record<string, PlayerPosition>;
  lastInput: number;
}

interface Player {
  readonly id: string;
  readonly session: ServerSession;
  x: number;
  y: number;
  lastInput: number;
}

/**
 * Installs a minimal authoritative game loop on `server`:
 *
 * - REQUEST `game/join` (any payload) → `{id, x, y, tickHz}`: the session becomes a player (a first `game/input` does
 *   too); `id` is its key in `players`;
 * - REQUEST `game/leave` → `null`;
 * - PUSH `game/input` `{seq, dx?, dy?}`: applied once per `seq`, in increasing order (a `seq` at or below the last
 *   applied one is stale and ignored), moving the player by `dx`, `dy` (each cut to ±`maxStep`);
 * - every 1/`tickHz` s while there are players, each connected player gets PUSH `game/state`
 *   `{tick, serverTime, players: {[id]: {x, y}}, lastInput}`, `players` listing the connected players and `lastInput`
 *   its own last applied input `seq`, for client-side reconciliation.
 *
 * A player is removed when its session ends; the loop runs on the server's clock, only while there are players, and
 * stops on `server.close()`.
 * @throws {UsageError} `invalid_option` naming a bad option.
 */
export function installGame(server: ReferenceServer, options: Readonly<Partial<GameOptions>> = {}): Game {
  const tickHz = options.tickHz ?? 20;
  const maxStep = options.maxStep ?? 10;
  if (typeof tickHz !== 'number' || !Number.isFinite(tickHz) || tickHz <= 0 || tickHz > 1000) invalid('tickHz', tickHz);
  if (typeof maxStep !== 'number' || !Number.isFinite(maxStep) || maxStep < 0) invalid('maxStep', maxStep);
  const intervalMs = 1000 / tickHz;
  const clock = server.clock;
  const players = new Map<ServerSession, Player>();
  let tick = 0;
  /** When the next tick is due: an absolute clock time, so a timer that fires late never shifts the schedule. */
  let nextAt = 0;

  const broadcast = (): void => {
    const now = clock.now();
    if (now < nextAt) {
      timer.schedule(nextAt - now);
      return;
    }
    tick++;
    const serverTime = Math.floor(now);
    const positions: Record<string, PlayerPosition> = {};
    for (const player of players.values()) {
      if (player.session.connection) positions[player.id] = { x: player.x, y: player.y };
    }
    for (const player of players.values()) {
      const state: GameState = { tick, serverTime, players: positions, lastInput: player.lastInput };
      player.session.connection?.push('game/state', state);
    }
    // A late timer (a frozen event loop) skips the ticks it missed rather than bursting them.
    nextAt += intervalMs;
    if (nextAt <= now) nextAt = now + intervalMs;
    timer.schedule(nextAt - now);
  };
  const timer = new Timer(clock, broadcast);

  const join = (session: ServerSession): Player => {
    let player = players.get(session);
    if (!player) {
      player = { id: session.publicId, session, x: 0, y: 0, lastInput: 0 };
      players.set(session, player);
      if (!timer.armed) {
        nextAt = clock.now() + intervalMs;
        timer.schedule(intervalMs);
      }
    }
    return player;
  };

  const remove = (session: ServerSession): void => {
    players.delete(session);
    if (players.size === 0) timer.cancel();
  };

  const undo = [
    server.handle('game/join', (_payload, { session }) => {
      const player = join(session);
      return { id: player.id, x: player.x, y: player.y, tickHz };
    }),
    server.handle('game/leave', (_payload, { session }) => {
      remove(session);
      return null;
    }),
    server.on('game/input', (payload, { session }) => {
      if (typeof payload !== 'object' || payload === null) return;
      const input = payload as { seq?: unknown; dx?: unknown; dy?: unknown };
      if (!isUint(input.seq)) return;
      const player = join(session);
      if (input.seq <= player.lastInput) return;
      player.lastInput = input.seq;
      player.x += step(input.dx, maxStep);
      player.y += step(input.dy, maxStep);
    }),
    server.events.on('sessionEnd', ({ session }) => remove(session)),
    server.events.on('close', () => game.close()),
  ];

  const game: Game = {
    get players() {
      return players.size;
    },
    get tick() {
      return tick;
    },
    close() {
      timer.cancel();
      players.clear();
      for (const off of undo.splice(0)) off();
    },
  };
  return game;
}

function step(value: unknown, maxStep: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 0;
  return Math.max(-maxStep, Math.min(maxStep, value));
}

function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function invalid(name: string, value: unknown): never {
  throw new UsageError(UsageErrorCode.InvalidOption, `game option ${name} is invalid: ${String(value)}`);
}
