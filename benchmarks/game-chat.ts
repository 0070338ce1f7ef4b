/*
 * Game under chat load (`ratios.gameP99UnderChatBurst`): a game channel receives 60 Hz state for 20 players while a
 * chat channel on the same ConnectionManager receives a burst of 500 x 1 KB messages every 100 ms. The p99 latency of
 * the game messages sent during those bursts, divided by the p99 of those sent with no chat traffic, in interleaved
 * phases of one run. A second chat channel with no per-turn limit takes the same bursts in phases of its own, as a
 * reference. Three processes: the game server, the chat server that makes the bursts, and the client.
 *
 * `ratios.gameClientP99UnderChatBurst` is the same p99 ratio on the latency minus the time the client's thread waited
 * for a core (Linux schedstat): on a machine with fewer cores than busy processes the end-to-end tail follows the
 * scheduler, and this one follows what the client runtime does. The "parts" and "slowest 1%" rows split the latency:
 * the game server's tick lateness, its outbox, the client thread busy with chat (wall and on a core), GC, the wait for
 * a core, and the client's dispatch (game socket read to subscriber).
 */
import { atMost, median, quantile, rowOf } from './measure';
import { startScript, type ScriptMessage, type ScriptProcess } from './script-process';
import type { GameChatPhase, GameChatRound, GameParts } from './clients/game-chat-client';
import type { Suite, SuiteResult, SuiteRow } from './types';

const BURST_COUNT = 500;
const BURST_BYTES = 1024;
const BURST_EVERY_MS = 100;

