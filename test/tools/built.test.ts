import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listSources, readStamp, staleness } from '../../scripts/built';
import { ROOT } from '../support/paths';

// scripts/built.js: `npm start` and `npm run serve` build only when dist/ is older than the sources, and keep the
// build's output off stdout.

describe('staleness', () => {
  const stamp = { files: { 'src/a.ts': 1000, 'server/b.ts': 2000 } };
  const b = { path: 'server/b.ts', mtimeMs: 2000 };
  const a = { path: 'src/a.ts', mtimeMs: 1000 };
  const sources = [b, a];

  it('is nothing when every source is as the stamp recorded it', () => {
    expect(staleness(stamp, sources)).toBeUndefined();
  });

  it.each([
    ['no stamp', undefined, sources, 'no build yet'],
    ['a file modified', stamp, [b, { ...a, mtimeMs: 1001 }], 'src/a.ts changed'],
    ['a file dated earlier', stamp, [b, { ...a, mtimeMs: 999 }], 'src/a.ts changed'],
    ['a file added', stamp, [...sources, { path: 'src/c.ts', mtimeMs: 1 }], 'src/c.ts is new'],
    ['a file removed', stamp, [a], 'server/b.ts was removed'],
  ])('names the reason for %s', (_, given, now, reason) => {
    expect(staleness(given, now)).toBe(reason);
  });
});

describe('node scripts/built.js run, in a package of its own', () => {
  let root: string;
  const launch = (...args: string[]) => spawnSync(process.execPath, [join(root, 'scripts', 'built.js'), 'run', 'dist/entry.js', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'multisocket-built-'));
    mkdirSync(join(root, 'scripts'));
    mkdirSync(join(root, 'src'));
    copyFileSync(join(ROOT, 'scripts', 'built.js'), join(root, 'scripts', 'built.js'));
    writeFileSync(join(root, 'src', 'a.ts'), 'export const a = 1;\n');
    // A build like ours: it prints a `bundle:` line on stdout and stamps dist/ last; BUILD_FAILS makes it fail.
    writeFileSync(
      join(root, 'build.js'),
      `const fs = require('fs');
if (process.env.BUILD_FAILS) process.exit(3);
fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/entry.js', 'process.stdout.write(JSON.stringify({ args: process.argv.slice(2) }) + "\\\\n");');
console.log('bundle: dist/entry.js');
require('child_process').execFileSync(process.execPath, ['scripts/built.js', 'stamp'], { stdio: 'inherit' });
`,
    );
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'built-fixture', private: true, scripts: { build: 'node build.js' } }));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('builds when there is no build, with the build on stderr and only the command on stdout', () => {
    const result = launch('--json');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('{"args":["--json"]}\n');
    expect(result.stderr).toContain('building dist/ first (no build yet)');
    expect(result.stderr).toContain('bundle: dist/entry.js');
    expect(readStamp(root)?.files).toEqual({ 'package.json': expect.any(Number), 'src/a.ts': expect.any(Number) });
  });

  it('skips the build when dist/ is up to date, and builds again once a source changes', () => {
    launch();
    const again = launch('x');
    expect(again.stdout).toBe('{"args":["x"]}\n');
    expect(again.stderr).toBe('');
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src', 'a.ts'), later, later);
    const rebuilt = launch();
    expect(rebuilt.stderr).toContain('building dist/ first (src/a.ts changed)');
    expect(rebuilt.stderr).toContain('bundle: dist/entry.js');
    expect(staleness(readStamp(root), listSources(root))).toBeUndefined();
  });

  it('stops with the build\'s exit code when the build fails, without running the command', () => {
    const result = spawnSync(process.execPath, [join(root, 'scripts', 'built.js'), 'run', 'dist/entry.js'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, BUILD_FAILS: '1' },
    });
    expect(result.status).toBe(3);
    expect(result.stdout).toBe('');
  });
});
