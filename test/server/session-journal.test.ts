import type { SessionLink } from '../../server/sessions/link';
import { Session } from '../../server/sessions/session';
import { SessionJournal } from '../../server/sessions/journal';
import { FrameCodec } from '../../src/wire/codec';
import { DEFAULT_RELIABLE } from '../../src/reliable/reliable';
import { ManualClock } from '../support/manual-clock';
import type { SessionWrite, SharedSessionStore } from '../../server/sessions/store';

/*
 * The session journal's ordering rules, against a store whose writes the test settles by hand, in any order: a lost
 * Redis connection rejects a write sent while it reconnects at once, and the ones sent before the drop only later
 * (real ioredis; SCALING.md "Redis unreachable"). Whatever the order the outcomes arrive in, they are handled in the
 * order the writes were recorded. The end-to-end cases run on a real Redis (test/redis/redis-outage.test.ts and others).
 */

interface Call {
  readonly write: SessionWrite;
  resolve(owned: boolean): void;
  reject(error: Error): void;
}

function scriptedStore(): { store: SharedSessionStore; calls: Call[] } {
  const calls: Call[] = [];
  const store: SharedSessionStore = {
    owner: 'test',
    write: (_id, write) => new Promise<boolean>((resolve, reject) => calls.push({ write, resolve, reject })),
    take: () => Promise.resolve(undefined),
    remove: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return { store, calls };
}

/** Lets queued microtasks (a journal flushes its turn's batch in one) and promise callbacks run. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A journal on a scripted store with two writes sent and unanswered: W1 (seq 1 applied), then W2 (seq 2). */
async function twoWritesInFlight(): Promise<{ journal: SessionJournal; calls: Call[] }> {
  const { store, calls } = scriptedStore();
  const journal = new SessionJournal(store, 'id', 1000, 0, 0, () => undefined, () => undefined);
  journal.applied(1);
  await turn();
  journal.applied(2);
  await turn();
  return { journal, calls };
}

describe('SessionJournal when writes fail out of order', () => {
  it('a note-only write rejected before an earlier one does not let out what the earlier one had not stored', async () => {
    const { store, calls } = scriptedStore();
    const failed: unknown[] = [];
    const journal = new SessionJournal(store, 'id', 1000, 0, 0, () => undefined, (e) => failed.push(e));
    journal.applied(1); // W1: an applied seq, which an ACK will report
    await turn();
    journal.noted('game:player', '1,1,1'); // W2: a note only
    await turn();
    const acks: number[] = [];
    journal.after(() => acks.push(1)); // the ACK for seq 1 waits on the last write in flight, W2
    expect(calls).toHaveLength(2);
    calls[1]?.reject(new Error('offline')); // W2 fails first
    await turn();
    expect(acks).toEqual([]);
    calls[0]?.reject(new Error('connection closed')); // then W1
    await turn();
    expect(acks).toEqual([]);
    expect(failed).toHaveLength(1);
    expect(journal.suspended).toBe(true);
    expect(journal.durableRecv).toBe(0);
  });

  it('what a suspension keeps takes each note as recorded last, whichever write failed first', async () => {
    const { store, calls } = scriptedStore();
    const journal = new SessionJournal(store, 'id', 1000, 0, 0, () => undefined, () => undefined);
    journal.applied(1);
    journal.noted('room:7', '5');
    await turn();
    journal.applied(2);
    journal.noted('room:7', '6');
    await turn();
    calls[1]?.reject(new Error('offline'));
    await turn();
    calls[0]?.reject(new Error('connection closed'));
    await turn();
    expect(journal.suspended).toBe(true);
    const repaired = journal.repair();
    await turn();
    const repair = calls[2];
    expect(repair?.write.notes?.get('room:7')).toBe('6');
    expect(repair?.write.recv).toBe(2);
    repair?.resolve(true);
    await expect(repaired).resolves.toBe(true);
    expect(journal.durableRecv).toBe(2);
  });

  it('a stored write lets its waiters out only after every earlier write was handled', async () => {
    const { journal, calls } = await twoWritesInFlight();
    const acks: number[] = [];
    journal.after(() => acks.push(2));
    calls[1]?.resolve(true);
    await turn();
    expect(acks).toEqual([]);
    calls[0]?.resolve(true);
    await turn();
    expect(acks).toEqual([2]);
    expect(journal.durableRecv).toBe(2);
  });
});

describe('SessionJournal.repair with a write still in flight', () => {
  it('waits for the slow write to be answered, then repairs, instead of refusing at once', async () => {
    const { journal, calls } = await twoWritesInFlight();
    calls[0]?.reject(new Error('connection closed'));
    await turn();
    expect(journal.suspended).toBe(true);
    let outcome: boolean | undefined;
    const repaired = journal.repair().then((ok) => (outcome = ok));
    await turn();
    // Not decided while W2 is unanswered, and nothing written before its outcome is known.
    expect(outcome).toBeUndefined();
    expect(calls).toHaveLength(2);
    calls[1]?.resolve(true);
    await turn();
    const repair = calls[2];
    expect(repair?.write.recv).toBe(2);
    repair?.resolve(true);
    await repaired;
    expect(outcome).toBe(true);
    expect(journal.suspended).toBe(false);
    expect(journal.durableRecv).toBe(2);
  });

  it('answers false when the write in flight fails too, and so does its repair write (the store is away)', async () => {
    const { journal, calls } = await twoWritesInFlight();
    calls[0]?.reject(new Error('connection closed'));
    await turn();
    const repaired = journal.repair();
    await turn();
    calls[1]?.reject(new Error('connection closed'));
    await turn();
    // The repair's own write carries both, and fails: still suspended.
    expect(calls[2]?.write.recv).toBe(2);
    calls[2]?.reject(new Error('offline'));
    await expect(repaired).resolves.toBe(false);
    expect(journal.suspended).toBe(true);
  });
});

describe('a session on a shared store acknowledging at once (ackEvery reached)', () => {
  it('sends the ACK for a seq only once the write that applied it is stored, even with no write in flight before', async () => {
    const { store, calls } = scriptedStore();
    const session = new Session('id', 'p1', 'chat', undefined, {
      clock: new ManualClock(),
      reliable: { ...DEFAULT_RELIABLE, ackEvery: 1, ackDelayMs: 0 },
      codec: new FrameCodec(),
      end: () => undefined,
    });
    session.useJournal(new SessionJournal(store, 'id', 1000, 0, 0, () => undefined, () => undefined));
    const acks: number[] = [];
    // Only what the session uses of its connection: the ACKs it sends.
    session.attach({ sendAck: (recv: number) => void acks.push(recv) } as unknown as SessionLink);
    expect(session.receive(1)).toBe(true);
    await turn();
    expect(acks).toEqual([]);
    expect(calls[0]?.write.recv).toBe(1);
    calls[0]?.resolve(true);
    await turn();
    expect(acks).toEqual([1]);
  });
});

describe('a session being handed over', () => {
  it('refuses new reliable frames while its release write is on its way, and takes them again if the handover fails', async () => {
    const { store, calls } = scriptedStore();
    const ended: string[] = [];
    const session = new Session('id', 'p1', 'chat', undefined, {
      clock: new ManualClock(),
      reliable: DEFAULT_RELIABLE,
      codec: new FrameCodec(),
      end: (_session, reason) => void ended.push(reason),
    });
    const journal = new SessionJournal(store, 'id', 1000, 0, 0, () => ended.push('moved'), () => undefined);
    session.useJournal(journal);
    expect(session.sendReliable('t', 1)).toBe(true);
    await turn();
    calls[0]?.resolve(true);
    await turn();

    const failed = session.handOver();
    await turn();
    // The release write is on its way: a frame now would be dropped with this copy, so it is refused.
    expect(calls[1]?.write.release).toBe(true);
    expect(session.sendReliable('t', 2)).toBe(false);
    calls[1]?.reject(new Error('offline'));
    await expect(failed).resolves.toBe(false);
    // Still this process's session: it takes frames again.
    expect(session.sendReliable('t', 3)).toBe(true);
    expect(ended).toEqual([]);
  });
});
