import type { ReferenceServer } from '../../server';
import { type Frame, Op } from '../../src/wire/protocol';
import type { ProtocolClient } from '../support/protocol-client';
import { serverSuite } from '../support/servers';

/*
 * Early frames (PROTOCOL.md section 3): PUSH and REQUEST frames right behind HELLO wait, unhandled, until the handshake
 * ends; after WELCOME they are handled in order, on a refusal discarded. The authenticate hook answers asynchronously,
 * so HELLO's verdict comes in a microtask: the early message, written in the same turn as HELLO by a client in this
 * process, has been read (and held) by then.
 */

const { start, connect } = serverSuite();

/** What the server's handlers and events saw, in order. */
function record(server: ReferenceServer): string[] {
  const log: string[] = [];
  server.events.on('connection', () => log.push('welcomed'));
  server.events.on('message', ({ frames }) => log.push(`message of ${frames}`));
  server.on('input', (payload) => void log.push(`input ${String(payload)}`));
  server.handle('ask', (payload) => {
    log.push(`ask ${String(payload)}`);
    return `answer ${String(payload)}`;
  });
  return log;
}

const EARLY: Frame[] = [
  [Op.Push, 'input', 1],
  [Op.Request, 1, 'ask', 2],
  [Op.Push, 'input', 3],
];

/** Sends HELLO, then the early frames as a message of their own, in the same turn. */
async function helloWithEarly(frames: Frame[] = EARLY): Promise<ProtocolClient> {
  const client = await connect();
  client.send([Op.Hello, { v: 1, channel: 'game' }]);
  client.send(...frames);
  return client;
}

it('handles the frames sent right behind HELLO after WELCOME, in order', async () => {
  const server = await start({ authenticate: async () => true });
  const log = record(server);
  const client = await helloWithEarly();
  expect(await client.next()).toEqual([Op.Welcome, expect.objectContaining({ early: 64 * 1024 })]);
  expect(await client.next()).toEqual([Op.Reply, 1, 'answer 2']);
  // No `message` event: the early message came before WELCOME and was held, not handled as it arrived.
  expect(log).toEqual(['welcomed', 'input 1', 'ask 2', 'input 3']);
});

it('discards them, unanswered, when it refuses the HELLO', async () => {
  const server = await start({ authenticate: async () => false });
  const log = record(server);
  const client = await helloWithEarly();
  const { bye, close } = await client.expectBye();
  expect(bye).toEqual([Op.Bye, 4101, 'unauthorized']);
  expect(close.code).toBe(4101);
  expect(client.received.map((r) => r.frame[0])).toEqual([Op.Bye]);
  expect(log).toEqual([]);
});

it('refuses more than maxEarlyBytes before WELCOME with BYE 4400', async () => {
  const server = await start({ authenticate: async () => true, maxEarlyBytes: 16 });
  const log = record(server);
  const client = await helloWithEarly([[Op.Push, 'input', 'x'.repeat(32)]]);
  const { bye } = await client.expectBye();
  expect(bye).toEqual([Op.Bye, 4400, 'more than maxEarlyBytes (16) sent before WELCOME']);
  expect(log).toEqual([]);
});

it.each([
  ['RELIABLE', [Op.Reliable, 1, 'input', 1] as Frame],
  ['ACK', [Op.Ack, 0] as Frame],
  ['PING', [Op.Ping, 1] as Frame],
])('refuses %s before WELCOME with BYE 4400', async (name, frame) => {
  const server = await start({ authenticate: async () => true });
  const log = record(server);
  const client = await helloWithEarly([[Op.Push, 'input', 1], frame]);
  const { bye } = await client.expectBye();
  expect(bye).toEqual([Op.Bye, 4400, `${name} sent before WELCOME`]);
  expect(log).toEqual([]);
});

it('with maxEarlyBytes 0 announces nothing and refuses any frame before WELCOME, as servers did before', async () => {
  const server = await start({ authenticate: async () => true, maxEarlyBytes: 0 });
  record(server);
  const plain = await connect();
  expect(await plain.hello()).not.toHaveProperty('early');
  const client = await helloWithEarly();
  const { bye } = await client.expectBye();
  expect(bye).toEqual([Op.Bye, 4400, 'PUSH sent before WELCOME']);
});
