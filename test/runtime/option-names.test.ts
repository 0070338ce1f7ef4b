import { chatChannel, gameChannel } from '../../channels';
import { Channel, checkOptionNames, ConnectionManager, type SocketLike, type Transport, UsageError } from '../../src';
import { thrown } from '../support/thrown';

// An option name nobody reads is a typo that leaves the default in place without a word: refused, naming the nearest
// known option.

/** A transport that is never asked to connect: these tests only build things. */
const transport: Transport = {
  name: 'none',
  connect: () => {
    throw new Error('not connected in these tests');
  },
};

function refusal(fn: () => unknown): string {
  const err = thrown(UsageError, fn);
  expect(err.code).toBe('invalid_option');
  return err.message;
}

describe('checkOptionNames', () => {
  it('names the nearest known option: a letter missing, extra, wrong, or two swapped', () => {
    const known = ['heartbeat', 'maxSockets', 'port', 'host'];
    expect(refusal(() => checkOptionNames('x', { hearbeat: 1 }, known))).toBe('unknown option hearbeat of x (did you mean heartbeat?)');
    expect(refusal(() => checkOptionNames('x', { maxSocket: 1 }, known))).toContain('did you mean maxSockets?');
    expect(refusal(() => checkOptionNames('x', { prot: 1 }, known))).toContain('did you mean port?');
    expect(refusal(() => checkOptionNames('x', { MaxSockets: 1 }, known))).toContain('did you mean maxSockets?');
  });

  it('lists the known options when none is near; accepts known names and names set to undefined', () => {
    expect(refusal(() => checkOptionNames('x', { colour: 1 }, ['port', 'host'], 'g.'))).toBe('unknown option g.colour of x (known: g.port, g.host)');
    expect(() => checkOptionNames('x', { port: 1, typo: undefined }, ['port'])).not.toThrow();
    expect(() => checkOptionNames('x', undefined, ['port'])).not.toThrow();
  });
});

describe('unknown option names are refused', () => {
  it('by the manager', () => {
    expect(refusal(() => new ConnectionManager({ transport, maxSocket: 4 } as never))).toBe(
      'unknown option maxSocket of ConnectionManager (did you mean maxSockets?)',
    );
  });

  it.each([
    [{ hearbeat: { intervalMs: 1000 } }, 'unknown option hearbeat of channel "game" (did you mean heartbeat?)'],
    [{ heartbeat: { intervalMS: 1000 } }, 'heartbeat.intervalMS of channel "game" (did you mean heartbeat.intervalMs?)'],
    [{ reconnect: { maxAttempt: 3 } }, 'did you mean reconnect.maxAttempts?'],
    [{ outbox: { polcy: 'latest' } }, 'did you mean outbox.policy?'],
    [{ requests: { timeout: 5 } }, 'did you mean requests.timeoutMs?'],
    [{ reliable: { ackEvry: 8 } }, 'did you mean reliable.ackEvery?'],
    [{ limits: { maxDept: 8 } }, 'did you mean limits.maxDepth?'],
  ])('by a channel, at the top and in each group: %j', (bad, message) => {
    const manager = new ConnectionManager({ transport });
    expect(refusal(() => manager.open('game', { url: 'wss://x', ...bad } as never))).toContain(message);
    expect(refusal(() => new Channel('game', { url: 'wss://x', transport, ...bad } as never))).toContain(message);
    expect(manager.names).toEqual([]);
  });

  it('by the presets, which know their own options and the channel\'s', () => {
    const manager = new ConnectionManager({ transport });
    expect(refusal(() => chatChannel({ manager, url: 'wss://x', historyPagesize: 10 } as never))).toContain('chatChannel (did you mean historyPageSize?)');
    expect(refusal(() => chatChannel({ manager, url: 'wss://x', sayRetry: { limitMS: 1 } } as never))).toContain('did you mean sayRetry.limitMs?');
    expect(refusal(() => chatChannel({ manager, url: 'wss://x', hearbeat: {} } as never))).toContain('did you mean heartbeat?');
    expect(refusal(() => gameChannel({ manager, url: 'wss://x', tickMS: 50 } as never))).toContain('gameChannel (did you mean tickMs?)');
    expect(manager.names).toEqual([]);
  });

  it('a preset still accepts its own options and the channel\'s together', () => {
    const manager = new ConnectionManager({ transport: { name: 'silent', connect: () => silentSocket() }, clock: idleClock() });
    const game = gameChannel({ manager, url: 'wss://x', tickMs: 30, probes: 0, reconnect: { maxAttempts: 1 } });
    const chat = chatChannel({ manager, url: 'wss://x', historyPageSize: 10, sayRetry: { limitMs: 0 }, flushMs: 5 });
    expect(game.channel.options.flushMs).toBe(30);
    expect(chat.channel.options.flushMs).toBe(5);
    manager.close();
  });
});

/** A socket that never opens, never fails and ignores everything. */
function silentSocket(): SocketLike {
  const nothing = () => undefined;
  return { send: nothing, close: nothing, onOpen: nothing, onMessage: nothing, onError: nothing, onClose: nothing };
}

/** A clock whose timers never fire: the channels above never get past connecting. */
function idleClock() {
  return { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined };
}
