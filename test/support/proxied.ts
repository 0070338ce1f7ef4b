import { Channel } from '../../src/channel/channel';
import type { ChannelOptions } from '../../src/channel/options';
import { reach } from './channel-helpers';
import { type FaultProxy, startFaultProxy } from './fault-proxy';
import { type Harness, startHarness, type TransportKind } from './harness';

/** A harness, a fault proxy in front of its server, and a channel `chat` connected through the proxy. */
export interface Proxied {
  readonly h: Harness;
  readonly proxy: FaultProxy;
  readonly channel: Channel;
}

/**
 * Starts a harness and a fault proxy, and opens a channel through it (on the harness's manual clock, `random` fixed at
 * 0.5 so backoff is exact). `wire` runs before the channel connects, to subscribe before anything can arrive.
 */
export async function openThroughProxy(
  kind: TransportKind,
  options: Readonly<Partial<ChannelOptions>> = {},
  wire: (parts: Proxied) => void = () => undefined,
): Promise<Proxied> {
  const h = await startHarness(kind);
  const proxy = await startFaultProxy({ targetPort: (h.server.address as { port: number }).port });
  const channel = new Channel('chat', { url: proxy.url(h.url), transport: h.transport, clock: h.clock, random: () => 0.5, ...options });
  const parts = { h, proxy, channel };
  wire(parts);
  channel.connect();
  await reach(channel, 'open');
  return parts;
}

/** Closes what {@link openThroughProxy} opened: the channel, then the proxy, then the harness. */
export async function closeProxied({ h, proxy, channel }: Proxied): Promise<void> {
  channel.close();
  await proxy.close();
  await h.close();
}
