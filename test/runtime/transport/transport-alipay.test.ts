import { FailureCause } from '../../../src/failures';
import { TransportError, UsageError } from '../../../src/errors';
import { ConnectionManager } from '../../../src/manager';
import { alipayErrMsg, alipayMessageData, alipayTransport } from '../../../src/transport/alipay';
import { fromBase64, toBase64 } from '../../../src/transport/base64';
import { FrameCodec } from '../../../src/wire/codec';
import { type Frame, Op } from '../../../src/wire/protocol';
import { createMyEmulator } from '../../../emulator/my-emulator';
import { next } from '../../support/channel-helpers';
import { startEchoServer, type EchoServer } from '../../support/echo-server';
import { ManualClock } from '../../support/manual-clock';
import { watchSocket } from '../../support/socket-events';
import { thrown } from '../../support/thrown';
import { createWxEmulator, type WxEmulator } from '../../support/wx-emulator';

// Alipay's `my.connectSocket` through alipayTransport, on the Alipay-shaped emulator over real sockets. The channel,
// preset and fault suites run on it too (TRANSPORT_KINDS' 'my', in the older shape: base64 binary, nested messages).

let server: EchoServer;
let wx: WxEmulator;
beforeEach(async () => {
  server = await startEchoServer();
  wx = createWxEmulator({ clock: new ManualClock() });
});
afterEach(async () => {
  await wx.dispose();
  await server.close();
});

const codec = new FrameCodec();
const frame: Frame = [Op.Push, 'room/1', { text: '你好 🎮', n: 3 }];

describe.each([
  ['arraybuffer', false],
  ['base64', false],
  ['base64', true],
] as const)('alipayTransport, binary as %s (nested messages: %s)', (binary, nested) => {
  it('opens a SocketTask (multiple: true) and round-trips a binary frame as exact bytes', async () => {
    const socket = alipayTransport(createMyEmulator(wx, { binary, nested }), { binary }).connect({ url: server.secureUrl });
    const events = watchSocket(socket);
    await events.opens.next();
    socket.send({ data: codec.encode(frame) });
    const received = await server.received.next();
    expect(received.isBinary).toBe(true);
    const echoed = await events.messages.next();
    expect(echoed).toBeInstanceOf(ArrayBuffer);
    expect(codec.decode(echoed)).toEqual([frame]);
    socket.send({ data: 'text stays text' });
    expect(await events.messages.next()).toBe('text stays text');
  });
});

describe('alipayTransport: what differs from wx', () => {
  it('an older base library that takes only base64 text refuses an ArrayBuffer: the send fails with its error code', async () => {
    const socket = alipayTransport(createMyEmulator(wx, { binary: 'base64' })).connect({ url: server.secureUrl });
    const events = watchSocket(socket);
    await events.opens.next();
    socket.send({ data: codec.encode(frame) });
    expect(await events.errors.next()).toBe('sendSocketMessage:fail 接口参数无效 (data must be a string) (error 2)');
  });

  it("a refused connect's { error, errorMessage } reaches the app as a TransportError with the number kept and its cause", async () => {
    const domains = createWxEmulator({ clock: new ManualClock(), domains: ['game.example.com'] });
    const manager = new ConnectionManager({ transport: alipayTransport(createMyEmulator(domains)), clock: new ManualClock() });
    try {
      const error = await next(manager.open('game', { url: server.secureUrl }), 'error');
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).errMsg).toBe('connectSocket:fail url not in domain list (error 2)');
      expect((error as TransportError).cause).toBe(FailureCause.DomainNotAllowed);
    } finally {
      manager.close();
      await domains.dispose();
    }
  });

  it('without multiple: true Alipay gives no SocketTask; alipayTransport always asks for one', async () => {
    const my = createMyEmulator(wx);
    expect(my.connectSocket({ url: server.secureUrl })).toBeUndefined();
    const socket = alipayTransport(my).connect({ url: server.secureUrl });
    await watchSocket(socket).opens.next();
    expect(wx.liveTasks).toBe(1);
  });

  it('refuses what is not Alipay\'s API and unknown options, naming them', () => {
    expect(thrown(UsageError, () => alipayTransport(undefined as never)).message).toContain('alipayTransport needs');
    expect(thrown(UsageError, () => alipayTransport(createMyEmulator(wx), { binnary: 'base64' } as never)).message).toContain('binary');
  });
});

describe('the forms of a received message', () => {
  const bytes = new Uint8Array([0, 1, 2, 250, 255]).buffer;
  it('an ArrayBuffer as is, base64 flagged isBuffer decoded, nested or not; text stays text', () => {
    expect(alipayMessageData({ data: bytes })).toBe(bytes);
    expect([...new Uint8Array(alipayMessageData({ data: toBase64(bytes), isBuffer: true }) as ArrayBuffer)]).toEqual([0, 1, 2, 250, 255]);
    expect([...new Uint8Array(alipayMessageData({ data: { data: toBase64(bytes), isBuffer: true } }) as ArrayBuffer)]).toEqual([0, 1, 2, 250, 255]);
    expect(alipayMessageData({ data: { data: 'hello' } })).toBe('hello');
    expect(alipayMessageData({ data: 'aGVsbG8=', isBuffer: false })).toBe('aGVsbG8=');
  });

  it('base64 that does not decode stays text (the codec then refuses it as a protocol error), never garbage bytes', () => {
    expect(alipayMessageData({ data: 'not base64!', isBuffer: true })).toBe('not base64!');
    expect(fromBase64('abcde')).toBeUndefined();
  });

  it("Alipay's error forms in wx's words", () => {
    expect(alipayErrMsg({ error: 20, errorMessage: '请求 url 不支持 ws,请使用 wss' }, 'connectSocket')).toBe('connectSocket:fail 请求 url 不支持 ws,请使用 wss (error 20)');
    expect(alipayErrMsg({ errMsg: 'connectSocket:fail timeout' }, 'connectSocket')).toBe('connectSocket:fail timeout');
    expect(alipayErrMsg(undefined, 'closeSocket')).toBe('closeSocket:fail failed');
  });
});

describe('base64', () => {
  it('matches the standard encoding for every length and round-trips, padding optional', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 255);
      const text = toBase64(bytes.buffer);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect([...new Uint8Array(fromBase64(text) as ArrayBuffer)]).toEqual([...bytes]);
      expect([...new Uint8Array(fromBase64(text.replace(/=+$/, '')) as ArrayBuffer)]).toEqual([...bytes]);
    }
    for (const bad of ['a', 'ab c', 'ab=c', '€€€€']) expect(fromBase64(bad)).toBeUndefined();
  });
});
