/*
 * The round trip the codec goals compare, built the same way for each codec: a PUSH frame in, an ArrayBuffer of exactly
 * the encoded length out (what a device's socket takes), then the frame decoded back from that ArrayBuffer. Shared by
 * the codec suite (this process) and codec-engine.ts (a child `node --jitless`, or a host without TextEncoder).
 */
import { Packr } from 'msgpackr/index-no-eval';
import { FrameCodec } from '../src/wire/codec';
import { Op } from '../src/wire/protocol';
import { CHAT_TEXT, GAME_STATE, utf8Length } from './payloads';

/** One payload of the codec suite. */
export interface Workload {
  readonly key: 'Game' | 'Chat';
  readonly name: string;
  readonly topic: string;
  readonly payload: unknown;
}

export const WORKLOADS: readonly Workload[] = [
  { key: 'Game', name: 'game state (PUSH, ~100 B object)', topic: 'game/state', payload: GAME_STATE },
  { key: 'Chat', name: `chat text (PUSH, ${utf8Length(CHAT_TEXT)} B of Chinese)`, topic: 'room/42/message', payload: CHAT_TEXT },
];

/** Keeps results alive so the optimizer cannot drop the work. */
export const sink = { value: 0 };

/** The runtime's FrameCodec: `encode` returns the exact-length ArrayBuffer, `decode` validates the frame too. */
export function frameCodecOp({ topic, payload }: Workload): () => void {
  const codec = new FrameCodec();
  return () => {
    sink.value += codec.decode(codec.encode([Op.Push, topic, payload])).length;
  };
}

/**
 * msgpackr, the fastest msgpack in JavaScript, as a device could run it: its no-eval build (no `new Function`, no
 * native string extractor), records off. Its output is a view of its own buffer, so it is copied into an ArrayBuffer.
 */
export function msgpackrOp({ topic, payload }: Workload): () => void {
  const packr = new Packr({ useRecords: false });
  return () => {
    const packed = packr.pack([Op.Push, topic, payload]);
    const message = new ArrayBuffer(packed.length);
    new Uint8Array(message).set(packed);
    sink.value += (packr.unpack(new Uint8Array(message)) as unknown[]).length;
  };
}
