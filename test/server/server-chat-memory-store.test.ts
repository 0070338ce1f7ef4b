import { UsageErrorCode } from '../../src/codes';
import { UsageError } from '../../src/errors';
import { MemoryChatStore } from '../../server/chat/memory-store';
import { resolveChatOptions } from '../../server/chat/options';
import type { ChatStore } from '../../server/chat/store';
import { ManualClock } from '../support/manual-clock';
import type { StoredChatMessage } from '../../server/chat/room';
import { ChatError, ChatErrorCode } from '../../server/core/errors';

/*
 * The in-memory chat store's own differences from a shared one (server/chat/memory-store.ts): one id sequence across
 * rooms, each message naming the one before it in its room; answers at once; a message its listener cannot send is
 * refused and not kept; a room's history kept for roomTtlMs once unsubscribed, within maxRooms.
 */

const LIMITS = { historySize: 10, dedupeSize: 10 };
const draft = (mid: string) => ({ ts: 1, from: 'p', body: mid, mid });
/** The body digest the tests' drafts are stored with (one per mid: each draft's body is its mid). */
const D = 'digest';

test('ids are one sequence across rooms, and each message names the one before it in its own room', async () => {
  const store = new MemoryChatStore();
  const base = store.lastId;
  const seen: [string, number, number][] = [];
  expect(await store.subscribe('a', (m, after) => seen.push(['a', m.id, after]))).toBe(base);
  await store.subscribe('b', (m, after) => seen.push(['b', m.id, after]));
  expect(store.append('a', draft('1'), D, LIMITS)).toEqual({ id: base + 1, ts: 1, fresh: true });
  store.append('b', draft('2'), D, LIMITS);
  store.append('a', draft('3'), D, LIMITS);
  expect(seen).toEqual([
    ['a', base + 1, base],
    ['b', base + 2, base],
    ['a', base + 3, base + 1],
  ]);
  // A remembered mid is answered at once with its first answer, and not handed over again.
  expect(store.append('a', draft('1'), D, LIMITS)).toEqual({ id: base + 1, ts: 1, fresh: false });
  expect(store.said('a', '3', D)).toEqual({ id: base + 3, ts: 1 });
  expect(seen).toHaveLength(3);
});

test('a message its listener cannot send is refused too_large and not kept', async () => {
  const store = new MemoryChatStore();
  await store.subscribe('a', (m) => {
    if (m.body === 'huge') throw new UsageError(UsageErrorCode.InvalidOption, 'frame too large');
  });
  store.append('a', draft('ok'), D, LIMITS);
  let refused: unknown;
  try {
    store.append('a', draft('huge'), D, LIMITS);
  } catch (err) {
    refused = err;
  }
  expect(refused).toBeInstanceOf(ChatError);
  expect((refused as ChatError).code).toBe(ChatErrorCode.TooLarge);
  expect(store.said('a', 'huge', D)).toBeUndefined();
  expect((await store.page('a', Infinity, 10)).messages.map((m: StoredChatMessage) => m.body)).toEqual(['ok']);
});

test('unsubscribing keeps the history (not the presence) for roomTtlMs; then a new room starts above every id given', async () => {
  const clock = new ManualClock();
  const store = new MemoryChatStore({ clock, roomTtlMs: 1000, maxRooms: 10 });
  await store.subscribe('a', () => undefined);
  store.append('a', draft('1'), D, LIMITS);
  await store.present('a', [{ publicId: 'p1', owner: 'o' }]);
  expect(await store.presence('a', 10)).toEqual({ members: ['p1'], count: 1 });
  store.unsubscribe('a');
  expect(await store.presence('a', 10)).toEqual({ members: [], count: 0 });
  clock.advance(999);
  expect((await store.page('a', Infinity, 10)).messages.map((m) => m.body)).toEqual(['1']);
  expect(store.said('a', '1', D)).toBeDefined();
  clock.advance(1);
  expect(await store.page('a', Infinity, 10)).toEqual({ messages: [], evictedUpTo: 0 });
  expect(store.said('a', '1', D)).toBeUndefined();
  const last = store.lastId;
  expect(await store.subscribe('a', () => undefined)).toBe(last);
  expect((await store.page('a', Infinity, 10)).evictedUpTo).toBe(last);
});

test('past maxRooms the longest-idle room without members goes first; rooms with members are never dropped', async () => {
  const clock = new ManualClock();
  const store = new MemoryChatStore({ clock, roomTtlMs: 1000, maxRooms: 2 });
  const bodies = async (room: string) => (await store.page(room, Infinity, 10)).messages.map((m) => m.body);
  for (const room of ['a', 'b']) {
    await store.subscribe(room, () => undefined);
    store.append(room, draft(room), D, LIMITS);
  }
  // Over maxRooms with every room in use: nothing is dropped.
  await store.subscribe('c', () => undefined);
  expect([await bodies('a'), await bodies('b')]).toEqual([['a'], ['b']]);
  store.unsubscribe('b');
  clock.advance(1);
  store.unsubscribe('a');
  // Three rooms, two idle: b emptied first and goes; a stays (a member coming back to it finds its history).
  expect([await bodies('a'), await bodies('b')]).toEqual([['a'], []]);
  await store.subscribe('a', () => undefined);
  clock.advance(5000);
  expect(await bodies('a')).toEqual(['a']);
});

test.each([
  [{ roomTtlMs: 999 }, /roomTtlMs is invalid: 999/],
  [{ roomTtlMs: 1.5e3 + 0.5 }, /roomTtlMs is invalid/],
  [{ maxRooms: 0 }, /maxRooms is invalid: 0/],
  [{ maxRooms: Infinity }, /maxRooms is invalid/],
  [{ roomTtlMs: 60_000, store: {} as ChatStore }, /roomTtlMs is invalid: 60000 \(with a store, set roomTtlMs on the store\)/],
  [{ maxRooms: 5, store: {} as ChatStore }, /maxRooms is invalid: 5/],
])('the chat options %p are refused invalid_option', (options, message) => {
  expect(() => resolveChatOptions(options)).toThrow(expect.objectContaining({ code: UsageErrorCode.InvalidOption, message: expect.stringMatching(message) }));
});

test('roomTtlMs defaults to 24 hours and maxRooms to 10,000', () => {
  expect(resolveChatOptions({})).toMatchObject({ roomTtlMs: 86_400_000, maxRooms: 10_000 });
});
