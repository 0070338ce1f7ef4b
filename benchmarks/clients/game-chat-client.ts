/*
 * Child of the game-under-chat-load suite (run with --expose-gc): one ConnectionManager with the game preset and the
 * chat preset, as a mini-game has them, plus a second chat channel with no per-turn limit (`receiveTurnMs: Infinity`)
 * in a room of its own, as a reference. It records the latency of every `game/state` (arrival minus the server's
 * `sentAt`) through interleaved phases: quiet (no chat traffic), bursts into the preset's room, bursts into the
 * reference room (500 x 1 KB messages, a burst every `burstEveryMs`). It also times every turn each chat channel
 * takes (socket callbacks and its timers). Each game message's latency is also split into parts (see
 * {@link GameParts} and game-chat-probe.ts). Prints {type:'ready'}, then {type:'result'} for {type:'run'}.
 */
import { performance } from 'perf_hooks';
import WebSocket from 'ws';
import { type ChatChannel, chatChannel, gameChannel } from '../../channels';
import { type Clock, systemClock } from '../../src/time/clock';
import { ConnectionManager } from '../../src/manager';
import type { Transport } from '../../src/transport/types';
import { webSocketTransport } from '../../src/transport/websocket';
import { answerParent, failOnError, pause, preciseNow, type ScriptMessage } from '../script-process';
import { Intervals, observeGc, RunDelay, timedWebSocket } from './game-chat-probe';

failOnError('game-chat client');

/** What the parent asks for. */
export interface GameChatRun extends ScriptMessage {
  readonly type: 'run';
  /** Measured rounds; each has a quiet phase and one burst phase per chat channel, in rotating order. */
  readonly rounds: number;
  readonly phaseMs: number;
  readonly warmupMs: number;
  readonly burstCount: number;
  readonly burstBytes: number;
  /** A burst starts this often (or when the one before has arrived, if it takes longer). */
  readonly burstEveryMs: number;
}

/** One phase's figures, ms. */
export interface GameChatPhase {
  /** Latency of each game message sent during the phase. */
  readonly latencies: number[];
  /** Each burst, request to last message delivered. */
  readonly burstMs: number[];
  /** Every turn the phase's chat channel took (wall time, so a turn the OS preempted counts in full). */
  readonly turnsMs: number[];
  /** Where each game message's time went, aligned with `latencies`. */
  readonly parts: GameParts;
  /** Each burst, the chat server's time to encode and write it. */
  readonly burstServerMs: number[];
}

/**
 * A game message's latency in parts, ms. `latency` (what the goal uses) = `transit` + `dispatch`, from the server's
 * `sentAt`; `fromDue` also counts `server`, the tick's own lateness.
 */
export interface GameParts {
  /** Subscriber minus the time the tick was due on the server. */
  readonly fromDue: number[];
  /** Server: `sentAt` minus due (timer lateness, including waiting for a core). */
  readonly server: number[];
  /** Server: run-queue delay of the game server since its tick before (an upper bound of its part of `server`). */
  readonly serverRunDelay: number[];
  /** Server: the tick before's wait in the outbox after `sentAt` (part of the next tick's `transit`). */
  readonly flushLag: number[];
  /** The client's first read of the message's bytes (TCP `data`, before `ws` parses them) minus `sentAt`. */
  readonly transit: number[];
  /** Subscriber minus that read: `ws` parse, the runtime's decode, inbox and router. */
  readonly dispatch: number[];
  /** Of `transit`: the client's thread busy with chat (chat socket reads and the chat channels' timer turns), wall. */
  readonly chatWork: number[];
  /** The same, counting only the time the thread was on a core in those stretches (schedstat). */
  readonly chatCpu: number[];
  /** Of `chatWork`: inside the runtime (the chat channels' message callbacks and timer turns; the rest is `ws`). */
  readonly chatRuntime: number[];
  /** Of `transit`: garbage collection on the client (may overlap `chatWork`). */
  readonly gc: number[];
  /** Of `transit`: the client's thread waiting for a core (schedstat; an upper bound, the window may start earlier). */
  readonly runDelay: number[];
}

/** One round: the quiet phase, bursts into the preset's chat channel, bursts into the reference channel. */
export interface GameChatRound {
  readonly quiet: GameChatPhase;
  readonly preset: GameChatPhase;
  readonly reference: GameChatPhase;
}

interface Sample {
  sentAt: number;
  latency: number;
  dueAt: number;
  readAt: number;
  handledAt: number;
  flushLag: number;
  serverRunDelay: number;
}

/** A chat channel and the turns it took. */
interface TimedChat {
  readonly chat: ChatChannel;
  readonly room: string;
  /** Turns since the last reset, ms. */
  turns: number[];
  received: number;
}

