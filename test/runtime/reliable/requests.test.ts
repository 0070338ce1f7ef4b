import { PendingRequests } from '../../../src/reliable/requests';
import { DisconnectedError, RemoteError, TimeoutError } from '../../../src/errors';
import { ManualClock } from '../../support/manual-clock';

describe('PendingRequests', () => {
  it('resolves on REPLY, rejects with RemoteError on FAIL, ignores unknown ids', async () => {
    const clock = new ManualClock();
    const table = new PendingRequests(clock);
    const a = table.create('a', 1000);
    const b = table.create('b', 1000);
    expect(table.reply(a.id, 'ok')).toBe(true);
    expect(table.fail(b.id, 'not_found', 'nope')).toBe(true);
    expect(table.reply(999, 'late')).toBe(false);
    await expect(a.promise).resolves.toBe('ok');
    await expect(b.promise).rejects.toEqual(expect.objectContaining({ code: 'not_found', topic: 'b' }));
    await expect(b.promise).rejects.toBeInstanceOf(RemoteError);
    expect(table.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('rejects with TimeoutError at the deadline and releases it', async () => {
    const clock = new ManualClock();
    const table = new PendingRequests(clock);
    let released = 0;
    const r = table.create('slow', 500, () => released++);
    clock.advance(499);
    expect(table.size).toBe(1);
    clock.advance(1);
    await expect(r.promise).rejects.toBeInstanceOf(TimeoutError);
    expect(released).toBe(1);
    expect(table.reply(r.id, 'too late')).toBe(false);
  });

  it('a drop rejects only the requests in flight; queued ones keep waiting', async () => {
    const clock = new ManualClock();
    const table = new PendingRequests(clock);
    const sent = table.create('sent', 1000);
    const queued = table.create('queued', 1000);
    table.sent(sent.id);
    table.rejectInFlight(() => new DisconnectedError('disconnected', 'dropped'));
    await expect(sent.promise).rejects.toBeInstanceOf(DisconnectedError);
    expect(table.size).toBe(1);
    table.rejectAll(() => new DisconnectedError('closed', 'closed'));
    await expect(queued.promise).rejects.toEqual(expect.objectContaining({ code: 'closed' }));
    expect(clock.pending).toBe(0);
  });

  it('discard forgets a request without settling it; a custom timeout error replaces TimeoutError', async () => {
    const clock = new ManualClock();
    const table = new PendingRequests(clock, (topic, ms) => new Error(`${topic} after ${ms}`));
    let released = 0;
    const dropped = table.create('dropped', 100, () => released++);
    table.discard(dropped.id);
    expect(table.size).toBe(0);
    expect(released).toBe(1);
    expect(table.reply(dropped.id, 'late')).toBe(false);
    const slow = table.create('slow', 100);
    clock.advance(100);
    await expect(slow.promise).rejects.toThrow('slow after 100');
    expect(clock.pending).toBe(0);
  });
});
