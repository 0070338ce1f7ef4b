import type net from 'node:net';
import { WsFrameScanner } from './ws-frame-scanner';

/*
 * One connection through the fault proxy: the client's socket, its upstream, and a pipe each way that shapes (latency,
 * bandwidth), swallows (black hole, dead link) or cuts (mid-frame) what passes. The proxy decides; a link carries out.
 */

/** Which way bytes travel through the proxy. */
export type Direction = 'toServer' | 'toClient';

/** What a mid-frame cut did. */
export interface MidFrameCut {
  direction: Direction;
  /** Bytes of the chunk that carried the cut which were forwarded before it. */
  forwarded: number;
  /** Bytes of that chunk thrown away. */
  discarded: number;
}

/** What a link needs from the proxy that owns it. */
export interface LinkHost {
  /** Current latency, jitter and bandwidth cap (0: none), read for every chunk. */
  readonly shaping: Readonly<{ latencyMs: number; jitterMs: number; bytesPerSecond: number }>;
  counted(direction: Direction, bytes: number): void;
  discard(bytes: number): void;
  jitter(jitterMs: number): number;
  /** Where to cut this chunk if a cut is armed for its direction, else -1 (see {@link WsFrameScanner.scan}). */
  cutPoint(link: Link, direction: Direction, data: Buffer): number;
  reportCut(cut: MidFrameCut): void;
}

/** One accepted client connection and its upstream. */
export class Link {
  readonly scanners: Record<Direction, WsFrameScanner> = { toServer: new WsFrameScanner(), toClient: new WsFrameScanner() };
  readonly pipes: Record<Direction, Pipe>;
  blackholed = false;
  dead = false;

  constructor(readonly client: net.Socket, readonly server: net.Socket | undefined, proxy: LinkHost) {
    this.pipes = {
      toServer: new Pipe(this, 'toServer', client, server, proxy),
      toClient: new Pipe(this, 'toClient', server, client, proxy),
    };
  }

  sockets(): net.Socket[] {
    return this.server ? [this.client, this.server] : [this.client];
  }

  /** Both ends see a TCP reset. */
  reset(): void {
    this.dead = true;
    for (const pipe of Object.values(this.pipes)) pipe.clear();
    for (const socket of this.sockets()) if (!socket.destroyed) socket.resetAndDestroy();
  }
}

/** One direction of a link: chunks wait here for their latency and bandwidth slot, in order. */
class Pipe {
  private readonly queue: { data: Buffer | null; at: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastAt = 0;
  private busyUntil = 0;
  private queuedBytes = 0;
  private draining = false;

  constructor(
    private readonly link: Link,
    private readonly direction: Direction,
    private readonly from: net.Socket | undefined,
    private readonly to: net.Socket | undefined,
    private readonly proxy: LinkHost,
  ) {}

  /** A chunk read from `from`; `null` is its end of stream. */
  push(data: Buffer | null): void {
    if (this.link.dead || this.link.blackholed || !this.to) {
      if (data) this.proxy.discard(data.length);
      return;
    }
    if (data) {
      this.proxy.counted(this.direction, data.length);
      const cut = this.proxy.cutPoint(this.link, this.direction, data);
      if (cut >= 0) return this.cutAt(data, cut);
    }
    const now = Date.now();
    const { latencyMs, jitterMs, bytesPerSecond } = this.proxy.shaping;
    const txMs = data && bytesPerSecond > 0 ? (data.length * 1000) / bytesPerSecond : 0;
    this.busyUntil = Math.max(now, this.busyUntil) + txMs;
    // TCP never reorders: a chunk never overtakes the one before it, whatever its jitter.
    const at = Math.max(this.busyUntil + latencyMs + this.proxy.jitter(jitterMs), this.lastAt);
    this.lastAt = at;
    if (at <= now && this.queue.length === 0) return this.write(data);
    this.queue.push({ data, at });
    this.queuedBytes += data?.length ?? 0;
    // Backpressure: a slow link must not buffer the whole stream in memory.
    if (this.queuedBytes > 1 << 20) this.from?.pause();
    this.arm();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private arm(): void {
    if (this.timer || this.queue.length === 0) return;
    const head = this.queue[0] as { at: number };
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      while (this.queue.length > 0 && (this.queue[0] as { at: number }).at <= now) {
        const { data } = this.queue.shift() as { data: Buffer | null };
        this.queuedBytes -= data?.length ?? 0;
        if (this.link.dead || this.link.blackholed) continue;
        this.write(data);
      }
      if (this.queuedBytes <= 1 << 19) this.from?.resume();
      this.arm();
    }, Math.max(0, head.at - Date.now()));
  }

  private write(data: Buffer | null): void {
    const to = this.to as net.Socket;
    if (to.destroyed) return;
    if (data === null) {
      to.end();
      return;
    }
    if (!to.write(data) && !this.draining) {
      this.draining = true;
      this.from?.pause();
      to.once('drain', () => {
        this.draining = false;
        this.from?.resume();
      });
    }
  }

  /** Forwards the head of the chunk, then ends that side with a FIN (so the partial frame does arrive) and resets the other. */
  private cutAt(data: Buffer, at: number): void {
    const to = this.to as net.Socket;
    this.link.dead = true;
    this.link.pipes.toServer.clear();
    this.link.pipes.toClient.clear();
    this.proxy.discard(data.length - at);
    to.end(data.subarray(0, at));
    this.from?.resetAndDestroy();
    this.proxy.reportCut({ direction: this.direction, forwarded: at, discarded: data.length - at });
  }
}
