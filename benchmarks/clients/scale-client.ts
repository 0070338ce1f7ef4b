/*
 * Child of the scale suite: a fleet of mostly idle connections to one server, each as cheap as a client can be (a
 * bare `ws` socket speaking the protocol minimally: our frames through one shared FrameCodec, or socket.io's
 * engine.io text packets by hand), so that the server, not this process, is what the suite measures. Connections
 * leave from several loopback addresses in turn (argv[3], comma-separated) so the ephemeral ports of one address
 * never run out. Heartbeats run as each protocol wants: ours PINGs every `heartbeatMs` of WELCOME, spread over the
 * interval by one sweep; socket.io's server pings and this answers.
 *
 *   {type:'connect', count, storm}  -> {type:'connected', startedAt, doneAt, connectMs, failed, firstFailure, lost}
 *       opens `count` more; `storm` opens them all at once, otherwise at most 64 are opening at a time. A connection
 *       counts once it can carry application messages (WELCOME; socket.io's namespace CONNECT).
 *   {type:'join', count}            -> {type:'joined'}      the first `count` connections join the room (acked)
 *   {type:'expect', messages}       -> {type:'expecting'}, later {type:'delivered', at} once every member here has
 *                                      `messages` more room messages
 *   {type:'send', messages}         -> {type:'sent', at}    connection 0 asks the server to fan out `messages`
 *   {type:'echo', count}            -> {type:'echoed', rtts} connection 0 echoes `count` times, one at a time
 */
import WebSocket from 'ws';
import { FrameCodec } from '../../src/wire/codec';
import { type Frame, Op } from '../../src/wire/protocol';
import { GAME_STATE } from '../payloads';
import { failOnError, listenToParent, preciseNow, type ScriptMessage, tellParent } from '../script-process';

failOnError('scale client');

/** What one message on a connection meant to the fleet. */
type Heard = 'ready' | 'room' | 'echo' | 'ack' | undefined;

/** How one protocol opens, talks and listens, on a bare socket. */
interface Wire {
  readonly url: string;
  opened(ws: WebSocket): void;
  heard(ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): Heard[];
  join(ws: WebSocket, id: number): void;
  fanout(ws: WebSocket): void;
  echo(ws: WebSocket): void;
}

/** How many times `pattern` occurs in `data` (a native scan: counting deliveries must cost less than making them). */
function occurrences(data: Buffer, pattern: Buffer): number {
  let n = 0;
  for (let at = data.indexOf(pattern); at >= 0; at = data.indexOf(pattern, at + pattern.length)) n++;
  return n;
}

function multisocketWire(url: string, welcomed: (heartbeatMs: number) => void): Wire {
  const codec = new FrameCodec();
  const hello = codec.encode([Op.Hello, { v: 1, channel: 'scale' }]);
  const fanout = codec.encode([Op.Push, 'fanout', GAME_STATE]);
  const echo = codec.encode([Op.Push, 'echo', GAME_STATE]);
  // A room message's frame starts with these bytes (the frame of [PUSH, 'room', 0] without its last byte, the 0): a
  // burst arrives as one message of many such frames, counted without decoding them.
  const roomFrame = Buffer.from(codec.encode([Op.Push, 'room', 0]));
  const roomStart = roomFrame.subarray(0, roomFrame.length - 1);
  const meaning = (frame: Frame): Heard => {
    if (frame[0] === Op.Welcome) {
      welcomed(frame[1].heartbeatMs);
      return 'ready';
    }
    if (frame[0] === Op.Push && frame[1] === 'echo') return 'echo';
    return frame[0] === Op.Reply ? 'ack' : undefined;
  };
  return {
    url,
    opened: (ws) => ws.send(hello),
    heard: (_ws, data) => {
      const bytes = data as Buffer;
      const rooms = occurrences(bytes, roomStart);
      if (rooms > 0) return Array.from({ length: rooms }, () => 'room');
      return codec.decode(bytes).map(meaning);
    },
    join: (ws, id) => ws.send(codec.encode([Op.Request, id, 'join', null])),
    fanout: (ws) => ws.send(fanout),
    echo: (ws) => ws.send(echo),
  };
}

function socketIoWire(url: string): Wire {
  const payload = JSON.stringify(GAME_STATE);
  const room = Buffer.from('42["room"');
  return {
    url: `${url}/socket.io/?EIO=4&transport=websocket`,
    opened: () => undefined,
    heard(ws, data) {
      const bytes = data as Buffer;
      if (bytes.subarray(0, room.length).equals(room)) return ['room'];
      const text = bytes.toString();
      if (text === '2') {
        ws.send('3');
        return [];
      }
      if (text.startsWith('0{')) {
        ws.send('40');
        return [];
      }
      if (text.startsWith('40')) return ['ready'];
      if (text.startsWith('42["echo"')) return ['echo'];
      return text.startsWith('43') ? ['ack'] : [];
    },
    join: (ws, id) => ws.send(`42${id}["join"]`),
    fanout: (ws) => ws.send(`42["fanout",${payload}]`),
    echo: (ws) => ws.send(`42["echo",${payload}]`),
  };
}

/** Connections opening at once outside a storm, per process: four processes stay under the listen backlog (511). */
const OPENING_AT_ONCE = 64;

