/*
 * The live-server fuzz target: each hostile input goes over a real socket to a reference server (with the chat and
 * game modules installed), either as a welcomed client's next message or as a new socket's first message, followed by
 * a PING. The server must answer the PING (it accepted the input) or send BYE and close (it refused it): never crash,
 * never hang, never report an internal error, never send an invalid frame, and always 4400 for what the codec refuses.
 */
import WebSocket from 'ws';
import { createServer, installChat, installGame, type ServerOptions } from '../server';
import { FrameCodec } from '../src/wire/codec';
import { CloseCode } from '../src/codes';
import { Op } from '../src/wire/protocol';
import { judge, sentFrames } from './fuzz-decoder';
import { FUZZ_LIMITS, FUZZ_MAX_PAYLOAD, type FuzzInput, type FuzzSource } from './fuzz-inputs';
import { type FuzzReport, Tally } from './fuzz-tally';

/** Options of the live fuzz targets. */
export interface LiveFuzzOptions {
  /** Sockets working at once. Default 8. */
  concurrency: number;
  /** Longest wait for the answer to one input before it counts as a hang, ms. Default 10,000. */
  inputTimeoutMs: number;
  /**
   * Every n-th input is sent as a new socket's first message (before HELLO) instead of a welcomed one's; prime to the
   * number of kinds, so that every kind gets its turn. Default 8.
   */
  preHelloEvery: number;
}

const DEFAULTS: LiveFuzzOptions = { concurrency: 8, inputTimeoutMs: 10_000, preHelloEvery: 8 };

/** What became of an input on the server: it answered the PING, or it ended the socket. */
type Answer = { alive: true } | { alive: false; code: number; bye: number | undefined } | { hang: true };

/** A bare protocol client: decodes what the server sends (it must all be valid) and answers nothing by itself. */
class RawClient {
  private bye: number | undefined;
  private waiting: ((answer: Answer) => void) | undefined;
  private marker = -1;
  private closeCode: number | undefined;
  readonly closed: Promise<number>;
  private readonly codec = new FrameCodec(FUZZ_LIMITS);

  private constructor(private readonly ws: WebSocket, private readonly invalid: (what: string) => void) {
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary));
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        this.waiting?.({ alive: false, code, bye: this.bye });
        this.waiting = undefined;
        resolve(code);
      }),
    );
  }

  static open(url: string, invalid: (what: string) => void): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const client = new RawClient(ws, invalid);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Sends `data`, then a PING, and resolves with what the server made of `data`. */
  exchange(data: Uint8Array | ArrayBuffer | string, marker: number, timeoutMs: number): Promise<Answer> {
    return new Promise((resolve) => {
      if (this.closeCode !== undefined) {
        resolve({ alive: false, code: this.closeCode, bye: this.bye });
        return;
      }
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve({ hang: true });
      }, timeoutMs);
      this.marker = marker;
      this.waiting = (answer) => {
        clearTimeout(timer);
        resolve(answer);
      };
      this.ws.send(data, { binary: typeof data !== 'string' });
      this.ws.send(this.codec.encode([Op.Ping, marker]));
    });
  }

  /** Sends HELLO and waits for WELCOME (the PING after it proves the socket is live). */
  async hello(timeoutMs: number): Promise<boolean> {
    const answer = await this.exchange(this.codec.encode([Op.Hello, { v: 1, channel: 'fuzz' }]), 0, timeoutMs);
    return 'alive' in answer && answer.alive;
  }

  close(): Promise<number> {
    if (this.closeCode === undefined) this.ws.close(1000);
    return this.closed;
  }

  terminate(): void {
    this.ws.terminate();
  }

  private receive(data: Buffer, isBinary: boolean): void {
    const frames = sentFrames('server', this.codec, data, isBinary, this.invalid);
    if (!frames) return;
    for (const frame of frames) {
      if (frame[0] === Op.Bye) this.bye = frame[1];
      else if (frame[0] === Op.Pong && frame[1] === this.marker && this.waiting) {
        const waiting = this.waiting;
        this.waiting = undefined;
        waiting({ alive: true });
      }
    }
  }
}

/**
 * Sends inputs `from` to `from + count - 1` to a live reference server, `concurrency` sockets at a time. A socket that
 * survives an input carries the next one; one the server closed is replaced.
 */
