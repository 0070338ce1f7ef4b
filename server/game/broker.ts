/*
 * What the game module needs to make one world of several server processes (SCALING.md, "The game across
 * processes"): each process publishes the players it holds once per tick and hears everyone else's. The broker only
 * carries updates; who is authoritative, and how long a silent process's players stay, is the game's business
 * (server/game/game.ts). `server/redis/game-broker.ts` implements it on Redis pub/sub.
 */

/** A player's position in `game/state`. */
export interface PlayerPosition {
  x: number;
  y: number;
}

/** One game's players, as it broadcast them at one of its ticks. */
export interface WorldUpdate {
  /** The publishing game's random token (one per `installGame`): how a game recognises, and skips, its own. */
  readonly owner: string;
  /** The publisher's tick number. */
  readonly tick: number;
  /** Its connected players by id; empty when it has none (its previous ones are gone at once). */
  readonly players: Readonly<Record<string, PlayerPosition>>;
}

/** Events of a {@link GameBroker}, each with one context object. */
export interface GameBrokerEvents {
  /** The broker cannot be reached: updates are dropped both ways until `available` (remote players age out). */
  unavailable: { error: Error };
  /** It can be reached again: updates flow. */
  available: Record<string, never>;
  /** Something failed that nobody else will hear of (an update that could not be decoded). */
  error: { error: Error };
}

/**
 * Carries every game's {@link WorldUpdate}s to every game subscribed, best effort: an update that cannot be sent is
 * dropped (the next tick sends a newer one), never queued.
 */
export interface GameBroker {
  /** Sends `update` to every subscriber (the publisher's own among them, if it subscribed). Never throws. */
  publish(update: WorldUpdate): void;
  /** Calls `listener` with each update heard, in the order each publisher sent them; returns the undo. */
  subscribe(listener: (update: WorldUpdate) => void): () => void;
  on<K extends keyof GameBrokerEvents & string>(event: K, listener: (context: GameBrokerEvents[K]) => void): () => void;
  /** Releases its connections; resolves once they are closed. */
  close(): Promise<void>;
}
