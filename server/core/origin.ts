import type { IncomingHttpHeaders } from 'node:http';
import { UsageErrorCode } from '../../src/codes';
import { UsageError } from '../../src/errors';

/*
 * Which pages may open a socket: a browser sends `Origin`; WeChat sends a `Referer` the app cannot set,
 * `https://servicewechat.com/{appid}/{version}/page-frame.html` ({version} is `devtools` in the developer tools, 0 in a
 * preview). This keeps other sites' pages and other mini-programs off the server; it is not authentication (a
 * program outside a browser or WeChat sends whatever headers it likes): `authenticate` is.
 */

/** The pages allowed to connect (the `allowedOrigins` server option). */
export interface AllowedOrigins {
  /** Browser origins, `scheme://host[:port]` (e.g. `https://play.example.com`), compared as the browser serialises them. */
  origins?: readonly string[];
  /** WeChat mini-game / mini-program app ids (e.g. `wx0123456789abcdef`), read from the platform's fixed `Referer`. */
  appIds?: readonly string[];
}

const WECHAT_REFERER = /^https:\/\/servicewechat\.com\/([^/]+)\/[^/]+\/page-frame\.html$/;
const APP_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** {@link AllowedOrigins}, checked once: each upgrade is admitted or refused by {@link OriginPolicy.refusal}. */
export class OriginPolicy {
  private readonly origins: ReadonlySet<string>;
  private readonly appIds: ReadonlySet<string>;

  /** @throws {UsageError} `invalid_option` naming an entry that is not an origin or an app id. */
  constructor(allowed: Readonly<AllowedOrigins>) {
    if (typeof allowed !== 'object' || allowed === null) invalid('allowedOrigins', typeof allowed);
    const unknown = Object.keys(allowed).find((key) => key !== 'origins' && key !== 'appIds');
    if (unknown !== undefined) invalid('allowedOrigins', `unknown key ${unknown} (origins, appIds)`);
    this.origins = new Set(list('origins', allowed.origins).map(checkOrigin));
    this.appIds = new Set(list('appIds', allowed.appIds).map(checkAppId));
  }

  /**
   * Undefined when the upgrade's headers show an allowed page, else why not. A WeChat `Referer` decides by its app id;
   * otherwise `Origin` decides; a request with neither is refused.
   */
  refusal(headers: IncomingHttpHeaders): string | undefined {
    const wechat = WECHAT_REFERER.exec(headers.referer ?? '');
    if (wechat) return this.appIds.has(wechat[1] as string) ? undefined : `WeChat app id ${wechat[1]} is not allowed`;
    const origin = headers.origin;
    if (origin === undefined) return 'no Origin or WeChat Referer';
    return this.origins.has(serialised(origin) ?? '') ? undefined : `origin ${origin.slice(0, 100)} is not allowed`;
  }
}

function list(name: string, value: readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) invalid(`allowedOrigins.${name}`, typeof value);
  return value;
}

function checkOrigin(entry: unknown): string {
  const origin = typeof entry === 'string' ? serialised(entry) : undefined;
  if (origin === undefined || (!origin.startsWith('https://') && !origin.startsWith('http://'))) {
    invalid('allowedOrigins.origins', `${String(entry)} (scheme://host[:port], e.g. https://play.example.com)`);
  }
  return origin;
}

function checkAppId(entry: unknown): string {
  if (typeof entry !== 'string' || !APP_ID.test(entry)) invalid('allowedOrigins.appIds', `${String(entry)} (e.g. wx0123456789abcdef)`);
  return entry;
}

/** `scheme://host[:port]` as a browser writes it (lower case, no default port), or undefined for anything else. */
function serialised(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.origin !== 'null' && url.pathname === '/' && url.search === '' && url.hash === '' && !origin.endsWith('/') ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

function invalid(name: string, shown: string): never {
  throw new UsageError(UsageErrorCode.InvalidOption, `option ${name} is invalid: ${shown}`);
}
