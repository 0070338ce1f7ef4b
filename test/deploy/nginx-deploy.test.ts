import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { type GameChannel, gameChannel, type Said } from '../../channels';
import { createServer, type LimitedEvent, type ReferenceServer } from '../../server';
import { type ChannelEvents, ConnectionManager, webSocketTransport } from '../../src';
import { closeAndWait, reach } from '../support/channel-helpers';
import { ManualLifecycle } from '../support/harness';
import { DEPLOY_CONF, type Nginx, nginxBinary, startNginx } from '../support/nginx';
import { ROOT } from '../support/paths';
import { nextEvent } from '../support/protocol-client';
import type { RedisServer } from '../support/redis-server';
import { describeWithRedis, redisServerPerSuite } from '../support/redis-suite';
import { type ServerProcess, spawnListening } from '../support/server-process';
import { expectOnceInOrder, talk, type Talker, talker } from '../support/talkers';
import { closeUpgrades, type Upgrade, upgrade } from '../support/upgrade';
import { Changes, holds, waitFor } from '../support/wait';

/*
 * The deployment SCALING.md describes, run for real: Debian's nginx with deploy/nginx.conf (only its ports replaced) in
 * front of three built reference servers (`multisocket-server --redis --trust-proxy 127.0.0.1 --retry-ms 200`) on one
 * redis-server. The processes are restarted one after another (SIGTERM, then a new process on the same port) while chat
 * and game clients keep going through nginx.
 */

jest.setTimeout(90_000);
const CLI = join(ROOT, 'dist', 'server', 'cli.js');
const RETRY_MS = 200;
// The default backoff's base: without the retry hint a client would wait up to 2 s (1 s with the test's jitter of 0.5).
const RECONNECT = { baseMs: 2_000, maxMs: 5_000 };

if (!nginxBinary()) {
  it('needs nginx (apt-get install nginx, or NGINX=/path/to/nginx)', () => expect(nginxBinary()).toBeDefined());
}

interface Player {
  readonly game: GameChannel;
  readonly manager: ConnectionManager;
  /** The highest `lastInput` the server reported back: the last of this player's inputs it applied. */
  applied: number;
  /** The seq of the last input sent. */
  sent: number;
}

/** A game client through `url`, joined, that sends an input on every state it receives (and on every open). */
async function player(url: string, changes: Changes): Promise<Player> {
  const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket), lifecycle: new ManualLifecycle(), random: () => 0.5 });
  const game = gameChannel({ manager, url: `${url}/game`, reconnect: RECONNECT });
  const p: Player = { game, manager, applied: 0, sent: 0 };
  const input = () => void (p.sent = game.sendInput({ dx: 1 }));
  game.onState((state) => {
    p.applied = Math.max(p.applied, state.lastInput);
    changes.notify();
    input();
  });
  game.channel.on('open', input);
  await reach(game.channel, 'open');
  await game.channel.request('game/join', null);
  input();
  return p;
}

