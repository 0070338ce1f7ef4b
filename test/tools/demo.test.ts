import { ROOT } from '../support/paths';
import { spawnSync } from 'child_process';
import { join } from 'path';
import { faultPlan, HIDDEN_MS } from '../../scripts/demo/faults';
import { OptionError } from '../../scripts/command-line';
import { DEFAULT_DEMO_OPTIONS, MIN_SECONDS_WITH_FAULTS, parseOptions } from '../../scripts/demo/options';
import { quantile } from '../../benchmarks/measure';
import { type ChatRecord, checkChat, type DemoSummary, exitCodeFor, latency } from '../../scripts/demo/summary';

// `npm start`: the demo's verdict on fabricated records (so the failing branch is proven without faking a run), its
// options and fault script, then real runs of the BUILT demo (npm test builds first) in a fresh Node.
const root = ROOT;

function runBuiltDemo(args: string[]) {
  return spawnSync(process.execPath, [join(root, 'dist/scripts/start.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

/** Two players who each said `said` lines and received `received` (from, n) pairs. */
function records(said: [number, number], received: [Array<[number, number]>, Array<[number, number]>]): ChatRecord[] {
  return [0, 1].map((player) => ({
    player,
    said: said[player] as number,
    received: (received[player] as Array<[number, number]>).map(([from, n]) => ({ from, n })),
  }));
}

const all: Array<[number, number]> = [
  [0, 0],
  [1, 0],
  [0, 1],
  [1, 1],
];

describe('the demo summary', () => {
  it('passes when every player got every line of every player once, in each sender order', () => {
    const check = checkChat(records([2, 2], [all, [[1, 0], [1, 1], [0, 0], [0, 1]]]));
    expect(check).toEqual({ expected: 8, delivered: 8, lost: 0, duplicated: 0, outOfOrder: 0, unexpected: 0 });
    expect(exitCodeFor({ chat: { ...check, failedSays: 0 } })).toBe(0);
  });

  it('counts a line one player never received as lost, and fails', () => {
    const check = checkChat(records([2, 2], [all, all.filter(([from, n]) => !(from === 0 && n === 1))]));
    expect(check).toMatchObject({ expected: 8, delivered: 7, lost: 1, duplicated: 0 });
    expect(exitCodeFor({ chat: { ...check, failedSays: 0 } })).toBe(1);
  });

  it('counts a line received twice as duplicated, and fails', () => {
    const check = checkChat(records([2, 2], [[...all, [1, 1]], all]));
    expect(check).toMatchObject({ lost: 0, duplicated: 1 });
    expect(exitCodeFor({ chat: { ...check, failedSays: 0 } })).toBe(1);
  });

  it('counts a sender whose lines arrive out of order, and lines nobody said, and fails on each', () => {
    const reordered = checkChat(records([2, 2], [all, [[0, 1], [1, 0], [0, 0], [1, 1]]]));
    expect(reordered).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 1 });
    expect(exitCodeFor({ chat: { ...reordered, failedSays: 0 } })).toBe(1);
    const madeUp = checkChat(records([2, 2], [[...all, [0, 2], [7, 0]], all]));
    expect(madeUp).toMatchObject({ lost: 0, unexpected: 2 });
    expect(exitCodeFor({ chat: { ...madeUp, failedSays: 0 } })).toBe(1);
  });

  it('takes percentiles by nearest rank (the benchmarks\' quantile), and none without samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(samples, 0.5)).toBe(50);
    expect(quantile(samples, 0.99)).toBe(99);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
    expect(latency(samples)).toEqual({ p50: 50, p99: 99, samples: 100 });
    expect(latency([])).toEqual({ p50: undefined, p99: undefined, samples: 0 });
  });
});

describe('the demo options and fault script', () => {
  it('parses every option, in both spellings', () => {
    expect(parseOptions([])).toEqual(DEFAULT_DEMO_OPTIONS);
    expect(parseOptions(['--players', '3', '--seconds=12', '--json'])).toEqual({ players: 3, seconds: 12, faults: true, json: true });
    expect(parseOptions(['--no-faults', '--seconds', '2'])).toEqual({ ...DEFAULT_DEMO_OPTIONS, faults: false, seconds: 2 });
    expect(parseOptions(['--help'])).toBe('help');
  });

  it.each([
    [['--player', '3'], '--player', /unknown option --player/],
    [['--players', '0'], '--players', /--players must be an integer from 1 to 20, got "0"/],
    [['--players', '2.5'], '--players', /got "2.5"/],
    [['--seconds'], '--seconds', /--seconds needs a value/],
    [['--json=yes'], '--json', /--json takes no value/],
    [['--seconds', String(MIN_SECONDS_WITH_FAULTS - 1)], '--seconds', /at least 10 with faults/],
  ])('refuses %j naming the option', (argv, option, message) => {
    let error: unknown;
    try {
      parseOptions(argv);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OptionError);
    expect((error as OptionError).option).toBe(option);
    expect((error as OptionError).message).toMatch(message);
  });

  it.each([MIN_SECONDS_WITH_FAULTS, DEFAULT_DEMO_OPTIONS.seconds, 60])('fits every fault, healed, into a %i s run', (seconds) => {
    const plan = faultPlan(seconds);
    expect(plan.map((s) => s.action).sort()).toEqual(['chat-server-down', 'chat-server-up', 'drop-game-sockets', 'hide-app', 'show-app']);
    const at = (action: string) => plan.find((s) => s.action === action)?.atMs as number;
    expect(at('show-app') - at('hide-app')).toBe(HIDDEN_MS);
    expect(HIDDEN_MS).toBeGreaterThan(5000); // past the platform's background cut
    expect(at('chat-server-up')).toBeGreaterThan(at('chat-server-down'));
    for (const step of plan) expect(step.atMs).toBeLessThanOrEqual(seconds * 1000 - 1000);
  });
});

describe('npm start (the built demo)', () => {
  it('runs 2 players through every fault: reconnects, chat resumes, no chat line lost or duplicated, exit 0', () => {
    const run = runBuiltDemo(['--players', '2', '--seconds', String(MIN_SECONDS_WITH_FAULTS), '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout) as DemoSummary;
    expect(summary.faults.map((f) => f.fault)).toEqual(['drop-game-sockets', 'hide-app', 'chat-server-down', 'chat-server-up', 'show-app']);
    expect(summary.faults[0]?.detail).toBe('2 of 2 game sockets destroyed');
    expect(summary).toMatchObject({ ok: true, drained: true, players: 2 });
    expect(summary.chat).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0, unexpected: 0, failedSays: 0 });
    expect(summary.chat.expected).toBe(summary.channels.chat.sent * 2);
    expect(summary.chat.delivered).toBe(summary.chat.expected);
    expect(summary.chat.expected).toBeGreaterThan(0);
    // Both game sockets dropped, and the hidden player's came back once more; both chat channels came back.
    expect(summary.channels.game.reconnects).toBeGreaterThanOrEqual(3);
    expect(summary.channels.chat.reconnects).toBeGreaterThanOrEqual(2);
    expect(summary.channels.game.received).toBeGreaterThan(0);
    expect(summary.latencyMs.game.samples).toBeGreaterThan(0);
    expect(summary.latencyMs.chat.samples).toBe(summary.chat.delivered);
    expect(summary.latencyMs.chat.p99 as number).toBeGreaterThanOrEqual(summary.latencyMs.chat.p50 as number);
  }, 60_000);

  it('prints the live lines and the summary without --json', () => {
    const run = runBuiltDemo(['--players', '1', '--seconds', '1', '--no-faults']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/game: 1\/1 open, rtt max \d+ ms/);
    expect(run.stdout).toMatch(/lost 0, duplicated 0, out of order 0/);
    expect(run.stdout).toMatch(/result: OK/);
  }, 30_000);

  it('exits 2 for a bad option, naming it', () => {
    const run = runBuiltDemo(['--players', 'many']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--players must be an integer from 1 to 20, got "many"/);
    expect(run.stdout).toBe('');
  });
});
