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
