/*
 * The clients of the other protocols a mini-game team would pick, for the end-to-end suites: MQTT over WebSocket
 * (`mqtt`, QoS 0 or 1, to an aedes broker) and Colyseus (`colyseus.js`, room messages). Same contract as connect.ts:
 * `send` one echo request (by default the ~100 B game state on `echo`), `onEcho` for each echo.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { Client as ColyseusClient } from 'colyseus.js';
import { connect as mqttConnect } from 'mqtt';
import { ECHO_TOPICS, GAME_STATE } from '../payloads';
import type { EchoConnection, EchoLink } from '../echo-kinds';

/**
 * MQTT 3.1.1 over WebSocket: the client subscribes to `echo` and publishes the msgpack-encoded state there at `qos`;
 * the broker forwards each publish back to it (the echo). QoS 1 is acknowledged in both directions (PUBACK), as
 * `sendReliable` is (ACK).
 */
export function mqtt(url: string, qos: 0 | 1, { onEcho, onLost, heartbeatMs }: EchoLink): Promise<EchoConnection> {
  const encoder = new Encoder();
  const decoder = new Decoder();
  // MQTT's keepalive is in whole seconds (mqtt.js default 60).
  const keepalive = heartbeatMs === undefined ? {} : { keepalive: Math.max(1, Math.round(heartbeatMs / 1000)) };
  const client = mqttConnect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...keepalive });
  client.on('message', (topic, message) => {
    if (ECHO_TOPICS.includes(topic)) onEcho(decoder.decode(message));
  });
  let closing = false;
  client.on('close', () => {
    if (!closing) onLost('mqtt connection closed');
  });
  return new Promise((resolve, reject) => {
    client.once('error', reject);
    client.once('connect', () => {
      client.subscribe([...ECHO_TOPICS], { qos }, (error) => {
        if (error) {
          reject(error);
          return;
        }
        resolve({
          send: (topic = 'echo', payload = GAME_STATE) => void client.publish(topic, Buffer.from(encoder.encode(payload)), { qos }),
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
export async function colyseus(url: string, { onEcho, onLost }: EchoLink): Promise<EchoConnection> {
  const client = new ColyseusClient(url.replace(/^ws/, 'http'));
  const room = await client.joinOrCreate('echo');
  for (const topic of ECHO_TOPICS) room.onMessage(topic, (payload: unknown) => onEcho(payload));
  let closing = false;
  room.onLeave((code) => {
    if (!closing) onLost(`colyseus room left (${code})`);
  });
  return {
    send: (topic = 'echo', payload = GAME_STATE) => room.send(topic, payload),
    close: async () => {
      closing = true;
      await room.leave(true);
    },
  };
}
