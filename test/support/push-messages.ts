import { FrameCodec, type WireData } from '../../src/wire/codec';
import { type Frame, Op } from '../../src/wire/protocol';

/*
 * WebSocket messages of PUSH frames, through the real codec, for the inbox tests: what the socket hands over, and the
 * decoding the channel would apply to it.
 */

const codec = new FrameCodec();

/** One WebSocket message holding pushes on `n` with payloads `from`..`from + count - 1`. */
export const pushMessage = (from: number, count: number): ArrayBuffer =>
  codec.encode(...Array.from({ length: count }, (_, i): Frame => [Op.Push, 'n', from + i]));

/** The frames of one WebSocket message, as the channel decodes them. */
export const decodeMessage = (data: WireData): Frame[] => codec.decode(data);
