import { ROOT } from '../support/paths';

import { privateNames } from '../../scripts/private-names';

/*
 * The names the single-file bundle shortens (scripts/private-names.ts). test/package/bundle-recovery.test.ts and
 * test/package/bundle-sandbox.test.ts run the shortened bundle; this checks the selection itself.
 */
describe('private member names the bundle may shorten', () => {
  const names = privateNames(ROOT);

  it('takes private members used only as such', () => {
    // Channel's timers and Channel.startAttempt are private and have no namesake anywhere else.
    expect(names).toEqual(expect.arrayContaining(['connectTimer', 'backoffTimer', 'startAttempt', 'sessionState']));
  });

  it('leaves a private name alone when it is also public, an interface key or an option somewhere', () => {
    // `clock` is private in Channel but an option and a public field of other types; `limits` is private in ConnectionAttempt
    // but public on FrameCodec; `events` is private in Channel but a key of the object its halves share.
    for (const name of ['clock', 'limits', 'events', 'options']) expect(names).not.toContain(name);
  });

  it('never takes a name of the public API or of the platform', () => {
    const publicApi = ['send', 'close', 'subscribe', 'once', 'waitFor', 'on', 'stats', 'request', 'sendReliable', 'connect', 'state', 'rtt', 'session'];
    const platform = ['onOpen', 'onMessage', 'onClose', 'onError', 'errMsg', 'data', 'code', 'reason', 'header', 'protocols', 'success', 'fail', 'complete'];
    for (const name of [...publicApi, ...platform]) expect(names).not.toContain(name);
  });
});
