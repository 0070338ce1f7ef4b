import { performance } from 'node:perf_hooks';
import { Display, type DisplayMode } from './display';
import { FaultScript, faultPlan } from './faults';
import type { DemoOptions } from './options';
import { Player, SAY_EVERY_MS } from './player';
import { DemoServers } from './servers';
import { chatIsClean, checkChat, type ChannelTotals, type ChatRecord, type DemoSummary, latency } from './summary';

/*
 * One run of the demo: the servers, the players, the traffic with the fault script, then a drain (until every chat
 * line said has reached every player, or DRAIN_MS), the summary, and a clean close of everything it started.
 */

/** How long the drain may wait for chat lines still on their way. */
const DRAIN_MS = 5000;

/** Where the run reports while it goes. */
export interface DemoIo {
  mode: DisplayMode;
  write(text: string): void;
  /** Terminal width, for the live display. */
  columns?: number;
}

export async function runDemo(options: DemoOptions, io: DemoIo): Promise<DemoSummary> {
  const began = performance.now();
  const servers = await DemoServers.start();
  const players: Player[] = [];
  let display: Display | undefined;
  try {
    for (let i = 0; i < options.players; i++) players.push(new Player(i, { game: servers.gameUrl, chat: servers.chatUrl }));
    await Promise.all(players.map((p) => p.join()));

    let started = performance.now();
    const elapsed = () => performance.now() - started;
    const view = new Display(
      io.mode,
      io.write,
      {
        elapsed,
        seconds: options.seconds,
        servers: () => `game server: ${servers.gamePlayers} players   chat server: ${servers.chatIsUp ? 'up' : 'DOWN (restarting)'}`,
        rows: () => players.flatMap((p) => p.rows()),
      },
      io.columns,
    );
    display = view;
    for (const player of players) watch(player, view);

    started = performance.now();
    view.start();
    view.event(`${players.length} players joined; game inputs every 100 ms, chat lines every ${SAY_EVERY_MS} ms`);
    players.forEach((p, i) => p.startTraffic((i * SAY_EVERY_MS) / players.length));
    const script = options.faults
      ? new FaultScript(faultPlan(options.seconds), { players, servers, elapsed, log: (t) => view.fault(t) })
      : undefined;

    await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
    for (const player of players) player.stopTraffic();
    script?.stop();
    await script?.done;
    if (script?.failure !== undefined) throw script.failure;
    // Only a script stopped part way could leave an app hidden or the chat server down; the drain needs neither.
    for (const player of players) if (player.isHidden) player.show();
    if (!servers.chatIsUp) await servers.startChat();

    view.event('traffic stopped; waiting for the chat lines still on their way');
    const drained = await drain(players, DRAIN_MS);
    view.event(drained ? 'every chat line said has reached every player' : `drain gave up after ${DRAIN_MS / 1000} s`);
    view.stop();

    const chat = checkChat(records(players));
    const sum = (f: (p: Player) => number) => players.reduce((total, p) => total + f(p), 0);
    return {
      ok: chatIsClean(chat),
      players: options.players,
      seconds: options.seconds,
      faults: script?.injected ?? [],
      elapsedMs: Math.round(performance.now() - began),
      drained,
      channels: {
        game: totals(players, 0, sum((p) => p.inputsSent), sum((p) => p.statesReceived)),
        chat: totals(players, 1, sum((p) => p.said), sum((p) => p.received.length)),
      },
      chat: { ...chat, failedSays: sum((p) => p.failedSays) },
      latencyMs: {
        game: latency(players.flatMap((p) => p.gameLatency)),
        chat: latency(players.flatMap((p) => p.chatLatency)),
      },
    };
  } finally {
    display?.stop(); // already stopped unless the run failed part way
    await Promise.all(players.map((p) => p.close()));
    await servers.close();
  }
}

function records(players: readonly Player[]): ChatRecord[] {
  return players.map((p) => ({ player: p.index, said: p.said, received: p.received }));
}

/** Resolves true once every say has settled and every line has reached every player; false after `timeoutMs`. */
function drain(players: readonly Player[], timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const undo: (() => void)[] = [];
    const finish = (done: boolean) => {
      clearTimeout(timer);
      for (const off of undo.splice(0)) off();
      resolve(done);
    };
    const check = () => {
      if (players.every((p) => p.pendingSays === 0) && checkChat(records(players)).lost === 0) finish(true);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    for (const player of players) undo.push(player.onProgress(check));
    check();
  });
}

/** Totals of channel `which` (0 game, 1 chat) from each player's stats, with the application counts given. */
function totals(players: readonly Player[], which: 0 | 1, sent: number, received: number): ChannelTotals {
  const stats = players.map((p) => (p.channels[which] as Player['channels'][number]).stats());
  const sum = (f: (s: (typeof stats)[number]) => number) => stats.reduce((total, s) => total + f(s), 0);
  return {
    sent,
    received,
    framesSent: sum((s) => s.framesSent),
    framesReceived: sum((s) => s.framesReceived),
    reconnects: sum((s) => s.reconnects),
    dropped: sum((s) => s.dropped),
  };
}

/** Logs the moments worth seeing: a connection lost, suspended, back (resumed or not), a session lost. */
function watch(player: Player, display: Display): void {
  for (const channel of player.channels) {
    const who = `${player.name} ${channel.name}`;
    // Watched once the players have joined: every open from here on is a reconnect.
    channel.on('state', ({ previous, next, reason }) => {
      if (previous === 'open' && (next === 'reconnecting' || next === 'suspended')) display.event(`${who}: ${next} (${reason})`);
    });
    channel.on('open', ({ resumed }) =>
      display.event(`${who}: open again, ${resumed ? 'session resumed' : 'new session'} (reconnects ${channel.stats().reconnects})`),
    );
    channel.on('resync', () => display.event(`${who}: the server lost the session; resyncing`));
  }
}
