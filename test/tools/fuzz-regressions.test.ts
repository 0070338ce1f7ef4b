import { createServer, type ReferenceServer } from '../../server';
import { Channel } from '../../src/channel/channel';
import { FrameCodec } from '../../src/wire/codec';
import { ProtocolError, UsageError } from '../../src/errors';
import { type Frame, Op } from '../../src/wire/protocol';
import { ProtocolClient } from '../support/protocol-client';

// Defects the fuzzer (test/tools/fuzz.test.ts, `npm run fuzz`) found, each pinned by the smallest input that showed it, and
// the allocation bombs of every width, refused before msgpack sees them.

/** A PUSH whose payload nests `levels` arrays around a 1: the frame's containers nest 1 + levels deep. */
function nested(levels: number, leaf: unknown = 1): Frame {
  let payload: unknown = leaf;
  for (let i = 0; i < levels; i++) payload = [payload];
  return [Op.Push, 't', payload];
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('encoder and decoder agree on maxDepth (found by deep-nesting inputs echoed by the server)', () => {
  it('a frame whose containers nest exactly maxDepth deep is encoded, as it is decoded', () => {
    const codec = new FrameCodec({ maxDepth: 4 });
    const deepest = nested(3);
    expect(codec.decode(codec.encode(deepest))).toEqual([deepest]);
  });

  it('one level deeper is refused by both, even an empty container at the bottom', () => {
    const codec = new FrameCodec({ maxDepth: 4 });
    for (const frame of [nested(4), nested(3, [])]) {
      expect(thrown(() => codec.encode(frame))).toMatchObject({ code: 'unencodable', message: expect.stringMatching(/depth/i) });
      expect(thrown(() => codec.encode(frame))).toBeInstanceOf(UsageError);
    }
    const lenient = new FrameCodec({ maxDepth: 5 });
    expect(thrown(() => codec.decode(lenient.encode(nested(3, []))))).toMatchObject({ code: 'limit_exceeded' });
  });

  it('the server echoes a request nested maxDepth deep instead of failing it as internal', async () => {
    const server: ReferenceServer = createServer({ port: 0 });
    const errors: unknown[] = [];
    server.events.on('error', ({ error }) => errors.push(error));
    server.handle('echo', (payload) => payload);
    const client = await ProtocolClient.connect((await server.listen()).url);
    try {
      await client.hello();
      // REQUEST [5, id, topic, payload]: the payload may nest 31 containers under the frame's own array.
      const payload = (nested(31)[2] as unknown[]);
      expect(await client.call(1, 'echo', payload)).toEqual([Op.Reply, 1, payload]);
      expect(errors).toEqual([]);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

test('a channel with a frame limit below 64 KiB gets a batch limit to match instead of refusing its own defaults', () => {
  const channel = new Channel('small', { url: 'ws://127.0.0.1:1', transport: { name: 'none', connect: () => { throw new Error('unused'); } }, limits: { maxFrameBytes: 16_384 } });
  expect(channel.options.maxBatchBytes).toBe(16_384);
  expect(() => new Channel('big', { url: 'ws://127.0.0.1:1', transport: { name: 'none', connect: () => { throw new Error('unused'); } }, limits: { maxFrameBytes: 16_384 }, maxBatchBytes: 32_768 })).toThrow(
    expect.objectContaining({ code: 'invalid_option' }),
  );
});

describe('allocation bombs: a few bytes declaring millions of elements or gigabytes are refused before msgpack decodes', () => {
  const bombs: [string, number[]][] = [
    ['array32 of 16,777,216 elements', [0xdd, 0x01, 0x00, 0x00, 0x00]],
    ['array32 of 4,294,967,295 elements', [0xdd, 0xff, 0xff, 0xff, 0xff]],
    ['array16 of 65,535 elements in a PUSH', [0x93, 0x04, 0xa1, 0x74, 0xdc, 0xff, 0xff]],
    ['map32 of 4,294,967,295 entries in a PUSH', [0x93, 0x04, 0xa1, 0x74, 0xdf, 0xff, 0xff, 0xff, 0xff]],
    ['str32 of 4 GiB in a PUSH', [0x93, 0x04, 0xa1, 0x74, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x41]],
    ['bin32 of 4 GiB in a REPLY', [0x93, 0x06, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xff]],
    ['ext32 of 4 GiB in a REPLY', [0x93, 0x06, 0x01, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x05]],
    ['str16 longer than the message in a PUSH', [0x93, 0x04, 0xa1, 0x74, 0xda, 0x10, 0x00, 0x41]],
  ];
  // The most lenient limits a codec can have: only the bytes that remain can stop these.
  const lenient = { maxArrayLength: 2 ** 32, maxMapLength: 2 ** 32, maxStringBytes: 2 ** 32, maxBinaryBytes: 2 ** 32, maxExtBytes: 2 ** 32 };

  // That the decoder refuses each at its header, before reading an element, is proven in test/runtime/wire/msgpack-decoder.test.ts
  // (the error names the header's position); here, through the whole codec, with both strict and lenient limits.
  it.each(bombs)('%s', (_name, bytes) => {
    for (const codec of [new FrameCodec(), new FrameCodec(lenient)]) {
      const err = thrown(() => codec.decode(new Uint8Array(bytes)));
      expect(err).toBeInstanceOf(ProtocolError);
      expect(['limit_exceeded', 'malformed']).toContain((err as ProtocolError).code);
    }
  });
});
