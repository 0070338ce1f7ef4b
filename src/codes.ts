/**
 * Every stable code the runtime and the reference server use, in one place: WebSocket close / BYE codes and the
 * `code` of each error class. These values are part of the public API and of PROTOCOL.md; never renumber them.
 */

/** Close and BYE codes (PROTOCOL.md, "Close codes"). */
export const CloseCode = {
  /** Normal closure: the side that closes is done. */
  Normal: 1000,
  /** First retryable application code: 4000–4099 ask the client to come back (with backoff). */
  RetryableMin: 4000,
  /** The server is restarting or shedding load; retry. */
  ServerRestart: 4000,
  /** The client stayed silent past its heartbeat deadline (or never sent HELLO in time). */
  HeartbeatTimeout: 4001,
  /** The client sent more than the server's rate or byte limits allow; retry later. */
  RateLimited: 4002,
  RetryableMax: 4099,
  /** First terminal code: 4100–4199 tell the client not to reconnect. */
  TerminalMin: 4100,
  /** The token was refused (or expired and could not be renewed). */
  Unauthorized: 4101,
  /** The server removed this client on purpose. */
  Kicked: 4102,
  /** HELLO asked for a protocol version the server does not speak. */
  UnsupportedVersion: 4103,
  /**
   * Another connection resumed this connection's session, which now belongs to it: reconnecting would take it back
   * and the two clients would displace each other for ever.
   */
  SessionTakenOver: 4104,
  TerminalMax: 4199,
  /** The peer broke the protocol (malformed frame, limit exceeded, unexpected frame). */
  ProtocolError: 4400,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** True for the codes that tell a client never to reconnect on its own. */
export function isTerminalCloseCode(code: number): boolean {
  return code >= CloseCode.TerminalMin && code <= CloseCode.TerminalMax;
}

/** Codes carried by {@link ProtocolError}. */
export const ProtocolErrorCode = {
  /** A text WebSocket message; the protocol is binary only. */
  TextMessage: 'text_message',
  /** Bytes that are not valid msgpack, or a frame cut short. */
  Malformed: 'malformed',
  /** The message is larger than `maxFrameBytes`. */
  FrameTooLarge: 'frame_too_large',
  /** A string, binary, array, map or ext length, or the nesting depth, is over its limit. */
  LimitExceeded: 'limit_exceeded',
  /** A frame that is not an array, or whose first element is not a known opcode. */
  UnknownOp: 'unknown_op',
  /** A frame of a known opcode with a wrong element count or a field of the wrong type. */
  BadFrame: 'bad_frame',
  /** A well-formed frame that this side must never receive now (a WELCOME at the server, a PUSH before HELLO). */
  UnexpectedFrame: 'unexpected_frame',
  /** The peer closed the connection with BYE / close 4400: it found a protocol error in what this side sent. */
  PeerRejected: 'peer_rejected',
  /** A WELCOME claimed to resume but contradicts what the server had already acknowledged. */
  InconsistentResume: 'inconsistent_resume',
  /** The peer answered HELLO with a protocol version this side does not speak. */
  UnsupportedVersion: 'unsupported_version',
} as const;
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/** Codes carried by {@link UsageError}: the caller passed something the runtime cannot accept. */
export const UsageErrorCode = {
  InvalidOption: 'invalid_option',
  InvalidArgument: 'invalid_argument',
  InsecureUrl: 'insecure_url',
  ForbiddenHeader: 'forbidden_header',
  InvalidCloseCode: 'invalid_close_code',
  /** `manager.open` past `maxSockets`, or a name already in use. */
  TooManyChannels: 'too_many_channels',
  DuplicateChannel: 'duplicate_channel',
  /** A call on a channel or manager that is closed for good. */
  Closed: 'closed',
  PayloadTooLarge: 'payload_too_large',
  Unencodable: 'unencodable',
} as const;
export type UsageErrorCode = (typeof UsageErrorCode)[keyof typeof UsageErrorCode];

/** Codes carried by {@link TransportError}: the platform or the socket refused or failed. */
export const TransportErrorCode = {
  /** `connectSocket` refused the call (domain list, bad URL, too many sockets). */
  ConnectRefused: 'connect_refused',
  /** The platform's concurrent SocketTask limit (5 on WeChat) was hit. */
  SocketLimit: 'socket_limit',
  /** The socket reported an error (connect failure, network loss). */
  SocketError: 'socket_error',
  /** `send` failed (not connected, suspended, closed). */
  SendFailed: 'send_failed',
} as const;
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/** Codes carried by {@link DisconnectedError}. */
export const DisconnectedErrorCode = {
  /** The connection dropped while the request was in flight: it may or may not have been processed. */
  Disconnected: 'disconnected',
  /** The channel was closed (by the application, or for good by a terminal code). */
  Closed: 'closed',
  /** The channel is not open and its policy refuses to wait (`drop`, or requests set not to queue). */
  NotOpen: 'not_open',
} as const;
export type DisconnectedErrorCode = (typeof DisconnectedErrorCode)[keyof typeof DisconnectedErrorCode];

/** The code of {@link TimeoutError}. */
export const TimeoutErrorCode = {
  /** A request, a `waitFor` or a connect attempt ran past its deadline. */
  Timeout: 'timeout',
} as const;
export type TimeoutErrorCode = (typeof TimeoutErrorCode)[keyof typeof TimeoutErrorCode];

/** The code of {@link QueueFullError}. */
export const QueueFullErrorCode = {
  /** The outbox or the unacknowledged reliable buffer is at its bound and refused the message. */
  QueueFull: 'queue_full',
} as const;
export type QueueFullErrorCode = (typeof QueueFullErrorCode)[keyof typeof QueueFullErrorCode];

/** The code of {@link SubscriberError}. */
export const SubscriberErrorCode = {
  /** A subscriber threw or its Promise rejected; the other subscribers still ran. */
  SubscriberFailed: 'subscriber_failed',
} as const;
export type SubscriberErrorCode = (typeof SubscriberErrorCode)[keyof typeof SubscriberErrorCode];

/** The code of {@link ListenerError}. */
export const ListenerErrorCode = {
  /** An event listener threw; the runtime carried on. */
  ListenerFailed: 'listener_failed',
} as const;
export type ListenerErrorCode = (typeof ListenerErrorCode)[keyof typeof ListenerErrorCode];
