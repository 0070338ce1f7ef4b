import { existsSync, readFileSync } from 'fs';
import { dirname, join } from 'path';

/**
 * The folder holding multisocket's package.json, found by walking up from `from`, so a script finds it both as
 * scripts/*.ts (ts-jest) and as dist/scripts/*.js (after the build).
 * @throws {Error} when no multisocket package.json is above `from`.
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'multisocket') return dir;
    if (dirname(dir) === dir) throw new Error(`no multisocket package.json above ${from}`);
  }
}
