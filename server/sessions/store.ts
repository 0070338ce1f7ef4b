/*
 * A session store shared by several server processes (SCALING.md, phase 2): what a session needs to be resumed
 * elsewhere. Without one (the default) sessions live in the process's `ServerState` only.
 */

/** One kept server-to-client RELIABLE frame, encoded. */
export interface StoredFrame {
  readonly seq: number;
  readonly frame: Uint8Array;
}

/** A session as the store holds it. */
export interface StoredSession {
  readonly channel: string;
  readonly publicId: string;
  readonly user: object | undefined;
  /** The last client RELIABLE seq applied. */
  readonly recv: number;
  /** The last server seq the client acknowledged. */
  readonly acked: number;
  /** The seq the next server RELIABLE gets. */
  readonly nextSeq: number;
  /** The unacknowledged server frames, in seq order. */
  readonly frames: readonly StoredFrame[];
  /** What modules noted about the session (the chat module: its rooms and the last message id each got). */
  readonly notes: ReadonlyMap<string, string>;
}

/** What changed in a session since the last write; applied atomically. */
export interface SessionWrite {
  /** Only when the session is new. */
  meta?: { channel: string; publicId: string; user: object | undefined };
  recv?: number;
  acked?: number;
  nextSeq?: number;
  frames: StoredFrame[];
  /** Notes to set; an empty value removes the note. */
  notes?: Map<string, string>;
  /**
   * The last write of this process for the session, handing it over: the store keeps it live but owned by nobody, so
   * that the process that asked for it (see {@link SharedSessionStore.serveReleases}) takes it.
   */
  release?: boolean;
}

/** The answer of {@link SharedSessionStore.take} for a session that can be resumed. */
export interface TakenSession {
  readonly ended?: false;
  /** This process already owned it: its local copy, if any, is current. */
  readonly wasMine: boolean;
  readonly session: StoredSession;
}

/**
 * The answer of {@link SharedSessionStore.take} for a session that ended (its resume window passed, on whichever
 * process, even one that died) and is still remembered: what WELCOME `previousRecv` reports.
 */
export interface EndedSession {
  readonly ended: true;
  readonly channel: string;
  /** The last client RELIABLE seq the session applied. */
  readonly recv: number;
}

/**
 * Hands this process's sessions over to another process that asks for one: resolves true once the session `id` is
 * written in full and given up (or was not held here), false when it could not be written (the asker asks again or
 * takes it when its patience ends).
 */
export type ReleaseSession = (id: string) => Promise<boolean>;

/**
 * Sessions shared by several server processes. One process owns a session at a time: {@link take} makes the caller
 * the owner, and a {@link write} or {@link remove} by a process that is no longer the owner changes nothing. A store
 * may hand a session over rather than snatch it: {@link take} then asks the live owner to write what it holds and
 * give the session up first.
 */
export interface SharedSessionStore {
  /** This process's owner token (also the prefix of its sessions' public ids). */
  readonly owner: string;
  /**
   * Applies `write` atomically and keeps the session live `ttlMs` more (its resume window); resolves false when
   * another process owns the session, or it ended.
   */
  write(id: string, write: SessionWrite, ttlMs: number): Promise<boolean>;
  /**
   * Makes this process the owner and returns the session; an {@link EndedSession} when its window passed but the store
   * still remembers it; undefined when the store does not have it.
   */
  take(id: string, ttlMs: number): Promise<TakenSession | EndedSession | undefined>;
  /** The session ended for good (expired, overflowed) having applied `recv`: forgets it, if this process owns it, but remembers `recv`. */
  remove(id: string, recv: number): Promise<void>;
  /**
   * Registers how this process hands a session over when another one asks for it; returns the undo. A store without
   * it never asks: its {@link take} is immediate.
   */
  serveReleases?(release: ReleaseSession): () => void;
  /**
   * Calls `listener` each time the store can be reached again after losing its connection (writes kept back meanwhile
   * are sent then); returns the undo.
   */
  onAvailable?(listener: () => void): () => void;
  /** Resolves once the store answers a round trip (Redis: PING), rejects when it cannot be reached; `/readyz` asks it. */
  ping?(): Promise<unknown>;
  close(): Promise<void>;
}
