import WebSocket from 'ws';
import type { EventSource } from '../../server/core/events';
import { asError } from '../../src/errors';
import { FrameCodec } from '../../src/wire/codec';
import type { CodecLimits } from '../../src/wire/limits';
import { type Frame, type Hello, Op, opName, type Welcome } from '../../src/wire/protocol';

/** How a socket ended, as the client saw it. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** A frame with the given opcode. */
export type FrameOf<O extends Op> = Extract<Frame, readonly [O, ...unknown[]]>;

/** A received frame and the (0-based) index of the WebSocket message that carried it. */
export interface Received {
  frame: Frame;
  message: number;
}

interface Waiter {
  resolve: (frame: Frame) => void;
  reject: (error: Error) => void;
}

/**
 * A raw protocol peer for tests: a real `ws` client that sends frames through the real FrameCodec (or any bytes at
 * all), queues every frame it receives, and lets a test await the next frame or the close. It never answers
 * anything by itself, so a test controls the conversation frame by frame.
 */
export class ProtocolClient {
  readonly codec: FrameCodec;
  /** Every frame received so far, in order. */
  readonly received: Received[] = [];
  /** Bytes of every message received so far (what the server wrote to this socket). */
  receivedBytes = 0;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<CloseInfo>;
  private readonly queue: Frame[] = [];
  private readonly waiters: Waiter[] = [];
  private messages = 0;
  private closeInfo: CloseInfo | undefined;
  private failure: Error | undefined;

  private constructor(private readonly ws: WebSocket, limits: Partial<CodecLimits>) {
    this.codec = new FrameCodec(limits);
    ws.binaryType = 'arraybuffer';
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('error', (err) => this.fail(err));
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        const info = this.closeInfo;
        this.fail(new Error(`the socket closed (${info.code} "${info.reason}") before the frame arrived`));
        resolve(info);
      });
    });
  }

  /** Opens a socket to `url` (with `ws`'s `options`: a `ca` for `wss://`) and resolves once it is open. */
  static connect(url: string, limits: Partial<CodecLimits> = {}, options: WebSocket.ClientOptions = {}): Promise<ProtocolClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new ProtocolClient(ws, limits);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  /** Stops reading from the socket (a frozen or throttled client): what the server sends piles up on its side. */
  pause(): void {
    this.ws.pause();
  }

  /** Reads from the socket again after {@link pause}. */
  resume(): void {
    this.ws.resume();
  }

  /** Sends the frames as one binary message. */
  send(...frames: Frame[]): void {
    this.ws.send(this.codec.encode(...frames));
  }

  /** Sends anything at all as one message: bytes as binary, a string as text. */
  sendRaw(data: Uint8Array | ArrayBuffer | string): void {
    this.ws.send(data, { binary: typeof data !== 'string' });
  }

  /** Sends HELLO (v 1, channel `test`, overridden by `body`) and resolves with the WELCOME body. */
  async hello(body: Partial<Hello> = {}): Promise<Welcome> {
    this.send([Op.Hello, { v: 1, channel: 'test', ...body }]);
    return (await this.expect(Op.Welcome))[1];
  }

  /** The next frame received (queued or yet to come); rejects if the socket closes first. */
  next(): Promise<Frame> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The next frame, which must have opcode `op`; rejects naming what came instead. */
  async expect<O extends Op>(op: O): Promise<FrameOf<O>> {
    const frame = await this.next();
    if (frame[0] !== op) throw new Error(`expected ${opName(op)}, got ${opName(frame[0])} ${JSON.stringify(frame)}`);
    return frame as FrameOf<O>;
  }

  /** The next frame that `match` accepts; the frames before it are passed over (they stay in `received`). */
  async nextMatching(match: (frame: Frame) => boolean): Promise<Frame> {
    for (;;) {
      const frame = await this.next();
      if (match(frame)) return frame;
    }
  }

  /** Sends REQUEST `id` and resolves with the REPLY or FAIL that answers it (the next frame must be that answer). */
  async call(id: number, topic: string, payload: unknown): Promise<FrameOf<typeof Op.Reply> | FrameOf<typeof Op.Fail>> {
    this.send([Op.Request, id, topic, payload]);
    const frame = await this.next();
    if ((frame[0] === Op.Reply || frame[0] === Op.Fail) && frame[1] === id) return frame;
    throw new Error(`expected the answer to request ${id}, got ${JSON.stringify(frame)}`);
  }

  /** The BYE and the close that follows it: what a server sends when it ends a connection. */
  async expectBye(): Promise<{ bye: FrameOf<typeof Op.Bye>; close: CloseInfo }> {
    const bye = await this.expect(Op.Bye);
    return { bye, close: await this.closed };
  }

  /** WebSocket messages received so far. */
  get receivedMessages(): number {
    return this.messages;
  }

  /** Frames received and not yet taken by `next`. */
  get queued(): number {
    return this.queue.length;
  }

  get isClosed(): boolean {
    return this.closeInfo !== undefined;
  }

  /** Closes (a no-op once closed) and resolves when the socket is closed. */
  close(code = 1000, reason = ''): Promise<CloseInfo> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    else if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    return this.closed;
  }

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    const message = this.messages++;
    this.receivedBytes += isBinary ? (data as ArrayBuffer).byteLength : Buffer.byteLength(data.toString());
    let frames: Frame[];
    try {
      frames = this.codec.decode(isBinary ? (data as ArrayBuffer) : data.toString());
    } catch (err) {
      this.fail(asError(err));
      return;
    }
    for (const frame of frames) {
      this.received.push({ frame, message });
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(frame);
      else this.queue.push(frame);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}

/** Resolves with the next `name` event of a typed event source (the reference server's `events`). */
export function nextEvent<M extends object, K extends keyof M & string>(source: EventSource<M>, name: K): Promise<M[K]> {
  return new Promise((resolve) => source.once(name, resolve));
}
