import type { ChannelRow } from './player';

/*
 * The live view. On a terminal: a compact table (player × channel: state, RTT, messages per second in and out,
 * reconnects, queued, unacknowledged, dropped) redrawn in place 4 times a second with ANSI escape codes, above the
 * latest events. Elsewhere (CI, a log file): each event as a line and one status line per channel every 2 s.
 * `--json` uses neither.
 */

/** `live`: redraw in place (a TTY); `lines`: plain periodic lines; `quiet`: nothing. */
export type DisplayMode = 'live' | 'lines' | 'quiet';

/** What the display shows. */
export interface DisplaySource {
  /** Milliseconds since the traffic started. */
  elapsed(): number;
  /** The traffic's planned length, s. */
  readonly seconds: number;
  /** One line about the servers. */
  servers(): string;
  rows(): ChannelRow[];
}

const EVENTS_SHOWN = 6;
/** The injected faults stay in a list of their own: reconnect events from every player would push them off at once. */
const FAULTS_SHOWN = 4;
/**
 * Under the table: what the columns that look like trouble mean. `dropped` counts game inputs replaced by newer ones
 * while a game channel was down (its outbox keeps the latest only, by design); a chat line is never dropped.
 */
export const LEGEND = [
  'dropped: stale game inputs replaced by a newer one while disconnected (by design; chat never drops)',
  'unacked: reliable chat lines sent, not yet acknowledged; queued: waiting for the connection',
];
/**
 * Lines the live view takes besides the table's rows: header, blank, titles, the legend, blank, "faults:", the faults,
 * blank, "events:", the events.
 */
export const LIVE_EXTRA_LINES = 3 + LEGEND.length + 2 + FAULTS_SHOWN + 2 + EVENTS_SHOWN;
const LIVE_EVERY_MS = 250;
const LINES_EVERY_MS = 2000;
const RATE_WINDOW_MS = 1000;

const ESC = '\u001b[';
const COLORS: Record<string, string> = {
  open: '32',
  reconnecting: '33',
  connecting: '33',
  handshaking: '33',
  suspended: '35',
  closed: '31',
};
const paint = (text: string, state: string) => (COLORS[state] ? `${ESC}${COLORS[state]}m${text}${ESC}0m` : text);

interface Sample {
  at: number;
  frames: Map<string, { in: number; out: number }>;
}

export class Display {
  private readonly events: string[] = [];
  private readonly faults: string[] = [];
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;

  constructor(
    private readonly mode: DisplayMode,
    private readonly write: (text: string) => void,
    private readonly source: DisplaySource,
    /** Terminal width: longer lines are cut, since a wrapped line would throw the redraw off. */
    private readonly columns = 80,
  ) {}

  start(): void {
    if (this.mode === 'quiet') return;
    if (this.mode === 'live') this.write(`${ESC}?25l`); // hide the cursor while redrawing
    this.timer = setInterval(() => this.draw(), this.mode === 'live' ? LIVE_EVERY_MS : LINES_EVERY_MS);
    this.draw();
  }

  /** Adds a line to the event log. */
  event(text: string): void {
    this.log(this.events, EVENTS_SHOWN, text);
  }

  /** Adds a line to the list of injected faults, which the live view keeps apart from the events. */
  fault(text: string): void {
    this.log(this.faults, FAULTS_SHOWN, `fault: ${text}`);
  }

  private log(list: string[], shown: number, text: string): void {
    const line = `${stamp(this.source.elapsed())}  ${text}`;
    if (this.mode === 'lines') this.write(`${line}\n`);
    else if (this.mode === 'live') {
      list.push(line);
      if (list.length > shown) list.shift();
    }
  }

