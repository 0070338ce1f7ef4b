import { createServer, type LimitedEvent, type ReferenceServer, type ServerOptions } from '../../server';
import { Channel } from '../../src/channel/channel';
import { CloseCode } from '../../src/codes';
import { TransportError } from '../../src/errors';
import { Op } from '../../src/wire/protocol';
import { next, reach } from '../support/channel-helpers';
import { startHarness, TRANSPORT_KINDS } from '../support/harness';
import { ManualClock } from '../support/manual-clock';
import { nextEvent, ProtocolClient } from '../support/protocol-client';
import { serverSuite } from '../support/servers';

// A server under abuse stays up: flooding clients are cut off by per-connection token buckets (on the injected clock,
// so these counts are exact), one address cannot hold every socket, and the other clients never notice. The HELLO
// deadline for a socket that never speaks is proven in server-handshake.test.ts.

const suite = serverSuite((server) => server.handle('echo', (payload) => payload));
const { start, welcomed } = suite;

/** Counts the PUSHes the server handled on topic `note`. */
function notes(srv: ReferenceServer): { count: number } {
  const seen = { count: 0 };
  srv.on('note', () => void seen.count++);
  return seen;
}

test('a client that floods messages gets BYE 4002 once its burst is spent; a client beside it gets every answer', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock, rateLimit: { messagesPerSecond: 10, messageBurst: 20 } });
  const handled = notes(srv);
  const bystander = await welcomed();
  const flooder = await welcomed();
  const limited = nextEvent(srv.events, 'limited');
  const gone = nextEvent(srv.events, 'disconnect');

  // HELLO took one token of the 20; the clock stands still, so nothing refills.
  for (let i = 0; i < 30; i++) flooder.send([Op.Push, 'note', i]);
  const answers = Array.from({ length: 10 }, (_, i) => i + 1);
  for (const id of answers) expect(await bystander.call(id, 'echo', id)).toEqual([Op.Reply, id, id]);

  const { bye, close } = await flooder.expectBye();
  expect(bye).toEqual([Op.Bye, CloseCode.RateLimited, 'rate limit: messagesPerSecond']);
  expect(close.code).toBe(CloseCode.RateLimited);
  expect(handled.count).toBe(19);
  const event: LimitedEvent = await limited;
  expect(event).toMatchObject({ limit: 'messagesPerSecond', remoteAddress: '127.0.0.1' });
  expect(event.connection?.id).toBe((await gone).connection.id);
  expect(bystander.isClosed).toBe(false);
  expect(srv.connections.size).toBe(1);
});

test('a client that keeps to the sustained rate is never cut off; a burst over the bucket is', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock, rateLimit: { messagesPerSecond: 10, messageBurst: 5 } });
  const client = await welcomed();

  // One message every 100 ms is exactly 10 a second, for 50 messages: ten times the bucket.
  for (let id = 1; id <= 50; id++) {
    clock.advance(100);
    expect(await client.call(id, 'echo', id)).toEqual([Op.Reply, id, id]);
  }
  expect(client.isClosed).toBe(false);

  clock.advance(1_000); // the bucket is full again: 5 messages at once pass, the 6th does not
  const handled = notes(srv);
  for (let i = 0; i < 6; i++) client.send([Op.Push, 'note', i]);
  expect((await client.expectBye()).bye).toEqual([Op.Bye, CloseCode.RateLimited, 'rate limit: messagesPerSecond']);
  expect(handled.count).toBe(5);
});

test('a client over its byte rate gets BYE 4002 naming bytesPerSecond', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock, maxPayload: 2_048, rateLimit: { bytesPerSecond: 1_000, byteBurst: 2_048 } });
  const handled = notes(srv);
  const client = await welcomed();
  const helloBytes = client.codec.encode([Op.Hello, { v: 1, channel: 'test' }]).byteLength;
  const push = client.codec.encode([Op.Push, 'note', 'x'.repeat(600)]);
  const fit = Math.floor((2_048 - helloBytes) / push.byteLength);

  for (let i = 0; i <= fit; i++) client.sendRaw(push);

  expect((await client.expectBye()).bye).toEqual([Op.Bye, CloseCode.RateLimited, 'rate limit: bytesPerSecond']);
  expect(handled.count).toBe(fit);
});

