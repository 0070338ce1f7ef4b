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

/**
 * The entries of a `Map` that are encoded (those whose value is not `undefined`), after checking that its keys can be
 * the property names they arrive as: strings and numbers, never `__proto__`, no two naming the same property.
 */
export function mapSize(map: Map<unknown, unknown>): number {
  const names = new Set<string>();
  let size = 0;
  for (const [key, item] of map) {
    const step = `[${describeKey(key)}]`;
    if (typeof key !== 'string' && typeof key !== 'number') {
      throw within(new Refusal(`a Map key must be a string or a number (it arrives as a property name), got a ${key === null ? 'null' : typeof key}`), step);
    }
    const name = String(key);
    if (name === '__proto__') throw within(new Refusal('the Map key "__proto__" cannot be a property name'), step);
    if (names.has(name)) throw within(new Refusal(`two Map keys name the property "${name}"`), step);
    names.add(name);
    if (item !== undefined) size++;
  }
  return size;
}
