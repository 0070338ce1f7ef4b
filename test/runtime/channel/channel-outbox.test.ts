import { TRANSPORT_KINDS } from '../../support/harness';
import { channelSuite } from '../../support/channels';
import { next, reach } from '../../support/channel-helpers';

describe.each(TRANSPORT_KINDS)('sending before open over %s', (kind) => {
  const { h, make } = channelSuite(kind, 'game', { random: () => 0 });
  /** Collects what the server received on `topic`, resolving once `count` arrived. */
  const collect = (topic: string, count: number) => {
    const got: unknown[] = [];
    const done = new Promise<unknown[]>((resolve) =>
      h.server.on(topic, (p) => {
        got.push(p);
        if (got.length === count) resolve(got);
      }),
    );
    return { got, done };
  };

  it('queue: flushed in order right after WELCOME, before anything sent once open', async () => {
    const { done } = collect('m', 6);
    const channel = make({ outbox: { policy: 'queue' } });
    channel.send('m', 'q1');
    channel.send('m', 'q2');
    channel.connect();
    channel.send('m', 'q3');
    channel.on('open', () => channel.send('m', 'from-open-listener'));
    channel.on('state', ({ next: s }) => {
      if (s === 'open') channel.send('m', 'from-state-listener');
    });
    expect(channel.stats().queued).toBe(3);
    await reach(channel, 'open');
    channel.send('m', 'after');
    await expect(done).resolves.toEqual(['q1', 'q2', 'q3', 'from-state-listener', 'from-open-listener', 'after']);
    expect(channel.stats().queued).toBe(0);
  });

  it('latest: one pending message per topic, the newest; stale state is never replayed', async () => {
    const state = collect('state', 1);
    const input = collect('input', 2);
    const channel = make({ outbox: { policy: 'latest' } });
    const dropped: string[] = [];
    channel.on('dropped', ({ topic, reason }) => dropped.push(`${topic}:${reason}`));
    for (let i = 1; i <= 5; i++) channel.send('state', { tick: i });
    channel.send('input', 'a', { policy: 'queue' });
    channel.send('input', 'b', { policy: 'queue' });
    channel.connect();
    await reach(channel, 'open');
    await expect(state.done).resolves.toEqual([{ tick: 5 }]);
    await expect(input.done).resolves.toEqual(['a', 'b']);
    expect(dropped).toEqual(['state:replaced', 'state:replaced', 'state:replaced', 'state:replaced']);
    expect(channel.stats().dropped).toBe(4);
  });

  it('drop: refused while not open, reported and counted; nothing reaches the server', async () => {
    const received: unknown[] = [];
    h.server.on('input', (p) => {
      received.push(p);
    });
    const channel = make({ outbox: { policy: 'drop' } });
    const dropped = next(channel, 'dropped');
    expect(channel.send('input', 1)).toBe(false);
    await expect(dropped).resolves.toEqual({ topic: 'input', reason: 'not_open' });
    channel.connect();
    await reach(channel, 'open');
    const marker = collect('marker', 1);
    expect(channel.send('marker', true)).toBe(true);
    await marker.done;
    expect(received).toEqual([]);
    expect(channel.stats().dropped).toBe(1);
  });

  it('ttlMs: an input that waited too long is dropped as expired, not sent stale', async () => {
    const { done } = collect('input', 1);
    const channel = make();
    channel.send('input', 'old', { ttlMs: 100 });
    h.clock.advance(150);
    channel.send('input', 'fresh', { ttlMs: 100 });
    const expired = next(channel, 'dropped');
    channel.connect();
    await expect(expired).resolves.toEqual({ topic: 'input', reason: 'expired' });
    await expect(done).resolves.toEqual(['fresh']);
  });

  it('a full outbox drops the oldest (drop-oldest) or refuses (reject), counted', async () => {
    const oldest = make({ outbox: { maxCount: 3, overflow: 'drop-oldest' } });
    for (let i = 0; i < 5; i++) oldest.send('m', i);
    expect(oldest.stats()).toMatchObject({ queued: 3, dropped: 2 });
    const reject = make({ outbox: { maxCount: 3, overflow: 'reject' } });
    const results = [0, 1, 2, 3, 4].map((i) => reject.send('m', i));
    expect(results).toEqual([true, true, true, false, false]);
    expect(reject.stats()).toMatchObject({ queued: 3, dropped: 2 });
    const { done } = collect('m', 3);
    oldest.connect();
    await expect(done).resolves.toEqual([2, 3, 4]);
  });

  it('is bounded by bytes too', () => {
    const channel = make({ outbox: { maxBytes: 1000, maxCount: 1000 } });
    for (let i = 0; i < 50; i++) channel.send('m', 'x'.repeat(100));
    expect(channel.stats().queuedBytes).toBeLessThanOrEqual(1000);
    expect(channel.stats().queued + channel.stats().dropped).toBe(50);
  });

  it('a request made before open waits in the outbox and is answered once open', async () => {
    h.server.handle('ping', () => 'pong');
    const channel = make();
    const reply = channel.request('ping', null, { timeoutMs: 5000 });
    channel.connect();
    await expect(reply).resolves.toBe('pong');
  });

  it('with requests.whileDisconnected = reject, a request before open fails at once with not_open', async () => {
    const channel = make({ requests: { whileDisconnected: 'reject' } });
    await expect(channel.request('ping')).rejects.toMatchObject({ code: 'not_open' });
  });
});
