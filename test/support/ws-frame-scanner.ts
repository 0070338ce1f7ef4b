/**
 * Follows the WebSocket framing (RFC 6455) of one direction of a TCP stream, so the fault proxy can cut a connection
 * strictly inside a data frame's payload (never at a frame boundary, where a cut would be an ordinary close) and count
 * frames. The stream starts with the HTTP upgrade, which is skipped up to its blank line.
 */
export class WsFrameScanner {
  private inHttp = true;
  /** Last bytes of the HTTP head seen so far, to find `\r\n\r\n` across chunks. */
  private httpTail = '';
  private readonly header: number[] = [];
  private headerNeed = 2;
  private opcode = 0;
  private payloadLeft = 0;
  private payloadDone = 0;
  /** Frames whose header has been read. */
  frames = 0;
  /** Data frames (text, binary, continuation) whose header has been read. */
  dataFrames = 0;

  /**
   * Reads `chunk` and returns how many of its bytes to forward so that the cut falls inside a data frame's payload,
   * with at least one payload byte before and one after the cut; -1 when no such point lies within this chunk.
   * `minPayload` skips frames smaller than that (ACKs and PINGs, say).
   */
  scan(chunk: Uint8Array, minPayload = 2): number {
    let cut = -1;
    let i = 0;
    while (i < chunk.length) {
      if (this.inHttp) {
        i = this.skipHttp(chunk, i);
        continue;
      }
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, chunk.length - i);
        const total = this.payloadDone + this.payloadLeft;
        if (cut < 0 && this.opcode < 8 && total >= Math.max(2, minPayload)) {
          // Forward k payload bytes of this chunk: at least one payload byte must precede the cut, one must follow.
          const low = Math.max(1 - this.payloadDone, 0);
          const high = Math.min(n, this.payloadLeft - 1);
          if (low <= high) cut = i + Math.floor((low + high + 1) / 2);
        }
        this.payloadLeft -= n;
        this.payloadDone += n;
        i += n;
        continue;
      }
      this.header.push(chunk[i++] as number);
      if (this.header.length === 2) {
        const len7 = (this.header[1] as number) & 0x7f;
        const masked = ((this.header[1] as number) & 0x80) !== 0;
        this.headerNeed = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
      }
      if (this.header.length >= 2 && this.header.length === this.headerNeed) this.startPayload();
    }
    return cut;
  }

  private skipHttp(chunk: Uint8Array, from: number): number {
    for (let i = from; i < chunk.length; i++) {
      this.httpTail = (this.httpTail + String.fromCharCode(chunk[i] as number)).slice(-4);
      if (this.httpTail === '\r\n\r\n') {
        this.inHttp = false;
        return i + 1;
      }
    }
    return chunk.length;
  }

  private startPayload(): void {
    const h = this.header;
    const len7 = (h[1] as number) & 0x7f;
    let length = len7;
    if (len7 === 126) length = ((h[2] as number) << 8) | (h[3] as number);
    if (len7 === 127) {
      length = 0;
      for (let b = 2; b < 10; b++) length = length * 256 + (h[b] as number);
    }
    this.opcode = (h[0] as number) & 0x0f;
    this.frames++;
    if (this.opcode < 8) this.dataFrames++;
    this.payloadLeft = length;
    this.payloadDone = 0;
    this.header.length = 0;
    this.headerNeed = 2;
  }
}
