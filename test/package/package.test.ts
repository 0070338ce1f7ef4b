import { readFileSync } from 'fs';
import { join } from 'path';
import * as runtime from '../../src';
import { installPacked, nodeIn, type PackedProject } from '../support/packed';
import { topLevelEffects } from '../support/top-level-effects';

// What a user of the published package gets: the BUILT dist/ (npm test builds first), packed with `npm pack` and
// installed into an empty project, then required from a fresh Node there. package-esm.test.ts imports it, and
// package-types.test.ts compiles against it.
//
// Adding an entry (e.g. `./server/redis`): one key in package.json `exports`, `{ "types", "default" }` for a Node-only
// entry (plus `"module"` before `"default"` for one a bundler builds for a browser or a device, pointing at dist/esm),
// and the same subpath in `typesVersions` for TypeScript's node10 resolution. These tests read `exports`, so the new
// entry is required, imported and compiled without a change here.
let project: PackedProject;

beforeAll(() => {
  project = installPacked();
});

afterAll(() => project.remove());

describe('the packed tarball', () => {
  it('holds what a user runs: the builds, the types, the docs and the licence; no tooling, tests or source maps', () => {
    // Of the tooling, only the two helpers multisocket-loadtest runs on (its command line and the quantile).
    const helpers = ['dist/benchmarks/measure.js', 'dist/scripts/command-line.js'];
    const shipped = new Set(project.files.map((f) => (helpers.includes(f.path) ? f.path : f.path.split('/').slice(0, f.path.startsWith('dist/') ? 2 : 1).join('/'))));
    expect([...shipped].sort()).toEqual([
      'CHANGELOG.md', 'LICENSE', 'PROTOCOL.md', 'README.md',
      'dist/benchmarks/measure.js', 'dist/channels', 'dist/esm', 'dist/loadtest', 'dist/miniprogram', 'dist/multisocket.global.js',
      'dist/multisocket.min.js', 'dist/scripts/command-line.js', 'dist/server', 'dist/src',
      'package.json',
    ]);
    expect(project.files.filter((f) => f.path.endsWith('.map'))).toEqual([]);
    // Nothing points at a source map the package does not ship.
    const js = project.files.filter((f) => f.path.endsWith('.js'));
    expect(js.filter((f) => readFileSync(join(project.packageDir, f.path), 'utf8').includes('sourceMappingURL'))).toEqual([]);
  });

  it('carries the MIT licence package.json names, a repository and keywords', () => {
    const licence = readFileSync(join(project.packageDir, 'LICENSE'), 'utf8');
    expect(project.manifest.license).toBe('MIT');
    expect(licence).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the multisocket authors\n/);
    expect(project.manifest.repository).toEqual({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/.+\.git$/) });
    expect(project.manifest.keywords).toEqual(expect.arrayContaining(['websocket', 'wechat', 'minigame', 'msgpack']));
  });

  it('declares as side effects exactly the modules that act when loaded, so bundlers drop the rest', () => {
    const acting = project.files
      .filter((f) => f.path.endsWith('.js'))
      .filter((f) => {
        const code = readFileSync(join(project.packageDir, f.path), 'utf8');
        return topLevelEffects(code, f.path.startsWith('dist/esm/') ? 'module' : 'script').length > 0;
      })
      // The bundle files are minified CommonJS wrappers (`module.exports = ...` after helpers) and the global build a
      // plain script that defines `multisocket`: judged by the ESM build they are made from, which a bundler would take
      // instead (no bundler imports a file that no `exports` condition names).
      .filter((f) => !f.path.startsWith('dist/miniprogram/') && !/^dist\/multisocket\.(min|global)\.js$/.test(f.path))
      .map((f) => `./${f.path}`);
    const declared = project.manifest.sideEffects === false ? [] : project.manifest.sideEffects;
    expect(declared).toEqual(acting.sort());
  });
});

describe('require() of the installed package', () => {
  it('gives every public entry, each export defined, the runtime all of its source index', () => {
    const out = nodeIn(project, [
      '-e',
      `const result = {};
       for (const entry of ${JSON.stringify(project.entries)}) {
         const loaded = require(entry);
         result[entry] = { count: Object.keys(loaded).length, undefined: Object.keys(loaded).filter((k) => loaded[k] === undefined) };
       }
       console.log(JSON.stringify(result));`,
    ]);
    const result = JSON.parse(out) as Record<string, { count: number; undefined: string[] }>;
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['multisocket', 'multisocket/channels', 'multisocket/server']));
    for (const entry of Object.values(result)) expect(entry).toEqual({ count: expect.any(Number), undefined: [] });
    for (const entry of Object.values(result)) expect(entry.count).toBeGreaterThan(0);
    expect(result['multisocket']?.count).toBe(Object.keys(runtime).length);
  });

  it('the runtime entry does not load Node built-ins or the server', () => {
    const out = nodeIn(project, [
      '-e',
      `const Module = require('module'); const seen = [];
       const load = Module._load; Module._load = function (req, ...rest) { seen.push(req); return load.call(this, req, ...rest); };
       require('multisocket'); require('multisocket/channels');
       console.log(JSON.stringify(seen.filter((r) => Module.builtinModules.includes(r.replace(/^node:/, '')) || /ws$|server/.test(r))));`,
    ]);
    expect(JSON.parse(out)).toEqual([]);
  });

  // npm start (now the demo, dist/scripts/start.js) is run by test/tools/demo.test.ts.
});
