import { FrameCodec } from '../../../src/wire/codec';
import { TransportErrorCode, UsageErrorCode } from '../../../src/codes';
import { UsageError } from '../../../src/errors';
import { type Frame, Op } from '../../../src/wire/protocol';
import { wxErrorCode, wxTransport, type WxSocketApi, type WxSocketCloseResult } from '../../../src/transport/wx';
import { Inbox, startEchoServer, type EchoServer } from '../../support/echo-server';
import { watchSocket } from '../../support/socket-events';
import { ManualClock } from '../../support/manual-clock';
import { thrown } from '../../support/thrown';
import { createWxEmulator, type WxEmulator } from '../../support/wx-emulator';

function usageCode(fn: () => unknown): string {
  return thrown(UsageError, fn).code;
}

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

describe('wxTransport: what reaches connectSocket', () => {
  test('passes url, header, protocols, tcpNoDelay and the timeout capped at 60 s, always with success and fail', async () => {
    const transport = wxTransport(wx);
    expect(transport.name).toBe('wx');
    const socket = transport.connect({
      url: server.secureUrl,
      header: { 'X-Token': 'abc' },
      protocols: ['ms1'],
      timeoutMs: 90_000,
      tcpNoDelay: true,
    });
    const accepted = await server.connections.next();
    const call = wx.connectCalls[0];
    expect(call).toMatchObject({ url: server.secureUrl, header: { 'X-Token': 'abc' }, protocols: ['ms1'], timeout: 60_000, tcpNoDelay: true });
    expect(typeof call?.success).toBe('function');
    expect(typeof call?.fail).toBe('function');
    expect(accepted.headers['x-token']).toBe('abc');
    expect(accepted.protocol).toBe('ms1');
    await watchSocket(socket).opens.next();
  });

  test('a shorter timeout is passed as is, and none is passed when none is asked for', () => {
    const transport = wxTransport(wx);
    transport.connect({ url: server.secureUrl, timeoutMs: 5000 });
    transport.connect({ url: server.secureUrl });
    expect(wx.connectCalls.map((c) => c.timeout)).toEqual([5000, undefined]);
    expect(usageCode(() => transport.connect({ url: server.secureUrl, timeoutMs: 0 }))).toBe(UsageErrorCode.InvalidOption);
  });

  test('refuses ws:// synchronously, naming the URL, unless allowInsecure', async () => {
    expect(() => wxTransport(wx).connect({ url: server.url })).toThrow(server.url);
    expect(usageCode(() => wxTransport(wx).connect({ url: server.url }))).toBe(UsageErrorCode.InsecureUrl);
    expect(usageCode(() => wxTransport(wx).connect({ url: 'https://example.com' }))).toBe(UsageErrorCode.InvalidArgument);
    expect(wx.connectCalls).toHaveLength(0);
    const dev = createWxEmulator({ devMode: true });
    try {
      await watchSocket(wxTransport(dev, { allowInsecure: true }).connect({ url: server.url })).opens.next();
    } finally {
      await dev.dispose();
    }
  });

  test('refuses a Referer header in any letter case', () => {
    for (const key of ['Referer', 'referer', 'REFERER']) {
      expect(usageCode(() => wxTransport(wx).connect({ url: server.secureUrl, header: { [key]: 'https://x' } }))).toBe(
        UsageErrorCode.ForbiddenHeader,
      );
    }
    expect(wx.connectCalls).toHaveLength(0);
  });
});

