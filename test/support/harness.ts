import WebSocket from 'ws';
import { createServer, type ReferenceServer, type ServerOptions } from '../../server';
import type { Lifecycle } from '../../src/transport/lifecycle';
import { wxLifecycle } from '../../src/transport/lifecycle';
import type { Transport } from '../../src/transport/types';
import { webSocketTransport } from '../../src/transport/websocket';
import { wxTransport } from '../../src/transport/wx';
import { alipayTransport } from '../../src/transport/alipay';
import { createMyEmulator } from '../../emulator/my-emulator';
import { ManualClock } from './manual-clock';
import { createWxEmulator, type WxEmulator, type WxEmulatorOptions } from './wx-emulator';

/**
 * The ways the runtime reaches a socket; every integration test runs on each: WeChat's SocketTask (the wx emulator),
 * a standard WebSocket, and Alipay's `my` in its older shape (base64 binary, nested messages) over the wx emulator.
 */
export type TransportKind = 'wx' | 'websocket' | 'my';
export const TRANSPORT_KINDS: TransportKind[] = ['wx', 'websocket', 'my'];

/** A lifecycle a test drives by hand, for transports that have no platform lifecycle (browsers, Node). */
export class ManualLifecycle implements Lifecycle {
  private readonly hide = new Set<() => void>();
  private readonly show = new Set<() => void>();
  private readonly network = new Set<(online: boolean) => void>();

  onHide(listener: () => void): () => void {
    this.hide.add(listener);
    return () => this.hide.delete(listener);
  }
  onShow(listener: () => void): () => void {
    this.show.add(listener);
    return () => this.show.delete(listener);
  }
  onNetworkChange(listener: (online: boolean) => void): () => void {
    this.network.add(listener);
    return () => this.network.delete(listener);
  }
  fireHide(): void {
    for (const l of [...this.hide]) l();
  }
  fireShow(): void {
    for (const l of [...this.show]) l();
  }
  fireNetwork(online: boolean): void {
    for (const l of [...this.network]) l(online);
  }
  get listeners(): number {
    return this.hide.size + this.show.size + this.network.size;
  }
}

/**
 * A real reference server on 127.0.0.1 and a transport of the given kind pointed at it, with the runtime's clock
 * manual (sockets still run on real time) and hooks to misbehave at the client's edge.
 */
export interface Harness {
  readonly kind: TransportKind;
  readonly server: ReferenceServer;
  readonly clock: ManualClock;
  readonly transport: Transport;
  /** The URL a channel should use: `wss://` for the emulator (as on a device), `ws://` otherwise. */
  readonly url: string;
  /** The emulator, for `wx`. */
  readonly emulator: WxEmulator | undefined;
  /** wxLifecycle(emulator) for `wx`, a ManualLifecycle otherwise. */
  readonly lifecycle: Lifecycle;
  /** Half-open every client socket: nothing is delivered either way and nothing closes. */
  silence(): void;
  /** Drop every client connection without a close frame. */
  drop(): void;
  /** Client sockets the transport created (live or not). */
  readonly sockets: number;
  /** Hide / show the app; network down / up. */
  hide(): void;
  show(): void;
  networkDown(): void;
  networkUp(): void;
  close(): Promise<void>;
}

/** Starts a server (port 0) and a transport of `kind`; `close()` releases both. */
export async function startHarness(
  kind: TransportKind,
  serverOptions: Readonly<Partial<ServerOptions>> = {},
  emulatorOptions: Readonly<Partial<WxEmulatorOptions>> = {},
): Promise<Harness> {
  const clock = new ManualClock();
  const server = createServer({ port: 0, ...serverOptions });
  const address = await server.listen();
  if (kind === 'wx' || kind === 'my') {
    const emulator = createWxEmulator({ clock, ...emulatorOptions });
    const my = createMyEmulator(emulator, { binary: 'base64', nested: true });
    return {
      kind,
      server,
      clock,
      emulator,
      transport: kind === 'wx' ? wxTransport(emulator) : alipayTransport(my, { binary: 'base64' }),
      url: `wss://127.0.0.1:${address.port}/ws`,
      lifecycle: wxLifecycle(kind === 'wx' ? emulator : my),
      silence: () => emulator.blackhole(),
      drop: () => emulator.dropConnection(),
      get sockets() {
        return emulator.tasks.length;
      },
      hide: () => emulator.hide(),
      show: () => emulator.show(),
      networkDown: () => emulator.cutNetwork(),
      networkUp: () => emulator.restoreNetwork(),
      close: async () => {
        await emulator.dispose();
        await server.close();
      },
    };
  }
  const created: WebSocket[] = [];
  class TrackedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      created.push(this);
    }
  }
  const lifecycle = new ManualLifecycle();
  return {
    kind,
    server,
    clock,
    emulator: undefined,
    transport: webSocketTransport(TrackedWebSocket),
    url: address.url + '/ws',
    lifecycle,
    // ws's pause() stops reading the socket: PONGs and pushes stay unread and nothing closes, as on a half-open link.
    silence: () => created.forEach((ws) => ws.pause()),
    drop: () => created.forEach((ws) => ws.terminate()),
    get sockets() {
      return created.length;
    },
    hide: () => lifecycle.fireHide(),
    show: () => lifecycle.fireShow(),
    networkDown: () => {
      lifecycle.fireNetwork(false);
      created.forEach((ws) => ws.terminate());
    },
    networkUp: () => lifecycle.fireNetwork(true),
    close: async () => {
      created.forEach((ws) => ws.terminate());
      await server.close();
    },
  };
}
