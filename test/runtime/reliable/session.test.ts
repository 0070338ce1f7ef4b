import { FrameCodec } from '../../../src/wire/codec';
import { DEFAULT_RELIABLE } from '../../../src/reliable/reliable';
import { ClientSession } from '../../../src/reliable/client-session';
import { Op, type Welcome } from '../../../src/wire/protocol';
import { ManualClock } from '../../support/manual-clock';

function setup() {
  const codec = new FrameCodec();
  const sent: unknown[][] = [];
  const session = new ClientSession(new ManualClock(), DEFAULT_RELIABLE, codec, (frame) => {
    sent.push(codec.decode(frame)[0] as unknown as unknown[]);
    return true;
  });
  const welcome = (w: Partial<Welcome>): Welcome => ({ v: 1, session: 's1', heartbeatMs: 1, time: 1, resumed: false, recv: 0, ...w });
  return { session, sent, welcome };
}

describe('ClientSession', () => {
  it('resumed: acknowledges up to the server recv and re-sends exactly the rest, in order', async () => {
    const { session, sent, welcome } = setup();
    session.welcome(welcome({}));
    const acked = [1, 2, 3].map((n) => session.send('t', n));
    sent.length = 0;
    expect(session.welcome(welcome({ resumed: true, recv: 1 }))).toEqual({ resumed: true, lostSession: undefined });
    await acked[0];
    expect(sent).toEqual([
      [Op.Reliable, 2, 't', 2],
      [Op.Reliable, 3, 't', 3],
    ]);
  });

  it('not resumed: previousRecv acknowledges what the lost session applied; the rest is renumbered from 1', async () => {
    const { session, sent, welcome } = setup();
    session.welcome(welcome({}));
    const acked = [1, 2, 3].map((n) => session.send('t', { n }));
    sent.length = 0;
    expect(session.welcome(welcome({ session: 's2', previousRecv: 2 }))).toEqual({ resumed: false, lostSession: 's1' });
    await Promise.all(acked.slice(0, 2));
    expect(sent).toEqual([[Op.Reliable, 1, 't', { n: 3 }]]);
  });

  it('renumbering keeps the bytes first sent, whatever the receive limits and seq widths', async () => {
    // The codec's limits guard what arrives; a frame this side sent (a 10-element array) is over them and must still
    // be renumbered, not decoded.
    const codec = new FrameCodec({ maxArrayLength: 4 });
    const frames: Uint8Array[] = [];
    const session = new ClientSession(new ManualClock(), DEFAULT_RELIABLE, codec, (frame) => {
      frames.push(frame);
      return true;
    });
    const welcome = (w: Partial<Welcome>): Welcome => ({ v: 1, session: 's1', heartbeatMs: 1, time: 1, resumed: false, recv: 0, ...w });
    session.welcome(welcome({}));
    const big = Array.from({ length: 10 }, (_, i) => i);
    // Seqs 1 to 300: one-, two- and three-byte seqs in the frames kept.
    const acked = Array.from({ length: 300 }, (_, i) => session.send('t', i === 299 ? big : i));
    frames.length = 0;
    expect(session.welcome(welcome({ session: 's2', previousRecv: 100 }))).toEqual({ resumed: false, lostSession: 's1' });
    await Promise.all(acked.slice(0, 100));
    const reference = new FrameCodec();
    expect(frames.map((f) => reference.decode(f)[0])).toEqual(
      Array.from({ length: 200 }, (_, i) => [Op.Reliable, i + 1, 't', i === 199 ? big : i + 100]),
    );
    // Byte for byte what encoding the renumbered frame afresh gives.
    expect(frames.map((f) => Array.from(f))).toEqual(
      Array.from({ length: 200 }, (_, i) => Array.from(reference.encodeShared([Op.Reliable, i + 1, 't', i === 199 ? big : i + 100]))),
    );
    expect(session.stats.unacked).toBe(200);
    expect(session.stats.unackedBytes).toBe(frames.reduce((n, f) => n + f.byteLength, 0));
  });

  it('a WELCOME resuming below what the server already acknowledged is refused; the next one reports the session lost', () => {
    const { session, welcome } = setup();
    session.welcome(welcome({}));
    for (let n = 1; n <= 3; n++) void session.send('t', n);
    session.acknowledged(3);
    const bad = welcome({ resumed: true, recv: 1 });
    expect(session.resumeProblem(bad)).toMatch(/recv 1, below seq 3/);
    expect(session.resumeProblem(welcome({ resumed: true, recv: 3 }))).toBeUndefined();
    session.forget();
    expect(session.helloFields()).toEqual({});
    expect(session.welcome(welcome({ session: 's2' }))).toEqual({ resumed: false, lostSession: 's1' });
  });
});
