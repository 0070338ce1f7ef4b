import { type Channel, CHANNEL_OPTION_NAMES, checkOptionNames, type ConnectionManager, Emitter, type OpenOptions, Timer } from '../src';

/*
 * The game preset, built only from src/'s public pieces. Server state arrives as PUSH `game/state`
 * {tick, serverTime, players, lastInput}; inputs leave as PUSH `game/input` {seq, t, ...input}. State-like messages use
 * the outbox policy `latest` (stale state is never replayed), inputs wait at most `inputTtlMs`, and everything sent
 * within one tick leaves in one WebSocket message.
 */

/** A clock estimate from the PONGs. */
export interface ClockEstimate {
  /** Server time minus local time, ms. */
  offset: number;
  /** Smoothed round-trip time, ms. */
  rtt: number;
  samples: number;
}

/** Events of the game preset. */
export interface GameEvents {
  /** The clock estimate settled (enough samples), or moved by more than `clockJitterMs` since. */
  clock: ClockEstimate;
}

/** Options of {@link gameChannel}; any channel option may be given too. */
export interface GameOptions extends Partial<OpenOptions> {
  manager: ConnectionManager;
  url: string;
  /** Channel name. Default `game`. */
  name?: string;
  /** One game tick, ms: what is sent within it leaves in one message. Default 50. */
  tickMs?: number;
  /** An input that waited longer than this while disconnected is dropped, not sent late. Default 250. */
  inputTtlMs?: number;
  /** PONG samples kept for the clock filter. Default 16. */
  clockSamples?: number;
  /** Of those, how many lowest-RTT samples the offset is the median of. Default 5. */
  clockBest?: number;
  /** Samples needed before the clock counts as settled. Default 5. */
  clockMinSamples?: number;
  /** A settled clock is announced again when it moves more than this, ms. Default 10. */
  clockJitterMs?: number;
  /** PINGs sent right after each open to sample the clock quickly, spaced by `probeEveryMs`. Default 5 and 100. */
  probes?: number;
  probeEveryMs?: number;
}

/** Server state as delivered to `onState`. */
export interface GameState<S = unknown> {
  readonly tick: number;
  readonly serverTime: number;
  readonly players: S;
  /** The last input seq the server applied for this player: reconcile predicted state from here. */
  readonly lastInput: number;
}

/** A game channel: inputs, state, and a filtered server clock. */
export interface GameChannel {
  readonly channel: Channel;
  /** Stamps `input` with the next sequence number and the server time, sends it, and returns the seq. */
  sendInput(input: Record<string, unknown>): number;
  /** Sends state-like data: while disconnected only the newest per topic is kept. */
  send(topic: string, payload: unknown): boolean;
  onState<S = unknown>(fn: (state: GameState<S>) => void): () => void;
  /** The server's clock, from the filtered offset (the channel's raw estimate before the filter has samples). */
  serverNow(): number;
  /** The filtered clock and smoothed RTT, or undefined before the first PONG. */
  readonly clock: ClockEstimate | undefined;
  on<K extends keyof GameEvents & string>(event: K, fn: (context: GameEvents[K]) => void): () => void;
  close(): void;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Opens a game channel on `manager`: outbox `latest`, heartbeat 5 s / 4 s, `flushMs` one tick.
 * @throws {UsageError} as `manager.open`.
 */
/** The preset's own options and the channel's (the type makes the first list complete): any other is a typo. */
const GAME_OPTION_NAMES = [
  ...Object.keys({
    manager: 1, name: 1, tickMs: 1, inputTtlMs: 1, clockSamples: 1, clockBest: 1, clockMinSamples: 1, clockJitterMs: 1,
    probes: 1, probeEveryMs: 1,
  } satisfies Record<Exclude<keyof GameOptions, keyof OpenOptions>, 1>),
  ...CHANNEL_OPTION_NAMES,
];

export function gameChannel(options: GameOptions): GameChannel {
  checkOptionNames('gameChannel', options, GAME_OPTION_NAMES);
  const {
    manager,
    name = 'game',
    tickMs = 50,
    inputTtlMs = 250,
    clockSamples = 16,
    clockBest = 5,
    clockMinSamples = 5,
    clockJitterMs = 10,
    probes = 5,
    probeEveryMs = 100,
    ...channelOptions
  } = options;
  const defaults: OpenOptions = {
    url: options.url,
    outbox: { policy: 'latest' },
    heartbeat: { intervalMs: 5000, timeoutMs: 4000 },
    flushMs: tickMs,
  };
  const channel = manager.open(name, Object.assign(defaults, channelOptions));
  const clock = channel.options.clock;
  const events = new Emitter<GameEvents>();
  const samples: { rtt: number; offset: number }[] = [];
  let estimate: ClockEstimate | undefined;
  let announced: number | undefined;
  let inputSeq = 0;

  channel.on('pong', ({ rtt, offset }) => {
    samples.push({ rtt, offset });
    if (samples.length > clockSamples) samples.shift();
    // One slow PONG must not move the clock: keep the offsets of the fastest samples and take their median.
    const best = [...samples].sort((a, b) => a.rtt - b.rtt).slice(0, clockBest);
    const smoothed = estimate ? estimate.rtt + (rtt - estimate.rtt) / 8 : rtt;
    estimate = { offset: median(best.map((s) => s.offset)), rtt: smoothed, samples: samples.length };
    if (samples.length >= clockMinSamples && (announced === undefined || Math.abs(estimate.offset - announced) > clockJitterMs)) {
      announced = estimate.offset;
      events.emit('clock', Object.assign({}, estimate));
    }
  });

  let probesLeft = 0;
  const prober = new Timer(clock, () => {
    if (probesLeft-- > 0 && channel.probe()) prober.schedule(probeEveryMs);
  });
  channel.on('open', () => {
    // A new connection may reach another server instance, or follow a correction of this device's clock: old samples
    // must not outvote new ones. serverNow() keeps the last estimate until the probes refill the filter.
    samples.length = 0;
    announced = undefined;
    probesLeft = probes;
    prober.schedule(0);
  });
  channel.on('state', ({ next }) => {
    if (next !== 'open') prober.cancel();
  });

  const serverNow = () => (estimate ? clock.now() + estimate.offset : channel.serverNow());

  return {
    channel,
    sendInput(input) {
      const seq = ++inputSeq;
      channel.send('game/input', Object.assign({}, input, { seq, t: Math.round(serverNow()) }), { policy: 'queue', ttlMs: inputTtlMs });
      return seq;
    },
    send: (topic, payload) => channel.send(topic, payload, { policy: 'latest' }),
    onState<S>(fn: (state: GameState<S>) => void) {
      return channel.subscribe('game/state', (payload) => fn(payload as GameState<S>));
    },
    serverNow,
    get clock() {
      return estimate ? Object.assign({}, estimate) : undefined;
    },
    on: (event, fn) => events.on(event, fn),
    close: () => {
      prober.cancel();
      channel.close();
    },
  };
}
