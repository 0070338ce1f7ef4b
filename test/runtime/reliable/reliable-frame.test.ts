import { FrameCodec } from '../../../src/wire/codec';
import { MsgpackEncoder } from '../../../src/wire/msgpack/encoder';
import { Op } from '../../../src/wire/protocol';
import { renumbered, uintWidth, writeUint } from '../../../src/reliable/seq-splice';

// One value at each edge of every msgpack uint width: fixint, uint 8, 16, 32, 64.
const EDGES = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 0x100000000, Number.MAX_SAFE_INTEGER];

describe('RELIABLE frame numbering (src/reliable/seq-splice.ts)', () => {
  const codec = new FrameCodec();
  const encoder = new MsgpackEncoder({ maxDepth: 8 });
  const encoded = (value: unknown): number[] => Array.from(encoder.encodeSharedRef(value));

  it('writes every uint width byte for byte as the encoder does', () => {
    for (const value of EDGES) {
      const out = new Uint8Array(uintWidth(value) + 2).fill(0xee);
      writeUint(out, 1, value);
      // In place, touching nothing either side.
      expect(Array.from(out)).toEqual([0xee, ...encoded(value), 0xee]);
    }
  });

  it('renumbers a frame from any seq width to any other, keeping the topic and payload bytes', () => {
    const payload = { text: 'héllo', list: [1, 2, 3] };
    for (const from of EDGES.filter((v) => v > 0)) {
      const frame = codec.encodeShared([Op.Reliable, from, 'chat/room', payload]).slice();
      for (const to of EDGES.filter((v) => v > 0)) {
        expect(Array.from(renumbered(frame, to))).toEqual(encoded([Op.Reliable, to, 'chat/room', payload]));
      }
    }
  });
});
