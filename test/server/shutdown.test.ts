import { exitOnStopSignals, type ShutdownHost, STOP_SIGNALS } from '../../server/shutdown';
import { ManualClock } from '../support/manual-clock';

// The command's stop on SIGTERM / SIGINT, driven without signals or exits (the real process: server-command.test.ts).

interface FakeHost extends ShutdownHost {
  readonly clock: ManualClock;
  readonly exits: number[];
  readonly errors: string[];
  signal(name: (typeof STOP_SIGNALS)[number]): void;
}

function fakeHost(): FakeHost {
  const listeners = new Map<string, (() => void)[]>();
  const exits: number[] = [];
  const errors: string[] = [];
  return {
    clock: new ManualClock(),
    exits,
    errors,
    on: (signal, listener) => listeners.set(signal, [...(listeners.get(signal) ?? []), listener]),
    exit: (code) => void exits.push(code),
    log: () => undefined,
    logError: (line) => void errors.push(line),
    signal: (name) => listeners.get(name)?.forEach((listener) => listener()),
  };
}

/** A close that settles when the test says. */
function pendingClose() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  const close = jest.fn(() => promise);
  return { close, resolve, reject, settled: () => promise.then(() => undefined, () => undefined) };
}

describe('exitOnStopSignals', () => {
  it.each(STOP_SIGNALS)('%s closes once and exits 0 when the close resolves, ignoring signals that follow', async (signal) => {
    const host = fakeHost();
    const pending = pendingClose();
    exitOnStopSignals(host, pending.close, 10_000);
    host.signal(signal);
    host.signal('SIGINT');
    host.signal('SIGTERM');
    expect(pending.close).toHaveBeenCalledTimes(1);
    expect(host.exits).toEqual([]);
    pending.resolve();
    await pending.settled();
    expect(host.exits).toEqual([0]);
    host.clock.advance(10_000);
    expect(host.exits).toEqual([0]);
  });

  it('exits 1 naming the error when the close rejects', async () => {
    const host = fakeHost();
    const pending = pendingClose();
    exitOnStopSignals(host, pending.close);
    host.signal('SIGTERM');
    pending.reject(new Error('redis gone'));
    await pending.settled();
    await Promise.resolve();
    expect(host.exits).toEqual([1]);
    expect(host.errors).toEqual(['multisocket server: closing failed: redis gone']);
  });

  it('exits 1 at the deadline when the close never settles, and not before', () => {
    const host = fakeHost();
    exitOnStopSignals(host, pendingClose().close, 10_000);
    host.signal('SIGTERM');
    host.clock.advance(9_999);
    expect(host.exits).toEqual([]);
    host.clock.advance(1);
    expect(host.exits).toEqual([1]);
    expect(host.errors).toEqual(['multisocket server: not closed within 10000 ms of SIGTERM; exiting anyway']);
  });

  it('does nothing until a signal comes', () => {
    const host = fakeHost();
    const pending = pendingClose();
    exitOnStopSignals(host, pending.close);
    host.clock.advance(60_000);
    expect(pending.close).not.toHaveBeenCalled();
    expect(host.exits).toEqual([]);
  });
});
