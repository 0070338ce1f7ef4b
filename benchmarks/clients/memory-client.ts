/*
 * Child of the memory suite (run with --expose-gc): one ConnectionManager with the game and chat presets passes
 * messages through both channels, half game states (pulled in batches) and half chat messages (said by this client
 * into a room it is in, so each also travels out as RELIABLE `chat/say` and back with its `chat/said` answer). After a
 * warm-up it takes the baseline heap, then the heap after each segment, every time after a full GC with nothing in
 * flight. Answers {type:'run', messages, segments, warmup} with {type:'result', baseline, checkpoints}.
 */
import WebSocket from 'ws';
import { chatChannel, gameChannel } from '../../channels';
import { ConnectionManager } from '../../src/manager';
import { webSocketTransport } from '../../src/transport/websocket';
import { answerParent, failOnError, type ScriptMessage } from '../script-process';

failOnError('memory client');

const ROOM = 'memory';
const STATES_PER_REQUEST = 1000;
const STATE_REQUESTS_IN_FLIGHT = 4;
/** Each say in flight holds two RELIABLE messages at the server (the room message and the answer): stay well under its 1,000. */
const SAYS_IN_FLIGHT = 200;

/** What the parent asks for. */
export interface MemoryRun extends ScriptMessage {
  readonly type: 'run';
  /** Messages in the measured part (after the warm-up), half game, half chat. */
  readonly messages: number;
  readonly segments: number;
  readonly warmup: number;
}

/** The heap at one point. */
export interface HeapCheckpoint {
  /** Messages passed since the baseline. */
  readonly messages: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Time the segment before it took, ms. */
  readonly ms: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function settledHeap(): Promise<{ heapUsed: number; external: number; arrayBuffers: number }> {
  if (!gc) throw new Error('the memory client needs --expose-gc');
  // Several passes with a turn in between: what one pass frees may let finalizers and weak callbacks free more.
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { heapUsed, external, arrayBuffers };
}

async function main(url: string): Promise<void> {
  const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket) });
  const game = gameChannel({ manager, url });
  const chat = chatChannel({ manager, url });
  let states = 0;
  let chats = 0;
  game.onState(() => {
    // A game answers state with input now and then: the send path runs too.
    if (++states % 8 === 0) game.sendInput({ dx: 1, dy: -1 });
  });
  chat.onMessage(ROOM, () => {
    chats++;
  });
  await chat.join(ROOM);
  const body = { text: 'a chat message of about a hundred bytes, as players type them, '.repeat(2), emoji: '🎮' };

  const pullStates = async (count: number) => {
    let asked = 0;
    const worker = async () => {
      while (asked < count) {
        const n = Math.min(STATES_PER_REQUEST, count - asked);
        asked += n;
        await game.channel.request('bench/states', { count: n });
      }
    };
    const target = states + count;
    await Promise.all(Array.from({ length: STATE_REQUESTS_IN_FLIGHT }, worker));
    // Each reply left after its states, on the same stream.
    if (states < target) throw new Error(`memory client: ${target - states} game states missing`);
  };
  const sayMany = async (count: number) => {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        await chat.say(ROOM, body);
      }
    };
    await Promise.all(Array.from({ length: SAYS_IN_FLIGHT }, worker));
  };
  /** Passes `count` messages, half each way; resolves once every one has arrived. */
  const pass = async (count: number) => {
    const half = Math.floor(count / 2);
    const chatTarget = chats + (count - half);
    await Promise.all([pullStates(half), sayMany(count - half)]);
    // Each say resolved with its answer; its room message arrived before that answer (same stream, sent first).
    if (chats < chatTarget) throw new Error(`memory client: ${chatTarget - chats} chat messages missing`);
  };

  answerParent<MemoryRun>(
    'memory client',
    'run',
    async (run) => {
      await pass(run.warmup);
      const baseline = await settledHeap();
      const checkpoints: HeapCheckpoint[] = [];
      const perSegment = Math.floor(run.messages / run.segments);
      for (let s = 1; s <= run.segments; s++) {
        const start = Date.now();
        await pass(perSegment);
        const ms = Date.now() - start;
        checkpoints.push({ messages: s * perSegment, ms, ...(await settledHeap()) });
      }
      return { type: 'result', baseline, checkpoints, stats: manager.stats() };
    },
    () => manager.close(),
  );
}

void main(process.argv[2] as string);
