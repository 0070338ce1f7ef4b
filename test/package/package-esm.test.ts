import { build } from 'esbuild';
import { join } from 'path';
import { installPacked, nodeIn, type PackedProject } from '../support/packed';

// `import 'multisocket'` as a user of the published package gets it: the packed tarball installed into an empty
// project (test/support/packed.ts), each case in a fresh Node running an ES module there.
//
// One copy of each class, whichever way it is loaded. In Node, `import` and `require` both get the CommonJS build
// (`exports` has no `import` condition), so an error thrown by code one user required is `instanceof` the class another
// imported. Bundlers match the `module` condition for `import` and `require` alike, so a bundle holds only dist/esm
// (tree-shakable), once.
let project: PackedProject;

beforeAll(() => {
  project = installPacked();
});

afterAll(() => project.remove());

function esm(code: string): string {
  return nodeIn(project, ['--input-type=module', '-e', code]);
}

describe('import of the installed package', () => {
  it('gives every public entry the very values require gives', () => {
    const out = esm(`
      import { createRequire } from 'module';
      const require = createRequire(import.meta.url);
      const result = {};
      for (const entry of ${JSON.stringify(project.entries)}) {
        const imported = await import(entry);
        const required = require(entry);
        const names = Object.keys(required);
        result[entry] = {
          count: names.length,
          missing: names.filter((name) => !(name in imported)),
          different: names.filter((name) => imported[name] !== required[name]),
        };
      }
      console.log(JSON.stringify(result));`);
    const result = JSON.parse(out) as Record<string, { count: number; missing: string[]; different: string[] }>;
    expect(Object.keys(result)).toEqual(project.entries);
    for (const entry of Object.values(result)) expect(entry).toEqual({ count: expect.any(Number), missing: [], different: [] });
    for (const entry of Object.values(result)) expect(entry.count).toBeGreaterThan(0);
  });

  it('an error thrown by required code is instanceof the imported class, and the other way round', () => {
    const out = esm(`
      import { createRequire } from 'module';
      import { ConnectionManager, UsageError, MultisocketError } from 'multisocket';
      const required = createRequire(import.meta.url)('multisocket');
      const thrown = (make) => { try { make(); } catch (err) { return err; } };
      const fromRequire = thrown(() => new required.ConnectionManager({}));
      const fromImport = thrown(() => new ConnectionManager({}));
      const manager = new required.ConnectionManager({ transport: required.webSocketTransport(class {}) });
      console.log(JSON.stringify({
        requiredIsImported: fromRequire instanceof UsageError && fromRequire instanceof MultisocketError,
        importedIsRequired: fromImport instanceof required.UsageError,
        managerIsImported: manager instanceof ConnectionManager,
      }));
      manager.close();`);
    expect(JSON.parse(out)).toEqual({ requiredIsImported: true, importedIsRequired: true, managerIsImported: true });
  });

  it('a bundler takes dist/esm for import and require alike, once', async () => {
    const result = await build({
      stdin: {
        contents: `import { UsageError } from 'multisocket';
          import { chatChannel } from 'multisocket/channels';
          const required = require('multisocket');
          export const same = UsageError === required.UsageError && typeof chatChannel === 'function';`,
        resolveDir: project.dir,
        loader: 'js',
      },
      bundle: true,
      outfile: join(project.dir, 'bundle.cjs'),
      metafile: true,
      format: 'cjs',
      platform: 'browser',
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs).filter((path) => path.includes('multisocket/'));
    expect(inputs.length).toBeGreaterThan(0);
    expect(inputs.filter((path) => !path.includes('node_modules/multisocket/dist/esm/'))).toEqual([]);
    expect(nodeIn(project, ['-p', "require('./bundle.cjs').same"]).trim()).toBe('true');
  });

  it('runs where the host has no TextEncoder, without installing one', () => {
    const out = esm(`
      delete globalThis.TextEncoder;
      delete globalThis.TextDecoder;
      const { FrameCodec } = await import('multisocket');
      const codec = new FrameCodec();
      const text = '你好 👋 ' + '长'.repeat(100);
      const [frame] = codec.decode(codec.encode([4, 't', text]));
      console.log(JSON.stringify({ same: frame[2] === text, installed: typeof TextDecoder }));`);
    expect(JSON.parse(out)).toEqual({ same: true, installed: 'undefined' });
  });

  it('runs a chat exchange against the reference server', () => {
    const out = esm(`
      import WebSocket from 'ws';
      import { ConnectionManager, webSocketTransport } from 'multisocket';
      import { chatChannel } from 'multisocket/channels';
      import { createServer, installChat } from 'multisocket/server';
      const server = createServer({ port: 0 });
      installChat(server);
      const { url } = await server.listen();
      const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket) });
      const chat = chatChannel({ manager, url: url + '/ws' });
      const got = new Promise((resolve) => chat.onMessage(5, (m) => resolve(m.body)));
      await chat.join(5);
      await chat.say(5, '你好 ESM 👋');
      console.log(JSON.stringify({ body: await got }));
      const closed = new Promise((resolve) => chat.channel.on('state', ({ next }) => next === 'closed' && resolve()));
      manager.close();
      await closed;
      await server.close();`);
    expect(JSON.parse(out)).toEqual({ body: '你好 ESM 👋' });
  });
});
