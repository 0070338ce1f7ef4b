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
}

/** The answer of {@link SharedSessionStore.take}. */
export interface TakenSession {
  /** This process already owned it: its local copy, if any, is current. */
  readonly wasMine: boolean;
  readonly session: StoredSession;
}

/**
 * Sessions shared by several server processes. One process owns a session at a time: {@link take} makes the caller
 * the owner, and a {@link write} or {@link remove} by a process that is no longer the owner changes nothing.
 */
export interface SharedSessionStore {
  /** This process's owner token (also the prefix of its sessions' public ids). */
  readonly owner: string;
  /** Applies `write` atomically and sets the expiry to `ttlMs`; resolves false when another process owns the session. */
  write(id: string, write: SessionWrite, ttlMs: number): Promise<boolean>;
  /** Makes this process the owner and returns the session; undefined when the store does not have it. */
  take(id: string, ttlMs: number): Promise<TakenSession | undefined>;
  /** Forgets the session, if this process owns it. */
  remove(id: string): Promise<void>;
  close(): Promise<void>;
}
