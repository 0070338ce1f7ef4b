import { Decoder, encode as msgpackEncode, ExtData } from '@msgpack/msgpack';
import { ProtocolError } from '../../../src/errors';
import { type CodecLimits, resolveLimits } from '../../../src/wire/limits';
import { MsgpackDecoder } from '../../../src/wire/msgpack/decoder';
import { thrown } from '../../support/thrown';
import { MsgpackEncoder } from '../../../src/wire/msgpack/encoder';
import { MsgpackExt } from '../../../src/wire/msgpack/ext';
import { seededRandom } from '../../support/random';

// The in-house one-pass decoder: every type, every limit (refused before allocating), truncation at every byte, depth,
// map keys, and PROTOCOL.md's vectors with the codes a receiver reports today.

const decoder = new MsgpackDecoder(resolveLimits());
const reference = new Decoder();

function bytes(...list: number[]): Uint8Array {
  return new Uint8Array(list);
}

function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

/** Raw msgpack of values back to back. */
function raw(...values: unknown[]): Uint8Array {
  return new Uint8Array(Buffer.concat(values.map((v) => msgpackEncode(v))));
}

/** The one value inside a one-element frame: `[value]`. */
function single(value: Uint8Array, dec: MsgpackDecoder = decoder): unknown {
  const [frame] = dec.decodeAll(new Uint8Array([0x91, ...value]));
  return (frame as unknown[])[0];
}

function refused(fn: () => unknown): ProtocolError {
  return thrown(ProtocolError, fn);
}

function limited(partial: Partial<CodecLimits>): MsgpackDecoder {
  return new MsgpackDecoder(resolveLimits(partial));
}

/** The most lenient limits: only the bytes that remain can stop a bomb. */
const lenient = limited({ maxArrayLength: 2 ** 32, maxMapLength: 2 ** 32, maxStringBytes: 2 ** 32, maxBinaryBytes: 2 ** 32, maxExtBytes: 2 ** 32 });

describe('integers and floats, every width', () => {
  const cases: [string, string, number][] = [
    ['positive fixint', '7f', 127],
    ['negative fixint', 'e0', -32],
    ['uint 8', 'ccff', 255],
    ['uint 16', 'cdffff', 65535],
    ['uint 32', 'ceffffffff', 2 ** 32 - 1],
    ['uint 64', 'cf001fffffffffffff', 2 ** 53 - 1],
    ['int 8', 'd080', -128],
    ['int 16', 'd18000', -32768],
    ['int 32', 'd280000000', -(2 ** 31)],
    ['int 64', 'd3ffe0000000000001', -(2 ** 53 - 1)],
    ['int 64, small', 'd3ffffffffffffffff', -1],
    ['a wider width than needed', 'cd0001', 1],
    ['a positive int 8', 'd07f', 127],
    ['float 32', 'ca3fc00000', 1.5],
    ['float 64', 'cb400921fb54442d18', Math.PI],
  ];
  it.each(cases)('%s', (_name, hex, value) => {
    expect(single(fromHex(hex))).toBe(value);
    expect(single(fromHex(hex))).toBe(reference.decode(fromHex(hex)));
  });

  it('an integer beyond 2^53 is a number, possibly rounded, exactly as @msgpack/msgpack returns it', () => {
    for (const hex of ['cf0020000000000001', 'cfffffffffffffffff', 'd38000000000000000', 'd3ffdfffffffffffff']) {
      const value = single(fromHex(hex));
      expect(value).toBe(reference.decode(fromHex(hex)));
      expect(Number.isSafeInteger(value)).toBe(false);
    }
  });

  it('float 32 special values', () => {
    expect(single(fromHex('ca7fc00000'))).toBeNaN();
    expect(single(fromHex('caff800000'))).toBe(-Infinity);
  });
});

