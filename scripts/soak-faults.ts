import { FAULT_KINDS, type FaultKind, type FaultProxy } from '../test/support/fault-proxy';

/*
 * The soak's fault schedule: from a seed, a reproducible sequence of faults and pauses that the proxy injects while the
 * traffic runs. The first faults are every kind once, in a seeded order, so that even a short run covers them all.
 */

/** Pacing of the schedule, ms of real time. */
export interface FaultPacing {
  /** Quiet time between two faults: a random value in [min, max]. */
  gapMs: readonly [number, number];
  /** How long a latency, throttle, black hole or refusal lasts. */
  spellMs: readonly [number, number];
  /** A black hole lasts at least this long (so the heartbeat has to find some of them). */
  blackholeMs: readonly [number, number];
}

/** A seeded schedule of faults, driven by {@link FaultSchedule.run} until stopped. */
export class FaultSchedule {
  private stopped = false;
  private count = 0;
  private readonly sleeping = new Set<() => void>();
  private readonly waiting: { count: number; resolve: () => void }[] = [];
  /** Faults injected, in order (kind only), for the report. */
  readonly injected: FaultKind[] = [];

  constructor(
    private readonly proxy: FaultProxy,
    private readonly random: () => number,
    private readonly pacing: FaultPacing,
  ) {}

  /** Injects faults until {@link stop}; resolves once the last one is over and the link is clean again. */
  async run(): Promise<void> {
    const first = shuffle([...FAULT_KINDS], this.random);
    while (!this.stopped) {
      await this.delay(this.between(this.pacing.gapMs));
      if (this.stopped) break;
      const kind = first[this.count] ?? (FAULT_KINDS[Math.floor(this.random() * FAULT_KINDS.length)] as FaultKind);
      this.count++;
      this.injected.push(kind);
      await this.inject(kind);
      for (const w of this.waiting.filter((w) => this.injected.length >= w.count)) w.resolve();
    }
    this.proxy.pass();
    for (const w of this.waiting.splice(0)) w.resolve();
  }

  /** Resolves once `count` faults have been injected (and are over), or the schedule stopped. */
  whenInjected(count: number): Promise<void> {
    if (this.injected.length >= count || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ count, resolve }));
  }

  /** Ends the schedule: a pause or fault under way is cut short. */
  stop(): void {
    this.stopped = true;
    for (const wake of [...this.sleeping]) wake();
  }

  /** Real time, cut short by stop(). */
  private delay(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping.add(wake);
    });
  }

  private async inject(kind: FaultKind): Promise<void> {
    const proxy = this.proxy;
    switch (kind) {
      case 'latency':
        proxy.latency(Math.round(this.between([5, 40])), Math.round(this.between([0, 20])));
        await this.delay(this.between(this.pacing.spellMs));
        break;
      case 'throttle':
        proxy.throttle(Math.round(this.between([20_000, 200_000])));
        await this.delay(this.between(this.pacing.spellMs));
        break;
      case 'reset':
        proxy.reset();
        break;
      case 'blackhole':
        proxy.blackhole();
        await this.delay(this.between(this.pacing.blackholeMs));
        break;
      case 'midFrame': {
        // Armed until a big enough frame passes, which the traffic makes soon (a cut still armed later is harmless).
        const direction = this.random() < 0.5 ? 'toServer' : 'toClient';
        await Promise.race([proxy.cutMidFrame(direction, 200), this.delay(3000)]);
        break;
      }
      case 'refuse': {
        // Every client has to reconnect into the refusal, so it really refuses something: the refusal lasts its spell
        // and at least until one connection was refused (bounded, should every client be in a long backoff).
        proxy.refuse();
        let off: () => void = () => undefined;
        const refused = new Promise<void>((resolve) => (off = proxy.on('refused', () => resolve())));
        proxy.reset();
        await Promise.all([this.delay(this.between(this.pacing.spellMs)), Promise.race([refused, this.delay(3000)])]);
        off();
        break;
      }
    }
    proxy.pass();
  }

  private between([min, max]: readonly [number, number]): number {
    return min + this.random() * (max - min);
  }
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
