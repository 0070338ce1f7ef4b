import { ROOT } from '../support/paths';
import { join } from 'path';
import { createServer, installChat, type ReferenceServer } from '../../server';
import type { Channel } from '../../src';
import { type ChatChannel, type ChatMessage } from '../../channels';
import { next, reach } from '../support/channel-helpers';
import { createDeviceSandbox } from '../support/device-sandbox';
import { untilOpen } from '../support/drive';
import { ManualClock } from '../support/manual-clock';
import { createWxEmulator, type WxEmulator } from '../support/wx-emulator';

/*
 * The recovery paths, through the shipped single-file bundle on a "device" (test/package/bundle-sandbox.test.ts has the happy
 * path). The bundle is minified twice and its private member names are shortened (scripts/private-names.ts), so what
 * the source passes can still break there: a dropped connection that resumes, a background cut that suspends and
 * resumes, and a lost session whose kept RELIABLE frames are renumbered and sent again.
 */
const bundleFile = join(ROOT, 'dist', 'multisocket.min.js');
type Bundle = typeof import('../../src') & typeof import('../../channels');
const ROOM = 3;

/** `promise`, with its rejection observed now: a test that fails before awaiting it must not crash the worker. */
function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

describe('dist/multisocket.min.js recovering on a device', () => {
  let server: ReferenceServer;
  let emulator: WxEmulator;
  let device: InstanceType<Bundle['ConnectionManager']> | undefined;
  const clock = new ManualClock();

  afterEach(async () => {
    const channels = device ? device.names.map((name) => device?.get(name) as unknown as Channel) : [];
    const closed = channels.map((channel) => reach(channel, 'closed'));
    device?.close();
    clock.advance(10_000); // a close on a socket that never answers ends at its deadline
    await Promise.all(closed);
    await emulator?.dispose();
    await server?.close();
  });

  it('resumes after a dropped connection and after the background cut, and re-sends what a lost session kept', async () => {
    server = createServer({ port: 0 });
    installChat(server);
    const { port } = await server.listen();
    const bundle = createDeviceSandbox().require(bundleFile) as Bundle;
    emulator = createWxEmulator({ clock });
    device = new bundle.ConnectionManager({ transport: bundle.wxTransport(emulator), lifecycle: bundle.wxLifecycle(emulator), clock, random: () => 0 });
    const chat = bundle.chatChannel({ manager: device, url: `wss://127.0.0.1:${port}/ws` }) as unknown as ChatChannel;
    const channel = chat.channel;
    const received: unknown[] = [];
    chat.onMessage(ROOM, (m: ChatMessage) => received.push(m.body));
    await untilOpen(channel, clock);
    await chat.join(ROOM);

    // 1. The connection dropped: the session resumes, and a say made meanwhile arrives once.
    const resumed = next(channel, 'open');
    const dropped = next(channel, 'reconnecting');
    emulator.dropConnection();
    await dropped;
    const duringDrop = observed(chat.say(ROOM, 'said while reconnecting'));
    await untilOpen(channel, clock);
    expect((await resumed).resumed).toBe(true);
    await duringDrop;

    // 2. Hidden past the platform's 5 s cut: suspended without spending attempts, then back on show.
    const suspended = next(channel, 'state', (s) => s.next === 'suspended');
    emulator.hide();
    clock.advance(5_000);
    await suspended;
    emulator.show();
    await untilOpen(channel, clock);
    await chat.say(ROOM, 'said after the background');

    // 3. The server restarted with nothing kept: a new session, in which the says kept meanwhile (renumbered) arrive.
    const gone = next(channel, 'reconnecting');
    await server.close({ keepSessions: false });
    await gone;
    const lost = next(channel, 'resync');
    const whileAway = [observed(chat.say(ROOM, 'kept 1')), observed(chat.say(ROOM, 'kept 2'))];
    server = createServer({ port });
    installChat(server);
    await server.listen();
    const resynced = new Promise((resolve) => chat.on('resynced', resolve));
    await untilOpen(channel, clock);
    await lost;
    await resynced;
    await Promise.all(whileAway);
    expect((await chat.history(ROOM)).map((m) => m.body)).toEqual(['kept 1', 'kept 2']);

    expect(received).toEqual(['said while reconnecting', 'said after the background', 'kept 1', 'kept 2']);
    expect(channel.stats().reconnects).toBe(3);
    expect(emulator.uncaughtErrors).toEqual([]);
  });
});
