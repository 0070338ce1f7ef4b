import type { UnackedMessage } from '../../src/reliable/reliable';
import type { ServerSession } from '../core/types';
import type { Session } from './session';

/**
 * Where this process keeps its sessions, by id: a `Map` inside the server's {@link ServerState}. With a
 * {@link SharedSessionStore} (the `sessionStore` option) each session is also written through to it, and a HELLO
 * that asks to resume takes the session from there (see {@link Sessions.fetch}).
 */
export interface SessionStore {
  get(id: string): Session | undefined;
  set(id: string, session: Session): unknown;
  delete(id: string): boolean;
  readonly size: number;
  values(): IterableIterator<Session>;
}

/** The read-only view of the sessions a server holds (`server.sessions`): attached ones and those awaiting a resume. */
export interface SessionView {
  get(id: string): ServerSession | undefined;
  readonly size: number;
  values(): IterableIterator<ServerSession>;
}

/** What a HELLO asks to resume: both keys must be present. */
export interface ResumeRequest {
  readonly session: string;
  readonly recv: number;
}

/** The session a welcomed connection gets, and what WELCOME and the frames after it say. */
export interface OpenedSession {
  readonly session: Session;
  readonly resumed: boolean;
  /** Frames the client lacks (seq above its HELLO `recv`), to send in order right after WELCOME. */
  readonly missing: readonly UnackedMessage[];
  /** Not resumed, but the session asked for ended recently: the last of its client's RELIABLE seqs applied. */
  readonly previousRecv?: number;
}
