import { encode as msgpackEncode } from '@msgpack/msgpack';
import { FrameCodec, MessageBuilder } from '../../../src/wire/codec';
import { ProtocolError, UsageError } from '../../../src/errors';
import { type Frame, Op } from '../../../src/wire/protocol';
import { thrown } from '../../support/thrown';

const codec = new FrameCodec();

/** Raw msgpack bytes of arbitrary values, back to back, as an exact ArrayBuffer. */
function raw(...values: unknown[]): ArrayBuffer {
  const parts = values.map((v) => msgpackEncode(v));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out.buffer;
}

function bytes(...list: number[]): ArrayBuffer {
  return new Uint8Array(list).buffer;
}

function protocolCode(fn: () => unknown): string {
  return thrown(ProtocolError, fn).code;
}

const everyFrame: Frame[] = [
  [Op.Hello, { v: 1, channel: 'chat', token: 't', session: 's1', recv: 3 }],
  [Op.Welcome, { v: 1, session: 's1', heartbeatMs: 15000, time: 1_700_000_000_000, resumed: false, recv: 0 }],
  [Op.Ping, 1_700_000_000_123],
  [Op.Pong, 1_700_000_000_123, 1_700_000_000_456],
  [Op.Push, 'room/42/message', { text: '你好 👋', n: 1.5, ok: true, list: [1, null, 'x'] }],
  [Op.Request, 7, 'room/join', { room: 42 }],
  [Op.Reply, 7, { members: 3 }],
  [Op.Fail, 7, 'not_found', 'no such room'],
  [Op.Reliable, 1, 'room/42/message', 'hi'],
  [Op.Ack, 1],
  [Op.Bye, 4101, 'unauthorized'],
];

describe('frame round trips', () => {
  it.each(everyFrame.map((f) => [f[0], f] as const))('op %i encodes and decodes to the same frame', (_op, frame) => {
    const buffer = codec.encode(frame);
    expect(buffer).toBeInstanceOf(ArrayBuffer);
    expect(codec.decode(buffer)).toEqual([frame]);
  });

  it('several frames travel in one message, back to back, in order', () => {
    const buffer = codec.encode(...everyFrame);
    const separately = everyFrame.map((f) => codec.encode(f).byteLength).reduce((a, b) => a + b, 0);
    expect(buffer.byteLength).toBe(separately);
    expect(codec.decode(buffer)).toEqual(everyFrame);
  });

  it('returns an ArrayBuffer of exactly the encoded length, never a view onto a larger buffer', () => {
    const frame: Frame = [Op.Push, 't', 'x'];
    const buffer = codec.encode(frame);
    expect(buffer.byteLength).toBe(msgpackEncode(frame).byteLength);
    expect(Object.prototype.toString.call(buffer)).toBe('[object ArrayBuffer]');
  });

  it('accepts a Node Buffer or other view as input, reading only its own bytes', () => {
    const inner = new Uint8Array(codec.encode([Op.Ack, 9]));
    const padded = new Uint8Array(inner.byteLength + 10).fill(0xc1);
    padded.set(inner, 5);
    expect(codec.decode(padded.subarray(5, 5 + inner.byteLength))).toEqual([[Op.Ack, 9]]);
  });

  it('omits undefined optional HELLO fields rather than sending nil', () => {
    const frame: Frame = [Op.Hello, { v: 1, channel: 'game', token: undefined }];
    const [decoded] = codec.decode(codec.encode(frame));
    expect(decoded).toEqual([Op.Hello, { v: 1, channel: 'game' }]);
    expect(Object.keys((decoded as [number, object])[1])).toEqual(['v', 'channel']);
  });
});

