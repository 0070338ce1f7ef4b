import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { type Clock, systemClock, type TimerHandle } from '../../src/time/clock';
import { Emitter } from '../../src/emitter';
import { type Direction, Link, type LinkHost, type MidFrameCut } from './fault-link';

export type { Direction, MidFrameCut } from './fault-link';

/*
 * A TCP proxy on 127.0.0.1 that a test puts between a client and a server and commands: pass, latency and jitter,
 * a bandwidth cap, a reset of every connection, a black hole (nothing forwarded either way, nothing closed: the
 * half-open link only a heartbeat finds), a cut in the middle of a WebSocket frame, and refusing new connections for
 * a while. Latency and bandwidth run on real time (they shape real sockets); a refusal window runs on the injected
 * clock, so a test on the manual clock can refuse for 30 simulated seconds.
 */

/** The faults a proxy injects, as counted in {@link FaultProxyStats.faults}. */
export type FaultKind = 'latency' | 'throttle' | 'reset' | 'blackhole' | 'midFrame' | 'refuse';
export const FAULT_KINDS: readonly FaultKind[] = ['latency', 'throttle', 'reset', 'blackhole', 'midFrame', 'refuse'];

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Where connections are forwarded: the server's port on 127.0.0.1. */
  targetPort: number;
  /** Runs refusal windows. Default the system clock. */
  clock: Clock;
  /** Random source in [0, 1) for the latency jitter. Default Math.random. */
  random: () => number;
}

/** Counters of a proxy's life. */
export interface FaultProxyStats {
  accepted: number;
  refused: number;
  live: number;
  /** Commands that injected a fault, by kind (a refusal window counts once, however many connections it refused). */
  faults: Record<FaultKind, number>;
  bytes: Record<Direction, number>;
  /** Bytes swallowed by a black hole or a cut. */
  discarded: number;
  /** WebSocket data frames seen, per direction. */
  frames: Record<Direction, number>;
}

interface ProxyEvents {
  connection: { live: number };
  refused: { refused: number };
  discarded: { bytes: number; total: number };
  cut: MidFrameCut;
}

interface Armed {
  direction: Direction | 'either';
  minPayload: number;
  resolve(cut: MidFrameCut | undefined): void;
}

/** A fault-injecting TCP proxy; build it with {@link startFaultProxy}. */
export class FaultProxy implements LinkHost {
  readonly shaping = { latencyMs: 0, jitterMs: 0, bytesPerSecond: 0 };
  private readonly events = new Emitter<ProxyEvents>();
  private readonly links = new Set<Link>();
  private readonly armed: Armed[] = [];
  private readonly counters: FaultProxyStats = {
    accepted: 0,
    refused: 0,
    live: 0,
    faults: { latency: 0, throttle: 0, reset: 0, blackhole: 0, midFrame: 0, refuse: 0 },
    bytes: { toServer: 0, toClient: 0 },
    discarded: 0,
    frames: { toServer: 0, toClient: 0 },
  };
  private blackholing = false;
  private refusing = false;
  private refuseTimer: TimerHandle | undefined;
  private targetPort: number;

  constructor(private readonly server: net.Server, private readonly options: FaultProxyOptions) {
    this.targetPort = options.targetPort;
    server.on('connection', (client) => this.accept(client));
  }

