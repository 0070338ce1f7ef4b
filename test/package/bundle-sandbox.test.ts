import { ROOT } from '../support/paths';
import { readFileSync } from 'fs';
import { join } from 'path';
// acorn parses at an exact ECMAScript level (a devDependency of its own: the test imports it).
import { parse } from 'acorn';
import WebSocket from 'ws';
import { createServer, installChat, installGame, type ReferenceServer } from '../../server';
import { type Channel, ConnectionManager, webSocketTransport } from '../../src';
import { type ChatMessage, chatChannel, type GameState } from '../../channels';
import { DEVICE_EXPORTS, findCodegen, WEB_ONLY_EXPORTS } from '../../scripts/bundle';
import * as runtime from '../../src';
import * as presets from '../../channels';
import { reach } from '../support/channel-helpers';
import { createDeviceSandbox } from '../support/device-sandbox';
import { createWxEmulator, type WxEmulator } from '../support/wx-emulator';

// The single-file bundle as a mini-game ships it (dist/, made by `npm run build`, which `npm test` runs first), on a
// "device": a vm without TextEncoder, TextDecoder, globalThis, Buffer or process, where code generation is forbidden.
const root = ROOT;
const bundleFile = join(root, 'dist', 'multisocket.min.js');
type Bundle = typeof import('../../src') & typeof import('../../channels');

const ROOM = 7;
const fromDevice = '你好，世界 👋🏽🇨🇳 — 今晚八点开黑吗？';
const toDevice = `聊天室 😀𝄞 ${'长'.repeat(200)}`; // long: msgpack's TextDecoder path, i.e. the UTF-8 fallback

describe('dist/multisocket.min.js', () => {
  it('is ECMAScript 2017 and never generates code from strings', () => {
    const code = readFileSync(bundleFile, 'utf8');
    expect(() => parse(code, { ecmaVersion: 2017, sourceType: 'script' })).not.toThrow();
    expect(findCodegen(code)).toEqual([]);
  });

  it('loads on a device, leaves the global object alone, and exports the runtime and the presets', () => {
    const sandbox = createDeviceSandbox();
    expect(sandbox.run('typeof TextEncoder + typeof globalThis + typeof Buffer + typeof process')).toBe(
      'undefinedundefinedundefinedundefined',
    );
    const bundle = sandbox.require(bundleFile) as Bundle;
    for (const name of ['ConnectionManager', 'wxTransport', 'wxLifecycle', 'chatChannel', 'gameChannel'] as const) {
      expect(typeof bundle[name]).toBe('function');
    }
    // Every value the runtime and the presets export, but the browser/Node-only ones: a new export cannot be forgotten.
    const expected = [...Object.keys(runtime).filter((name) => !WEB_ONLY_EXPORTS.includes(name)), ...Object.keys(presets)];
    expect(Object.keys(bundle).sort()).toEqual(expected.sort());
    expect([...DEVICE_EXPORTS].sort()).toEqual(Object.keys(runtime).filter((name) => !WEB_ONLY_EXPORTS.includes(name)).sort());
    for (const name of WEB_ONLY_EXPORTS) expect(name in bundle).toBe(false);
    expect(sandbox.run('typeof TextEncoder + typeof TextDecoder')).toBe('undefinedundefined');
  });

  it('is what dist/miniprogram/ holds for "build npm", with channels.js giving the same presets', () => {
    const mini = join(root, 'dist', 'miniprogram');
    expect(readFileSync(join(mini, 'index.js')).equals(readFileSync(bundleFile))).toBe(true);
    const sandbox = createDeviceSandbox();
    const index = sandbox.require(join(mini, 'index.js')) as Bundle;
    const channels = sandbox.require(join(mini, 'channels.js')) as Bundle;
    expect(channels.chatChannel).toBe(index.chatChannel);
    expect(channels.gameChannel).toBe(index.gameChannel);
  });
});

describe('a game + chat session through the bundle on a device, against the real server', () => {
  let server: ReferenceServer;
  let emulator: WxEmulator;
  let device: InstanceType<Bundle['ConnectionManager']>;
  let peer: ConnectionManager;

  afterEach(async () => {
    const channels = [device, peer].flatMap((m) => (m ? m.names.map((name) => m.get(name) as Channel) : []));
    const closed = channels.map((channel) => reach(channel, 'closed'));
    device?.close();
    peer?.close();
    await Promise.all(closed);
    await emulator?.dispose();
    await server?.close();
  });

  it('joins a room, exchanges Chinese and emoji both ways, and sends game input that comes back in the state', async () => {
    server = createServer({ port: 0 });
    installChat(server);
    installGame(server, { tickHz: 50 });
    const { port } = await server.listen();
    const bundle = createDeviceSandbox().require(bundleFile) as Bundle;
    // The emulator lives in the host realm: its ArrayBuffers cross into the sandbox's runtime and back.
    emulator = createWxEmulator();
    device = new bundle.ConnectionManager({ transport: bundle.wxTransport(emulator) });
    const url = `wss://127.0.0.1:${port}/ws`;
    const chat = bundle.chatChannel({ manager: device, url });
    const game = bundle.gameChannel({ manager: device, url, tickMs: 10 });
    // The other player: the runtime from source on Node's ws, so each side decodes what the other encoded.
    peer = new ConnectionManager({ transport: webSocketTransport(WebSocket) });
    const other = chatChannel({ manager: peer, url: `ws://127.0.0.1:${port}/ws` });
    await Promise.all([reach(chat.channel as Channel, 'open'), reach(game.channel as Channel, 'open'), reach(other.channel, 'open')]);
    await Promise.all([chat.join(ROOM), other.join(ROOM)]);

    const peerGot = new Promise<ChatMessage>((resolve) => other.onMessage(ROOM, (m) => m.body === fromDevice && resolve(m)));
    const deviceGot = new Promise<ChatMessage>((resolve) => chat.onMessage(ROOM, (m) => m.body === toDevice && resolve(m)));
    const said = await chat.say(ROOM, fromDevice);
    expect(await peerGot).toMatchObject({ room: ROOM, id: said.id, body: fromDevice });
    await other.say(ROOM, toDevice);
    expect((await deviceGot).body).toBe(toDevice);

    const state = new Promise<GameState<Record<string, { x: number; y: number }>>>((resolve) => {
      game.onState<Record<string, { x: number; y: number }>>((s) => s.lastInput === 2 && resolve(s));
    });
    expect(game.sendInput({ dx: 3 })).toBe(1);
    expect(game.sendInput({ dx: 4, dy: -1 })).toBe(2);
    expect(Object.values((await state).players)).toEqual([{ x: 7, y: -1 }]);
    expect(emulator.uncaughtErrors).toEqual([]);
  });
});
