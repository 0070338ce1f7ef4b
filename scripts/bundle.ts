/*
 * The second half of `npm run build`, after tsc has written the CommonJS + .d.ts build (run as dist/scripts/bundle.js):
 *
 * - dist/multisocket.min.js: the runtime (src/, with its own msgpack codec) and the presets (channels/), no dependency,
 *   in one minified CommonJS file, which a mini-game copies into its project and `require`s.
 * - dist/multisocket.global.js: the same content as a plain script (an IIFE) that defines the global `multisocket`,
 *   for engines that load plugin scripts without a module system (Cocos Creator plugin scripts, LayaAir libraries).
 * - dist/miniprogram/: that same file as index.js (and channels.js), the folder package.json's `miniprogram` field
 *   names, which WeChat DevTools' "build npm" copies as is into miniprogram_npm/multisocket/.
 * - dist/esm/: the runtime and the presets as ES modules, one file per source file, for bundlers (H5 builds), which
 *   find them under package.json's `module` condition; dist/esm/package.json marks them as modules. Node's `import`
 *   takes the CommonJS build, as `require` does, so one process never holds two copies of a class.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { join, relative, resolve } from 'path';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { minify } from 'terser';
import { packageRoot } from './package-root';
import { privateNamesPattern } from './private-names';

/**
 * The syntax level of the single-file bundle. ES2017 keeps async/await (iOS 11+, every Android WebView WeChat
 * still supports) and lowers what older base libraries and JavaScriptCore builds reject: object spread/rest (2018),
 * optional catch binding (2019), `?.` and `??` (2020), class fields (2022). A dropped-in file is not recompiled by
 * DevTools' "ES6 to ES5" when it is excluded or minified code is skipped, so it must run as shipped.
 */
export const BUNDLE_TARGET = 'es2017';

/** The syntax level of dist/esm: the CommonJS build's (tsconfig.base.json); a bundler lowers it further if needed. */
export const ESM_TARGET = 'es2019';

/**
 * What the runtime (src/index.ts) exports that the device bundle leaves out: they serve browsers and Node, never a
 * mini-game, and each would add its module to every mini-game's download (1.1 KB min+gzip together). H5 builds and
 * Node get them from the npm package (`multisocket`, `dist/esm`).
 * - `webSocketTransport`: the standard `WebSocket`; a mini-game has `wx.connectSocket` (`wxTransport`).
 * - `ensureTextCodec`, `Utf8Encoder`, `Utf8Decoder`: a UTF-8 `TextEncoder`/`TextDecoder` stand-in for the
 *   application's own code; the runtime itself never needs one.
 */
export const WEB_ONLY_EXPORTS: readonly string[] = ['webSocketTransport', 'ensureTextCodec', 'Utf8Encoder', 'Utf8Decoder'];

/** The runtime's values the device bundle exports: src/index.ts's, but {@link WEB_ONLY_EXPORTS}. */
export const DEVICE_EXPORTS: readonly string[] = [
  'CHANNEL_OPTION_NAMES', 'Channel', 'ChannelState', 'CloseCode', 'ConnectionManager', 'DisconnectedError', 'DisconnectedErrorCode', 'Emitter',
  'FailureCause', 'FrameCodec', 'ListenerError', 'ListenerErrorCode', 'MultisocketError', 'Op', 'PLATFORM_FAILURES', 'PROTOCOL_VERSION', 'ProtocolError',
  'ProtocolErrorCode', 'QueueFullError', 'QueueFullErrorCode', 'RemoteError', 'StateReason', 'SubscriberError',
  'SubscriberErrorCode', 'TimeoutError', 'TimeoutErrorCode', 'Timer', 'TransportError', 'TransportErrorCode',
  'UsageError', 'UsageErrorCode', 'alipayTransport', 'backoffDelay', 'checkOptionNames', 'diagnoseFailure', 'isTerminalCloseCode', 'systemClock', 'wxLifecycle', 'wxTransport',
];

/** Where the bundle lands, relative to the package root. */
export const BUNDLE_FILE = join('dist', 'multisocket.min.js');

/**
 * Where the global build lands, relative to the package root: the one-file bundle's content as an ES2017 script that
 * defines {@link GLOBAL_NAME}. The size ceiling (scripts/size.ts) measures {@link BUNDLE_FILE} only: this is the same
 * code in another wrapper, which a game ships instead of it, never beside it.
 */
export const GLOBAL_BUNDLE_FILE = join('dist', 'multisocket.global.js');

/** The global the global build defines. */
export const GLOBAL_NAME = 'multisocket';

