import net from 'node:net';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { FrameCodec } from '../../../src/wire/codec';
import { UsageErrorCode } from '../../../src/codes';
import { UsageError } from '../../../src/errors';
import { type Frame, Op } from '../../../src/wire/protocol';
import type { SocketLike } from '../../../src/transport/types';
import { webSocketTransport } from '../../../src/transport/websocket';
import { wxTransport } from '../../../src/transport/wx';
import { thrown } from '../../support/thrown';
import { Inbox, startEchoServer, type EchoServer } from '../../support/echo-server';
import { watchSocket } from '../../support/socket-events';

/** Every `ws` client the transport creates, so afterEach can make sure none is left open. */
const created: WebSocket[] = [];
const argumentCounts: number[] = [];

class RecordingWebSocket extends WebSocket {
  constructor(url: string, protocols?: string[], options?: { headers: Record<string, string> }) {
    argumentCounts.push(options === undefined ? 2 : 3);
    super(url, protocols, options);
    created.push(this);
  }
}

let server: EchoServer;

beforeEach(async () => {
  server = await startEchoServer();
});

afterEach(async () => {
  await Promise.all(
    created.splice(0).map((ws) =>
      ws.readyState === WebSocket.CLOSED ? undefined : new Promise((resolve) => (ws.once('close', resolve), ws.terminate())),
    ),
  );
  argumentCounts.length = 0;
  await server.close();
});

async function openSocket(): Promise<{ socket: SocketLike; events: ReturnType<typeof watchSocket> }> {
  const socket = webSocketTransport(RecordingWebSocket).connect({ url: server.url });
  const events = watchSocket(socket);
  await events.opens.next();
  return { socket, events };
}

describe('webSocketTransport over the ws package', () => {
  test('opens with the given protocols, and passes headers as a third argument only when there are some', async () => {
    const transport = webSocketTransport(RecordingWebSocket);
    expect(transport.name).toBe('websocket');
    await watchSocket(transport.connect({ url: server.url })).opens.next();
    await watchSocket(transport.connect({ url: server.url, header: { 'X-Token': 't1' }, protocols: ['ms1'] })).opens.next();
    expect(argumentCounts).toEqual([2, 3]);
    await server.connections.next();
    const second = await server.connections.next();
    expect(second.headers['x-token']).toBe('t1');
    expect(second.protocol).toBe('ms1');
  });

  test('binary arrives as an exact ArrayBuffer and text as a string', async () => {
    const { socket, events } = await openSocket();
    socket.send({ data: new Uint8Array([7, 8, 9]).buffer });
    socket.send({ data: 'text' });
    const binary = await events.messages.next();
    expect(Object.prototype.toString.call(binary)).toBe('[object ArrayBuffer]');
    expect([...new Uint8Array(binary as ArrayBuffer)]).toEqual([7, 8, 9]);
    expect(await events.messages.next()).toBe('text');
  });

  test('round-trips a msgpack frame, and a view is sent as exactly its own bytes', async () => {
    const { socket, events } = await openSocket();
    const codec = new FrameCodec();
    const frame: Frame = [Op.Request, 1, 'echo', { list: [1, 'two'] }];
    socket.send({ data: codec.encode(frame) });
    expect(codec.decode(await events.messages.next())).toEqual([frame]);
    await server.received.next();
    socket.send({ data: new Uint8Array([0, 4, 5, 0]).subarray(1, 3) as unknown as ArrayBuffer });
    expect([...((await server.received.next()).data as Buffer)]).toEqual([4, 5]);
  });

  test("send before open fails: the caller's fail is called and an error event is emitted; the server gets nothing", async () => {
    const socket = webSocketTransport(RecordingWebSocket).connect({ url: server.url });
    const events = watchSocket(socket);
    const failed = new Inbox<string>();
    socket.send({ data: 'early', fail: (r) => failed.push(r.errMsg) });
    expect(await failed.next()).toMatch(/^sendSocketMessage:fail WebSocket is not connected/);
    expect(await events.errors.next()).toMatch(/not connected/);
    await events.opens.next();
    socket.send({ data: 'after open' });
    expect((await server.received.next()).data).toBe('after open');
  });

  test('close code and reason reach the server, and onClose reports them', async () => {
    const { socket, events } = await openSocket();
    socket.close({ code: 4102, reason: 'done here' });
    const seen = await server.closes.next();
    expect([seen.code, seen.reason]).toEqual([4102, 'done here']);
    expect(await events.closes.next()).toEqual({ code: 4102, reason: 'done here' });
  });

  test('an invalid close code is refused before it reaches the socket', async () => {
    const { socket } = await openSocket();
    for (const code of [1001, 2000, 5000]) {
      expect(() => socket.close({ code })).toThrow(expect.objectContaining({ code: UsageErrorCode.InvalidCloseCode }));
    }
    expect(() => socket.send({ data: { not: 'data' } as unknown as string })).toThrow(UsageError);
    socket.send({ data: 'still open' });
    expect((await server.received.next()).data).toBe('still open');
  });

  test('a server-initiated close reaches onClose with its code and reason', async () => {
    const { events } = await openSocket();
    const accepted = await server.connections.next();
    accepted.connection.close(4000, 'restarting');
    expect(await events.closes.next()).toEqual({ code: 4000, reason: 'restarting' });
  });

  test('a refused connection reports onError then onClose 1006', async () => {
    const closedPort = await freePort();
    const events = watchSocket(webSocketTransport(RecordingWebSocket).connect({ url: `ws://127.0.0.1:${closedPort}` }));
    expect(await events.errors.next()).toMatch(/ECONNREFUSED/);
    expect((await events.closes.next()).code).toBe(1006);
  });

  test('a constructor that throws (bad URL) is reported through onError and onClose, not thrown', async () => {
    const events = watchSocket(webSocketTransport(RecordingWebSocket).connect({ url: 'not a url' }));
    expect(await events.errors.next()).toMatch(/^connectSocket:fail/);
    expect((await events.closes.next()).code).toBe(1006);
  });
});

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe('a transport built wrong fails at the call, not on every attempt after', () => {
  it.each([undefined, null, {}, 'WebSocket'])('webSocketTransport(%p) is a UsageError naming what it needs', (bad) => {
    const err = thrown(UsageError, () => webSocketTransport(bad as never));
    expect(err.code).toBe(UsageErrorCode.InvalidArgument);
    expect(err.message).toMatch(/needs a WebSocket constructor \(the browser's WebSocket, or require\('ws'\)\), got /);
  });

  it('wxTransport without the platform API, or with a misspelt option, too', () => {
    expect(thrown(UsageError, () => wxTransport(undefined as never)).message).toMatch(/wxTransport needs the platform's API object with connectSocket/);
    const api = { connectSocket: () => ({}) } as never;
    expect(thrown(UsageError, () => wxTransport(api, { allowInsecur: true } as never)).message).toContain('did you mean allowInsecure?');
    expect(thrown(UsageError, () => webSocketTransport(WebSocket as never, { nam: 'x' } as never)).message).toContain('did you mean name?');
  });
});