describe('MessageBuilder', () => {
  it('refuses a frame that would exceed its budget and keeps what it has', () => {
    const builder = new MessageBuilder(10);
    expect(builder.add(new Uint8Array(6).fill(1))).toBe(true);
    expect(builder.add(new Uint8Array(6).fill(2))).toBe(false);
    expect(builder.add(new Uint8Array(4).fill(3))).toBe(true);
    expect(builder.frameCount).toBe(2);
    const out = builder.take();
    expect(Array.from(new Uint8Array(out))).toEqual([1, 1, 1, 1, 1, 1, 3, 3, 3, 3]);
    expect(builder.byteLength).toBe(0);
  });

  it('grows its scratch buffer and still returns exact-length output', () => {
    const builder = new MessageBuilder(1 << 20, 16);
    for (let i = 0; i < 100; i++) builder.add(new Uint8Array([i, i]));
    const out = builder.take();
    expect(out.byteLength).toBe(200);
    expect(new Uint8Array(out)[199]).toBe(99);
  });
});

describe('malformed input gives a ProtocolError with a stable code', () => {
  it('a text message', () => expect(protocolCode(() => codec.decode('[4,"t",1]'))).toBe('text_message'));
  it('an empty message', () => expect(protocolCode(() => codec.decode(new ArrayBuffer(0)))).toBe('malformed'));
  it('a never-used byte 0xc1', () => expect(protocolCode(() => codec.decode(bytes(0x92, 0x04, 0xc1)))).toBe('malformed'));
  it('a truncated frame', () => {
    const full = new Uint8Array(codec.encode([Op.Push, 'room/1', 'hello world']));
    expect(protocolCode(() => codec.decode(full.slice(0, full.length - 3).buffer))).toBe('malformed');
  });
  it('a top-level value that is not an array', () => expect(protocolCode(() => codec.decode(raw({ op: 4 })))).toBe('unknown_op'));
  it('an empty array', () => expect(protocolCode(() => codec.decode(raw([])))).toBe('unknown_op'));
  it('an unknown opcode', () => expect(protocolCode(() => codec.decode(raw([11, 'x'])))).toBe('unknown_op'));
  it('a negative or fractional opcode', () => {
    expect(protocolCode(() => codec.decode(raw([-1, 'x'])))).toBe('unknown_op');
    expect(protocolCode(() => codec.decode(raw([4.5, 't', 1])))).toBe('unknown_op');
  });
  it('a string opcode', () => expect(protocolCode(() => codec.decode(raw(['4', 't', 1])))).toBe('unknown_op'));
  it('the wrong number of elements', () => {
    expect(protocolCode(() => codec.decode(raw([Op.Push, 't'])))).toBe('bad_frame');
    expect(protocolCode(() => codec.decode(raw([Op.Ack, 1, 2])))).toBe('bad_frame');
  });
  it('BYE alone may carry one more element, its retry hint', () => {
    expect(codec.decode(raw([Op.Bye, 4000, 'restarting', 500]))).toEqual([[Op.Bye, 4000, 'restarting', 500]]);
    expect(protocolCode(() => codec.decode(raw([Op.Push, 't', 1, 500])))).toBe('bad_frame');
  });

  const wrongTypes: [string, unknown[]][] = [
    ['HELLO body not a map', [Op.Hello, [1]]],
    ['HELLO v a string', [Op.Hello, { v: '1', channel: 'c' }]],
    ['HELLO channel missing', [Op.Hello, { v: 1 }]],
    ['HELLO token a number', [Op.Hello, { v: 1, channel: 'c', token: 5 }]],
    ['HELLO session a number', [Op.Hello, { v: 1, channel: 'c', session: 5 }]],
    ['HELLO recv negative', [Op.Hello, { v: 1, channel: 'c', recv: -1 }]],
    ['WELCOME resumed not boolean', [Op.Welcome, { v: 1, session: 's', heartbeatMs: 1, time: 1, resumed: 1, recv: 0 }]],
    ['WELCOME heartbeatMs missing', [Op.Welcome, { v: 1, session: 's', time: 1, resumed: false, recv: 0 }]],
    ['PING time a string', [Op.Ping, 'now']],
    ['PING time fractional', [Op.Ping, 1.5]],
    ['PONG server time nil', [Op.Pong, 1, null]],
    ['PUSH topic a number', [Op.Push, 42, 'x']],
    ['REQUEST id a string', [Op.Request, '1', 't', null]],
    ['REQUEST topic nil', [Op.Request, 1, null, null]],
    ['REPLY id negative', [Op.Reply, -1, null]],
    ['FAIL code a number', [Op.Fail, 1, 404, 'x']],
    ['FAIL message nil', [Op.Fail, 1, 'x', null]],
    ['RELIABLE seq a float', [Op.Reliable, 0.5, 't', 1]],
    ['ACK seq a map', [Op.Ack, {}]],
    ['BYE reason a number', [Op.Bye, 4000, 1]],
    ['BYE code a string', [Op.Bye, '4000', 'x']],
    ['BYE retryMs negative', [Op.Bye, 4000, 'x', -1]],
    ['BYE retryMs a string', [Op.Bye, 4000, 'x', '500']],
    ['BYE with five elements', [Op.Bye, 4000, 'x', 500, 1]],
  ];
  it.each(wrongTypes)('%s', (_name, frame) => {
    expect(protocolCode(() => codec.decode(raw(frame)))).toBe('bad_frame');
  });

  it('a bad frame after good ones rejects the whole message, delivering nothing', () => {
    expect(protocolCode(() => codec.decode(raw([Op.Push, 'a', 1], [Op.Push, 'b', 2], [Op.Push, 3, 3])))).toBe('bad_frame');
  });

  it('a __proto__ key is refused and pollutes no prototype', () => {
    // fixmap(1) { "__proto__": { "polluted": true } } inside a PUSH
    const proto = new Uint8Array([0x81, 0xa9, ...Buffer.from('__proto__'), 0x81, 0xa8, ...Buffer.from('polluted'), 0xc3]);
    const message = new Uint8Array([0x93, 0x04, 0xa1, 0x74, ...proto]);
    expect(protocolCode(() => codec.decode(message.buffer))).toBe('malformed');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a constructor key stays an own property', () => {
    const [frame] = codec.decode(raw([Op.Push, 't', { constructor: 'x' }]));
    const payload = (frame as unknown as unknown[])[2] as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(payload, 'constructor')).toBe(true);
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
  });

  it('uint64 beyond 2^53 is refused as a seq', () => {
    // [9, uint64 2^60]
    const message = bytes(0x92, 0x09, 0xcf, 0x10, 0, 0, 0, 0, 0, 0, 0);
    expect(protocolCode(() => codec.decode(message))).toBe('bad_frame');
  });
});

