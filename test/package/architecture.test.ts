import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/paths';

// ARCHITECTURE.md is the map a newcomer reads first: every file, folder and `file:function` it names must exist, so
// a rename that forgets the page fails here instead of misleading the next reader.
const page = readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
const code = [...page.matchAll(/`([^`\s]+)`/g)].map((m) => m[1] as string);

/** `path/file.ts:name` and the `name` that follows as `` / `other` `` on the same step. */
function namedFunctions(): { file: string; name: string }[] {
  const found: { file: string; name: string }[] = [];
  for (const step of page.split(/\n(?=\d+\. |- )/)) {
    for (const m of step.matchAll(/`([\w/.-]+\.ts):(\w+)`((?:\s*\/\s*`\w+`)*)/g)) {
      const file = m[1] as string;
      found.push({ file, name: m[2] as string });
      for (const more of (m[3] ?? '').matchAll(/`(\w+)`/g)) found.push({ file, name: more[1] as string });
    }
  }
  return found;
}

/** Whether `name` is defined in `source`: a function, a method, a class or an exported const. */
function defines(source: string, name: string): boolean {
  return new RegExp(`(function ${name}\\b|class ${name}\\b|const ${name}\\b|^\\s+(?:private |protected |public |static |readonly |async |get )*${name}(?:<[^>]*>)?\\()`, 'm').test(source);
}

describe('ARCHITECTURE.md', () => {
  const functions = namedFunctions();

  it('names the path of a frame in and out by file:function', () => {
    expect(functions.length).toBeGreaterThan(20);
  });

  it.each(functions.map((f) => [`${f.file}:${f.name}`, f] as const))('%s exists', (_, { file, name }) => {
    const path = join(ROOT, file);
    expect(existsSync(path)).toBe(true);
    expect(defines(readFileSync(path, 'utf8'), name)).toBe(true);
  });

  it('every file and folder it names exists', () => {
    const paths = code.filter((c) => /^(src|server|channels|loadtest|emulator|scripts|benchmarks|test)\//.test(c) && !c.includes(':') && !c.includes('<'));
    expect(paths.length).toBeGreaterThan(10);
    const missing = paths.filter((p) => !existsSync(join(ROOT, p)));
    expect(missing).toEqual([]);
  });

  it('every file a layer row lists exists in that folder', () => {
    const missing: string[] = [];
    for (const row of page.split('\n').filter((line) => line.startsWith('| `'))) {
      const folder = /^\| `([\w/]+\/)`/.exec(row)?.[1];
      if (!folder || !statSync(join(ROOT, folder), { throwIfNoEntry: false })?.isDirectory()) continue;
      const cells = row.split('|')[2] ?? '';
      for (const m of cells.matchAll(/`([\w./-]+\.ts|[\w-]+\/)`/g)) {
        const name = m[1] as string;
        // A path from the root (`src/index.ts`) is checked by the test above.
        if (/^(src|server|channels)\//.test(name)) continue;
        if (!existsSync(join(ROOT, folder, name))) missing.push(`${folder}${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
