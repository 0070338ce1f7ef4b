/**
 * The Node reference server (`multisocket/server`): protocol v1 over the `ws` package, for tests, demos and as the
 * executable description of what a conforming server does. `installChat` and `installGame` add the modules the
 * client's chat and game presets talk to. Needs the `ws` package (an optional peer dependency): without it, requiring
 * this entry throws a ServerError `missing_package` that says so.
 */
import './needs-ws';

export { createServer, ReferenceServer } from './core/server';
export type { ListenAddress } from './core/server';
export type { CloseOptions } from './core/closing';
export type { Authenticate, AuthResult } from './core/handshake';
export type { ServerOptions } from './core/options';
export type { HttpOptions, MetricsOption, TlsOptions } from './http/options';
export type { LimitName, RateLimitOptions } from './core/abuse';
export type { AllowedOrigins } from './core/origin';
export { ConnectionState } from './core/types';
export type {
  HandlerContext,
  MessageKind,
  PushHandler,
  RequestHandler,
  ServerRequestOptions,
  SendReliableOptions,
  ServerConnection,
  ServerSession,
  SessionEndReason,
} from './core/types';
export type { SessionView } from './sessions/kept';
export { createMemoryState } from './core/state';
export type { ServerState } from './core/state';
export type {
  ConnectionEvent,
  DisconnectEvent,
  ErrorEvent,
  EventSource,
  LimitedEvent,
  MessageEvent,
  ProtocolErrorEvent,
  ServerCloseEvent,
  ServerEventMap,
  SessionEndEvent,
} from './core/events';
export { ChatError, ChatErrorCode, RemoteError, ServerError, ServerErrorCode } from './core/errors';
// The public name of the client's MAX_CLOSE_REASON_BYTES, kept for the server's users.
export { MAX_CLOSE_REASON_BYTES as MAX_REASON_BYTES } from '../src/transport/types';
export { installChat } from './chat/chat';
export type { Chat, ChatSaid } from './chat/chat';
export type { InstallChatOptions } from './chat/options';
export type { StoredChatMessage } from './chat/room';
// The Redis store itself is in `multisocket/server/redis` (createRedisChatStore, needs `ioredis`), kept out of this entry on purpose.
export type { Appended, ChatDraft, ChatStore, ChatStoreEvents, HistoryPage, PresenceEntry, PresenceMode, PresencePage, RoomListener } from './chat/store';
// Likewise createRedisSessionStore (`multisocket/server/redis`) for `createServer({ sessionStore })`.
export type { EndedSession, ReleaseSession, SessionWrite, SharedSessionStore, StoredFrame, StoredSession, TakenSession } from './sessions/store';
export { installGame } from './game/game';
export type { Game, InstallGameOptions, GameStatePayload, PlayerPosition } from './game/game';
// The Redis broker itself is createRedisGameBroker (`multisocket/server/redis`, needs `ioredis`), for `installGame(server, { broker })`.
export type { GameBroker, GameBrokerEvents, WorldUpdate } from './game/broker';
