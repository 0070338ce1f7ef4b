import { ROOT } from '../support/paths';
import { join } from 'node:path';
import { fuzzChannel } from '../../scripts/fuzz-channel';
import { fuzzDecoder } from '../../scripts/fuzz-decoder';
import { loadCorpus } from '../../scripts/fuzz-corpus';
import { FUZZ_KINDS, FUZZ_SEED, type FuzzKind, fuzzSource } from '../../scripts/fuzz-inputs';
import { fuzzServer } from '../../scripts/fuzz-server';
import type { FuzzReport } from '../../scripts/fuzz-tally';
import { FrameCodec } from '../../src/wire/codec';

// The quick form of `npm run fuzz` (same seed, same generator, fewer inputs): every kind of hostile input, many times
// over, against the client decoder, a Channel behind a hostile server, and a live reference server.
const corpus = loadCorpus(join(ROOT, 'test', 'fuzz-corpus'));
const source = fuzzSource(corpus, FUZZ_SEED);

/** Kinds that must never be accepted, whoever receives them. */
const ALWAYS_REFUSED: FuzzKind[] = ['truncation', 'wrong-type', 'wrong-arity', 'bad-integer', 'huge-length', 'unknown-op', 'batch', 'oversized', 'text'];

function expectEveryKind(report: FuzzReport, perKind: number): void {
  expect(Object.keys(report.byKind).sort()).toEqual([...FUZZ_KINDS].sort());
  for (const kind of FUZZ_KINDS) expect(report.byKind[kind]).toBe(perKind);
}

test('the seed corpus is small and valid: one single-frame message per opcode, and a batch', () => {
  const codec = new FrameCodec();
  expect(corpus.length).toBeLessThanOrEqual(16);
  for (const entry of corpus) expect(codec.decode(entry.bytes)).toHaveLength(entry.frames.length);
  const ops = corpus.filter((e) => e.frames.length === 1).map((e) => e.frames[0]?.[0]);
  expect(new Set(ops)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
});

test('inputs depend only on the seed and their index, and every kind comes in turn', () => {
  const again = fuzzSource(corpus, FUZZ_SEED);
  const other = fuzzSource(corpus, FUZZ_SEED + 1);
  const sample = [0, 1, 14, 15, 777, 99_999];
  expect(sample.map((i) => again(i))).toEqual(sample.map((i) => source(i)));
  expect(sample.map((i) => other(i).data)).not.toEqual(sample.map((i) => source(i).data));
  expect(Array.from({ length: FUZZ_KINDS.length }, (_, i) => source(i).kind)).toEqual([...FUZZ_KINDS]);
});

test('the client decoder refuses every hostile input with a ProtocolError of the expected code, and carries on', () => {
  const report = fuzzDecoder(source, 0, 6_000);

  expect(report.violations).toEqual([]);
  expectEveryKind(report, 400);
  for (const kind of ALWAYS_REFUSED) expect(report.outcomesByKind[kind]?.accepted).toBeUndefined();
  // Every decode error code a hostile message can earn shows up, so every refusal path ran.
  expect(Object.keys(report.outcomes).sort()).toEqual(
    ['accepted', 'bad_frame', 'frame_too_large', 'limit_exceeded', 'malformed', 'text_message', 'unknown_op'].sort(),
  );
  expect(report.outcomesByKind['deep-nesting']).toMatchObject({ accepted: expect.any(Number), limit_exceeded: expect.any(Number) });
  expect(report.outcomesByKind['proto-key']).toMatchObject({ accepted: expect.any(Number), malformed: expect.any(Number) });
});

test('a channel behind a hostile server reports each refused message as one ProtocolError and keeps its stream', async () => {
  const report = await fuzzChannel(source, 0, 1_500);

  expect(report.violations).toEqual([]);
  expectEveryKind(report, 100);
  // During the handshake a refused message fails the attempt and the channel reconnects; after WELCOME it goes on.
  const handshakeRefusals = Object.keys(report.outcomes).filter((o) => o.endsWith('(handshake, reconnected)'));
  expect(handshakeRefusals.length).toBeGreaterThan(3);
  expect(report.outcomes.frame_too_large).toBeGreaterThan(0);
  for (const kind of ALWAYS_REFUSED) {
    expect(Object.keys(report.outcomesByKind[kind] ?? {}).filter((o) => o.startsWith('accepted'))).toEqual([]);
  }
  // Every protocol error emitted is counted in stats(), and the other way round.
  expect(report.extra['protocol errors in stats()']).toBe(report.extra['protocol errors emitted']);
});

test('a live server answers every hostile input with BYE 4400 and a close (1009 past maxPayload), or carries on', async () => {
  const report = await fuzzServer(source, 0, 1_500, { concurrency: 4 });

  expect(report.violations).toEqual([]);
  expectEveryKind(report, 100);
  for (const kind of ALWAYS_REFUSED) expect(report.outcomesByKind[kind]?.alive).toBeUndefined();
  expect(report.outcomesByKind.oversized).toEqual({ 'close 4400': expect.any(Number), 'close 1009': expect.any(Number) });
  expect(report.outcomes.alive).toBeGreaterThan(0);
  expect([report.extra['server connections left'], report.extra['server sessions left']]).toEqual([0, 0]);
});
