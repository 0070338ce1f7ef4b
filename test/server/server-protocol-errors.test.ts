import { encode } from '@msgpack/msgpack';
import type { ProtocolErrorEvent } from '../../server';
import { CloseCode } from '../../src/codes';
import { Op } from '../../src/wire/protocol';
import { nextEvent, ProtocolClient } from '../support/protocol-client';
import { serverSuite } from '../support/servers';

const { start, welcomed } = serverSuite((server) => server.handle('echo', (payload) => payload));

/** A welcomed client that must keep working while another one misbehaves. */
async function bystanderWorks(bystander: ProtocolClient, id: number): Promise<void> {
  expect(await bystander.call(id, 'echo', `still here ${id}`)).toEqual([Op.Reply, id, `still here ${id}`]);
}

/** Bytes that are not a frame, as msgpack encodes them (bypassing the codec's types on purpose). */
function raw(value: unknown): Uint8Array {
  return encode(value);
}

const truncatedPush = raw([Op.Push, 'topic', 'a payload']).subarray(0, 9);

const cases: [name: string, message: Uint8Array | string, code: string][] = [
  ['a text message', 'hello?', 'text_message'],
  ['garbage bytes', new Uint8Array([0x92, 0x04, 0xc1, 0xff]), 'malformed'],
  ['bytes that do not start a frame', new Uint8Array([0xff, 0x00]), 'unknown_op'],
  ['a truncated frame', truncatedPush, 'malformed'],
  ['an unknown opcode', raw([42, 'x']), 'unknown_op'],
  ['a frame that is not an array', raw({ op: 4 }), 'unknown_op'],
  ['a PUSH whose topic is a number', raw([Op.Push, 7, null]), 'bad_frame'],
  ['a REQUEST whose id is a string', raw([Op.Request, '1', 'echo', null]), 'bad_frame'],
  ['a PING with a missing field', raw([Op.Ping]), 'bad_frame'],
  ['a WELCOME from the client', raw([Op.Welcome, { v: 1, session: 's', heartbeatMs: 1, time: 1, resumed: false, recv: 0 }]), 'unexpected_frame'],
  ['a PONG from the client', raw([Op.Pong, 1, 2]), 'unexpected_frame'],
  ['a BYE from the client', raw([Op.Bye, 1000, 'bye']), 'unexpected_frame'],
  ['a second HELLO', raw([Op.Hello, { v: 1, channel: 'again' }]), 'unexpected_frame'],
];

test.each(cases)('%s gets BYE 4400 and a close; the server and another client carry on', async (_name, message, code) => {
  const srv = await start();
  const bystander = await welcomed();
  const offender = await welcomed();
  const reported = nextEvent(srv.events, 'protocolError');
  const gone = nextEvent(srv.events, 'disconnect');

  offender.sendRaw(message);

  const { bye, close } = await offender.expectBye();
  expect(bye).toEqual([Op.Bye, CloseCode.ProtocolError, expect.any(String)]);
  expect(Buffer.byteLength(bye[2])).toBeLessThanOrEqual(123);
  expect(close).toEqual({ code: CloseCode.ProtocolError, reason: bye[2] });
  const event: ProtocolErrorEvent = await reported;
  expect(event.error.code).toBe(code);
  expect(event.closeCode).toBe(CloseCode.ProtocolError);
  expect((await gone).code).toBe(CloseCode.ProtocolError);
  await bystanderWorks(bystander, 1);
  expect(srv.connections.size).toBe(1);
});

test('a message over maxPayload is closed by ws with 1009 and reported; the server carries on', async () => {
  const srv = await start({ maxPayload: 1_024 });
  const bystander = await welcomed();
  const offender = await welcomed();
  const reported = nextEvent(srv.events, 'protocolError');

  offender.send([Op.Push, 'big', 'x'.repeat(2_000)]);

  expect((await offender.closed).code).toBe(1009);
  const event = await reported;
  expect([event.error.code, event.closeCode]).toEqual(['frame_too_large', 1009]);
  await bystanderWorks(bystander, 1);
});

test('a message over limits.maxFrameBytes (within maxPayload) gets BYE 4400', async () => {
  const srv = await start({ limits: { maxFrameBytes: 1_024 }, maxPayload: 4_096 });
  const reported = nextEvent(srv.events, 'protocolError');
  const offender = await welcomed();

  offender.sendRaw(raw([Op.Push, 'big', 'x'.repeat(2_000)]));

  expect((await offender.expectBye()).close.code).toBe(CloseCode.ProtocolError);
  expect((await reported).error.code).toBe('frame_too_large');
});

test('a bad frame in a batch is refused whole: the frames before it in the same message never run', async () => {
  const srv = await start();
  const pushes: unknown[] = [];
  srv.on('note', (payload) => void pushes.push(payload));
  const offender = await welcomed();

  const good = raw([Op.Push, 'note', 'first']);
  const bad = raw([Op.Pong, 1, 2]);
  const batch = new Uint8Array(good.byteLength + bad.byteLength);
  batch.set(good);
  batch.set(bad, good.byteLength);
  offender.sendRaw(batch);

  expect((await offender.expectBye()).bye[1]).toBe(CloseCode.ProtocolError);
  expect(pushes).toEqual([]);
});

test('a long reason is cut to fit 123 UTF-8 bytes', async () => {
  const srv = await start();
  const client = await welcomed();
  const connection = [...srv.connections.values()][0];

  connection?.close(4000, 'é'.repeat(100));

  const { bye, close } = await client.expectBye();
  expect(bye).toEqual([Op.Bye, 4000, 'é'.repeat(61)]);
  expect(close.reason).toBe('é'.repeat(61));
  expect(() => connection?.close(1006)).toThrow(expect.objectContaining({ code: 'invalid_close_code' }));
});
