/*
 * The bytes a phone pays for (issue 17): bytes on the wire, WebSocket frame headers and masking keys included, per
 * game input (sent), per game state of 10 players (received), per chat line (received from another player, with the
 * acknowledgements it costs) and per heartbeat (both ways), for every contender of the echo suite. Real frames: each
 * client process puts a TCP proxy that parses WebSocket frames (clients/frame-meter.ts) in front of the measured
 * connection; nothing is computed by hand. Bytes do not depend on the machine's load, so a quick run's figures are a
 * full run's.
 *
 * Every contender carries the same payloads on the same topics (payloads.ts: GAME_INPUT, GAME_STATE_10, CHAT_LINE on
 * WIRE_TOPICS), but multisocket's chat line is as the chat module sends it to the chat preset (CHAT_LINE_SMALL_IDS:
 * the same fields, `n` in place of the 16-digit `id`). Chat lines go the reliable way where the contender has one
 * (multisocket `sendReliable`, MQTT QoS 1).
 */
import type { BytesRun, Frames } from './clients/bytes-client';
import type { EchoKind } from './echo-kinds';
import { atMost, median } from './measure';
import { CHAT_LINE, CHAT_LINE_SMALL_IDS, GAME_INPUT, GAME_STATE_10, WIRE_TOPICS } from './payloads';
import { type ScriptMessage, type ScriptProcess, startScript } from './script-process';
import type { Suite, SuiteRow, SuiteTable } from './types';

const START_TIMEOUT_MS = 15_000;
/** The heartbeat interval the measurement asks for (MQTT's keepalive is whole seconds: 1 s there). */
const HEARTBEAT_MS = 200;
/** Heartbeats measured per contender. */
const HEARTBEATS = 3;

interface WireContender {
  readonly label: string;
  readonly server: string;
  readonly serverArgs: readonly string[];
  /** How it sends game messages, and chat lines. */
  readonly kind: EchoKind;
  readonly chatKind: EchoKind;
  /** The chat line as it carries it: CHAT_LINE, or for multisocket the chat module's small ids. */
  readonly chatLine: object;
  /** What its heartbeat is, for the note. */
  readonly heartbeat: string;
}

/** multisocket first: the ratios compare it with the smallest of the others. */
const CONTENDERS: readonly WireContender[] = [
  { label: 'multisocket', server: 'multisocket', serverArgs: [], kind: 'multisocket', chatKind: 'multisocket-reliable', chatLine: CHAT_LINE_SMALL_IDS, heartbeat: 'PING/PONG, client every 15 s' },
  { label: 'raw ws + @msgpack/msgpack', server: 'raw-ws', serverArgs: [], kind: 'raw-ws', chatKind: 'raw-ws', chatLine: CHAT_LINE, heartbeat: 'none of its own; WebSocket ping/pong if added' },
  { label: 'socket.io (default JSON parser)', server: 'socket-io', serverArgs: [], kind: 'socket.io', chatKind: 'socket.io', chatLine: CHAT_LINE, heartbeat: 'ping/pong, server every 25 s' },
  { label: 'socket.io (socket.io-msgpack-parser)', server: 'socket-io', serverArgs: ['--parser=msgpack'], kind: 'socket.io-msgpack', chatKind: 'socket.io-msgpack', chatLine: CHAT_LINE, heartbeat: 'ping/pong, server every 25 s' },
  { label: 'MQTT 3.1.1 over WebSocket (mqtt, aedes)', server: 'mqtt', serverArgs: [], kind: 'mqtt', chatKind: 'mqtt-qos1', chatLine: CHAT_LINE, heartbeat: 'PINGREQ/PINGRESP, client every 60 s' },
  { label: 'Colyseus 0.16 room messages', server: 'colyseus', serverArgs: [], kind: 'colyseus', chatKind: 'colyseus', chatLine: CHAT_LINE, heartbeat: 'WebSocket ping/pong, server every 3 s' },
];

const COLUMNS = ['game input (sent)', 'game state, 10 players (received)', 'chat line (received, acks included)', 'heartbeat (both ways)'] as const;

const sum = (sizes: readonly number[]): number => sizes.reduce((a, b) => a + b, 0);
const mean = (values: readonly number[]): number => sum(values) / values.length;

/** Starts a server and one bytes client on it; runs `use`; stops both. */
async function withClient<T>(contender: WireContender, kind: EchoKind, heartbeatMs: number | undefined, use: (client: ScriptProcess) => Promise<T>): Promise<T> {
  const pingArgs = heartbeatMs === undefined ? [] : [`--ping=${heartbeatMs}`];
  const server = startScript(`servers/${contender.server}`, [...contender.serverArgs, ...pingArgs]);
  let client: ScriptProcess | undefined;
  try {
    const { url } = await server.next<ScriptMessage & { url: string }>('ready', START_TIMEOUT_MS);
    client = startScript('clients/bytes-client', heartbeatMs === undefined ? [kind, url] : [kind, url, String(heartbeatMs)]);
    await client.next('ready', START_TIMEOUT_MS);
    return await use(client);
  } finally {
    await client?.stop();
    await server.stop();
  }
}

