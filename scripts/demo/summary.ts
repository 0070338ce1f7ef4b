/*
 * The demo's verdict, from what the players recorded: pure functions, so the verdict itself is unit-tested on
 * fabricated records (test/tools/demo.test.ts) as well as on real runs.
 */
import { quantile } from '../../benchmarks/measure';

/** One chat line as a receiver saw it: the sender's player index and that sender's sequence number. */
export interface ChatArrival {
  readonly from: number;
  readonly n: number;
}

/** What one player said and received on the chat channel. */
export interface ChatRecord {
  readonly player: number;
  /** Lines this player said, numbered 0 .. said-1: every member (the sender too) must receive each once, in order. */
  readonly said: number;
  /** Every line delivered to this player's `onMessage`, in delivery order. */
  readonly received: readonly ChatArrival[];
}

/** The exactly-once, in-order check of the chat channel, over every (receiver, sender) pair. */
export interface ChatCheck {
  /** Deliveries expected: the lines said, times the players. */
  expected: number;
  /** Distinct expected lines that arrived. */
  delivered: number;
  /** Expected but never received. */
  lost: number;
  /** Received more than once (each extra copy counts). */
  duplicated: number;
  /** Received after a later line of the same sender. */
  outOfOrder: number;
  /** Received but never said (unknown sender, or a number past what it said). */
  unexpected: number;
}

/** Checks that every player received every line of every player (itself included) exactly once, in each sender's order. */
export function checkChat(records: readonly ChatRecord[]): ChatCheck {
  const said = new Map(records.map((r) => [r.player, r.said]));
  const check: ChatCheck = { expected: 0, delivered: 0, lost: 0, duplicated: 0, outOfOrder: 0, unexpected: 0 };
  for (const receiver of records) {
    const seen = new Map<number, Set<number>>();
    const last = new Map<number, number>();
    for (const { from, n } of receiver.received) {
      const count = said.get(from);
      if (count === undefined || !Number.isInteger(n) || n < 0 || n >= count) {
        check.unexpected++;
        continue;
      }
      let set = seen.get(from);
      if (!set) seen.set(from, (set = new Set()));
      if (set.has(n)) {
        check.duplicated++;
        continue;
      }
      set.add(n);
      if (n < (last.get(from) ?? -1)) check.outOfOrder++;
      else last.set(from, n);
    }
    for (const [sender, count] of said) {
      const got = seen.get(sender)?.size ?? 0;
      check.expected += count;
      check.delivered += got;
      check.lost += count - got;
    }
  }
  return check;
}

/** p50 and p99 of a latency series, ms. */
export interface Latency {
  p50: number | undefined;
  p99: number | undefined;
  samples: number;
}

/** p50 and p99 of `samples`, rounded to 0.1 ms. */
export function latency(samples: readonly number[]): Latency {
  const round = (p: number) => (samples.length === 0 ? undefined : Math.round(quantile(samples, p) * 10) / 10);
  return { p50: round(0.5), p99: round(0.99), samples: samples.length };
}

/** Totals of one channel over every player. */
export interface ChannelTotals {
  /** Application messages sent: game inputs, chat lines said. */
  sent: number;
  /** Application messages received: game states, chat lines delivered. */
  received: number;
  /** Protocol frames, heartbeats and acknowledgements included (the channel's stats). */
  framesSent: number;
  framesReceived: number;
  /** Connections established again after the first. */
  reconnects: number;
  /** Messages the outbox dropped (stale game inputs while disconnected, by design). */
  dropped: number;
}

/** A fault as it was injected. */
export interface InjectedFault {
  atMs: number;
  fault: string;
  detail: string;
}

/** The demo's final summary, printed as a table or (`--json`) as JSON. */
export interface DemoSummary {
  /** True when no chat line was lost, duplicated, reordered or unexpected. */
  ok: boolean;
  players: number;
  seconds: number;
  faults: InjectedFault[];
  elapsedMs: number;
  /** Whether every chat line reached every player before the drain's deadline. */
  drained: boolean;
  channels: { game: ChannelTotals; chat: ChannelTotals };
  chat: ChatCheck & { failedSays: number };
  /** game: input sent until the server state that applied it arrives; chat: line said until each member receives it. */
  latencyMs: { game: Latency; chat: Latency };
}

/** Whether a chat check passes: nothing lost, duplicated, reordered or made up. */
export function chatIsClean(check: ChatCheck): boolean {
  return check.lost === 0 && check.duplicated === 0 && check.outOfOrder === 0 && check.unexpected === 0;
}

/** The process exit code for a summary: 0 when the chat was clean, 1 otherwise. */
export function exitCodeFor(summary: Pick<DemoSummary, 'chat'>): 0 | 1 {
  return chatIsClean(summary.chat) ? 0 : 1;
}

/** The summary as a few lines of text for a terminal or a log. */
export function formatSummary(s: DemoSummary): string {
  const ms = (v: number | undefined) => (v === undefined ? '-' : `${Math.round(v)} ms`);
  const row = (name: string, t: ChannelTotals, l: Latency) =>
    `  ${name.padEnd(5)} ${String(t.sent).padStart(7)} ${String(t.received).padStart(9)} ${String(t.reconnects).padStart(10)} ` +
    `${String(t.dropped).padStart(8)} ${ms(l.p50).padStart(8)} ${ms(l.p99).padStart(8)}`;
  const c = s.chat;
  const lines = [
    `summary: ${s.players} players, ${s.seconds} s of traffic, ${(s.elapsedMs / 1000).toFixed(1)} s in all`,
    ...s.faults.map((f) => `  fault at ${(f.atMs / 1000).toFixed(1)} s: ${f.fault} (${f.detail})`),
    '  chan     sent  received reconnects  dropped      p50      p99',
    row('game', s.channels.game, s.latencyMs.game),
    row('chat', s.channels.chat, s.latencyMs.chat),
    `  chat lines: ${c.expected} deliveries expected, ${c.delivered} delivered; lost ${c.lost}, duplicated ${c.duplicated}, ` +
      `out of order ${c.outOfOrder}, unexpected ${c.unexpected}; says refused ${c.failedSays}`,
    '  (game: inputs sent, server states received; chat: lines said, lines delivered to every member.',
    '   dropped: stale game inputs replaced by a newer one while disconnected, by design; a chat line is never dropped.',
    '   says refused: chat lines the server refused (a say rejected by the preset), counted apart from lost ones.',
    '   latency: game input to the server state that applied it, through the 50 ms send tick and the 50 ms state tick;',
    '   chat line said to each member receiving it, including lines held while a connection was down)',
    s.ok ? 'result: OK, every chat line arrived exactly once and in order' : 'result: FAILED, chat lines were lost, duplicated or reordered',
  ];
  return `${lines.join('\n')}\n`;
}
