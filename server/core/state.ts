import { randomBytes } from 'node:crypto';
import { UsageErrorCode } from '../../src/codes';
import { UsageError } from '../../src/errors';
import type { LostSession } from '../sessions/lost';
import type { SessionStore } from '../sessions/kept';

/**
 * What a server shares with the server instances after it: sessions (with their reliable buffers and `recv`), the
 * public-id counter, and what each module keeps there ({@link ServerState.kept}: the chat's rooms). Held by one server at a time: a
 * new server may take it once the previous one's `close()` has resolved, and its clients resume their sessions.
 * This in-memory state models a restart within one process; a restart of the process needs an external store.
 */
export class ServerState {
  readonly sessions: SessionStore = new Map();
  /**
   * Sessions that ended (expired, overflowed): how much of each client's RELIABLE stream was applied, by session id,
   * oldest first, so a client that comes back too late is told what not to send again (WELCOME `previousRecv`). With
   * a shared session store, what the store remembers of a session asked for is copied here before the WELCOME.
   */
  readonly lost = new Map<string, LostSession>();
  /** Next `publicId` number, so that a new server never reuses one a kept session has. */
  nextPublicId = 1;
  /**
   * The token in front of this state's public ids (`p<token>.<n>`): random, so that processes sharing a chat store or
   * a game broker without a session store still tell their members apart.
   */
  readonly publicIdToken = randomBytes(6).toString('base64url');
  private holder: object | undefined;
  /** What modules keep here, each under its own key, so that the core need not know them. */
  private readonly modules = new Map<symbol, unknown>();

  /**
   * @param shared true when the state was made to outlive its server ({@link createMemoryState}): closing the server
   * then keeps its sessions and rooms by default.
   */
  constructor(readonly shared: boolean) {}

  /**
   * Called by a server as it is built.
   * @throws {UsageError} `invalid_option` while another server holds the state (its `close()` has not resolved).
   */
  claim(holder: object): void {
    if (this.holder !== undefined && this.holder !== holder) {
      throw new UsageError(UsageErrorCode.InvalidOption, 'option state is invalid: another server holds it until its close() resolves');
    }
    this.holder = holder;
  }

  /**
   * What the module owning `key` keeps in this state, made by `make` the first time it is asked for: a module installed
   * on the next server built on this state finds it again. `key` is the module's own symbol, so `T` is its to keep.
   */
  kept<T>(key: symbol, make: () => T): T {
    if (!this.modules.has(key)) this.modules.set(key, make());
    return this.modules.get(key) as T;
  }

  /** Called by a server once it has closed. */
  release(holder: object): void {
    if (this.holder === holder) this.holder = undefined;
  }
}

/**
 * A server state that outlives the server: pass it as `createServer({ state })` to each server instance in turn (on
 * the same port), and clients resume their sessions and rooms across the restart within `resumeWindowMs`.
 */
export function createMemoryState(): ServerState {
  return new ServerState(true);
}
