import { randomBytes } from 'node:crypto';
import type { Clock } from '../../src/time/clock';
import { Repeater } from '../../src/time/repeater';
import { FrameCodec } from '../../src/wire/codec';
import { ClosingWrites } from './closing-writes';
import { CloseCode } from '../../src/codes';
import type { ReliableOptions } from '../../src/reliable/reliable';
import type { Emitter, ServerEventMap } from '../core/events';
import { ServerError, ServerErrorCode } from '../core/errors';
import { FailedRemoves, recallLost, rememberLost } from './lost';
import type { ResolvedServerOptions } from '../core/options';
import type { SessionLink } from './link';
import { Session, type SessionOwner } from './session';
import { SessionJournal } from './journal';
import type { SharedSessionStore } from './store';
import type { ServerState } from '../core/state';
import type { SessionEndReason } from '../core/types';
import type { OpenedSession, ResumeRequest, SessionStore, SessionView } from './kept';
import { resumeVerdict } from './resume-rule';

/**
 * The server's sessions: creates one per new client, resumes it for a HELLO that names it within the resume window,
 * keeps it that long after each disconnect and then frees it, so that memory returns to zero when clients leave.
 * They are kept in the server's {@link ServerState}: sessions a previous server left there are adopted, and this
 * server leaves its own there when it closes keeping them.
 */
export class Sessions implements SessionOwner, SessionView {
  readonly clock: Clock;
  readonly reliable: Readonly<ReliableOptions>;
  readonly codec: FrameCodec;
  private readonly resumeWindowMs: number;
  private readonly store: SessionStore;
  private readonly state: ServerState;
  private closing = false;
  private keeping = false;
  /** The store shared with other processes, if any. */
  readonly shared: SharedSessionStore | undefined;
  /** An attached session writes nothing while idle: its stored copy's expiry is set again twice per window. */
  private readonly refresh: Repeater | undefined;
  /** Stops serving other processes' requests for this process's sessions. */
  private readonly stopServing: (() => void) | undefined;
  private readonly stopRetrying: (() => void) | undefined;
  /** Ended sessions the shared store could not be told of yet: tried again when it is back, and on the refresh timer. */
  private readonly removes: FailedRemoves | undefined;
  private readonly lastWrites: ClosingWrites;

  constructor(options: ResolvedServerOptions, private readonly events: Emitter<ServerEventMap>) {
    this.clock = options.clock;
    this.lastWrites = new ClosingWrites(this.clock);
    this.reliable = options.reliable;
    this.resumeWindowMs = options.resumeWindowMs;
    this.codec = new FrameCodec(options.limits);
    this.state = options.state;
    this.store = options.state.sessions;
    this.shared = options.sessionStore;
    const shared = this.shared;
    if (shared) this.removes = new FailedRemoves((id, recv) => shared.remove(id, recv));
    if (shared) {
      this.refresh = new Repeater(this.clock, this.storeTtlMs() / 2, () => {
        for (const session of this.store.values()) if (session.connection) session.touch();
        this.removes?.retryAll(this.clock.now());
      });
      this.refresh.start();
    }
    this.stopServing = this.shared?.serveReleases?.((id) => this.handOver(id));
    // Back: what failed note-only writes kept goes now, not at each session's next write.
    this.stopRetrying = this.shared?.onAvailable?.(() => {
      for (const session of this.store.values()) session.retryKept();
      this.removes?.retryAll(this.clock.now());
    });
    // One whose window ran out while no server held it ends on its (past) deadline, once the caller's listeners exist.
    for (const session of this.store.values()) session.adopt(this, this.resumeWindowMs);
  }

  get size(): number {
    return this.store.size;
  }

  get(id: string): Session | undefined {
    return this.store.get(id);
  }

  values(): IterableIterator<Session> {
    return this.store.values();
  }