  /** Draws a last time and leaves the terminal as it was (cursor shown, below the table). */
  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
    if (this.mode === 'live') this.write(`${ESC}?25h`);
  }

  private draw(): void {
    const rows = this.source.rows();
    const rates = this.rates(rows);
    if (this.mode === 'lines') {
      for (const channel of ['game', 'chat'] as const) this.write(`${stamp(this.source.elapsed())}  ${summaryLine(channel, rows, rates)}\n`);
      return;
    }
    const elapsed = Math.min(this.source.elapsed(), this.source.seconds * 1000) / 1000;
    const lines = [
      `multisocket demo  ${elapsed.toFixed(1).padStart(5)} s / ${this.source.seconds} s   ${this.source.servers()}`,
      '',
      `${'player'.padEnd(7)}${'chan'.padEnd(6)}${'state'.padEnd(13)}${'rtt'.padStart(6)}${'in/s'.padStart(7)}${'out/s'.padStart(7)}` +
        `${'reconn'.padStart(8)}${'queued'.padStart(8)}${'unacked'.padStart(8)}${'dropped'.padStart(8)}`,
      ...rows.map((row) => {
        const s = row.stats;
        const rate = rates.get(key(row)) ?? { in: 0, out: 0 };
        // The last RTT only means something while the channel is open.
        const rtt = s.rtt === undefined || s.state !== 'open' ? '-' : `${Math.round(s.rtt)}ms`;
        return (
          `${row.player.padEnd(7)}${row.channel.padEnd(6)}${paint(s.state.padEnd(13), s.state)}${rtt.padStart(6)}` +
          `${String(Math.round(rate.in)).padStart(7)}${String(Math.round(rate.out)).padStart(7)}${String(s.reconnects).padStart(8)}` +
          `${String(s.queued).padStart(8)}${String(s.unacked).padStart(8)}${String(s.dropped).padStart(8)}`
        );
      }),
      ...LEGEND.map((line) => `  ${line}`.slice(0, this.columns - 1)),
      '',
      'faults:',
      ...this.faults.map((e) => `  ${e}`.slice(0, this.columns - 1)),
      '',
      'events:',
      ...this.events.map((e) => `  ${e}`.slice(0, this.columns - 1)),
    ];
    lines[0] = (lines[0] as string).slice(0, this.columns - 1);
    // Back to the first line of the previous frame, clear to the end of the screen, draw the new frame.
    const up = this.drawnLines > 0 ? `${ESC}${this.drawnLines}F${ESC}J` : '';
    this.write(`${up}${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  /** Frames per second in and out of each row, over the last second. */
  private rates(rows: ChannelRow[]): Map<string, { in: number; out: number }> {
    const now = this.source.elapsed();
    const frames = new Map(rows.map((row) => [key(row), { in: row.stats.framesReceived, out: row.stats.framesSent }]));
    this.samples.push({ at: now, frames });
    while (this.samples.length > 2 && (this.samples[1] as Sample).at <= now - RATE_WINDOW_MS) this.samples.shift();
    const old = this.samples[0] as Sample;
    const seconds = (now - old.at) / 1000;
    const rates = new Map<string, { in: number; out: number }>();
    for (const [k, f] of frames) {
      const before = old.frames.get(k) ?? f;
      rates.set(k, seconds > 0 ? { in: (f.in - before.in) / seconds, out: (f.out - before.out) / seconds } : { in: 0, out: 0 });
    }
    return rates;
  }
}

const key = (row: ChannelRow) => `${row.player}/${row.channel}`;

function stamp(ms: number): string {
  return `${(ms / 1000).toFixed(1).padStart(5)} s`;
}

/** One channel over every player, for a log line. */
function summaryLine(channel: 'game' | 'chat', rows: ChannelRow[], rates: Map<string, { in: number; out: number }>): string {
  const mine = rows.filter((r) => r.channel === channel);
  const open = mine.filter((r) => r.stats.state === 'open').length;
  const rtts = mine.map((r) => r.stats.rtt).filter((v): v is number => v !== undefined);
  const sum = (f: (r: ChannelRow) => number) => mine.reduce((total, r) => total + f(r), 0);
  const rate = (dir: 'in' | 'out') => Math.round(sum((r) => rates.get(key(r))?.[dir] ?? 0));
  const rtt = rtts.length ? `${Math.round(Math.max(...rtts))} ms` : '-';
  return (
    `${channel}: ${open}/${mine.length} open, rtt max ${rtt}, ${rate('in')} msg/s in, ${rate('out')} out, ` +
    `reconnects ${sum((r) => r.stats.reconnects)}, queued ${sum((r) => r.stats.queued)}, ` +
    `unacked ${sum((r) => r.stats.unacked)}, dropped ${sum((r) => r.stats.dropped)}`
  );
}
