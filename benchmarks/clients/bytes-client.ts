/*
 * A client process of the bytes suite: two clients of one contender, the phone that is measured connected through a
 * frame meter (./frame-meter), which counts what crosses its wire, and a second one connected directly (another
 * player). It says `ready` once each has had one echo, then answers `{type: 'run', ...}` from the parent with
 * `{type: 'ran', windows}`, the frames each way on the measured phone's wire in each window:
 * - `exchange: {topic, payload, count, from}`: `count` windows, one message at a time: from `self`, the phone sends
 *   and waits for the echo (every message leaves alone); from `other`, the other player sends on a topic the server
 *   sends to everyone and the window ends when both have it (what the phone pays to receive it, acknowledgements
 *   included).
 * - `idleFrames`: one window, sending nothing, until that many frames crossed (the heartbeats).
 * Usage: bytes-client.js <kind> <url> [heartbeatMs]
 */
import type { EchoConnection, EchoKind } from '../echo-kinds';
import { answerParent, failOnError, type ScriptMessage } from '../script-process';
import { connect } from './connect';
import { startFrameMeter } from './frame-meter';

failOnError('bytes client');

/** Parent -> client. */
export interface BytesRun extends ScriptMessage {
  readonly type: 'run';
  readonly exchange?: { readonly topic: string; readonly payload: unknown; readonly count: number; readonly from: 'self' | 'other' };
  readonly idleFrames?: number;
}

/** The frames of one window, by size (WebSocket header, masking key and payload), each way. */
export interface Frames {
  readonly up: number[];
  readonly down: number[];
}

const NOOP = (): void => undefined;

/** A client whose next echo can be awaited. */
class Echoes {
  private waiting: () => void = NOOP;
  readonly onEcho = (): void => this.waiting();
  next(): Promise<void> {
    return new Promise((resolve) => (this.waiting = resolve));
  }
  done(): void {
    this.waiting = NOOP;
  }
}

async function open(kind: EchoKind, url: string, echoes: Echoes, heartbeatMs: number | undefined): Promise<EchoConnection> {
  const connection = await connect(kind, url, {
    onEcho: echoes.onEcho,
    onLost: (why) => {
      process.stderr.write(`bytes client ${kind}: ${why}\n`);
      process.exit(1);
    },
    ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
  });
  const first = echoes.next();
  connection.send();
  await first;
  echoes.done();
  return connection;
}

async function main(): Promise<void> {
  const [kind, url, heartbeat] = process.argv.slice(2) as [EchoKind, string, string | undefined];
  const heartbeatMs = heartbeat === undefined ? undefined : Number(heartbeat);
  const meter = await startFrameMeter(url);
  const phoneEchoes = new Echoes();
  const otherEchoes = new Echoes();
  const phone = await open(kind, meter.url, phoneEchoes, heartbeatMs);
  const other = await open(kind, url, otherEchoes, undefined);
  const window = async (during: () => Promise<unknown>): Promise<Frames> => {
    const [up, down] = [meter.up.frames, meter.down.frames];
    await during();
    return { up: meter.up.sizes.slice(up), down: meter.down.sizes.slice(down) };
  };
  answerParent<BytesRun>(
    `bytes client ${kind}`,
    'run',
    async ({ exchange, idleFrames }) => {
      if (idleFrames !== undefined) return { type: 'ran', windows: [await window(() => meter.framesAfter(idleFrames))] };
      const windows: Frames[] = [];
      for (let i = 0; i < (exchange?.count ?? 0); i++) {
        windows.push(
          await window(() => {
            const heard = exchange?.from === 'other' ? [phoneEchoes.next(), otherEchoes.next()] : [phoneEchoes.next()];
            (exchange?.from === 'other' ? other : phone).send(exchange?.topic, exchange?.payload);
            return Promise.all(heard);
          }),
        );
      }
      phoneEchoes.done();
      otherEchoes.done();
      return { type: 'ran', windows };
    },
    async () => {
      await Promise.all([phone.close(), other.close()]);
      await meter.close();
    },
  );
}

void main();
