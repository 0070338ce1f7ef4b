import { BlockList, isIP } from 'node:net';
import { UsageErrorCode } from '../../src/codes';
import { UsageError } from '../../src/errors';

/*
 * Behind a reverse proxy every socket comes from the proxy's address, so the per-address limit would count all the
 * proxy's clients as one. `X-Forwarded-For` names them, but anyone can send that header: it is believed only from the
 * proxies the operator lists (`trustProxy`), and only up to the first hop that is not one of them, read from the
 * right. Each proxy appends the address it saw, so that rightmost untrusted hop is the one no client can forge.
 */

/** The proxies whose `X-Forwarded-For` is believed (the `trustProxy` server option, resolved). */
export class TrustedProxies {
  private readonly list = new BlockList();

  /**
   * @param entries IP addresses (`127.0.0.1`, `::1`) and CIDR ranges (`10.0.0.0/8`, `fd00::/8`).
   * @throws {UsageError} `invalid_option` naming the first entry that is neither.
   */
  constructor(readonly entries: readonly string[]) {
    if (!Array.isArray(entries)) invalid(entries);
    for (const entry of entries) {
      if (typeof entry !== 'string') invalid(entry);
      const [address = '', prefix, extra] = entry.split('/');
      const family = isIP(address);
      if (family === 0 || extra !== undefined) invalid(entry);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) {
        this.list.addAddress(address, type);
        continue;
      }
      const bits = Number(prefix);
      if (!/^\d{1,3}$/.test(prefix) || bits > (family === 4 ? 32 : 128)) invalid(entry);
      this.list.addSubnet(address, bits, type);
    }
  }

  /** Whether `address` is one of the proxies. */
  trusts(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The client's address: the socket's own (`peer`) unless it is a trusted proxy; then the rightmost hop of
   * `X-Forwarded-For` (`forwardedFor`, every such header in order) that is not a trusted proxy, or the leftmost if all
   * are. A hop that is not an IP address ends the walk: the trusted hop to its right counts.
   */
  clientAddress(peer: string, forwardedFor: string | readonly string[] | undefined): string {
    let address = unmapped(peer);
    if (forwardedFor === undefined || !this.trusts(address)) return address;
    const hops = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',')).split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = unmapped((hops[i] as string).trim());
      if (hop === '') continue;
      if (isIP(hop) === 0) return address;
      address = hop;
      if (!this.trusts(hop)) return hop;
    }
    return address;
  }
}

/** An IPv4 address a dual-stack socket reports as IPv6 (`::ffff:10.0.0.1`), as IPv4, so that one list covers both. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function invalid(entry: unknown): never {
  const shown = typeof entry === 'string' ? `"${entry}"` : typeof entry;
  throw new UsageError(UsageErrorCode.InvalidOption, `option trustProxy is invalid: ${shown} (an IP address or CIDR range, e.g. "10.0.0.0/8")`);
}
