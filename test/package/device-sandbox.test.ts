import { ROOT } from '../support/paths';
import { readFileSync } from 'fs';
import { join } from 'path';
import { gzipSync } from 'zlib';
// acorn parses at an exact ECMAScript level (a devDependency of its own: the test imports it).
import { parse } from 'acorn';
import { createServer, installChat, type ReferenceServer } from '../../server';
import type { Channel } from '../../src';
import type { ChatMessage } from '../../channels';
import { FrameCodec } from '../../src/wire/codec';
import { findCodegen, GLOBAL_NAME } from '../../scripts/bundle';
import { reach } from '../support/channel-helpers';
import { createDeviceSandbox } from '../support/device-sandbox';
import { createWxEmulator, type WxEmulator } from '../support/wx-emulator';

// These tests load the BUILT runtime (dist/, made by `npm run build`, which `npm test` runs first): what ships is
// what is tested.
const runtimeEntry = join(ROOT, 'dist', 'src', 'index.js');
const bundleFile = join(ROOT, 'dist', 'multisocket.min.js');
const globalFile = join(ROOT, 'dist', 'multisocket.global.js');
type Bundle = typeof import('../../src') & typeof import('../../channels');

const texts = [
  '你好，世界',
  '聊天室：今天晚上八点开黑吗？'.repeat(30), // long: msgpack takes its TextEncoder/TextDecoder path
  'emoji 👋🏽🇨🇳𝄞',
  '😀'.repeat(120),
  'lone high \ud800 and lone low \udc00',
  ('lone \ud83d surrogate in a long string ' + '长'.repeat(60)).repeat(3),
  '',
];

describe('the built runtime on a device without TextEncoder, globalThis, Buffer, process or eval', () => {
  const sandbox = createDeviceSandbox();

  it('really is such a device', () => {
    expect(sandbox.run('typeof TextEncoder + typeof TextDecoder + typeof globalThis + typeof Buffer + typeof process')).toBe(
      'undefinedundefinedundefinedundefinedundefined',
    );
    expect(() => sandbox.run('eval("1 + 1")')).toThrow(/Code generation from strings disallowed/);
    expect(() => sandbox.run('new Function("return 1")')).toThrow(/Code generation from strings disallowed/);
  });

  it('loads and round-trips text without TextEncoder, leaving the global object alone', () => {
    const runtime = sandbox.require(runtimeEntry) as { FrameCodec: typeof FrameCodec };
    const codec = new runtime.FrameCodec();
    const [frame] = codec.decode(codec.encode([4, 't', '好 👋']));
    expect(frame?.[2]).toBe('好 👋');
    expect(sandbox.run('typeof TextEncoder + typeof TextDecoder')).toBe('undefinedundefined');
  });

  it('encodes frames with Chinese, emoji and lone surrogates to the same bytes as the host', () => {
    const host = new FrameCodec();
    const { FrameCodec: DeviceCodec } = sandbox.require(runtimeEntry) as { FrameCodec: typeof FrameCodec };
    const device = new DeviceCodec();
    for (const text of texts) {
      const frame = [4, 'room/1/message', { text, from: text.slice(0, 3) }] as const;
      const mine = Buffer.from(new Uint8Array(device.encode(frame)));
      const theirs = Buffer.from(new Uint8Array(host.encode(frame)));
      expect(mine.toString('hex')).toBe(theirs.toString('hex'));
    }
  });

  it('decodes the host bytes to the same strings the host decodes', () => {
    const host = new FrameCodec();
    const { FrameCodec: DeviceCodec } = sandbox.require(runtimeEntry) as { FrameCodec: typeof FrameCodec };
    const device = new DeviceCodec();
    for (const text of texts) {
      const bytes = host.encode([4, 't', text]);
      const copy = sandbox.run<(b: number[]) => ArrayBuffer>('(function (b) { return new Uint8Array(b).buffer; })')(
        Array.from(new Uint8Array(bytes)),
      );
      const [decoded] = device.decode(copy) as unknown as unknown[][];
      expect((decoded as unknown[])[2]).toBe((host.decode(bytes)[0] as unknown as unknown[])[2]);
    }
  });

  it('round-trips invalid UTF-8 exactly as the host does (U+FFFD replacement)', () => {
    const host = new FrameCodec();
    const { FrameCodec: DeviceCodec } = sandbox.require(runtimeEntry) as { FrameCodec: typeof FrameCodec };
    const device = new DeviceCodec();
    // str8 of 250 bytes: long enough for msgpack's TextDecoder path, with a truncated sequence and a stray byte.
    const body = Buffer.alloc(250, 0x61);
    body[10] = 0xe4;
    body[11] = 0xbd;
    body[100] = 0xff;
    const message = Buffer.concat([Buffer.from([0x93, 0x04, 0xa1, 0x74, 0xd9, 250]), body]);
    const hostText = (host.decode(message)[0] as unknown as unknown[])[2];
    const copy = sandbox.run<(b: number[]) => ArrayBuffer>('(function (b) { return new Uint8Array(b).buffer; })')(
      Array.from(message),
    );
    expect((device.decode(copy)[0] as unknown as unknown[])[2]).toBe(hostText);
  });
});

