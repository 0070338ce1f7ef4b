import { FanOutFrame } from '../../server/sessions/fan-out-frame';
import { FrameCodec } from '../../src/wire/codec';
import { Op } from '../../src/wire/protocol';

const codec = new FrameCodec();

test.each([0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER])(
  'a RELIABLE numbered %d is byte for byte what the codec encodes for the whole frame',
  (seq) => {
    const payload = { text: '你好 👋', n: [1, -2, 0.5], bin: new Uint8Array([1, 2, 3]) };
    const frame = new FanOutFrame(codec, 'room/42/message', payload, Infinity);

    const expected = new Uint8Array(codec.encode([Op.Reliable, seq, 'room/42/message', payload]));
    const bytes = frame.numbered(seq);
    expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    expect(frame.sizeFor(seq)).toBe(bytes.byteLength);
    expect(codec.decode(bytes)).toEqual([[Op.Reliable, seq, 'room/42/message', payload]]);
  },
);

test('each numbered frame is a buffer of its own', () => {
  const frame = new FanOutFrame(codec, 't', 'p', Infinity);
  const one = frame.numbered(1);
  const two = frame.numbered(2);
  expect(one.buffer).not.toBe(two.buffer);
  expect([one.byteOffset, one.byteLength, one.buffer.byteLength]).toEqual([0, one.byteLength, one.byteLength]);
  expect(codec.decode(one)).toEqual([[Op.Reliable, 1, 't', 'p']]);
});

test('a frame that would not fit maxFrameBytes or the buffer with its widest seq is refused up front', () => {
  const small = new FrameCodec({ maxFrameBytes: 64 });
  // 2 head bytes + 9 for the widest seq + the tail (topic 2, payload) must fit.
  const fits = 'x'.repeat(64 - 2 - 9 - 2 - 2);
  expect(() => new FanOutFrame(small, 't', fits, Infinity)).not.toThrow();
  expect(() => new FanOutFrame(small, 't', `${fits}x`, Infinity)).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
  expect(() => new FanOutFrame(codec, 't', fits, 63)).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
  expect(() => new FanOutFrame(codec, 't', fits, 64)).not.toThrow();
});
