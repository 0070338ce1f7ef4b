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
