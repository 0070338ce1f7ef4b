import { join } from 'path';
import * as ts from 'typescript';
import * as codes from '../../src/codes';
import * as errors from '../../src/errors';
import * as runtime from '../../src';
import { ROOT } from '../support/paths';

/** Every name src/index.ts exports, types included, as the compiler sees them. */
function exportedNames(): string[] {
  const file = join(ROOT, 'src', 'index.ts');
  const program = ts.createProgram([file], { noEmit: true, types: [], skipLibCheck: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const symbol = source && checker.getSymbolAtLocation(source);
  if (!symbol) throw new Error('src/index.ts did not load');
  return checker.getExportsOfModule(symbol).map((s) => s.getName()).sort();
}

/** The error classes src/errors.ts defines. */
function errorClasses(): [string, unknown][] {
  return Object.entries(errors).filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error);
}

describe('the public surface (src/index.ts)', () => {
  // A new export is a promise to every application: add it here on purpose, or reach it by path.
  it('exports exactly the names an application uses', () => {
    expect(exportedNames()).toEqual([
      'AlipayBinaryForm', 'AlipayCallbackResult', 'AlipayCallbacks', 'AlipayConnectSocketOption', 'AlipayMessageResult',
      'AlipaySocketApi', 'AlipaySocketTask', 'AlipayTransportOptions',
      'BackoffOptions', 'CHANNEL_OPTION_NAMES', 'Channel', 'ChannelEvents', 'ChannelOptions', 'ChannelState', 'ChannelStats', 'Clock',
      'CloseCode', 'CodecLimits', 'ConnectionManager', 'DisconnectedError', 'DisconnectedErrorCode', 'DropReason',
      'Emitter', 'FailureCause', 'Frame', 'FrameCodec', 'HeartbeatOptions', 'Lifecycle', 'ListenerError', 'ListenerErrorCode',
      'ManagerOptions', 'MessageKind', 'MessageMeta', 'MultisocketError', 'Op', 'OpenOptions', 'OutboxOptions',
      'OutboxPolicy', 'OverflowPolicy', 'PLATFORM_FAILURES', 'PROTOCOL_VERSION', 'PlatformFailure', 'ProtocolError', 'ProtocolErrorCode', 'QueueFullError',
      'QueueFullErrorCode', 'ReconnectInfo', 'ReconnectOptions', 'ReliableOptions', 'RemoteError', 'RequestOptions',
      'SendOptions', 'SocketCallbackResult', 'SocketCloseOption', 'SocketCloseResult', 'SocketLike',
      'SocketMessageResult', 'SocketOpenResult', 'SocketSendOption', 'StateReason', 'Subscriber', 'SubscriberError',
      'SubscriberErrorCode', 'TimeoutError', 'TimeoutErrorCode', 'Timer', 'TimerHandle', 'Transport',
      'TransportConnectOptions', 'TransportError', 'TransportErrorCode', 'UsageError', 'UsageErrorCode', 'Utf8Decoder',
      'Utf8Encoder', 'WaitForOptions', 'WebSocketEventLike', 'WebSocketLike', 'WebSocketLikeCtor',
      'WebSocketTransportOptions', 'WireData', 'WxConnectSocketOption', 'WxLifecycleApi', 'WxSocketApi',
      'WxSocketCloseResult', 'WxSocketTask', 'WxTransportOptions', 'alipayTransport', 'backoffDelay', 'checkOptionNames', 'diagnoseFailure', 'ensureTextCodec',
      'isTerminalCloseCode', 'systemClock', 'webSocketTransport', 'wxLifecycle', 'wxTransport',
    ]);
  });

  it('exports every error class the runtime defines', () => {
    const classes = errorClasses().map(([name]) => name);
    expect(classes.length).toBeGreaterThan(0);
    for (const name of classes) expect(runtime).toHaveProperty(name, (errors as Record<string, unknown>)[name]);
  });

  // RemoteError carries the peer's own code; MultisocketError is the base every other class narrows.
  it('lists the code of every error class in src/codes.ts, and exports it', () => {
    const ownCodes = errorClasses().filter(([name]) => name !== 'RemoteError' && name !== 'MultisocketError');
    expect(ownCodes.length).toBeGreaterThan(0);
    for (const [name] of ownCodes) {
      const table = (codes as Record<string, unknown>)[`${name}Code`];
      expect({ name, listed: typeof table === 'object' && table !== null }).toEqual({ name, listed: true });
      expect(runtime).toHaveProperty(`${name}Code`, table);
    }
  });

  // The values are on the wire (PROTOCOL.md's close-code table): a code is added on purpose, never renumbered.
  it('pins every close code, and which ones are terminal', () => {
    expect(runtime.CloseCode).toEqual({
      Normal: 1000, RetryableMin: 4000, ServerRestart: 4000, HeartbeatTimeout: 4001, RateLimited: 4002, RetryableMax: 4099,
      TerminalMin: 4100, Unauthorized: 4101, Kicked: 4102, UnsupportedVersion: 4103, SessionTakenOver: 4104, TerminalMax: 4199,
      ProtocolError: 4400,
    });
    const terminal = Object.entries(runtime.CloseCode).filter(([, code]) => runtime.isTerminalCloseCode(code)).map(([name]) => name);
    expect(terminal).toEqual(['TerminalMin', 'Unauthorized', 'Kicked', 'UnsupportedVersion', 'SessionTakenOver', 'TerminalMax']);
  });

  it('raises each fixed code from the class that owns it', () => {
    expect(new errors.TimeoutError('late', 5).code).toBe(codes.TimeoutErrorCode.Timeout);
    expect(new errors.QueueFullError('full').code).toBe(codes.QueueFullErrorCode.QueueFull);
    expect(new errors.SubscriberError('room/1', new Error('x')).code).toBe(codes.SubscriberErrorCode.SubscriberFailed);
    expect(new errors.ListenerError('open', new Error('x')).code).toBe(codes.ListenerErrorCode.ListenerFailed);
  });
});
