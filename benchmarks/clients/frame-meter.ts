/*
 * A TCP proxy on 127.0.0.1 that counts the bytes of every WebSocket connection through it, both ways, and parses the
 * WebSocket frames (RFC 6455 headers) so a caller can wait for a number of frames. What it counts is what crosses the
 * wire after the HTTP upgrade: frame headers, masking keys and payloads. Plain HTTP connections through it (Colyseus's
 * matchmaking request) are forwarded but not counted.
 */
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

/** Bytes and frames one way. */
interface Flow {
  bytes: number;
  frames: number;
  /** The size of every frame so far (header, masking key and payload), in order. */
  readonly sizes: number[];
}

/** A running meter: `url` is the target's url with the proxy's port. */
export interface FrameMeter {
  readonly url: string;
  /** Client to server. */
  readonly up: Flow;
  /** Server to client. */
  readonly down: Flow;
  /** Resolves once `count` more frames (either way) have crossed. */
  framesAfter(count: number): Promise<void>;
  close(): Promise<void>;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** Parses one direction of a WebSocket connection: the HTTP head, then frames; calls `frame` with each frame's size. */
function frameReader(frame: (bytes: number) => void): (chunk: Buffer) => number {
  let head: Buffer = Buffer.alloc(0);
  let inHead = true;
  let pending: Buffer = Buffer.alloc(0);
  let remaining = 0; // bytes of the current frame still to come
  return (chunk) => {
    let data = chunk;
    let counted = 0;
    if (inHead) {
      head = Buffer.concat([head, data]);
      const end = head.indexOf(HEADER_END);
      if (end < 0) return 0;
      inHead = false;
      data = head.subarray(end + HEADER_END.length);
    }
    counted += data.length;
    while (data.length > 0) {
      if (remaining > 0) {
        const take = Math.min(remaining, data.length);
        remaining -= take;
        data = data.subarray(take);
        continue;
      }
      pending = pending.length > 0 ? Buffer.concat([pending, data]) : data;
      data = Buffer.alloc(0);
      if (pending.length < 2) break;
      const masked = ((pending[1] as number) & 0x80) !== 0;
      const short = (pending[1] as number) & 0x7f;
      const extra = short === 126 ? 2 : short === 127 ? 8 : 0;
      const headerLength = 2 + extra + (masked ? 4 : 0);
      if (pending.length < headerLength) break;
      const payload = short === 126 ? pending.readUInt16BE(2) : short === 127 ? Number(pending.readBigUInt64BE(2)) : short;
      frame(headerLength + payload);
      remaining = headerLength + payload;
      data = pending;
      pending = Buffer.alloc(0);
    }
    return counted;
  };
}

/** Starts a meter in front of `target` (a ws:// or http:// url on this machine). */
export function startFrameMeter(target: string): Promise<FrameMeter> {
  const url = new URL(target);
  const up: Flow = { bytes: 0, frames: 0, sizes: [] };
  const down: Flow = { bytes: 0, frames: 0, sizes: [] };
  const waiters: { at: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const onFrame = (flow: Flow) => (bytes: number): void => {
    flow.frames++;
    flow.sizes.push(bytes);
    const total = up.frames + down.frames;
    for (const waiter of waiters.filter((w) => total >= w.at)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const server = createServer((client) => {
    const upstream = createConnection({ host: url.hostname, port: Number(url.port) });
    sockets.add(client).add(upstream);
    const readUp = frameReader(onFrame(up));
    const readDown = frameReader(onFrame(down));
    let websocket: boolean | undefined;
    client.on('data', (chunk: Buffer) => {
      // A connection is a WebSocket when its request asks for the upgrade; only those are counted.
      websocket ??= /^upgrade: *websocket/im.test(chunk.toString('latin1'));
      if (websocket) up.bytes += readUp(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (websocket === true) down.bytes += readDown(chunk);
      client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: `${url.protocol}//127.0.0.1:${port}${url.pathname === '/' ? '' : url.pathname}`,
        up,
        down,
        framesAfter: (count) => new Promise((done) => waiters.push({ at: up.frames + down.frames + count, resolve: done })),
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
