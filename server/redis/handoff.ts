import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../../src/time/clock';
import { Repeater } from '../../src/time/repeater';
import type { ReleaseSession } from '../sessions/store';
import type { RedisClient } from './client';
import type { RedisLink } from './link';

/*
 * How a session moves between live processes on Redis (SCALING.md, "Handoff"): the process that wants a session asks
 * its owner to write what it holds and give it up, and takes it after the answer; it takes it at once from a process
 * that is not alive. Nothing here is atomic with the session's own keys (those are under the session's hash tag, these
 * are per process): it only decides when to take, and the take script decides whether the session may be taken.
 *
 *   ms:<prefix>:process:<owner>   STRING  the process is alive: set again every third of `livenessTtlMs`, expires after it
 *   ms:<prefix>:handoff:<owner>   PUB/SUB requests to that process (["release", from, id, nonce]) and the answers to
 *                                 its own asks (["released", id, nonce]), JSON
 *
 * Each ask has a random nonce, carried by every request of the ask and echoed in the answer: an answer with another
 * nonce (a late one, from an earlier ask for the same session) is ignored, so that it cannot end a newer ask, whose take
 * would then take the session without a handover. A request or an answer without a nonce is ignored.
 */

/** How an {@link SessionHandoff.ask} ended. */
export type HandoffOutcome = 'released' | 'dead' | 'timeout';

/** Settings of a {@link SessionHandoff}. */
export interface SessionHandoffOptions {
  readonly prefix: string;
  /** This process's owner token. */
  readonly owner: string;
  /** How long this process counts as alive after its last sign of life, ms. */
  readonly livenessTtlMs: number;
  /** How long an ask waits for the owner's answer, ms. */
  readonly handoffTimeoutMs: number;
  /** How often an unanswered ask is published again (an owner whose subscription was re-established gets it), ms. */
  readonly askEveryMs: number;
  /** Runs the liveness refresh and the asks' timers. */
  readonly clock: Clock;
}

interface Ask {
  readonly id: string;
  /** Names this ask: only an answer that echoes it ends the ask. */
  readonly nonce: string;
  finish(outcome: HandoffOutcome): void;
}

/** Who asked for a session: the asking process and its ask's nonce. */
interface Asker {
  readonly from: string;
  readonly nonce: string;
}

/**
 * One process's side of the handoff: its liveness key, the requests it answers (through the {@link ReleaseSession}
 * the server registers) and the asks it makes. Uses the store's command connection and a subscriber of its own.
 */
export class SessionHandoff {
  private release: ReleaseSession | undefined;
  private readonly asks = new Set<Ask>();
  /** Releases running here, by session id, with who asked (by asker and nonce: each ask gets its answer). */
  private readonly releasing = new Map<string, Map<string, Asker>>();
  private readonly beats: Repeater;
  private closed = false;

  private readonly commands: RedisClient;
  private readonly subscriber: RedisClient;

  /** Listens on `link`'s connections (the link takes the listeners off as it closes). */
  constructor(link: RedisLink, private readonly options: SessionHandoffOptions) {
    this.commands = link.commands;
    this.subscriber = link.subscriber;
    this.beats = new Repeater(options.clock, Math.max(1, Math.floor(options.livenessTtlMs / 3)), () => this.writeLiveness());
    link.listen(this.subscriber, 'message', (_channel: string, text: string) => this.heard(text));
    // Back from an outage: say at once that this process is alive, before anyone judges it dead.
    link.listen(this.commands, 'ready', () => this.beat());
  }

  /** Starts the liveness key and listens for requests; both connections are ready. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel(this.options.owner));
    this.beat();
  }

  /** Registers how a request is served; returns the undo. Without one, every request is answered at once (nothing held). */
  serve(release: ReleaseSession): () => void {
    this.release = release;
    return () => {
      if (this.release === release) this.release = undefined;
    };
  }

