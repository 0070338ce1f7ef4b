import { ROOT } from '../support/paths';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { createRequire } from 'module';
import { tmpdir } from 'os';
import { join } from 'path';
import { build } from 'esbuild';
import ts from 'typescript';
import { packageAsEsm } from '../../scripts/package-as-esm';
import { createServer, installChat, installGame, type ReferenceServer } from '../../server';
import type { WxSocketApi } from '../../src';
import { createWxEmulator, type WxEmulator } from '../support/wx-emulator';

// examples/cocos/ as a Cocos Creator 3.x project holds it: the component and its connection logic in assets/, with the
// package installed. Its types are checked against the package's own declarations (node_modules/multisocket is this
// repository, built), with test/support/cc.d.ts standing in for Cocos's `cc`; its logic (game-network.ts) is bundled
// against the ES module build, as Cocos bundles it, and played by two players on the wx emulator against the server.

const COCOS_DIR = join(ROOT, 'examples', 'cocos');

interface Position {
  x: number;
  y: number;
}
interface ChatLine {
  id: number;
  from: string;
  text: string;
}
interface GameNetwork {
  me: string | undefined;
  readonly players: Readonly<Record<string, Position>>;
  readonly lines: ChatLine[];
  readonly ready: Promise<string>;
  readonly status: { game: string; chat: string };
  onChange(listener: () => void): () => void;
  steerToward(target: Position): number;
  say(text: string): Promise<number>;
  close(): Promise<void>;
}
interface GameNetworkModule {
  GameNetwork: new (platform: unknown, options: { url: string; room?: string }) => GameNetwork;
  miniGamePlatform(api: WxSocketApi, options?: { allowInsecure?: boolean }): unknown;
}

/** Resolves once `done()` holds, checked now and on each change of `network`. */
function until(network: GameNetwork, done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (done()) return resolve();
    const undo = network.onChange(() => {
      if (!done()) return;
      undo();
      resolve();
    });
  });
}

describe('examples/cocos', () => {
  it('type-checks (strict, decorators as Cocos compiles them) against the package types and the cc stub', () => {
    const project = mkdtempSync(join(tmpdir(), 'multisocket-cocos-'));
    try {
      const assets = join(project, 'assets');
      mkdirSync(assets);
      for (const file of readdirSync(COCOS_DIR).filter((name) => name.endsWith('.ts'))) copyFileSync(join(COCOS_DIR, file), join(assets, file));
      copyFileSync(join(ROOT, 'test', 'support', 'cc.d.ts'), join(project, 'cc.d.ts'));
      mkdirSync(join(project, 'node_modules'));
      symlinkSync(ROOT, join(project, 'node_modules', 'multisocket'), 'dir');
      writeFileSync(join(project, 'package.json'), '{ "name": "cocos-game", "private": true }\n');
      const files = [join(project, 'cc.d.ts'), ...readdirSync(assets).map((name) => join(assets, name))];
      const program = ts.createProgram(files, {
        strict: true,
        noEmit: true,
        experimentalDecorators: true,
        target: ts.ScriptTarget.ES2017,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2017.d.ts', 'lib.dom.d.ts'],
        types: [],
      });
      const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(errors).toEqual([]);
      // The package's own declarations were used, not a copy: the resolved file is in this repository's dist/.
      const resolved = program.getSourceFiles().map((f) => f.fileName).filter((name) => name.includes('/dist/src/index.d.ts'));
      expect(resolved).toHaveLength(1);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  describe('game-network.ts on the wx emulator', () => {
    let server: ReferenceServer;
    let url: string;
    let bundleDir: string;
    let logic: GameNetworkModule;
    const emulators: WxEmulator[] = [];
    const networks: GameNetwork[] = [];

    const player = () => {
      const emulator = createWxEmulator({ devMode: true });
      emulators.push(emulator);
      const network = new logic.GameNetwork(logic.miniGamePlatform(emulator, { allowInsecure: true }), { url });
      networks.push(network);
      return { emulator, network };
    };

    beforeAll(async () => {
      const result = await build({
        entryPoints: [join(COCOS_DIR, 'game-network.ts')],
        bundle: true,
        format: 'cjs',
        platform: 'neutral',
        target: 'es2017',
        write: false,
        logLevel: 'warning',
        plugins: [packageAsEsm(ROOT)],
      });
      bundleDir = mkdtempSync(join(tmpdir(), 'multisocket-cocos-logic-'));
      const file = join(bundleDir, 'game-network.js');
      writeFileSync(file, (result.outputFiles[0] as { text: string }).text);
      logic = createRequire(file)(file) as GameNetworkModule;
    });

    beforeEach(async () => {
      server = createServer({ port: 0 });
      installChat(server);
      installGame(server);
      url = (await server.listen()).url;
    });

    afterEach(async () => {
      await Promise.all(networks.splice(0).map((n) => n.close()));
      for (const emulator of emulators.splice(0)) {
        expect(emulator.uncaughtErrors).toEqual([]);
        await emulator.dispose();
      }
      await server.close();
    });

    afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

    it('steers a dot every player sees, across a dropped game socket, and delivers each chat line once', async () => {
      const a = player();
      const b = player().network;
      await Promise.all([a.network.ready, b.ready]);
      const me = a.network.me as string;
      expect(me).not.toBe(b.me);

      /** Steers a's dot to `target` (an input on each change, as a component does each frame) until b sees it there. */
      const steerTo = async (target: Position) => {
        const undo = a.network.onChange(() => void a.network.steerToward(target));
        a.network.steerToward(target);
        await until(b, () => b.players[me]?.x === target.x && b.players[me]?.y === target.y);
        undo();
      };
      await steerTo({ x: 33, y: -21 });
      expect(a.network.steerToward({ x: 33, y: -21 })).toBe(0);

      // Mid-way to the next point the game socket drops (no close frame): inputs in flight are lost and those sent
      // while reconnecting are coalesced (the game outbox keeps the latest), yet the dot gets there once it resumes.
      const dropWhenMoving = until(b, () => (b.players[me]?.y ?? 0) > -11).then(() =>
        a.emulator.tasks.forEach((task, i) => {
          if (a.emulator.connectCalls[i]?.url.endsWith('/game')) a.emulator.dropConnection(task);
        }),
      );
      await steerTo({ x: -25, y: 60 });
      await dropWhenMoving;
      expect(a.network.status).toEqual({ game: 'open', chat: 'open' });
      expect(a.emulator.connectCalls.filter((call) => call.url.endsWith('/game'))).toHaveLength(2);

      const id = await a.network.say('你好 from Cocos 🎮');
      await until(b, () => b.lines.some((line) => line.id === id));
      await b.say('收到');
      await until(a.network, () => a.network.lines.some((line) => line.text === '收到'));
      for (const network of [a.network, b]) {
        expect(network.lines.map((line) => line.text)).toEqual(['你好 from Cocos 🎮', '收到']);
      }
    });
  });
});
