import { execFileSync } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { installPacked, nodeIn, type PackedProject } from '../support/packed';

// Strict TypeScript in a stranger's project against the packed tarball (test/support/packed.ts), with each module
// resolution a project may use: node10 (`typesVersions` finds the subpaths), node16 from CommonJS (.cts) and from an
// ES module (.mts), and bundler. Each file imports every runtime export of every public entry by name, so an export
// without a declaration, or an entry TypeScript cannot resolve, fails to compile; the library's .d.ts are checked too
// (no skipLibCheck).
let project: PackedProject;
let source: string;

const TSC = require.resolve('typescript/bin/tsc');

beforeAll(() => {
  project = installPacked();
  const names = JSON.parse(
    nodeIn(project, ['-p', `JSON.stringify(Object.fromEntries(${JSON.stringify(project.entries)}.map((e) => [e, Object.keys(require(e))])))`]),
  ) as Record<string, string[]>;
  const imports = Object.entries(names).map(
    ([entry, exported], i) => `import { ${exported.map((name) => `${name} as e${i}_${name}`).join(', ')} } from '${entry}';`,
  );
  const values = Object.entries(names).flatMap(([, exported], i) => exported.map((name) => `e${i}_${name}`));
  source = `${imports.join('\n')}
import { ConnectionManager, UsageError, webSocketTransport, type Channel } from 'multisocket';
import { chatChannel, type ChatChannel } from 'multisocket/channels';
import { createServer, type ReferenceServer } from 'multisocket/server';

export const everything: readonly unknown[] = [${values.join(', ')}];

export function codeOf(err: unknown): string | undefined {
  return err instanceof UsageError ? err.code : undefined;
}

export function wire(WebSocketCtor: Parameters<typeof webSocketTransport>[0], url: string): [Channel, ChatChannel] {
  const manager = new ConnectionManager({ transport: webSocketTransport(WebSocketCtor) });
  const chat = chatChannel({ manager, url });
  return [manager.open('game', { url }), chat];
}

export const server: ReferenceServer = createServer({ port: 0 });
`;
});

afterAll(() => project.remove());

const STRICT = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  skipLibCheck: false,
  noEmit: true,
  target: 'ES2022',
  lib: ['ES2022'],
  types: ['node'],
};

/** Writes `files` and a tsconfig.`name`.json with `options` into the project, runs tsc; its output ('' when clean). */
function compile(name: string, options: Record<string, unknown>, files: string[]): string {
  for (const file of files) writeFileSync(join(project.dir, file), source);
  const config = `tsconfig.${name}.json`;
  writeFileSync(join(project.dir, config), JSON.stringify({ compilerOptions: { ...STRICT, ...options }, files }, null, 2));
  try {
    execFileSync(process.execPath, [TSC, '-p', config], { cwd: project.dir, encoding: 'utf8', timeout: 60_000 });
    return '';
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    return `${stdout ?? ''}${stderr ?? ''}` || String(err);
  }
}

// Each case type-checks @types/node too (no skipLibCheck): about 10 s on a quiet machine.
const SLOW_MS = 120_000;

describe('strict TypeScript against the installed package', () => {
  it('compiles with moduleResolution node10 (CommonJS)', () => {
    expect(compile('node10', { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0' }, ['node10.ts'])).toBe('');
  }, SLOW_MS);

  it('compiles with moduleResolution node16, from CommonJS and from an ES module', () => {
    expect(compile('node16', { module: 'node16', moduleResolution: 'node16' }, ['node16.cts', 'node16.mts'])).toBe('');
  }, SLOW_MS);

  it('compiles with moduleResolution bundler', () => {
    expect(compile('bundler', { module: 'preserve', moduleResolution: 'bundler' }, ['bundler.ts'])).toBe('');
  }, SLOW_MS);
});
