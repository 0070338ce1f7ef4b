import { UsageErrorCode } from '../../src/codes';
import { checkOptionNames } from '../../src/defaults';
import { UsageError } from '../../src/errors';
import type { ServerSession } from '../core/types';
import type { ChatStore } from './store';

/**
 * How long a room's history outlives its last member and its last message when nobody says otherwise, ms: 24 hours,
 * the default `roomTtlMs` of the in-memory chat store and of `createRedisChatStore` alike.
 */
export const DEFAULT_ROOM_TTL_MS = 24 * 3600_000;

/** Options of {@link installChat}; every field is optional and its default is given here. */
export interface InstallChatOptions {
  /** Messages each room keeps for `chat/history`. Default 1,000. */
  historySize: number;
  /** Recent `mid`s each room remembers, so that a message sent again is answered, not repeated. Default 1,000. */
  dedupeSize: number;
  /** Messages a `chat/history` returns when it gives no `limit`. Default 50. */
  historyLimit: number;
  /** Most messages one `chat/history` returns; a larger `limit` is cut to it. Default 500. */
  maxHistoryLimit: number;
  /** Rooms one session may be in at once. Default 100. */
  maxRoomsPerSession: number;
  /** Largest message `body`, msgpack-encoded, bytes. Default 8,192. */
  maxBodyBytes: number;
  /** Public ids one `chat/presence` lists at most (its `count` is always the true total). Default 1,000. */
  maxPresence: number;
  /**
   * With a `store`: how long a member's presence entry lasts unless its process renews it (every third of this, on
   * the server's clock), ms. A process that dies without removing its members loses them this long after its last
   * renewal. Default 30,000.
   */
  presenceTtlMs: number;
  /**
   * How long the in-memory store keeps a room's history and ids once it has no member left, ms. Default 86,400,000
   * (24 hours, {@link DEFAULT_ROOM_TTL_MS}): players who all leave a game in the background, or whose sessions all end
   * at once, come back within hours rather than minutes, and must find the lines said before they went. With a `store`
   * the store's own `roomTtlMs` applies, and this option is refused: its keys are shared by every process, so their
   * expiry is the store's, not one process's.
   */
  roomTtlMs: number;
  /**
   * Rooms the in-memory store keeps at most: past it, the longest-idle room without members is dropped first. A room
   * with members is never dropped, so while more than this many rooms have members, they are all kept and no empty
   * one is. Default 10,000. Refused with a `store` (a shared store's rooms expire after its `roomTtlMs`).
   */
  maxRooms: number;
  /** The `from` of a session's messages. Default: `session.publicId` (never the session id, which is a secret). */
  from: (session: ServerSession) => unknown;
  /**
   * Where rooms' ids, history and `mid` dedupe live and how their messages reach every process
   * (`createRedisChatStore`): several server processes on one store form one chat service. Default: none, the
   * in-memory store kept in the server's `state`, this process only. Membership always stays with the process
   * holding the session.
   */
  store: ChatStore | undefined;
}

/**
 * The options with their defaults.
 * @throws {UsageError} `invalid_option` naming a bad option.
 */
/** Every key of {@link InstallChatOptions} (the type makes the list complete): any other is a typo, refused. */
const CHAT_OPTION_NAMES = Object.keys({
  historySize: 1, dedupeSize: 1, historyLimit: 1, maxHistoryLimit: 1, maxRoomsPerSession: 1, maxBodyBytes: 1,
  maxPresence: 1, presenceTtlMs: 1, roomTtlMs: 1, maxRooms: 1, from: 1, store: 1,
} satisfies Record<keyof InstallChatOptions, 1>);

export function resolveChatOptions(options: Readonly<Partial<InstallChatOptions>>): Readonly<InstallChatOptions> {
  checkOptionNames('installChat', options, CHAT_OPTION_NAMES);
  const resolved: InstallChatOptions = {
    historySize: options.historySize ?? 1000,
    dedupeSize: options.dedupeSize ?? 1000,
    historyLimit: options.historyLimit ?? 50,
    maxHistoryLimit: options.maxHistoryLimit ?? 500,
    maxRoomsPerSession: options.maxRoomsPerSession ?? 100,
    maxBodyBytes: options.maxBodyBytes ?? 8192,
    maxPresence: options.maxPresence ?? 1000,
    presenceTtlMs: options.presenceTtlMs ?? 30_000,
    roomTtlMs: options.roomTtlMs ?? DEFAULT_ROOM_TTL_MS,
    maxRooms: options.maxRooms ?? 10_000,
    from: options.from ?? ((session) => session.publicId),
    store: options.store,
  };
  for (const name of ['historySize', 'dedupeSize', 'maxPresence'] as const) check(name, resolved[name], 0);
  for (const name of ['historyLimit', 'maxHistoryLimit', 'maxRoomsPerSession', 'maxBodyBytes'] as const) check(name, resolved[name], 1);
  // Renewed every third of it: below 30 ms the renewals would be most of the store's work.
  check('presenceTtlMs', resolved.presenceTtlMs, 30);
  // At least a second: shorter would drop a room while its members are only reconnecting.
  check('roomTtlMs', resolved.roomTtlMs, 1000);
  check('maxRooms', resolved.maxRooms, 1);
  if (resolved.store !== undefined) {
    for (const name of ['roomTtlMs', 'maxRooms'] as const) if (options[name] !== undefined) invalid(name, `${options[name]} (with a store, set roomTtlMs on the store)`);
  }
  if (typeof resolved.from !== 'function') invalid('from', typeof resolved.from);
  return Object.freeze(resolved);
}

function check(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) invalid(name, String(value));
}

function invalid(name: string, shown: string): never {
  throw new UsageError(UsageErrorCode.InvalidOption, `chat option ${name} is invalid: ${shown}`);
}
