import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../support/paths';

// `npm run example:web`: the BUILT dist/scripts/example-web.js (npm test builds first), run as package.json runs it.

const SCRIPT = join(ROOT, 'dist', 'scripts', 'example-web.js');

describe('the example:web command', () => {
  it('--help prints the usage and exits 0; a bad --port prints one line and exits 2', () => {
    const help = spawnSync(process.execPath, [SCRIPT, '--help'], { encoding: 'utf8', timeout: 20_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run example:web -- \[--port N\]/);
    for (const args of [['--port', 'abc'], ['--port=70000'], ['--bogus']]) {
      const bad = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 20_000 });
      expect(bad.status).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(/^multisocket example:web: /);
    }
  });

  it('serves the page, its script and the servers\' addresses, and stops on SIGTERM with exit code 0', async () => {
    const child = spawn(process.execPath, [SCRIPT, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /open (http:\/\/127\.0\.0\.1:\d+\/) in two browser tabs/.exec(out);
        if (found) resolve(found[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before listening: ${out}`)));
    });
    try {
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<canvas id="field"');
      const script = await fetch(`${url}page.js`);
      expect(await script.text()).toContain('webSocketTransport');
      const config = (await (await fetch(`${url}config.json`)).json()) as { gameUrl: string; chatUrl: string };
      expect(config.gameUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/game$/);
      expect(config.chatUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/chat$/);
      expect((await fetch(`${url}nothing`)).status).toBe(404);
      expect((await fetch(`${url}fault/drop-game`)).status).toBe(404); // a fault is a POST
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
