/*
 * The contenders of the end-to-end echo suites: each names the server process it talks to and how its client sends.
 * Shared by the parent (which starts the servers) and the client processes (which connect).
 */
import type { ScriptMessage } from './script-process';

/** One way of doing the echo workload. */
export type EchoKind = 'raw-ws' | 'multisocket' | 'multisocket-batched' | 'socket.io' | 'socket.io-msgpack' | 'mqtt' | 'colyseus' | 'multisocket-reliable' | 'mqtt-qos1';

/** An open client: `send` one echo request (default: the ~100 B game state on `echo`), `close` when done. */
export interface EchoConnection {
  send(topic?: string, payload?: unknown): void;
  /** WebSocket messages sent so far, where the client counts them. */
  messagesSent?(): number;
  close(): Promise<void>;
}

/** What a client is told while it connects. */
export interface EchoLink {
  /** Called with each echo's payload. */
  readonly onEcho: (payload: unknown) => void;
  /** Called if the connection drops once open (a benchmark that silently reconnects would measure the wrong thing). */
  readonly onLost: (why: string) => void;
  /** The client's heartbeat interval where the client sends it (multisocket PING, MQTT PINGREQ); default theirs. */
  readonly heartbeatMs?: number;
}

/** What the parent needs to know about a contender. */
export interface EchoContender {
  readonly kind: EchoKind;
  /** Row label. */
  readonly label: string;
  /** Script under servers/ (compiled name, without `.js`), and its arguments. */
  readonly server: string;
  readonly serverArgs: readonly string[];
}

/** Every contender, baseline first. */
export const ECHO_CONTENDERS: readonly EchoContender[] = [
  { kind: 'raw-ws', label: 'raw ws + @msgpack/msgpack, 1 msg per ws message (baseline)', server: 'raw-ws', serverArgs: [] },
  { kind: 'multisocket', label: 'multisocket channel, batching off (maxBatchBytes 1)', server: 'multisocket', serverArgs: [] },
  { kind: 'multisocket-batched', label: 'multisocket channel, automatic batching (default)', server: 'multisocket', serverArgs: [] },
  { kind: 'socket.io', label: 'socket.io, websocket only, default parser', server: 'socket-io', serverArgs: [] },
  { kind: 'socket.io-msgpack', label: 'socket.io, websocket only, msgpack parser', server: 'socket-io', serverArgs: ['--parser=msgpack'] },
  { kind: 'mqtt', label: 'MQTT over WebSocket, QoS 0 (mqtt client, aedes broker)', server: 'mqtt', serverArgs: [] },
  { kind: 'colyseus', label: 'Colyseus 0.16 room messages', server: 'colyseus', serverArgs: [] },
  { kind: 'multisocket-reliable', label: 'multisocket channel, sendReliable (batching on, RELIABLE back)', server: 'multisocket', serverArgs: [] },
  { kind: 'mqtt-qos1', label: 'MQTT over WebSocket, QoS 1 (PUBACK both ways)', server: 'mqtt', serverArgs: [] },
];

/** Parent -> client process: one round of the workload (the client answers `{type: 'result', ...RoundResult}`). */
export interface EchoRound extends ScriptMessage {
  readonly type: 'round';
  readonly window: number;
  readonly burst: number;
  readonly durationMs: number;
}

/** What one round measured in the client process. */
export interface RoundResult {
  /** Echoes received (each one a message sent and its echo received). */
  messages: number;
  elapsedMs: number;
  /** User + system CPU of the client process during the round, microseconds. */
  cpuUs: number;
  /** WebSocket messages the client sent during the round (multisocket only: from the channel's stats). */
  wsMessagesSent?: number;
}
