import { describeError } from '../../errors';

/** Why a value cannot be encoded; `path` grows as the refusal unwinds through the containers that hold the value. */
export class Refusal {
  path = '';
  constructor(readonly reason: string) {}
}

/** Adds one step (`[3]`, `.name`) in front of a refusal's path; anything else thrown (a getter's error) becomes one. */
export function within(err: unknown, step: string): Refusal {
  const refusal = err instanceof Refusal ? err : refusalOf(err);
  refusal.path = step + refusal.path;
  return refusal;
}

/** Anything thrown while encoding (a getter's error, say) as a refusal. */
export function refusalOf(err: unknown): Refusal {
  return new Refusal(describeError(err));
}

/** A Map key as a refusal's path shows it. */
export function describeKey(key: unknown): string {
  return typeof key === 'string' ? JSON.stringify(key) : typeof key === 'number' ? String(key) : `<${typeof key}>`;
}
