import type { RawData } from 'ws';
import { ProtocolErrorCode } from '../../src/codes';
import { ProtocolError } from '../../src/errors';
import type { FrameCodec } from '../../src/wire/codec';
import type { Frame } from '../../src/wire/protocol';
import { FloodGuard, type LimitName } from './abuse';
import { admit, admitSequenced } from './admission';
import type { ResolvedServerOptions } from './options';
import type { Traffic } from './traffic';
import type { ConnectionState } from './types';

/** Where a reader reports a message it refuses: its connection, which closes. */
export interface ReadRefusal {
  limited(limit: LimitName): void;
  protocolError(error: ProtocolError): void;
}

/**
 * What one socket receives: each message counted against the flood guard, decoded, and admitted whole against the
 * connection's state and session before any of its frames runs, so that a bad message has no partial effect.
 */
export class SocketReader {
  /** The size of the last message read, in bytes (the `message` event reports it). */
  lastBytes = 0;
  private readonly flood: FloodGuard | undefined;
  private readonly early: boolean;

  constructor(
    private readonly codec: FrameCodec,
    options: Pick<ResolvedServerOptions, 'rateLimit' | 'clock' | 'maxEarlyBytes'>,
    private readonly refused: ReadRefusal,
    private readonly traffic: Traffic,
  ) {
    this.flood = options.rateLimit ? new FloodGuard(options.rateLimit, options.clock) : undefined;
    this.early = options.maxEarlyBytes > 0;
  }

  /** The frames of one message, or undefined when it was refused (and reported). */
  read(data: RawData, isBinary: boolean, state: ConnectionState, session: { readonly recv: number; readonly sent: number } | undefined): Frame[] | undefined {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : data;
    this.lastBytes = bytes.byteLength;
    const over = this.flood?.admit(bytes.byteLength);
    if (over) {
      this.refused.limited(over);
      return undefined;
    }
    let frames: Frame[];
    try {
      if (!isBinary) throw new ProtocolError(ProtocolErrorCode.TextMessage, 'text messages are not part of the protocol; send binary');
      frames = this.codec.decode(bytes);
      admit(state, frames, this.early);
      if (session) admitSequenced(frames, session.recv, session.sent);
    } catch (err) {
      this.refused.protocolError(asProtocolError(err));
      return undefined;
    }
    this.traffic.received(frames, bytes.byteLength);
    return frames;
  }
}

function asProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  return new ProtocolError(ProtocolErrorCode.Malformed, err instanceof Error ? err.message : String(err));
}