export async function fuzzServer(
  source: FuzzSource,
  from: number,
  count: number,
  options: Readonly<Partial<LiveFuzzOptions>> = {},
  serverOptions: Readonly<Partial<ServerOptions>> = {},
): Promise<FuzzReport> {
  const { concurrency, inputTimeoutMs, preHelloEvery } = { ...DEFAULTS, ...options };
  const tally = new Tally('live server');
  const server = createServer({ port: 0, limits: FUZZ_LIMITS, maxPayload: FUZZ_MAX_PAYLOAD, resumeWindowMs: 0, ...serverOptions });
  installChat(server);
  installGame(server);
  server.handle('echo', (payload) => payload);
  server.on('t', () => undefined);
  server.events.on('error', ({ error }) => tally.violation(undefined, `server error event: ${error.name}: ${error.message}`));
  let reported = 0;
  let refused = 0;
  server.events.on('protocolError', ({ error, closeCode }) => {
    reported++;
    tally.count(`server protocolError ${error.code} (close ${closeCode})`);
  });
  const { url } = await server.listen();
  const local = new FrameCodec(FUZZ_LIMITS);
  let next = from;
  const end = from + count;

  const worker = async (): Promise<void> => {
    let welcomed: RawClient | undefined;
    while (next < end) {
      const input = source(next++);
      const first = input.index % preHelloEvery === 0;
      let client: RawClient;
      try {
        if (first || !welcomed) {
          client = await RawClient.open(url, (what) => tally.violation(input, what));
          if (!first) {
            if (!(await client.hello(inputTimeoutMs))) throw new Error('no WELCOME for a plain HELLO');
            welcomed = client;
          }
        } else {
          client = welcomed;
        }
      } catch (err) {
        tally.violation(input, `could not open a socket: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      const started = performance.now();
      const answer = await client.exchange(input.data, input.index + 1, inputTimeoutMs);
      const ms = performance.now() - started;
      const expected = judge(local, input.data).outcome;
      if ('hang' in answer) {
        tally.record(input, 'hang', ms);
        tally.violation(input, `no answer within ${inputTimeoutMs} ms`);
        client.terminate();
        if (client === welcomed) welcomed = undefined;
        continue;
      }
      tally.record(input, answer.alive ? 'alive' : `close ${answer.code}`, ms);
      if (!answer.alive) refused++;
      checkAnswer(tally, input, expected, answer);
      if (!answer.alive && client === welcomed) welcomed = undefined;
      if (first) await client.close();
    }
    await welcomed?.close();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await server.close();
  tally.count('server connections left', server.connections.size);
  tally.count('server sessions left', server.sessions.size);
  if (server.connections.size > 0 || server.sessions.size > 0) tally.violation(undefined, 'the server kept connections or sessions');
  // Every socket the server closed on a client's input was reported once, with its reason (nothing silent).
  if (reported !== refused) tally.violation(undefined, `${refused} sockets closed on their input, ${reported} protocolError events`);
  return tally.report();
}

function checkAnswer(tally: Tally, input: FuzzInput, expected: string, answer: Answer): void {
  if ('hang' in answer) return;
  const size = typeof input.data === 'string' ? Buffer.byteLength(input.data) : input.data.byteLength;
  if (answer.alive) {
    if (expected !== 'accepted') tally.violation(input, `the server kept a socket that sent what the codec refuses (${expected})`);
    return;
  }
  if (size > FUZZ_MAX_PAYLOAD) {
    // Refused by ws itself, before the protocol layer: there is no room for a BYE.
    if (answer.code !== 1009) tally.violation(input, `a message over maxPayload closed with ${answer.code}, not 1009`);
    return;
  }
  if (expected !== 'accepted' && answer.code !== CloseCode.ProtocolError) {
    tally.violation(input, `refused by the codec (${expected}) but closed with ${answer.code}`);
  }
  if (answer.code !== CloseCode.ProtocolError && answer.code !== CloseCode.UnsupportedVersion) {
    tally.violation(input, `closed with ${answer.code}: only 4400 and 4103 may answer a client's input`);
  }
  if (answer.bye !== answer.code) tally.violation(input, `BYE ${String(answer.bye)} does not match the close ${answer.code}`);
}
