// `npm start`, `npm run serve` and `npm run loadtest` run a command of dist/ in this process, building first only when dist/ is older than
// the sources; the build's last step writes the stamp they compare against. Plain JavaScript: it runs before any build.
//   node scripts/built.js stamp                    records that dist/ is built from the sources as they are now
//   node scripts/built.js run <file> [args...]     builds if stale (its output on stderr), then runs <file> with args
// The command runs in this very process, not a child: the signals npm forwards (SIGTERM, SIGINT) reach it, and no
// grandchild is left behind when npm goes. Its stdout is its own: the build's lines go to stderr, so that
// `npm start -- --json` prints only the JSON.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

/** What the build reads: the .ts files of tsconfig.build.json's folders, and the files that configure it. */
const SOURCE_DIRS = ['src', 'channels', 'server', 'loadtest', 'emulator', 'scripts', 'benchmarks'];
const SOURCE_FILES = ['package.json', 'tsconfig.base.json', 'tsconfig.build.json'];
const STAMP = path.join('dist', '.build-stamp.json');

/** Every source file of `root` (paths relative, with `/`), sorted, with its modification time. */
function listSources(root) {
  const found = [];
  const walk = (relative) => {
    let entries;
    try {
      entries = fs.readdirSync(path.join(root, relative), { withFileTypes: true });
    } catch (error) {
      if (error.code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile() && entry.name.endsWith('.ts')) found.push({ path: child, mtimeMs: fs.statSync(path.join(root, child)).mtimeMs });
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  for (const file of SOURCE_FILES) {
    if (fs.existsSync(path.join(root, file))) found.push({ path: file, mtimeMs: fs.statSync(path.join(root, file)).mtimeMs });
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Why dist/ must be built again, or undefined when it is up to date: no stamp, or a source file added, removed or
 * modified since the stamp (its modification time is not the one recorded: no clock is compared, so a file dated in
 * the future or a clock set back changes nothing).
 */
function staleness(stamp, sources) {
  if (stamp === undefined) return 'no build yet';
  const recorded = new Map(Object.entries(stamp.files));
  for (const source of sources) {
    const mtimeMs = recorded.get(source.path);
    if (mtimeMs === undefined) return `${source.path} is new`;
    if (mtimeMs !== source.mtimeMs) return `${source.path} changed`;
    recorded.delete(source.path);
  }
  const [removed] = recorded.keys();
  return removed === undefined ? undefined : `${removed} was removed`;
}

/** The stamp of the build in `root`, or undefined when there is none (or it cannot be read). */
function readStamp(root) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, STAMP), 'utf8'));
  } catch {
    return undefined;
  }
}

function writeStamp(root) {
  const files = Object.fromEntries(listSources(root).map((source) => [source.path, source.mtimeMs]));
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(root, STAMP), `${JSON.stringify({ files })}\n`);
}

/** `npm run build` in `root` with all its output on stderr; its exit status. */
function build(root) {
  const npm = process.env.npm_execpath;
  const [command, args] = npm ? [process.execPath, [npm, 'run', 'build']] : ['npm', ['run', 'build']];
  const result = spawnSync(command, args, { cwd: root, stdio: ['inherit', 2, 2], shell: !npm && process.platform === 'win32' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function main(argv) {
  const root = path.resolve(__dirname, '..');
  const [command, file, ...args] = argv;
  if (command === 'stamp' && file === undefined) return writeStamp(root);
  if (command !== 'run' || file === undefined) {
    process.stderr.write('usage: node scripts/built.js stamp | run <file> [args...]\n');
    process.exit(2);
  }
  const reason = staleness(readStamp(root), listSources(root));
  if (reason !== undefined) {
    process.stderr.write(`building dist/ first (${reason})\n`);
    const status = build(root);
    if (status !== 0) process.exit(status);
  }
  const entry = path.resolve(root, file);
  process.argv = [process.argv[0], entry, ...args];
  require(entry);
}

module.exports = { listSources, staleness, readStamp };

if (require.main === module) main(process.argv.slice(2));
