import { ROOT } from '../support/paths';
import { join } from 'path';
import WebSocket from 'ws';
import { createServer, installChat, installGame, type ReferenceServer } from '../../server';
import { ConnectionManager, webSocketTransport } from '../../src';
import { type ChatChannel, chatChannel, type ChatMessage } from '../../channels';
import { GLOBAL_NAME, WEB_ONLY_EXPORTS } from '../../scripts/bundle';
import * as runtime from '../../src';
import * as presets from '../../channels';
import { reach } from '../support/channel-helpers';
import { type JscDevice, type Report, startJscDevice } from '../support/jsc-device';
import { Changes, holds, waitFor } from '../support/wait';
import { createWxEmulator, type WxEmulator } from '../support/wx-emulator';

// The bundle as a mini-game ships it (dist/, made by `npm run build`, which `npm test` runs first), on
// JavaScriptCore, the engine of WeChat on iOS (Debian's `jsc`, without a JIT as on iOS), with a `wx` whose SocketTasks
// are real sockets held by this process (test/support/jsc-device.ts, test/platforms/jsc/host.js).
//
// Both builds a game ships: the one-file CommonJS bundle, and the global build (a plain script, as Cocos Creator loads
// a plugin script), which must hold the same on the same engine.
const builds = [
  { name: 'dist/multisocket.min.js, required', bundle: join(ROOT, 'dist', 'multisocket.min.js') },
  { name: 'dist/multisocket.global.js, run as a plain script', bundle: join(ROOT, 'dist', 'multisocket.global.js'), global: GLOBAL_NAME },
];
const deviceScript = join(ROOT, 'test', 'platforms', 'jsc', 'device.js');

const ROOM = 7;
const fromDevice = '你好，世界 👋🏽🇨🇳 — 今晚八点开黑吗？';
const toDevice = `聊天室 😀𝄞 ${'长'.repeat(200)}`; // long: the codec's own UTF-8 decoding of a long string
const offlineFromDevice = [1, 2, 3].map((n) => `掉线时说的第${n}句 🀄`);
const offlineToDevice = [1, 2, 3].map((n) => `你不在时的第${n}句 🐉`);

interface DeviceChat extends Report {
  readonly id: number;
  readonly body: string;
}

/** `bodies` in the order `lines` hold them, each found exactly once, ids strictly increasing. */
function expectOnceInOrder(lines: readonly { id: number; body: unknown }[], bodies: readonly string[]): void {
  expect(lines.map((l) => l.body).sort()).toEqual([...bodies].sort());
  const ids = lines.map((l) => l.id);
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(new Set(ids).size).toBe(ids.length);
}