/** The same transport, timing each message callback (a turn the channel takes on the thread). */
function timedTransport(inner: Transport, record: (start: number, end: number) => void): Transport {
  return {
    name: inner.name,
    connect(options) {
      const socket = inner.connect(options);
      return {
        send: (option) => socket.send(option),
        close: (option) => socket.close(option),
        onOpen: (listener) => socket.onOpen(listener),
        onError: (listener) => socket.onError(listener),
        onClose: (listener) => socket.onClose(listener),
        onMessage: (listener) =>
          socket.onMessage((result) => {
            const start = performance.now();
            listener(result);
            record(start, performance.now());
          }),
      };
    },
  };
}

/** The system clock, timing each timer callback (the turns a channel takes after a message: ACKs, slices of a burst). */
function timedClock(record: (start: number, end: number) => void, around: (start: number, end: number, cpu: number) => void, cpuNow: () => number): Clock {
  return {
    now: systemClock.now,
    clearTimeout: systemClock.clearTimeout,
    setTimeout: (fn, delayMs) =>
      systemClock.setTimeout(() => {
        const cpu = cpuNow();
        const at = preciseNow();
        const start = performance.now();
        fn();
        const end = performance.now();
        record(start, end);
        around(at, at + (end - start), cpu);
      }, delayMs),
  };
}

const gc = (globalThis as { gc?: () => void }).gc;

