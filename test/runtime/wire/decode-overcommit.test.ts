import { decodeMulti } from '@msgpack/msgpack';
import { OVERCOMMIT_SHAPES, overcommit } from '../../../scripts/fuzz-overcommit';
import { ProtocolError } from '../../../src/errors';
import { FrameCodec } from '../../../src/wire/codec';
import { resolveLimits } from '../../../src/wire/limits';
import { MsgpackDecoder } from '../../../src/wire/msgpack/decoder';
import { thrown } from '../../support/thrown';

// The cost of a refusal is in proportion to the message: the decoder refuses at the header where what the open
// containers still declare (1 byte per element, 2 per map entry) first exceeds the bytes left, so nested headers that
// each fit alone never open one after the other, and the arrays open at once never hold more slots than the message
// has bytes. PROTOCOL.md ("Decode limits") states the rule.

const decoder = new MsgpackDecoder(resolveLimits());

function bytes(...list: number[]): Uint8Array {
  return new Uint8Array(list);
}

function refused(fn: () => unknown): ProtocolError {
  return thrown(ProtocolError, fn);
}

describe('the elements every open container still declares must fit the bytes left', () => {
  // [[1, [a, b, c, d], ...3 more]]: the outer array16 declares 4 (9 bytes follow), the inner 4 (6 follow); alone each
  // fits, together they need 3 + 4 = 7.
  const header = [0x92, 0x01, 0xdc, 0x00, 0x04, 0xdc, 0x00, 0x04];

  it('nested arrays: refused at the inner header when the sum exceeds what is left, accepted when it fits exactly', () => {
    const err = refused(() => decoder.decodeAll(bytes(...header, 1, 2, 3, 4, 5, 6)));
    expect(err.code).toBe('malformed');
    expect(err.message).toMatch(/^message truncated or malformed at byte 8: /);
    const exact = bytes(...header, 1, 2, 3, 4, 5, 6, 7);
    // The same decoder goes on, with what the refused message's containers owed forgotten.
    expect(decoder.decodeAll(exact)).toEqual([...decodeMulti(exact)]);
  });

  it('nested maps: each entry owes 2 bytes, its key and its value', () => {
    // [{k: {a: 1, b: 2}, l: 3}]: after the inner header, 1 entry of the outer (2) and 2 of the inner (4) are owed.
    const head = [0x91, 0x82, 0xa1, 0x6b, 0x82];
    const whole = [...head, 0xa1, 0x61, 0x01, 0xa1, 0x62, 0x02, 0xa1, 0x6c, 0x03];
    expect(decoder.decodeAll(bytes(...whole))).toEqual([[{ k: { a: 1, b: 2 }, l: 3 }]]);
    // Five bytes where six are owed: alone, the inner map's four would fit.
    const err = refused(() => decoder.decodeAll(bytes(...head, 0, 0, 0, 0, 0)));
    expect(err.code).toBe('malformed');
    expect(err.message).toMatch(/^message truncated or malformed at byte 5: /);
  });

  it('a bin, str or ext that fits alone but not beside its array\'s other elements is refused where its bytes start', () => {
    // [[bin(5), x, y]] with one byte after the bin: 5 + 2 owed > 6 left.
    const bin = refused(() => decoder.decodeAll(bytes(0x91, 0x93, 0xc4, 0x05, 1, 2, 3, 4, 5, 6)));
    expect([bin.code, bin.message]).toEqual(['malformed', expect.stringMatching(/^message truncated or malformed at byte 4: /)]);
    const str = refused(() => decoder.decodeAll(bytes(0x91, 0x93, 0xa5, 0x61, 0x61, 0x61, 0x61, 0x61, 0x01)));
    expect([str.code, str.message]).toEqual(['malformed', expect.stringMatching(/^message truncated or malformed at byte 3: /)]);
    // An ext's length counts from its type byte (at 4).
    const ext = refused(() => decoder.decodeAll(bytes(0x91, 0x93, 0xc7, 0x05, 0x09, 1, 2, 3, 4, 5, 6)));
    expect([ext.code, ext.message]).toEqual(['malformed', expect.stringMatching(/^message truncated or malformed at byte 4: /)]);
    const whole = bytes(0x91, 0x93, 0xc4, 0x05, 1, 2, 3, 4, 5, 6, 7);
    expect(decoder.decodeAll(whole)).toEqual([[[new Uint8Array([1, 2, 3, 4, 5]), 6, 7]]]);
    // A length beyond the message itself is reported as before, where the message ends.
    expect(refused(() => decoder.decodeAll(bytes(0x91, 0x93, 0xc4, 0x09, 1, 2))).message).toBe('message truncated or malformed at byte 6');
  });

  it('a length field that the open containers leave no room for is refused where it starts', () => {
    // [[array32 ...]] where the outer array's 3 elements leave the inner header 1 byte: its length needs 4.
    const err = refused(() => decoder.decodeAll(bytes(0x91, 0x93, 0xdd, 0x00, 0x00, 0x00, 0x00)));
    expect([err.code, err.message]).toEqual(['malformed', expect.stringMatching(/^message truncated or malformed at byte 3: /)]);
  });
});

describe('every overcommitting shape up to maxFrameBytes is refused through FrameCodec.decode at the header that overcommits', () => {
  const codec = new FrameCodec();
  const sizes = [1024, 100 * 1024, codec.limits.maxFrameBytes];
  it.each(OVERCOMMIT_SHAPES)('%s', (shape) => {
    for (const size of sizes) {
      const bomb = overcommit(shape, size, codec.limits);
      expect(bomb.bytes.byteLength).toBe(size);
      const err = refused(() => codec.decode(bomb.bytes));
      expect([size, err.code, err.message]).toEqual([size, bomb.code, expect.stringContaining(` at byte ${bomb.at}`)]);
      // Far before the end of the message, and never past what a handful of headers take.
      expect(bomb.at).toBeLessThan(codec.limits.maxDepth * 7 + 8);
    }
  });

  it('the nested array32 bomb of the issue (headers of 99,999 elements, then filler) stops at its second header', () => {
    const filler = new Uint8Array(100 * 1024);
    const head = bytes(0x93, 0x04, 0xa1, 0x74, ...Array.from({ length: 31 }, () => [0xdd, 0x00, 0x01, 0x86, 0x9f]).flat());
    filler.set(head);
    const err = refused(() => codec.decode(filler));
    expect([err.code, err.message]).toEqual(['malformed', expect.stringMatching(/^message truncated or malformed at byte 14: /)]);
  });

  it('maps nest to the depth limit without overcommitting under the default limits, and that refusal names its byte too', () => {
    const bomb = overcommit('map16', codec.limits.maxFrameBytes, codec.limits);
    expect(bomb.code).toBe('limit_exceeded');
    expect(refused(() => codec.decode(bomb.bytes)).message).toMatch(/^nesting depth 33 exceeds the limit of 32 at byte \d+$/);
  });
});
