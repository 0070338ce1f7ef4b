import { Inbox, startEchoServer, startSilentServer, type EchoServer, type SilentServer } from '../../support/echo-server';
import { ManualClock } from '../../support/manual-clock';
import { createWxEmulator, type EmulatedSocketTask, type WxEmulator } from '../../support/wx-emulator';

/** A task's events as inboxes, so tests wait on them instead of sleeping. */
function watch(task: EmulatedSocketTask) {
  const events = {
    opens: new Inbox<{ header: Record<string, unknown> }>(),
    messages: new Inbox<string | ArrayBuffer>(),
    errors: new Inbox<string>(),
    closes: new Inbox<{ code: number; reason: string }>(),
  };
  task.onOpen((r) => events.opens.push(r));
  task.onMessage((r) => events.messages.push(r.data));
  task.onError((r) => events.errors.push(r.errMsg));
  task.onClose((r) => events.closes.push(r));
  return events;
}

function callback<T = { errMsg: string }>(): { fn: (r: T) => void; result: Promise<T> } {
  let fn!: (r: T) => void;
  const result = new Promise<T>((resolve) => (fn = resolve));
  return { fn, result };
}

function tag(value: unknown): string {
  return Object.prototype.toString.call(value);
}

let server: EchoServer;
let silent: SilentServer | undefined;
let clock: ManualClock;
let wx: WxEmulator;

beforeEach(async () => {
  server = await startEchoServer();
  clock = new ManualClock();
  wx = createWxEmulator({ clock });
});

afterEach(async () => {
  await wx.dispose();
  await server.close();
  await silent?.close();
  silent = undefined;
});

async function openTask(url = server.secureUrl): Promise<{ task: EmulatedSocketTask; events: ReturnType<typeof watch> }> {
  const task = wx.connectSocket({ url });
  const events = watch(task);
  await events.opens.next();
  return { task, events };
}

