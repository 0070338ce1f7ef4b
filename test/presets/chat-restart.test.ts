import { keptRooms } from '../../server/chat/chat';
import { createMemoryState, createServer, installChat } from '../../server';
import { ManualClock } from '../support/manual-clock';
import { chatPairPerTest, checkDelivery, startChatPair } from '../support/chat-pair';

const ROOM = 7;

describe('chat across server restarts (sessions and rooms kept in a shared state)', () => {
  const pair = chatPairPerTest(ROOM);

  it('restarted within the resume window, 5 times with messages in flight: both resume, every message exactly once, in order', async () => {
    const perSender = 500;
    const window = 50;
    const restartAt = new Set([1, 3, 4, 6, 8]);
    let restarts = 0;
    for (let w = 0; w * window < perSender; w++) {
      const says: Promise<unknown>[] = [];
      for (let n = w * window; n < (w + 1) * window; n++) {
        says.push(pair.a.chat.say(ROOM, { from: 'a', n }));
        says.push(pair.b.chat.say(ROOM, { from: 'b', n }));
      }
      const settled = Promise.allSettled(says);
      if (restartAt.has(w)) {
        await pair.restart();
        restarts++;
      }
      expect((await settled).filter((r) => r.status === 'rejected')).toEqual([]);
    }
    for (const client of [pair.a, pair.b]) {
      while (client.received.length < perSender * 2) await client.chat.channel.waitFor(`room/${ROOM}/message`);
    }
    expect(restarts).toBe(5);
    for (const client of [pair.a, pair.b]) {
      expect(client.reopened).toEqual([true, true, true, true, true]);
      expect(client.resyncs).toBe(0);
      checkDelivery(client, perSender);
    }
    // The same two sessions throughout, still in their room on the fifth server.
    expect(pair.server.sessions.size).toBe(2);
    expect(keptRooms(pair.state).rooms.get(String(ROOM))?.members.size).toBe(2);
  }, 60_000);

  it('keeps history, message ids and public ids across a restart', async () => {
    const before = await pair.a.chat.say(ROOM, 'before');
    await pair.restart();
    const after = await pair.b.chat.say(ROOM, 'after');
    expect(after.id).toBeGreaterThan(before.id);
    const history = await pair.b.chat.history(ROOM);
    expect(history.map((m) => m.body)).toEqual(['before', 'after']);
    expect(new Set(history.map((m) => m.from)).size).toBe(2);
  });
});

describe('server state', () => {
  it('is held by one server at a time, and a close that keeps nothing frees it all', async () => {
    const state = createMemoryState();
    const clock = new ManualClock();
    const one = createServer({ port: 0, clock, state });
    expect(() => createServer({ port: 0, clock, state })).toThrow(/another server holds it/);
    await one.close({ keepSessions: false });
    const two = createServer({ port: 0, clock, state });
    const chat = installChat(two);
    await two.close();
    chat.close();
    expect(state.sessions.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('ends, on the new server, a kept session whose resume window ran out while no server held it', async () => {
    const pair = await startChatPair(ROOM);
    try {
      await pair.server.close({ code: 4000 });
      expect(pair.state.sessions.size).toBe(2);
      expect(pair.serverClock.pending).toBe(0); // kept sessions hold no timer while no server has them
      pair.serverClock.advance(120_001);
      const next = createServer({ port: 0, clock: pair.serverClock, state: pair.state });
      installChat(next);
      const ended: string[] = [];
      next.events.on('sessionEnd', ({ reason }) => ended.push(reason));
      pair.serverClock.advance(0);
      expect(ended).toEqual(['expired', 'expired']);
      expect(keptRooms(pair.state).rooms.size).toBe(0);
      await next.close();
    } finally {
      await pair.close();
    }
  });
});
