import { resolveLimits } from '../../../src/wire/limits';
import { type HostDecoder, type HostEncoder, hostText } from '../../../src/wire/host-text';
import { MsgpackDecoder } from '../../../src/wire/msgpack/decoder';
import { MsgpackEncoder } from '../../../src/wire/msgpack/encoder';
import { Utf8Decoder, Utf8Encoder } from '../../../src/wire/utf8';

const limits = resolveLimits();
const LONG = '今天晚上八点我们在老地方集合，记得带上装备和药水。'.repeat(3);
const SHORT = 'game/state';

/** A host codec that records what it is given and hands the work to Node's own. */
function countingEncoder(): HostEncoder & { strings: string[] } {
  const real = new TextEncoder();
  const strings: string[] = [];
  return { strings, encodeInto: (s, dest) => (strings.push(s), real.encodeInto(s, dest)) };
}

function countingDecoder(): HostDecoder & { calls: number } {
  const real = new TextDecoder('utf-8', { ignoreBOM: true });
  const spy = { calls: 0, decode: (bytes: Uint8Array) => (spy.calls++, real.decode(bytes)) };
  return spy;
}

describe('hostText: the host UTF-8 codec the msgpack codec may use', () => {
  it('finds Node\'s TextEncoder (with encodeInto) and TextDecoder', () => {
    const found = hostText();
    expect(found.encoder).toBeInstanceOf(TextEncoder);
    expect(found.decoder).toBeInstanceOf(TextDecoder);
    // A msgpack string's leading U+FEFF is content: the decoder must not strip it.
    expect(found.decoder?.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]))).toBe('\ufeffA');
  });

  it('finds none on a host without them, or with only the stand-ins ensureTextCodec installs', () => {
    expect(hostText({})).toEqual({ encoder: undefined, decoder: undefined });
    expect(hostText({ TextEncoder: Utf8Encoder, TextDecoder: Utf8Decoder })).toEqual({ encoder: undefined, decoder: undefined });
  });

  it('ignores a TextEncoder without encodeInto and a codec that throws when made', () => {
    class OldEncoder {
      encode(): Uint8Array {
        return new Uint8Array(0);
      }
    }
    class Broken {
      constructor() {
        throw new RangeError('no utf-8 here');
      }
    }
    expect(hostText({ TextEncoder: OldEncoder, TextDecoder: TextDecoder }).encoder).toBeUndefined();
    expect(hostText({ TextEncoder: TextEncoder, TextDecoder: Broken })).toEqual({ encoder: expect.any(TextEncoder), decoder: undefined });
  });
});

describe('the msgpack codec with a host codec', () => {
  it('hands it long strings only, and writes the bytes it writes without one', () => {
    const host = countingEncoder();
    const value = [4, SHORT, { text: LONG, name: SHORT }];
    const bytes = new MsgpackEncoder({ maxDepth: 32, textEncoder: host }).encodeSharedRef(value).slice();
    expect(host.strings).toEqual([LONG]);
    expect(bytes).toEqual(new MsgpackEncoder({ maxDepth: 32, textEncoder: null }).encodeSharedRef(value).slice());
  });

  it('moves a long string up when its UTF-8 needs a wider header than its length in units suggested', () => {
    const text = '汉'.repeat(100); // 100 units (str 8 guessed), 300 bytes (str 16)
    const bytes = new MsgpackEncoder({ maxDepth: 32, textEncoder: countingEncoder() }).encodeSharedRef([text]).slice();
    expect(bytes).toEqual(new MsgpackEncoder({ maxDepth: 32, textEncoder: null }).encodeSharedRef([text]).slice());
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x91, 0xda, 0x01, 0x2c]);
  });

  it('decodes long strings through it, a leading BOM kept as content, short ones and keys without it', () => {
    const host = countingDecoder();
    const withBom = `\ufeff${LONG}`;
    const bytes = new MsgpackEncoder({ maxDepth: 32, textEncoder: null }).encodeSharedRef([4, SHORT, { text: withBom }]).slice();
    expect(new MsgpackDecoder(limits, host).decodeAll(bytes)).toEqual([[4, SHORT, { text: withBom }]]);
    expect(host.calls).toBe(1);
    expect(new MsgpackDecoder(limits, null).decodeAll(bytes)).toEqual([[4, SHORT, { text: withBom }]]);
  });

  it('still checks the string limit before the host sees the bytes', () => {
    const host = countingDecoder();
    const bytes = new MsgpackEncoder({ maxDepth: 32, textEncoder: null }).encodeSharedRef([LONG]).slice();
    expect(() => new MsgpackDecoder(resolveLimits({ maxStringBytes: 100 }), host).decodeAll(bytes)).toThrow(/string bytes \d+ exceeds the limit of 100/);
    expect(host.calls).toBe(0);
  });
});
