import { DEFAULT_RELIABLE, ReliableReceiver, ReliableSender } from '../../../src/reliable/reliable';
import { ProtocolError, QueueFullError } from '../../../src/errors';
import { ManualClock } from '../../support/manual-clock';

const frame = (n: number) => new Uint8Array(n);

describe('ReliableSender', () => {
  it('numbers from 1 and keeps messages until a cumulative ACK', () => {
    const s = new ReliableSender(DEFAULT_RELIABLE);
    for (let i = 0; i < 5; i++) {
      s.reserve(10);
      s.commit('t', frame(10));
    }
    expect(s.after(0).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(s.ack(3)).toBe(3);
    expect(s.after(0).map((m) => m.seq)).toEqual([4, 5]);
    expect(s.unackedBytes).toBe(20);
    expect(s.ack(3)).toBe(0);
    expect(s.after(4).map((m) => m.seq)).toEqual([5]);
  });

  it('refuses with QueueFullError when full by count or bytes, never dropping', () => {
    const s = new ReliableSender({ ...DEFAULT_RELIABLE, maxUnacked: 2, maxUnackedBytes: 25 });
    s.reserve(10);
    s.commit('t', frame(10));
    s.reserve(10);
    s.commit('t', frame(10));
    expect(() => s.reserve(1)).toThrow(QueueFullError);
    s.ack(1);
    expect(() => s.reserve(16)).toThrow(/bytes/);
    expect(s.reserve(15)).toBe(3);
    expect(s.after(0).map((m) => m.seq)).toEqual([2]);
  });

  it('reset hands back what was unacknowledged, in order, and numbering restarts', () => {
    const s = new ReliableSender(DEFAULT_RELIABLE);
    for (let i = 0; i < 3; i++) {
      s.reserve(1);
      s.commit('t', frame(1));
    }
    s.ack(1);
    expect(s.reset().map((m) => m.seq)).toEqual([2, 3]);
    expect(s.nextSeq).toBe(1);
    expect(s.unacked).toBe(0);
  });

  it('stays compact after many acknowledged messages', () => {
    const s = new ReliableSender({ ...DEFAULT_RELIABLE, maxUnacked: 10 });
    for (let i = 0; i < 10_000; i++) {
      s.reserve(1);
      s.commit('t', frame(1));
      s.ack(i + 1);
    }
    expect(s.unacked).toBe(0);
    expect((s as unknown as { queue: unknown[] }).queue.length).toBeLessThan(200);
  });
});

describe('ReliableReceiver', () => {
  function setup(ackEvery = 4, ackDelayMs = 100) {
    const clock = new ManualClock();
    const acks: number[] = [];
    const r = new ReliableReceiver(clock, { ...DEFAULT_RELIABLE, ackEvery, ackDelayMs }, (n) => acks.push(n));
    return { clock, acks, r };
  }

  it('delivers in order once, drops duplicates, refuses a gap', () => {
    const { r } = setup();
    expect([1, 2, 2, 1, 3].map((s) => r.accept(s))).toEqual(['deliver', 'deliver', 'duplicate', 'duplicate', 'deliver']);
    expect(r.recv).toBe(3);
    expect(() => r.accept(5)).toThrow(ProtocolError);
  });

  it('acknowledges every ackEvery deliveries or after ackDelayMs, whichever first', () => {
    const { r, acks, clock } = setup(4, 100);
    for (let s = 1; s <= 4; s++) r.accept(s);
    expect(acks).toEqual([4]);
    r.accept(5);
    expect(acks).toEqual([4]);
    clock.advance(99);
    expect(acks).toEqual([4]);
    clock.advance(1);
    expect(acks).toEqual([4, 5]);
    expect(clock.pending).toBe(0);
  });

  it('acknowledges again when a duplicate shows the sender missed the ACK', () => {
    const { r, acks, clock } = setup(100, 50);
    r.accept(1);
    clock.advance(50);
    r.accept(1);
    clock.advance(50);
    expect(acks).toEqual([1, 1]);
  });

  it('pause and reset release the timer', () => {
    const { r, clock } = setup(100, 50);
    r.accept(1);
    r.pause();
    expect(clock.pending).toBe(0);
    r.reset();
    expect(r.recv).toBe(0);
  });
});
