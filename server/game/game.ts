import { randomBytes } from 'node:crypto';
import { Repeater } from '../../src/time/repeater';
import { FrameCodec } from '../../src/wire/codec';
import { UsageErrorCode } from '../../src/codes';
import { checkOptionNames } from '../../src/defaults';
import { UsageError } from '../../src/errors';
import { Op } from '../../src/wire/protocol';
import type { GameBroker, PlayerPosition, WorldUpdate } from './broker';
import { RemoteWorld } from './world';
import { uintWidth, writeUint } from '../../src/reliable/seq-splice';
import type { ReferenceServer } from '../core/server';
import { Session } from '../sessions/session';
import type { ServerSession } from '../core/types';

export type { PlayerPosition } from './broker';

/** The session note that carries a player to another process (shared session store): `x,y,lastInput`. */
const PLAYER_NOTE = 'game:player';

/** Options of {@link installGame}; every field is optional and its default is given here. */
export interface InstallGameOptions {
  /** State broadcasts per second, at most 1,000. Default 20. */
  tickHz: number;
  /** Largest |dx| or |dy| one input moves a player; larger ones are cut to it. Default 10. */
  maxStep: number;
  /**
   * Carries each tick's players to and from the other server processes of the service, so that `game/state` shows
   * one world across them (SCALING.md). Player ids (public session ids) must then be unique across the processes,
   * as they are with a shared session store (`createServer({ sessionStore })` prefixes them with the process's token).
   * Default none: this process's players only. The game does not close it.
   */
  broker: GameBroker;
  /** A remote process's players are dropped once nothing was heard from it for this long, ms. Default 3 ticks, at least 250. */
  remoteTimeoutMs: number;
  /**
   * Most remote players kept at once; an update that would go over it is cut. Default 1,000. Every `game/state` lists
   * the local and the remote players in one map: keep their sum under the clients' `limits.maxMapLength` (10,000 by
   * default) and the state under `limits.maxFrameBytes`, or the clients refuse it.
   */
  maxRemotePlayers: number;
}

/** A game module installed on a server. */
export interface Game {
  /** Players held now (attached or awaiting a resume). */
  readonly players: number;
  /** Players of other processes (heard through the broker) merged into `game/state` now. */
  readonly remotePlayers: number;
  /** The last tick broadcast (0 before the first). */
  readonly tick: number;
  /**
   * `game/state` messages not sent because they could not be encoded within the server's `limits` (a world too big
   * for `maxFrameBytes`): the loop goes on, and the count says why players see no state.
   */
  readonly statesDropped: number;
  /** Stops the tick loop and removes the game's handlers and listeners from the server. */
  close(): void;
}

