// The runtime's public surface: what an application (and the presets in channels/) uses. Everything else in src/ is
// internal; the reference server and the tooling reach it by path. test/runtime/public-surface.test.ts pins this
// list, so that a new export is a deliberate change.

// The manager and its channels.
export { ConnectionManager, type ManagerOptions, type OpenOptions } from './manager';
export { Channel, type ChannelEvents, type ChannelStats, type SendOptions } from './channel/channel';
export {
  CHANNEL_OPTION_NAMES,
  type ChannelOptions,
  type ReconnectInfo,
  type ReconnectOptions,
  type RequestOptions,
} from './channel/options';
export { checkOptionNames } from './defaults';
export { ChannelState, StateReason } from './channel/state';
export type { HeartbeatOptions } from './channel/heartbeat';
export type { DropReason, OutboxOptions, OutboxPolicy, OverflowPolicy } from './channel/outbox';
export type { ReliableOptions } from './reliable/reliable';
export type { MessageKind, MessageMeta, Subscriber, WaitForOptions } from './routing/router';

// The platform: transports and the app lifecycle.
export {
  type WxConnectSocketOption,
  type WxSocketApi,
  type WxSocketCloseResult,
  type WxSocketTask,
  wxTransport,
  type WxTransportOptions,
} from './transport/wx';
export {
  alipayTransport,
  type AlipayBinaryForm,
  type AlipayCallbackResult,
  type AlipayCallbacks,
  type AlipayConnectSocketOption,
  type AlipayMessageResult,
  type AlipaySocketApi,
  type AlipaySocketTask,
  type AlipayTransportOptions,
} from './transport/alipay';
export {
  type WebSocketEventLike,
  type WebSocketLike,
  type WebSocketLikeCtor,
  webSocketTransport,
  type WebSocketTransportOptions,
} from './transport/websocket';
export type {
  SocketCallbackResult,
  SocketCloseOption,
  SocketCloseResult,
  SocketLike,
  SocketMessageResult,
  SocketOpenResult,
  SocketSendOption,
  Transport,
  TransportConnectOptions,
} from './transport/types';
export { type Lifecycle, wxLifecycle, type WxLifecycleApi } from './transport/lifecycle';

// Time, and the small pieces the presets are built from.
export { type Clock, systemClock, type TimerHandle } from './time/clock';
export { Timer } from './time/timer';
export { backoffDelay, type BackoffOptions } from './time/backoff';
export { Emitter } from './emitter';

// The codec (PROTOCOL.md is its normative description) and the TextEncoder stand-in.
export { FrameCodec, type WireData } from './wire/codec';
export type { CodecLimits } from './wire/limits';
export { type Frame, Op, PROTOCOL_VERSION } from './wire/protocol';
export { ensureTextCodec } from './wire/text-codec';
export { Utf8Decoder, Utf8Encoder } from './wire/utf8';

// Errors and their codes.
export {
  CloseCode,
  DisconnectedErrorCode,
  isTerminalCloseCode,
  ListenerErrorCode,
  ProtocolErrorCode,
  QueueFullErrorCode,
  SubscriberErrorCode,
  TimeoutErrorCode,
  TransportErrorCode,
  UsageErrorCode,
} from './codes';
export {
  DisconnectedError,
  ListenerError,
  MultisocketError,
  ProtocolError,
  QueueFullError,
  RemoteError,
  SubscriberError,
  TimeoutError,
  TransportError,
  UsageError,
} from './errors';
export { diagnoseFailure, FailureCause, PLATFORM_FAILURES, type PlatformFailure } from './failures';
