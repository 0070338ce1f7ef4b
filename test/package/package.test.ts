import { ROOT } from '../support/paths';
import { execFileSync } from 'child_process';

// What a user of the published package gets: these run the BUILT dist/ (npm test builds first) in a fresh Node.
const root = ROOT;

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 20_000 });
}

describe('the built package', () => {
  it("require('multisocket') gives the runtime and require('multisocket/server') the server", () => {
    const out = node([
      '-e',
      `const ms = require('multisocket'); const srv = require('multisocket/server');
       console.log([typeof ms.ConnectionManager, typeof ms.Channel, typeof ms.wxTransport, typeof ms.webSocketTransport,
         typeof ms.wxLifecycle, typeof ms.FrameCodec, typeof ms.ProtocolError, typeof srv.createServer].join(' '));`,
    ]);
    expect(out.trim()).toBe('function function function function function function function function');
  });

  it('the runtime entry does not load Node built-ins or the server', () => {
    const out = node([
      '-e',
      `const Module = require('module'); const seen = [];
       const load = Module._load; Module._load = function (req, ...rest) { seen.push(req); return load.call(this, req, ...rest); };
       require('multisocket');
       console.log(JSON.stringify(seen.filter((r) => Module.builtinModules.includes(r.replace(/^node:/, '')) || /ws$|server/.test(r))));`,
    ]);
    expect(JSON.parse(out)).toEqual([]);
  });

  // npm start (now the demo, dist/scripts/start.js) is run by test/tools/demo.test.ts.
});