/** The PUSH `game/state` payload; `lastInput` is the receiving player's own last applied input `seq`. */
export interface GameStatePayload {
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
  /** Changed since its session last noted it. */
  dirty: boolean;
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
 * Across processes (SCALING.md): with a shared session store, each player's state is noted in its session
 * (`game:player`, at most once per tick and only when it changed), so a client whose session moves to another
 * process is a player there again, where it was, with the same `lastInput`. With a `broker`, each process publishes
 * its connected players once per tick and merges the others' latest into every `game/state`: it stays authoritative
 * for its own (they win over a remote listing of the same id), and a process not heard from for `remoteTimeoutMs`
 * has its players dropped.
 *
 * A player is removed when its session ends; the loop runs on the server's clock, only while there are players, and
 * stops on `server.close()`.
 * @throws {UsageError} `invalid_option` naming a bad option.
 */
/** Every key of {@link InstallGameOptions} (the type makes the list complete): any other is a typo, refused. */
const GAME_OPTION_NAMES = Object.keys({ tickHz: 1, maxStep: 1, broker: 1, remoteTimeoutMs: 1, maxRemotePlayers: 1 } satisfies Record<keyof InstallGameOptions, 1>);

export function installGame(server: ReferenceServer, options: Readonly<Partial<InstallGameOptions>> = {}): Game {
  checkOptionNames('installGame', options, GAME_OPTION_NAMES);
  const tickHz = options.tickHz ?? 20;
  const maxStep = options.maxStep ?? 10;
  if (typeof tickHz !== 'number' || !Number.isFinite(tickHz) || tickHz <= 0 || tickHz > 1000) invalid('tickHz', tickHz);
  if (typeof maxStep !== 'number' || !Number.isFinite(maxStep) || maxStep < 0) invalid('maxStep', maxStep);
  const intervalMs = 1000 / tickHz;
  const remoteTimeoutMs = options.remoteTimeoutMs ?? Math.max(250, 3 * intervalMs);
  const maxRemotePlayers = options.maxRemotePlayers ?? 1_000;
  if (typeof remoteTimeoutMs !== 'number' || !Number.isFinite(remoteTimeoutMs) || remoteTimeoutMs <= 0) invalid('remoteTimeoutMs', remoteTimeoutMs);
  if (!isUint(maxRemotePlayers)) invalid('maxRemotePlayers', maxRemotePlayers);
  const broker = options.broker;
  if (broker !== undefined && (typeof broker !== 'object' || broker === null || typeof broker.publish !== 'function')) invalid('broker', broker);
  const clock = server.clock;
  const codec = new FrameCodec(server.limits);
  const players = new Map<ServerSession, Player>();
  /** This game's token in the world's updates: its own come back from the broker and are skipped. */
  const owner = randomBytes(6).toString('base64url');
  const remote = new RemoteWorld(maxRemotePlayers, remoteTimeoutMs);
  let tick = 0;
  let statesDropped = 0;

  const hear = (update: WorldUpdate): void => {
    // Nobody here to show them to: keep nothing (the first tick after a join hears them again).
    if (update.owner !== owner && players.size > 0) remote.hear(update, clock.now());
  };

  /** With a shared session store, the session keeps the player's state, written with that session's next write. */
  const note = (player: Player, value: string): void => {
    if (player.session instanceof Session) player.session.note(PLAYER_NOTE, value);
  };

  const broadcast = (): void => {
    const now = clock.now();
    tick++;
    const serverTime = Math.floor(now);
    const local: Record<string, PlayerPosition> = {};
    for (const player of players.values()) {
      if (player.dirty) {
        player.dirty = false;
        note(player, `${player.x},${player.y},${player.lastInput}`);
      }
      if (player.session.connection) local[player.id] = { x: player.x, y: player.y };
    }
    broker?.publish({ owner, tick, players: local });
    send(tick, serverTime, remote.merge(local, now));
  };
  // On absolute times: a late timer (a frozen event loop) skips the ticks it missed rather than bursting them.
  const ticks = new Repeater(clock, intervalMs, broadcast);

  /**
   * Every connected player's `game/state`, encoded once: the states differ only in `lastInput`, the map's last value,
   * so the frame is encoded with 0 there (one byte) and each player's is written in its place. A state over the
   * server's frame limit (a world too big) is counted in `statesDropped`, never thrown: the loop serves every player.
   */
  const send = (tick: number, serverTime: number, positions: Record<string, PlayerPosition>): void => {
    const state: GameStatePayload = { tick, serverTime, players: positions, lastInput: 0 };
    let frame: Uint8Array;
    try {
      frame = codec.encodeShared([Op.Push, 'game/state', state]);
    } catch {
      for (const player of players.values()) if (player.session.connection) statesDropped++;
      return;
    }
    const head = frame.length - 1;
    const out = new Uint8Array(head + 9);
    out.set(frame.subarray(0, head));
    for (const player of players.values()) {
      const connection = player.session.connection;
      if (!connection) continue;
      const length = head + uintWidth(player.lastInput);
      if (length > codec.limits.maxFrameBytes) {
        statesDropped++;
        continue;
      }
      writeUint(out, head, player.lastInput);
      // The connection copies it into its batch: `out` serves the next player.
      connection.pushEncoded(out.subarray(0, length));
    }
  };

  const join = (session: ServerSession): Player => {
    let player = players.get(session);
    if (!player) {
      player = { id: session.publicId, session, x: 0, y: 0, lastInput: 0, dirty: true };
      players.set(session, player);
      ticks.start();
    }
    return player;
  };

  /** The last player left: the loop stops, and the other processes hear at once that this one has nobody. */
  const stopLoop = (): void => {
    ticks.stop();
    broker?.publish({ owner, tick, players: {} });
    remote.clear();
  };

  const remove = (session: ServerSession): void => {
    if (!players.delete(session)) return;
    if (players.size === 0) stopLoop();
  };

  /** A session moved here from another process (shared session store): its player goes on where it was. */
  const restore = (session: Session): void => {
    const saved = session.takeRestoredNotes('game:')?.get(PLAYER_NOTE.slice('game:'.length));
    const state = saved === undefined ? undefined : parseNote(saved);
    if (!state) return;
    const player = join(session);
    Object.assign(player, state, { dirty: false });
  };

  const undo = [
    server.handle('game/join', (_payload, { session }) => {
      const player = join(session);
      return { id: player.id, x: player.x, y: player.y, tickHz };
    }),
    server.handle('game/leave', (_payload, { session }) => {
      const player = players.get(session);
      if (player) note(player, '');
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
      player.dirty = true;
    }),
    server.events.on('connection', ({ session, resumed }) => {
      if (resumed && session instanceof Session) restore(session);
    }),
    server.events.on('sessionEnd', ({ session }) => remove(session)),
    server.events.on('close', () => game.close()),
    broker ? broker.subscribe(hear) : () => undefined,
  ];

  const game: Game = {
    get players() {
      return players.size;
    },
    get remotePlayers() {
      return remote.players;
    },
    get tick() {
      return tick;
    },
    get statesDropped() {
      return statesDropped;
    },
    close() {
      if (undo.length === 0) return;
      if (players.size > 0) stopLoop();
      players.clear();
      for (const off of undo.splice(0)) off();
    },
  };
  return game;
}

/** A `game:player` note (`x,y,lastInput`) back into the player's state; undefined if it is not one. */
function parseNote(value: string): { x: number; y: number; lastInput: number } | undefined {
  const parts = value.split(',');
  if (parts.length !== 3) return undefined;
  const [x, y, lastInput] = parts.map(Number) as [number, number, number];
  if (!Number.isFinite(x) || !Number.isFinite(y) || !isUint(lastInput)) return undefined;
  return { x, y, lastInput };
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
