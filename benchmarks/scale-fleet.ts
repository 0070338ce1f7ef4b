/*
 * The scale suite's fleet: one server process (ours or socket.io, run with --expose-gc so its heap can be read after a
 * full GC) and several client processes of bare connections (clients/scale-client), each leaving from its own
 * loopback addresses. Every child may hold many sockets: its open-files limit is raised before it starts.
 */
import { readFileSync } from 'node:fs';
import { quantile } from './measure';
import { pause, startScript, type ScriptMessage, type ScriptProcess } from './script-process';
import type { ServerUsage } from './servers/lifetime';

/** Which server the fleet talks to. */
export type ScaleKind = 'multisocket' | 'socketio';

/** Client processes, and loopback addresses per process (127.0.0.2 and up: every 127/8 address is loopback on Linux). */
const CLIENT_PROCESSES = 4;
const ADDRESSES_PER_PROCESS = 2;
/** Open files each child may hold: the capacity steps go to 160,000 sockets in one server. */
const OPEN_FILES = 250_000;

export interface Fleet {
  readonly kind: ScaleKind;
  readonly server: ScriptProcess;
  readonly clients: readonly ScriptProcess[];
  /** Connections open now. */
  connections: number;
}

interface Connected extends ScriptMessage {
  readonly startedAt: number;
  readonly doneAt: number;
  readonly connectMs: number[];
  readonly failed: number;
  readonly firstFailure?: string;
  readonly lost: number;
}

/** Starts a server of `kind` (heartbeat every `heartbeatMs`, or its default) and the client processes. */
export async function startFleet(kind: ScaleKind, heartbeatMs: number | undefined): Promise<Fleet> {
  const script = kind === 'socketio' ? 'servers/socket-io' : 'servers/multisocket';
  const flag = heartbeatMs === undefined ? [] : [kind === 'socketio' ? `--ping=${heartbeatMs}` : `--heartbeat-ms=${heartbeatMs}`];
  const server = startScript(script, flag, ['--expose-gc'], { openFiles: OPEN_FILES });
  const clients: ScriptProcess[] = [];
  try {
    const { url } = await server.next<ScriptMessage & { url: string }>('ready', 15_000);
    for (let p = 0; p < CLIENT_PROCESSES; p++) {
      const addresses = Array.from({ length: ADDRESSES_PER_PROCESS }, (_, a) => `127.0.0.${2 + p * ADDRESSES_PER_PROCESS + a}`);
      clients.push(startScript('clients/scale-client', [kind, url, addresses.join(',')], [], { openFiles: OPEN_FILES }));
    }
    await Promise.all(clients.map((c) => c.next('ready', 15_000)));
    return { kind, server, clients, connections: 0 };
  } catch (error) {
    await Promise.all([server, ...clients].map((c) => c.stop()));
    throw error;
  }
}

/** Kills every process of the fleet: nothing in it is worth a graceful close, and 10,000 close handshakes take a while. */
export async function stopFleet(fleet: Fleet | undefined): Promise<void> {
  if (fleet) await Promise.all([fleet.server, ...fleet.clients].map((c) => c.kill()));
}

/** Sends `message` to every client process (or the first `only`) and resolves with each one's `reply`. */
function ask<T extends ScriptMessage>(fleet: Fleet, message: (index: number) => ScriptMessage, reply: string, timeoutMs: number, only = fleet.clients.length): Promise<T[]> {
  const clients = fleet.clients.slice(0, only);
  clients.forEach((c, i) => c.send(message(i)));
  return Promise.all(clients.map((c) => c.next<T>(reply, timeoutMs)));
}

/** `count` split over the client processes, as evenly as it goes. */
const share = (count: number, index: number, parts: number) => Math.floor(count / parts) + (index < count % parts ? 1 : 0);

/** A connect storm or a top-up: what the fleet saw. */
export interface ConnectResult {
  /** From the first process starting to the last connection ready, ms. */
  readonly allOpenMs: number;
  /** Every connection's time from its start to ready, ms. */
  readonly connectMs: number[];
  readonly failed: number;
  /** Why the first one that failed did, if any did. */
  readonly why: string | undefined;
}

