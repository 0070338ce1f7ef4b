import { DEFAULT_RELIABLE } from '../../src/reliable/reliable';
import { RestorableSender } from '../../server/sessions/reliable-restore';

/* RestorableSender.restore: refilling a sender from a session store (a session moved to another process). */

const frame = (seq: number) => new Uint8Array([0x94, 8, seq, 0xc0, 0xc0]);

describe('RestorableSender.restore', () => {
  it('continues the numbering, keeps the frames for a resume and releases them on ACK', () => {
    const sender = new RestorableSender(DEFAULT_RELIABLE);
    sender.restore(4, 8, [5, 6, 7].map((seq) => ({ seq, frame: frame(seq) })));
    expect(sender.acknowledged).toBe(4);
    expect(sender.nextSeq).toBe(8);
    expect(sender.unacked).toBe(3);
    expect(sender.unackedBytes).toBe(15);
    expect(sender.after(5).map((m) => [m.seq, m.frame[2]])).toEqual([
      [6, 6],
      [7, 7],
    ]);
    expect(sender.reserve(1)).toBe(8);
    sender.commit('t', frame(8));
    expect(sender.ack(6)).toBe(2);
    expect(sender.after(0).map((m) => m.seq)).toEqual([7, 8]);
    expect(sender.unackedBytes).toBe(10);
  });

  it('counts restored frames against the limits', () => {
    const sender = new RestorableSender({ ...DEFAULT_RELIABLE, maxUnacked: 2 });
    sender.restore(0, 3, [1, 2].map((seq) => ({ seq, frame: frame(seq) })));
    expect(() => sender.reserve(1)).toThrow('await acknowledgement');
  });

  it('refuses frames out of order or outside (acknowledged, nextSeq), and a sender already in use', () => {
    expect(() => new RestorableSender(DEFAULT_RELIABLE).restore(4, 8, [{ seq: 4, frame: frame(4) }])).toThrow(RangeError);
    expect(() => new RestorableSender(DEFAULT_RELIABLE).restore(0, 3, [{ seq: 3, frame: frame(3) }])).toThrow(RangeError);
    expect(() =>
      new RestorableSender(DEFAULT_RELIABLE).restore(0, 5, [
        { seq: 2, frame: frame(2) },
        { seq: 1, frame: frame(1) },
      ]),
    ).toThrow(RangeError);
    const used = new RestorableSender(DEFAULT_RELIABLE);
    used.reserve(1);
    used.commit('t', frame(1));
    expect(() => used.restore(0, 2, [])).toThrow(RangeError);
  });
});
