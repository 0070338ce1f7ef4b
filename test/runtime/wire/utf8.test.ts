import { decodeUtf8, Utf8Decoder, Utf8Encoder, utf8Length } from '../../../src/wire/utf8';
import { ensureTextCodec } from '../../../src/wire/text-codec';
import { seededRandom } from '../../support/random';

const hostEncoder = new TextEncoder();
const hostDecoder = new TextDecoder();
const encoder = new Utf8Encoder();
const decoder = new Utf8Decoder();

const samples = [
  '',
  'plain ascii',
  '你好，世界！聊天室消息',
  'emoji 👋🏽 and flags 🇨🇳 and 𝄞',
  'lone high \ud800 in the middle',
  'lone low \udc00 here',
  'reversed pair \udc00\ud800',
  'ends with a high surrogate \ud83d',
  '\u0000 nul and \u007f del and \u0080 and \u07ff and \u0800 and \uffff',
  'BOM \ufeff inside',
];

/** Strings built from code units chosen to hit every UTF-8 width and every surrogate mistake. */
function randomString(rand: () => number, length: number): string {
  const units: number[] = [];
  for (let i = 0; i < length; i++) {
    const pick = rand();
    if (pick < 0.3) units.push(Math.floor(rand() * 0x80));
    else if (pick < 0.5) units.push(0x80 + Math.floor(rand() * 0x780));
    else if (pick < 0.7) units.push(0x800 + Math.floor(rand() * 0xd000));
    else if (pick < 0.85) units.push(0xd800 + Math.floor(rand() * 0x400), 0xdc00 + Math.floor(rand() * 0x400));
    else units.push(0xd800 + Math.floor(rand() * 0x800));
  }
  return String.fromCharCode(...units);
}

describe('the UTF-8 fallback encodes exactly as the host TextEncoder', () => {
  it.each(samples)('%j', (text) => {
    expect(Array.from(encoder.encode(text))).toEqual(Array.from(hostEncoder.encode(text)));
    expect(utf8Length(text)).toBe(hostEncoder.encode(text).byteLength);
  });

  it('on 2,000 random strings with lone and paired surrogates', () => {
    const rand = seededRandom(2026);
    for (let i = 0; i < 2000; i++) {
      const text = randomString(rand, 1 + Math.floor(rand() * 40));
      expect(Buffer.from(encoder.encode(text)).equals(Buffer.from(hostEncoder.encode(text)))).toBe(true);
    }
  });

  it('encodeInto stops at whole characters when the destination is short, as the host does', () => {
    for (const text of samples) {
      for (const size of [0, 1, 2, 3, 5, 7]) {
        const mine = new Uint8Array(size);
        const host = new Uint8Array(size);
        expect(encoder.encodeInto(text, mine)).toEqual(hostEncoder.encodeInto(text, host));
        expect(Array.from(mine)).toEqual(Array.from(host));
      }
    }
  });
});

describe('the UTF-8 fallback decodes exactly as the host TextDecoder', () => {
  it.each(samples)('%j', (text) => {
    expect(decoder.decode(hostEncoder.encode(text))).toBe(hostDecoder.decode(hostEncoder.encode(text)));
  });

  const invalid: [string, number[]][] = [
    ['overlong 2-byte', [0xc0, 0xaf]],
    ['overlong 3-byte', [0xe0, 0x80, 0xaf]],
    ['encoded surrogate (CESU/WTF-8)', [0xed, 0xa0, 0x80]],
    ['over U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['truncated at the end', [0x41, 0xe4, 0xbd]],
    ['stray continuation bytes', [0x80, 0xbf, 0x41]],
    ['0xff and 0xfe', [0xff, 0xfe, 0x41]],
    ['a lead byte followed by ASCII', [0xe4, 0x41, 0xbd, 0xa0]],
    ['a leading BOM', [0xef, 0xbb, 0xbf, 0x41]],
  ];
  it.each(invalid)('invalid input: %s', (_name, bytes) => {
    expect(decoder.decode(new Uint8Array(bytes))).toBe(hostDecoder.decode(new Uint8Array(bytes)));
  });

  it('on 5,000 random byte strings', () => {
    const rand = seededRandom(7);
    for (let i = 0; i < 5000; i++) {
      const bytes = new Uint8Array(Math.floor(rand() * 24));
      for (let j = 0; j < bytes.length; j++) bytes[j] = rand() < 0.5 ? 0x80 + Math.floor(rand() * 0x80) : Math.floor(rand() * 256);
      expect(decoder.decode(bytes)).toBe(hostDecoder.decode(bytes));
    }
  });

  it('decodeUtf8 keeps a BOM as content (TextDecoder with ignoreBOM), on 5,000 random byte strings, scratch reused', () => {
    const keepBom = new TextDecoder('utf-8', { ignoreBOM: true });
    const rand = seededRandom(11);
    const scratch: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const bytes = new Uint8Array(Math.floor(rand() * 24));
      for (let j = 0; j < bytes.length; j++) bytes[j] = rand() < 0.5 ? 0x80 + Math.floor(rand() * 0x80) : Math.floor(rand() * 256);
      if (rand() < 0.2 && bytes.length >= 3) bytes.set([0xef, 0xbb, 0xbf]);
      const start = Math.floor(rand() * 3);
      expect(decodeUtf8(bytes, start, bytes.length, scratch)).toBe(keepBom.decode(bytes.subarray(start)));
    }
  });

  it('decodes a long text in chunks without overflowing the argument limit', () => {
    const text = '长'.repeat(50_000) + '😀'.repeat(5_000);
    const bytes = hostEncoder.encode(text);
    expect(decodeUtf8(bytes, 0, bytes.length)).toBe(text);
  });

  it('reads only the view it is given', () => {
    const bytes = hostEncoder.encode('xx你好yy');
    expect(decoder.decode(bytes.subarray(2, 8))).toBe('你好');
  });

  it('refuses labels other than UTF-8 instead of silently decoding wrongly', () => {
    expect(() => new Utf8Decoder('gbk')).toThrow(RangeError);
    expect(new Utf8Decoder('UTF8').encoding).toBe('utf-8');
  });
});

describe('ensureTextCodec', () => {
  it('installs the fallback where the host has none', () => {
    const host: { TextEncoder?: unknown; TextDecoder?: unknown } = {};
    expect(ensureTextCodec(host)).toEqual({ encoder: true, decoder: true });
    expect(host.TextEncoder).toBe(Utf8Encoder);
    expect(host.TextDecoder).toBe(Utf8Decoder);
  });

  it("never replaces the host's own codec", () => {
    const host = { TextEncoder, TextDecoder };
    expect(ensureTextCodec(host)).toEqual({ encoder: false, decoder: false });
    expect(host.TextEncoder).toBe(TextEncoder);
    expect(host.TextDecoder).toBe(TextDecoder);
  });
});