  /**
   * The session for a connection that was just accepted: the one `ask` names when it can be resumed (same channel,
   * within the window, a `recv` it did send and no lower than what its client acknowledged), else a new one. A previous connection of a resumed session is detached
   * and closed with BYE 4104 (terminal): the newer HELLO wins, and the displaced client must not come back for it.
   */
  open(link: SessionLink, channel: string, ask: ResumeRequest | undefined, user: object | undefined): OpenedSession {
    const found = ask && this.resumable(ask, channel);
    if (ask && found) {
      const previous = found.connection;
      if (previous) {
        found.detach();
        previous.shutdown(CloseCode.SessionTakenOver, 'session taken over');
      }
      found.user = user;
      found.attach(link);
      return { session: found, resumed: true, missing: found.resume(ask.recv) };
    }
    const shared = this.shared;
    // Public ids must not collide across processes: each prefixes its own with a token of its own (the session
    // store's owner token, else the state's), whether or not sessions are shared.
    const publicId = `p${shared ? shared.owner : this.state.publicIdToken}.${this.state.nextPublicId++}`;
    const session = new Session(newSessionId(), publicId, channel, user, this);
    if (shared) {
      const journal = this.journalFor(shared, session, 0, 0);
      journal.created({ channel, publicId, user });
      session.useJournal(journal);
    }
    this.store.set(session.id, session);
    session.attach(link);
    const previousRecv = ask ? recallLost(this.state.lost, ask.session, channel, this.clock.now()) : undefined;
    return previousRecv === undefined ? { session, resumed: false, missing: [] } : { session, resumed: false, missing: [], previousRecv };
  }

  /** `link` closed: its session, if still attached to it, waits for a resume until the window ends. */
  detach(session: Session, link: SessionLink): void {
    if (session.ended || session.connection !== link) return;
    if (this.closing && this.keeping) {
      session.detach();
      return;
    }
    if (this.closing || this.resumeWindowMs === 0) {
      this.end(session, this.closing ? 'server_closed' : 'expired');
      return;
    }
    session.detach();
    session.expireAt(this.clock.now() + this.resumeWindowMs);
  }

  end(session: Session, reason: SessionEndReason): void {
    if (session.ended) return;
    if (this.store.get(session.id) === session) this.store.delete(session.id);
    if (reason !== 'server_closed' && reason !== 'moved') {
      rememberLost(this.state.lost, session.id, session.channel, session.recv, this.clock.now());
      // Only if this process still owns it: the store remembers what it applied, for a resume on any process. A
      // closing server leaves its sessions there for the others.
      // Kept and tried again if the store is unreachable: until then it holds an older recv for the session.
      this.removes?.end(session.id, session.recv, this.clock.now());
    }
    let link: SessionLink | undefined;
    if (reason === 'server_closed' && this.shared) {
      // Left in the store for the other processes: what this copy holds that the store lacks is written first.
      const released = session.releaseToStore(this.lastWrites.tryAgain);
      link = released.link;
      this.lastWrites.add(session.id, released.stored);
    } else {
      link = session.release();
    }
    // Only an overflow ends a session whose client is still connected: make it come back and resync.
    if (reason === 'overflow') link?.shutdown(CloseCode.ServerRestart, 'session dropped: reliable buffer full');
    // A newer HELLO named it (with a recv it cannot resume from): as in open(), the newer one wins.
    if (reason === 'resume_refused') link?.shutdown(CloseCode.SessionTakenOver, 'session taken over');
    // Another process took it, or the store failed: the client resumes from what is stored.
    if (reason === 'moved') link?.shutdown(CloseCode.ServerRestart, 'session moved');
    this.events.emit('sessionEnd', { session, reason, livesOn: reason === 'moved' || (reason === 'server_closed' && this.shared !== undefined) });
  }

  /**
   * Resolves once the sessions a closing server ended have written what the shared store lacked (or gave up at
   * {@link CLOSE_WRITE_MS}): call it after every connection closed, as attached sessions end then.
   */
  async stored(): Promise<void> {
    await this.lastWrites.done();
    // Until now another process asking for one of these sessions was answered once its last write was done.
    this.stopServing?.();
  }

  /**
   * The server is closing: detached sessions end now, attached ones as their connections close; or, with `keep`, they
   * all stay in the state, without a timer, for the next server to adopt.
   */
  close(keep: boolean): void {
    this.closing = true;
    this.lastWrites.begin();
    this.keeping = keep;
    this.refresh?.stop();
    // Handoff requests are still served until stored(): a session's last write may be under way.
    this.stopRetrying?.();
    for (const session of [...this.store.values()]) {
      if (session.connection) continue;
      if (keep) session.park();
      else this.end(session, 'server_closed');
    }
  }

