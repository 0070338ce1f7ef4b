import { installChat, installGame, type ReferenceServer } from '../../server';
import { Op } from '../../src/wire/protocol';
import { ManualClock } from '../support/manual-clock';
import { serverSuite } from '../support/servers';
import { waitFor } from '../support/wait';

const suite = serverSuite();

/** Resolves once the server has seen `count` more disconnects. */
function disconnects(srv: ReferenceServer, count: number): Promise<void> {
  let seen = 0;
  return waitFor(`${count} disconnects`, (done) => srv.events.on('disconnect', () => void (++seen >= count && done())));
}

test('sessions, rooms and players return to zero after the resume window, round after round', async () => {
  const clock = new ManualClock();
  const srv = await suite.start({ clock, resumeWindowMs: 30_000 });
  const chat = installChat(srv);
  const game = installGame(srv);
  const perRound = 40;

  for (let round = 0; round < 3; round++) {
    const group = await Promise.all(
      Array.from({ length: perRound }, async (_, i) => {
        const client = await suite.connect();
        await client.hello({ channel: 'chat' });
        const room = `r${round}-${i % 8}`;
        expect((await client.call(1, 'chat/join', { room }))[0]).toBe(Op.Reply);
        client.send(
          [Op.Reliable, 1, 'chat/say', { room, mid: `${round}-${i}`, body: i }],
          [Op.Push, 'game/input', { seq: 1, dx: 1 }],
          [Op.Request, 2, 'game/join', null],
        );
        // Room messages from the others may come first.
        expect(await client.nextMatching((frame) => frame[0] === Op.Reply || frame[0] === Op.Fail)).toEqual([Op.Reply, 2, expect.anything()]);
        return client;
      }),
    );
    expect([srv.sessions.size, chat.rooms, game.players]).toEqual([perRound, 8, perRound]);

    const gone = disconnects(srv, perRound);
    await Promise.all(group.map((client) => client.close()));
    await gone;
    // Kept for a resume...
    clock.advance(29_999);
    expect([srv.sessions.size, chat.rooms, game.players, srv.connections.size]).toEqual([perRound, 8, perRound, 0]);
    // ...and not a moment longer: nothing is left, not even a timer.
    clock.advance(1);
    expect([srv.sessions.size, chat.rooms, game.players]).toEqual([0, 0, 0]);
    expect(clock.pending).toBe(0);
  }
});
