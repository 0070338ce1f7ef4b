/*
 * The demo's command line: `npm start -- --players 6 --seconds 30 --no-faults --json`.
 */
import { integerOption, OptionError, readCommandLine } from '../command-line';

/** What the demo runs. */
export interface DemoOptions {
  /** Simulated players, each a mini-game on its own emulated phone. Default 4. */
  players: number;
  /** How long the players send (game inputs and chat lines), s; the drain and the summary follow. Default 19. */
  seconds: number;
  /** Inject the fault script (dropped sockets, a hidden app, a chat server restart). Default true. */
  faults: boolean;
  /** Print only the final summary, as JSON. Default false. */
  json: boolean;
}

/** Defaults: about 20 s in all, faults included. */
export const DEFAULT_DEMO_OPTIONS: Readonly<DemoOptions> = Object.freeze({ players: 4, seconds: 19, faults: true, json: false });

/** The fault script hides an app for 6 s (past the platform's 5 s cut) and needs the run to outlast it. */
export const MIN_SECONDS_WITH_FAULTS = 10;
const MAX_PLAYERS = 20;
const MAX_SECONDS = 600;

export const USAGE = `usage: npm start -- [--players N] [--seconds S] [--no-faults] [--json]
  --players N   simulated players, 1-${MAX_PLAYERS} (default ${DEFAULT_DEMO_OPTIONS.players})
  --seconds S   how long the players send, 1-${MAX_SECONDS} (default ${DEFAULT_DEMO_OPTIONS.seconds}); at least ${MIN_SECONDS_WITH_FAULTS} with faults
  --no-faults   no dropped sockets, hidden app or chat server restart
  --json        print only the final summary, as JSON
  --help        this text
Exit code: 0 when no chat message was lost, duplicated or reordered; 1 otherwise; 2 for a bad option.`;

/**
 * Parses `argv` (without `node` and the script). Returns `'help'` for `--help`.
 * @throws {OptionError} naming the option that is unknown, lacks its value or has a bad one.
 */
export function parseOptions(argv: readonly string[]): DemoOptions | 'help' {
  const line = readCommandLine(argv, {
    players: { type: 'string' },
    seconds: { type: 'string' },
    'no-faults': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (line === 'help') return line;
  const { values } = line;
  const options: DemoOptions = {
    players: integerOption('--players', values.players, DEFAULT_DEMO_OPTIONS.players, 1, MAX_PLAYERS),
    seconds: integerOption('--seconds', values.seconds, DEFAULT_DEMO_OPTIONS.seconds, 1, MAX_SECONDS),
    faults: values['no-faults'] !== true,
    json: values.json === true,
  };
  if (options.faults && options.seconds < MIN_SECONDS_WITH_FAULTS) {
    throw new OptionError(
      'invalid_option',
      '--seconds',
      `--seconds must be at least ${MIN_SECONDS_WITH_FAULTS} with faults (the hidden app stays away 6 s); add --no-faults for a shorter run`,
    );
  }
  return options;
}