describe('decode limits', () => {
  it('a message over maxFrameBytes is refused before it is read', () => {
    const small = new FrameCodec({ maxFrameBytes: 64 });
    expect(protocolCode(() => small.decode(raw([Op.Push, 't', 'x'.repeat(100)])))).toBe('frame_too_large');
  });

  it('an allocation bomb (5 bytes declaring a 16-million-element array) is refused before allocating', () => {
    const bomb = bytes(0xdd, 0x01, 0x00, 0x00, 0x00);
    expect(protocolCode(() => codec.decode(bomb))).toBe('limit_exceeded');
    const lenient = new FrameCodec({ maxArrayLength: 1 << 30 });
    expect(protocolCode(() => lenient.decode(bomb))).toBe('malformed');
  });

  it('a map declaring more entries than bytes remain is refused', () => {
    const lenient = new FrameCodec({ maxMapLength: 1 << 30 });
    expect(protocolCode(() => lenient.decode(bytes(0x93, 0x04, 0xa1, 0x74, 0xdf, 0x00, 0xff, 0xff, 0xff)))).toBe('malformed');
  });

  it('a string declaring 4 GiB in a few bytes is refused', () => {
    expect(protocolCode(() => codec.decode(bytes(0x93, 0x04, 0xa1, 0x74, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x41)))).toBe('limit_exceeded');
    const lenient = new FrameCodec({ maxStringBytes: 0x7fffffff });
    expect(protocolCode(() => lenient.decode(bytes(0x93, 0x04, 0xa1, 0x74, 0xda, 0x10, 0x00, 0x41)))).toBe('malformed');
  });

  const cases: [string, Partial<ConstructorParameters<typeof FrameCodec>[0]>, unknown][] = [
    ['maxStringBytes', { maxStringBytes: 8 }, 'x'.repeat(9)],
    ['maxBinaryBytes', { maxBinaryBytes: 8 }, new Uint8Array(9)],
    ['maxArrayLength', { maxArrayLength: 8 }, new Array(9).fill(0)],
    ['maxMapLength', { maxMapLength: 8 }, Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, i]))],
    ['maxExtBytes', { maxExtBytes: 8 }, new Date(Date.UTC(3000, 0, 1)) /* timestamp 96: a 12-byte ext */],
  ];
  it.each(cases)('%s is enforced', (_name, limits, payload) => {
    const strict = new FrameCodec(limits);
    expect(protocolCode(() => strict.decode(raw([Op.Push, 't', payload])))).toBe('limit_exceeded');
  });

  it('values at the limit pass', () => {
    const strict = new FrameCodec({ maxStringBytes: 8, maxArrayLength: 8, maxMapLength: 8, maxBinaryBytes: 8 });
    const payload = { s: 'x'.repeat(8), a: new Array(8).fill(1), b: new Uint8Array(8) };
    expect(strict.decode(raw([Op.Push, 't', payload]))).toEqual([[Op.Push, 't', payload]]);
  });

  it('nesting deeper than maxDepth is refused; exactly maxDepth passes', () => {
    const strict = new FrameCodec({ maxDepth: 4 });
    // The frame array is level 1, so a payload may nest 3 more levels.
    expect(strict.decode(raw([Op.Push, 't', [[[1]]]]))).toEqual([[Op.Push, 't', [[[1]]]]]);
    expect(protocolCode(() => strict.decode(raw([Op.Push, 't', [[[[1]]]]])))).toBe('limit_exceeded');
  });

  it('a deep-nesting bomb (100,000 nested arrays) is refused without a stack overflow', () => {
    const deep = new Uint8Array(100_003);
    deep.set([0x93, 0x04, 0xa1, 0x74]);
    deep.fill(0x91, 4);
    expect(protocolCode(() => codec.decode(deep.buffer))).toBe('limit_exceeded');
  });

  it('invalid limits are refused, naming the limit', () => {
    expect(() => new FrameCodec({ maxDepth: 0 })).toThrow(/maxDepth/);
    expect(() => new FrameCodec({ maxFrameBytes: Number.NaN })).toThrow(/maxFrameBytes/);
  });
});

