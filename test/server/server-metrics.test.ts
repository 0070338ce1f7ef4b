import { register as globalRegistry, Registry } from 'prom-client';
import { createServer, type ReferenceServer } from '../../server';
import { type Frame, Op } from '../../src/wire/protocol';
import { httpGet } from '../support/http-get';
import { ManualClock } from '../support/manual-clock';
import { nextEvent, ProtocolClient } from '../support/protocol-client';
import { sample } from '../support/prometheus';

/*
 * `/metrics` scraped while real clients talk to the server: every frame, message and byte the clients sent and
 * received is counted exactly, by op; connections and sessions by channel; resumes, resyncs, rate-limited and
 * protocol-error closes as they happen. The metrics live in a registry of the server's own (or the application's).
 */

describe('/metrics', () => {
  let server: ReferenceServer;
  let base: string;
  let url: string;
  const clients: ProtocolClient[] = [];
  const clock = new ManualClock();

  beforeEach(async () => {
    server = createServer({ port: 0, metrics: true, clock, rateLimit: { messagesPerSecond: 10, messageBurst: 10 } });
    server.handle('add', (payload) => (payload as number[]).reduce((a, b) => a + b, 0));
    server.on('shout', (payload, ctx) => void ctx.connection.push('heard', payload));
    const address = await server.listen();
    url = address.url;
    base = `http://127.0.0.1:${address.port}`;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await server.close();
  });

  async function client(): Promise<ProtocolClient> {
    const c = await ProtocolClient.connect(url);
    clients.push(c);
    return c;
  }

  /** Sends `frames` as one message and returns its size in bytes. */
  function send(c: ProtocolClient, ...frames: Frame[]): number {
    const bytes = c.codec.encode(...frames);
    c.sendRaw(bytes);
    return bytes.byteLength;
  }

  async function scrape(): Promise<string> {
    const answer = await httpGet(`${base}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    return answer.body;
  }

  it('counts the frames, messages and bytes clients sent and received exactly, by op, with connections and sessions by channel', async () => {
    const chat = await client();
    let sentBytes = send(chat, [Op.Hello, { v: 1, channel: 'chat' }]);
    await chat.expect(Op.Welcome);
    sentBytes += send(chat, [Op.Request, 1, 'add', [1, 2]]);
    await chat.expect(Op.Reply);
    // Two frames in one message, then three pushes the server answers with a push each.
    sentBytes += send(chat, [Op.Ping, 1], [Op.Push, 'shout', 'a']);
    await chat.expect(Op.Pong);
    await chat.expect(Op.Push);
    sentBytes += send(chat, [Op.Push, 'shout', 'b']);
    sentBytes += send(chat, [Op.Push, 'shout', 'c']);
    await chat.expect(Op.Push);
    await chat.expect(Op.Push);
    const game = await client();
    sentBytes += send(game, [Op.Hello, { v: 1, channel: 'game' }]);
    await game.expect(Op.Welcome);

    const text = await scrape();
    expect(sample(text, 'multisocket_frames_received_total', { op: 'HELLO' })).toBe(2);
    expect(sample(text, 'multisocket_frames_received_total', { op: 'REQUEST' })).toBe(1);
    expect(sample(text, 'multisocket_frames_received_total', { op: 'PING' })).toBe(1);
    expect(sample(text, 'multisocket_frames_received_total', { op: 'PUSH' })).toBe(3);
    expect(sample(text, 'multisocket_messages_received_total')).toBe(6);
    expect(sample(text, 'multisocket_received_bytes_total')).toBe(sentBytes);
    expect(sample(text, 'multisocket_frames_sent_total', { op: 'WELCOME' })).toBe(2);
    expect(sample(text, 'multisocket_frames_sent_total', { op: 'REPLY' })).toBe(1);
    expect(sample(text, 'multisocket_frames_sent_total', { op: 'PONG' })).toBe(1);
    expect(sample(text, 'multisocket_frames_sent_total', { op: 'PUSH' })).toBe(3);
    expect(sample(text, 'multisocket_messages_sent_total')).toBe(chat.receivedMessages + game.receivedMessages);
    expect(sample(text, 'multisocket_sent_bytes_total')).toBe(chat.receivedBytes + game.receivedBytes);
    expect(sample(text, 'multisocket_connections', { channel: 'chat' })).toBe(1);
    expect(sample(text, 'multisocket_connections', { channel: 'game' })).toBe(1);
    expect(sample(text, 'multisocket_sessions', { channel: 'chat' })).toBe(1);
    expect(sample(text, 'multisocket_sessions', { channel: 'game' })).toBe(1);
    expect(text).toMatch(/^# TYPE multisocket_event_loop_lag_seconds gauge$/m);
    expect(sample(text, 'multisocket_event_loop_lag_seconds', { quantile: '0.99' })).toEqual(expect.any(Number));
  });

  it('counts resumes and resyncs by channel, and the connections gauge follows disconnects', async () => {
    const first = await client();
    const welcome = await first.hello({ channel: 'chat' });
    const gone = nextEvent(server.events, 'disconnect');
    await first.close();
    await gone;
    const back = await client();
    expect((await back.hello({ channel: 'chat', session: welcome.session, recv: 0 })).resumed).toBe(true);
    const stranger = await client();
    expect((await stranger.hello({ channel: 'chat', session: 'no-such-session', recv: 0 })).resumed).toBe(false);

    const text = await scrape();
    expect(sample(text, 'multisocket_resumes_total', { channel: 'chat' })).toBe(1);
    expect(sample(text, 'multisocket_resyncs_total', { channel: 'chat' })).toBe(1);
    expect(sample(text, 'multisocket_connections', { channel: 'chat' })).toBe(2);
    expect(sample(text, 'multisocket_sessions', { channel: 'chat' })).toBe(2);
  });

  it('counts protocol-error and rate-limited closes, by code and by limit', async () => {
    const texter = await client();
    await texter.hello();
    texter.sendRaw('text is not the protocol');
    await texter.expectBye();
    const flooder = await client();
    await flooder.hello();
    const limited = nextEvent(server.events, 'limited');
    for (let i = 0; i < 12; i++) flooder.send([Op.Push, 'shout', i]);
    await limited;
    await flooder.closed;

    const text = await scrape();
    expect(sample(text, 'multisocket_protocol_error_closes_total', { code: 'text_message' })).toBe(1);
    expect(sample(text, 'multisocket_rate_limited_closes_total', { limit: 'messagesPerSecond' })).toBe(1);
    expect(sample(text, 'multisocket_slow_consumer_closes_total')).toBe(0);
  });

  it("lives in the server's own registry, never prom-client's global one", async () => {
    expect(server.metrics).toBeInstanceOf(Registry);
    expect(server.metrics?.getSingleMetric('multisocket_connections')).toBeDefined();
    expect(globalRegistry.getSingleMetric('multisocket_connections')).toBeUndefined();
  });
});

describe('metrics in the application registry', () => {
  it('registers there, and a second server on the same registry is refused naming the option', async () => {
    const registry = new Registry();
    const server = createServer({ port: 0, metrics: { registry } });
    try {
      expect(server.metrics).toBe(registry);
      expect(await registry.metrics()).toMatch(/^# TYPE multisocket_frames_received_total counter$/m);
      expect(() => createServer({ port: 0, metrics: { registry } })).toThrow(/option metrics.registry is invalid: it already holds the metrics of another multisocket server/);
    } finally {
      await server.close();
    }
  });

  it('is not served without the option', async () => {
    const server = createServer({ port: 0 });
    try {
      const { port } = await server.listen();
      expect(server.metrics).toBeUndefined();
      await expect(httpGet(`http://127.0.0.1:${port}/metrics`)).resolves.toMatchObject({ status: 404 });
    } finally {
      await server.close();
    }
  });
});
