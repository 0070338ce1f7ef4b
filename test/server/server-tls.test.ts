import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createServer, type ReferenceServer } from '../../server';
import { Channel } from '../../src/channel/channel';
import { TransportError } from '../../src/errors';
import type { Transport } from '../../src/transport/types';
import { webSocketTransport } from '../../src/transport/websocket';
import { wxTransport } from '../../src/transport/wx';
import { next, reach } from '../support/channel-helpers';
import { makeCertificates, type TestCertificates } from '../support/tls-certs';
import { createWxEmulator, type WxEmulator } from '../support/wx-emulator';

/*
 * A real `wss://` session against a server that serves TLS itself, with a throwaway CA made by openssl for this run:
 * over the `ws` package given that CA, and over the wx emulator whose trust store holds it. A client that does not
 * trust the certificate is refused with a TransportError naming the certificate problem, and never opens.
 */

let certs: TestCertificates;
let stranger: TestCertificates;
beforeAll(() => {
  certs = makeCertificates();
  // Another CA: a store that holds only it does not trust the server's certificate.
  stranger = makeCertificates();
});

/** A `ws` constructor that trusts `ca` only (Node's own store is replaced, as `ca` does). */
function trusting(ca: string | undefined): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string, protocols?: string[], options: WebSocket.ClientOptions = {}) {
      super(url, protocols, ca === undefined ? options : { ...options, ca });
    }
  } as typeof WebSocket;
}

type Kind = 'websocket' | 'wx';
const KINDS: Kind[] = ['websocket', 'wx'];

describe.each(KINDS)('wss:// over %s', (kind) => {
  let server: ReferenceServer;
  let url: string;
  let emulator: WxEmulator | undefined;
  let channel: Channel | undefined;

  beforeEach(async () => {
    server = createServer({ port: 0, tls: { cert: certs.cert, key: certs.key } });
    server.handle('add', (payload) => (payload as { a: number; b: number }).a + (payload as { a: number; b: number }).b);
    url = (await server.listen()).url;
  });
  afterEach(async () => {
    if (channel) await closeChannel(channel);
    channel = undefined;
    await emulator?.dispose();
    emulator = undefined;
    await server.close();
  });

  function transport(ca: string | undefined): Transport {
    if (kind === 'websocket') return webSocketTransport(trusting(ca));
    emulator = createWxEmulator({ trustedCertificates: ca === undefined ? [] : [ca] });
    return wxTransport(emulator);
  }

  it('the server says wss://, and a client trusting its CA runs a session over it', async () => {
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    channel = new Channel('chat', { url, transport: transport(certs.ca) });
    channel.connect();
    await reach(channel, 'open');
    await expect(channel.request('add', { a: 2, b: 3 })).resolves.toBe(5);
    const [connection] = [...server.connections.values()];
    expect(connection?.channel).toBe('chat');
  });

  it('a client that does not trust the certificate is refused with a TransportError naming the certificate problem', async () => {
    // websocket: Node's own trust store (no test CA in it); wx: a device whose store holds another CA.
    channel = new Channel('chat', { url, transport: transport(kind === 'wx' ? stranger.ca : undefined), random: () => 0.5 });
    const failed = next(channel, 'error');
    let opened = false;
    channel.on('open', () => (opened = true));
    channel.connect();
    const error = await failed;
    expect(error).toBeInstanceOf(TransportError);
    expect(error.message).toMatch(/certificate/i);
    expect(opened).toBe(false);
    expect(server.connections.size).toBe(0);
  });
});

async function closeChannel(channel: Channel): Promise<void> {
  if (channel.state === 'closed') return;
  const closed = reach(channel, 'closed');
  channel.close();
  await closed;
}

describe('attached to an https server', () => {
  it("serves wss:// on the application's TLS port and path", async () => {
    const app = createHttpsServer({ cert: certs.cert, key: certs.key }, (_req, res) => res.end('app'));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const server = createServer({ server: app, path: '/rt' });
    server.handle('add', (payload) => (payload as number[]).reduce((a, b) => a + b, 0));
    try {
      const { url } = await server.listen();
      expect(url).toBe(`wss://127.0.0.1:${(app.address() as AddressInfo).port}/rt`);
      const client = new Channel('chat', { url, transport: webSocketTransport(trusting(certs.ca)) });
      client.connect();
      await reach(client, 'open');
      await expect(client.request('add', [4, 5])).resolves.toBe(9);
      await closeChannel(client);
      expect(app.listening).toBe(true);
    } finally {
      await server.close();
      await new Promise<void>((resolve) => app.close(() => resolve()));
    }
  });
});
