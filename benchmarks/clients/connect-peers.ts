/*
 * The clients of the other protocols a mini-game team would pick, for the end-to-end suites: MQTT over WebSocket
 * (`mqtt`, QoS 0 or 1, to an aedes broker) and Colyseus (`colyseus.js`, room messages). Same contract as connect.ts:
 * `send` one echo request with the ~100 B game state, `onEcho` for each echo.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { Client as ColyseusClient } from 'colyseus.js';
import { connect as mqttConnect } from 'mqtt';
import { GAME_STATE } from '../payloads';
import type { EchoConnection } from '../echo-kinds';

/**
 * MQTT 3.1.1 over WebSocket: the client subscribes to `echo` and publishes the msgpack-encoded state there at `qos`;
 * the broker forwards each publish back to it (the echo). QoS 1 is acknowledged in both directions (PUBACK), as
 * `sendReliable` is (ACK).
 */
export function mqtt(url: string, qos: 0 | 1, onEcho: (payload: unknown) => void, onLost: (why: string) => void): Promise<EchoConnection> {
  const encoder = new Encoder();
  const decoder = new Decoder();
  const client = mqttConnect(url, { reconnectPeriod: 0, connectTimeout: 10_000 });
  client.on('message', (topic, message) => {
    if (topic === 'echo') onEcho(decoder.decode(message));
  });
  let closing = false;
  client.on('close', () => {
    if (!closing) onLost('mqtt connection closed');
  });
  return new Promise((resolve, reject) => {
    client.once('error', reject);
    client.once('connect', () => {
      client.subscribe('echo', { qos }, (error) => {
        if (error) {
          reject(error);
          return;
        }
        resolve({
          send: () => void client.publish('echo', Buffer.from(encoder.encode(GAME_STATE)), { qos }),
          close: () => {
            closing = true;
            return client.endAsync().then(() => undefined);
          },
        });
      });
    });
  });
}

/** colyseus.js joins (or creates) the server's `echo` room and sends `echo` room messages; the room sends each back. */
export async function colyseus(url: string, onEcho: (payload: unknown) => void, onLost: (why: string) => void): Promise<EchoConnection> {
  const client = new ColyseusClient(url.replace(/^ws/, 'http'));
  const room = await client.joinOrCreate('echo');
  room.onMessage('echo', (payload: unknown) => onEcho(payload));
  let closing = false;
  room.onLeave((code) => {
    if (!closing) onLost(`colyseus room left (${code})`);
  });
  return {
    send: () => room.send('echo', GAME_STATE),
    close: async () => {
      closing = true;
      await room.leave(true);
    },
  };
}
