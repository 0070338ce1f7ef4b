import { type CountingServer, LOADTEST_CLI, runLoadtest, runLoadtestSync, startCountingServer } from '../support/loadtest-run';
import { readFileSync } from 'node:fs';
import { hidingPackages } from '../support/hidden-packages';
import type { Summary } from '../../loadtest/summary';
import { createServer, type ReferenceServer, type ServerSession } from '../../server';

// `multisocket-loadtest` against a reference server on 127.0.0.1 that this test holds and counts on: a few hundred
// players for a few seconds, the summary checked against what the server saw.

describe('the multisocket-loadtest command', () => {
  it('is a node script', () => {
    expect(readFileSync(LOADTEST_CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('--help documents every option and exits 0', () => {
    const result = runLoadtestSync(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: multisocket-loadtest /);
    const options = ['--url', '--players', '--ramp', '--duration', '--game-rate', '--chat-rate', '--room-size', '--token', '--token-command', '--json', '--report', '--faults', '--max-p99', '--max-errors', '--workers'];
    for (const option of options) expect(result.stdout).toMatch(new RegExp(`^  ${option} `, 'm'));
  });

  it.each([
    [['--bogus'], /^multisocket-loadtest: unknown option --bogus/],
    [['--players', '0'], /^multisocket-loadtest: --players must be an integer from 1 to 100000, got "0"/],
    [['--ramp', 'fast'], /^multisocket-loadtest: --ramp must be a number of at least 0.001, got "fast"/],
    [['--url', 'http://example.com'], /^multisocket-loadtest: --url must be a ws:\/\/ or wss:\/\/ URL/],
    [['--faults', 'drop=x'], /^multisocket-loadtest: --faults: cannot read "drop=x"/],
    [['--faults', 'crash=0.1'], /^multisocket-loadtest: --faults: cannot read "crash=0.1"/],
    [['--token', 'a', '--token-command', 'echo a'], /^multisocket-loadtest: --token and --token-command cannot both be given/],
    [['--max-p99'], /^multisocket-loadtest: --max-p99 needs a value/],
  ])('%j prints one line and exits 2', (args, message) => {
    const result = runLoadtestSync(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  it('without --url starts the reference server on 127.0.0.1 and loads it', async () => {
    const result = await runLoadtest(['--players', '6', '--ramp', '20', '--duration', '1', '--room-size', '3', '--chat-rate', '2', '--json']);
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    expect(summary.players).toEqual({ target: 6, peakConnected: 6 });
    expect(summary.chat.said).toBeGreaterThan(0);
    expect(summary.chat).toMatchObject({ lost: 0, duplicated: 0 });
  });

  it('without ws says to install it, in one line, and exits 1', () => {
    const result = runLoadtestSync(['--players', '1'], hidingPackages(['ws']));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('multisocket-loadtest: the players need the "ws" package, which is not installed: npm install ws\n');
  });

  describe('against a reference server', () => {
    let server: CountingServer;

    beforeEach(async () => {
      server = await startCountingServer();
    });

    afterEach(() => server.server.close());

    it('drives a few hundred players; its summary is what the server saw, and every chat line arrived once', async () => {
      const args = ['--url', server.url, '--players', '200', '--ramp', '200', '--duration', '3', '--game-rate', '5', '--chat-rate', '1', '--room-size', '8', '--json'];
      const result = await runLoadtest(args);
      expect(result.stderr).toMatch(/players \d+\/200 +in \d+\/s out \d+\/s/);
      expect(result.status).toBe(0);
      const summary = JSON.parse(result.stdout) as Summary;
      expect(summary.players).toEqual({ target: 200, peakConnected: 200 });
      expect(summary.game.inputs).toBeGreaterThan(0);
      expect(summary.game.inputs).toBe(server.inputs);
      expect(summary.chat.said).toBeGreaterThan(0);
      expect(summary.chat.said).toBe(server.lines.size);
      expect(summary.chat).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0, unanswered: 0 });
      expect(summary.game.rttMs.samples).toBeGreaterThan(0);
      expect(summary.game.rttMs.p99).toBeGreaterThanOrEqual(summary.game.rttMs.p50 as number);
      expect(summary.failures).toEqual([]);
    });

    it('with --faults, players drop, go to the background and lose the network, and no chat line is lost or doubled', async () => {
      const args = ['--url', server.url, '--players', '60', '--ramp', '60', '--duration', '4', '--game-rate', '5', '--chat-rate', '2', '--room-size', '6', '--json'];
      const result = await runLoadtest([...args, '--faults', 'drop=20,background=5,offline=10']);
      const summary = JSON.parse(result.stdout) as Summary;
      expect(summary.faults).toBeGreaterThan(0);
      expect(summary.reconnects).toBeGreaterThan(0);
      expect(summary.chat.said).toBe(server.lines.size);
      expect(summary.chat).toMatchObject({ lost: 0, duplicated: 0, unanswered: 0 });
      expect(result.status).toBe(0);
    });

    it('exits 1 when a threshold is exceeded, naming it', async () => {
      const args = ['--url', server.url, '--players', '10', '--ramp', '10', '--duration', '1', '--chat-rate', '0'];
      const result = await runLoadtest([...args, '--max-p99', '0']);
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(/^FAIL: game round trip p99 [\d.]+ ms is over --max-p99 0$/m);
      const within = await runLoadtest([...args, '--max-p99', '60000', '--max-errors', '0']);
      expect(within.stdout).toMatch(/^PASS$/m);
      expect(within.status).toBe(0);
    });
  });

  it('exits 1 when more errors than --max-errors were counted (a token command that fails)', async () => {
    const server = await startCountingServer();
    try {
      const args = ['--url', server.url, '--players', '3', '--ramp', '10', '--duration', '1', '--token-command', 'exit 3', '--max-errors', '0'];
      const result = await runLoadtest(args);
      expect(result.stdout).toMatch(/^FAIL: \d+ errors is over --max-errors 0$/m);
      expect(result.status).toBe(1);
    } finally {
      await server.server.close();
    }
  });
});

describe('the chat check, against a server that mishandles lines', () => {
  let server: ReferenceServer;
  let url: string;

  /** Chat on the preset's protocol, but each line goes to the members `copies` times (new ids), or never to its sender. */
  async function faultyChat(mode: 'not to the sender' | 'twice'): Promise<void> {
    server = createServer({ host: '127.0.0.1', port: 0 });
    const members = new Map<string, Set<ServerSession>>();
    let id = 0;
    server.handle<{ room: string }>('chat/join', ({ room }, ctx) => {
      const set = members.get(String(room)) ?? new Set();
      set.add(ctx.session);
      members.set(String(room), set);
      return { room, lastId: 0 };
    });
    server.on<{ room: string; mid: string; body: unknown }>('chat/say', ({ room, mid, body }, ctx) => {
      const first = ++id;
      for (const member of members.get(String(room)) ?? []) {
        if (mode === 'not to the sender' && member === ctx.session) continue;
        member.sendReliable(`room/${room}/message`, { id: first, ts: Date.now(), from: 'x', body, mid });
        if (mode === 'twice') member.sendReliable(`room/${room}/message`, { id: first + 1, ts: Date.now(), from: 'x', body, mid });
      }
      if (mode === 'twice') id++;
      ctx.session.sendReliable('chat/said', { mid, room, id: first, ts: Date.now() });
    });
    url = `${(await server.listen()).url}/ws`;
  }

  afterEach(() => server.close());

  it.each([
    ['not to the sender', /^FAIL: \d+ chat line\(s\) lost$/m],
    ['twice', /^FAIL: \d+ chat line\(s\) duplicated$/m],
  ] as const)('a line sent %s: exit 1, naming it', async (mode, verdict) => {
    await faultyChat(mode);
    const result = await runLoadtest(['--url', url, '--players', '4', '--ramp', '20', '--duration', '2', '--game-rate', '0', '--chat-rate', '2', '--room-size', '2']);
    expect(result.stdout).toMatch(verdict);
    expect(result.status).toBe(1);
  });
});
