import net from 'node:net';
import WebSocket from 'ws';
import { type EchoServer, Inbox, startEchoServer } from '../support/echo-server';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { ManualClock } from '../support/manual-clock';
import { seededRandom } from '../support/random';
import { waitFor } from '../support/wait';
import { WsFrameScanner } from '../support/ws-frame-scanner';

/** A ws client through the proxy, with what it received and how it closed. */
interface Client {
  ws: WebSocket;
  messages: Inbox<Buffer>;
  closed: Promise<{ code: number; errored: boolean }>;
}

function connect(url: string): Client {
  const ws = new WebSocket(url);
  const messages = new Inbox<Buffer>();
  let errored = false;
  ws.on('message', (data) => messages.push(Buffer.from(data as Buffer)));
  ws.on('error', () => (errored = true));
  const closed = new Promise<{ code: number; errored: boolean }>((resolve) => ws.on('close', (code) => resolve({ code, errored })));
  return { ws, messages, closed };
}

const opened = (c: Client) => new Promise<void>((resolve, reject) => {
  c.ws.once('open', () => resolve());
  c.ws.once('close', () => reject(new Error('closed before open')));
});

describe('fault proxy', () => {
  let echo: EchoServer;
  let proxy: FaultProxy;
  const clients: Client[] = [];
  const client = () => {
    const c = connect(proxy.url(echo.url));
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    echo = await startEchoServer();
    proxy = await startFaultProxy({ targetPort: echo.port });
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.ws.terminate());
    await proxy.close();
    await echo.close();
  });

  it('passes bytes both ways and a close handshake end to end', async () => {
    const c = client();
    await opened(c);
    c.ws.send(Buffer.from('hello'));
    expect((await c.messages.next()).toString()).toBe('hello');
    c.ws.close(4000, 'bye');
    const seen = await echo.closes.next();
    expect([seen.code, seen.reason]).toEqual([4000, 'bye']);
    expect(await c.closed).toEqual({ code: 4000, errored: false });
    const stats = proxy.stats();
    expect(stats.accepted).toBe(1);
    expect(stats.frames).toEqual({ toServer: 1, toClient: 1 }); // data frames: the message and its echo
    expect(stats.bytes.toClient).toBeGreaterThan(0);
  });

  it('delays every chunk by the latency plus jitter, and never reorders', async () => {
    proxy = await reopen({ random: seededRandom(7) });
    proxy.latency(20, 15);
    const c = client();
    await opened(c);
    const started = Date.now();
    for (let i = 0; i < 50; i++) c.ws.send(Buffer.from(String(i)));
    const got: string[] = [];
    for (let i = 0; i < 50; i++) got.push((await c.messages.next()).toString());
    // There and back: at least twice the latency (a 1 ms margin for timer rounding).
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 20 - 1);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    expect(proxy.stats().faults.latency).toBe(1);
  });

  it('caps the bandwidth of each direction', async () => {
    const c = client();
    await opened(c);
    proxy.throttle(100_000);
    const started = Date.now();
    const payload = Buffer.alloc(10_000, 7);
    for (let i = 0; i < 3; i++) c.ws.send(payload);
    for (let i = 0; i < 3; i++) expect((await c.messages.next()).length).toBe(10_000);
    // 30 kB at 100 kB/s takes at least 300 ms each way; the first chunk of each way may leave at once.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 200 - 1);
  });

  it('reset() cuts every connection with a TCP reset: both ends see an abnormal close', async () => {
    const [a, b] = [client(), client()];
    await Promise.all([opened(a), opened(b)]);
    expect(proxy.reset()).toBe(2);
    expect((await a.closed).code).toBe(1006);
    expect((await b.closed).code).toBe(1006);
    expect((await echo.closes.next()).code).toBe(1006);
    expect((await echo.closes.next()).code).toBe(1006);
    expect(proxy.stats().faults.reset).toBe(1);
  });

  it('blackhole() swallows everything both ways and closes nothing; new connections hang; pass() lets new ones through', async () => {
    const c = client();
    await opened(c);
    const [server] = [...echo.clients];
    proxy.blackhole();
    const swallowedUp = nextDiscard(proxy, 5);
    c.ws.send(Buffer.from('lost!'));
    await swallowedUp;
    const swallowedDown = nextDiscard(proxy, 4);
    server?.send(Buffer.from('gone'));
    await swallowedDown;
    expect(c.messages.unread).toEqual([]);
    expect(echo.received.unread).toEqual([]);
    expect(echo.closes.unread).toEqual([]);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    // A new connection is accepted and its handshake swallowed: it neither opens nor closes.
    const held = nextDiscard(proxy, 1);
    const hung = client();
    await held;
    expect(hung.ws.readyState).toBe(WebSocket.CONNECTING);
    proxy.pass();
    const fresh = client();
    await opened(fresh);
    fresh.ws.send(Buffer.from('through'));
    expect((await fresh.messages.next()).toString()).toBe('through');
    expect(c.ws.readyState).toBe(WebSocket.OPEN); // the old link stays a black hole
    expect(proxy.stats().faults.blackhole).toBe(1);
  });

  it.each(['toServer', 'toClient'] as const)('cutMidFrame(%s) drops the connection inside a frame: the partial frame is never delivered', async (direction) => {
    echo.echo = direction === 'toClient';
    const c = client();
    await opened(c);
    const cut = proxy.cutMidFrame(direction);
    c.ws.send(Buffer.alloc(4000, 1));
    const done = await cut;
    expect(done?.direction).toBe(direction);
    expect(done?.forwarded).toBeGreaterThan(0);
    expect(done?.discarded).toBeGreaterThan(0);
    expect((await c.closed).code).toBe(1006);
    expect((await echo.closes.next()).code).toBe(1006);
    if (direction === 'toServer') expect(echo.received.unread).toEqual([]);
    else expect(c.messages.unread).toEqual([]);
    expect(proxy.stats().faults.midFrame).toBe(1);
  });

  it('refuse(ms) resets new connections until the window ends on its clock, leaving live ones alone', async () => {
    const clock = new ManualClock();
    proxy = await reopen({ clock });
    const live = client();
    await opened(live);
    proxy.refuse(30_000);
    const refused = client();
    expect(await refused.closed).toEqual({ code: 1006, errored: true });
    clock.advance(29_999);
    const again = client();
    expect(await again.closed).toEqual({ code: 1006, errored: true });
    clock.advance(1);
    expect(proxy.refusingNow).toBe(false);
    const accepted = client();
    await opened(accepted);
    live.ws.send(Buffer.from('still here'));
    expect((await live.messages.next()).toString()).toBe('still here');
    expect(proxy.stats()).toMatchObject({ refused: 2, faults: expect.objectContaining({ refuse: 1 }) });
  });

  it('a server that is down looks like a reset connection', async () => {
    const dead = net.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    proxy.retarget(port);
    const c = client();
    expect(await c.closed).toEqual({ code: 1006, errored: true });
  });

  async function reopen(options: Parameters<typeof startFaultProxy>[0] extends infer O ? Partial<O> : never): Promise<FaultProxy> {
    await proxy.close();
    return startFaultProxy({ targetPort: echo.port, ...options });
  }
});