describe.each(builds)('$name on JavaScriptCore (WeChat on iOS), its sockets bridged to real ones', ({ bundle, global }) => {
  let server: ReferenceServer | undefined;
  let emulator: WxEmulator | undefined;
  let device: JscDevice | undefined;
  let peer: ConnectionManager | undefined;

  afterEach(async () => {
    const closed = peer ? peer.names.map((name) => reach(peer?.get(name) as runtime.Channel, 'closed')) : [];
    peer?.close();
    await Promise.all(closed);
    await device?.close();
    await emulator?.dispose();
    await server?.close();
    [server, emulator, device, peer] = [undefined, undefined, undefined, undefined];
  });

  it('plays a game + chat session with the presets, in Chinese and emoji, across a dropped connection: resumed, each chat line once', async () => {
    server = createServer({ port: 0 });
    installChat(server);
    installGame(server, { tickHz: 50 });
    const { port } = await server.listen();
    const wx = createWxEmulator();
    emulator = wx;
    const jsc = startJscDevice({ bundle, global, script: deviceScript, emulator: wx });
    device = jsc;
    // A failure below ends with what jsc reported, printed and wrote to stderr.
    await jsc.tell(async () => {
      const chatReports = () => jsc.reports.filter((r): r is DeviceChat => r.type === 'chat');
      const reported = (type: string, fields: Record<string, unknown> = {}) => (r: Report) =>
        r.type === type && Object.entries(fields).every(([key, value]) => r[key] === value);

      // The bundle loaded with no globalThis, TextEncoder, require or module, and has the runtime and the presets.
      const loaded = await jsc.untilReport('the bundle to load', reported('loaded'));
      const missing = ['globalThis', 'TextEncoder', 'TextDecoder', 'require', 'module', 'exports', 'Buffer', 'process'];
      expect(loaded.globals).toEqual(Object.fromEntries(missing.map((name) => [name, 'undefined'])));
      const expected = [...Object.keys(runtime).filter((name) => !WEB_ONLY_EXPORTS.includes(name)), ...Object.keys(presets)];
      expect(loaded.exports).toEqual(expected.sort());

      // The other player: the runtime from source on Node's ws.
      peer = new ConnectionManager({ transport: webSocketTransport(WebSocket) });
      const other: ChatChannel = chatChannel({ manager: peer, url: `ws://127.0.0.1:${port}/ws` });
      const peerLines: ChatMessage[] = [];
      const peerChanges = new Changes();
      other.onMessage(ROOM, (message) => {
        peerLines.push(message);
        peerChanges.notify();
      });
      const peerHears = (bodies: readonly string[]) =>
        waitFor(`the peer to hear ${bodies.join(' | ')}`, holds(() => bodies.every((b) => peerLines.some((l) => l.body === b)), peerChanges));

      jsc.command({ do: 'open', url: `wss://127.0.0.1:${port}/ws` });
      await Promise.all([
        jsc.untilReport('the chat channel to open', reported('open', { channel: 'chat' })),
        jsc.untilReport('the game channel to open', reported('open', { channel: 'game' })),
        reach(other.channel, 'open'),
      ]);
      jsc.command({ do: 'join', room: ROOM });
      await Promise.all([jsc.untilReport('the device to join', reported('joined')), other.join(ROOM)]);

      // Chinese and emoji, both ways.
      jsc.command({ do: 'say', room: ROOM, body: fromDevice });
      const said = await jsc.untilReport('the device to say its line', reported('said', { body: fromDevice }));
      await peerHears([fromDevice]);
      expect(peerLines.find((l) => l.body === fromDevice)?.id).toBe(said.id);
      await other.say(ROOM, toDevice);
      await jsc.untilReport('the device to hear the peer', reported('chat', { body: toDevice }));

      // Game input comes back in the server's state.
      jsc.command({ do: 'input', input: { dx: 3 } });
      jsc.command({ do: 'input', input: { dx: 4, dy: -1 } });
      const before = await jsc.untilReport('input 2 in the state', reported('state', { lastInput: 2 }));
      expect(Object.values(before.players as object)).toEqual([{ x: 7, y: -1 }]);

      // The connection drops (no close frame); both sides talk meanwhile.
      const opensBefore = jsc.reports.filter(reported('open')).length;
      wx.dropConnection();
      for (const body of offlineFromDevice) jsc.command({ do: 'say', room: ROOM, body });
      await Promise.all(offlineToDevice.map((body) => other.say(ROOM, body)));
      const reopened = await jsc.until('both channels to reopen', () => {
        const opens = jsc.reports.filter(reported('open')).slice(opensBefore);
        return opens.length >= 2 ? opens : undefined;
      });
      expect(reopened.map((r) => [r.channel, r.resumed]).sort()).toEqual([['chat', true], ['game', true]]);
      await Promise.all([
        jsc.until('the device to hear every line said while it was away', () =>
          offlineToDevice.every((b) => chatReports().some((r) => r.body === b)) || undefined,
        ),
        ...offlineFromDevice.map((body) => jsc.untilReport(`the device's say of ${body} to be stored`, reported('said', { body }))),
        peerHears(offlineFromDevice),
      ]);

      // The game goes on from where it was: the resumed session kept the player.
      jsc.command({ do: 'input', input: { dx: 1 } });
      const after = await jsc.untilReport('input 3 in the state', reported('state', { lastInput: 3 }));
      expect(Object.values(after.players as object)).toEqual([{ x: 8, y: -1 }]);

      // Every chat line once, in the same order on both ends.
      const all = [fromDevice, toDevice, ...offlineFromDevice, ...offlineToDevice];
      expectOnceInOrder(chatReports(), all);
      expectOnceInOrder(peerLines, all);
      expect(chatReports().map((r) => r.id)).toEqual(peerLines.map((l) => l.id));
      expect(jsc.reports.filter((r) => ['resync', 'sayFailed', 'joinFailed', 'commandFailed'].includes(r.type))).toEqual([]);

      // Closing releases every timer the runtime set, and jsc's loop ends.
      jsc.command({ do: 'close' });
      const closed = await jsc.untilReport('the device to close', reported('closed'));
      expect(closed.timers).toBe(0);
      expect(await jsc.exited).toEqual({ code: 0, signal: null });
      expect(jsc.uncaught).toEqual([]);
      expect(wx.uncaughtErrors).toEqual([]);
    });
  }, 60_000);
});
