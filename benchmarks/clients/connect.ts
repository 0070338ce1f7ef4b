/*
 * How each contender's client connects and sends one echo request. Every client sends the same payload (by default
 * the ~100 B game state) on the same topic or event (by default `echo`; the bytes suite uses the `WIRE_TOPICS`) and
 * calls `onEcho` for each echo it receives; nothing else differs.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { io } from 'socket.io-client';
import * as msgpackParser from 'socket.io-msgpack-parser';
import WebSocket from 'ws';
import { ConnectionManager, webSocketTransport } from '../../src';
import type { EchoConnection, EchoKind, EchoLink } from '../echo-kinds';
import { ECHO_TOPICS, GAME_STATE } from '../payloads';
import { colyseus, mqtt } from './connect-peers';

/**
 * Connects a client of `kind` to `url`; resolves once it can send. `onLost` is called if the connection drops after
 * that (a benchmark that silently reconnects would measure the wrong thing).
 */
export function connect(kind: EchoKind, url: string, link: EchoLink): Promise<EchoConnection> {
  switch (kind) {
    case 'raw-ws':
      return rawWs(url, link);
    case 'multisocket':
      return multisocket(url, link, 'unbatched');
    case 'multisocket-batched':
      return multisocket(url, link, 'batched');
    case 'multisocket-reliable':
      return multisocket(url, link, 'reliable');
    case 'socket.io':
      return socketIo(url, link, false);
    case 'socket.io-msgpack':
      return socketIo(url, link, true);
    case 'mqtt':
      return mqtt(url, 0, link);
    case 'mqtt-qos1':
      return mqtt(url, 1, link);
    case 'colyseus':
      return colyseus(url, link);
  }
}

/** The hand-written floor: `[topic, payload]` arrays, one reused Encoder and Decoder, one ws message per send. */
function rawWs(url: string, { onEcho, onLost }: EchoLink): Promise<EchoConnection> {
  const encoder = new Encoder();
  const decoder = new Decoder();
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('message', (data: Buffer) => {
    const message = decoder.decode(data) as [string, unknown];
    if (ECHO_TOPICS.includes(message[0])) onEcho(message[1]);
  });
  let closing = false;
  ws.on('close', (code) => {
    if (!closing) onLost(`raw ws closed with ${code}`);
  });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        send: (topic = 'echo', payload = GAME_STATE) => ws.send(encoder.encode([topic, payload])),
        close: () =>
          new Promise((done) => {
            closing = true;
            ws.once('close', () => done());
            ws.close(1000);
          }),
      }),
    );
  });
}

/**
 * A channel of a ConnectionManager over `ws`: `unbatched` sets maxBatchBytes to 1 so every frame leaves alone;
 * `reliable` sends with `sendReliable` (default batching), and the server answers each RELIABLE with a RELIABLE.
 */
function multisocket(url: string, { onEcho, onLost, heartbeatMs }: EchoLink, mode: 'unbatched' | 'batched' | 'reliable'): Promise<EchoConnection> {
  const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket) });
  const heartbeat = heartbeatMs === undefined ? {} : { heartbeat: { intervalMs: heartbeatMs } };
  const channel = manager.open('bench', mode === 'unbatched' ? { url, maxBatchBytes: 1, ...heartbeat } : { url, ...heartbeat });
  for (const topic of ECHO_TOPICS) channel.subscribe(topic, (payload) => onEcho(payload));
  return new Promise((resolve, reject) => {
    const undoError = channel.on('error', (error) => reject(error));
    const undoOpen = channel.on('open', () => {
      undoError();
      undoOpen();
      let closing = false;
      channel.on('state', ({ next, reason }) => {
        if (!closing && next !== 'open') onLost(`multisocket channel went ${next} (${reason})`);
      });
      resolve({
        send:
          mode === 'reliable'
            ? (topic = 'echo', payload = GAME_STATE) => void channel.sendReliable(topic, payload)
            : (topic = 'echo', payload = GAME_STATE) => void channel.send(topic, payload),
        messagesSent: () => channel.stats().messagesSent,
        close: () =>
          new Promise((done) => {
            closing = true;
            channel.on('state', ({ next }) => {
              if (next === 'closed') done();
            });
            manager.close();
          }),
      });
    });
  });
}

/** socket.io-client on the websocket transport only, with its default or its msgpack parser. */
function socketIo(url: string, { onEcho, onLost }: EchoLink, msgpack: boolean): Promise<EchoConnection> {
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...(msgpack ? { parser: msgpackParser } : {}),
  });
  for (const topic of ECHO_TOPICS) socket.on(topic, (payload: unknown) => onEcho(payload));
  let closing = false;
  socket.on('disconnect', (reason) => {
    if (!closing) onLost(`socket.io disconnected (${reason})`);
  });
  return new Promise((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('connect', () =>
      resolve({
        send: (topic = 'echo', payload = GAME_STATE) => void socket.emit(topic, payload),
        close: () => {
          closing = true;
          socket.disconnect();
          return Promise.resolve();
        },
      }),
    );
  });
}
