/**
 * The platforms' known socket failure messages, in one table: each maps the `errMsg` a phone, devtools or a browser
 * reports to a stable {@link FailureCause} and a one-line hint that says what to change. `TransportError` reads it,
 * so every transport error that carries a platform message names its cause. The strings come from the platforms'
 * documentation and from what developers report on the platforms' forums and the peers' issue trackers (the README's
 * "Errors that name their cause" table lists them); a message that matches no row keeps no cause.
 */

/** Why a socket could not be opened or was lost, as far as the platform's message tells. */
export const FailureCause = {
  /** The URL's domain is not in the mini-game's socket domain list (the console's 服务器域名 → socket合法域名). */
  DomainNotAllowed: 'domain_not_allowed',
  /** The server's certificate is not trusted: self-signed, an incomplete chain, expired, or for another name. */
  CertificateInvalid: 'certificate_invalid',
  /** A `ws://` URL where the platform accepts only `wss://`. */
  InsecureUrl: 'insecure_url',
  /** The platform's limit of sockets open at once (5 on WeChat) was hit. */
  SocketLimit: 'socket_limit',
  /** The server did not complete the connect in time. */
  ConnectTimeout: 'connect_timeout',
  /** The phone has no network. */
  NetworkOffline: 'network_offline',
  /** The app went to the background and the platform cut its network (about 5 s after hiding, on WeChat). */
  Suspended: 'suspended',
} as const;
export type FailureCause = (typeof FailureCause)[keyof typeof FailureCause];

/** One row of {@link PLATFORM_FAILURES}. */
export interface PlatformFailure {
  readonly cause: FailureCause;
  /** Matches the platform's message, anywhere in it, ignoring case. */
  readonly pattern: RegExp;
  /** What to do about it, in one line. */
  readonly hint: string;
  /** Messages the platforms really print for it (README's table shows them; a test checks each matches). */
  readonly seen: readonly string[];
}

/** The table, most specific first: the first row whose pattern matches the message wins. */
export const PLATFORM_FAILURES: readonly PlatformFailure[] = [
  {
    cause: FailureCause.SocketLimit,
    // Device: `createSocketTask:fail wcwss taskID=9 exceed max concurrent count`; devtools: `exceed max task count`.
    pattern: /exceed max (concurrent|task) count/i,
    hint: 'the platform allows 5 sockets at once per mini-game: close channels you no longer use, or lower maxSockets',
    seen: ['createSocketTask:fail wcwss taskID=9 exceed max concurrent count', 'exceed max task count'],
  },
  {
    cause: FailureCause.DomainNotAllowed,
    // WeChat: `createSocketTask:fail url not in domain list`; devtools in Chinese: `不在以下 socket 合法域名列表中`.
    pattern: /not in domain list|合法域名/i,
    hint: "add the URL's host to the socket domain list in the mini-game's console (devtools can skip the check, a phone never does)",
    seen: ['createSocketTask:fail url not in domain list', '不在以下 socket 合法域名列表中'],
  },
  {
    cause: FailureCause.InsecureUrl,
    // Alipay: error 20 `请求 url 不支持 ws,请使用 wss`; others: `url must start with wss`.
    pattern: /不支持 ?ws\b|请使用 ?wss|must (start with|use) wss/i,
    hint: 'devices accept only wss:// URLs: serve TLS (ws:// works only in devtools with domain checks off or to a LAN IP)',
    seen: ['请求 url 不支持 ws,请使用 wss'],
  },
  {
    cause: FailureCause.CertificateInvalid,
    // Android: `exception onOpen fail code:8, msg:TLS handshake failed`; iOS and devtools: `ERR_CERT_AUTHORITY_INVALID`,
    // `The certificate for this server is invalid`; Alipay error 7 `The HTTPS certificate ... is invalid`; Node's TLS:
    // `self-signed certificate`, `unable to verify the first certificate`.
    pattern: /TLS handshake|ERR_CERT_|ERR_SSL_|certificate|SSL handshake|证书/i,
    hint: "the phone does not trust the server's certificate: use one from a public CA, with its full chain, for this host name",
    seen: ['exception onOpen fail code:8, msg:TLS handshake failed', 'net::ERR_CERT_AUTHORITY_INVALID', 'The certificate for this server is invalid.', 'self-signed certificate in certificate chain'],
  },
  {
    cause: FailureCause.ConnectTimeout,
    // Devtools: `Timed out connecting to server.`; Android: `exception onOpen fail code:9, msg:Timer Expired`;
    // Alipay error 6 `Connection timed out`.
    pattern: /timed out|timer expired|timeout|超时/i,
    hint: "the server did not answer in time: check that it listens on the URL's port and the firewall lets it through",
    seen: ['Timed out connecting to server.', 'exception onOpen fail code:9, msg:Timer Expired', 'Connection timed out'],
  },
  {
    cause: FailureCause.NetworkOffline,
    // Emulated and Android: `network is down`; iOS: `The Internet connection appears to be offline.`; Chromium:
    // `ERR_INTERNET_DISCONNECTED`; `Network is unreachable` (ENETUNREACH).
    pattern: /network is down|appears to be offline|ERR_INTERNET_DISCONNECTED|network is unreachable|ENETUNREACH/i,
    hint: 'the phone is offline: the channel waits for the network to come back (onNetworkStatusChange) and reconnects',
    seen: ['createSocketTask:fail network is down', 'The Internet connection appears to be offline.', 'net::ERR_INTERNET_DISCONNECTED'],
  },
  {
    cause: FailureCause.Suspended,
    // WeChat after ~5 s in the background: `...runningState=suspend... network api interrupted in suspend state`.
    pattern: /suspend state|runningState=suspend/i,
    hint: 'the app is in the background and the platform cut its network: the channel reconnects when the app is shown',
    seen: ['runningState=suspend, network api interrupted in suspend state'],
  },
];

/** The row of {@link PLATFORM_FAILURES} that explains `message`, or undefined. */
export function diagnoseFailure(message: string | undefined): PlatformFailure | undefined {
  if (!message) return undefined;
  for (const failure of PLATFORM_FAILURES) {
    if (failure.pattern.test(message)) return failure;
  }
  return undefined;
}