test('the default limits cut a client off after 2,000 messages at once; rateLimit false lifts them', async () => {
  const clock = new ManualClock();
  const srv = await start({ clock });
  const handled = notes(srv);
  const flooder = await welcomed();
  for (let i = 0; i < 2_100; i++) flooder.send([Op.Push, 'note', i]);
  expect((await flooder.expectBye()).bye[1]).toBe(CloseCode.RateLimited);
  expect(handled.count).toBe(1_999);
  await srv.close();

  const unlimited = await start({ clock, rateLimit: false });
  const all = notes(unlimited);
  const client = await welcomed();
  for (let i = 0; i < 2_100; i++) client.send([Op.Push, 'note', i]);
  expect(await client.call(1, 'echo', 'done')).toEqual([Op.Reply, 1, 'done']);
  expect(all.count).toBe(2_100);
});

test('abuse options are checked, naming the bad one', () => {
  const bad: Partial<ServerOptions>[] = [
    { rateLimit: { messagesPerSecond: 0 } },
    { rateLimit: { messageBurst: 1.5 } },
    { maxPayload: 4_096, rateLimit: { byteBurst: 4_095 } },
    { maxConnectionsPerAddress: 0 },
    { maxConnectionsPerAddress: Number.NaN },
  ];
  for (const options of bad) {
    const name = Object.keys(options.rateLimit || options).find((k) => k !== 'maxPayload') as string;
    expect(() => createServer(options)).toThrow(expect.objectContaining({ code: 'invalid_option', message: expect.stringContaining(name) }));
  }
  expect(() => createServer({ rateLimit: false, maxConnectionsPerAddress: Infinity })).not.toThrow();
});

test('one address holds at most maxConnectionsPerAddress sockets: the next is refused with HTTP 429 until one closes', async () => {
  const srv = await start({ maxConnectionsPerAddress: 3 });
  const { url } = suite;
  const held = [await welcomed(), await welcomed(), await welcomed()];
  const limited = nextEvent(srv.events, 'limited');

  await expect(ProtocolClient.connect(url)).rejects.toThrow(/429/);
  expect(await limited).toEqual({ limit: 'maxConnectionsPerAddress', remoteAddress: '127.0.0.1' });
  // The three already connected are untouched.
  expect(await held[0]?.call(1, 'echo', 'fine')).toEqual([Op.Reply, 1, 'fine']);

  const freed = nextEvent(srv.events, 'disconnect');
  await held[2]?.close();
  await freed;
  const again = await welcomed();
  expect(await again.call(2, 'echo', 'in')).toEqual([Op.Reply, 2, 'in']);
});

describe.each(TRANSPORT_KINDS)('a channel over %s refused by the per-address limit', (kind) => {
  it('reports a TransportError, backs off, and opens once a slot is free', async () => {
    const h = await startHarness(kind, { maxConnectionsPerAddress: 1 });
    // The harness's URL is wss:// for the emulator (which connects over plain TCP); a raw client needs ws://.
    const occupant = await ProtocolClient.connect(h.server.address?.url ?? '');
    await occupant.hello();
    const channel = new Channel('chat', { url: h.url, transport: h.transport, clock: h.clock, random: () => 0.5 });
    try {
      const errors: unknown[] = [];
      channel.on('error', (error) => errors.push(error));
      const backingOff = next(channel, 'reconnecting');
      channel.connect();
      const { delayMs } = await backingOff;
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(TransportError);

      const freed = nextEvent(h.server.events, 'disconnect');
      await occupant.close();
      await freed;
      const opened = reach(channel, 'open');
      h.clock.advance(delayMs);
      await opened;
    } finally {
      channel.close();
      await occupant.close();
      await h.close();
    }
  });
});
