/**
 * Channel states. One `setState` moves between them and emits `state` `{previous, next, reason}`.
 *
 * | from \ to      | connecting | handshaking | open | reconnecting | suspended | closing | closed |
 * |----------------|------------|-------------|------|--------------|-----------|---------|--------|
 * | idle           | connect()  |             |      |              | hide/off  |         | close  |
 * | connecting     |            | socket open |      | fail/timeout | hide/off  | close   | close, terminal, gave up |
 * | handshaking    |            |             | WELCOME | fail/timeout/BYE | hide/off | close | terminal, gave up |
 * | open           |            |             |      | drop/dead/BYE | hide/off | close   | terminal, gave up |
 * | reconnecting   | backoff    |             |      |              | hide/off  |         | close  |
 * | suspended      | show/online|             |      |              |           |         | close  |
 * | closing        |            |             |      |              |           |         | socket closed / deadline |
 * | closed         | (terminal: nothing leaves it)                                                   |
 *
 * "gave up": `shouldReconnect` said no, or `maxAttempts` was reached. "terminal": close/BYE code 4100–4199.
 */
export const ChannelState = {
  Idle: 'idle',
  Connecting: 'connecting',
  Handshaking: 'handshaking',
  Open: 'open',
  Reconnecting: 'reconnecting',
  Suspended: 'suspended',
  Closing: 'closing',
  Closed: 'closed',
} as const;
export type ChannelState = (typeof ChannelState)[keyof typeof ChannelState];

/** Every transition the table above allows, `from -> to`; tests hold the channel to it. */
export const ALLOWED_TRANSITIONS: Readonly<Record<ChannelState, readonly ChannelState[]>> = {
  idle: ['connecting', 'suspended', 'closed'],
  connecting: ['handshaking', 'reconnecting', 'suspended', 'closing', 'closed'],
  handshaking: ['open', 'reconnecting', 'suspended', 'closing', 'closed'],
  open: ['reconnecting', 'suspended', 'closing', 'closed'],
  reconnecting: ['connecting', 'suspended', 'closed'],
  suspended: ['connecting', 'closed'],
  closing: ['closed'],
  closed: [],
};

/** Why a state changed: the `reason` of the `state` event. */
export const StateReason = {
  Connect: 'connect',
  SocketOpen: 'socket_open',
  Welcome: 'welcome',
  ConnectTimeout: 'connect_timeout',
  SocketError: 'socket_error',
  SocketClosed: 'socket_closed',
  HeartbeatTimeout: 'heartbeat_timeout',
  SendFailed: 'send_failed',
  ProtocolError: 'protocol_error',
  TokenFailed: 'token_failed',
  Bye: 'bye',
  Backoff: 'backoff_elapsed',
  Hidden: 'hidden',
  Offline: 'offline',
  Shown: 'shown',
  Online: 'online',
  CloseRequested: 'close_requested',
  Closed: 'closed',
  Terminal: 'terminal',
  GaveUp: 'gave_up',
  InvalidConfig: 'invalid_config',
} as const;
export type StateReason = (typeof StateReason)[keyof typeof StateReason];