describe('encoding refuses what cannot be sent', () => {
  it('a frame over maxFrameBytes is a UsageError payload_too_large', () => {
    const small = new FrameCodec({ maxFrameBytes: 32 });
    expect(() => small.encode([Op.Push, 't', 'x'.repeat(64)])).toThrow(UsageError);
    try {
      small.encode([Op.Push, 't', 'x'.repeat(64)]);
    } catch (err) {
      expect((err as UsageError).code).toBe('payload_too_large');
    }
  });

  it('frames that fit one by one but not together are refused as one message', () => {
    const small = new FrameCodec({ maxFrameBytes: 32 });
    expect(() => small.encode([Op.Push, 't', 'x'.repeat(20)], [Op.Push, 't', 'y'.repeat(20)])).toThrow(/maxFrameBytes/);
  });

  it('a payload msgpack cannot carry is a UsageError unencodable, and the codec keeps working', () => {
    expect(() => codec.encode([Op.Push, 't', { f: () => 1 }])).toThrow(expect.objectContaining({ code: 'unencodable' }));
    expect(codec.decode(codec.encode([Op.Ack, 2]))).toEqual([[Op.Ack, 2]]);
  });

  it('a payload nested deeper than the peer accepts is refused when sent', () => {
    const strict = new FrameCodec({ maxDepth: 3 });
    expect(() => strict.encode([Op.Push, 't', [[[[1]]]]])).toThrow(expect.objectContaining({ code: 'unencodable' }));
  });
});
