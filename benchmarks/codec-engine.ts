/*
 * The codec round trip of FrameCodec and msgpackr in a process of its own, so the engine can be changed: run as
 * `node --jitless dist/benchmarks/codec-engine.js` it stands in for an engine without a JIT (JavaScriptCore on iOS);
 * with `--device` the host's TextEncoder, TextDecoder and Buffer are removed first, as on a WeChat device, so both
 * codecs take their plain-JavaScript UTF-8 paths. Prints one JSON line: per payload key, each round's frames/s of both.
 */
import { commandLineOrExit, integerOption, readCommandLine } from '../scripts/command-line';
import { interleavedRound, opsPerSecond } from './measure';

const USAGE = `usage: node [--jitless] dist/benchmarks/codec-engine.js [--device] [--rounds=N] [--slices=N] [--slice-ms=N]
  --device      remove TextEncoder, TextDecoder and Buffer before loading either codec
  --rounds=N    measured rounds (default 5); --slices=N turns per round (default 4); --slice-ms=N (default 25)`;

/** Each payload's rounds: frames/s of FrameCodec and of msgpackr, measured interleaved. */
export type EngineRates = Record<string, { ours: number[]; msgpackr: number[] }>;

async function main(): Promise<void> {
  const options = commandLineOrExit('codec-engine', USAGE, () => {
    const line = readCommandLine(process.argv.slice(2), {
      device: { type: 'boolean' },
      rounds: { type: 'string' },
      slices: { type: 'string' },
      'slice-ms': { type: 'string' },
    });
    if (line === 'help') return line;
    const { values } = line;
    return {
      device: values.device === true,
      rounds: integerOption('--rounds', values.rounds, 5, 1, 100),
      slices: integerOption('--slices', values.slices, 4, 1, 100),
      sliceMs: integerOption('--slice-ms', values['slice-ms'], 25, 1, 1000),
    };
  });
  if (options.device) {
    const host = globalThis as { TextEncoder?: unknown; TextDecoder?: unknown; Buffer?: unknown };
    delete host.TextEncoder;
    delete host.TextDecoder;
    delete host.Buffer;
  }
  // Loaded only now: msgpackr looks for TextDecoder and Buffer when its module loads.
  const { WORKLOADS, frameCodecOp, msgpackrOp, sink } = await import('./codec-ops');
  const rates: EngineRates = {};
  for (const workload of WORKLOADS) {
    const ops = [frameCodecOp(workload), msgpackrOp(workload)];
    for (const op of ops) opsPerSecond(op, 4 * options.sliceMs);
    const result = { ours: [] as number[], msgpackr: [] as number[] };
    for (let round = 0; round < options.rounds; round++) {
      const [ours, theirs] = interleavedRound(ops, options.slices, options.sliceMs);
      result.ours.push(ours as number);
      result.msgpackr.push(theirs as number);
    }
    rates[workload.key] = result;
  }
  if (sink.value === 0) throw new Error('codec-engine: nothing was encoded');
  process.stdout.write(`${JSON.stringify(rates)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`codec-engine: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
