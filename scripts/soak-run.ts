import WebSocket from 'ws';
import { type ChatChannel, chatChannel, type GameChannel, gameChannel } from '../channels';
import { createWxEmulator } from '../emulator/wx-emulator';
import { createServer, installChat, installGame } from '../server';
import { type Channel, ConnectionManager, type Transport, webSocketTransport, wxTransport } from '../src';
import { FAULT_KINDS, type FaultKind, startFaultProxy } from '../test/support/fault-proxy';
import { seededRandom } from '../test/support/random';
import { type FaultPacing, FaultSchedule } from './soak-faults';
import { SequenceCheck, Tally } from './soak-tally';

/*
 * The soak: a reference server (chat + game) behind the fault proxy, and two players, one on the wx emulator and one
 * on a plain WebSocket, each with a game channel (inputs every tick, plus RELIABLE `soak/up` that the server echoes as
 * `soak/down`) and a chat channel (`say` in one room). Reliable messages are sent in windows while the proxy injects
 * seeded random faults; every one is checked at each place it must arrive: once, in order.
 */

/** Options of {@link runSoak}. */
export interface SoakOptions {
  seed: number;
  /** Reliable messages the applications send in all (chat says + game ups, both players). */
  messages: number;
  /** Messages per window, per player and channel. */
  window: number;
  pacing: FaultPacing;
  /**
   * Faults the run must see, spread over it: a window waits until its share of them has been injected, so a short run
   * still meets every kind (the first six are every kind once). Default 0.
   */
  minFaults?: number;
  /** A window (or the final catch-up) that does not complete within this fails the run, ms. */
  stallMs: number;
  /** Told of progress now and then (a line of text). Default: nothing. */
  progress?: (line: string) => void;
}

/** What a soak measured. */
export interface SoakReport {
  seed: number;
  messages: number;
  /** Arrivals checked: each chat message at both players, each game message at the server and back. */
  checked: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Sends the application saw rejected (each also counts as lost). */
  rejected: number;
  faults: Record<FaultKind, number>;
  midFrameCuts: number;
  refusedConnections: number;
  reconnects: number;
  resyncs: number;
  protocolErrors: number;
  /** Game inputs (PUSH, not reliable): sent, the last seq the server applied, and those dropped with a reported reason. */
  inputs: { sent: number; lastApplied: number; droppedCounted: number };
  elapsedMs: number;
  /** Why the run failed to finish, when it did, and each channel's state at that moment. */
  stalled?: string;
  diagnostics?: string[];
}

/** The bounded form `npm test` runs: short, yet every fault kind at least once. */
export const QUICK_SOAK: Readonly<Omit<SoakOptions, 'seed'>> = {
  messages: 8_000,
  window: 100,
  pacing: { gapMs: [150, 400], spellMs: [100, 300], blackholeMs: [300, 1200] },
  minFaults: 12,
  stallMs: 20_000,
};

/** `npm run soak`: 200,000 reliable messages. */
export const FULL_SOAK: Readonly<Omit<SoakOptions, 'seed'>> = {
  messages: 200_000,
  window: 250,
  pacing: { gapMs: [100, 600], spellMs: [200, 800], blackholeMs: [500, 2500] },
  minFaults: 200,
  stallMs: 60_000,
};

const ROOM = 'soak';
/** Room for a window or two of backlog while a player is away, and quick ACKs so a window ends soon after its last send. */
const RELIABLE = { maxUnacked: 10_000, maxUnackedBytes: 16 << 20, ackEvery: 32, ackDelayMs: 5 };
const NAMES = ['wx', 'ws'] as const;
type PlayerName = (typeof NAMES)[number];

interface Player {
  name: PlayerName;
  manager: ConnectionManager;
  chat: ChatChannel;
  game: GameChannel;
  /** Chat messages received, by sender. */
  heard: Record<PlayerName, SequenceCheck>;
  /** `soak/down` echoes received. */
  echoed: SequenceCheck;
  lastInput: number;
  inputsSent: number;
  resyncs: number;
}