  /**
   * Before {@link open}, with a shared store: takes the session `ask` names from the store (this process becomes its
   * owner; a live owner elsewhere hands it over first, see SCALING.md "Handoff"), replacing a local copy that another
   * process has taken since; a local copy a failed write left ahead of the store is written there first. A session
   * the store remembers as ended is remembered here for {@link open}'s `previousRecv`. Never rejects; resolves false
   * when the store cannot be reached: the HELLO is then refused (retryably) rather than given a new session, which
   * would lose or repeat what the stored one holds.
   */
  async fetch(ask: ResumeRequest, channel: string): Promise<boolean> {
    const shared = this.shared;
    if (!shared) return true;
    const ahead = this.store.get(ask.session);
    // What this copy applied: more than the store knows, if a write failed.
    const applied = ahead && !ahead.ended ? ahead.recv : 0;
    if (ahead && !ahead.ended && !(await ahead.repair()) && !ahead.ended) return this.unreachable(new ServerError(ServerErrorCode.StoreUnavailable, 'session store: the session could not be written'));
    let taken;
    try {
      taken = await shared.take(ask.session, this.storeTtlMs());
    } catch (err) {
      return this.unreachable(err);
    }
    const local = this.store.get(ask.session);
    if (taken?.ended) {
      // Its window passed on the store's clock (its process may have died): it is over everywhere.
      const link = local?.connection;
      if (local) this.end(local, 'expired');
      link?.shutdown(CloseCode.ServerRestart, 'session expired');
      rememberLost(this.state.lost, ask.session, taken.channel, Math.max(taken.recv, applied), this.clock.now());
      return true;
    }
    if (taken?.wasMine && local) return true;
    if (local) this.end(local, 'moved');
    if (!taken || taken.session.channel !== channel || this.closing) return true;
    const stored = taken.session;
    const session = new Session(ask.session, stored.publicId, channel, stored.user, this);
    session.restore(stored);
    session.useJournal(this.journalFor(shared, session, stored.recv, stored.nextSeq - 1));
    session.detach();
    session.expireAt(this.clock.now() + this.resumeWindowMs);
    this.store.set(session.id, session);
    return true;
  }

  /**
   * Another process asks for session `id` (its client resumed there): nothing more is applied here, what this copy
   * holds is written and the session given up, ending here as `moved`. True once given up, or when nothing of it is
   * held here; false when it could not be written (the asker asks again, or takes it when its patience ends).
   */
  private async handOver(id: string): Promise<boolean> {
    // A closing server's session: answered once its last write (which gives it up) is done.
    const last = this.lastWrites.get(id);
    if (last) return last;
    const session = this.store.get(id);
    // Ended here: answered once the store knows what it applied (the asker then finds it ended, with that recv).
    if (!session || session.ended) return this.removes ? this.removes.retry(id, this.clock.now()) : true;
    const link = session.connection;
    if (link) {
      // A HELLO on the other process resumed it while its connection here was live: taken over, as in open().
      this.detach(session, link);
      link.shutdown(CloseCode.SessionTakenOver, 'session taken over');
    }
    if (!session.ended) await session.handOver();
    return session.ended;
  }

  /**
   * A journal for `session` on the shared store. Another owner ends the session here (`moved`); a failed write
   * keeps it (it is ahead of the store) and closes its client with 4000, whose resume then waits for the store.
   */
  private journalFor(shared: SharedSessionStore, session: Session, recv: number, sent: number): SessionJournal {
    return new SessionJournal(
      shared,
      session.id,
      this.storeTtlMs(),
      recv,
      sent,
      () => this.end(session, 'moved'),
      (err) => {
        const link = session.connection;
        link?.shutdown(CloseCode.ServerRestart, 'session store unavailable');
        this.unreachable(err, link);
      },
    );
  }

  /** Reports that the shared store failed (an `error` event); false, for {@link fetch} to return. */
  private unreachable(err: unknown, connection?: SessionLink): false {
    const error = err instanceof ServerError ? err : new ServerError(ServerErrorCode.StoreUnavailable, `session store unavailable: ${err instanceof Error ? err.message : String(err)}`, err);
    this.events.emit('error', connection ? { error, connection } : { error });
    return false;
  }

  /** How long the store keeps a session after its last write: the resume window (at least a second). */
  private storeTtlMs(): number {
    return Math.max(this.resumeWindowMs, 1000);
  }

  private resumable(ask: ResumeRequest, channel: string): Session | undefined {
    const session = this.store.get(ask.session);
    const verdict = resumeVerdict(session, ask, channel, this.clock.now(), this.resumeWindowMs);
    if (verdict === 'resume') return session;
    if (session && verdict !== 'new') this.end(session, verdict === 'expired' ? 'expired' : 'resume_refused');
    return undefined;
  }
}

/** A new session id: 128 random bits, URL-safe. */
function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}