async function main(gameUrl: string, chatUrl: string): Promise<void> {
  // What the client's thread did, for the parts of each game message's latency.
  const chatWork = new Intervals();
  const chatRuntime = new Intervals();
  const gcWork = new Intervals();
  const runDelay = new RunDelay();
  observeGc(gcWork);
  let gameReadAt = 0;
  const transport = webSocketTransport(WebSocket);
  const manager = new ConnectionManager({ transport });
  const game = gameChannel({
    manager,
    url: gameUrl,
    transport: webSocketTransport(
      timedWebSocket({
        start: (at) => {
          gameReadAt = at;
          runDelay.read(at);
        },
        end: () => undefined,
      }),
    ),
  });
  let cpuAtStart = 0;
  const chatTransport = webSocketTransport(
    timedWebSocket({
      start: (at) => void (cpuAtStart = runDelay.read(at)),
      end: (start, at) => chatWork.add(start, at, (runDelay.read(at) - cpuAtStart) / (at - start)),
    }),
  );
  const chatTimer = (start: number, end: number, cpu: number) => chatWork.add(start, end, (runDelay.read(end) - cpu) / (end - start));
  const timedChat = (name: string, room: string, receiveTurnMs?: number): TimedChat => {
    const record = (start: number, end: number) => {
      timed.turns.push(end - start);
      chatRuntime.add(performance.timeOrigin + start, performance.timeOrigin + end);
    };
    const chat = chatChannel({
      manager,
      url: chatUrl,
      name,
      transport: timedTransport(chatTransport, record),
      clock: timedClock(record, chatTimer, () => runDelay.read()),
      ...(receiveTurnMs === undefined ? {} : { receiveTurnMs }),
    });
    const timed: TimedChat = { chat, room, turns: [], received: 0 };
    chat.onMessage(room, () => {
      timed.received++;
      if (waiting && timed.received >= waiting.target) {
        const w = waiting;
        waiting = undefined;
        w.resolve();
      }
    });
    return timed;
  };
  let waiting: { target: number; resolve: () => void } | undefined;
  const preset = timedChat('chat', 'bench');
  const reference = timedChat('chat-unlimited', 'bench-reference', Infinity);

  let samples: Sample[] = [];
  let inputs = 0;
  game.onState((state) => {
    const handledAt = preciseNow();
    const stamps = state as unknown as { sentAt: number; dueAt: number; prevFlushLag: number; runDelay: number };
    const sentAt = stamps.sentAt;
    samples.push({
      sentAt,
      latency: handledAt - sentAt,
      dueAt: stamps.dueAt,
      readAt: gameReadAt,
      handledAt,
      flushLag: stamps.prevFlushLag,
      serverRunDelay: stamps.runDelay,
    });
    // A game answers state with input; every third tick keeps the send path busy without flooding it.
    if (++inputs % 3 === 0) game.sendInput({ dx: 1, dy: 0 });
  });
  await Promise.all([game.channel.waitFor('game/state', { timeoutMs: 10_000 }), preset.chat.join(preset.room), reference.chat.join(reference.room)]);

  const burst = async (target: TimedChat, count: number, bytes: number): Promise<{ from: number; to: number; serverMs: number }> => {
    const from = preciseNow();
    const done = new Promise<void>((resolve) => (waiting = { target: target.received + count, resolve }));
    const answer = await target.chat.channel.request('bench/burst', { room: target.room, count, bytes }, { timeoutMs: 10_000 });
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`burst stalled: ${target.received} of ${waiting?.target} chat messages; ${JSON.stringify(manager.stats())}`));
      }, 10_000);
    });
    try {
      await Promise.race([done, stalled]);
    } finally {
      clearTimeout(timer);
    }
    return { from, to: preciseNow(), serverMs: (answer as { handlerMs: number }).handlerMs };
  };

  /** The parts of each sample's latency (after the phase, once the GC entries of its last messages are in). */
  const partsOf = (during: readonly Sample[]): GameParts => ({
    fromDue: during.map((s) => s.handledAt - s.dueAt),
    server: during.map((s) => s.sentAt - s.dueAt),
    serverRunDelay: during.map((s) => s.serverRunDelay),
    flushLag: during.map((s) => s.flushLag),
    transit: during.map((s) => s.readAt - s.sentAt),
    dispatch: during.map((s) => s.handledAt - s.readAt),
    chatWork: during.map((s) => chatWork.overlap(s.sentAt, s.readAt)),
    chatRuntime: during.map((s) => chatRuntime.overlap(s.sentAt, s.readAt)),
    chatCpu: during.map((s) => chatWork.overlap(s.sentAt, s.readAt, true)),
    gc: during.map((s) => gcWork.overlap(s.sentAt, s.readAt)),
    runDelay: during.map((s) => runDelay.within(s.sentAt, s.readAt)),
  });

  /**
   * Starts a phase from a collected heap, so that no phase pays for the garbage of the one before; game messages held
   * up by the collection itself arrive before the phase starts counting.
   */
  const startPhase = async () => {
    gc?.();
    await pause(50);
    samples = [];
    preset.turns = [];
    reference.turns = [];
    chatWork.clear();
    chatRuntime.clear();
    gcWork.clear();
    runDelay.clear();
    runDelay.read();
  };

  const quietPhase = async (ms: number): Promise<GameChatPhase> => {
    await startPhase();
    const start = preciseNow();
    await pause(ms);
    const end = preciseNow();
    await pause(50);
    const during = samples.filter((s) => s.sentAt >= start && s.sentAt <= end);
    return { latencies: during.map((s) => s.latency), burstMs: [], turnsMs: [...preset.turns, ...reference.turns], parts: partsOf(during), burstServerMs: [] };
  };

  const burstPhase = async (ms: number, target: TimedChat, run: GameChatRun): Promise<GameChatPhase> => {
    await startPhase();
    const windows: { from: number; to: number; serverMs: number }[] = [];
    const start = preciseNow();
    const end = start + ms;
    for (let k = 1; preciseNow() < end; k++) {
      windows.push(await burst(target, run.burstCount, run.burstBytes));
      const wait = start + k * run.burstEveryMs - preciseNow();
      if (wait > 0) await pause(Math.min(wait, end - preciseNow()));
    }
    // Game messages still on their way when the last burst ended arrive within a tick or two.
    await pause(50);
    const during = samples.filter((s) => s.sentAt >= start && s.sentAt <= end);
    return {
      latencies: during.map((s) => s.latency),
      burstMs: windows.map((w) => w.to - w.from),
      turnsMs: target.turns,
      parts: partsOf(during),
      burstServerMs: windows.map((w) => w.serverMs),
    };
  };

  answerParent<GameChatRun>(
    'game-chat client',
    'run',
    async (run) => {
      await quietPhase(run.warmupMs);
      await burstPhase(run.warmupMs, preset, run);
      await burstPhase(run.warmupMs, reference, run);
      const rounds: GameChatRound[] = [];
      for (let r = 0; r < run.rounds; r++) {
        // The order rotates from round to round, so that no phase always follows the same one.
        const phases: Record<keyof GameChatRound, () => Promise<GameChatPhase>> = {
          quiet: () => quietPhase(run.phaseMs),
          preset: () => burstPhase(run.phaseMs, preset, run),
          reference: () => burstPhase(run.phaseMs, reference, run),
        };
        const order = (['quiet', 'preset', 'reference'] as const).map((_, i, all) => all[(i + r) % all.length] as keyof GameChatRound);
        const round: Partial<Record<keyof GameChatRound, GameChatPhase>> = {};
        for (const phase of order) round[phase] = await phases[phase]();
        rounds.push(round as GameChatRound);
      }
      return { type: 'result', rounds, stats: manager.stats() };
    },
    () => manager.close(),
  );
}

void main(process.argv[2] as string, process.argv[3] as string);
