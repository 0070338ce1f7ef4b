import { UsageErrorCode } from '../../src/codes';
import { UsageError } from '../../src/errors';
import { utf8Length } from '../../src/wire/utf8';

/** The most UTF-8 bytes a WebSocket close reason may hold (RFC 6455 §5.5: 125-byte control payload minus the code). */
export const MAX_REASON_BYTES = 123;

/** `reason` cut at a character boundary so it fits {@link MAX_REASON_BYTES}; `ws` throws on a longer one. */
export function clampReason(reason: string): string {
  if (reason.length <= MAX_REASON_BYTES / 3 || utf8Length(reason) <= MAX_REASON_BYTES) return reason;
  let end = Math.min(reason.length, MAX_REASON_BYTES);
  // Each step drops one UTF-16 unit; never leave half of a surrogate pair behind (it would encode as 3 bytes).
  while (end > 0 && utf8Length(reason.slice(0, end)) > MAX_REASON_BYTES) end--;
  const last = reason.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return reason.slice(0, end);
}

/**
 * Checks a close code an application passes in: Android refuses anything but 1000 and 3000–4999, and `ws` agrees.
 * @throws {UsageError} `invalid_close_code` naming the code.
 */
export function checkCloseCode(code: unknown): asserts code is number {
  if (code === 1000 || (typeof code === 'number' && Number.isInteger(code) && code >= 3000 && code <= 4999)) return;
  throw new UsageError(UsageErrorCode.InvalidCloseCode, `close code must be 1000 or 3000–4999, got ${String(code)}`);
}