/** Runs one soak; never throws for a delivery failure: the report says what went wrong. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const random = seededRandom(options.seed);
  const server = createServer({ port: 0, heartbeatMs: 2000, reliable: RELIABLE });
  installChat(server, { historySize: 10_000 });
  installGame(server);
  const atServer: Record<PlayerName, SequenceCheck> = { wx: new SequenceCheck(), ws: new SequenceCheck() };
  server.on('soak/up', (payload, ctx) => {
    const { from, n } = payload as { from: PlayerName; n: number };
    atServer[from].see(n);
    ctx.session.sendReliable('soak/down', payload);
  });
  const { port } = await server.listen();
  const proxy = await startFaultProxy({ targetPort: port, random: seededRandom(options.seed + 1) });
  const emulator = createWxEmulator();
  const sockets: WebSocket[] = [];
  class TrackedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      sockets.push(this);
    }
  }
  const players = await Promise.all(
    NAMES.map((name, i) => openPlayer(name, name === 'wx' ? wxTransport(emulator) : webSocketTransport(TrackedWebSocket), proxy.port, options.seed + 10 + i)),
  );
  const schedule = new FaultSchedule(proxy, random, options.pacing);
  const faulting = schedule.run();
  const ticking = setInterval(() => players.forEach((p) => (p.game.sendInput({ dx: 1 }), p.inputsSent++)), 50);
  const perStream = Math.floor(options.messages / (2 * NAMES.length));
  let rejected = 0;
  /** Messages sent so far in each stream (all of them unless a window stalled). */
  let sentPerStream = 0;
  let stalled: string | undefined;
  let diagnostics: string[] | undefined;
  try {
    const windows = Math.ceil(perStream / options.window);
    for (let from = 0, w = 0; from < perStream && !stalled; from += options.window, w++) {
      const to = Math.min(perStream, from + options.window);
      await schedule.whenInjected(Math.floor((w * (options.minFaults ?? 0)) / windows));
      const sends: Promise<unknown>[] = [];
      for (const player of players) {
        for (let n = from; n < to; n++) {
          sends.push(player.chat.say(ROOM, { from: player.name, n }));
          sends.push(player.game.channel.sendReliable('soak/up', { from: player.name, n }));
        }
      }
      sentPerStream = to; // even if the window stalls: what was sent must still arrive once the faults stop
      const outcomes = await Tally.within(Promise.allSettled(sends), options.stallMs);
      if (!outcomes) {
        stalled = `window ${from}..${to} did not complete within ${options.stallMs} ms`;
        diagnostics = describe(players, atServer);
      } else rejected += outcomes.filter((o) => o.status === 'rejected').length;
      if (options.progress && (to === perStream || Math.floor(to / (options.window * 20)) > Math.floor(from / (options.window * 20)))) {
        const reconnects = players.reduce((sum, p) => sum + p.chat.channel.stats().reconnects + p.game.channel.stats().reconnects, 0);
        options.progress(`${to * 2 * NAMES.length} of ${perStream * 2 * NAMES.length} sent, ${schedule.injected.length} faults, ${reconnects} reconnects`);
      }
    }
  } finally {
    schedule.stop();
    clearInterval(ticking);
    await faulting;
  }
  // The faults are over: wait (bounded) until every player heard everything, from both senders and from the server.
  const expected = (check: SequenceCheck) => check.until(sentPerStream, options.stallMs);
  const caughtUp = await Promise.all(players.flatMap((p) => [...NAMES.map((s) => expected(p.heard[s])), expected(p.echoed)]));
  if (!stalled && caughtUp.includes(false)) {
    stalled = 'not every message arrived after the faults stopped';
    diagnostics = describe(players, atServer);
  }

  const checks = [...NAMES.map((s) => atServer[s]), ...players.flatMap((p) => [...NAMES.map((s) => p.heard[s]), p.echoed])];
  const stats = players.flatMap((p) => [p.chat.channel.stats(), p.game.channel.stats()]);
  const proxyStats = proxy.stats();
  const report: SoakReport = {
    seed: options.seed,
    messages: sentPerStream * 2 * NAMES.length,
    checked: checks.reduce((sum, c) => sum + c.count, 0),
    lost: checks.reduce((sum, c) => sum + c.lost(sentPerStream), 0),
    duplicated: checks.reduce((sum, c) => sum + c.duplicated, 0),
    outOfOrder: checks.reduce((sum, c) => sum + c.outOfOrder, 0),
    rejected,
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, schedule.injected.filter((i) => i === k).length])) as Record<FaultKind, number>,
    midFrameCuts: proxyStats.faults.midFrame,
    refusedConnections: proxyStats.refused,
    reconnects: stats.reduce((sum, s) => sum + s.reconnects, 0),
    resyncs: players.reduce((sum, p) => sum + p.resyncs, 0),
    protocolErrors: stats.reduce((sum, s) => sum + s.protocolErrors, 0),
    inputs: {
      sent: players.reduce((sum, p) => sum + p.inputsSent, 0),
      lastApplied: players.reduce((sum, p) => sum + p.lastInput, 0),
      droppedCounted: players.reduce((sum, p) => sum + p.game.channel.stats().dropped, 0),
    },
    elapsedMs: Date.now() - started,
    ...(stalled ? { stalled, diagnostics } : {}),
  };
  await Promise.all(players.map((p) => closePlayer(p)));
  sockets.forEach((s) => s.terminate());
  await emulator.dispose();
  await proxy.close();
  await server.close();
  return report;
}

