/*
 * Game under chat load (`ratios.gameP99UnderChatBurst`): a game channel receives 60 Hz state for 20 players while a
 * chat channel on the same ConnectionManager receives a burst of 500 x 1 KB messages every 100 ms. The p99 latency of
 * the game messages sent during those bursts, divided by the p99 of those sent with no chat traffic, in interleaved
 * phases of one run. A second chat channel with no per-turn limit takes the same bursts in phases of its own, as a
 * reference. Three processes: the game server, the chat server that makes the bursts, and the client.
 */
import { atMost, median, rowOf } from './measure';
import { quantile, startScript, type ScriptMessage, type ScriptProcess } from './script-process';
import type { GameChatPhase, GameChatRound } from './clients/game-chat-client';
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
    ],
    ratios: { gameP99UnderChatBurst: ratio },
    goals: { gameP99UnderChatBurst: atMost(ratio, 1.5) },
    rounds: rounds.length,
  };
}
