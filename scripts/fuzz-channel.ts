/*
 * The client fuzz target: a hostile server on a real socket sends each input to a runtime Channel, either on an open
 * connection (followed by a probe PUSH) or instead of WELCOME. What the codec refuses must come out as exactly one
 * `error` event with that ProtocolError and no delivery; on an open connection the stream goes on (the probe arrives,
 * no reconnect), during the handshake the attempt fails and the channel reconnects. Whatever a valid-but-hostile frame
 * does (a gap, a BYE), the channel must end up open again (or closed for good after a terminal BYE) and never throw.
 */
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { Channel } from '../src/channel/channel';
import { FrameCodec } from '../src/wire/codec';
import { MultisocketError, ProtocolError } from '../src/errors';
import { Op } from '../src/wire/protocol';
import { webSocketTransport } from '../src/transport/websocket';
import { judge, sentFrames } from './fuzz-decoder';
import { FUZZ_LIMITS, type FuzzInput, type FuzzSource } from './fuzz-inputs';
import { type FuzzReport, Tally } from './fuzz-tally';

/** Options of {@link fuzzChannel}. */
export interface ChannelFuzzOptions {
  /** Longest wait for the channel's answer to one input, ms. Default 10,000. */
  inputTimeoutMs: number;
  /** Every n-th input is sent instead of WELCOME (prime to the number of kinds, so that every kind gets its turn). Default 7. */
  handshakeEvery: number;
}

/** A `ws` server that plays a reference server only as far as the fuzz needs: WELCOME every HELLO, or an input. */
class HostileServer {
  /** The server side of the socket the channel last said HELLO on. */
  current: WebSocket | undefined;
  /** Sent instead of WELCOME at the next HELLO. */
  pending: Uint8Array | string | undefined;
  onPendingSent: () => void = () => undefined;
  private sessions = 0;
  private readonly codec = new FrameCodec(FUZZ_LIMITS);

  private constructor(private readonly wss: WebSocketServer, readonly url: string, private readonly invalid: (what: string) => void) {
    wss.on('connection', (ws) => {
      ws.on('error', () => undefined);
      ws.on('message', (data, isBinary) => this.receive(ws, data as Buffer, isBinary));
    });
  }

