import { type DropReason, Outbox, type OutboxEntry, type OutboxOptions } from '../../../src/channel/outbox';

function entry(topic: string, size = 10, extra: Partial<OutboxEntry> = {}): OutboxEntry {
  return { topic, bytes: new Uint8Array(size), key: undefined, expiresAt: undefined, onDrop: undefined, onSent: undefined, ...extra };
}

function setup(options: Partial<OutboxOptions> = {}) {
  const drops: [string, DropReason][] = [];
  const box = new Outbox({ policy: 'queue', maxCount: 3, maxBytes: 100, overflow: 'drop-oldest', ...options }, (e, r) =>
    drops.push([e.topic, r]),
  );
  return { box, drops };
}

describe('Outbox', () => {
  it('keeps FIFO order', () => {
    const { box } = setup();
    ['a', 'b', 'c'].forEach((t) => box.add(entry(t)));
    expect(box.drain(0).map((e) => e.topic)).toEqual(['a', 'b', 'c']);
    expect(box.count).toBe(0);
  });

  it('drains up to maxBytes in order, stopping before the first entry that does not fit; the rest stay', () => {
    const { box, drops } = setup({ maxCount: 10 });
    box.add(entry('a', 10));
    box.add(entry('stale', 30, { expiresAt: 5 }));
    box.add(entry('b', 20));
    box.add(entry('c', 20));
    box.add(entry('d', 5));
    expect(box.drain(5, 40).map((e) => e.topic)).toEqual(['a', 'b']);
    expect(drops).toEqual([['stale', 'expired']]);
    expect(box.count).toBe(2);
    expect(box.byteLength).toBe(25);
    expect(box.drain(5).map((e) => e.topic)).toEqual(['c', 'd']);
    expect(box.byteLength).toBe(0);
  });

  it('drop-oldest evicts the oldest when full by count, reporting it', () => {
    const { box, drops } = setup();
    ['a', 'b', 'c', 'd'].forEach((t) => box.add(entry(t)));
    expect(drops).toEqual([['a', 'overflow']]);
    expect(box.drain(0).map((e) => e.topic)).toEqual(['b', 'c', 'd']);
  });

  it('drop-oldest evicts as many as needed when full by bytes', () => {
    const { box, drops } = setup({ maxCount: 100 });
    box.add(entry('a', 40));
    box.add(entry('b', 40));
    box.add(entry('c', 61));
    expect(drops).toEqual([
      ['a', 'overflow'],
      ['b', 'overflow'],
    ]);
    expect(box.byteLength).toBe(61);
  });

  it('reject refuses the newcomer and keeps the rest', () => {
    const { box, drops } = setup({ overflow: 'reject' });
    ['a', 'b', 'c'].forEach((t) => box.add(entry(t)));
    expect(box.add(entry('d'))).toBe(false);
    expect(drops).toEqual([['d', 'overflow']]);
    expect(box.drain(0).map((e) => e.topic)).toEqual(['a', 'b', 'c']);
  });

  it('latest keeps one entry per key, the newest, in the place of the newest', () => {
    const { box, drops } = setup({ maxCount: 10 });
    box.add(entry('state', 10, { key: 'state' }));
    box.add(entry('input'));
    box.add(entry('state', 12, { key: 'state' }));
    expect(drops).toEqual([['state', 'replaced']]);
    const drained = box.drain(0);
    expect(drained.map((e) => e.topic)).toEqual(['input', 'state']);
    expect(drained[1]?.bytes.byteLength).toBe(12);
  });

  it('drops expired entries at drain and reports them', () => {
    const { box, drops } = setup();
    box.add(entry('old', 10, { expiresAt: 100 }));
    box.add(entry('fresh', 10, { expiresAt: 300 }));
    expect(box.drain(200).map((e) => e.topic)).toEqual(['fresh']);
    expect(drops).toEqual([['old', 'expired']]);
  });

  it('refuses an entry larger than the whole outbox', () => {
    const { box, drops } = setup();
    expect(box.add(entry('huge', 101))).toBe(false);
    expect(drops).toEqual([['huge', 'too_large']]);
  });

  it('tells a dropped entry why (a queued request rejects through it)', () => {
    const { box } = setup({ overflow: 'reject', maxCount: 1 });
    const reasons: DropReason[] = [];
    box.add(entry('a'));
    box.add(entry('b', 10, { onDrop: (r) => reasons.push(r) }));
    expect(reasons).toEqual(['overflow']);
  });

  it('withdraw removes silently; clear reports everything', () => {
    const { box, drops } = setup();
    const a = entry('a');
    box.add(a);
    box.add(entry('b'));
    expect(box.withdraw(a)).toBe(true);
    expect(drops).toEqual([]);
    box.clear('closed');
    expect(drops).toEqual([['b', 'closed']]);
    expect(box.byteLength).toBe(0);
  });
});