/** Resolves once the proxy has swallowed at least `bytes` more bytes. */
function nextDiscard(proxy: FaultProxy, bytes: number): Promise<void> {
  const start = proxy.stats().discarded;
  return waitFor(`${bytes} more bytes discarded`, (done) => proxy.on('discarded', ({ total }) => void (total - start >= bytes && done())));
}

describe('WsFrameScanner', () => {
  const frame = (payload: number, masked: boolean) => {
    const header = payload < 126 ? [0x82, payload] : [0x82, 126, payload >> 8, payload & 0xff];
    if (masked) header[1] = (header[1] as number) | 0x80;
    return Buffer.concat([Buffer.from(header), Buffer.alloc(masked ? 4 : 0), Buffer.alloc(payload, 9)]);
  };
  const http = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');

  it('skips the upgrade, counts frames and cuts strictly inside a payload, never at a boundary', () => {
    const scanner = new WsFrameScanner();
    const stream = Buffer.concat([http, frame(10, true), frame(300, true), frame(5, false)]);
    const at = scanner.scan(stream, 64);
    expect(scanner.dataFrames).toBe(3);
    const secondPayloadStart = http.length + 2 + 4 + 10 + 4 + 4;
    expect(at).toBeGreaterThan(secondPayloadStart);
    expect(at).toBeLessThan(secondPayloadStart + 300);
  });

  it('follows frames split across chunks at any byte', () => {
    const stream = Buffer.concat([http, frame(200, true), frame(3, true)]);
    for (let split = 1; split < stream.length; split += 7) {
      const scanner = new WsFrameScanner();
      const cuts = [scanner.scan(stream.subarray(0, split), 100), scanner.scan(stream.subarray(split), 100)];
      expect(scanner.dataFrames).toBe(2);
      const payloadStart = http.length + 8;
      const absolute = cuts[0] as number >= 0 ? (cuts[0] as number) : split + (cuts[1] as number);
      expect(absolute).toBeGreaterThan(payloadStart);
      expect(absolute).toBeLessThan(payloadStart + 200);
    }
  });
});