/** Opens `count` more connections (`storm`: all at once in every process). */
export async function connect(fleet: Fleet, count: number, storm: boolean, timeoutMs: number): Promise<ConnectResult> {
  const parts = fleet.clients.length;
  const replies = await ask<Connected>(fleet, (i) => ({ type: 'connect', count: share(count, i, parts), storm }), 'connected', timeoutMs);
  const failed = replies.reduce((n, r) => n + r.failed, 0);
  fleet.connections += count - failed;
  return {
    allOpenMs: Math.max(...replies.map((r) => r.doneAt)) - Math.min(...replies.map((r) => r.startedAt)),
    connectMs: replies.flatMap((r) => r.connectMs),
    failed,
    why: replies.find((r) => r.firstFailure !== undefined)?.firstFailure,
  };
}

/** The server process's open-files limit (Linux: /proc/<pid>/limits); Infinity where it cannot be read. */
export function openFilesLimit(fleet: Fleet): number {
  try {
    const limits = readFileSync(`/proc/${fleet.server.pid ?? 'self'}/limits`, 'utf8');
    return Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? Infinity);
  } catch {
    return Infinity;
  }
}

/** The server's memory and CPU now (`gc`: after full GCs). */
export async function usage(fleet: Fleet, gc: boolean): Promise<ServerUsage> {
  fleet.server.send({ type: 'usage', gc });
  return fleet.server.next<ServerUsage>('usage', 60_000);
}

/** The server's CPU time per second of wall time over `windowMs` of whatever the fleet is doing, ms/s. */
export async function cpuPerSecond(fleet: Fleet, windowMs: number): Promise<number> {
  const before = await usage(fleet, false);
  await pause(windowMs);
  const after = await usage(fleet, false);
  return (after.cpuUs - before.cpuUs) / 1000 / ((after.at - before.at) / 1000);
}

/** The first `members` connections (split over the processes) join the server's room. */
export async function join(fleet: Fleet, members: number): Promise<void> {
  const parts = fleet.clients.length;
  const replies = await ask<ScriptMessage & { members: number }>(fleet, (i) => ({ type: 'join', count: share(members, i, parts) }), 'joined', 120_000);
  const joined = replies.reduce((n, r) => n + r.members, 0);
  if (joined !== members) throw new Error(`scale (${fleet.kind}): ${joined} of ${members} members joined the room`);
}

/** One fan-out round: `messages` sent at once to the room; deliveries (message x member) per second until the last one. */
export async function fanout(fleet: Fleet, members: number, messages: number): Promise<number> {
  await ask(fleet, () => ({ type: 'expect', messages }), 'expecting', 10_000);
  const delivered = fleet.clients.map((c) => c.next<ScriptMessage & { at: number }>('delivered', 60_000));
  const [sent] = await ask<ScriptMessage & { at: number }>(fleet, () => ({ type: 'send', messages }), 'sent', 10_000, 1);
  const last = Math.max(...(await Promise.all(delivered)).map((d) => d.at));
  return (messages * members) / ((last - (sent as { at: number }).at) / 1000);
}

/** Echo round-trip times of one connection, one echo at a time; throws if the fleet lost a connection meanwhile. */
export async function echo(fleet: Fleet, count: number): Promise<{ p50: number; p99: number }> {
  const [reply] = await ask<ScriptMessage & { rtts: number[]; lost: number }>(fleet, () => ({ type: 'echo', count }), 'echoed', 120_000, 1);
  const { rtts } = reply as { rtts: number[] };
  return { p50: quantile(rtts, 0.5), p99: quantile(rtts, 0.99) };
}

/** Connections the fleet's clients saw close without being asked to (0 when every one held). */
export async function lost(fleet: Fleet): Promise<number> {
  const replies = await ask<ScriptMessage & { lost: number }>(fleet, () => ({ type: 'join', count: 0 }), 'joined', 10_000);
  return replies.reduce((n, r) => n + r.lost, 0);
}