describe('strings', () => {
  it.each([0, 31, 32, 255, 256, 65535, 65536])('%d bytes, each header form', (length) => {
    const text = 'x'.repeat(length);
    expect(single(raw(text))).toBe(text);
  });

  it.each(['你好，世界', '聊天'.repeat(200), 'emoji 👋🏽 𝄞', 'mixed ascii then 中文 then ascii again, long enough to leave the short path'])(
    'UTF-8 %#',
    (text) => {
      expect(single(raw(text))).toBe(text);
    },
  );

  const invalid: [string, number[]][] = [
    ['overlong', [0xc0, 0xaf, 0x41]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['over U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['cut at the end', [0x41, 0xe4, 0xbd]],
    ['stray continuation bytes', [0x80, 0xbf, 0x41]],
    ['0xff', [0xff, 0x41]],
    ['a lead byte then ASCII', [0xe4, 0x41, 0xbd, 0xa0]],
    ['a 4-byte lead past 0xf4', [0xf8, 0x90, 0x80, 0x80]],
    ['long, with one bad byte in the middle', [...Buffer.from('长'.repeat(20)), 0xff, ...Buffer.from('长'.repeat(20))]],
  ];
  const host = new TextDecoder('utf-8', { ignoreBOM: true });
  it.each(invalid)('ill-formed UTF-8 decodes as TextDecoder does: %s', (_name, utf8) => {
    const str = bytes(0xd9, utf8.length, ...utf8);
    expect(single(str)).toBe(host.decode(new Uint8Array(utf8)));
  });

  it('2,000 random byte strings decode as TextDecoder does', () => {
    const rand = seededRandom(11);
    for (let i = 0; i < 2000; i++) {
      const utf8 = Array.from({ length: Math.floor(rand() * 60) }, () => (rand() < 0.5 ? 0x80 + Math.floor(rand() * 0x80) : Math.floor(rand() * 256)));
      // Sometimes a BOM first, sometimes only well-formed text (the quick path).
      const lead = rand() < 0.2 ? [0xef, 0xbb, 0xbf] : [];
      const bytesOf = rand() < 0.3 ? [...lead, ...Buffer.from(host.decode(new Uint8Array(utf8)))] : [...lead, ...utf8];
      expect(single(bytes(0xd9, bytesOf.length, ...bytesOf))).toBe(host.decode(new Uint8Array(bytesOf)));
    }
  });

  it('a long text decodes in chunks, a surrogate pair never split between them', () => {
    for (const text of ['a' + '😀'.repeat(5000), '长'.repeat(50_000) + '😀'.repeat(3000), 'x'.repeat(4095) + '😀']) {
      expect(single(raw(text))).toBe(text);
    }
  });

  it('a U+FEFF is content, kept at the start of short and long strings alike', () => {
    for (const text of ['\ufeffhi', '\ufeff' + '长'.repeat(100), '\ufeff\ufeff' + 'x'.repeat(300), '\ufeff' + 'x'.repeat(300) + '\udc00']) {
      const expected = text.replace(/\udc00/g, '\ufffd');
      expect(single(new Uint8Array(new MsgpackEncoder({ maxDepth: 2 }).encodeSharedRef(text)))).toBe(expected);
    }
    // @msgpack/msgpack drops it from strings over 200 bytes (its TextDecoder strips a BOM) and keeps it below.
    expect(reference.decode(raw('\ufeff' + 'x'.repeat(300)))).toBe('x'.repeat(300));
  });

  it('short keys come from a cache that never confuses two keys', () => {
    // Many distinct keys, several sharing a cache slot, decoded twice: every value under its own key.
    const map: Record<string, number> = {};
    for (let i = 0; i < 500; i++) map[`k${i.toString(36)}`] = i;
    map['é'] = -1;
    map[''] = -2;
    const message = raw([map]);
    expect(decoder.decodeAll(message)).toEqual([[map]]);
    expect(decoder.decodeAll(message)).toEqual([[map]]);
    // An ill-formed key decodes to U+FFFD and is never mistaken for a cached key of the same length.
    expect(single(bytes(0x82, 0xa1, 0x80, 0x01, 0xa1, 0x41, 0x02))).toEqual({ '\ufffd': 1, A: 2 });
    expect(single(bytes(0x82, 0xa1, 0x41, 0x01, 0xa1, 0x80, 0x02))).toEqual({ A: 1, '\ufffd': 2 });
  });
});

describe('other types', () => {
  it('nil and booleans', () => {
    expect(decoder.decodeAll(bytes(0x93, 0xc0, 0xc2, 0xc3))).toEqual([[null, false, true]]);
  });

  it.each([0, 255, 256, 65535, 65536])('bin of %d bytes', (length) => {
    const data = new Uint8Array(length).map((_, i) => i * 3);
    expect(single(raw(data))).toEqual(data);
  });

  it('bin is a copy: the message buffer can be reused, and .buffer holds only its bytes', () => {
    const message = raw([new Uint8Array([1, 2, 3])]);
    const value = single(message.subarray(1)) as Uint8Array;
    message.fill(0);
    expect(Array.from(value)).toEqual([1, 2, 3]);
    expect(value.buffer.byteLength).toBe(3);
  });

  it('bin decoded from a Node Buffer is a plain copy too', () => {
    const message = Buffer.from(raw([new Uint8Array([4, 5])]));
    const [[value]] = decoder.decodeAll(message) as [[Uint8Array]];
    message.fill(0);
    expect(Buffer.isBuffer(value)).toBe(false);
    expect(Array.from(value)).toEqual([4, 5]);
  });

  it('timestamps 32, 64 and 96 are Dates', () => {
    for (const ms of [0, 1_700_000_000_000, 1_700_000_000_123, 2 ** 34 * 1000 + 5, -1, -62_135_596_800_000]) {
      const value = single(raw(new Date(ms)));
      expect(value).toBeInstanceOf(Date);
      expect((value as Date).getTime()).toBe(ms);
    }
  });

  it('a timestamp of a size other than 4, 8 or 12 is malformed', () => {
    expect(refused(() => single(bytes(0xd4, 0xff, 0x00))).code).toBe('malformed');
    expect(refused(() => single(bytes(0xc7, 0x05, 0xff, 1, 2, 3, 4, 5))).code).toBe('malformed');
    expect(() => reference.decode(bytes(0xd4, 0xff, 0x00))).toThrow();
  });

  it('another ext type is a MsgpackExt with a copy of its data, as @msgpack/msgpack returns ExtData', () => {
    for (const length of [1, 2, 4, 8, 16, 0, 3, 300]) {
      const data = new Uint8Array(length).map((_, i) => i);
      const message = raw(new ExtData(9, data));
      const value = single(message);
      expect(value).toBeInstanceOf(MsgpackExt);
      expect(value).toEqual(new MsgpackExt(9, data));
      expect(value).toEqual(reference.decode(message));
    }
    const message = raw([new ExtData(-128, bytes(7))]);
    const [[ext]] = decoder.decodeAll(message) as [[MsgpackExt]];
    message.fill(0);
    expect(ext.type).toBe(-128);
    expect(Array.from(ext.data)).toEqual([7]);
  });

  it('byte 0xc1 is malformed', () => {
    expect(refused(() => single(bytes(0xc1))).message).toMatch(/0xc1/);
  });
});

describe('map keys', () => {
  it('a string or a number, as @msgpack/msgpack accepts; a number key becomes its string', () => {
    const message = bytes(0x91, 0x84, 0x01, 0xa1, 0x61, 0xff, 0xa1, 0x62, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0, 0xd9, 0x01, 0x6b, 0xc3);
    const [[map]] = decoder.decodeAll(message) as [[Record<string, unknown>]];
    expect(map).toEqual({ 1: 'a', '-1': 'b', '1.5': null, k: true });
    expect(map).toEqual((reference.decode(message) as unknown[])[0]);
  });

  it.each([
    ['nil', [0xc0]],
    ['a boolean', [0xc3]],
    ['an array', [0x90]],
    ['a map', [0x80]],
    ['a bin', [0xc4, 0x00]],
    ['a timestamp', [0xd6, 0xff, 0, 0, 0, 0]],
  ])('%s as a key is malformed, as @msgpack/msgpack refuses it', (_name, key) => {
    const map = bytes(0x81, ...key, 0x01);
    expect(refused(() => single(map)).code).toBe('malformed');
    expect(() => reference.decode(map)).toThrow();
  });

  it('__proto__ is refused and pollutes nothing', () => {
    const proto = bytes(0x81, 0xa9, ...Buffer.from('__proto__'), 0x81, 0xa8, ...Buffer.from('polluted'), 0xc3);
    expect(refused(() => single(proto)).code).toBe('malformed');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A long-form header does not get around it.
    expect(refused(() => single(bytes(0x81, 0xd9, 0x09, ...Buffer.from('__proto__'), 0xc0))).code).toBe('malformed');
  });

  it('constructor and prototype keys are plain own properties of a plain object', () => {
    const map = single(raw({ constructor: 'x', prototype: 1, toString: 2 })) as Record<string, unknown>;
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(Object.keys(map)).toEqual(['constructor', 'prototype', 'toString']);
    expect(map.constructor).toBe('x');
  });

  it('a repeated key keeps the last value, as @msgpack/msgpack does', () => {
    const map = bytes(0x82, 0xa1, 0x61, 0x01, 0xa1, 0x61, 0x02);
    expect(single(map)).toEqual({ a: 2 });
    expect(reference.decode(map)).toEqual({ a: 2 });
  });
});

describe('a message: frames back to back, each an array, all or nothing', () => {
  it('decodes every frame', () => {
    expect(decoder.decodeAll(raw([4, 'a', 1], [2, 5], [9, 3]))).toEqual([[4, 'a', 1], [2, 5], [9, 3]]);
  });

  it.each([
    ['a map', [0x81, 0xa1, 0x61, 0x01]],
    ['a fixint', [0x04]],
    ['a string', [0xa1, 0x61]],
    ['nil', [0xc0]],
    ['0xc1', [0xc1]],
  ])('a top-level %s is unknown_op, as the scanner reports it', (_name, value) => {
    expect(refused(() => decoder.decodeAll(new Uint8Array(value))).code).toBe('unknown_op');
    // After a good frame too.
    expect(refused(() => decoder.decodeAll(new Uint8Array([0x91, 0x01, ...value]))).code).toBe('unknown_op');
  });

  it('an empty message is malformed', () => {
    expect(refused(() => decoder.decodeAll(new Uint8Array(0))).code).toBe('malformed');
  });

  it('a bad frame after good ones fails the whole message, and the decoder goes on', () => {
    expect(refused(() => decoder.decodeAll(bytes(0x91, 0x01, 0x91, 0x02, 0x92, 0x03))).code).toBe('malformed');
    expect(decoder.decodeAll(bytes(0x91, 0x01))).toEqual([[1]]);
  });

  it('reads only the view it is given', () => {
    const padded = new Uint8Array([0xc1, 0xc1, 0x92, 0x09, 0x01, 0xc1]);
    expect(decoder.decodeAll(padded.subarray(2, 5))).toEqual([[9, 1]]);
  });
});

describe('truncation at every byte', () => {
  const everything = [
    4,
    'room/42/message',
    {
      text: '你好 👋',
      n: 1.5,
      f: -0.25,
      big: 2 ** 40,
      neg: -(2 ** 40),
      ints: [0, 200, 70000, 2 ** 32, -5, -200, -70000],
      ok: true,
      no: false,
      nil: null,
      bin: new Uint8Array([1, 2, 3]),
      when: new Date(1_700_000_000_123),
      ext: new ExtData(3, bytes(1, 2)),
      long: 'x'.repeat(300),
      nested: [[[{ a: [] }]], {}],
    },
  ];
  const messages: [string, Uint8Array, unknown[]][] = [
    ['one frame with every type', raw(everything), [everything]],
    ['three frames', raw([4, 'a', 'é'], [2, 1_700_000_000_123], [6, 1, { k: [1, 2] }]), [[4, 'a', 'é'], [2, 1_700_000_000_123], [6, 1, { k: [1, 2] }]]],
  ];
  it.each(messages)('%s: each cut is malformed, or at a frame boundary the frames before it', (_name, message, frames) => {
    const boundaries = new Map<number, unknown[]>();
    let at = 0;
    frames.forEach((frame, i) => {
      at += msgpackEncode(frame).byteLength;
      boundaries.set(at, frames.slice(0, i + 1));
    });
    for (let cut = 1; cut < message.length; cut++) {
      const prefix = message.subarray(0, cut);
      const whole = boundaries.get(cut);
      if (whole) expect(decoder.decodeAll(prefix)).toEqual(whole.map((f) => reference.decode(msgpackEncode(f))));
      else expect(refused(() => decoder.decodeAll(prefix)).code).toBe('malformed');
    }
    expect(decoder.decodeAll(message)).toEqual([...reference.decodeMulti(message)]);
  });
});

describe('limits: each length is checked against its limit, then against the bytes left, before allocating', () => {
  const cases: [keyof CodecLimits, (n: number) => unknown][] = [
    ['maxStringBytes', (n) => 'x'.repeat(n)],
    ['maxBinaryBytes', (n) => new Uint8Array(n)],
    ['maxArrayLength', (n) => new Array(n).fill(0)],
    ['maxMapLength', (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))],
    ['maxExtBytes', (n) => new ExtData(1, new Uint8Array(n))],
  ];
  // 4: a fixext 4; 20: fixstr and fixarray; 300: the 16-bit forms.
  describe.each(cases)('%s', (name, make) => {
    it.each([4, 20, 300])('at %i passes, one more is limit_exceeded', (limit) => {
      const dec = limited({ [name]: limit });
      expect(single(raw(make(limit)), dec)).toEqual(reference.decode(raw(make(limit))));
      const err = refused(() => single(raw(make(limit + 1)), dec));
      expect(err.code).toBe('limit_exceeded');
      expect(err.message).toContain(String(limit));
    });
  });

  it('a key is a string under maxStringBytes too', () => {
    expect(refused(() => single(raw({ ['k'.repeat(9)]: 1 }), limited({ maxStringBytes: 8 }))).code).toBe('limit_exceeded');
  });

  const bombs: [string, number[], number][] = [
    ['array32 of 16,777,216 elements, 5 bytes', [0xdd, 0x01, 0x00, 0x00, 0x00], 5],
    ['array32 of 1,048,576 elements with two present', [0xdd, 0x00, 0x10, 0x00, 0x00, 0x01, 0x02], 5],
    ['map32 of 4,294,967,295 entries, 6 bytes', [0x91, 0xdf, 0xff, 0xff, 0xff, 0xff], 6],
    ['map16 of 65,535 entries with one present', [0x91, 0xde, 0xff, 0xff, 0xa1, 0x61, 0x01], 4],
    ['array16 of 65,535 elements in a PUSH', [0x93, 0x04, 0xa1, 0x74, 0xdc, 0xff, 0xff, 0x01], 7],
    ['str32 of 4 GiB', [0x93, 0x04, 0xa1, 0x74, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x41], 10],
    ['bin32 of 4 GiB', [0x93, 0x06, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xff], 8],
    ['ext32 of 4 GiB', [0x93, 0x06, 0x01, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x05], 9],
    ['str16 longer than the message', [0x93, 0x04, 0xa1, 0x74, 0xda, 0x10, 0x00, 0x41], 8],
  ];
  it.each(bombs)('%s: limit_exceeded by default, and malformed at its header under lenient limits', (_name, bomb, at) => {
    const strict = refused(() => decoder.decodeAll(new Uint8Array(bomb))).code;
    expect(['limit_exceeded', 'malformed']).toContain(strict);
    const err = refused(() => lenient.decodeAll(new Uint8Array(bomb)));
    expect(err.code).toBe('malformed');
    // Refused at the header, before a single element was read: nothing of the declared size was made.
    expect(err.message).toBe(`message truncated or malformed at byte ${at}`);
  });

  it('the default limits refuse the 16-million-element array as limit_exceeded, as PROTOCOL.md says', () => {
    expect(refused(() => decoder.decodeAll(bytes(0xdd, 0x01, 0x00, 0x00, 0x00))).code).toBe('limit_exceeded');
  });
});

describe('maxDepth: containers count, the frame array is 1, as the scanner counts', () => {
  const strict = limited({ maxDepth: 4 });
  const nest = (levels: number, leaf: number[]): Uint8Array => new Uint8Array([...new Array<number>(levels).fill(0x91), ...leaf]);

  it('exactly maxDepth passes; one more is limit_exceeded, an empty container too', () => {
    expect(strict.decodeAll(nest(4, [0x01]))).toEqual([[[[[1]]]]]);
    expect(refused(() => strict.decodeAll(nest(5, [0x01]))).code).toBe('limit_exceeded');
    expect(refused(() => strict.decodeAll(nest(4, [0x90]))).code).toBe('limit_exceeded');
    expect(refused(() => strict.decodeAll(nest(4, [0x80]))).code).toBe('limit_exceeded');
  });

  it('maps count as arrays do', () => {
    // [ {a: [ {b: 1} ]} ] nests 4 deep.
    const four = bytes(0x91, 0x81, 0xa1, 0x61, 0x91, 0x81, 0xa1, 0x62, 0x01);
    expect(strict.decodeAll(four)).toEqual([[{ a: [{ b: 1 }] }]]);
    expect(refused(() => limited({ maxDepth: 3 }).decodeAll(four)).code).toBe('limit_exceeded');
  });

  it('a 100,000-deep bomb is refused without a stack overflow', () => {
    const bomb = new Uint8Array(100_001).fill(0x91);
    bomb[100_000] = 0xc0;
    expect(refused(() => decoder.decodeAll(bomb)).code).toBe('limit_exceeded');
  });

  it('under a maxDepth beyond what the stack holds, a deep message is still a ProtocolError', () => {
    const bomb = new Uint8Array(1_000_001).fill(0x91);
    bomb[1_000_000] = 0xc0;
    expect(['malformed', 'limit_exceeded']).toContain(refused(() => limited({ maxDepth: 10_000_000 }).decodeAll(bomb)).code);
    expect(decoder.decodeAll(bytes(0x91, 0x01))).toEqual([[1]]);
  });
});
