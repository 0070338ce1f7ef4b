import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hidingPackages } from '../support/hidden-packages';
import { ROOT } from '../support/paths';

// `ws`, `ioredis` and `prom-client` are optional peers: a client-only install has none, a server without Redis has no
// ioredis, a server without metrics no prom-client.
// These run the BUILT package (npm test builds first) in a fresh Node that cannot find the packages named.

function node(hidden: readonly string[], code: string) {
  return spawnSync(process.execPath, [...hidingPackages(hidden), '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, unknown> | undefined>;

describe('the optional peers', () => {
  it('are peers, optional, and no dependency of a client-only install', () => {
    for (const name of ['ws', 'ioredis', 'prom-client']) {
      expect(manifest.dependencies?.[name]).toBeUndefined();
      expect(manifest.peerDependencies?.[name]).toEqual(expect.any(String));
      expect(manifest.peerDependenciesMeta?.[name]).toEqual({ optional: true });
      expect(manifest.devDependencies?.[name]).toEqual(expect.any(String));
    }
  });

  it("require('multisocket') and require('multisocket/channels') need neither", () => {
    const result = node(['ws', 'ioredis'], `require('multisocket'); require('multisocket/channels'); console.log('ok')`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it("require('multisocket/server') without ws throws one error naming the package to install", () => {
    const result = node(
      ['ws'],
      `try { require('multisocket/server'); } catch (error) { console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message })); }`,
    );
    expect(JSON.parse(result.stdout)).toEqual({
      name: 'ServerError',
      code: 'missing_package',
      message: 'multisocket/server needs the "ws" package, which is not installed: npm install ws',
    });
  });

  it("require('multisocket/server') works without ioredis", () => {
    const result = node(['ioredis'], `const { createServer, installChat } = require('multisocket/server'); console.log(typeof createServer, typeof installChat)`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('function function');
  });

  it("a server without metrics needs no prom-client; createServer({ metrics: true }) without it throws naming the package", () => {
    const result = node(
      ['prom-client'],
      `const { createServer } = require('multisocket/server');
       createServer({ port: 0 });
       try { createServer({ port: 0, metrics: true }); } catch (error) { console.log(error.code, error.message); }`,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('missing_package createServer({metrics}) needs the "prom-client" package, which is not installed: npm install prom-client');
  });

  it("require('multisocket/server/redis') gives the Redis factories SCALING.md shows", () => {
    const result = node([], `const r = require('multisocket/server/redis'); console.log(Object.keys(r).sort().join(' '))`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('clusterClientOptions createClusterClient createRedisChatStore createRedisGameBroker createRedisSessionStore redisClientOptions');
  });

  it("require('multisocket/server/redis') without ioredis throws one error naming the package to install", () => {
    const result = node(['ioredis'], `try { require('multisocket/server/redis'); } catch (error) { console.log(error.code, error.message); }`);
    expect(result.stdout.trim()).toBe('missing_package multisocket/server/redis needs the "ioredis" package, which is not installed: npm install ioredis');
  });
});