  static async start(invalid: (what: string) => void): Promise<HostileServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    return new HostileServer(wss, `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, invalid);
  }

  close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private receive(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    const frames = sentFrames('channel', this.codec, data, isBinary, this.invalid);
    if (frames?.[0]?.[0] !== Op.Hello) return;
    this.current = ws;
    const pending = this.pending;
    if (pending !== undefined) {
      this.pending = undefined;
      this.onPendingSent();
      ws.send(pending, { binary: typeof pending !== 'string' });
      return;
    }
    const welcome = { v: 1, session: `s${++this.sessions}`, heartbeatMs: 60_000, time: Date.now(), resumed: false, recv: 0 };
    ws.send(this.codec.encode([Op.Welcome, welcome]));
  }
}

/** Re-checks waiting conditions whenever something happens; each wait is bounded. */
class Conditions {
  private readonly waiting = new Set<() => void>();

  poke(): void {
    for (const check of [...this.waiting]) check();
  }

  until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!condition()) return;
        this.waiting.delete(check);
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiting.delete(check);
        resolve(false);
      }, timeoutMs);
      this.waiting.add(check);
    });
  }
}

/** Sends inputs `from` to `from + count - 1` from a hostile server to one Channel (a new one after a terminal BYE). */
export async function fuzzChannel(source: FuzzSource, from: number, count: number, options: Readonly<Partial<ChannelFuzzOptions>> = {}): Promise<FuzzReport> {
  const { inputTimeoutMs, handshakeEvery } = { inputTimeoutMs: 10_000, handshakeEvery: 7, ...options };
  const tally = new Tally('client channel');
  let input: FuzzInput | undefined;
  const server = await HostileServer.start((what) => tally.violation(input, what));
  const local = new FrameCodec(FUZZ_LIMITS);
  const conditions = new Conditions();
  let errors: unknown[] = [];
  let deliveries = 0;
  let lastProbe = -1;
  let opens = 0;
  let protocolErrorEvents = 0;
  let countedProtocolErrors = 0;

  const makeChannel = (): Channel => {
    const made = new Channel('fuzz', {
      url: server.url,
      transport: webSocketTransport(WebSocket),
      limits: FUZZ_LIMITS,
      random: () => 0,
      reconnect: { baseMs: 1, maxMs: 1 },
      heartbeat: { intervalMs: 3_600_000, timeoutMs: 60_000 },
    });
    made.on('error', (error) => {
      errors.push(error);
      if (error instanceof ProtocolError && error.code !== 'peer_rejected') protocolErrorEvents++;
      conditions.poke();
    });
    made.on('state', () => conditions.poke());
    made.on('open', () => {
      opens++;
      conditions.poke();
    });
    made.subscribe('#', (payload, meta) => {
      if (meta.topic === 'probe') lastProbe = payload as number;
      else deliveries++;
      conditions.poke();
    });
    made.connect();
    return made;
  };
  let channel = makeChannel();
  const retire = async (): Promise<void> => {
    countedProtocolErrors += channel.stats().protocolErrors;
    const old = channel;
    old.close();
    await conditions.until(() => old.state === 'closed', inputTimeoutMs);
    channel = makeChannel();
  };
  const settled = async (): Promise<boolean> => {
    if (!(await conditions.until(() => channel.state === 'open' || channel.state === 'closed', inputTimeoutMs))) return false;
    if (channel.state === 'closed') {
      tally.count('closed for good by a terminal BYE');
      await retire();
      return conditions.until(() => channel.state === 'open', inputTimeoutMs);
    }
    return true;
  };

  for (let index = from; index < from + count; index++) {
    input = source(index);
    if (!(await settled()) || !server.current) {
      tally.violation(input, `the channel did not open again (state ${channel.state})`);
      await retire();
      continue;
    }
    const expected = judge(local, input.data).outcome;
    const refused = expected !== 'accepted';
    const started = performance.now();
    errors = [];
    deliveries = 0;
    const duringHandshake = index % handshakeEvery === 0;
    let ok: boolean;
    let reconnected: boolean;
    if (duringHandshake) {
      let sent = false;
      let opensBefore = 0;
      server.pending = input.data;
      server.onPendingSent = () => {
        sent = true;
        errors = [];
        deliveries = 0;
        opensBefore = opens;
      };
      server.current.terminate();
      ok = await conditions.until(() => sent && (channel.state === 'closed' || opens > opensBefore), inputTimeoutMs);
      reconnected = true;
    } else {
      const before = channel.stats().reconnects;
      const data = input.data;
      server.current.send(data, { binary: typeof data !== 'string' });
      server.current.send(local.encode([Op.Push, 'probe', index]));
      ok = await conditions.until(() => lastProbe === index || channel.state !== 'open', inputTimeoutMs);
      reconnected = channel.state !== 'open' || channel.stats().reconnects !== before;
    }
    const ms = performance.now() - started;
    if (!ok) {
      tally.record(input, 'hang', ms);
      tally.violation(input, `no answer within ${inputTimeoutMs} ms (state ${channel.state})`);
      server.pending = undefined;
      await retire();
      continue;
    }
    const stray = errors.filter((e) => !(e instanceof MultisocketError));
    if (stray.length > 0) tally.violation(input, `an error event that is not a MultisocketError: ${String(stray[0])}`);
    if (refused) {
      const first = errors[0];
      const code = first instanceof ProtocolError ? first.code : undefined;
      if (errors.length !== 1 || code !== expected) {
        tally.violation(input, `expected one ProtocolError ${expected}, got ${errors.map((e) => (e instanceof MultisocketError ? e.code : String(e))).join(', ') || 'none'}`);
      }
      if (deliveries > 0) tally.violation(input, `${deliveries} frames of a refused message were delivered`);
      if (!duringHandshake && reconnected) tally.violation(input, 'a refused message on an open connection made the channel reconnect');
      tally.record(input, `${expected}${duringHandshake ? ' (handshake, reconnected)' : ''}`, ms);
    } else {
      tally.record(input, `accepted${duringHandshake ? ' (handshake)' : reconnected ? ', then reconnected' : ''}`, ms);
    }
  }
  countedProtocolErrors += channel.stats().protocolErrors;
  tally.count('protocol errors emitted', protocolErrorEvents);
  tally.count('protocol errors in stats()', countedProtocolErrors);
  tally.count('opens', opens);
  channel.close();
  await conditions.until(() => channel.state === 'closed', inputTimeoutMs);
  await server.close();
  return tally.report();
}
