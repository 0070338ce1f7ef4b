import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { next, reach } from '../../support/channel-helpers';
import { channelSuite } from '../../support/channels';
import { TRANSPORT_KINDS } from '../../support/harness';

/*
 * A channel whose URL leads nowhere useful keeps retrying (a deploy, a proxy whose upstream restarts, a token the next
 * getToken renews: each of these heals), but it says why it is not open: every `reconnecting` event carries the last
 * attempt's error, and `lastError` / `stats().lastError` hold it until a WELCOME opens the channel.
 */

/** A port on 127.0.0.1 that nothing listens on: taken from the OS, then released. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A real `ws` server that refuses every upgrade with HTTP 403. */
async function refusingServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', verifyClient: (_info, done) => done(false, 403, 'Forbidden') });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  return { port: (wss.address() as AddressInfo).port, close: () => new Promise((resolve) => wss.close(() => resolve())) };
}

/** A plain HTTP server (no upgrade handler: Node answers an upgrade request as any other) that answers 404. */
async function plainHttpServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(404).end('not found'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe.each(TRANSPORT_KINDS)('a channel that never connected, over %s', (kind) => {
  const { h, make } = channelSuite(kind, 'game', { random: () => 0 });
  const scheme = kind !== 'websocket' ? 'wss' : 'ws';
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  /** Connects to `url` and returns the first `reconnecting` event, having checked lastError and stats agree with it. */
  async function firstFailure(url: string) {
    const channel = make({ url });
    expect(channel.lastError).toBeUndefined();
    const lost = next(channel, 'reconnecting');
    channel.connect();
    const event = await lost;
    expect(event.reason).toBe('socket_error');
    expect(channel.lastError).toBe(event.error);
    expect(channel.stats().lastError).toEqual({ code: event.error.code, message: event.error.message, at: h.clock.now() });
    return event.error;
  }

  it('says the connection was refused when nothing listens on the port', async () => {
    const error = await firstFailure(`${scheme}://127.0.0.1:${await deadPort()}/ws`);
    expect(error).toMatchObject({ name: 'TransportError', code: 'socket_error', message: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('says the upgrade was refused with 403', async () => {
    const server = await refusingServer();
    closers.push(server.close);
    const error = await firstFailure(`${scheme}://127.0.0.1:${server.port}/ws`);
    expect(error).toMatchObject({ name: 'TransportError', code: 'socket_error', message: expect.stringMatching(/^socket error: .*Unexpected server response: 403/) });
  });

  it('says what a plain HTTP server answered (404)', async () => {
    const server = await plainHttpServer();
    closers.push(server.close);
    const error = await firstFailure(`${scheme}://127.0.0.1:${server.port}/ws`);
    expect(error).toMatchObject({ name: 'TransportError', code: 'socket_error', message: expect.stringMatching(/^socket error: .*Unexpected server response: 404/) });
  });

  it('clears lastError when a WELCOME opens the channel, and keeps the one that ended it', async () => {
    let calls = 0;
    const channel = make({
      getToken: () => {
        if (++calls === 1) throw new Error('token service down');
        return 'token';
      },
    });
    const lost = next(channel, 'reconnecting');
    channel.connect();
    expect((await lost).error).toMatchObject({ code: 'connect_refused', message: 'getToken failed: token service down' });
    expect(channel.lastError?.message).toBe('getToken failed: token service down');
    const opened = reach(channel, 'open');
    h.clock.advance(0);
    await opened;
    expect(channel.lastError).toBeUndefined();
    expect(channel.stats().lastError).toBeUndefined();
    // A terminal BYE ends the channel; lastError keeps saying why.
    h.server.on('kick', (_payload, ctx) => ctx.connection.close(4101, 'banned'));
    const closed = reach(channel, 'closed');
    channel.send('kick');
    await closed;
    expect(channel.lastError).toMatchObject({ code: 'disconnected', closeCode: 4101, closeReason: 'banned' });
    expect(channel.stats().lastError).toMatchObject({ code: 'disconnected', closeCode: 4101, closeReason: 'banned', message: 'the server said BYE with 4101: banned' });
  });
});