async function run(client: ScriptProcess, command: Omit<BytesRun, 'type'>): Promise<Frames[]> {
  client.send({ type: 'run', ...command });
  return (await client.next<ScriptMessage & { windows: Frames[] }>('ran', 60_000)).windows;
}

/** One contender's four figures, and the frames per message for the notes. */
async function measure(contender: WireContender, count: number): Promise<{ cells: number[]; notes: string[] }> {
  const game = await withClient(contender, contender.kind, undefined, async (client) => {
    const input = await run(client, { exchange: { topic: WIRE_TOPICS.input, payload: GAME_INPUT, count, from: 'self' } });
    const state = await run(client, { exchange: { topic: WIRE_TOPICS.state, payload: GAME_STATE_10, count, from: 'self' } });
    // A message alone on the wire: the median window (a heartbeat in one window does not move it).
    return { input: median(input.map((w) => sum(w.up))), state: median(state.map((w) => sum(w.down))), inputFrames: median(input.map((w) => w.up.length)) };
  });
  const chat = await withClient(contender, contender.chatKind, undefined, async (client) => {
    // A warm-up of 32 lines, then the mean over the lines: acknowledgements that cover several lines are shared out.
    await run(client, { exchange: { topic: WIRE_TOPICS.chat, payload: contender.chatLine, count: 32, from: 'other' } });
    const lines = await run(client, { exchange: { topic: WIRE_TOPICS.chat, payload: contender.chatLine, count: 2 * count, from: 'other' } });
    return { total: mean(lines.map((w) => sum(w.up) + sum(w.down))), acks: mean(lines.map((w) => sum(w.up))) };
  });
  const heartbeat = await withClient(contender, contender.kind, HEARTBEAT_MS, async (client) => {
    const [idle] = await run(client, { idleFrames: 2 * HEARTBEATS });
    return sum([...(idle as Frames).up, ...(idle as Frames).down]) / HEARTBEATS;
  });
  return {
    cells: [game.input, game.state, chat.total, heartbeat],
    notes: [
      `${game.inputFrames} WebSocket frame(s) per game input`,
      '',
      `chat line${contender.chatLine === CHAT_LINE ? '' : ' with small ids'}: ${chat.acks.toFixed(1)} B of it sent (acknowledgements)`,
      `heartbeat: ${contender.heartbeat}`,
    ],
  };
}

/** The bytes suite: one table, contenders by message kinds; the ratios compare multisocket with the smallest other. */
export const suite: Suite = async ({ quick }) => {
  const count = quick ? 32 : 64;
  const measured: { cells: number[]; notes: string[] }[] = [];
  for (const contender of CONTENDERS) measured.push(await measure(contender, count));
  const rows: SuiteRow[] = [];
  CONTENDERS.forEach((contender, i) => {
    COLUMNS.forEach((column, c) => {
      const note = (measured[i] as { notes: string[] }).notes[c];
      rows.push({ label: `${contender.label}: ${column}`, value: (measured[i] as { cells: number[] }).cells[c] as number, unit: 'B', ...(note ? { note } : {}) });
    });
  });
  const ours = measured[0] as { cells: number[] };
  const smallestOther = (c: number): number => Math.min(...measured.slice(1).map((m) => m.cells[c] as number));
  const ratios = {
    bytesInputVsSmallest: (ours.cells[0] as number) / smallestOther(0),
    bytesStateVsSmallest: (ours.cells[1] as number) / smallestOther(1),
    bytesChatVsSmallest: (ours.cells[2] as number) / smallestOther(2),
    bytesHeartbeatVsSmallest: (ours.cells[3] as number) / smallestOther(3),
  };
  const table: SuiteTable = {
    unit: 'B',
    columns: [...COLUMNS],
    rows: CONTENDERS.map((contender, i) => ({ label: contender.label, cells: (measured[i] as { cells: number[] }).cells })),
    notes: CONTENDERS.map((contender, i) => `${contender.label}: ${(measured[i] as { notes: string[] }).notes.filter((n) => n !== '').join('; ')}.`),
  };
  return {
    name: 'bytes',
    title: 'Bytes on the wire per message (WebSocket headers and masking keys included; real frames through a counting proxy)',
    rows,
    table,
    ratios,
    goals: {
      bytesInputVsSmallest: atMost(ratios.bytesInputVsSmallest, 1),
      bytesStateVsSmallest: atMost(ratios.bytesStateVsSmallest, 1),
      bytesChatVsSmallest: atMost(ratios.bytesChatVsSmallest, 1),
    },
    rounds: 1,
  };
};