function main(kind: string, url: string, addresses: readonly string[]): void {
  const sockets: WebSocket[] = [];
  let heartbeat: NodeJS.Timeout | undefined;
  const startHeartbeat = (heartbeatMs: number) => {
    if (heartbeat) return;
    // One sweep for the whole fleet: each tick PINGs one slice of it, so every connection PINGs once per interval.
    const slices = 10;
    const ping = new FrameCodec().encode([Op.Ping, 0]);
    let slice = 0;
    heartbeat = setInterval(() => {
      for (let i = slice; i < sockets.length; i += slices) if (sockets[i]?.readyState === WebSocket.OPEN) sockets[i]?.send(ping);
      slice = (slice + 1) % slices;
    }, heartbeatMs / slices);
  };
  const wire = kind === 'socketio' ? socketIoWire(url) : multisocketWire(url, startHeartbeat);
  let lost = 0;
  /** Why the first connection that failed to open failed (reported with the count). */
  let firstFailure: string | undefined;
  let room = 0;
  let roomTarget = Infinity;
  let members = 0;
  const waiting: Record<'echo' | 'ack', (() => void) | undefined> = { echo: undefined, ack: undefined };

  const onHeard = (heard: Heard) => {
    if (heard === 'room') {
      if (++room === roomTarget) {
        roomTarget = Infinity;
        tellParent({ type: 'delivered', at: preciseNow() });
      }
    } else if (heard === 'echo' || heard === 'ack') waiting[heard]?.();
  };

  /** Opens one connection; resolves with its connect time in ms, or -1 when it failed. */
  const open = (index: number): Promise<number> =>
    new Promise((resolve) => {
      const start = preciseNow();
      const ws = new WebSocket(wire.url, { perMessageDeflate: false, localAddress: addresses[index % addresses.length] as string });
      let ready = false;
      ws.on('open', () => wire.opened(ws));
      ws.on('message', (data, isBinary) => {
        for (const heard of wire.heard(ws, data, isBinary)) {
          if (heard !== 'ready') onHeard(heard);
          else if (!ready) {
            ready = true;
            sockets.push(ws);
            resolve(preciseNow() - start);
          }
        }
      });
      ws.on('error', (error) => {
        if (!ready) firstFailure ??= error.message;
      }); // its close follows
      ws.on('close', (code, reason) => {
        if (ready && lost++ === 0) process.stderr.write(`scale client: the server closed a connection (${code} ${reason.toString()})\n`);
        else resolve(-1);
      });
    });

  const connect = async (count: number, storm: boolean) => {
    const startedAt = preciseNow();
    const base = sockets.length;
    const times: number[] = [];
    if (storm) times.push(...(await Promise.all(Array.from({ length: count }, (_, i) => open(base + i)))));
    else {
      let next = 0;
      const opener = async () => {
        while (next < count) times.push(await open(base + next++));
      };
      await Promise.all(Array.from({ length: Math.min(OPENING_AT_ONCE, count) }, opener));
    }
    const connectMs = times.filter((t) => t >= 0);
    const failed = times.length - connectMs.length;
    return { type: 'connected', startedAt, doneAt: preciseNow(), connectMs: storm ? connectMs : [], failed, firstFailure: failed > 0 ? firstFailure : undefined, lost };
  };

  /** Sends with `send` and resolves on the next `what` heard (one request in flight at a time). */
  const roundTrip = (what: 'echo' | 'ack', send: () => void) =>
    new Promise<void>((resolve) => {
      waiting[what] = () => {
        waiting[what] = undefined;
        resolve();
      };
      send();
    });

  const answer = async (message: ScriptMessage): Promise<ScriptMessage | undefined> => {
    switch (message.type) {
      case 'connect':
        return connect(Number(message.count), message.storm === true);
      case 'join': {
        const count = Math.min(Number(message.count), sockets.length);
        for (; members < count; members++) await roundTrip('ack', () => wire.join(sockets[members] as WebSocket, members + 1));
        return { type: 'joined', members, lost };
      }
      case 'expect':
        roomTarget = room + Number(message.messages) * members;
        if (roomTarget === room) setImmediate(() => tellParent({ type: 'delivered', at: preciseNow() }));
        return { type: 'expecting' };
      case 'send': {
        const at = preciseNow();
        for (let i = 0; i < Number(message.messages); i++) wire.fanout(sockets[0] as WebSocket);
        return { type: 'sent', at };
      }
      case 'echo': {
        const rtts: number[] = [];
        for (let i = 0; i < Number(message.count); i++) {
          const t0 = preciseNow();
          await roundTrip('echo', () => wire.echo(sockets[0] as WebSocket));
          rtts.push(preciseNow() - t0);
        }
        return { type: 'echoed', rtts, lost };
      }
      default:
        return undefined;
    }
  };

  let queue = Promise.resolve();
  listenToParent(
    (message) => {
      // One command at a time, in order.
      queue = queue
        .then(() => answer(message))
        .then((reply) => reply && tellParent(reply))
        .catch((error: unknown) => {
          process.stderr.write(`scale client: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
          process.exit(1);
        });
    },
    () => {
      for (const ws of sockets) ws.terminate();
      process.exit(0);
    },
  );
  tellParent({ type: 'ready' });
}

main(process.argv[2] ?? 'multisocket', process.argv[3] as string, (process.argv[4] ?? '127.0.0.2').split(','));