async function openPlayer(name: PlayerName, transport: Transport, port: number, seed: number): Promise<Player> {
  const manager = new ConnectionManager({ transport, random: seededRandom(seed) });
  const scheme = name === 'wx' ? 'wss' : 'ws';
  // Short deadlines, so that each fault costs a second or two of real time, not tens.
  const common = { heartbeat: { intervalMs: 500, timeoutMs: 1000 }, connectTimeoutMs: 2000, reconnect: { baseMs: 50, maxMs: 1000 }, reliable: RELIABLE };
  const chat = chatChannel({ manager, url: `${scheme}://127.0.0.1:${port}/chat`, ...common });
  const game = gameChannel({ manager, url: `${scheme}://127.0.0.1:${port}/game`, ...common });
  const player: Player = {
    name,
    manager,
    chat,
    game,
    heard: { wx: new SequenceCheck(), ws: new SequenceCheck() },
    echoed: new SequenceCheck(),
    lastInput: 0,
    inputsSent: 0,
    resyncs: 0,
  };
  chat.onMessage(ROOM, (m) => {
    const { from, n } = m.body as { from: PlayerName; n: number };
    player.heard[from].see(n);
  });
  game.channel.subscribe('soak/down', (payload) => player.echoed.see((payload as { n: number }).n));
  game.onState(({ lastInput }) => (player.lastInput = Math.max(player.lastInput, lastInput)));
  for (const channel of [chat.channel, game.channel]) channel.on('resync', () => player.resyncs++);
  await Promise.all([opened(chat.channel), opened(game.channel)]);
  await chat.join(ROOM);
  return player;
}

function describe(players: Player[], atServer: Record<PlayerName, SequenceCheck>): string[] {
  const lines = NAMES.map((s) => `server got soak/up from ${s}: ${atServer[s].distinct}`);
  for (const p of players) {
    for (const c of [p.chat.channel, p.game.channel]) {
      const { state, unacked, recv, reconnects, attempt, queued, pendingRequests } = c.stats();
      lines.push(`${p.name}/${c.name}: ${JSON.stringify({ state, unacked, recv, reconnects, attempt, queued, pendingRequests, session: c.session })}`);
    }
    lines.push(`${p.name} heard ${NAMES.map((s) => `${s}:${p.heard[s].distinct}`).join(' ')} echoed ${p.echoed.distinct}`);
  }
  return lines;
}

function opened(channel: Channel): Promise<void> {
  return new Promise((resolve) => {
    if (channel.state === 'open') return resolve();
    const undo = channel.on('open', () => (undo(), resolve()));
  });
}

function closePlayer(player: Player): Promise<unknown> {
  const channels = [player.chat.channel, player.game.channel];
  const closed = channels.map((c) =>
    c.state === 'closed' ? Promise.resolve() : new Promise<void>((resolve) => c.on('state', ({ next }) => next === 'closed' && resolve())),
  );
  player.manager.close();
  return Promise.all(closed);
}
