import { createHash } from 'node:crypto';
import { ChatError, ChatErrorCode } from '../core/errors';

/*
 * The chat module's payload checks, shared by the in-memory chat and the chat over a shared store, so that both
 * accept and refuse exactly the same requests.
 */

const ROOM_MAX_LENGTH = 64;
/** Longest `mid` a `chat/say` may carry. */
const MID_MAX_LENGTH = 128;

/** Why a room id was refused. */
const badRoom = `room must be a string of 1–${ROOM_MAX_LENGTH} characters without "/", "+" or "#", or a non-negative integer`;

/** The key of a valid room id (its topic segment), or undefined. */
function roomKey(room: unknown): string | undefined {
  if (typeof room === 'number') return Number.isSafeInteger(room) && room >= 0 ? String(room) : undefined;
  if (typeof room !== 'string' || room.length === 0 || room.length > ROOM_MAX_LENGTH || /[/+#]/.test(room)) return undefined;
  return room;
}

/** @throws {ChatError} `bad_request` for an invalid room. */
export function keyOf(room: unknown): string {
  const key = roomKey(room);
  if (key === undefined) throw new ChatError(ChatErrorCode.BadRequest, badRoom);
  return key;
}

/** A key of a map payload; undefined when the payload is not a map or lacks it. */
export function field(payload: unknown, key: string): unknown {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload) || payload instanceof Uint8Array) return undefined;
  return Object.prototype.hasOwnProperty.call(payload, key) ? (payload as Record<string, unknown>)[key] : undefined;
}

/** True for a safe non-negative integer. */
function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A `chat/say` whose `room`, `mid` and `body` are well formed. */
export interface SayRequest {
  readonly room: unknown;
  readonly key: string;
  readonly mid: string;
  readonly body: unknown;
}

/** What a malformed `chat/say` is answered: the `mid` when it had a usable one, and why. */
export interface SayRefusal {
  readonly mid: string | null;
  readonly room: unknown;
  readonly message: string;
}

/** Checks a `chat/say` payload; a refusal is answered `bad_request`. */
export function checkSay(payload: unknown): SayRequest | SayRefusal {
  const room = field(payload, 'room');
  const mid = field(payload, 'mid');
  if (typeof mid !== 'string' || mid.length === 0 || mid.length > MID_MAX_LENGTH) {
    return { mid: typeof mid === 'string' ? mid : null, room: room ?? null, message: `mid must be a string of 1–${MID_MAX_LENGTH} characters` };
  }
  const key = roomKey(room);
  const body = field(payload, 'body');
  if (key === undefined || body === undefined) return { mid, room: room ?? null, message: key === undefined ? badRoom : 'body is missing' };
  return { room, key, mid, body };
}

/** The `before` and `limit` of a `chat/history`, checked. @throws {ChatError} `bad_request`. */
export function historyPage(payload: unknown, historyLimit: number, maxHistoryLimit: number): { before: number; limit: number } {
  const before = field(payload, 'before') ?? Infinity;
  const limit = field(payload, 'limit') ?? historyLimit;
  if (before !== Infinity && !isUint(before)) throw new ChatError(ChatErrorCode.BadRequest, 'before must be a message id');
  if (!isUint(limit) || limit < 1) throw new ChatError(ChatErrorCode.BadRequest, 'limit must be a positive integer');
  return { before: before as number, limit: Math.min(limit, maxHistoryLimit) };
}

/**
 * What a room remembers of a say's body next to its `mid`: a repeated `mid` with the same digest is the same say sent
 * again, with another one a clash (`mid_conflict`). SHA-256 of the msgpack-encoded body, cut to 128 bits, base64url
 * (22 characters, no `:`): the server's encoder writes one value always the same way, so a body decoded and encoded
 * again digests alike.
 */
export function bodyDigest(encoded: Uint8Array): string {
  return createHash('sha256').update(encoded).digest().subarray(0, 16).toString('base64url');
}
