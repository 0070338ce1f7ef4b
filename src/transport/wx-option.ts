import { UsageErrorCode } from '../codes';
import { UsageError } from '../errors';
import type { SocketCallbackResult, TransportConnectOptions } from './types';

/** What `wxTransport` passes to `connectSocket`: the shared subset of wx, tt, qq, swan and uni. */
export interface WxConnectSocketOption {
  url: string;
  header?: Record<string, string>;
  protocols?: string[];
  timeout?: number;
  tcpNoDelay?: boolean;
  success?: (result: SocketCallbackResult) => void;
  fail?: (result: SocketCallbackResult) => void;
}

/** The platform's longest (and default) connect timeout, ms. */
const WX_MAX_CONNECT_TIMEOUT_MS = 60_000;

/**
 * What `connectSocket` is given for a channel's connect: the URL, headers and timeout checked against what a device
 * accepts (`wss://` only unless `allowInsecure`, no `Referer`, a timeout within the platform's 60 s).
 * @throws {UsageError} `insecure_url`, `invalid_argument`, `forbidden_header` or `invalid_option`.
 */
export function toConnectSocketOption(options: TransportConnectOptions, allowInsecure: boolean): WxConnectSocketOption {
  const { url, header, protocols, timeoutMs, tcpNoDelay } = options;
  if (/^ws:\/\//i.test(url)) {
    if (!allowInsecure) {
      throw new UsageError(
        UsageErrorCode.InsecureUrl,
        `refusing insecure URL ${url}: devices accept only wss:// (allowInsecure: true is for devtools or a LAN server)`,
      );
    }
  } else if (!/^wss:\/\//i.test(url)) {
    throw new UsageError(UsageErrorCode.InvalidArgument, `not a WebSocket URL: ${url}`);
  }
  const option: WxConnectSocketOption = { url };
  if (header) {
    for (const key of Object.keys(header)) {
      if (key.toLowerCase() === 'referer') {
        throw new UsageError(UsageErrorCode.ForbiddenHeader, `header ${key} cannot be set: the platform fixes the Referer`);
      }
    }
    option.header = Object.assign({}, header);
  }
  if (protocols) option.protocols = [...protocols];
  if (timeoutMs !== undefined) {
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new UsageError(UsageErrorCode.InvalidOption, `timeoutMs must be a positive number, got ${timeoutMs}`);
    }
    option.timeout = Math.min(timeoutMs, WX_MAX_CONNECT_TIMEOUT_MS);
  }
  if (tcpNoDelay !== undefined) option.tcpNoDelay = tcpNoDelay;
  return option;
}

