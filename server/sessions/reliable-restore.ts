/*
 * Refilling a session's reliable buffers from a session store, when a session moves to another process. Only the
 * server does this, so it lives here rather than in src/, which every mini-game downloads.
 */
import { ReliableReceiver, ReliableSender } from '../../src/reliable/reliable';

/** A {@link ReliableSender} that can be refilled from a session store. */
export class RestorableSender extends ReliableSender {
  /**
   * Refills an empty sender: `acknowledged` is the last seq the peer acknowledged, `nextSeq` the seq the next message
   * gets, `frames` the kept encoded frames in seq order, each above `acknowledged` and below `nextSeq`. The topic is
   * not stored: restored messages carry only the frame.
   * @throws {RangeError} when the sender is not empty or the frames do not fit those bounds in order.
   */
  restore(acknowledged: number, nextSeq: number, frames: readonly { readonly seq: number; readonly frame: Uint8Array }[]): void {
    if (this.next !== 1 || this.unacked !== 0) throw new RangeError('restore() needs an empty sender');
    let last = acknowledged;
    for (const { seq } of frames) {
      if (!Number.isSafeInteger(seq) || seq <= last || seq >= nextSeq) throw new RangeError(`restored frame seq ${seq} is out of order or bounds`);
      last = seq;
    }
    this.released = acknowledged;
    this.next = nextSeq;
    for (const { seq, frame } of frames) {
      this.queue.push({ seq, topic: '', frame });
      this.bytes += frame.byteLength;
    }
  }
}

/** A {@link ReliableReceiver} whose `recv` can be set from a session store. */
export class RestorableReceiver extends ReliableReceiver {
  /** Sets `recv` as restored. */
  restore(recv: number): void {
    this.delivered = recv;
    this.acked = recv;
  }
}