describe('wx emulator: real sockets', () => {
  test('a task opens a real connection, sends the fixed Referer, and round-trips binary as an exact ArrayBuffer and text as a string', async () => {
    const task = wx.connectSocket({ url: server.secureUrl, header: { 'X-App': 'game', referer: 'https://evil' }, protocols: ['ms1'] });
    const events = watch(task);
    const accepted = await server.connections.next();
    expect(accepted.headers['x-app']).toBe('game');
    expect(accepted.headers.referer).toMatch(/^https:\/\/servicewechat\.com\//);
    expect(accepted.protocol).toBe('ms1');
    await events.opens.next();
    task.send({ data: new Uint8Array([1, 2, 3]).buffer });
    task.send({ data: 'hello' });
    const binary = await events.messages.next();
    expect(tag(binary)).toBe('[object ArrayBuffer]');
    expect([...new Uint8Array(binary as ArrayBuffer)]).toEqual([1, 2, 3]);
    expect(await events.messages.next()).toBe('hello');
    expect(wx.connectCalls[0]?.protocols).toEqual(['ms1']);
    expect(wx.sentCount).toBe(2);
  });

  test('a task is listener-only, like a SocketTask: no off*, no readyState', () => {
    const task = wx.connectSocket({ url: server.secureUrl });
    expect(Object.keys(task).sort()).toEqual(['close', 'onClose', 'onError', 'onMessage', 'onOpen', 'send']);
    expect('readyState' in task).toBe(false);
  });

  test('the sixth live task is refused with the device errMsg through fail, onError and onClose', async () => {
    const opens = await Promise.all([1, 2, 3, 4, 5].map(() => openTask()));
    expect(opens).toHaveLength(5);
    const fail = callback();
    const sixth = wx.connectSocket({ url: server.secureUrl, fail: fail.fn });
    const events = watch(sixth);
    expect((await fail.result).errMsg).toMatch(/^createSocketTask:fail wcwss taskID=6 exceed max concurrent count$/);
    expect(await events.errors.next()).toMatch(/exceed max concurrent count/);
    expect((await events.closes.next()).code).toBe(1006);
    expect(wx.liveTasks).toBe(5);
  });

  test('a closed task frees its slot', async () => {
    const small = createWxEmulator({ clock, maxSockets: 1 });
    try {
      const first = small.connectSocket({ url: server.secureUrl });
      const events = watch(first);
      await events.opens.next();
      first.close({});
      await events.closes.next();
      const second = watch(small.connectSocket({ url: server.secureUrl }));
      await second.opens.next();
      expect(small.liveTasks).toBe(1);
    } finally {
      await small.dispose();
    }
  });

  test('close() before onOpen is ignored: the socket still opens and stays open', async () => {
    const task = wx.connectSocket({ url: server.secureUrl });
    const events = watch(task);
    const closed = callback();
    task.close({ code: 1000, success: closed.fn });
    await closed.result;
    await events.opens.next();
    task.send({ data: 'still here' });
    expect(await events.messages.next()).toBe('still here');
    expect(wx.liveTasks).toBe(1);
  });

  test('ws:// is refused as not in the domain list unless devMode', async () => {
    const fail = callback();
    const events = watch(wx.connectSocket({ url: server.url, fail: fail.fn }));
    expect((await fail.result).errMsg).toBe('createSocketTask:fail url not in domain list');
    expect(await events.errors.next()).toBe('createSocketTask:fail url not in domain list');
    const dev = createWxEmulator({ clock, devMode: true });
    try {
      await watch(dev.connectSocket({ url: server.url })).opens.next();
    } finally {
      await dev.dispose();
    }
  });

  test('sending a Uint8Array (or any view) fails through the send fail callback and reaches no server', async () => {
    const { task } = await openTask();
    const fail = callback();
    task.send({ data: new Uint8Array([1, 2]) as unknown as ArrayBuffer, fail: fail.fn });
    expect((await fail.result).errMsg).toMatch(/^sendSocketMessage:fail parameter error/);
    expect(wx.sentBy(task)).toEqual([]);
  });

  test('sending before onOpen and after close fails with "WebSocket is not connected"', async () => {
    const task = wx.connectSocket({ url: server.secureUrl });
    const events = watch(task);
    const early = callback();
    task.send({ data: 'early', fail: early.fn });
    expect((await early.result).errMsg).toBe('sendSocketMessage:fail WebSocket is not connected');
    await events.opens.next();
    task.close({ code: 1000 });
    await events.closes.next();
    const late = callback();
    task.send({ data: 'late', fail: late.fn });
    expect((await late.result).errMsg).toBe('sendSocketMessage:fail WebSocket is not connected');
    expect(wx.sentCount).toBe(0);
  });

  test('a connect that never completes times out after 60 s on the injected clock, even when asked for more', async () => {
    silent = await startSilentServer();
    const events = watch(wx.connectSocket({ url: silent.secureUrl, timeout: 120_000 }));
    clock.advance(59_999);
    expect(wx.liveTasks).toBe(1);
    clock.advance(1);
    expect(wx.liveTasks).toBe(0);
    expect(await events.errors.next()).toBe('Timed out connecting to server.');
    expect((await events.closes.next()).code).toBe(1006);
  });

  test('a per-call timeout shorter than 60 s is honoured', async () => {
    silent = await startSilentServer();
    const events = watch(wx.connectSocket({ url: silent.secureUrl, timeout: 3000 }));
    clock.advance(3000);
    expect(await events.errors.next()).toMatch(/Timed out/);
  });

  test('close codes other than 1000 or 3000–4999 are refused through fail; a valid one reaches the server', async () => {
    const { task, events } = await openTask();
    for (const code of [1001, 2999, 5000]) {
      const fail = callback();
      task.close({ code, fail: fail.fn });
      expect((await fail.result).errMsg).toBe('fail:The code must be either 1000, or between 3000 and 4999');
    }
    task.close({ code: 4000, reason: 'bye' });
    const seen = await server.closes.next();
    expect([seen.code, seen.reason]).toEqual([4000, 'bye']);
    expect(await events.closes.next()).toEqual({ code: 4000, reason: 'bye' });
  });

  test('close() without an option object throws, as the platform typings forbid it', async () => {
    const { task } = await openTask();
    expect(() => (task.close as (option?: object) => void)()).toThrow(TypeError);
  });
});

describe('wx emulator: lifecycle and network hooks', () => {
  test('hide() fires onAppHide and onHide, and 5 s later every socket closes with 1000 "interrupted"', async () => {
    const { events } = await openTask();
    const hides: string[] = [];
    wx.onAppHide(() => hides.push('app'));
    wx.onHide(() => hides.push('game'));
    wx.hide();
    expect(hides).toEqual(['app', 'game']);
    clock.advance(4999);
    expect(wx.liveTasks).toBe(1);
    clock.advance(1);
    expect(await events.closes.next()).toEqual({ code: 1000, reason: 'interrupted' });
    expect((await server.closes.next()).code).toBe(1006);
    expect(wx.suspended).toBe(true);
  });

  test('while suspended, connectSocket and send fail with runningState=suspend', async () => {
    const { task } = await openTask();
    wx.hide();
    clock.advance(5000);
    const connectFail = callback();
    wx.connectSocket({ url: server.secureUrl, fail: connectFail.fn });
    expect((await connectFail.result).errMsg).toMatch(/runningState=suspend.*network api interrupted in suspend state/);
    const sendFail = callback();
    task.send({ data: 'x', fail: sendFail.fn });
    expect((await sendFail.result).errMsg).toMatch(/^sendSocketMessage:fail .*runningState=suspend/);
  });

  test('show() within 5 s cancels the cut and fires onAppShow and onShow', async () => {
    const { task, events } = await openTask();
    const shows: string[] = [];
    wx.onAppShow(() => shows.push('app'));
    wx.onShow(() => shows.push('game'));
    wx.hide();
    clock.advance(4000);
    wx.show();
    clock.advance(60_000);
    expect(shows).toEqual(['app', 'game']);
    expect(clock.pending).toBe(0);
    task.send({ data: 'alive' });
    expect(await events.messages.next()).toBe('alive');
  });

  test('cutNetwork() reports the loss, drops every socket with only onClose 1006, and refuses new connects until restored', async () => {
    const { events } = await openTask();
    const statuses: Array<{ isConnected: boolean; networkType: string }> = [];
    wx.onNetworkStatusChange((r: { isConnected: boolean; networkType: string }) => statuses.push(r));
    wx.cutNetwork();
    expect(await events.closes.next()).toEqual({ code: 1006, reason: '' });
    expect(events.errors.unread).toEqual([]);
    await server.closes.next();
    const type = callback<{ networkType: string }>();
    wx.getNetworkType({ success: type.fn });
    expect((await type.result).networkType).toBe('none');
    const fail = callback();
    wx.connectSocket({ url: server.secureUrl, fail: fail.fn });
    expect((await fail.result).errMsg).toMatch(/^createSocketTask:fail network/);
    wx.restoreNetwork();
    expect(statuses).toEqual([
      { isConnected: false, networkType: 'none' },
      { isConnected: true, networkType: 'wifi' },
    ]);
    await openTask();
  });

  test('dropConnection() kills the TCP connection without a close frame: onClose 1006, no onError', async () => {
    const { task, events } = await openTask();
    const other = await openTask();
    wx.dropConnection(task);
    expect(await events.closes.next()).toEqual({ code: 1006, reason: '' });
    expect((await server.closes.next()).code).toBe(1006);
    expect(events.errors.unread).toEqual([]);
    expect(wx.liveTasks).toBe(1);
    other.task.send({ data: 'unaffected' });
    expect(await other.events.messages.next()).toBe('unaffected');
  });

  test('blackhole() makes a task half-open: its sends "succeed" but never arrive, nothing arrives, nothing closes', async () => {
    const hole = await openTask();
    const control = await openTask();
    const [holeServer, controlServer] = [await server.connections.next(), await server.connections.next()];
    wx.blackhole(hole.task);
    const sent = callback();
    hole.task.send({ data: 'lost', success: sent.fn });
    await sent.result;
    holeServer.connection.send('unseen');
    holeServer.connection.close(4000, 'server closing');
    // The control connection proves time passed and traffic flowed while the blackholed task heard nothing.
    control.task.send({ data: 'marker' });
    expect((await server.received.next()).data).toBe('marker');
    expect(await control.events.messages.next()).toBe('marker');
    controlServer.connection.send('second');
    expect(await control.events.messages.next()).toBe('second');
    expect(hole.events.messages.unread).toEqual([]);
    expect(hole.events.closes.unread).toEqual([]);
    expect(wx.sentBy(hole.task)).toEqual(['lost']);
    expect(wx.liveTasks).toBe(2);
  });

  test('a listener that throws is caught and recorded, never thrown into the caller', async () => {
    const task = wx.connectSocket({ url: server.secureUrl });
    task.onOpen(() => {
      throw new Error('listener bug');
    });
    await watch(task).opens.next();
    expect(wx.uncaughtErrors).toEqual([new Error('listener bug')]);
  });
});
