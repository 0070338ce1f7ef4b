import { Encoder, ExtData } from '@msgpack/msgpack';
import { UsageError } from '../../../src/errors';
import { resolveLimits } from '../../../src/wire/limits';
import { MsgpackDecoder } from '../../../src/wire/msgpack/decoder';
import { MsgpackEncoder } from '../../../src/wire/msgpack/encoder';
import { MsgpackExt } from '../../../src/wire/msgpack/ext';
import { thrown } from '../../support/thrown';

// The in-house encoder, byte for byte against @msgpack/msgpack (what the runtime sent until now) and the msgpack spec.

const encoder = new MsgpackEncoder({ maxDepth: 32 });
const reference = new Encoder({ ignoreUndefined: true });

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function ours(value: unknown, enc: MsgpackEncoder = encoder): string {
  return hex(enc.encodeSharedRef(value));
}

function theirs(value: unknown): string {
  return hex(reference.encode(value));
}

function refusal(fn: () => unknown): UsageError {
  const err = thrown(UsageError, fn);
  expect(err.code).toBe('unencodable');
  return err;
}

/** `s` with each lone surrogate replaced by U+FFFD (String.prototype.toWellFormed, which ES2019's typings lack). */
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** `levels` arrays around `leaf`: the containers nest `levels` deep. */
function nested(levels: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe('integers take the smallest width, at every boundary', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [127, '7f'],
    [128, 'cc80'],
    [255, 'ccff'],
    [256, 'cd0100'],
    [65535, 'cdffff'],
    [65536, 'ce00010000'],
    [2 ** 32 - 1, 'ceffffffff'],
    [2 ** 32, 'cf0000000100000000'],
    [2 ** 53 - 1, 'cf001fffffffffffff'],
    [-1, 'ff'],
    [-32, 'e0'],
    [-33, 'd0df'],
    [-128, 'd080'],
    [-129, 'd1ff7f'],
    [-32768, 'd18000'],
    [-32769, 'd2ffff7fff'],
    [-(2 ** 31), 'd280000000'],
    [-(2 ** 31) - 1, 'd3ffffffff7fffffff'],
    [-(2 ** 32), 'd3ffffffff00000000'],
    [-(2 ** 53 - 1), 'd3ffe0000000000001'],
  ];
  it.each(cases)('%d is %s, as @msgpack/msgpack writes it', (value, bytes) => {
    expect(ours(value)).toBe(bytes);
    expect(theirs(value)).toBe(bytes);
  });
});

describe('other numbers are float 64', () => {
  const cases: [string, number, string][] = [
    ['a fraction', 1.5, 'cb3ff8000000000000'],
    ['2^53, past the safe integers', 2 ** 53, 'cb4340000000000000'],
    ['NaN', Number.NaN, 'cb7ff8000000000000'],
    ['Infinity', Infinity, 'cb7ff0000000000000'],
    ['-Infinity', -Infinity, 'cbfff0000000000000'],
    ['-0.5', -0.5, 'cbbfe0000000000000'],
  ];
  it.each(cases)('%s', (_name, value, bytes) => {
    expect(ours(value)).toBe(bytes);
    expect(theirs(value)).toBe(bytes);
  });

  it('-0 is the integer 0, as @msgpack/msgpack writes it', () => {
    expect(ours(-0)).toBe('00');
    expect(theirs(-0)).toBe('00');
  });
});

describe('strings are UTF-8 with the smallest header', () => {
  const cases: [string, string, string][] = [
    ['empty', '', 'a0'],
    ['31 bytes: fixstr', 'x'.repeat(31), 'bf'],
    ['32 bytes: str 8', 'x'.repeat(32), 'd920'],
    ['255 bytes: str 8', 'x'.repeat(255), 'd9ff'],
    ['256 bytes: str 16', 'x'.repeat(256), 'da0100'],
    ['65535 bytes: str 16', 'x'.repeat(65535), 'daffff'],
    ['65536 bytes: str 32', 'x'.repeat(65536), 'db00010000'],
    // Non-ASCII strings whose header is wider than their unit count suggests: the bytes move up behind the header.
    ['10 CJK units, 30 bytes: fixstr', '你'.repeat(10), 'be'],
    ['11 CJK units, 33 bytes: str 8', '你'.repeat(11), 'd921'],
    ['86 CJK units, 258 bytes: str 16', '你'.repeat(86), 'da0102'],
    ['21846 CJK units, 65538 bytes: str 32', '你'.repeat(21846), 'db00010002'],
    ['ASCII then one 4-byte character across the fixstr boundary', 'y'.repeat(28) + '😀', 'd920'],
  ];
  it.each(cases)('%s', (_name, value, header) => {
    const bytes = ours(value);
    expect(bytes).toBe(theirs(value));
    expect(bytes.startsWith(header)).toBe(true);
    expect(bytes.slice(header.length)).toBe(hex(new TextEncoder().encode(value)));
  });

  const surrogates: [string, string][] = [
    ['a lone high surrogate', 'a\ud800b'],
    ['a lone low surrogate', '\udc00'],
    ['a high surrogate at the end', 'end \ud83d'],
    ['a reversed pair', '\udc00\ud800'],
    ['a lone high before a pair', '\ud800\ud83d\ude00'],
    ['a long string with lone surrogates', '长\ud800'.repeat(40)],
  ];
  it.each(surrogates)('%s is U+FFFD, as TextEncoder writes it', (_name, value) => {
    const utf8 = new TextEncoder().encode(value);
    expect(ours(value).endsWith(hex(utf8))).toBe(true);
    // @msgpack/msgpack writes lone surrogates of short strings as invalid UTF-8 (ED A0 80); on well-formed input we agree.
    expect(ours(value)).toBe(theirs(wellFormed(value)));
  });
});

