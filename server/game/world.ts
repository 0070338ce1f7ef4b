import type { PlayerPosition, WorldUpdate } from './broker';

/** What was last heard from another process's game. */
interface RemoteGame {
  heardAt: number;
  players: Readonly<Record<string, PlayerPosition>>;
  count: number;
}

/**
 * The other processes' players as a game hears them through its broker (SCALING.md "One world across processes"):
 * the latest update of each process, at most `maxPlayers` players in all, each process dropped once it has been
 * silent for `timeoutMs`.
 */
export class RemoteWorld {
  /** The other processes' latest updates, oldest heard first. */
  private readonly games = new Map<string, RemoteGame>();
  private count = 0;

  constructor(
    private readonly maxPlayers: number,
    private readonly timeoutMs: number,
  ) {}

  /** Remote players kept now. */
  get players(): number {
    return this.count;
  }

  /** Keeps `update` (heard at `now`) as its process's latest, cut to what the cap leaves room for. */
  hear(update: WorldUpdate, now: number): void {
    const previous = this.games.get(update.owner);
    if (previous) this.forget(update.owner, previous);
    const ids = Object.keys(update.players);
    const room = this.maxPlayers - this.count;
    if (ids.length === 0 || room <= 0) return;
    let kept = update.players;
    if (ids.length > room) {
      const cut: Record<string, PlayerPosition> = {};
      for (const id of ids.slice(0, room)) cut[id] = update.players[id] as PlayerPosition;
      kept = cut;
    }
    const count = Math.min(ids.length, room);
    // Re-inserted, so the map stays in the order heard: the latest listing of an id another process also lists wins.
    this.games.set(update.owner, { heardAt: now, players: kept, count });
    this.count += count;
  }

  /**
   * The world at `now`: every remote process's players not timed out, then `local`, which wins over a remote listing
   * of the same id (this process holds those sessions: a player moving away may still be listed by the other one).
   */
  merge(local: Record<string, PlayerPosition>, now: number): Record<string, PlayerPosition> {
    for (const [key, game] of this.games) {
      if (now - game.heardAt < this.timeoutMs) break;
      this.forget(key, game);
    }
    if (this.games.size === 0) return local;
    const positions: Record<string, PlayerPosition> = {};
    for (const game of this.games.values()) Object.assign(positions, game.players);
    return Object.assign(positions, local);
  }

  clear(): void {
    this.games.clear();
    this.count = 0;
  }

  private forget(key: string, game: RemoteGame): void {
    this.games.delete(key);
    this.count -= game.count;
  }
}
