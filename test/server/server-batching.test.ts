import { createServer, type ReferenceServer, type ServerConnection, type ServerOptions } from '../../server';
import { Op } from '../../src/wire/protocol';
import { nextEvent, ProtocolClient } from '../support/protocol-client';

// The server batches a turn's frames, but a burst leaves in messages of about maxBatchBytes, so that a client decodes
// it in slices and its other sockets' messages are handled in between.

let server: ReferenceServer | undefined;
const clients: ProtocolClient[] = [];

async function connect(options: Partial<ServerOptions>): Promise<{ client: ProtocolClient; connection: ServerConnection }> {
  server = createServer({ port: 0, ...options });
  const { url } = await server.listen();
  const opened = nextEvent(server.events, 'connection');
  const client = await ProtocolClient.connect(url);
  clients.push(client);
  await client.hello({ channel: 'chat' });
  return { client, connection: (await opened).connection };
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await server?.close();
  server = undefined;
});

const body = 'x'.repeat(1000);

async function burst(client: ProtocolClient, connection: ServerConnection, count: number): Promise<Set<number>> {
  for (let i = 0; i < count; i++) connection.push('room/1/message', { i, body });
  const seen: number[] = [];
  for (let i = 0; i < count; i++) {
    const frame = await client.expect(Op.Push);
    seen.push((frame[2] as { i: number }).i);
  }
  expect(seen).toEqual([...Array(count).keys()]);
  return new Set(client.received.filter((r) => r.frame[0] === Op.Push).map((r) => r.message));
}

test('a burst of 200 x 1 KB pushed in one turn leaves as messages of at most 64 KiB by default, in order', async () => {
  const { client, connection } = await connect({});
  const messages = await burst(client, connection, 200);
  // About 200 KB in 64 KiB slices: at least 4 messages (one message before the limit existed).
  expect(messages.size).toBeGreaterThanOrEqual(4);
  expect(messages.size).toBeLessThan(20);
});

test('maxBatchBytes sets the slice size; a frame larger than it still goes out whole', async () => {
  const { client, connection } = await connect({ maxBatchBytes: 8 * 1024 });
  const messages = await burst(client, connection, 100);
  expect(messages.size).toBeGreaterThanOrEqual(12);
  connection.push('big', 'y'.repeat(100_000));
  const big = await client.expect(Op.Push);
  expect((big[2] as string).length).toBe(100_000);
});

test('maxBatchBytes must be a positive integer', () => {
  expect(() => createServer({ port: 0, maxBatchBytes: 0 })).toThrow(/maxBatchBytes/);
  expect(() => createServer({ port: 0, maxBatchBytes: 1.5 })).toThrow(/maxBatchBytes/);
});

test('maxBatchBytes may not exceed limits.maxFrameBytes (the outbox would refuse frames it had accepted); its default follows it', () => {
  expect(() => createServer({ port: 0, maxBatchBytes: 8192, limits: { maxFrameBytes: 4096 } })).toThrow(/maxBatchBytes/);
  expect(() => createServer({ port: 0, limits: { maxFrameBytes: 4096 } })).not.toThrow();
});
