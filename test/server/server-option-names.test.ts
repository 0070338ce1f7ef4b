import { createServer, installChat, installGame, type ReferenceServer } from '../../server';
import { UsageError } from '../../src/errors';
import { thrown } from '../support/thrown';

// The server's options as the runtime's: a name nobody reads is refused, naming the nearest known option.

function refusal(fn: () => unknown): string {
  const err = thrown(UsageError, fn);
  expect(err.code).toBe('invalid_option');
  return err.message;
}

describe('the server refuses unknown option names', () => {
  let server: ReferenceServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each([
    [{ prot: 8787 }, 'unknown option prot of createServer (did you mean port?)'],
    [{ heartbeatMS: 1 }, 'did you mean heartbeatMs?'],
    [{ rateLimit: { messagesPerSecnd: 1 } }, 'unknown option rateLimit.messagesPerSecnd'],
    [{ reliable: { maxUnackd: 1 } }, 'did you mean reliable.maxUnacked?'],
    [{ limits: { maxDepht: 1 } }, 'did you mean limits.maxDepth?'],
  ])('createServer(%j)', (bad, message) => {
    expect(refusal(() => createServer(bad as never))).toContain(message);
  });

  it('installChat and installGame', () => {
    server = createServer({ port: 0 });
    const live = server;
    expect(refusal(() => installChat(live, { historySise: 10 } as never))).toBe('unknown option historySise of installChat (did you mean historySize?)');
    expect(refusal(() => installGame(live, { tickHZ: 10 } as never))).toBe('unknown option tickHZ of installGame (did you mean tickHz?)');
  });
});