  /** The port the proxy listens on (127.0.0.1). */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `url` (a ws:// or wss:// URL to the target) rewritten to go through the proxy. */
  url(url: string): string {
    const parsed = new URL(url);
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Forwards to another port from now on (a server that came back elsewhere). */
  retarget(port: number): void {
    this.targetPort = port;
  }

  /** Listens to `connection`, `refused`, `discarded` or `cut`; returns the undo. */
  on<K extends keyof ProxyEvents & string>(event: K, listener: (context: ProxyEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Back to a clean link for new traffic: no latency, no cap, no black hole, no refusal. Dead links stay dead. */
  pass(): void {
    Object.assign(this.shaping, { latencyMs: 0, jitterMs: 0, bytesPerSecond: 0 });
    this.blackholing = false;
    this.stopRefusing();
  }

  /** Delays every chunk by `ms` plus a random `0..jitterMs`, never reordering. */
  latency(ms: number, jitterMs = 0): void {
    Object.assign(this.shaping, { latencyMs: ms, jitterMs });
    this.counters.faults.latency++;
  }

  /** Caps each direction of each connection at `bytesPerSecond` (0: no cap). */
  throttle(bytesPerSecond: number): void {
    this.shaping.bytesPerSecond = bytesPerSecond;
    if (bytesPerSecond > 0) this.counters.faults.throttle++;
  }

  /** Resets every live connection (both ends get a TCP RST); returns how many. */
  reset(): number {
    const links = [...this.links].filter((link) => !link.dead);
    for (const link of links) link.reset();
    this.counters.faults.reset++;
    return links.length;
  }

  /**
   * Stops forwarding on every live connection, both ways, without closing anything (bytes are swallowed), and holds
   * new connections the same way until `pass()`. Links black-holed stay so: their streams have lost bytes.
   */
  blackhole(): void {
    this.blackholing = true;
    for (const link of this.links) link.blackholed = true;
    this.counters.faults.blackhole++;
  }

  /**
   * Arms a cut: the next chunk going `direction` that carries a data frame with at least `minPayload` payload bytes
   * is forwarded only up to a point inside that frame, then the connection is dropped. Resolves with what was cut,
   * or undefined if the proxy closed first.
   */
  cutMidFrame(direction: Direction | 'either' = 'either', minPayload = 64): Promise<MidFrameCut | undefined> {
    return new Promise((resolve) => this.armed.push({ direction, minPayload, resolve }));
  }

  /** Refuses (resets at once) every new connection, for `forMs` on the proxy's clock, or until `pass()`. */
  refuse(forMs?: number): void {
    this.stopRefusing();
    this.refusing = true;
    this.counters.faults.refuse++;
    if (forMs !== undefined) {
      this.refuseTimer = this.options.clock.setTimeout(() => {
        this.refuseTimer = undefined;
        this.refusing = false;
      }, forMs);
    }
  }

  get refusingNow(): boolean {
    return this.refusing;
  }

  stats(): FaultProxyStats {
    return { ...this.counters, live: this.links.size, faults: { ...this.counters.faults }, bytes: { ...this.counters.bytes }, frames: { ...this.counters.frames } };
  }

  /** Stops listening and destroys every connection; resolves once the listener is closed. */
  close(): Promise<void> {
    this.stopRefusing();
    for (const armed of this.armed.splice(0)) armed.resolve(undefined);
    for (const link of this.links) {
      link.dead = true;
      for (const pipe of Object.values(link.pipes)) pipe.clear();
      for (const socket of link.sockets()) socket.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  // --- for links and pipes ----------------------------------------------------------------------------------------

  counted(direction: Direction, bytes: number): void {
    this.counters.bytes[direction] += bytes;
  }

  discard(bytes: number): void {
    this.counters.discarded += bytes;
    this.events.emit('discarded', { bytes, total: this.counters.discarded });
  }

  jitter(jitterMs: number): number {
    return jitterMs > 0 ? this.options.random() * jitterMs : 0;
  }

  /** Where to cut this chunk (see {@link WsFrameScanner.scan}), if a cut is armed for its direction; else -1. */
  cutPoint(link: Link, direction: Direction, data: Buffer): number {
    const scanner = link.scanners[direction];
    const before = scanner.dataFrames;
    const index = this.armed.findIndex((a) => a.direction === 'either' || a.direction === direction);
    const at = scanner.scan(data, index >= 0 ? (this.armed[index] as Armed).minPayload : Infinity);
    this.counters.frames[direction] += scanner.dataFrames - before;
    return index >= 0 ? at : -1;
  }

  reportCut(cut: MidFrameCut): void {
    const index = this.armed.findIndex((a) => a.direction === 'either' || a.direction === cut.direction);
    const [armed] = this.armed.splice(index, 1);
    this.counters.faults.midFrame++;
    this.events.emit('cut', cut);
    armed?.resolve(cut);
  }

  private stopRefusing(): void {
    if (this.refuseTimer !== undefined) this.options.clock.clearTimeout(this.refuseTimer);
    this.refuseTimer = undefined;
    this.refusing = false;
  }

  private accept(client: net.Socket): void {
    client.on('error', () => undefined);
    if (this.refusing) {
      this.counters.refused++;
      client.resetAndDestroy();
      this.events.emit('refused', { refused: this.counters.refused });
      return;
    }
    this.counters.accepted++;
    if (this.blackholing) {
      // Accepted by the kernel, then silence: a handshake into a black hole hangs until the client's timeout.
      const link = new Link(client, undefined, this);
      link.blackholed = true;
      this.track(link);
      client.on('data', (chunk: Buffer) => this.discard(chunk.length));
      client.resume();
      return;
    }
    const server = net.connect({ host: '127.0.0.1', port: this.targetPort, noDelay: true, allowHalfOpen: true });
    server.on('error', () => undefined);
    client.setNoDelay(true);
    const link = new Link(client, server, this);
    this.track(link);
    server.once('connect', () => client.resume());
    // A reset on one side (or an upstream that refuses: a server down) is passed on as a reset; a FIN as a FIN, once
    // the bytes before it went through. A black-holed link passes on nothing: its other end stays half-open.
    const resetOther = (other: net.Socket) => (hadError: boolean) => {
      if (!hadError || link.dead || link.blackholed) return;
      link.dead = true;
      link.pipes.toServer.clear();
      link.pipes.toClient.clear();
      other.resetAndDestroy();
    };
    server.once('close', resetOther(client));
    client.once('close', resetOther(server));
    client.on('data', (chunk: Buffer) => link.pipes.toServer.push(chunk));
    server.on('data', (chunk: Buffer) => link.pipes.toClient.push(chunk));
    client.on('end', () => link.pipes.toServer.push(null));
    server.on('end', () => link.pipes.toClient.push(null));
  }

  private track(link: Link): void {
    this.links.add(link);
    const forget = () => {
      if (link.sockets().every((s) => s.destroyed)) this.links.delete(link);
    };
    for (const socket of link.sockets()) socket.on('close', forget);
    this.events.emit('connection', { live: this.links.size });
  }
}

/** Starts a {@link FaultProxy} on an ephemeral port of 127.0.0.1, forwarding to `targetPort`. */
export async function startFaultProxy(options: Readonly<Partial<FaultProxyOptions>> & { targetPort: number }): Promise<FaultProxy> {
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
  const proxy = new FaultProxy(server, { clock: systemClock, random: Math.random, ...options });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return proxy;
}
