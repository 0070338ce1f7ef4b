import type { ResumeRequest } from './kept';
import type { Session } from './session';

/** What a HELLO that names a kept session gets: the session, a new one, or a new one after ending this one. */
export type ResumeVerdict = 'resume' | 'new' | 'expired' | 'behind';

/**
 * The rule for resuming `session` with the client's `ask` (PROTOCOL.md section 5), judged at `now`:
 * - `expired`: the resume window passed (its expiry timer may not have run yet: a frozen event loop), so it ends;
 * - `new`: not this channel's, or the client claims more than was ever sent (not this session's client, or broken);
 * - `behind`: the client acknowledged frames it now says it lacks (it restored an older copy of its state, say); they
 *   are released, so resuming would skip them: the session ends and is remembered, so the new session's WELCOME
 *   carries `previousRecv`, nothing from the client is applied twice, and the client resyncs for what it lacks;
 * - `resume` otherwise.
 */
export function resumeVerdict(session: Session | undefined, ask: ResumeRequest, channel: string, now: number, windowMs: number): ResumeVerdict {
  if (!session || session.channel !== channel) return 'new';
  if (!session.resumable(now, windowMs)) return 'expired';
  if (ask.recv > session.sent) return 'new';
  if (ask.recv < session.acknowledged) return 'behind';
  return 'resume';
}