  /**
   * Asks `owner` to release session `id`. Resolves `released` once it answered, `dead` as soon as its liveness key is
   * gone (never refreshed: the process died, or lost Redis longer than `livenessTtlMs`), `timeout` after
   * `handoffTimeoutMs` without an answer. Never rejects: Redis errors count as no answer yet.
   */
  ask(owner: string, id: string): Promise<HandoffOutcome> {
    const { clock, handoffTimeoutMs, askEveryMs } = this.options;
    const deadline = clock.now() + handoffTimeoutMs;
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      let done = false;
      const nonce = randomBytes(6).toString('base64url');
      const ask: Ask = {
        id,
        nonce,
        finish: (outcome) => {
          if (done) return;
          done = true;
          if (timer !== undefined) clock.clearTimeout(timer);
          this.asks.delete(ask);
          resolve(outcome);
        },
      };
      this.asks.add(ask);
      const round = async (): Promise<void> => {
        timer = undefined;
        if (done) return;
        const left = deadline - clock.now();
        if (left <= 0 || this.closed) return ask.finish('timeout');
        try {
          if ((await this.commands.exists(this.livenessKey(owner))) === 0) return ask.finish('dead');
          if (!done) await this.commands.publish(this.channel(owner), JSON.stringify(['release', this.options.owner, id, nonce]));
        } catch {
          // Redis is away for this process: ask again at the next round, until the deadline.
        }
        if (!done) timer = clock.setTimeout(() => void round(), Math.min(askEveryMs, Math.max(0, deadline - clock.now())));
      };
      void round();
    });
  }

  /** Stops the liveness key (deleted: the others take this process's sessions at once) and every ask. */
  async close(): Promise<void> {
    this.closed = true;
    this.beats.stop();
    for (const ask of [...this.asks]) ask.finish('timeout');
    try {
      await this.commands.del(this.livenessKey(this.options.owner));
    } catch {
      // Unreachable: the key expires by itself.
    }
  }

  /** Writes the liveness key now, and again every third of its TTL from now. */
  private beat(): void {
    if (this.closed) return;
    this.beats.stop();
    this.writeLiveness();
    this.beats.start();
  }

  private writeLiveness(): void {
    this.commands.set(this.livenessKey(this.options.owner), '1', 'PX', this.options.livenessTtlMs).catch(() => undefined);
  }

  private heard(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!Array.isArray(message)) return;
    const [kind, a, b, c] = message as unknown[];
    if (kind === 'release' && typeof a === 'string' && typeof b === 'string' && typeof c === 'string') this.serveRequest({ from: a, nonce: c }, b);
    else if (kind === 'released' && typeof a === 'string' && typeof b === 'string') {
      // Only the ask the answer names: an older ask's answer arriving late says nothing about this one.
      for (const ask of [...this.asks]) if (ask.id === a && ask.nonce === b) ask.finish('released');
    }
  }

  /** `asker` asks for session `id`: one release runs per session, and every ask made meanwhile hears its end. */
  private serveRequest(asker: Asker, id: string): void {
    const key = `${asker.from} ${asker.nonce}`;
    const askers = this.releasing.get(id);
    if (askers) {
      askers.set(key, asker);
      return;
    }
    const waiting = new Map([[key, asker]]);
    this.releasing.set(id, waiting);
    const release = this.release;
    (release ? release(id) : Promise.resolve(true))
      .catch(() => false)
      .then((released) => {
        this.releasing.delete(id);
        // Not written: no answer, so the askers ask again (and this process tries again) until their deadline.
        if (!released || this.closed) return;
        for (const { from, nonce } of waiting.values()) {
          this.commands.publish(this.channel(from), JSON.stringify(['released', id, nonce])).catch(() => undefined);
        }
      });
  }

  private livenessKey(owner: string): string {
    return `ms:${this.options.prefix}:process:${owner}`;
  }

  private channel(owner: string): string {
    return `ms:${this.options.prefix}:handoff:${owner}`;
  }
}
