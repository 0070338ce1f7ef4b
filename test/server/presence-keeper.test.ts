import type { ChatStore, PresenceEntry, PresenceMode } from '../../server/chat/store';
import { ChatError, ChatErrorCode } from '../../server/core/errors';
import { PresenceKeeper, type PresentRoom, RENEWAL_SLICE } from '../../server/chat/presence-keeper';
import type { ServerSession } from '../../server/core/types';
import { ManualClock } from '../support/manual-clock';

/*
 * What the presence keeper asks of a chat store (server/chat/presence-keeper.ts), against a store that records the calls:
 * renewals in slices, so that a huge room is not one script holding Redis; a leave's tombstone, and none for the copy
 * a moved session left behind. Redis's side of it is test/redis/redis-presence.test.ts.
 */

const TTL_MS = 3_000;
const REMEMBER_MS = 150_000;

interface Recorded {
  present: { room: string; ids: string[]; ttlMs: number; mode: PresenceMode }[];
  absent: { room: string; entry: PresenceEntry; rememberMs: number }[];
}

/** A store that records present/absent (and fails them while `down`); the keeper calls nothing else. */
function recordingStore(): { store: ChatStore; calls: Recorded; setDown(down: boolean): void } {
  const calls: Recorded = { present: [], absent: [] };
  let down = false;
  const unavailable = () => Promise.reject(new ChatError(ChatErrorCode.Unavailable, 'the store is away'));
  const store: Pick<ChatStore, 'present' | 'absent'> = {
    present(room, entries, ttlMs, mode) {
      if (down) return unavailable();
      calls.present.push({ room, ids: entries.map((e) => e.publicId), ttlMs, mode });
      return Promise.resolve();
    },
    absent(room, entry, rememberMs) {
      if (down) return unavailable();
      calls.absent.push({ room, entry, rememberMs });
      return Promise.resolve();
    },
  };
  return { store: store as ChatStore, calls, setDown: (value) => void (down = value) };
}

/** Stand-ins for sessions: the keeper reads only the public id (and keys its owner tokens by the object). */
function sessions(count: number, prefix: string): ServerSession[] {
  return Array.from({ length: count }, (_, i) => ({ publicId: `${prefix}${i}` }) as ServerSession);
}

test(`a renewal sends at most ${RENEWAL_SLICE} members per call: a huge room in slices, every member once`, async () => {
  const { store, calls } = recordingStore();
  const rooms: PresentRoom[] = [
    { key: 'huge', members: new Set(sessions(2 * RENEWAL_SLICE + 201, 'h')) },
    { key: 'small', members: new Set(sessions(3, 's')) },
    { key: 'empty', members: new Set() },
  ];
  const keeper = new PresenceKeeper(new ManualClock(), store, TTL_MS, REMEMBER_MS, () => rooms);
  await keeper.renew();
  expect(calls.present.map((c) => [c.room, c.ids.length, c.mode, c.ttlMs])).toEqual([
    ['huge', RENEWAL_SLICE, 'refresh', TTL_MS],
    ['huge', RENEWAL_SLICE, 'refresh', TTL_MS],
    ['huge', 201, 'refresh', TTL_MS],
    ['small', 3, 'refresh', TTL_MS],
  ]);
  const huge = calls.present.filter((c) => c.room === 'huge').flatMap((c) => c.ids);
  expect(huge).toEqual([...(rooms[0] as PresentRoom).members].map((s) => s.publicId));
});

test('a leave leaves a tombstone for rememberMs, the end of a moved copy none; a store away rejects nothing', async () => {
  const { store, calls, setDown } = recordingStore();
  const [a, b] = sessions(2, 'p') as [ServerSession, ServerSession];
  const keeper = new PresenceKeeper(new ManualClock(), store, TTL_MS, REMEMBER_MS, () => []);
  await keeper.hide('lobby', a);
  await keeper.hide('lobby', b, true);
  expect(calls.absent).toEqual([
    { room: 'lobby', entry: keeper.entry(a), rememberMs: REMEMBER_MS },
    { room: 'lobby', entry: keeper.entry(b), rememberMs: 0 },
  ]);
  // Each copy has its own owner token.
  expect(keeper.entry(a).owner).not.toBe(keeper.entry(b).owner);
  setDown(true);
  await expect(keeper.hide('lobby', a)).resolves.toBeUndefined();
  await expect(keeper.renew()).resolves.toBeUndefined();
  keeper.stop();
});
