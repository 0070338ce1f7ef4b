import { OptionError } from '../scripts/command-line';

/** The faults `--faults` asks for: how often each happens, per player per minute. */
export interface FaultRates {
  readonly drop: number;
  readonly background: number;
  readonly offline: number;
}

export type FaultKind = keyof FaultRates;

const NO_FAULTS: FaultRates = Object.freeze({ drop: 0, background: 0, offline: 0 });

/** How long a player stays hidden (past the platform's 5 s cut) and offline, ms. */
export const BACKGROUND_MS = 8_000;
export const OFFLINE_MS = 3_000;

/**
 * `--faults drop=0.1,background=0.05,offline=0.05`: each kind at most once, a rate of at least 0; unnamed kinds 0.
 * @throws {OptionError} naming the part it cannot read.
 */
export function parseFaults(text: string | undefined): FaultRates {
  if (text === undefined) return NO_FAULTS;
  const rates: Record<string, number> = { ...NO_FAULTS };
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const match = /^\s*(\w+)\s*=\s*([0-9.]+)\s*$/.exec(part);
    const kind = match?.[1];
    const rate = Number(match?.[2]);
    if (!match || kind === undefined || !(kind in NO_FAULTS) || seen.has(kind) || !Number.isFinite(rate)) {
      throw new OptionError('invalid_option', '--faults', `--faults: cannot read "${part}" (kinds: drop, background, offline, each once, e.g. drop=0.1)`);
    }
    seen.add(kind);
    rates[kind] = rate;
  }
  return rates as unknown as FaultRates;
}

/** The fault that strikes a player in a step of `seconds` (rates are per minute), or undefined; `random` in [0, 1). */
export function faultIn(rates: FaultRates, seconds: number, random: () => number): FaultKind | undefined {
  let r = random();
  for (const kind of ['drop', 'background', 'offline'] as const) {
    const p = (rates[kind] * seconds) / 60;
    if (r < p) return kind;
    r -= p;
  }
  return undefined;
}