/** What would need code generation from strings, which devices forbid. */
const CODEGEN = /\beval\s*\(|\bFunction\s*\(/g;

/** The places in `code` that would generate code from strings (`eval(`, `Function(` / `new Function(`). */
export function findCodegen(code: string): string[] {
  return [...code.matchAll(CODEGEN)].map((m) => code.slice(Math.max(0, m.index - 30), m.index + 30));
}

/** esbuild options of the single-file bundle; `write: false` and a metafile let scripts/size.ts analyse it. */
export function singleFileOptions(root: string): BuildOptions {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; license: string };
  return {
    stdin: {
      // Everything a mini-game needs from one require: the runtime, then the presets (built only from its exports).
      contents: `export { ${DEVICE_EXPORTS.join(', ')} } from './src/index';\nexport * from './channels/index';\n`,
      resolveDir: root,
      sourcefile: 'multisocket-bundle.ts',
      loader: 'ts',
    },
    bundle: true,
    format: 'cjs',
    platform: 'neutral',
    // Private member names shortened like local variables (scripts/private-names.ts decides which are safe).
    mangleProps: privateNamesPattern(root),
    // ESM builds of any dependency first: they tree-shake better than CommonJS ones.
    mainFields: ['module', 'main'],
    target: BUNDLE_TARGET,
    minify: true,
    // Non-ASCII as \u escapes: the file reads the same whatever encoding a tool assumes.
    charset: 'ascii',
    banner: {
      js: `/*! multisocket ${pkg.version} | ${pkg.license} | no dependencies */`,
    },
    legalComments: 'none',
    outfile: join(root, BUNDLE_FILE),
    logLevel: 'warning',
  };
}

/** Writes `code` to `file` (relative to `root`). @throws {Error} when it would generate code from strings. */
function writeBundle(root: string, file: string, code: string): void {
  mkdirSync(join(root, 'dist'), { recursive: true });
  const codegen = findCodegen(code);
  if (codegen.length > 0) throw new Error(`${file} would generate code from strings: ${codegen.join(' | ')}`);
  writeFileSync(join(root, file), code);
}

/**
 * Writes dist/multisocket.min.js and dist/miniprogram/.
 * @throws {Error} when the output would generate code from strings.
 */
export async function buildSingleFile(root: string): Promise<Metafile | undefined> {
  const result = await build({ ...singleFileOptions(root), metafile: true, write: false });
  const file = join(root, BUNDLE_FILE);
  writeBundle(root, BUNDLE_FILE, await shrink((result.outputFiles[0] as { text: string }).text));
  const mini = join(root, 'dist', 'miniprogram');
  mkdirSync(mini, { recursive: true });
  copyFileSync(file, join(mini, 'index.js'));
  // require('multisocket/channels') resolves to this file in miniprogram_npm; the presets are in index.js already.
  writeFileSync(join(mini, 'channels.js'), "module.exports = require('./index.js');\n");
  return result.metafile;
}

/**
 * Writes dist/multisocket.global.js: the one-file bundle's options and minifier passes, as an IIFE whose result is the
 * top-level `var multisocket` (a global when the engine runs the file as a plain script).
 * @throws {Error} when the output would generate code from strings.
 */
export async function buildGlobal(root: string): Promise<void> {
  const result = await build({ ...singleFileOptions(root), format: 'iife', globalName: GLOBAL_NAME, write: false });
  writeBundle(root, GLOBAL_BUNDLE_FILE, await shrink((result.outputFiles[0] as { text: string }).text, { keepTopLevel: true }));
}

/**
 * A second minifier pass over esbuild's output: terser's compressor (two passes) and its frequency-ordered names take
 * about 3% more off the gzipped file. Safe transforms only (no `unsafe*` option), the same syntax level, the banner
 * kept. `keepTopLevel` (default false) keeps top-level names and statements, as the global build's `var` must stay.
 */
export async function shrink(code: string, options: { keepTopLevel?: boolean } = {}): Promise<string> {
  const toplevel = !options.keepTopLevel;
  const result = await minify(code, {
    ecma: 2017,
    toplevel,
    compress: { passes: 2 },
    mangle: { toplevel },
    format: { ascii_only: true, comments: /^!/ },
  });
  if (result.code === undefined) throw new Error('terser returned no code');
  return result.code;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => join(dir, name));
}

/**
 * Keeps every relative import as an import of the sibling output file, with the `.js` extension Node's ES module
 * loader requires (`./codec` becomes `./codec.js`, `../src` becomes `../src/index.js`). Each file stays its own module,
 * so import order holds as in the source.
 */
function relativeImportsAsFiles(): Plugin {
  return {
    name: 'relative-imports-as-files',
    setup(builder) {
      builder.onResolve({ filter: /^\.\.?(\/|$)/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        const base = resolve(args.resolveDir, args.path);
        for (const [candidate, suffix] of [[`${base}.ts`, '.js'], [join(base, 'index.ts'), '/index.js']] as const) {
          try {
            readFileSync(candidate);
          } catch {
            continue;
          }
          const path = args.path.replace(/\/$/, '') + suffix;
          return { path, external: true };
        }
        return { errors: [{ text: `cannot resolve ${args.path} from ${relative(process.cwd(), args.importer)}` }] };
      });
    },
  };
}

/** Writes dist/esm/{src,channels}/**.js and the `"type": "module"` marker. */
export async function buildEsm(root: string): Promise<void> {
  const outdir = join(root, 'dist', 'esm');
  await build({
    entryPoints: [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'channels'))],
    outbase: root,
    outdir,
    bundle: true,
    packages: 'external',
    plugins: [relativeImportsAsFiles()],
    format: 'esm',
    platform: 'neutral',
    target: ESM_TARGET,
    logLevel: 'warning',
  });
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
}

async function main(): Promise<void> {
  const root = packageRoot();
  await buildSingleFile(root);
  await buildGlobal(root);
  await buildEsm(root);
  const bytes = readFileSync(join(root, BUNDLE_FILE)).byteLength;
  const globalBytes = readFileSync(join(root, GLOBAL_BUNDLE_FILE)).byteLength;
  process.stdout.write(`bundle: dist/multisocket.min.js (${bytes} bytes), dist/multisocket.global.js (${globalBytes} bytes), dist/miniprogram/, dist/esm/\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
