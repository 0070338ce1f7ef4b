/*
 * First frame after a reconnect (`ratios.reconnectFirstFrameRoundTrips`, `reconnectFirstFrameVsWelcomeWait`): a game
 * channel loses its connection, the player sends an input while it reconnects, and this measures the time from the new
 * socket's open to the input's echo, through the fault proxy at 100 ms each way (a 200 ms round trip). Early frames
 * (PROTOCOL.md section 3) send the input right behind HELLO: one round trip. The reference row is the same client and
 * server with early frames off (`maxEarlyBytes: 0`), which waits for WELCOME first: two round trips. Both run in the
 * same rounds, alternately; the round trip itself is measured by a PING on the same path.
 */
import WebSocket from 'ws';
import { createServer, type ReferenceServer } from '../server';
import { Channel } from '../src/channel/channel';
import { webSocketTransport } from '../src/transport/websocket';
import { type FaultProxy, startFaultProxy } from '../test/support/fault-proxy';
import { atMost, median, rowOf } from './measure';
import type { Suite } from './types';

const LATENCY_MS = 100;

interface Setup {
  readonly server: ReferenceServer;
  readonly proxy: FaultProxy;
  readonly channel: Channel;
}

/** Resolves with the first value `subscribe` hands its callback, and unsubscribes. */
function once<T>(subscribe: (done: (value: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const undo = subscribe((value) => {
      undo();
      resolve(value);
    });
  });
}

async function startSetup(maxEarlyBytes: number | undefined): Promise<Setup> {
  const server = createServer({ port: 0, ...(maxEarlyBytes === undefined ? {} : { maxEarlyBytes }) });
  server.on('input', (payload, ctx) => void ctx.connection.push('echo', payload));
  const { port, url } = await server.listen();
  const proxy = await startFaultProxy({ targetPort: port });
  proxy.latency(LATENCY_MS);
  // random 0: the reconnect starts at once, so the socket's open is where the measured time begins.
  const channel = new Channel('game', { url: proxy.url(`${url}/ws`), transport: webSocketTransport(WebSocket), random: () => 0 });
  const opened = once((done) => channel.on('open', () => done(undefined)));
  channel.connect();
  await opened;
  return { server, proxy, channel };
}

/** One reconnect: the round trip (a PING), then ms from the new socket's open to the echo of an input sent while down. */
async function reconnect(setup: Setup, round: number): Promise<{ rtt: number; firstFrame: number }> {
  const { channel, proxy } = setup;
  const pong = once<number>((done) => channel.on('pong', ({ rtt }) => done(rtt)));
  channel.probe();
  const rtt = await pong;
  let openedAt = 0;
  const undoState = channel.on('state', ({ next }) => {
    if (next === 'handshaking') openedAt = performance.now();
  });
  const undoLost = channel.on('reconnecting', () => channel.send('input', round));
  const echoed = once<number>((done) => channel.subscribe('echo', () => done(performance.now())));
  const reopened = once((done) => channel.on('open', () => done(undefined)));
  proxy.reset();
  const at = await echoed;
  await reopened;
  undoState();
  undoLost();
  return { rtt, firstFrame: at - openedAt };
}

export const suite: Suite = async ({ quick }) => {
  const rounds = quick ? 5 : 15;
  const setups: Setup[] = [];
  try {
    setups.push(await startSetup(undefined), await startSetup(0));
    const [early, waiting] = setups as [Setup, Setup];
    await reconnect(early, -1);
    await reconnect(waiting, -1);
    const earlyMs: number[] = [];
    const waitingMs: number[] = [];
    const rtts: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const a = await reconnect(early, r);
      const b = await reconnect(waiting, r);
      earlyMs.push(a.firstFrame);
      waitingMs.push(b.firstFrame);
      rtts.push(a.rtt, b.rtt);
    }
    const roundTrips = median(earlyMs) / median(rtts);
    const vsWait = median(earlyMs) / median(waitingMs);
    return {
      name: 'reconnect-first-frame',
      title: `First frame after a reconnect (socket open to the echo of an input sent while down; ${LATENCY_MS} ms each way)`,
      rows: [
        rowOf('round trip through the proxy (PING to PONG)', rtts, 'ms'),
        rowOf('multisocket, early frames (the input right behind HELLO)', earlyMs, 'ms'),
        rowOf('multisocket, early frames off (maxEarlyBytes 0: the input after WELCOME), reference', waitingMs, 'ms'),
      ],
      ratios: { reconnectFirstFrameRoundTrips: roundTrips, reconnectFirstFrameVsWelcomeWait: vsWait },
      goals: { reconnectFirstFrameRoundTrips: atMost(roundTrips, 1.1), reconnectFirstFrameVsWelcomeWait: atMost(vsWait, 0.6) },
      rounds,
    };
  } finally {
    for (const { channel, proxy, server } of setups) {
      channel.close();
      await proxy.close();
      await server.close();
    }
  }
};
