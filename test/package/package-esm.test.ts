import { ROOT } from '../support/paths';
import { execFileSync } from 'child_process';
import * as runtime from '../../src';

// `import 'multisocket'` as a user of the published package gets it: the BUILT dist/esm (npm test builds first),
// each case in a fresh Node running an ES module.
const root = ROOT;

function esm(code: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', timeout: 20_000 });
}

describe('the ES module build', () => {
  it("import('multisocket') and import('multisocket/channels') load dist/esm with the same exports as require", () => {
    const out = esm(`
      import { createRequire } from 'module';
      const require = createRequire(import.meta.url);
      const result = {};
      for (const name of ['multisocket', 'multisocket/channels']) {
        const imported = await import(name);
        result[name] = {
          file: import.meta.resolve(name).replace(/^.*\\/dist\\//, 'dist/'),
          same: JSON.stringify(Object.keys(imported).sort()) === JSON.stringify(Object.keys(require(name)).sort()),
          count: Object.keys(imported).length,
        };
      }
      console.log(JSON.stringify(result));`);
    const result = JSON.parse(out) as Record<string, { file: string; same: boolean; count: number }>;
    expect(result['multisocket']).toMatchObject({ file: 'dist/esm/src/index.js', same: true });
    expect(result['multisocket/channels']).toMatchObject({ file: 'dist/esm/channels/index.js', same: true });
    // Every runtime value of the source's public index, not a part of it (test/runtime/public-surface.test.ts pins them).
    expect(result['multisocket']?.count).toBe(Object.keys(runtime).length);
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
