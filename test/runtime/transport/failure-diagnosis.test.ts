import { ConnectionManager } from '../../../src/manager';
import { TransportError } from '../../../src/errors';
import { diagnoseFailure, FailureCause, PLATFORM_FAILURES } from '../../../src/failures';
import { next, reach } from '../../support/channel-helpers';
import { type Harness, startHarness } from '../../support/harness';
import type { WxEmulatorOptions } from '../../support/wx-emulator';

// The platforms' known failure messages become a stable `cause` and a one-line hint on TransportError (src/failures.ts,
// the README's table). Each row is proven twice: the messages it was seen with against the table, and the failure itself
// through the whole runtime on the wx emulator, real sockets underneath. The messages are the platforms' own, as
// the platforms' docs, PLATFORM.md and developers' reports give them.

describe('the failures table', () => {
  it.each(PLATFORM_FAILURES.map((row) => [row.cause, row.seen] as const))('names %s for each message it was seen with', (cause, seen) => {
    expect(seen.length).toBeGreaterThan(0);
    for (const message of seen) expect(diagnoseFailure(message)?.cause).toBe(cause);
  });

  it('has one row per cause, each with a one-line hint, and leaves unknown messages without a cause', () => {
    expect(PLATFORM_FAILURES.map((row) => row.cause).sort()).toEqual(Object.values(FailureCause).sort());
    for (const row of PLATFORM_FAILURES) expect(row.hint).toMatch(/^[^\n]{20,140}$/);
    expect(diagnoseFailure('exception onOpen fail code:2, msg:Underlying Transport Error')).toBeUndefined();
    expect(diagnoseFailure(undefined)).toBeUndefined();
    const plain = new TransportError('socket_error', 'something else');
    expect([plain.cause, plain.hint, plain.message]).toEqual([undefined, undefined, 'something else']);
  });
});

describe('a failure on the emulator reaches the app as a TransportError with its cause and hint', () => {
  let h: Harness | undefined;
  let manager: ConnectionManager | undefined;
  afterEach(async () => {
    manager?.close();
    await h?.close();
    h = manager = undefined;
  });

  /** Opens a channel (no lifecycle: the channel tries to connect whatever the app's state) and returns its first error. */
  async function firstError(emulatorOptions: Partial<WxEmulatorOptions>, before?: (harness: Harness) => void, url?: string): Promise<TransportError> {
    h = await startHarness('wx', {}, emulatorOptions);
    before?.(h);
    manager = new ConnectionManager({ transport: h.transport, clock: h.clock, random: () => 0.5 });
    const channel = manager.open('game', { url: url ?? h.url });
    const error = await next(channel, 'error');
    expect(error).toBeInstanceOf(TransportError);
    return error as TransportError;
  }

  function expectCause(error: TransportError, cause: FailureCause): void {
    const row = PLATFORM_FAILURES.find((failure) => failure.cause === cause);
    expect(error.cause).toBe(cause);
    expect(error.hint).toBe(row?.hint);
    expect(error.message.endsWith(`(${row?.hint})`)).toBe(true);
  }

  it('a host missing from the socket domain list: domain_not_allowed', async () => {
    expectCause(await firstError({ domains: ['game.example.com'] }), FailureCause.DomainNotAllowed);
  });

  it('one socket past the limit: socket_limit', async () => {
    h = await startHarness('wx', {}, { maxSockets: 1 });
    manager = new ConnectionManager({ transport: h.transport, clock: h.clock, random: () => 0.5 });
    const first = manager.open('first', { url: h.url });
    await reach(first, 'open');
    const error = await next(manager.open('second', { url: h.url }), 'error');
    expectCause(error as TransportError, FailureCause.SocketLimit);
  });

  it('no network: network_offline', async () => {
    expectCause(await firstError({}, (harness) => harness.networkDown()), FailureCause.NetworkOffline);
  });

  it('in the background past the cut: suspended', async () => {
    const error = await firstError({}, (harness) => {
      harness.hide();
      harness.clock.advance(5_000);
    });
    expectCause(error, FailureCause.Suspended);
  });

  // What the emulator does not reproduce from real conditions, it reports in the platform's own words. A connect
  // timeout is one: the channel passes its own deadline to connectSocket as the platform's timeout, and its own
  // TimeoutError ('no WELCOME within connectTimeoutMs') is reported first.
  it.each([
    [FailureCause.ConnectTimeout, 'exception onOpen fail code:9, msg:Timer Expired'],
    [FailureCause.CertificateInvalid, 'exception onOpen fail code:8, msg:TLS handshake failed'],
    [FailureCause.InsecureUrl, '请求 url 不支持 ws,请使用 wss'],
    [FailureCause.NetworkOffline, 'The Internet connection appears to be offline.'],
  ])('%s, in the words of another platform or OS', async (cause, errMsg) => {
    const error = await firstError({}, (harness) => harness.emulator?.refuseConnects(errMsg));
    expect(error.errMsg).toBe(errMsg);
    expectCause(error, cause);
  });
});
