/*
 * The fuzzer's seed corpus: a handful of valid messages (test/fuzz-corpus/*.hex, one per opcode and a batch) that the
 * mutating input kinds start from.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMulti } from '@msgpack/msgpack';

/** A valid message of the seed corpus, with its frames. */
export interface CorpusEntry {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly frames: readonly unknown[][];
}

/** Reads `*.hex` files (hex pairs, `#` comments) from `dir`, sorted by name. */
export function loadCorpus(dir: string): CorpusEntry[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.hex'))
    .sort()
    .map((name) => {
      const hex = readFileSync(join(dir, name), 'utf8').replace(/#.*$/gm, '').replace(/\s+/g, '');
      if (!/^([0-9a-f]{2})+$/i.test(hex)) throw new Error(`fuzz corpus ${name}: not hex pairs`);
      const bytes = Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
      return { name: name.slice(0, -4), bytes, frames: [...decodeMulti(bytes)] as unknown[][] };
    });
}
