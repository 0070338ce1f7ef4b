import { MAX_CLOSE_REASON_BYTES } from '../../src/transport/types';
import { utf8Length } from '../../src/wire/utf8';

/**
 * `reason` cut at a character boundary so it fits {@link MAX_CLOSE_REASON_BYTES}: the server closes with reasons it
 * did not write (an error's message), and `ws` throws on a longer one. The rule itself is the client's, in src/.
 */
export function clampReason(reason: string): string {
  if (reason.length <= MAX_CLOSE_REASON_BYTES / 3 || utf8Length(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  let end = Math.min(reason.length, MAX_CLOSE_REASON_BYTES);
  // Each step drops one UTF-16 unit; never leave half of a surrogate pair behind (it would encode as 3 bytes).
  while (end > 0 && utf8Length(reason.slice(0, end)) > MAX_CLOSE_REASON_BYTES) end--;
  const last = reason.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return reason.slice(0, end);
}
