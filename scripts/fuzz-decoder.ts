import { FrameCodec, type WireData } from '../src/wire/codec';
import { ProtocolError } from '../src/errors';
import type { CodecLimits } from '../src/wire/limits';
import { type Frame, Op } from '../src/wire/protocol';
import { FUZZ_LIMITS, type FuzzInput, type FuzzSource } from './fuzz-inputs';
import { type FuzzReport, Tally } from './fuzz-tally';

/** Longest error message a hostile input may produce: messages never quote what they refuse (it may hold a secret). */
const MAX_ERROR_MESSAGE = 200;

/** How one codec judges an input: `accepted`, or the `ProtocolError` code. Anything else thrown is returned as is. */
export function judge(codec: FrameCodec, data: WireData): { outcome: string; thrown?: unknown } {
  try {
    codec.decode(data);
    return { outcome: 'accepted' };
  } catch (err) {
    return err instanceof ProtocolError ? { outcome: err.code, thrown: err } : { outcome: 'crash', thrown: err };
  }
}

/**
 * The frames of a message that the side under fuzz (`sender`) sent back: whatever it was fed, they must be valid.
 * When they are not, `invalid` is told why and the answer is undefined.
 */
export function sentFrames(sender: string, codec: FrameCodec, data: Buffer, isBinary: boolean, invalid: (what: string) => void): Frame[] | undefined {
  try {
    return codec.decode(isBinary ? data : data.toString());
  } catch (err) {
    invalid(`the ${sender} sent an invalid message: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** Checks a judgement against the input's promise; returns what broke, or undefined. */
function brokenPromise(input: FuzzInput, judged: { outcome: string; thrown?: unknown }): string | undefined {
  const { outcome, thrown } = judged;
  if (outcome === 'crash') {
    const err = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    return `threw something other than a ProtocolError: ${err}`;
  }
  if (thrown instanceof ProtocolError && thrown.message.length > MAX_ERROR_MESSAGE) {
    return `error message of ${thrown.message.length} characters`;
  }
  if (input.expect && !input.expect.includes(outcome as never)) return `${outcome}; expected ${input.expect.join(' or ')}`;
  if (input.at !== undefined && thrown instanceof ProtocolError && !thrown.message.includes(` at byte ${input.at}`)) {
    return `refused with "${thrown.message}"; expected at byte ${input.at}`;
  }
  return undefined;
}

/**
 * Feeds inputs `from` to `from + count - 1` straight into one client FrameCodec. Every input must be accepted or refused
 * with a ProtocolError (of the expected code, for inputs that promise one); after each, the same codec must still
 * decode a valid frame, and no decoded map may have touched `Object.prototype`.
 */
export function fuzzDecoder(source: FuzzSource, from: number, count: number, limits: Readonly<Partial<CodecLimits>> = FUZZ_LIMITS): FuzzReport {
  const tally = new Tally('client decoder');
  const codec = new FrameCodec(limits);
  const probe = codec.encode([Op.Ack, 7]);
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).join();
  for (let index = from; index < from + count; index++) {
    const input = source(index);
    const started = performance.now();
    const judged = judge(codec, input.data);
    tally.record(input, judged.outcome, performance.now() - started);
    const broken = brokenPromise(input, judged);
    if (broken) tally.violation(input, broken);
    const after = judge(codec, probe);
    if (after.outcome !== 'accepted') tally.violation(input, `the codec no longer decodes a valid frame: ${after.outcome}`);
    if ((Object.prototype as Record<string, unknown>).polluted !== undefined || Object.getOwnPropertyNames(Object.prototype).join() !== prototypeKeys) {
      tally.violation(input, 'Object.prototype was modified');
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  }
  return tally.report();
}
