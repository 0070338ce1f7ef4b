/*
 * The payloads every suite shares, so the codec figures and the end-to-end figures describe the same messages.
 */
import { Buffer } from 'node:buffer';

/** A game state snapshot of about 100 bytes in msgpack: what a game channel pushes 20 times a second. */
export const GAME_STATE = Object.freeze({
  tick: 48213,
  serverTime: 1700000123456,
  players: {
    p1: { x: 103.5, y: -20.25 },
    p2: { x: 88, y: 41 },
    p3: { x: 12, y: 7 },
  },
  lastInput: 917,
});

const SENTENCE = '今天晚上八点我们在老地方集合，记得带上装备和药水，副本开始前先检查一下队伍配置。';

/** A chat text of Chinese characters, 1 KiB of UTF-8 (three bytes per character). */
export const CHAT_TEXT = SENTENCE.repeat(Math.ceil(342 / SENTENCE.length)).slice(0, 341);

/** UTF-8 length of a string, for notes. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** One game input as the game preset sends it (`game/input`: the input, its `seq` and the estimated server time). */
export const GAME_INPUT = Object.freeze({ dx: 1, dy: -1, fire: false, seq: 917, t: 1700000123456 });

/** A game state of 10 players, as a game server pushes it on `game/state` every tick. */
export const GAME_STATE_10 = Object.freeze({
  tick: 48213,
  serverTime: 1700000123456,
  players: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`p${i}`, { x: 100.5 + i * 7, y: -20.25 + i * 3 }])),
  lastInput: 917,
});

/**
 * One chat line as the chat module delivers it on `room/<room>/message`: `{id, ts, from, body, mid}`, with a short
 * Chinese body. `id` is an id as the chat module numbered them before ids became relative to the join's epoch
 * (`Date.now() * 1000 + n`, 16 digits): what an application of its own would carry.
 */
export const CHAT_LINE = Object.freeze({ id: 1700000000000917, ts: 1700000123456, from: 'p1a2b3c.17', body: '今晚八点老地方集合', mid: 'm-917' });

/**
 * The same line as the chat module sends it to a session that asked for small ids (PROTOCOL.md section 6): `n`, the
 * id's distance from the room's epoch, in place of `id`; 917 messages since the room opened on its server process.
 */
export const CHAT_LINE_SMALL_IDS = Object.freeze({ n: 917, ts: CHAT_LINE.ts, from: CHAT_LINE.from, body: CHAT_LINE.body, mid: CHAT_LINE.mid });

/**
 * The topics of the bytes suite, the same for every contender (MQTT topics, socket.io events, Colyseus types). The
 * echo servers echo `input` and `state` to the sender and send `chat` to every client connected (a room of all).
 */
export const WIRE_TOPICS = Object.freeze({ input: 'game/input', state: 'game/state', chat: 'room/lobby/message' });

/** Every topic the echo servers answer on: the echo suite's `echo`, and the bytes suite's. */
export const ECHO_TOPICS: readonly string[] = ['echo', ...Object.values(WIRE_TOPICS)];

/** Whether an echo server sends a message on `topic` to every client instead of the sender alone. */
export const toEveryone = (topic: string): boolean => topic === WIRE_TOPICS.chat;
