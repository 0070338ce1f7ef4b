// The runtime's public surface. The UTF-8 fallback must be in place before anything loads @msgpack/msgpack.
import './text-codec';

export { type Clock, type TimerHandle, systemClock, Timer } from './clock';
export {
  CloseCode,
  isTerminalCloseCode,
  ProtocolErrorCode,
  TransportErrorCode,
  UsageErrorCode,
} from './codes';
export { MultisocketError, ProtocolError, TransportError, UsageError } from './errors';
export { FrameCodec, MessageBuilder, type WireData } from './codec';
export { type CodecLimits, DEFAULT_CODEC_LIMITS } from './limits';
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
} from './protocol';
export { TopicIndex, topicMatches, validatePattern, validateTopic } from './topics';
export { ensureTextCodec } from './text-codec';
export { Utf8Decoder, Utf8Encoder } from './utf8';
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