describeWithRedis('three server processes behind nginx (deploy/nginx.conf) on one Redis, restarted one after another', () => {
  let redis: RedisServer;
  let nginx: Nginx | undefined;
  const processes: ServerProcess[] = [];
  const talkers: Talker[] = [];
  const players: Player[] = [];
  redisServerPerSuite((r) => (redis = r));
  afterEach(async () => {
    for (const t of talkers.splice(0)) await closeAndWait(t.chat.channel, () => t.manager.close());
    for (const p of players.splice(0)) await closeAndWait(p.game.channel, () => p.manager.close());
    await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
    await nginx?.close();
    nginx = undefined;
  });

  const serve = (port = 0) =>
    spawnListening([CLI, '--trust-proxy', '127.0.0.1', '--retry-ms', String(RETRY_MS)], {
      ...process.env,
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'deploy',
      PORT: String(port),
      HOST: '127.0.0.1',
    });

  it('every chat line once and in order, game inputs keep flowing, sessions resume, no client ends closed', async () => {
    processes.push(...(await Promise.all([serve(), serve(), serve()])));
    nginx = await startNginx(processes.map((p) => p.port));
    const url = nginx.url;
    for (const name of ['a', 'b', 'c', 'd']) talkers.push(await talker(name, url, RECONNECT, () => 0.5));
    const changes = new Changes();
    for (let i = 0; i < 2; i++) players.push(await player(url, changes));
    const channels = [...talkers.map((t) => t.chat.channel), ...players.map((p) => p.game.channel)];
    const reconnects: ChannelEvents['reconnecting'][] = [];
    const opens: boolean[] = [];
    for (const channel of channels) {
      channel.on('reconnecting', (event) => void reconnects.push(event));
      channel.on('open', ({ resumed }) => void opens.push(resumed));
    }

    const LINES = 40;
    for (const t of talkers) talk(t, LINES, 3);
    for (let i = 0; i < processes.length; i++) {
      // Mid-conversation, each time further on: every talker has heard some more of its own lines.
      await Promise.all(talkers.map((t) => t.heard(8 * (i + 1))));
      const before = players.map((p) => p.sent);
      const old = processes[i] as ServerProcess;
      expect(await old.kill('SIGTERM')).toBe(0);
      processes[i] = await serve(old.port);
      // The game goes on: each player's inputs sent after the restart come back applied, wherever it is now.
      await waitFor(`game inputs applied after restart ${i + 1}`, holds(() => players.every((p, n) => p.applied > (before[n] as number)), changes), {
        detail: () => ({ players: players.map((p) => ({ sent: p.sent, applied: p.applied, state: p.game.channel.state })), nginx: nginx?.errors() }),
      });
    }
    await Promise.all(talkers.map((t) => t.until(talkers.length * LINES)));

    // Every say of every talker is answered with an id of its own, even one answered while its session was leaving a
    // stopping process (its last write waits for the say's handler: server/sessions/departure.ts).
    const answers = await waitFor<PromiseSettledResult<Said>[]>('every say answered', (done) => {
      void Promise.allSettled(talkers.flatMap((t) => t.says)).then(done);
      return () => undefined;
    });
    expect(answers.filter((answer) => answer.status === 'rejected')).toEqual([]);
    expect(new Set(answers.map((answer) => (answer.status === 'fulfilled' ? answer.value.id : 0))).size).toBe(talkers.length * LINES);
    const bodies = talkers.flatMap((t) => Array.from({ length: LINES }, (_, n) => `${t.name}-${n}`));
    const reference = (talkers[0] as Talker).received.map((m) => m.id);
    for (const t of talkers) {
      expectOnceInOrder(t, bodies, reference);
      expect(t.resyncs).toEqual([]);
    }
    // Each process said BYE 4000 to the clients it held: every one of them moved, within the retry hint.
    // A channel whose reconnect found no live process yet (nginx answers 502 then) is still on its way back: it must get
    // there, not end closed.
    await Promise.all(channels.map((channel) => (channel.state === 'open' ? undefined : reach(channel, 'open'))));
    const byes = reconnects.filter((r) => r.code === 4000);
    expect(byes.length).toBeGreaterThanOrEqual(channels.length);
    for (const bye of byes) expect(bye.delayMs).toBeLessThan(RETRY_MS);
    // Every reconnect resumed its session on a live process; nobody ended closed.
    expect(opens.length).toBeGreaterThanOrEqual(channels.length);
    expect(opens.filter((resumed) => !resumed)).toEqual([]);
    for (const channel of channels) expect(channel.state).toBe('open');
  });
});

describe('trustProxy through nginx: the per-address limit counts each client, not nginx', () => {
  let server: ReferenceServer | undefined;
  let nginx: Nginx | undefined;
  const opened: Upgrade[] = [];
  afterEach(async () => {
    await closeUpgrades(opened.splice(0));
    await nginx?.close();
    await server?.close();
    nginx = undefined;
    server = undefined;
  });

  it('clients from 127.0.0.2 and 127.0.0.3 each have their own share; a forged X-Forwarded-For buys nothing', async () => {
    server = createServer({ port: 0, maxConnectionsPerAddress: 1, trustProxy: ['127.0.0.1'] });
    const { port } = await server.listen();
    nginx = await startNginx([port]);
    const open = async (from: string, headers: Record<string, string> = {}) => {
      const result = await upgrade(`${(nginx as Nginx).url}/chat`, headers, from);
      opened.push(result);
      return result.status;
    };
    expect(await open('127.0.0.2')).toBe(101);
    expect(await open('127.0.0.3')).toBe(101);
    const limited = nextEvent(server.events, 'limited');
    // nginx appends the address it saw: the client's own guess on the left is not believed.
    expect(await open('127.0.0.2', { 'X-Forwarded-For': '198.51.100.1' })).toBe(429);
    expect(await limited).toEqual<LimitedEvent>({ limit: 'maxConnectionsPerAddress', remoteAddress: '127.0.0.2' });
  });
});

describe('deploy/nginx.conf in the docs', () => {
  it('SCALING.md shows the tested file exactly, after its marker', () => {
    const conf = readFileSync(DEPLOY_CONF, 'utf8');
    const scaling = readFileSync(join(ROOT, 'SCALING.md'), 'utf8');
    expect(scaling).toContain(`<!-- deploy/nginx.conf -->\n\`\`\`nginx\n${conf}\`\`\`\n`);
  });
});
