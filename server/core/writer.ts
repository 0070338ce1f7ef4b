import type { WebSocket } from 'ws';
import { Batcher, type EndOfTurn } from '../../src/wire/batcher';
import type { FrameCodec } from '../../src/wire/codec';
import type { Frame } from '../../src/wire/protocol';
import type { ResolvedServerOptions } from './options';
import type { Traffic } from './traffic';

/** A connection's frames of one turn go out after the socket's I/O callbacks: replies to a burst share a message. */
const afterIo: EndOfTurn = (run) => {
  const immediate = setImmediate(run);
  return () => clearImmediate(immediate);
};

/**
 * What one socket sends: frames encoded by its connection's codec, batched into one message per turn, and watched
 * for a client that stops reading. The connection decides what may be sent; this only sends it.
 */
export class SocketWriter {
  private readonly batcher: Batcher;

  /** @param overflow called when the socket's send buffer passes `maxBufferedBytes` (the client stopped reading). */
  constructor(
    ws: WebSocket,
    private readonly codec: FrameCodec,
    options: Pick<ResolvedServerOptions, 'clock' | 'limits' | 'maxBatchBytes' | 'maxBufferedBytes'>,
    overflow: () => void,
    private readonly traffic: Traffic,
  ) {
    const write = (message: ArrayBuffer): void => {
      ws.send(message);
      traffic.messageSent(message.byteLength);
      // A client that stops reading would otherwise make this buffer, and the server's memory, grow without bound.
      if (ws.bufferedAmount > options.maxBufferedBytes) overflow();
    };
    // The batch buffer starts small and doubles as a burst needs: an idle connection only ever sends PONGs (~20 bytes),
    // and a buffer of 1 KiB for each of 10,000 of them was 10 MiB of memory doing nothing.
    this.batcher = new Batcher(options.clock, options.limits.maxFrameBytes, options.maxBatchBytes, 0, write, { endOfTurn: afterIo, initialBytes: 64 });
  }

  /** Encodes `frame` and queues it for this turn's message. */
  send(frame: Frame): void {
    this.batcher.add(this.codec.encodeShared(frame));
    this.traffic.frameSent(frame[0]);
  }

  /** Queues a frame already encoded (a broadcast, a numbered RELIABLE); it is copied, so the caller may reuse it. */
  add(encoded: Uint8Array): void {
    this.batcher.add(encoded);
    this.traffic.encodedSent(encoded);
  }

  /** Sends what is queued now, as one message, instead of at the end of the turn. */
  flush(): void {
    this.batcher.flush();
  }

  /** The socket is gone: what is queued is dropped. */
  discard(): void {
    this.batcher.discard();
  }
}
