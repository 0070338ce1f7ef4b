import { createServer, type LimitedEvent } from '../../server';
import { CloseCode } from '../../src/codes';
import { Op } from '../../src/wire/protocol';
import { nextEvent } from '../support/protocol-client';
import { serverSuite } from '../support/servers';

// A client that stops reading while the server keeps sending must not make the server's memory grow without bound.

const suite = serverSuite((srv) => srv.handle('echo', (payload) => payload));

test('a client that stops reading is closed with BYE 4002 once its send buffer passes maxBufferedBytes; others go on', async () => {
  const server = await suite.start({ maxBufferedBytes: 256 * 1024, rateLimit: false });
  const slow = await suite.connected({ channel: 'chat' });
  const other = await suite.connected({ channel: 'chat' });
  slow.client.pause();

  const limited = nextEvent(server.events, 'limited');
  const chunk = 'z'.repeat(60_000);
  let pushed = 0;
  // Bounded: at most 64 MiB, far more than the kernel's socket buffers absorb on loopback.
  while (pushed < 1100 && slow.connection.push('flood', chunk)) {
    pushed++;
    if (pushed % 50 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const event: LimitedEvent = await limited;
  expect(event.limit).toBe('maxBufferedBytes');
  expect(event.connection).toBe(slow.connection);
  expect(slow.connection.push('flood', chunk)).toBe(false);
  expect(pushed).toBeLessThan(1100);

  // The other client on the same server is untouched.
  expect(await other.client.call(1, 'echo', 'still here')).toEqual([Op.Reply, 1, 'still here']);

  // The slow client, once it reads again, finds the BYE and the close code at the end of what was sent.
  const closed = slow.client.closed;
  slow.client.resume();
  expect((await closed).code).toBe(CloseCode.RateLimited);
});

test('maxBufferedBytes must be a positive integer', () => {
  expect(() => createServer({ port: 0, maxBufferedBytes: 0 })).toThrow(/maxBufferedBytes/);
});
