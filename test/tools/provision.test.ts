import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingPackages, plan } from '../../scripts/provision';
import { ROOT } from '../support/paths';

// npm test's pretest (scripts/provision.js): the system packages the tests use, installed when missing and possible.

describe('missingPackages', () => {
  let bin: string;
  beforeEach(() => (bin = mkdtempSync(join(tmpdir(), 'multisocket-path-'))));
  afterEach(() => rmSync(bin, { recursive: true, force: true }));
  const put = (name: string) => writeFileSync(join(bin, name), '');

  it('names what is neither on PATH nor set by its variable', () => {
    const rest = ['nginx', 'openssl', 'libjavascriptcoregtk-4.0-bin'];
    expect(missingPackages({ PATH: bin })).toEqual(['redis-server', 'chromium', ...rest]);
    put('chromium-browser');
    expect(missingPackages({ PATH: bin })).toEqual(['redis-server', ...rest]);
    put('redis-server');
    put('nginx');
    put('openssl');
    expect(missingPackages({ PATH: bin })).toEqual(['libjavascriptcoregtk-4.0-bin']);
    put('jsc');
    expect(missingPackages({ PATH: bin })).toEqual([]);
  });

  it('honours REDIS_SERVER and CHROMIUM_PATH', () => {
    const others = { NGINX: '/opt/nginx', OPENSSL: '/opt/openssl', JSC: '/opt/jsc' };
    expect(missingPackages({ PATH: bin, REDIS_SERVER: '/opt/redis/bin/redis-server', CHROMIUM_PATH: '/opt/chrome', ...others })).toEqual([]);
  });

  it('needs no redis-server when MULTISOCKET_SKIP_REDIS=1 runs without the Redis tests', () => {
    expect(missingPackages({ PATH: bin, MULTISOCKET_SKIP_REDIS: '1' })).toEqual(['chromium', 'nginx', 'openssl', 'libjavascriptcoregtk-4.0-bin']);
  });
});

describe('plan', () => {
  const both = ['redis-server', 'chromium'];

  it('does nothing when nothing is missing, whatever the machine', () => {
    expect(plan({ missing: [], isRoot: false, canSudo: false, hasAptGet: false })).toEqual({ action: 'ready' });
  });

  it('as root with apt-get: update once, then one non-interactive install', () => {
    expect(plan({ missing: both, isRoot: true, canSudo: false, hasAptGet: true })).toEqual({
      action: 'install',
      commands: [
        ['apt-get', 'update'],
        ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', 'redis-server', 'chromium'],
      ],
    });
  });

  it('with sudo that asks no password: the same through sudo -n', () => {
    expect(plan({ missing: ['chromium'], isRoot: false, canSudo: true, hasAptGet: true })).toEqual({
      action: 'install',
      commands: [
        ['sudo', '-n', 'apt-get', 'update'],
        ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', 'chromium'],
      ],
    });
  });

  it.each([
    [{ isRoot: false, canSudo: false, hasAptGet: true }, 'not root, and sudo asks for a password'],
    [{ isRoot: true, canSudo: false, hasAptGet: false }, 'no apt-get here'],
  ])('otherwise stops with one line naming the packages and the command (%j)', (machine, why) => {
    expect(plan({ missing: both, ...machine })).toEqual({
      action: 'stop',
      exitCode: 1,
      message: `npm test needs redis-server chromium (${why}): run "sudo apt-get install -y redis-server chromium" (Debian's packages), or set REDIS_SERVER / CHROMIUM_PATH`,
    });
  });
});

describe('node scripts/provision.js', () => {
  let bin: string;
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'multisocket-bin-'));
    // What the fake sudo and the real apt-get path run besides the fakes.
    for (const tool of ['env', 'true']) symlinkSync(join('/usr/bin', tool), join(bin, tool));
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  const script = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  const run = () => spawnSync(process.execPath, [join(ROOT, 'scripts', 'provision.js')], { encoding: 'utf8', env: { PATH: bin }, timeout: 20_000 });

  it('installs what is missing with the machine\'s apt-get, then exits 0', () => {
    // A fake apt-get that logs its calls and "installs" by putting the commands on PATH; sudo for a test run as non-root.
    script('apt-get', `echo "$DEBIAN_FRONTEND apt-get $*" >> "${bin}/log"\n[ "$1" = install ] && for c in redis-server chromium nginx openssl jsc; do : > "${bin}/$c"; done\nexit 0`);
    script('sudo', '[ "$1" = -n ] && shift\nexec "$@"');
    const result = run();
    expect(result.status).toBe(0);
    expect(readFileSync(join(bin, 'log'), 'utf8')).toBe(' apt-get update\nnoninteractive apt-get install -y redis-server chromium nginx openssl libjavascriptcoregtk-4.0-bin\n');
  });

  it('stops with one line and exit 1 when it cannot install', () => {
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^npm test needs redis-server chromium nginx openssl libjavascriptcoregtk-4.0-bin \(.*\): run "sudo apt-get install -y redis-server chromium nginx openssl libjavascriptcoregtk-4.0-bin"/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('stops with exit 1 when apt-get fails', () => {
    script('apt-get', 'exit 100');
    script('sudo', '[ "$1" = -n ] && shift\nexec "$@"');
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('"apt-get update" failed');
  });
});
