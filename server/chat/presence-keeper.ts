import { randomBytes } from 'node:crypto';
import { type Clock } from '../../src/time/clock';
import { Repeater } from '../../src/time/repeater';
import type { ChatStore, PresenceEntry } from './store';
import type { ServerSession } from '../core/types';

/** Most entries one renewal sends to the store at once. */
export const RENEWAL_SLICE = 500;

/** A room as the keeper sees it: its key and this process's member sessions there. */
export interface PresentRoom {
  readonly key: string;
  readonly members: ReadonlySet<ServerSession>;
}

/**
 * This process's share of the rooms' presence in a shared chat store: it lists a member where it joins (or moves
 * to), removes it where it leaves, and renews its members' entries every third of `ttlMs` on the server's clock while
 * it has members, so that the members of a process that dies without removing them go after `ttlMs`.
 */
export class PresenceKeeper {
  /**
   * The owner of an entry is one session object in one process: this random token (one per keeper, so one per chat
   * installed) and a counter. Not the process alone: a session that moves away and comes back is a new copy here,
   * and the old copy's end must not remove the new copy's entry, whichever of the two reaches the store first.
   */
  private readonly token = randomBytes(9).toString('base64url');
  private readonly owners = new WeakMap<ServerSession, string>();
  private copies = 0;
  /** Renewals on a schedule of absolute times: a late timer (a frozen event loop) renews once rather than bursting. */
  private readonly renewals: Repeater;
  private stopped = false;

  /**
   * @param rememberMs How long a leave's tombstone keeps other copies' renewals from listing the session again: at
   *   least as long as an older copy of it may live on in a process that has not learnt that it moved (the resume
   *   window) plus `ttlMs`.
   */
  constructor(
    clock: Clock,
    private readonly store: ChatStore,
    private readonly ttlMs: number,
    private readonly rememberMs: number,
    private readonly rooms: () => Iterable<PresentRoom>,
  ) {
    this.renewals = new Repeater(clock, Math.max(1, Math.floor(ttlMs / 3)), () => void this.renew());
  }

  /** `session`'s entry: its public id and the owner token of this copy of it. */
  entry(session: ServerSession): PresenceEntry {
    let owner = this.owners.get(session);
    if (owner === undefined) {
      owner = `${this.token}.${++this.copies}`;
      this.owners.set(session, owner);
    }
    return { publicId: session.publicId, owner };
  }

  /**
   * Lists `session` in `room`, taking over an entry another copy of it made (it is served here now).
   * @throws {ChatError} (as a rejection) `unavailable` when the store cannot be reached.
   */
  show(room: string, session: ServerSession): Promise<void> {
    if (!this.stopped && this.store.presenceLasts !== true) this.renewals.start();
    return this.store.present(room, [this.entry(session)], this.ttlMs, 'join');
  }

  /**
   * Removes `session` from `room` if this copy still owns the entry, leaving a tombstone unless `moved` (the session
   * lives on elsewhere, where its new copy lists it and must be able to list it again). Never rejects: when the store
   * cannot be reached the entry stays listed until it expires, `ttlMs` after its last renewal.
   */
  hide(room: string, session: ServerSession, moved = false): Promise<void> {
    return this.store.absent(room, this.entry(session), moved ? 0 : this.rememberMs).catch(() => undefined);
  }

  /**
   * Renews every member's entry now, adding back those that expired (the store was away, the event loop late), and
   * leaving those that another copy of the session owns. Resolves once the store answered; never rejects.
   */
  renew(): Promise<void> {
    const calls: Promise<void>[] = [];
    for (const room of this.rooms()) {
      if (room.members.size === 0) continue;
      const entries = [...room.members].map((session) => this.entry(session));
      // In slices: one script with a huge room's every member would hold Redis (it runs scripts alone) for too long.
      for (let start = 0; start < entries.length; start += RENEWAL_SLICE) {
        calls.push(this.store.present(room.key, entries.slice(start, start + RENEWAL_SLICE), this.ttlMs, 'refresh').catch(() => undefined));
      }
    }
    return Promise.all(calls).then(() => undefined);
  }

  /** No member left: no timer until the next {@link show}. */
  idle(): void {
    this.renewals.stop();
  }

  /** For good (the server or the chat closed): no timer from now on. */
  stop(): void {
    this.stopped = true;
    this.renewals.stop();
  }
}