describe("a host that has its own TextEncoder and TextDecoder", () => {
  it('keeps them: the fallback never replaces a host codec', () => {
    const sandbox = createDeviceSandbox({ globals: { TextEncoder, TextDecoder } });
    sandbox.require(runtimeEntry);
    expect(sandbox.run('TextEncoder')).toBe(TextEncoder);
    expect(sandbox.run('TextDecoder')).toBe(TextDecoder);
  });
});

describe('dist/multisocket.global.js, for engines that load plugin scripts without a module system', () => {
  let server: ReferenceServer | undefined;
  let emulator: WxEmulator | undefined;

  afterEach(async () => {
    await emulator?.dispose();
    await server?.close();
    emulator = undefined;
    server = undefined;
  });

  /** A device that runs the file as a plain script, as Cocos Creator and LayaAir load a plugin script. */
  function loadGlobal(): { sandbox: ReturnType<typeof createDeviceSandbox>; added: string[] } {
    const sandbox = createDeviceSandbox();
    expect(sandbox.run('typeof module + typeof exports + typeof require')).toBe('undefinedundefinedundefined');
    const before = new Set(sandbox.run<string[]>('Object.getOwnPropertyNames(this)'));
    sandbox.run(readFileSync(globalFile, 'utf8'));
    const added = sandbox.run<string[]>('Object.getOwnPropertyNames(this)').filter((name) => !before.has(name));
    return { sandbox, added };
  }

  it('is an ECMAScript 2017 script that never generates code from strings', () => {
    const code = readFileSync(globalFile, 'utf8');
    expect(() => parse(code, { ecmaVersion: 2017, sourceType: 'script' })).not.toThrow();
    expect(findCodegen(code)).toEqual([]);
  });

  it('defines the one global multisocket, with every export of the one-file bundle', () => {
    const { sandbox, added } = loadGlobal();
    expect(added).toEqual([GLOBAL_NAME]);
    const fromGlobal = sandbox.run<Record<string, unknown>>(GLOBAL_NAME);
    const fromBundle = createDeviceSandbox().require(bundleFile) as Record<string, unknown>;
    expect(Object.keys(fromGlobal).sort()).toEqual(Object.keys(fromBundle).sort());
    for (const name of Object.keys(fromBundle)) expect(typeof fromGlobal[name]).toBe(typeof fromBundle[name]);
    expect(sandbox.run('typeof TextEncoder + typeof TextDecoder + typeof globalThis')).toBe('undefinedundefinedundefined');
  });

  it("is the one-file bundle's code in another wrapper, not a second copy of anything (gzip sizes within 1%)", () => {
    const [single, global] = [bundleFile, globalFile].map((file) => gzipSync(readFileSync(file), { level: 9 }).byteLength);
    expect(Math.abs((global as number) - (single as number))).toBeLessThan((single as number) / 100);
  });

  it('encodes Chinese and emoji to the same bytes as the host', () => {
    const device = new (loadGlobal().sandbox.run<Bundle>(GLOBAL_NAME).FrameCodec)();
    const host = new FrameCodec();
    const frame = [4, 'room/1/message', { text: texts[1], emoji: texts[2] }] as const;
    expect(Buffer.from(new Uint8Array(device.encode(frame))).equals(Buffer.from(new Uint8Array(host.encode(frame))))).toBe(true);
  });

  it('opens a chat channel over wx against the real server and hears its own Chinese line back', async () => {
    server = createServer({ port: 0 });
    installChat(server);
    const { port } = await server.listen();
    const bundle = loadGlobal().sandbox.run<Bundle>(GLOBAL_NAME);
    emulator = createWxEmulator();
    const manager = new bundle.ConnectionManager({ transport: bundle.wxTransport(emulator) });
    const chat = bundle.chatChannel({ manager, url: `wss://127.0.0.1:${port}/ws` });
    await reach(chat.channel as Channel, 'open');
    await chat.join(1);
    const heard = new Promise<ChatMessage>((resolve) => chat.onMessage(1, resolve));
    const said = await chat.say(1, texts[2]);
    expect(await heard).toMatchObject({ id: said.id, body: texts[2] });
    const closed = reach(chat.channel as Channel, 'closed');
    manager.close();
    await closed;
    expect(emulator.uncaughtErrors).toEqual([]);
  });
});
