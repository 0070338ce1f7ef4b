import { availableParallelism } from 'node:os';
import { integerOption, OptionError, readCommandLine } from '../scripts/command-line';
import { type FaultRates, parseFaults } from './faults';

/** What one run of `multisocket-loadtest` does; every field has its default in {@link USAGE}. */
export interface LoadOptions {
  /** The server's URL (ws:// or wss://, with its path); undefined: start the reference server on 127.0.0.1. */
  readonly url: string | undefined;
  readonly players: number;
  /** New players per second. */
  readonly ramp: number;
  /** Seconds the full load is held after the ramp. */
  readonly duration: number;
  /** Game inputs per second per player. */
  readonly gameRate: number;
  /** Chat lines per second per player. */
  readonly chatRate: number;
  readonly roomSize: number;
  readonly token: string | undefined;
  readonly tokenCommand: string | undefined;
  readonly json: boolean;
  readonly report: string | undefined;
  readonly faults: FaultRates;
  readonly maxP99: number | undefined;
  readonly maxErrors: number | undefined;
  readonly workers: number;
}

export const USAGE = `usage: multisocket-loadtest [options]
Simulated players, each the real runtime (a game and a chat channel through the presets), against a server.
  --url URL            the server (ws:// or wss://, with its path, e.g. ws://host:8787/ws)
                       (default: start the reference server on 127.0.0.1, in this process)
  --players N          players at full load (default 100)
  --ramp N             players added per second (default 50)
  --duration S         seconds the full load is held after the ramp (default 10)
  --game-rate N        game inputs per second per player (default 10)
  --chat-rate N        chat lines per second per player (default 0.2)
  --room-size N        players per chat room (default 10)
  --token T            the token every connection sends (default none)
  --token-command CMD  a shell command that prints a token, run before each connection (instead of --token)
  --json               the summary as JSON on stdout instead of a table
  --report FILE.html   also write an HTML report with charts (self-contained: opens without a network)
  --faults SPEC        faults per player per minute, e.g. drop=0.1,background=0.05,offline=0.05:
                         drop        the socket is cut (the channels reconnect and resume)
                         background  the app is hidden for 8 s, past the platform's 5 s cut, then shown
                         offline     the network is lost for 3 s (sockets cut, the lifecycle says offline)
  --max-p99 MS         exit 1 when the game round trip p99 is above MS
  --max-errors N       exit 1 when more than N errors were counted
  --workers N          worker threads the players are spread over (default: one per 250 players, at most the cores)
  -h, --help           this text
The live view is one line a second on stderr. Exit 0: all thresholds met, no chat line lost or duplicated;
1: a threshold was exceeded, or a chat line was lost or duplicated; 2: a command line it cannot use.`;

const OPTIONS = {
  url: { type: 'string' },
  players: { type: 'string' },
  ramp: { type: 'string' },
  duration: { type: 'string' },
  'game-rate': { type: 'string' },
  'chat-rate': { type: 'string' },
  'room-size': { type: 'string' },
  token: { type: 'string' },
  'token-command': { type: 'string' },
  json: { type: 'boolean' },
  report: { type: 'string' },
  faults: { type: 'string' },
  'max-p99': { type: 'string' },
  'max-errors': { type: 'string' },
  workers: { type: 'string' },
} as const;

/**
 * `text` as a finite number of at least `min` (a rate may be fractional); `fallback` when not given.
 * @throws {OptionError} naming the option and the value.
 */
function numberOption(option: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min) throw new OptionError('invalid_option', option, `${option} must be a number of at least ${min}, got "${text}"`);
  return value;
}

/**
 * Reads the command line (without `node` and the script); `'help'` for `--help`.
 * @throws {OptionError} for an unknown option or a value it cannot use.
 */
export function parseLoadOptions(argv: readonly string[]): LoadOptions | 'help' {
  const parsed = readCommandLine(argv, OPTIONS);
  if (parsed === 'help') return 'help';
  const v = parsed.values;
  const url = v.url;
  if (url !== undefined && !/^wss?:\/\/[^/\s]+/.test(url)) throw new OptionError('invalid_option', '--url', `--url must be a ws:// or wss:// URL, got "${url}"`);
  if (v.token !== undefined && v['token-command'] !== undefined) throw new OptionError('invalid_option', '--token', '--token and --token-command cannot both be given');
  const players = integerOption('--players', v.players, 100, 1, 100_000);
  return {
    url,
    players,
    ramp: numberOption('--ramp', v.ramp, 50, 0.001),
    duration: numberOption('--duration', v.duration, 10, 0),
    gameRate: numberOption('--game-rate', v['game-rate'], 10, 0),
    chatRate: numberOption('--chat-rate', v['chat-rate'], 0.2, 0),
    roomSize: integerOption('--room-size', v['room-size'], 10, 1, 10_000),
    token: v.token,
    tokenCommand: v['token-command'],
    json: v.json === true,
    report: v.report,
    faults: parseFaults(v.faults),
    maxP99: v['max-p99'] === undefined ? undefined : numberOption('--max-p99', v['max-p99'], 0, 0),
    maxErrors: v['max-errors'] === undefined ? undefined : integerOption('--max-errors', v['max-errors'], 0, 0),
    workers: integerOption('--workers', v.workers, Math.max(1, Math.min(availableParallelism(), Math.ceil(players / 250))), 1, 256),
  };
}
