import { exec } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { faultIn, type FaultRates } from './faults';
import { Player } from './player';
import { Tally, type Snapshot } from './tally';

/*
 * A worker thread of `multisocket-loadtest`: it runs its share of the players (whole chat rooms, so that every line
 * is checked where it was said), hands the main thread one Snapshot a second, and on `stop` lets what is in flight
 * arrive, then counts the chat lines lost.
 */

/** What the main thread gives a worker. */
export interface WorkerSetup {
  readonly url: string;
  readonly gameRate: number;
  readonly chatRate: number;
  readonly token: string | undefined;
  readonly tokenCommand: string | undefined;
  readonly faults: FaultRates;
  /** The players of this worker: global index, room, and when it starts, ms after `startAt` (epoch). */
  readonly players: readonly { readonly index: number; readonly room: string; readonly atMs: number }[];
  readonly startAt: number;
}

/** Messages a worker posts. */
export type WorkerMessage =
  | { readonly type: 'second'; readonly snapshot: Snapshot }
  | { readonly type: 'done'; readonly snapshot: Snapshot; readonly lost: number; readonly linesSaid: number; readonly unsettled: number };

/** After `stop`, how long lines in flight may take to arrive before the missing ones count as lost, ms. */
const DRAIN_MS = 15_000;
/** How often chat lines and faults are drawn, ms. */
const STEP_MS = 100;

const setup = workerData as WorkerSetup;
if (!parentPort) throw new Error('loadtest/worker.js runs as a worker thread of multisocket-loadtest');
const port = parentPort;

const tally = new Tally();
const players: Player[] = [];
const rooms = new Map<string, Player[]>();
const roomSizes = new Map<string, number>();
for (const { room } of setup.players) roomSizes.set(room, (roomSizes.get(room) ?? 0) + 1);
const credit = new Map<Player, number>();
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();

const tokenCommand = setup.tokenCommand;
const getToken =
  setup.token !== undefined
    ? () => setup.token as string
    : tokenCommand !== undefined
      ? () =>
          new Promise<string>((resolve, reject) =>
            exec(tokenCommand, { timeout: 10_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout.trim()))),
          )
      : undefined;

const starts = setup.players.map(({ index, room, atMs }) =>
  setTimeout(() => {
    const player = new Player({ index, room, url: setup.url, gameRate: setup.gameRate, getToken, tally });
    players.push(player);
    const members = rooms.get(room) ?? [];
    members.push(player);
    rooms.set(room, members);
  }, Math.max(0, setup.startAt + atMs - Date.now())),
);

/** A room says lines once all its members are in it, so that every member should hear every line. */
function ready(members: readonly Player[], room: string): boolean {
  return members.length === roomSizes.get(room) && members.every((player) => player.joined);
}

let stopping = false;
const step = setInterval(() => {
  if (stopping) return;
  for (const [room, members] of rooms) {
    if (setup.chatRate === 0 || !ready(members, room)) continue;
    for (const player of members) {
      const next = (credit.get(player) ?? Math.random()) + (setup.chatRate * STEP_MS) / 1000;
      credit.set(player, next >= 1 ? next - 1 : next);
      if (next >= 1) player.say();
    }
  }
  for (const player of players) {
    const kind = player.connected ? faultIn(setup.faults, STEP_MS / 1000, Math.random) : undefined;
    if (kind) player.fault(kind);
  }
}, STEP_MS);

const connected = () => players.reduce((sum, player) => sum + (player.connected ? 1 : 0), 0);
const snapshot = () => {
  const lagMs = lag.percentile(99) / 1e6;
  lag.reset();
  return tally.snapshot(players.length, connected(), lagMs);
};
const second = setInterval(() => port.postMessage({ type: 'second', snapshot: snapshot() } satisfies WorkerMessage), 1000);

/** Whether every line said has its answer and every member heard every line of its room. */
function drained(): boolean {
  return players.every((player) => player.settled) && [...rooms.values()].every((members) => members.every((a) => members.every((b) => a.hasAll(b))));
}

function finish(): void {
  let lost = 0;
  for (const members of rooms.values()) for (const receiver of members) for (const sender of members) lost += receiver.missing(sender);
  const linesSaid = players.reduce((sum, player) => sum + player.said.size, 0);
  const unsettled = players.reduce((sum, player) => sum + (player.settled ? 0 : 1), 0);
  clearInterval(second);
  const last = snapshot();
  for (const player of players) player.close();
  lag.disable();
  port.postMessage({ type: 'done', snapshot: last, lost, linesSaid, unsettled } satisfies WorkerMessage);
}

port.on('message', (message: { type: 'stop' }) => {
  if (message.type !== 'stop' || stopping) return;
  stopping = true;
  for (const start of starts) clearTimeout(start);
  clearInterval(step);
  for (const player of players) player.quiet();
  const deadline = Date.now() + DRAIN_MS;
  const check = setInterval(() => {
    if (!drained() && Date.now() < deadline) return;
    clearInterval(check);
    finish();
  }, STEP_MS);
});
