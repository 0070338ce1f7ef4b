import type { IncomingMessage } from 'node:http';
import { inspect } from 'node:util';
import type { WebSocket } from 'ws';
import type { Clock } from '../../src/time/clock';
import { UsageErrorCode } from '../../src/codes';
import { UsageError } from '../../src/errors';
import { FrameCodec } from '../../src/wire/codec';
import type { CodecLimits } from '../../src/wire/limits';
import { AddressLimiter } from './abuse';
import { type CloseOptions, closeServer } from './closing';
import { Connection } from './connection';
import type { ConnectionHost } from './host';
import { Delivery } from './delivery';
import { ServerError, ServerErrorCode } from './errors';
import { Emitter, type EventSource, type ServerEventMap } from './events';
import { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from './options';
import { Handlers } from './handlers';
import type { SessionView } from '../sessions/kept';
import { Sessions } from '../sessions/sessions';
import type { ServerState } from './state';
import { type EndpointAddress, HttpEndpoint } from '../http/endpoint';
import { healthRoutes } from '../http/health';
import { Traffic } from './traffic';
import type { Registry } from 'prom-client';
import type { MetricsOption } from '../http/options';
import type { ServerMetrics } from '../metrics/metrics';
import type { PushHandler, RequestHandler, ServerRequestOptions, SendReliableOptions, ServerConnection, ServerSession } from './types';

/** Where a listening server can be reached: host, port, its `ws://` or `wss://` URL (with `path`), the admin port. */
export type ListenAddress = EndpointAddress;

/**
 * The Node reference server for protocol v1: handshake, heartbeat deadlines, topic routing of PUSH, REQUEST and
 * RELIABLE, sessions that survive reconnects (reliable delivery both ways, resume), and BYE-then-close on every exit.
 * Build it with {@link createServer}; add the chat and game modules with `installChat` and `installGame`.
 */
export class ReferenceServer {
  /**
   * Typed server events (`connection`, `message`, `disconnect`, `error`, `protocolError`, `limited`, `sessionEnd`,
   * `close`); `on` returns its undo.
   */
  readonly events: EventSource<ServerEventMap>;
  private readonly options: ResolvedServerOptions;
  private readonly emitter: Emitter<ServerEventMap>;
  private readonly handlers = new Handlers();
  /** Every socket, handshaking ones included, so that `close()` reaches them all. */
  private readonly sockets = new Set<Connection>();
  private readonly open = new Map<string, Connection>();
  private readonly delivery: Delivery;
  private readonly host: ConnectionHost<Connection>;
  private readonly registry: Sessions;
  private readonly perAddress: AddressLimiter;
  private readonly traffic = new Traffic();
  private readonly meters: ServerMetrics | undefined;
  private endpoint: HttpEndpoint | undefined;
  private listening: ListenAddress | undefined;
  private closing: Promise<void> | undefined;
  private nextId = 1;

  /** @throws {UsageError} `invalid_option` naming a bad option. */
  constructor(options: Readonly<Partial<ServerOptions>> = {}) {
    this.options = resolveServerOptions(options);
    this.emitter = new Emitter<ServerEventMap>((name, err) => {
      if (name === 'error') {
        // An `error` listener that throws has nowhere left to report to but the console.
        process.stderr.write(`multisocket server: an error listener threw: ${inspect(err)}\n`);
        return;
      }
      this.emitter.emit('error', {
        error: new ServerError(ServerErrorCode.HandlerFailed, `a "${name}" listener threw: ${err instanceof Error ? err.message : String(err)}`, err),
      });
    });
    this.events = this.emitter;
    this.perAddress = new AddressLimiter(this.options.maxConnectionsPerAddress);
    this.meters = this.options.metrics === false ? undefined : createMetrics(this.emitter, this.traffic, () => this.registry.values(), this.options.metrics);
    // Claimed before anything is adopted from it: two live servers must never share sessions.
    this.options.state.claim(this);
    this.registry = new Sessions(this.options, this.emitter);
    this.delivery = new Delivery(this.open, this.registry, this.options);
    this.host = {
      options: this.options,
      handlers: this.handlers,
      events: this.emitter,
      sessions: this.registry,
      codec: new FrameCodec(this.options.limits),
      traffic: this.traffic,
      opened: (connection, session, resumed, resync) => {
        this.open.set(connection.id, connection);
        this.emitter.emit('connection', { connection, session, resumed, resync });
      },
      closed: (connection, code, reason, welcomed) => {
        this.sockets.delete(connection);
        if (!welcomed) return;
        this.open.delete(connection.id);
        this.emitter.emit('disconnect', { connection, code, reason });
      },
    };
  }

  /** The connections that completed the handshake and are not yet closed, by id. */
  get connections(): ReadonlyMap<string, ServerConnection> {
    return this.open;
  }

  /** The sessions held, by id: those attached to a connection and those waiting `resumeWindowMs` for their client. */
  get sessions(): SessionView {
    return this.registry;
  }

  /** Where sessions and chat rooms are kept (the `state` option); installed modules keep theirs there too. */
  get state(): ServerState {
    return this.options.state;
  }

  /** The clock every deadline of the server runs on (the `clock` option); installed modules schedule on it too. */
  get clock(): Clock {
    return this.options.clock;
  }

  /** The codec limits of every connection (what a module that encodes frames itself must stay within). */
  get limits(): Readonly<Partial<CodecLimits>> {
    return this.options.limits;
  }

  /** How long a session waits for its client after a disconnect (the `resumeWindowMs` option), ms. */
  get resumeWindowMs(): number {
    return this.options.resumeWindowMs;
  }

  /**
   * The prom-client registry of the server's metrics (the `metrics` option), for an application that serves them
   * itself (an attached `server`); undefined without the option.
   */
  get metrics(): Registry | undefined {
    return this.meters?.registry;
  }

  /** Where the server listens, once `listen()` resolved. */
  get address(): ListenAddress | undefined {
    return this.listening;
  }

  /**
   * Starts listening on `host`:`port` (port 0 picks a free port), with TLS when `tls` is given, or attaches to the
   * `server` option (resolving once that server listens); opens `adminPort` too.
   * @throws {UsageError} (as a rejection) when called twice or after `close()`; rejects with the socket error too.
   */
  async listen(): Promise<ListenAddress> {
    if (this.endpoint || this.closing) throw new UsageError(UsageErrorCode.InvalidArgument, 'listen() may be called once, before close()');
    const options = this.options;
    const endpoint = (this.endpoint = new HttpEndpoint({
      ...options,
      // A page not allowed (403) or a client over its address's share (429) costs no WebSocket state.
      admit: (req) => (this.options.allowedOrigins?.refusal(req.headers) !== undefined ? [403, 'Forbidden'] : this.admitAddress(req) ? undefined : [429, 'Too Many Connections']),
      accept: (ws, req) => this.accept(ws, req),
      failed: (error) => this.emitter.emit('error', { error }),
      routes: healthRoutes({
        notAccepting: () => (this.closing ? 'draining' : this.listening ? undefined : 'not listening yet'),
        store: options.sessionStore,
        readyTimeoutMs: options.readyTimeoutMs,
        clock: options.clock,
        metrics: this.meters?.scrape,
      }),
    }));
    try {
      this.listening = await endpoint.listen();
    } catch (error) {
      this.endpoint = undefined;
      throw error;
    }
    return this.listening;
  }

  /**
   * Stops accepting, sends every client BYE `code` and waits until each socket and the listener are closed (the admin
   * port last: its `/readyz` answers 503 all along); every timer the server holds is released by then, and its state
   * may be given to a new server. An attached `server` is left listening. Idempotent: later calls return the same
   * promise.
   * @throws {UsageError} (synchronously) `invalid_close_code` for a code other than 1000 or 3000–4999, `invalid_option`
   * for a bad `retryMs`.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.closing) return this.closing;
    const { endpoint, sockets, registry, emitter } = this;
    const stopListening = () => endpoint?.stop() ?? Promise.resolve();
    const { closed, start } = closeServer({ stopListening, sockets, registry, state: this.options.state, emitter, holder: this }, options);
    // Before any listener runs, so that one calling close() again gets this same promise.
    this.closing = closed.then(() => endpoint?.finish()).then(() => this.meters?.stop());
    start();
    return this.closing;
  }

  /**
   * Answers REQUESTs whose topic matches `pattern` (exact, `+` one segment, `#` the rest); the first matching handler
   * registered wins. Returns the function that removes it.
   * @throws {UsageError} `invalid_argument` for a bad pattern or handler.
   */
  handle<P = unknown, R = unknown>(pattern: string, handler: RequestHandler<P, R>): () => void {
    return this.handlers.handle<P, R>(pattern, handler);
  }

  /**
   * Receives PUSHes whose topic matches `pattern`; every matching handler runs. Returns the function that removes it.
   * @throws {UsageError} `invalid_argument` for a bad pattern or handler.
   */
  on<P = unknown>(pattern: string, handler: PushHandler<P>): () => void {
    return this.handlers.on<P>(pattern, handler);
  }

  /**
   * Sends a PUSH to one connection; false when it is unknown or not open.
   * @throws {UsageError} for a bad topic, or a payload that cannot be encoded within `maxFrameBytes`.
   */
  push(connectionOrId: ServerConnection | string, topic: string, payload: unknown): boolean {
    return this.delivery.push(connectionOrId, topic, payload);
  }

  /**
   * Sends one PUSH to every open connection that `filter` accepts (all by default), encoded once; returns how many.
   * @throws {UsageError} for a bad topic, or a payload that cannot be encoded within `maxFrameBytes`.
   */
  broadcast(topic: string, payload: unknown, filter?: (connection: ServerConnection) => boolean): number {
    return this.delivery.broadcast(topic, payload, filter);
  }

  /**
   * Sends a REQUEST to one client; resolves with its REPLY, rejects with a {@link RemoteError} for its FAIL, or a
   * {@link ServerError} `timeout` (after `timeoutMs`, default `requestTimeoutMs`), `disconnected` or `not_open`.
   * @throws {UsageError} for a bad topic, timeout or payload.
   */
  request(connectionOrId: ServerConnection | string, topic: string, payload: unknown, options: ServerRequestOptions = {}): Promise<unknown> {
    return this.delivery.request(connectionOrId, topic, payload, options);
  }

  /**
   * Sends a RELIABLE message in a session (by id, by the session, or by one of its connections, even a closed one):
   * sent now if its client is connected, else kept and sent when the client resumes. False when the session is
   * unknown or has ended.
   * @throws {QueueFullError} when the session's buffer is full and its client is connected (see {@link SendReliableOptions}).
   * @throws {UsageError} for a bad topic or target, or a payload that cannot be encoded within `maxFrameBytes` or
   * `reliable.maxUnackedBytes`.
   */
  sendReliable(target: ServerSession | ServerConnection | string, topic: string, payload: unknown, options?: SendReliableOptions): boolean {
    return this.delivery.sendReliable(target, topic, payload, options);
  }

  /**
   * Sends one RELIABLE message to each of `targets` (sessions, their ids or connections), encoded once; returns to how
   * many. A session whose buffer is full is ended instead (its client resyncs): one slow member never fails the rest.
   * @throws {UsageError} (before sending anything) for a bad topic or target, or a payload that cannot be encoded.
   */
  broadcastReliable(targets: Iterable<ServerSession | ServerConnection | string>, topic: string, payload: unknown): number {
    return this.delivery.broadcastReliable(targets, topic, payload);
  }

  /** The client's address: the socket's, or what a trusted proxy says it is (`trustProxy`). */
  private clientAddress(req: IncomingMessage): string {
    return this.options.trustProxy.clientAddress(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for']);
  }

  private admitAddress(req: IncomingMessage): boolean {
    const remoteAddress = this.clientAddress(req);
    if (this.perAddress.admit(remoteAddress, req.socket)) return true;
    this.emitter.emit('limited', { limit: 'maxConnectionsPerAddress', remoteAddress });
    return false;
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    if (this.closing) {
      ws.terminate();
      return;
    }
    const connection = new Connection(ws, `c${this.nextId++}`, this.clientAddress(req), this.host);
    this.sockets.add(connection);
  }
}

/**
 * Builds a reference server; call `listen()` to start it. Defaults: see {@link ServerOptions}.
 * @throws {UsageError} `invalid_option` naming a bad option.
 */
export function createServer(options: Readonly<Partial<ServerOptions>> = {}): ReferenceServer {
  return new ReferenceServer(options);
}

/**
 * The server's metrics, loaded only now: prom-client is an optional peer that a server without metrics never needs
 * (resolveServerOptions has already checked that it is installed).
 */
function createMetrics(events: Emitter<ServerEventMap>, traffic: Traffic, sessions: () => Iterable<{ readonly channel: string }>, option: Exclude<MetricsOption, false>): ServerMetrics {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load of the optional peer, synchronous for the constructor
  const { createServerMetrics } = require('../metrics/metrics') as typeof import('../metrics/metrics');
  return createServerMetrics({ events, traffic, sessions }, option === true ? undefined : option.registry);
}
