import { ProtocolErrorCode } from '../../src/codes';
import { ProtocolError } from '../../src/errors';
import { type Frame, Op, opName } from '../../src/wire/protocol';
import { ConnectionState } from './types';

/*
 * What the server refuses from a client, beyond what the codec already refuses (PROTOCOL.md sections 2 and 4):
 * frames that are valid but not allowed from a client, or not yet, and the frames `ws` itself refuses.
 */

/** The opcodes a client may send once it has been welcomed. */
const CLIENT_OPS: ReadonlySet<number> = new Set([Op.Ping, Op.Push, Op.Request, Op.Reply, Op.Fail, Op.Reliable, Op.Ack]);

/**
 * Checks a whole decoded message against the connection's state before any of its frames runs, so that a bad batch
 * has no partial effect: HELLO alone first, nothing until WELCOME but PUSH and REQUEST (when `early` frames are taken),
 * then only the client's opcodes.
 * @throws {ProtocolError} `unexpected_frame` naming the offending frame.
 */
export function admit(state: ConnectionState, frames: readonly Frame[], early = false): void {
  const first = (frames[0] as Frame)[0];
  if (state === ConnectionState.AwaitingHello) {
    if (first !== Op.Hello) throw unexpected(`the first frame must be HELLO, got ${opName(first)}`);
    if (frames.length > 1) throw unexpected(`${opName((frames[1] as Frame)[0])} sent before WELCOME`);
    return;
  }
  if (state === ConnectionState.Authenticating) {
    // Early frames (PROTOCOL.md section 3): only fire-and-forget ones, and only from a server that announces them.
    const late = early ? frames.find((frame) => frame[0] !== Op.Push && frame[0] !== Op.Request) : frames[0];
    if (late) throw unexpected(`${opName(late[0])} sent before WELCOME`);
    return;
  }
  for (const frame of frames) {
    if (CLIENT_OPS.has(frame[0])) continue;
    throw unexpected(frame[0] === Op.Hello ? 'HELLO sent twice' : `${opName(frame[0])} is never sent by a client`);
  }
}

/**
 * Checks the RELIABLE and ACK frames of a whole message against the session before any frame runs (so a gap in the
 * middle of a batch has no partial effect): each RELIABLE `seq` is a duplicate (`<=` what was delivered) or the next
 * one, and no ACK acknowledges more than the server has sent.
 * @throws {ProtocolError} `bad_frame` naming the offending seq.
 */
export function admitSequenced(frames: readonly Frame[], recv: number, sent: number): void {
  let next = recv + 1;
  for (const frame of frames) {
    if (frame[0] === Op.Reliable) {
      if (frame[1] === next) next++;
      else if (frame[1] > next) throw new ProtocolError(ProtocolErrorCode.BadFrame, `RELIABLE seq ${frame[1]} skips ahead of ${next}`);
    } else if (frame[0] === Op.Ack && frame[1] > sent) {
      throw new ProtocolError(ProtocolErrorCode.BadFrame, `ACK ${frame[1]} acknowledges more than the ${sent} RELIABLE sent`);
    }
  }
}

/**
 * The protocol error and close code for an error `ws` raised while reading (it has already sent its own close
 * frame: 1009 for a message over `maxPayload`, 1007 for invalid UTF-8 in a text frame, 1002 otherwise), or
 * undefined for any other socket error.
 */
export function wsRefusal(err: Error): { error: ProtocolError; closeCode: number } | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('WS_ERR_')) return undefined;
  const closeCode = code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : code === 'WS_ERR_INVALID_UTF8' ? 1007 : 1002;
  const errorCode = closeCode === 1009 ? ProtocolErrorCode.FrameTooLarge : ProtocolErrorCode.Malformed;
  return { error: new ProtocolError(errorCode, err.message), closeCode };
}

function unexpected(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.UnexpectedFrame, message);
}