describe('other scalars', () => {
  it('booleans and nil', () => {
    expect(ours(true)).toBe('c3');
    expect(ours(false)).toBe('c2');
    expect(ours(null)).toBe('c0');
    expect(ours(undefined)).toBe('c0');
  });

  it('undefined is nil in an array and omitted from a map', () => {
    const value = [undefined, { a: undefined, b: 1, c: null }];
    expect(ours(value)).toBe('92c082a16201a163c0');
    expect(ours(value)).toBe(theirs(value));
  });
});

describe('binaries', () => {
  it.each([0, 255, 256, 65535, 65536])('%d bytes take the smallest bin header', (length) => {
    const data = new Uint8Array(length).map((_, i) => i * 7);
    expect(ours(data)).toBe(theirs(data));
    const header = length < 256 ? 'c4' : length < 65536 ? 'c5' : 'c6';
    expect(ours(data).startsWith(header)).toBe(true);
  });

  it('a view encodes only its own bytes', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    expect(ours(backing.subarray(2, 5))).toBe('c403010203');
  });

  it('any ArrayBufferView is bin of its bytes, as in @msgpack/msgpack', () => {
    for (const view of [new Float32Array([1.5]), new Uint16Array([1, 2]), new DataView(new Uint8Array([5, 6]).buffer)]) {
      expect(ours(view)).toBe(theirs(view));
    }
  });

  it('an ArrayBuffer is bin of its bytes (@msgpack/msgpack writes an empty map and loses them)', () => {
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    expect(ours(buffer)).toBe('c403010203');
    expect(theirs(buffer)).toBe('80');
  });
});

describe('arrays and maps take the smallest header', () => {
  it.each([0, 15, 16, 65535, 65536])('an array of %d', (length) => {
    const value = new Array<number>(length).fill(1);
    expect(ours(value)).toBe(theirs(value));
  });

  it.each([0, 15, 16, 65535, 65536])('a map of %d', (size) => {
    const value: Record<string, number> = {};
    for (let i = 0; i < size; i++) value[`k${i}`] = i;
    expect(ours(value)).toBe(theirs(value));
  });

  it('a map has the own enumerable string keys of any object, as in @msgpack/msgpack', () => {
    class Point {
      constructor(readonly x: number, readonly y: number) {}
      get length(): number {
        return Math.hypot(this.x, this.y);
      }
    }
    const values = [new Point(1, 2), Object.assign(Object.create({ inherited: 1 }) as object, { own: 2 }), { [Symbol('s')]: 1, k: 2 }];
    for (const value of values) expect(ours(value)).toBe(theirs(value));
    expect(ours(new Point(1, 2))).toBe('82a17801a17902');
  });

  it.each([
    [16, 1],
    [17, 2],
    [65536, 1],
    [3, 3],
  ])('a map of %d keys with %d undefined values gets the header of what is written, the entries moved up', (size, missing) => {
    const value: Record<string, number | undefined> = {};
    for (let i = 0; i < size; i++) value[`k${i}`] = i < missing ? undefined : i;
    expect(ours(value)).toBe(theirs(value));
  });

  it('repeated keys (copied from the encoder\'s key cache) encode as the first time, across its emptying', () => {
    const keys = ['x', 'tick', 'serverTime', 'lastInput', '名前', 'ключ', 'a'.repeat(16), 'b'.repeat(17)];
    for (let i = 0; i < 150; i++) keys.push(`key${i}`);
    const value = Object.fromEntries(keys.map((key, i) => [key, { [key]: i, nested: [{ [key]: 'v' }] }]));
    const first = ours(value);
    expect(first).toBe(theirs(value));
    expect(ours(value)).toBe(first);
    expect(ours([value, 'x'.repeat(5000), value])).toBe(theirs([value, 'x'.repeat(5000), value]));
  });

});

