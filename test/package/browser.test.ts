import { ROOT } from '../support/paths';
import { createServer as createHttpServer, type Server } from 'http';
import { join } from 'path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { createServer, installChat, installGame, type ReferenceServer } from '../../server';
import { type Channel, ConnectionManager, webSocketTransport } from '../../src';
import { type ChatChannel, type ChatMessage, chatChannel } from '../../channels';
import type { BrowserPage } from '../support/browser-page';
import { reach } from '../support/channel-helpers';
import { launchChromium } from '../support/chromium';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';

// The runtime in a browser, as an H5 build of a game runs it: a page bundled from test/support/browser-page.ts with
// `webSocketTransport(WebSocket)`, served on 127.0.0.1, in headless Chromium driven by playwright-core. The page
// reaches the reference server through a TCP relay, so the test can cut its connections like a dying server.


const ROOM = 11;

async function pageScript(): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, 'test', 'support', 'browser-page.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'warning',
  });
  return (result.outputFiles[0] as { text: string }).text;
}

function serve(script: string): Promise<Server> {
  const html = '<!doctype html><meta charset="utf-8"><title>multisocket</title><script src="/page.js"></script>';
  const server = createHttpServer((req, res) => {
    const [type, body] = req.url === '/page.js' ? ['text/javascript', script] : ['text/html', html];
    res.writeHead(req.url === '/' || req.url === '/page.js' ? 200 : 404, { 'content-type': `${type}; charset=utf-8` });
    res.end(req.url === '/' || req.url === '/page.js' ? body : '');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('the runtime in headless Chromium (webSocketTransport on the browser WebSocket)', () => {
  let server: ReferenceServer;
  let proxy: FaultProxy;
  let http: Server;
  let browser: Browser;
  let page: Page;
  let peer: ConnectionManager;
  let other: ChatChannel;

  /** Calls a method of the page's `window.multisocketPage`. */
  const call = <K extends keyof BrowserPage>(method: K, ...args: Parameters<BrowserPage[K]>) =>
    page.evaluate(
      ({ method, args }) =>
        (globalThis as unknown as { multisocketPage: Record<string, (...a: unknown[]) => unknown> }).multisocketPage[method]!(
          ...args,
        ),
      { method, args: args as unknown[] },
    ) as Promise<Awaited<ReturnType<BrowserPage[K]>>>;

  const peerGets = (text: string) =>
    new Promise<ChatMessage>((resolve) => {
      const undo = other.onMessage(ROOM, (m) => m.body === text && (undo(), resolve(m)));
    });

  beforeAll(async () => {
    server = createServer({ port: 0 });
    installChat(server);
    installGame(server, { tickHz: 50 });
    const { port } = await server.listen();
    proxy = await startFaultProxy({ targetPort: port });
    http = await serve(await pageScript());
    browser = await launchChromium();
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const address = http.address() as { port: number };
    await page.goto(`http://127.0.0.1:${address.port}/`);
    expect(errors).toEqual([]);
    // The other player: the runtime from source on Node's ws, straight to the server (the relay is the page's only).
    peer = new ConnectionManager({ transport: webSocketTransport(WebSocket) });
    other = chatChannel({ manager: peer, url: `ws://127.0.0.1:${port}/ws` });
    await reach(other.channel, 'open');
    await other.join(ROOM);
    await call('start', `ws://127.0.0.1:${proxy.port}/ws`, ROOM);
  }, 60_000);

  afterAll(async () => {
    if (page) await call('stop').catch(() => undefined);
    await browser?.close();
    const closed = peer ? peer.names.map((name) => reach(peer.get(name) as Channel, 'closed')) : [];
    peer?.close();
    await Promise.all(closed);
    await proxy?.close();
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
    await server?.close();
  });

  it('exchanges chat both ways (Chinese and emoji) and game input for state', async () => {
    const fromPage = '来自浏览器的问候 👋🏽🇨🇳';
    const got = peerGets(fromPage);
    const id = await call('say', fromPage);
    expect(await got).toMatchObject({ room: ROOM, id, body: fromPage });

    const toPage = `聊天室 😀𝄞 ${'长'.repeat(100)}`;
    await other.say(ROOM, toPage);
    expect((await call('message', toPage)).body).toBe(toPage);

    const state = await call('input', 3);
    expect(state.lastInput).toBe(1);
    expect(Object.values(state.players)).toEqual([{ x: 3, y: 0 }]);
  });

  it('reconnects after the server side drops the connection, and exchanges again', async () => {
    const before = proxy.stats().accepted;
    expect(await call('opened', 1)).toEqual({ chat: 1, game: 1 });
    proxy.reset();
    expect(await call('opened', 2)).toEqual({ chat: 2, game: 2 });
    expect(proxy.stats().accepted).toBe(before + 2);

    const fromPage = '断线重连之后 ✅';
    const got = peerGets(fromPage);
    await call('say', fromPage);
    expect((await got).body).toBe(fromPage);
    const toPage = '欢迎回来 🎮';
    await other.say(ROOM, toPage);
    expect((await call('message', toPage)).body).toBe(toPage);

    // The session resumed: the same player, moved on from where the first test left it.
    const state = await call('input', 4);
    expect(state.lastInput).toBe(2);
    expect(Object.values(state.players)).toEqual([{ x: 7, y: 0 }]);
  });
});