export const suite: Suite = async ({ quick }) => {
  const rounds = quick ? 5 : 7;
  const phaseMs = quick ? 400 : 3000;
  const warmupMs = quick ? 300 : 1000;
  const children: ScriptProcess[] = [];
  try {
    const gameServer = startScript('servers/game-chat-game');
    children.push(gameServer);
    const chatServer = startScript('servers/game-chat-chat');
    children.push(chatServer);
    const [{ url: gameUrl }, { url: chatUrl }] = await Promise.all([
      gameServer.next<ScriptMessage & { url: string }>('ready', 10_000),
      chatServer.next<ScriptMessage & { url: string }>('ready', 10_000),
    ]);
    const client = startScript('clients/game-chat-client', [gameUrl, chatUrl], ['--expose-gc']);
    children.push(client);
    await client.next('ready', 15_000);
    client.send({ type: 'run', rounds, phaseMs, warmupMs, burstCount: BURST_COUNT, burstBytes: BURST_BYTES, burstEveryMs: BURST_EVERY_MS });
    const result = await client.next<ScriptMessage & { rounds: GameChatRound[] }>('result', 3 * (rounds * phaseMs + warmupMs) + 60_000);
    return summarize(result.rounds, quick);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
};

type Phase = keyof GameChatRound;

function summarize(rounds: readonly GameChatRound[], quick: boolean): SuiteResult {
  const of = (phase: Phase, f: (p: GameChatPhase) => number) => rounds.map((r) => f(r[phase]));
  const all = (phase: Phase) => rounds.flatMap((r) => r[phase].latencies);
  /** The p99 of every game message of the phase over all rounds; min and max are the rounds' own p99s. */
  const p99Row = (label: string, phase: Phase): SuiteRow => {
    const perRound = of(phase, (p) => quantile(p.latencies, 0.99));
    const bursts = rounds.reduce((n, r) => n + r[phase].burstMs.length, 0);
    return {
      label,
      value: quantile(all(phase), 0.99),
      unit: 'ms',
      min: Math.min(...perRound),
      max: Math.max(...perRound),
      note: `p99 of ${all(phase).length} game messages${bursts ? `, ${bursts} bursts` : ''}; min-max: per round`,
    };
  };
  const part = (phase: Phase, key: keyof GameParts) => rounds.flatMap((r) => r[phase].parts[key]);
  /** The p99 of one part of the latency, over all rounds; min and max are the rounds' own p99s. */
  const partRow = (label: string, phase: Phase, key: keyof GameParts, note?: string): SuiteRow => {
    const perRound = of(phase, (p) => quantile(p.parts[key], 0.99));
    return { label, value: quantile(part(phase, key), 0.99), unit: 'ms', min: Math.min(...perRound), max: Math.max(...perRound), ...(note ? { note } : {}) };
  };
  /** The slowest 1% of the phase's game messages (latency at or over the p99), and the mean of each part over them. */
  const tail = (phase: Phase) => {
    const latencies = all(phase);
    const p99 = quantile(latencies, 0.99);
    const keys = latencies.map((l, i) => (l >= p99 ? i : -1)).filter((i) => i >= 0);
    const mean = (key: keyof GameParts | 'latency') => {
      const values = key === 'latency' ? latencies : part(phase, key);
      return keys.reduce((sum, i) => sum + (values[i] as number), 0) / keys.length;
    };
    return { count: keys.length, mean };
  };
  const tailRows = (phase: Phase, name: string): SuiteRow[] => {
    const t = tail(phase);
    const note = `mean over the ${t.count} slowest (>= p99)`;
    return [
      { label: `${name}: slowest 1% of game messages, latency`, value: t.mean('latency'), unit: 'ms', note },
      { label: `${name}: slowest 1%, of which the client thread busy with chat`, value: t.mean('chatWork'), unit: 'ms', note: 'chat socket reads (ws parse + runtime) and chat timer turns' },
      { label: `${name}: slowest 1%, of which chat work on a core`, value: t.mean('chatCpu'), unit: 'ms', note: 'the same stretches, minus the time the client was preempted in them' },
      { label: `${name}: slowest 1%, of which chat work inside the runtime`, value: t.mean('chatRuntime'), unit: 'ms', note: 'chat message callbacks (decode, first turn) and timer turns; the rest of the chat work is ws' },
      { label: `${name}: slowest 1%, of which the client waiting for a core`, value: t.mean('runDelay'), unit: 'ms', note: 'schedstat run delay, upper bound' },
      { label: `${name}: slowest 1%, of which GC on the client`, value: t.mean('gc'), unit: 'ms' },
      { label: `${name}: slowest 1%, of which client dispatch`, value: t.mean('dispatch'), unit: 'ms', note: 'read of the game bytes to subscriber' },
      { label: `${name}: slowest 1%, game server tick late (not in the latency)`, value: t.mean('server'), unit: 'ms' },
    ];
  };
  /**
   * The latency without the time the client's thread waited for a core (schedstat run delay in the message's
   * window; never below its own dispatch): what the client runtime adds, as free of the machine's scheduler as one
   * process can see. Wire, the server's outbox and chat work done on a core stay in.
   */
  const onCore = (phase: Phase) => {
    const latencies = all(phase);
    const delay = part(phase, 'runDelay');
    const dispatch = part(phase, 'dispatch');
    return latencies.map((l, i) => Math.max(dispatch[i] as number, l - ((delay[i] as number) || 0)));
  };
  const onCoreRow = (label: string, phase: Phase): SuiteRow => ({ label, value: quantile(onCore(phase), 0.99), unit: 'ms', note: 'latency minus the client waiting for a core' });
  const clientRatio = quantile(onCore('preset'), 0.99) / quantile(onCore('quiet'), 0.99);
  const quiet = quantile(all('quiet'), 0.99);
  const ratio = quantile(all('preset'), 0.99) / quiet;
  const reference = quantile(all('reference'), 0.99) / quiet;
  return {
    name: 'game-chat',
    title: `Game under chat load (60 Hz state for 20 players; ${BURST_COUNT} x 1 KB chat bursts every ${BURST_EVERY_MS} ms on the same manager)${quick ? ' (quick)' : ''}`,
    rows: [
      p99Row('game p99 latency, no chat traffic (baseline)', 'quiet'),
      p99Row('game p99 latency, bursts on the chat preset (receiveTurnMs 1)', 'preset'),
      p99Row('game p99 latency, bursts on a chat channel with no turn limit (reference)', 'reference'),
      { label: 'p99 ratio with no turn limit (reference)', value: reference, unit: 'x' },
      rowOf('game p50 latency, no chat traffic', of('quiet', (p) => quantile(p.latencies, 0.5)), 'ms'),
      rowOf('game p50 latency, bursts on the chat preset', of('preset', (p) => quantile(p.latencies, 0.5)), 'ms'),
      rowOf('chat preset turns during bursts, p90', of('preset', (p) => quantile(p.turnsMs, 0.9)), 'ms', 'socket callbacks and timers, wall time'),
      rowOf('chat channel with no turn limit, turns during bursts, p90', of('reference', (p) => quantile(p.turnsMs, 0.9)), 'ms'),
      rowOf('chat preset, longest turn during bursts', of('preset', (p) => Math.max(...p.turnsMs)), 'ms', 'includes time the OS preempted it'),
      rowOf('chat channel with no turn limit, longest turn during bursts', of('reference', (p) => Math.max(...p.turnsMs)), 'ms'),
      rowOf('chat burst, request to last message delivered, preset', of('preset', (p) => median(p.burstMs)), 'ms', 'median per round'),
      rowOf('chat burst, request to last message delivered, no turn limit', of('reference', (p) => median(p.burstMs)), 'ms', 'median per round'),
      rowOf('chat server, time to encode and write one burst', of('preset', (p) => median(p.burstServerMs)), 'ms', 'median per round'),
      partRow('parts, quiet: server tick late (sentAt - due), p99', 'quiet', 'server'),
      partRow('parts, bursts: server tick late (sentAt - due), p99', 'preset', 'server'),
      partRow('parts, quiet: game server run delay per tick, p99', 'quiet', 'serverRunDelay'),
      partRow('parts, bursts: game server run delay per tick, p99', 'preset', 'serverRunDelay'),
      partRow('parts, quiet: server outbox wait after sentAt, p99', 'quiet', 'flushLag'),
      partRow('parts, bursts: server outbox wait after sentAt, p99', 'preset', 'flushLag'),
      partRow('parts, quiet: sentAt to client read of the bytes, p99', 'quiet', 'transit'),
      partRow('parts, bursts: sentAt to client read of the bytes, p99', 'preset', 'transit'),
      partRow('parts, quiet: client read to subscriber, p99', 'quiet', 'dispatch'),
      partRow('parts, bursts: client read to subscriber, p99', 'preset', 'dispatch'),
      partRow('parts, bursts: client busy with chat while the game message waited, p99', 'preset', 'chatWork'),
      partRow('parts, quiet: client waiting for a core while the game message waited, p99', 'quiet', 'runDelay'),
      partRow('parts, bursts: client waiting for a core while the game message waited, p99', 'preset', 'runDelay'),
      partRow('latency from the tick due time, quiet, p99', 'quiet', 'fromDue'),
      partRow('latency from the tick due time, bursts, p99', 'preset', 'fromDue'),
      onCoreRow('client-side game p99 latency, no chat traffic', 'quiet'),
      onCoreRow('client-side game p99 latency, bursts on the chat preset', 'preset'),
      onCoreRow('client-side game p99 latency, bursts with no turn limit', 'reference'),
      ...tailRows('quiet', 'quiet'),
      ...tailRows('preset', 'bursts'),
      ...tailRows('reference', 'bursts, no turn limit'),
    ],
    ratios: { gameP99UnderChatBurst: ratio, gameClientP99UnderChatBurst: clientRatio },
    goals: { gameP99UnderChatBurst: atMost(ratio, 1.5), gameClientP99UnderChatBurst: atMost(clientRatio, 1.5) },
    rounds: rounds.length,
  };
}
