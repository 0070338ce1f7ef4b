import WebSocket from 'ws';
import { createServer, installChat, installGame, type ReferenceServer } from '../../server';
import { type Channel, type Clock, ConnectionManager, systemClock, webSocketTransport, wxTransport } from '../../src';
import { chatChannel, gameChannel, type GameState } from '../../channels';
import { createWxEmulator, type WxEmulator } from '../support/wx-emulator';
import { reach } from '../support/channel-helpers';

// These run on real time end to end (the server's game loop and the PONG round trips are the subject), so they wait on
// events only and assert no durations.
describe('the game preset against the real server', () => {
  let server: ReferenceServer;
  let emulator: WxEmulator;
  let manager: ConnectionManager;
  let url: string;

  const start = async (serverClock: Clock = systemClock, tickHz = 50) => {
    server = createServer({ port: 0, clock: serverClock });
    installChat(server);
    installGame(server, { tickHz });
    const { port } = await server.listen();
    url = `wss://127.0.0.1:${port}/ws`;
    emulator = createWxEmulator();
    manager = new ConnectionManager({ transport: wxTransport(emulator) });
  };

  afterEach(async () => {
    // These run on the real clock: wait for each close to complete, or its closing deadline outlives the test.
    const closed = (manager?.names ?? []).map((name) => reach(manager.get(name) as Channel, 'closed'));
    manager?.close();
    await Promise.all(closed);
    await emulator?.dispose();
    await server?.close();
  });

  it('inputs are stamped with a seq; the state says which input the server applied last', async () => {
    await start();
    const game = gameChannel({ manager, url, tickMs: 10 });
    await reach(game.channel, 'open');
    expect(game.sendInput({ dx: 3 })).toBe(1);
    expect(game.sendInput({ dx: 4 })).toBe(2);
    const state = await new Promise<GameState<Record<string, { x: number; y: number }>>>((resolve) => {
      const undo = game.onState<Record<string, { x: number; y: number }>>((s) => {
        if (s.lastInput === 2) {
          undo();
          resolve(s);
        }
      });
    });
    expect(Object.values(state.players)).toEqual([{ x: 7, y: 0 }]);
    expect(state.serverTime).toBeGreaterThan(0);
  });

  it('with a chat burst (500 x 1 KB in about 100 ms) on the same manager, game state keeps arriving during it', async () => {
    await start();
    const game = gameChannel({ manager, url });
    const chat = chatChannel({ manager, url });
    await Promise.all([reach(game.channel, 'open'), reach(chat.channel, 'open')]);
    await chat.join(1);
    game.sendInput({ dx: 1 }); // joins the game: state flows from now on
    await new Promise<void>((resolve) => {
      const undo = game.onState(() => (undo(), resolve()));
    });
    // A second client floods the room, paced over ~100 ms like a real burst.
    const flooder = new ConnectionManager({ transport: webSocketTransport(WebSocket) });
    try {
      const other = chatChannel({ manager: flooder, url: url.replace('wss:', 'ws:') });
      await reach(other.channel, 'open');
      await other.join(1);
      const events: string[] = [];
      game.onState(() => events.push('state'));
      let chatCount = 0;
      const allChat = new Promise<void>((resolve) =>
        chat.onMessage(1, () => {
          events.push('chat');
          if (++chatCount === 500) resolve();
        }),
      );
      const body = 'x'.repeat(1024);
      const says: Promise<unknown>[] = [];
      for (let burst = 0; burst < 10; burst++) {
        for (let i = 0; i < 50; i++) says.push(other.say(1, body));
        await new Promise<void>((resolve) => setTimeout(resolve, 10)); // pacing the load generator, not waiting on a result
      }
      await Promise.all(says);
      await allChat;
      const first = events.indexOf('chat');
      const last = events.lastIndexOf('chat');
      const statesDuringBurst = events.slice(first, last).filter((e) => e === 'state').length;
      expect(statesDuringBurst).toBeGreaterThan(0);
      expect(game.channel.state).toBe('open');
      expect(game.channel.stats()).toMatchObject({ reconnects: 0, dropped: 0 });
    } finally {
      const closed = flooder.names.map((name) => reach(flooder.get(name) as Channel, 'closed'));
      flooder.close();
      await Promise.all(closed);
    }
  });

  it('clock sync converges to within a few ms of an injected server clock offset', async () => {
    const offsetMs = 4321;
    await start({ now: () => Date.now() + offsetMs, setTimeout: systemClock.setTimeout, clearTimeout: systemClock.clearTimeout });
    const game = gameChannel({ manager, url, probes: 8, probeEveryMs: 20 });
    const settled = await new Promise<{ offset: number; rtt: number }>((resolve) => game.on('clock', resolve));
    expect(Math.abs(settled.offset - offsetMs)).toBeLessThan(5);
    expect(Math.abs(game.serverNow() - (Date.now() + offsetMs))).toBeLessThan(5);
  });
});