describe('a Map is a map and a Set an array, never the empty map @msgpack/msgpack writes', () => {
  it('a Map of string keys is the bytes of the object with those keys, in insertion order', () => {
    expect(theirs(new Map([['a', 1]]))).toBe('80'); // what the reference does: the entries are lost
    expect(ours(new Map<string, unknown>([['b', 1], ['a', [2]]]))).toBe(theirs({ b: 1, a: [2] }));
  });

  it('number keys are msgpack numbers, and an undefined value is left out as in an object', () => {
    expect(ours(new Map<unknown, unknown>([[1, 'x'], [-2, true], ['k', undefined]]))).toBe('8201a178fec3');
    const decoded = new MsgpackDecoder(resolveLimits()).decodeAll(encoder.encodeSharedRef([new Map([[7, 'seven']])]));
    expect(decoded).toEqual([[{ 7: 'seven' }]]);
  });

  it('a Set is the array of its values, in insertion order, its members encoded as any value', () => {
    expect(ours(new Set([3, 'a', new Set([1])]))).toBe(theirs([3, 'a', [1]]));
  });

  it('Maps and Sets count towards maxDepth like arrays and maps', () => {
    const shallow = new MsgpackEncoder({ maxDepth: 2 });
    expect(ours([new Set([1])], shallow)).toBe('919101');
    expect(refusal(() => shallow.encodeSharedRef([new Map([['a', new Set()]])])).message).toContain('maxDepth 2');
  });

  it.each([
    ['an object key', new Map<unknown, number>([[{}, 1]]), '[2][<object>]: a Map key must be a string or a number'],
    ['a null key', new Map<unknown, number>([[null, 1]]), 'got a null'],
    ['two keys naming one property', new Map<unknown, number>([[1, 1], ['1', 2]]), '[2]["1"]: two Map keys name the property "1"'],
    ['a __proto__ key', new Map([['__proto__', 1]]), 'the Map key "__proto__"'],
  ])('a Map with %s is refused: it could not arrive as an object', (_name, map, message) => {
    expect(refusal(() => encoder.encodeSharedRef([4, 't', map])).message).toContain(message);
  });
});

describe('a built-in object that would arrive as {} is refused, naming it', () => {
  it.each([
    ['RegExp', /x/],
    ['Error', new Error('boom')],
    ['Promise', Promise.resolve(1)],
    ['WeakMap', new WeakMap()],
    ['Number', Object(1) as object],
  ])('a %s', (tag, value) => {
    expect(theirs({ v: value })).toBe('81a17680'); // the reference writes an empty map
    expect(refusal(() => encoder.encodeSharedRef([4, 't', { v: value }])).message).toContain(`[2].v: a ${tag} has no msgpack form`);
  });

  it('an object key __proto__ (from JSON.parse) is refused: a decoder would refuse the whole message', () => {
    const value = JSON.parse('{"a":1,"__proto__":2}') as object;
    expect(refusal(() => encoder.encodeSharedRef([value])).message).toContain('"__proto__"');
  });

  it('an object without a prototype is a plain map', () => {
    const value = Object.assign(Object.create(null) as object, { a: 1 });
    expect(ours(value)).toBe(theirs({ a: 1 }));
  });
});

describe('Date is timestamp ext -1 in its smallest form', () => {
  const cases: [string, Date, string][] = [
    ['the epoch: timestamp 32', new Date(0), 'd6ff00000000'],
    ['whole seconds below 2^32: timestamp 32', new Date(1_700_000_000_000), 'd6ff6553f100'],
    ['milliseconds: timestamp 64', new Date(1_700_000_000_123), 'd7ff1d5353006553f100'],
    ['seconds past 2^32: timestamp 64', new Date(2 ** 32 * 1000), 'd7ff0000000100000000'],
    ['seconds past 2^34: timestamp 96', new Date(2 ** 34 * 1000), 'c70cff000000000000000400000000'],
    ['before the epoch: timestamp 96', new Date(-1), 'c70cff3b8b87c0ffffffffffffffff'],
    ['an invalid Date: timestamp 96 of zeros', new Date(Number.NaN), 'c70cff000000000000000000000000'],
  ];
  it.each(cases)('%s', (_name, date, bytes) => {
    expect(ours(date)).toBe(bytes);
    expect(theirs(date)).toBe(bytes);
  });
});

describe('MsgpackExt is written back as its ext', () => {
  it.each([0, 1, 2, 3, 4, 8, 16, 17, 255, 256])('%d bytes of data, as @msgpack/msgpack writes ExtData', (length) => {
    const data = new Uint8Array(length).map((_, i) => i);
    expect(ours(new MsgpackExt(42, data))).toBe(theirs(new ExtData(42, data)));
    expect(ours(new MsgpackExt(-7, data))).toBe(theirs(new ExtData(-7, data)));
  });
});

