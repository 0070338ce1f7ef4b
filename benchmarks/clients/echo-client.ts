/*
 * One contender's client process for the end-to-end suites, on the benchmarks' one harness (../script-process): it
 * says `ready` once one echo has come back as sent, answers each `{type: 'round', window, burst, durationMs}` with
 * `{type: 'result', ...}` (echoes, elapsed time and its own CPU time), and closes its connection and exits when its
 * stdin closes. The workload is the same for every contender (see `round`).
 * Usage: echo-client.js <kind> <url>
 */
import { isDeepStrictEqual } from 'node:util';
import type { EchoConnection, EchoKind, EchoRound, RoundResult } from '../echo-kinds';
import { GAME_STATE } from '../payloads';
import { answerParent, failOnError } from '../script-process';
import { connect } from './connect';

failOnError('echo client');

const NOOP = (): void => undefined;
let onEcho: (payload: unknown) => void = NOOP;

/**
 * One round: the application sends in bursts of up to `burst` per turn, never more than `window` in flight; each
 * burst runs on the turn after echoes arrive (setImmediate), the way a game sends what a frame produced. After
 * `durationMs` no new burst starts and the round ends when every echo is back.
 */
function round(connection: EchoConnection, window: number, burst: number, durationMs: number): Promise<RoundResult> {
  return new Promise((resolve) => {
    let sent = 0;
    let received = 0;
    let stopping = false;
    let scheduled = false;
    const cpu = process.cpuUsage();
    const messagesBefore = connection.messagesSent?.();
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round(durationMs * 1e6));
    const pump = (): void => {
      scheduled = false;
      if (stopping) return;
      if (process.hrtime.bigint() >= deadline) {
        stopping = true;
        finishIfDrained();
        return;
      }
      const n = Math.min(burst, window - (sent - received));
      for (let i = 0; i < n; i++) connection.send();
      sent += n;
      // Room left in the window: the next turn sends the next burst, whether or not an echo arrives meanwhile.
      if (sent - received < window) schedule();
    };
    const schedule = (): void => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(pump);
    };
    const finishIfDrained = (): void => {
      if (received !== sent) return;
      const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
      const used = process.cpuUsage(cpu);
      onEcho = NOOP;
      const result: RoundResult = { messages: received, elapsedMs, cpuUs: used.user + used.system };
      if (messagesBefore !== undefined) result.wsMessagesSent = (connection.messagesSent?.() ?? 0) - messagesBefore;
      resolve(result);
    };
    onEcho = () => {
      received++;
      if (stopping) finishIfDrained();
      else schedule();
    };
    pump();
  });
}

async function main(): Promise<void> {
  const [kind, url] = process.argv.slice(2) as [EchoKind, string];
  const connection = await connect(kind, url, {
    onEcho: (payload) => onEcho(payload),
    onLost: (why) => {
      process.stderr.write(`echo client ${kind}: ${why}\n`);
      process.exit(1);
    },
  });
  // One echo first, compared with what was sent: a contender that echoes something else is no contender.
  const first = await new Promise<unknown>((resolve) => {
    onEcho = resolve;
    connection.send();
  });
  onEcho = NOOP;
  if (!isDeepStrictEqual(first, GAME_STATE)) throw new Error(`${kind}: the echo differs from what was sent`);
  answerParent<EchoRound>(
    `echo client ${kind}`,
    'round',
    async (command) => {
      return { type: 'result', ...(await round(connection, command.window, command.burst, command.durationMs)) };
    },
    () => connection.close(),
  );
}

void main();
