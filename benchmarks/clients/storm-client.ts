/*
 * Child of the reconnect-storm suite: a fleet of clients in one process, each a ConnectionManager with one channel on
 * default options (or, for the reference row, a socket.io-client socket with its default reconnection options). For
 * each {type:'connect'} it opens a fresh fleet (so every client starts from its first reconnect attempt) and says
 * {type:'connected'}; once every client has lost its connection and reconnected it says {type:'storm'} with the time
 * of every reconnect attempt; {type:'close'} closes the fleet ({type:'closed'}).
 */
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { ConnectionManager } from '../../src/manager';
import { StateReason } from '../../src/channel/state';
import { webSocketTransport } from '../../src/transport/websocket';
import type { ReconnectOptions } from '../../src/channel/options';
import { failOnError, listenToParent, preciseNow, type ScriptMessage, tellParent } from '../script-process';

failOnError('storm client');

/** What the parent asks for. */
export interface StormConnect extends ScriptMessage {
  readonly type: 'connect';
  readonly clients: number;
  /** Reconnect options of every channel (multisocket only); default: the runtime's defaults. */
  readonly reconnect?: Partial<ReconnectOptions>;
}

/** What one storm looked like from the clients. */
export interface StormReport extends ScriptMessage {
  readonly type: 'storm';
  /** Each reconnect attempt, ms after the first client noticed the loss. */
  readonly attempts: number[];
  /** Per client: from noticing the loss to being connected again, ms. */
  readonly reconnectMs: number[];
  /** Clients that had not reconnected when the report was cut short (0 normally). */
  readonly missing: number;
}

/** One client of the fleet, whatever its library. */
interface FleetMember {
  close(): void;
}

const STORM_TIMEOUT_MS = 30_000;

function main(kind: string, url: string): void {
  let fleet: FleetMember[] = [];
  let attempts: number[] = [];
  let lostAt = new Map<number, number>();
  let reconnectMs: number[] = [];
  let connected = 0;
  let expected = 0;
  let phase: 'idle' | 'connecting' | 'storm' = 'idle';
  let stormTimer: NodeJS.Timeout | undefined;

  const report = () => {
    if (stormTimer) clearTimeout(stormTimer);
    stormTimer = undefined;
    phase = 'idle';
    const first = Math.min(...lostAt.values());
    tellParent({ type: 'storm', attempts: attempts.map((t) => t - first), reconnectMs, missing: expected - reconnectMs.length } satisfies StormReport);
  };
  const opened = (id: number) => {
    if (phase === 'connecting') {
      if (++connected === expected) {
        phase = 'storm';
        tellParent({ type: 'connected' });
      }
      return;
    }
    const lost = lostAt.get(id);
    if (phase !== 'storm' || lost === undefined) return;
    reconnectMs.push(preciseNow() - lost);
    if (reconnectMs.length === expected) report();
  };
  const lost = (id: number) => {
    if (phase !== 'storm' || lostAt.has(id)) return;
    lostAt.set(id, preciseNow());
    stormTimer ??= setTimeout(report, STORM_TIMEOUT_MS);
  };
  const attempt = () => {
    if (phase === 'storm') attempts.push(preciseNow());
  };

  const multisocket = (id: number, reconnect: Partial<ReconnectOptions> | undefined): FleetMember => {
    const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket) });
    const channel = manager.open('storm', reconnect ? { url, reconnect } : { url });
    channel.on('state', ({ next, reason }) => {
      if (next === 'open') opened(id);
      else if (next === 'reconnecting') lost(id);
      else if (next === 'connecting' && reason === StateReason.Backoff) attempt();
    });
    return { close: () => manager.close() };
  };

  const socketIo = (id: number): FleetMember => {
    // Default reconnection options; WebSocket only, as the runtime (polling first would add an upgrade to each attempt).
    const socket: Socket = io(url, { forceNew: true, transports: ['websocket'] });
    socket.on('connect', () => opened(id));
    socket.on('disconnect', () => lost(id));
    socket.io.on('reconnect_attempt', attempt);
    return { close: () => socket.close() };
  };

  listenToParent(
    (message) => {
      if (message.type === 'connect') {
        const { clients, reconnect } = message as StormConnect;
        attempts = [];
        lostAt = new Map();
        reconnectMs = [];
        connected = 0;
        expected = clients;
        phase = 'connecting';
        fleet = [];
        for (let id = 0; id < clients; id++) fleet.push(kind === 'socketio' ? socketIo(id) : multisocket(id, reconnect));
      } else if (message.type === 'close') {
        phase = 'idle';
        for (const member of fleet) member.close();
        fleet = [];
        tellParent({ type: 'closed' });
      }
    },
    () => {
      for (const member of fleet) member.close();
      process.exit(0);
    },
  );
  tellParent({ type: 'ready' });
}

main(process.argv[2] ?? 'multisocket', process.argv[3] as string);
