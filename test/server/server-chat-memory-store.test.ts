import { UsageErrorCode } from '../../src/codes';
import { UsageError } from '../../src/errors';
import { MemoryChatStore } from '../../server/chat/memory-store';
import type { ChatMessage } from '../../server/chat/room';
import { ChatError, ChatErrorCode } from '../../server/core/errors';

/*
 * The in-memory chat store's own differences from a shared one (server/chat/memory-store.ts): one id sequence across
 * rooms, each message naming the one before it in its room; answers at once; a message its listener cannot send is
 * refused and not kept; a room freed with its history once unsubscribed.
 */

const LIMITS = { historySize: 10, dedupeSize: 10 };
const draft = (mid: string) => ({ ts: 1, from: 'p', body: mid, mid });

test('ids are one sequence across rooms, and each message names the one before it in its own room', async () => {
  const store = new MemoryChatStore();
  const base = store.lastId;
  const seen: [string, number, number][] = [];
  expect(await store.subscribe('a', (m, after) => seen.push(['a', m.id, after]))).toBe(base);
  await store.subscribe('b', (m, after) => seen.push(['b', m.id, after]));
  expect(store.append('a', draft('1'), LIMITS)).toEqual({ id: base + 1, ts: 1, fresh: true });
  store.append('b', draft('2'), LIMITS);
  store.append('a', draft('3'), LIMITS);
  expect(seen).toEqual([
    ['a', base + 1, base],
    ['b', base + 2, base],
    ['a', base + 3, base + 1],
  ]);
  // A remembered mid is answered at once with its first answer, and not handed over again.
  expect(store.append('a', draft('1'), LIMITS)).toEqual({ id: base + 1, ts: 1, fresh: false });
  expect(store.said('a', '3')).toEqual({ id: base + 3, ts: 1 });
  expect(seen).toHaveLength(3);
});

test('a message its listener cannot send is refused too_large and not kept', async () => {
  const store = new MemoryChatStore();
  await store.subscribe('a', (m) => {
    if (m.body === 'huge') throw new UsageError(UsageErrorCode.InvalidOption, 'frame too large');
  });
  store.append('a', draft('ok'), LIMITS);
  let refused: unknown;
  try {
    store.append('a', draft('huge'), LIMITS);
  } catch (err) {
    refused = err;
  }
  expect(refused).toBeInstanceOf(ChatError);
  expect((refused as ChatError).code).toBe(ChatErrorCode.TooLarge);
  expect(store.said('a', 'huge')).toBeUndefined();
  expect((await store.page('a', Infinity, 10)).messages.map((m: ChatMessage) => m.body)).toEqual(['ok']);
});

test('unsubscribing frees the room with its history and presence; a new one starts above every id given', async () => {
  const store = new MemoryChatStore();
  await store.subscribe('a', () => undefined);
  store.append('a', draft('1'), LIMITS);
  await store.present('a', [{ publicId: 'p1', owner: 'o' }]);
  expect(await store.presence('a', 10)).toEqual({ members: ['p1'], count: 1 });
  store.unsubscribe('a');
  expect(await store.page('a', Infinity, 10)).toEqual({ messages: [], evictedUpTo: 0 });
  expect(await store.presence('a', 10)).toEqual({ members: [], count: 0 });
  const last = store.lastId;
  expect(await store.subscribe('a', () => undefined)).toBe(last);
  expect((await store.page('a', Infinity, 10)).evictedUpTo).toBe(last);
});