describe('wxTransport: the socket', () => {
  test('round-trips a msgpack frame through FrameCodec as an exact ArrayBuffer', async () => {
    const codec = new FrameCodec();
    const socket = wxTransport(wx).connect({ url: server.secureUrl });
    const events = watchSocket(socket);
    await events.opens.next();
    const frame: Frame = [Op.Push, 'room/1', { text: '你好', n: 3 }];
    socket.send({ data: codec.encode(frame) });
    expect(codec.decode(await events.messages.next())).toEqual([frame]);
  });

  test('a view is sent as exactly its own bytes in a fresh ArrayBuffer, never its whole buffer', async () => {
    const socket = wxTransport(wx).connect({ url: server.secureUrl });
    await watchSocket(socket).opens.next();
    const whole = new Uint8Array([9, 9, 1, 2, 3, 9]);
    socket.send({ data: whole.subarray(2, 5) as unknown as ArrayBuffer });
    const received = await server.received.next();
    expect([...(received.data as Buffer)]).toEqual([1, 2, 3]);
    const sent = wx.sentBy(wx.tasks[0]!)[0] as ArrayBuffer;
    expect(Object.prototype.toString.call(sent)).toBe('[object ArrayBuffer]');
    expect(sent.byteLength).toBe(3);
  });

  test('refuses to send what is neither a string nor an ArrayBuffer', () => {
    const socket = wxTransport(wx).connect({ url: server.secureUrl });
    expect(usageCode(() => socket.send({ data: 42 as unknown as string }))).toBe(UsageErrorCode.InvalidArgument);
  });

  test("a send the platform fails calls the caller's fail and becomes an error event, errMsg preserved", async () => {
    const socket = wxTransport(wx).connect({ url: server.secureUrl });
    const events = watchSocket(socket);
    const failed = new Inbox<string>();
    socket.send({ data: 'too early', fail: (r) => failed.push(r.errMsg) });
    expect(await failed.next()).toBe('sendSocketMessage:fail WebSocket is not connected');
    expect(await events.errors.next()).toBe('sendSocketMessage:fail WebSocket is not connected');
  });

  test('validates close codes and reasons, and passes a valid close to the server', async () => {
    const socket = wxTransport(wx).connect({ url: server.secureUrl });
    const events = watchSocket(socket);
    await events.opens.next();
    for (const code of [1001, 1006, 2999, 5000, 3000.5]) {
      expect(usageCode(() => socket.close({ code }))).toBe(UsageErrorCode.InvalidCloseCode);
    }
    expect(usageCode(() => socket.close({ code: 1000, reason: 'é'.repeat(62) }))).toBe(UsageErrorCode.InvalidCloseCode);
    socket.close({ code: 4001, reason: 'é'.repeat(61) });
    const seen = await server.closes.next();
    expect([seen.code, seen.reason]).toEqual([4001, 'é'.repeat(61)]);
    expect((await events.closes.next()).code).toBe(4001);
  });

  test('close() called with no option still hands the platform an object (the emulator throws on none)', async () => {
    const socket = wxTransport(wx).connect({ url: server.secureUrl });
    const events = watchSocket(socket);
    await events.opens.next();
    (socket.close as (option?: object) => void)();
    expect((await server.closes.next()).code).toBe(1000);
    expect(events.errors.unread).toEqual([]);
  });

  test('a close before onOpen is remembered: the socket closes right after it opens and onOpen is not delivered', async () => {
    const socket = wxTransport(wx).connect({ url: server.secureUrl });
    const events = watchSocket(socket);
    socket.close({ code: 4100, reason: 'cancelled' });
    const seen = await server.closes.next();
    expect([seen.code, seen.reason]).toEqual([4100, 'cancelled']);
    expect(await events.closes.next()).toEqual({ code: 4100, reason: 'cancelled' });
    expect(events.opens.unread).toEqual([]);
  });

  test('the sixth socket is refused once: one error with the limit errMsg, then onClose 1006', async () => {
    const transport = wxTransport(wx);
    for (let i = 0; i < 5; i++) await watchSocket(transport.connect({ url: server.secureUrl })).opens.next();
    const events = watchSocket(transport.connect({ url: server.secureUrl }));
    const close = await events.closes.next();
    expect(close.code).toBe(1006);
    expect(events.errors.unread).toHaveLength(1);
    const errMsg = events.errors.unread[0] ?? '';
    expect(errMsg).toMatch(/exceed max concurrent count/);
    expect(wxErrorCode(errMsg)).toBe(TransportErrorCode.SocketLimit);
  });

  test('a connectSocket that throws is reported through onError and onClose, never thrown', async () => {
    const api: WxSocketApi = {
      connectSocket: () => {
        throw new Error('bridge unavailable');
      },
    };
    const socket = wxTransport(api).connect({ url: 'wss://example.test' });
    const events = watchSocket(socket);
    expect(await events.errors.next()).toBe('connectSocket:fail bridge unavailable');
    expect((await events.closes.next()).code).toBe(1006);
    const sendFail = new Inbox<string>();
    socket.send({ data: 'x', fail: (r) => sendFail.push(r.errMsg) });
    expect(await sendFail.next()).toMatch(/^connectSocket:fail/);
  });

  test("ByteDance's string close code becomes a number", async () => {
    const closeListeners: Array<(r: WxSocketCloseResult) => void> = [];
    // A tt-shaped task: the only platform shape the emulator does not reproduce.
    const tt: WxSocketApi = {
      connectSocket: () => ({
        send: () => undefined,
        close: () => undefined,
        onOpen: () => undefined,
        onMessage: () => undefined,
        onError: () => undefined,
        onClose: (listener) => void closeListeners.push(listener),
      }),
    };
    const events = watchSocket(wxTransport(tt, { name: 'tt' }).connect({ url: 'wss://example.test' }));
    for (const listener of closeListeners) listener({ code: '1001', reason: 'went to background' });
    expect(await events.closes.next()).toEqual({ code: 1001, reason: 'went to background' });
  });

  test('a listener that throws becomes an error event; nothing is thrown into the platform', async () => {
    const socket = wxTransport(wx).connect({ url: server.secureUrl });
    socket.onOpen(() => {
      throw new Error('runtime bug');
    });
    const events = watchSocket(socket);
    await events.opens.next();
    expect(await events.errors.next()).toBe('a socket open listener threw: runtime bug');
    expect(wx.uncaughtErrors).toEqual([]);
  });
});

describe('wxErrorCode', () => {
  test.each([
    ['createSocketTask:fail wcwss taskID=9 exceed max concurrent count', TransportErrorCode.SocketLimit],
    ['connectSocket:fail exceed max task count', TransportErrorCode.SocketLimit],
    ['createSocketTask:fail url not in domain list', TransportErrorCode.ConnectRefused],
    ['sendSocketMessage:fail WebSocket is not connected', TransportErrorCode.SendFailed],
    ['exception onOpen fail code:9, msg:Timer Expired', TransportErrorCode.SocketError],
  ])('%s → %s', (errMsg, code) => {
    expect(wxErrorCode(errMsg)).toBe(code);
  });
});
