// The runtime's public surface.

export { type Clock, type TimerHandle, systemClock } from './time/clock';
export { Timer } from './time/timer';
export {
  CloseCode,
  DisconnectedErrorCode,
  isTerminalCloseCode,
  ProtocolErrorCode,
  TransportErrorCode,
  UsageErrorCode,
} from './codes';
export {
  DisconnectedError,
  MultisocketError,
  ProtocolError,
  QueueFullError,
  RemoteError,
  SubscriberError,
  TimeoutError,
  TransportError,
  UsageError,
} from './errors';
export { FrameCodec, MessageBuilder, type WireData } from './wire/codec';
export { type CodecLimits, DEFAULT_CODEC_LIMITS } from './wire/limits';
export {
  type AckFrame,
  type ByeFrame,
  type FailFrame,
  type Frame,
  type Hello,
  type HelloFrame,
  Op,
  opName,
  type PingFrame,
  type PongFrame,
  PROTOCOL_VERSION,
  type PushFrame,
  type ReliableFrame,
  type ReplyFrame,
  type RequestFrame,
  validateFrame,
  type Welcome,
  type WelcomeFrame,
} from './wire/protocol';
export { TopicIndex, topicMatches, validatePattern, validateTopic } from './routing/topics';
export { ensureTextCodec } from './wire/text-codec';
export { Utf8Decoder, Utf8Encoder } from './wire/utf8';
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
export { ConnectionManager, DEFAULT_MANAGER_OPTIONS, type ManagerOptions, type OpenOptions } from './manager';
export { Channel, type ChannelEvents, type ChannelStats, type SendOptions } from './channel/channel';
export {
  type ChannelOptions,
  DEFAULT_CHANNEL_OPTIONS,
  MAX_CONNECT_TIMEOUT_MS,
  type ReconnectInfo,
  type ReconnectOptions,
  type RequestOptions,
} from './channel/options';
export { ALLOWED_TRANSITIONS, ChannelState, StateReason } from './channel/state';
export { type MessageKind, type MessageMeta, Router, type Subscriber, type WaitForOptions } from './routing/router';
export { backoffDelay, type BackoffOptions, DEFAULT_BACKOFF } from './time/backoff';
export { DEFAULT_HEARTBEAT, Heartbeat, type HeartbeatOptions } from './channel/heartbeat';
export { DEFAULT_OUTBOX, type DropReason, type OutboxOptions, type OutboxPolicy, type OverflowPolicy } from './channel/outbox';
export { type Lifecycle, wxLifecycle, type WxLifecycleApi } from './transport/lifecycle';
export { Emitter } from './emitter';
export { isSocketLimitError } from './transport/errors';
export {
  WX_MAX_CONNECT_TIMEOUT_MS,
  wxErrorCode,
  type WxConnectSocketOption,
  type WxSocketApi,
  type WxSocketCloseResult,
  type WxSocketTask,
  wxTransport,
  type WxTransportOptions,
} from './transport/wx';
export {
  type WebSocketEventLike,
  type WebSocketLike,
  type WebSocketLikeCtor,
  webSocketTransport,
  type WebSocketTransportOptions,
} from './transport/websocket';
export { checkCloseOption, MAX_CLOSE_REASON_BYTES, toSendable } from './transport/types';
