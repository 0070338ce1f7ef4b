import { readFileSync } from 'fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { join } from 'path';
import { build } from 'esbuild';
import { DemoServers } from '../demo/servers';
import { packageAsEsm } from '../package-as-esm';
import { packageRoot } from '../package-root';
import { type Relay, startRelay } from './relay';

/*
 * `npm run example:web`: the example mini-game as an H5 page. The demo's two reference servers (game, and a chat server
 * that can restart), a relay in front of the game server, and a small static server for the page, its script
 * (examples/minigame/web/page.js with the same logic/ modules, bundled by esbuild against the ES module build), the
 * servers' addresses, and the faults the page's buttons inject on the server side.
 */

/** How long the chat server stays down when the page restarts it: the demo's fault, shorter so it is seen at once. */
const CHAT_DOWN_MS = 2000;

/** Options of {@link startExampleWeb}. */
export interface ExampleWebOptions {
  /** The page's port on 127.0.0.1. Default 0 (a free port). */
  port: number;
}

/** The running example. */
export interface ExampleWeb {
  /** The page, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  /** Chat server restarts so far. */
  readonly chatRestarts: number;
  /** Closes the page server, the relay and both reference servers. */
  close(): Promise<void>;
}

/** The page's script, bundled once at start. */
async function pageScript(root: string): Promise<string> {
  const result = await build({
    entryPoints: [join(root, 'examples', 'minigame', 'web', 'page.js')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2017',
    write: false,
    logLevel: 'warning',
    plugins: [packageAsEsm(root)],
  });
  return (result.outputFiles[0] as { text: string }).text;
}

/** Starts the servers and the page; resolves once all are listening. */
export async function startExampleWeb(options: Readonly<Partial<ExampleWebOptions>> = {}): Promise<ExampleWeb> {
  const root = packageRoot();
  const files: Record<string, [string, string]> = {
    '/': ['text/html', readFileSync(join(root, 'examples', 'minigame', 'web', 'index.html'), 'utf8')],
    '/page.js': ['text/javascript', await pageScript(root)],
  };
  const servers = await DemoServers.start();
  let relay: Relay | undefined;
  let http: Server | undefined;
  let restarting: Promise<void> | undefined;
  try {
    relay = await startRelay(Number(new URL(servers.gameUrl).port));
    const config = JSON.stringify({ gameUrl: `ws://127.0.0.1:${relay.port}/game`, chatUrl: servers.chatUrl });
    files['/config.json'] = ['application/json', config];
    const live = relay;

    const faults: Record<string, () => string> = {
      '/fault/drop-game': () => `${live.drop()} game sockets destroyed`,
      '/fault/restart-chat': () => {
        if (restarting) return 'the chat server is already restarting';
        restarting = servers
          .stopChat()
          .then(() => new Promise((resolve) => setTimeout(resolve, CHAT_DOWN_MS)))
          .then(() => servers.startChat())
          .finally(() => (restarting = undefined));
        restarting.catch((error: unknown) => console.error('example:web: the chat server did not come back', error));
        return `chat server down for ${CHAT_DOWN_MS / 1000} s (BYE 4000), then back with the same sessions`;
      },
    };
    const handle = (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '/').split('?')[0] as string;
      const fault = faults[path];
      if (fault && req.method === 'POST') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(fault());
        return;
      }
      const file = req.method === 'GET' ? files[path] : undefined;
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': `${file[0]}; charset=utf-8`, 'cache-control': 'no-store' }).end(file[1]);
    };
    const page = createHttpServer(handle);
    http = page;
    await new Promise<void>((resolve, reject) => {
      page.once('error', reject);
      page.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    await relay?.close();
    await servers.close();
    throw error;
  }

  const page = http;
  const done = relay;
  return {
    url: `http://127.0.0.1:${(page.address() as AddressInfo).port}/`,
    get chatRestarts() {
      return servers.chatRestarts;
    },
    async close() {
      await new Promise<void>((resolve) => {
        page.close(() => resolve());
        page.closeAllConnections();
      });
      await restarting?.catch(() => undefined);
      await done.close();
      await servers.close();
    },
  };
}
