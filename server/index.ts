/**
 * The Node reference server (`multisocket/server`): protocol v1 over the `ws` package, for tests, demos and as the
 * executable description of what a conforming server does.
 */
export { createServer, ReferenceServer } from './server';
export type { CloseOptions, ListenAddress } from './server';
export type { AckEvent, Authenticate, AuthResult, ReliableEvent, ServerOptions } from './options';
export { ConnectionState } from './types';
export type { HandlerContext, PushHandler, RequestHandler, RequestOptions, ServerConnection } from './types';
export type { ConnectionEvent, DisconnectEvent, MessageEvent, ErrorEvent, EventSource, ProtocolErrorEvent, ServerEventMap } from './events';
export { RemoteError, ServerError, ServerErrorCode } from './errors';
export { MAX_REASON_BYTES } from './close-reason';
