import { ROOT } from '../../support/paths';
import { readFileSync } from 'fs';
import { join } from 'path';
import { FrameCodec } from '../../../src/wire/codec';
import { ProtocolError } from '../../../src/errors';
import type { Frame } from '../../../src/wire/protocol';

// The vectors live in PROTOCOL.md, the document other implementations are written from, so doc and codec cannot drift.
const doc = readFileSync(join(ROOT, 'PROTOCOL.md'), 'utf8');

function block(name: string): string[][] {
  const match = new RegExp('```' + name + '\\n([\\s\\S]*?)```').exec(doc);
  if (!match) throw new Error(`PROTOCOL.md has no \`\`\`${name} block`);
  return (match[1] as string)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(' | ').map((part) => part.trim()));
}

function hexBytes(hex: string): ArrayBuffer {
  return new Uint8Array(hex.split(/\s+/).map((h) => parseInt(h, 16))).buffer;
}

function hex(buffer: ArrayBuffer): string {
  return Buffer.from(buffer).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

const codec = new FrameCodec();
const valid = block('vectors');
const invalid = block('invalid-vectors');

it('PROTOCOL.md holds a vector for every opcode', () => {
  const ops = new Set<number>();
  for (const [, json] of valid) {
    const parsed = JSON.parse(json as string) as unknown[];
    for (const frame of Array.isArray(parsed[0]) ? (parsed as unknown[][]) : [parsed]) ops.add(frame[0] as number);
  }
  expect([...ops].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(invalid.length).toBeGreaterThanOrEqual(10);
});

describe.each(valid)('vector: %s', (_name, json, bytes) => {
  const parsed = JSON.parse(json as string) as unknown[];
  const frames = (Array.isArray(parsed[0]) ? parsed : [parsed]) as Frame[];

  it('encodes to exactly these bytes', () => {
    expect(hex(codec.encode(...frames))).toBe(bytes);
  });

  it('decodes from these bytes to the frame', () => {
    expect(codec.decode(hexBytes(bytes as string))).toEqual(frames);
  });
});

describe.each(invalid)('invalid vector: %s', (_name, bytes, code) => {
  it(`is refused with ProtocolError ${code}`, () => {
    let caught: unknown;
    try {
      codec.decode(hexBytes(bytes as string));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).code).toBe(code);
  });
});
