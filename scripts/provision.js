// `npm test`'s pretest: the system packages the tests use, installed when missing and this machine can (Debian's
// apt-get, as root or with sudo that asks no password); otherwise one line naming the packages and the command, and
// exit 1. Plain JavaScript: it runs before the build. The decision is `plan`, a pure function; the rest asks the machine.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

/** What the tests start themselves, the Debian package that has it, and the variable that points at another copy. */
const NEEDS = [
  { package: 'redis-server', names: ['redis-server'], variable: 'REDIS_SERVER', skippedBy: 'MULTISOCKET_SKIP_REDIS' },
  { package: 'chromium', names: ['chromium', 'chromium-browser'], variable: 'CHROMIUM_PATH' },
  // The deployment tests: nginx in front of the server, openssl for a throwaway CA and certificate.
  { package: 'nginx', names: ['nginx'], variable: 'NGINX' },
  { package: 'openssl', names: ['openssl'], variable: 'OPENSSL' },
  // JavaScriptCore's shell, the engine of WeChat on iOS, for the device test of the one-file bundle.
  { package: 'libjavascriptcoregtk-4.0-bin', names: ['jsc'], variable: 'JSC' },
];

/** The first of `names` found in the folders of `PATH`, or undefined. */
function onPath(names, PATH) {
  for (const dir of (PATH || '').split(path.delimiter)) {
    for (const name of names) {
      if (dir && fs.existsSync(path.join(dir, name))) return path.join(dir, name);
    }
  }
  return undefined;
}

/**
 * The packages of NEEDS that `env` has neither on its PATH nor named by their variable (REDIS_SERVER, CHROMIUM_PATH),
 * redis-server only when the Redis tests run (MULTISOCKET_SKIP_REDIS=1 runs without them).
 */
function missingPackages(env) {
  const needed = NEEDS.filter((need) => !(need.skippedBy && env[need.skippedBy] === '1'));
  return needed.filter((need) => !env[need.variable] && onPath(need.names, env.PATH) === undefined).map((need) => need.package);
}

/**
 * What to do about `missing` packages: nothing; `install` (the commands to run, in order: `apt-get update` once, then
 * one non-interactive install, through `sudo -n` unless root); or `stop` with one line and the exit code.
 */
function plan({ missing, isRoot, canSudo, hasAptGet }) {
  if (missing.length === 0) return { action: 'ready' };
  const list = missing.join(' ');
  const variables = NEEDS.filter((need) => missing.includes(need.package)).map((need) => need.variable).join(' / ');
  if (!hasAptGet || !(isRoot || canSudo)) {
    const why = hasAptGet ? 'not root, and sudo asks for a password' : 'no apt-get here';
    return {
      action: 'stop',
      exitCode: 1,
      message: `npm test needs ${list} (${why}): run "sudo apt-get install -y ${list}" (Debian's packages), or set ${variables}`,
    };
  }
  const sudo = isRoot ? [] : ['sudo', '-n'];
  return {
    action: 'install',
    commands: [
      [...sudo, 'apt-get', 'update'],
      [...sudo, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', ...missing],
    ],
  };
}

function main() {
  const env = process.env;
  const missing = missingPackages(env);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasAptGet = onPath(['apt-get'], env.PATH) !== undefined;
  const canSudo = !isRoot && onPath(['sudo'], env.PATH) !== undefined && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  const decided = plan({ missing, isRoot, canSudo, hasAptGet });
  if (decided.action === 'ready') return;
  if (decided.action === 'stop') {
    process.stderr.write(`${decided.message}\n`);
    process.exit(decided.exitCode);
  }
  process.stderr.write(`npm test: installing ${missing.join(' ')} (apt-get)\n`);
  for (const [command, ...args] of decided.commands) {
    const result = spawnSync(command, args, { stdio: ['ignore', 2, 2] });
    if (result.status !== 0) {
      process.stderr.write(`npm test: "${[command, ...args].join(' ')}" failed (${result.error ? result.error.message : `exit ${result.status}`}); install ${missing.join(' ')} yourself\n`);
      process.exit(1);
    }
  }
  const still = missingPackages(env);
  if (still.length > 0) {
    process.stderr.write(`npm test: ${still.join(' ')} still not found on PATH after apt-get install; set ${NEEDS.filter((n) => still.includes(n.package)).map((n) => n.variable).join(' / ')}\n`);
    process.exit(1);
  }
}

module.exports = { missingPackages, plan };

if (require.main === module) main();
