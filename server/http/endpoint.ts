import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { HttpOptions } from './options';

/*
 * Where the WebSocket upgrades come from: an HTTP(S) server of the multisocket server's own on `host`:`port`, or one
 * of the application's it is attached to; and the optional admin port for the health and metrics endpoints. What the
 * server owns it closes; what it was given it only lets go of.
 */

/** Answers one plain HTTP request (health, metrics); false when its path is not one of ours. */
export type RequestRoutes = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Where the endpoint listens, once `listen()` resolved. */
export interface EndpointAddress {
  readonly host: string;
  readonly port: number;
  /** `ws://` or `wss://`, host, port and `path`. */
  readonly url: string;
  /** The admin port, when `adminPort` was given. */
  readonly adminPort: number | undefined;
}

/** What an endpoint needs: the deploy options, where to listen, who is admitted and who takes a new socket. */
export interface EndpointOptions extends Readonly<HttpOptions> {
  readonly host: string;
  readonly port: number;
  readonly maxPayload: number;
  /** Why an upgrade is refused (HTTP status and text, answered before any WebSocket state exists), or undefined. */
  admit(req: IncomingMessage): readonly [status: number, message: string] | undefined;
  /** Takes a new WebSocket. */
  accept(ws: WebSocket, req: IncomingMessage): void;
  /** A listener failed once listening (the server's `error` event). */
  failed(error: Error): void;
  readonly routes: RequestRoutes;
}

/** The HTTP side of one server: its listener (own or attached) and its admin listener. */
export class HttpEndpoint {
  private readonly http: HttpServer;
  private readonly wss: WebSocketServer;
  private readonly owned: boolean;
  private admin: HttpServer | undefined;
  private stopped = false;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => this.upgraded(req, socket, head);
  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => this.requested(req, res);

  constructor(private readonly options: EndpointOptions) {
    this.owned = options.server === undefined;
    this.http = options.server ?? (options.tls ? createHttpsServer(options.tls) : createHttpServer());
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      clientTracking: false,
      perMessageDeflate: false,
      verifyClient: (info, done) => {
        const refusal = options.admit(info.req);
        if (refusal) done(false, ...refusal);
        else done(true);
      },
    });
  }

  /** The server's own listener and admin listener are listening (an attached server: once its owner listens). */
  async listen(): Promise<EndpointAddress> {
    const { host, port, adminPort, path } = this.options;
    this.http.on('upgrade', this.onUpgrade);
    try {
      if (this.owned) {
        // With an admin port the public port answers no health or metrics request: they may say more than the public should see.
        this.http.on('request', adminPort === undefined ? this.onRequest : notFound);
        await listening(this.http, port, host);
      } else if (!this.http.listening) {
        await new Promise<void>((resolve) => this.http.once('listening', resolve));
      }
      if (adminPort !== undefined) {
        this.admin = createHttpServer(this.onRequest);
        await listening(this.admin, adminPort, host);
      }
    } catch (error) {
      // A port taken: let go of everything, so that nothing half-started outlives the rejection.
      await this.stop();
      await this.finish();
      throw error;
    }
    // Once listening, a listener's own error is reported, never thrown at the process.
    if (this.owned) this.http.on('error', this.options.failed);
    this.admin?.on('error', this.options.failed);
    const bound = this.http.address() as AddressInfo;
    const boundHost = this.owned ? host : bound.address;
    const hostPart = boundHost.includes(':') ? `[${boundHost}]` : boundHost;
    const scheme = this.http instanceof HttpsServer ? 'wss' : 'ws';
    return {
      host: boundHost,
      port: bound.port,
      url: `${scheme}://${hostPart}:${bound.port}${path ?? ''}`,
      adminPort: this.admin ? (this.admin.address() as AddressInfo).port : undefined,
    };
  }

  /**
   * Stops taking upgrades (each one on our path is answered 503 from now on) and, on a port of its own, new
   * connections; settles once its own listener closed. An attached server is left running.
   */
  stop(): Promise<void> {
    this.stopped = true;
    if (!this.owned) return Promise.resolve();
    return closed(this.http);
  }

  /**
   * Lets go of the attached server (its other listeners keep it) and closes the admin port, last, so that `/readyz`
   * answers 503 through the whole drain.
   */
  finish(): Promise<void> {
    this.http.off('upgrade', this.onUpgrade).off('request', this.onRequest).off('request', notFound);
    return this.admin ? closed(this.admin) : Promise.resolve();
  }

  private upgraded(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { path } = this.options;
    if (path === undefined || pathOf(req) === path) {
      // Draining: a clear answer to come back later (elsewhere), never a socket left hanging.
      if (this.stopped) socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n');
      else this.wss.handleUpgrade(req, socket, head, (ws) => this.options.accept(ws, req));
    } else if (this.owned) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
    // Attached: another upgrade listener of the owner's answers it.
  }

  private requested(req: IncomingMessage, res: ServerResponse): void {
    if (!this.options.routes(req, res)) notFound(req, res);
  }
}

function notFound(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.search(/[?#]/);
  return query === -1 ? url : url.slice(0, query);
}

function listening(server: HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Closes `server` and ends its idle keep-alive connections, which would otherwise hold the close open. */
function closed(server: HttpServer): Promise<void> {
  if (!server.listening) return Promise.resolve();
  const done = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  return done;
}
