import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import type { ReferenceServer, ServerEventMap } from '../../server';
import { Channel, type ChannelEvents } from '../../src/channel/channel';
import { FrameCodec } from '../../src/wire/codec';
import { ProtocolError, TimeoutError } from '../../src/errors';
import { Op } from '../../src/wire/protocol';
import { next, reach } from '../support/channel-helpers';
import { startHarness, TRANSPORT_KINDS } from '../support/harness';
import { startSilentServer } from '../support/echo-server';

// Tokens never appear in an error message, an event, stats(), a log line made with util.inspect, nor anywhere in the
// state the runtime or the server keeps: a token read from a heap walk is as leaked as one printed.
const TOKEN = 'tok-S3cr3t-7d1f9a0e-good';
const REFUSED = 'tok-S3cr3t-5b2c8e41-refused';
const THROWN = 'tok-S3cr3t-0c6a3f97-throws';
const SECRETS = [TOKEN, REFUSED, THROWN];

/** Every place a secret was found in `root`'s reachable state, as paths. Sockets and streams (Node's, ws's) are not walked. */
function findSecrets(root: unknown, rootName: string): string[] {
  const found: string[] = [];
  const needles = SECRETS.map((s) => ({ text: s, bytes: Buffer.from(s) }));
  const seen = new Set<unknown>();
  const walk = (value: unknown, path: string, depth: number): void => {
    if (typeof value === 'string') {
      for (const needle of needles) if (value.includes(needle.text)) found.push(`${path} (string)`);
      return;
    }
    if (typeof value !== 'object' || value === null || seen.has(value) || depth > 40) return;
    seen.add(value);
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      const bytes = value instanceof ArrayBuffer ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      for (const needle of needles) if (bytes.includes(needle.bytes)) found.push(`${path} (bytes)`);
      return;
    }
    // Node's and ws's sockets are theirs, not ours: what they buffer is bounded by their own lifetimes.
    if (value instanceof EventEmitter) return;
    if (value instanceof Map) {
      for (const [k, v] of value) {
        walk(k, `${path}.<key>`, depth + 1);
        walk(v, `${path}[${String(k)}]`, depth + 1);
      }
      return;
    }
    if (value instanceof Set) {
      let i = 0;
      for (const v of value) walk(v, `${path}{${i++}}`, depth + 1);
      return;
    }
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor && 'value' in descriptor) walk(descriptor.value, `${path}.${String(key)}`, depth + 1);
    }
  };
  walk(root, rootName, 0);
  return found;
}

/** Every event a channel emits, as given to its listeners. */
function recordChannel(channel: Channel): unknown[] {
  const log: unknown[] = [];
  for (const name of ['state', 'open', 'error', 'reconnecting', 'terminal', 'dropped', 'pong', 'resync'] as const satisfies readonly (keyof ChannelEvents)[]) {
    channel.on(name, (event) => log.push({ name, event }));
  }
  return log;
}

function recordServer(server: ReferenceServer): unknown[] {
  const log: unknown[] = [];
  for (const name of ['connection', 'message', 'disconnect', 'error', 'protocolError', 'limited', 'sessionEnd', 'close'] as const satisfies readonly (keyof ServerEventMap)[]) {
    server.events.on(name, (event) => log.push({ name, event }));
  }
  return log;
}

/** Everything a log line could show of these values: util.inspect at full depth (hidden fields too), JSON, and error stacks. */
function printed(...values: unknown[]): string {
  const stacks = (v: unknown): string => (v instanceof Error ? `${v.stack ?? ''} ${v.message}` : '');
  return values
    .map((v) => `${inspect(v, { depth: Infinity, showHidden: true, maxArrayLength: Infinity, maxStringLength: Infinity })} ${safeJson(v)} ${stacks(v)}`)
    .join('\n');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? '';
  } catch {
    return '';
  }
}

describe.each(TRANSPORT_KINDS)('no secret leaks over %s', (kind) => {
  it('the token appears in no event, error, stats(), inspect output or kept state, whatever goes wrong', async () => {
    const h = await startHarness(kind, {
      limits: { maxStringBytes: 100 },
      authenticate: (token, hello) => {
        if (hello.channel === 'throws') throw new Error(`token ${String(token)} is revoked`);
        return token === TOKEN ? { name: 'alice' } : false;
      },
    });
    const silent = await startSilentServer();
    const serverLog = recordServer(h.server);
    const make = (name: string, token: string, url = h.url) =>
      new Channel(name, { url, transport: h.transport, clock: h.clock, random: () => 0.5, getToken: () => token, heartbeat: { intervalMs: 5000, timeoutMs: 4000 } });
    const good = make('chat', TOKEN);
    const refused = make('refused', REFUSED);
    const throws = make('throws', THROWN);
    const timesOut = make('late', TOKEN, kind !== 'websocket' ? silent.secureUrl : silent.url);
    const channels = [good, refused, throws, timesOut];
    const logs = channels.map(recordChannel);
    try {
      // Accepted, then refused by the server for a protocol error (BYE 4400), then back.
      good.connect();
      await reach(good, 'open');
      const rejected = next(good, 'reconnecting');
      good.send('chat/say', 'x'.repeat(500));
      const { code, delayMs } = await rejected;
      expect(code).toBe(4400);
      const reopened = reach(good, 'open');
      h.clock.advance(delayMs);
      await reopened;
      // A server REQUEST that the client's handler fails: the FAIL carries the handler's code and message only.
      good.subscribe('ask', () => {
        throw new ProtocolError('bad_frame', 'handler refused');
      });
      const connection = [...h.server.connections.values()][0];
      await expect(connection?.request('ask', null)).rejects.toMatchObject({ code: 'bad_frame' });
      // A dead heartbeat: PING out, nothing back in time.
      h.silence();
      const dead = next(good, 'error', (e) => e instanceof TimeoutError);
      h.clock.advance(9_000);
      await dead;

      // Refused by authenticate (BYE 4101, terminal), and by an authenticate that throws quoting the token.
      refused.connect();
      throws.connect();
      await Promise.all([reach(refused, 'closed'), reach(throws, 'closed')]);
      // A connect timeout against a server that never answers.
      timesOut.connect();
      const late = next(timesOut, 'error', (e) => e instanceof TimeoutError);
      h.clock.advance(10_000);
      await late;

      const stats = channels.map((c) => c.stats());
      const everything = printed(logs, serverLog, stats, ...channels, h.server, [...h.server.connections.values()], h.server.sessions);
      for (const secret of SECRETS) expect(everything).not.toContain(secret);
      expect(serverLog.length).toBeGreaterThan(5);
      expect(logs.flat().length).toBeGreaterThan(20);

      // Nothing the runtime or the server keeps holds a token, as text or as the bytes of an encoded HELLO.
      const kept = [...channels.flatMap((c, i) => findSecrets(c, `channel${i}`)), ...findSecrets(h.server, 'server')];
      expect(kept).toEqual([]);
    } finally {
      channels.forEach((c) => c.close());
      await h.close();
      await silent.close();
    }
  });
});

test('a codec prints its limits, never its buffers', () => {
  const codec = new FrameCodec();
  codec.decode(codec.encode([Op.Hello, { v: 1, channel: 'chat', token: TOKEN }]));
  expect(findSecrets(codec, 'codec').length).toBeGreaterThan(0); // the buffers do hold it...
  expect(printed(codec)).not.toContain(TOKEN); // ...and nothing prints them
  expect(printed({ nested: { codec } })).not.toContain(TOKEN);
  expect(JSON.parse(safeJson(codec))).toEqual({ limits: codec.limits });
});