describe('what msgpack cannot carry is refused, naming what and where', () => {
  it.each([
    ['a function', () => 1, /\[2\]\.handler: a function/],
    ['a symbol', Symbol('s'), /\[2\]\.handler: a symbol/],
    ['a bigint', BigInt(1), /\[2\]\.handler: a bigint/],
  ])('%s', (_name, bad, message) => {
    const err = refusal(() => encoder.encodeSharedRef([4, 't', { handler: bad }]));
    expect(err.message).toMatch(message);
  });

  it('the path names array indexes and quotes keys that are not identifiers', () => {
    const err = refusal(() => encoder.encodeSharedRef([4, 't', { list: [1, { 'a key': () => 1 }] }]));
    expect(err.message).toContain('[2].list[1]["a key"]');
  });

  it('a getter that throws is refused with its message and place', () => {
    const payload = {
      get broken(): number {
        throw new Error('no value today');
      },
    };
    expect(refusal(() => encoder.encodeSharedRef([4, 't', payload])).message).toMatch(/\[2\]\.broken: no value today/);
  });

  it('a refused value leaves the encoder working', () => {
    refusal(() => encoder.encodeSharedRef([() => 1]));
    expect(ours([9, 300])).toBe('9209cd012c');
  });
});

describe('maxDepth counts containers, the top-level array being 1, as the decoder does', () => {
  const strict = new MsgpackEncoder({ maxDepth: 4 });

  it('containers nesting exactly maxDepth deep are encoded', () => {
    expect(ours(nested(4), strict)).toBe(theirs(nested(4)));
    expect(ours([4, 't', { a: [{}] }], strict)).toBe(theirs([4, 't', { a: [{}] }]));
  });

  it('one level deeper is refused, an empty container too, and scalars never count', () => {
    expect(refusal(() => strict.encodeSharedRef(nested(5))).message).toMatch(/\[0\]\[0\]\[0\]\[0\]: nesting depth exceeds maxDepth 4/);
    expect(refusal(() => strict.encodeSharedRef(nested(4, []))).message).toMatch(/depth/);
    expect(refusal(() => strict.encodeSharedRef(nested(4, {}))).message).toMatch(/depth/);
    const shallow = new MsgpackEncoder({ maxDepth: 1 });
    expect(ours([1, 'x', new Date(0), new Uint8Array(1)], shallow)).toBe(theirs([1, 'x', new Date(0), new Uint8Array(1)]));
    expect(ours(7, shallow)).toBe('07');
  });

  it('a cyclic structure is a depth refusal, never a stack overflow', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(refusal(() => encoder.encodeSharedRef([4, 't', cyclic])).message).toMatch(/\[2\]\.self\.self.*depth/);
    const list: unknown[] = [];
    list.push(list);
    expect(refusal(() => encoder.encodeSharedRef(list)).message).toMatch(/depth/);
  });

  it('under a maxDepth beyond what the stack holds, a cycle is still a UsageError with a bounded message', () => {
    const huge = new MsgpackEncoder({ maxDepth: 10_000_000 });
    const list: unknown[] = [];
    list.push(list);
    const err = refusal(() => huge.encodeSharedRef(list));
    expect(err.message.length).toBeLessThan(400);
  });
});

describe('the shared buffer', () => {
  it('returns a view valid until the next call, which reuses the buffer', () => {
    const enc = new MsgpackEncoder({ maxDepth: 8 });
    const first = enc.encodeSharedRef([1, 2]);
    expect(hex(first)).toBe('920102');
    const second = enc.encodeSharedRef([3, 4]);
    expect(second.buffer).toBe(first.buffer);
    expect(hex(first)).toBe('920304');
  });

  it('grows for a large value, then shrinks back so one big frame does not pin its size', () => {
    const enc = new MsgpackEncoder({ maxDepth: 8 });
    const big = enc.encodeSharedRef(['x'.repeat(300_000)]);
    expect(big.byteLength).toBe(300_006);
    expect(hex(big.subarray(0, 6))).toBe('91db000493e0');
    const small = enc.encodeSharedRef([1]);
    expect(hex(small)).toBe('9101');
    expect(small.buffer.byteLength).toBeLessThanOrEqual(64 * 1024);
  });

  it('an encode called from inside an encode (a getter) gets a buffer of its own', () => {
    const enc = new MsgpackEncoder({ maxDepth: 8 });
    let inner = '';
    const payload = {
      get sneaky(): number {
        inner = hex(enc.encodeSharedRef(['inner']));
        return 5;
      },
    };
    expect(hex(enc.encodeSharedRef([4, 't', payload]))).toBe(theirs([4, 't', { sneaky: 5 }]));
    expect(inner).toBe(theirs(['inner']));
  });
});
