import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ROOT } from './paths';

/** The fields of the packed package.json the package tests read. */
interface PackedManifest {
  name: string;
  license: string;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  sideEffects: boolean | string[];
  repository?: { type: string; url: string };
  keywords?: string[];
}

/** An empty project of a stranger's, with the packed tarball installed in it as `npm install multisocket` would. */
export interface PackedProject {
  /** The project's folder: run `node`, `tsc` or esbuild here. */
  dir: string;
  /** The tarball's files, as `npm pack` listed them (paths inside the package). */
  files: { path: string; size: number }[];
  /** The installed package.json. */
  manifest: PackedManifest;
  /** The import specifiers of the public entries (`multisocket`, `multisocket/server`, ...), from `exports`. */
  entries: string[];
  /** The installed package's folder. */
  packageDir: string;
  /** Deletes the project and the tarball. */
  remove(): void;
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Packs the BUILT package (npm test builds first) with `npm pack` and installs the tarball with `npm install` into a
 * new empty project in the system's temp folder. Offline: the package's dependencies and peers (and their `@types`)
 * are installed from this repository's node_modules as folder links, since the npm cache holds their metadata but
 * not always their tarballs; the tarball itself is installed as a registry would give it (its `files`, its `bin`).
 */
export function installPacked(): PackedProject {
  const tmp = mkdtempSync(join(tmpdir(), 'multisocket-packed-'));
  try {
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], ROOT)) as {
      filename: string;
      files: { path: string; size: number }[];
    }[];
    if (packed === undefined) throw new Error('npm pack listed no tarball');
    const dir = join(tmp, 'project');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'stranger', version: '1.0.0', private: true }, null, 2)}\n`);
    const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackedManifest;
    const names = [...Object.keys(own.dependencies ?? {}), ...Object.keys(own.peerDependencies ?? {})];
    const links = [...names, ...names.map((name) => `@types/${name}`), '@types/node']
      .map((name) => join(ROOT, 'node_modules', name))
      .filter((path) => existsSync(join(path, 'package.json')));
    run('npm', ['install', join(tmp, packed.filename), ...links, '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], dir);
    const packageDir = join(dir, 'node_modules', 'multisocket');
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as PackedManifest;
    const entries = Object.keys(manifest.exports)
      .filter((key) => key !== './package.json')
      .map((key) => `${manifest.name}${key.slice(1)}`);
    return { dir, files: packed.files, manifest, entries, packageDir, remove: () => rmSync(tmp, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Runs `node` in the project with `args`; its stdout. */
export function nodeIn(project: PackedProject, args: string[]): string {
  return run(process.execPath, args, project.dir);
}
