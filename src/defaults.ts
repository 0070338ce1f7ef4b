import { UsageErrorCode } from './codes';
import { UsageError } from './errors';

/**
 * Resolves options once: `defaults`, overridden by the fields of `partial` that are defined (an explicit `undefined`
 * means "the default", as it does for optional parameters).
 */
export function withDefaults<T extends object>(defaults: Readonly<T>, partial: Readonly<Partial<T>> | undefined): T {
  const out = Object.assign({}, defaults) as T;
  if (partial) {
    for (const key of Object.keys(partial) as (keyof T)[]) {
      const value = partial[key];
      if (value !== undefined) out[key] = value as T[keyof T];
    }
  }
  return out;
}

/**
 * Refuses option names that are not in `known` (a typo such as `hearbeat` would otherwise be ignored and leave the
 * default in place), naming the nearest known one. Names whose value is `undefined` are ignored too.
 * @param where what the options belong to, for the message: `channel "game"`, `createServer`.
 * @throws {UsageError} `invalid_option`: `unknown option hearbeat of channel "game" (did you mean heartbeat?)`.
 */
export function checkOptionNames(where: string, options: object | undefined, known: readonly string[], prefix = ''): void {
  if (options === null || typeof options !== 'object') return;
  for (const name of Object.keys(options)) {
    if (known.includes(name) || (options as Record<string, unknown>)[name] === undefined) continue;
    const nearest = nearestName(name, known);
    const hint = nearest ? `did you mean ${prefix}${nearest}?` : `known: ${known.map((k) => prefix + k).join(', ')}`;
    throw new UsageError(UsageErrorCode.InvalidOption, `unknown option ${prefix}${name} of ${where} (${hint})`);
  }
}

/** The known name closest to `name` (edit distance, case ignored), if close enough to be the intended one. */
function nearestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Up to a third of the name may be wrong (maxSocket, hearbeat, prot: 1 each); further off, the list helps more.
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        (rows[0] as number[]).push(j);
        continue;
      }
      const row = rows[i] as number[];
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row.push(d);
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}
