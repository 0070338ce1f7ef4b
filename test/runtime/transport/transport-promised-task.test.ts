import { wxTransport, type WxSocketApi } from '../../../src/transport/wx';
import { ConnectionManager } from '../../../src/manager';
import { next, reach } from '../../support/channel-helpers';
import { Inbox } from '../../support/echo-server';
import { startHarness, type Harness } from '../../support/harness';
import { watchSocket } from '../../support/socket-events';
import type { EmulatorConnectOption } from '../../support/wx-emulator';

// Taro's `Taro.connectSocket` (and uni-app's in some builds) returns a Promise of the SocketTask: wxTransport takes the
// task when it arrives, with the same rules as a task returned at once (a close asked for meanwhile is kept).

let h: Harness;
beforeEach(async () => {
  h = await startHarness('wx');
});
afterEach(async () => {
  await h.close();
});

/** Taro's shape over the emulator: the task is handed over when `handOver` says so. */
function taro(handOver: Inbox<true> | undefined = undefined): WxSocketApi {
  const emulator = h.emulator!;
  return {
    connectSocket: async (option) => {
      const task = emulator.connectSocket(option as EmulatorConnectOption);
      if (handOver) await handOver.next();
      return task;
    },
  } as WxSocketApi;
}

it('a channel opens, talks and resumes over a promised SocketTask', async () => {
  const manager = new ConnectionManager({ transport: wxTransport(taro()), clock: h.clock });
  try {
    const channel = manager.open('game', { url: h.url });
    await reach(channel, 'open');
    const pushed = channel.waitFor('echoed');
    h.server.on('echo', (payload, ctx) => {
      ctx.connection.push('echoed', payload);
    });
    channel.send('echo', '你好');
    expect(await pushed).toBe('你好');
    const session = channel.session;
    const reconnecting = next(channel, 'reconnecting');
    h.drop();
    h.clock.advance((await reconnecting).delayMs);
    await reach(channel, 'open');
    expect(channel.session).toBe(session);
  } finally {
    manager.close();
  }
});

it('a close asked for before the task arrives closes it as soon as it opens, and frees its slot', async () => {
  const handOver = new Inbox<true>();
  const socket = wxTransport(taro(handOver)).connect({ url: h.url });
  const events = watchSocket(socket);
  socket.close({ code: 1000, reason: 'never mind' });
  handOver.push(true);
  const closed = await events.closes.next();
  expect(closed.code).toBe(1000);
  expect(events.opens.unread).toHaveLength(0);
  expect(h.emulator!.liveTasks).toBe(0);
});

it('a rejected promise is a refused connect: an error, then a close 1006', async () => {
  const socket = wxTransport({ connectSocket: () => Promise.reject(new Error('request:fail invalid url')) } as WxSocketApi).connect({ url: h.url });
  const events = watchSocket(socket);
  expect(await events.errors.next()).toBe('connectSocket:fail request:fail invalid url');
  expect((await events.closes.next()).code).toBe(1006);
});
