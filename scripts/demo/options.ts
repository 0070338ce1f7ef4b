/*
 * The demo's command line: `npm start -- --players 6 --seconds 30 --no-faults --json`.
 */

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
export const MAX_PLAYERS = 20;
export const MAX_SECONDS = 600;

export const USAGE = `usage: npm start -- [--players N] [--seconds S] [--no-faults] [--json]
  --players N   simulated players, 1-${MAX_PLAYERS} (default ${DEFAULT_DEMO_OPTIONS.players})
  --seconds S   how long the players send, 1-${MAX_SECONDS} (default ${DEFAULT_DEMO_OPTIONS.seconds}); at least ${MIN_SECONDS_WITH_FAULTS} with faults
  --no-faults   no dropped sockets, hidden app or chat server restart
  --json        print only the final summary, as JSON
Exit code: 0 when no chat message was lost, duplicated or reordered; 1 otherwise; 2 for a bad option.`;

/** A command-line option the demo cannot use; the process exits with code 2. */
export class OptionError extends Error {
  constructor(readonly code: 'unknown_option' | 'invalid_option', readonly option: string, message: string) {
    super(message);
    this.name = 'OptionError';
  }
}

/**
 * Parses `argv` (without `node` and the script). Returns `'help'` for `--help`.
 * @throws {OptionError} naming the option that is unknown, lacks its value or has a bad one.
 */
export function parseOptions(argv: readonly string[]): DemoOptions | 'help' {
  const options: DemoOptions = { ...DEFAULT_DEMO_OPTIONS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = name === arg ? undefined : arg.slice(eq + 1);
    const value = (): string => {
      if (inline !== undefined) return inline;
      const nextArg = argv[i + 1];
      if (nextArg === undefined || nextArg.startsWith('--')) throw new OptionError('invalid_option', name, `${name} needs a value`);
      i++;
      return nextArg;
    };
    const flag = (): true => {
      if (inline !== undefined) throw new OptionError('invalid_option', name, `${name} takes no value`);
      return true;
    };
    switch (name) {
      case '--players':
        options.players = integer(name, value(), 1, MAX_PLAYERS);
        break;
      case '--seconds':
        options.seconds = integer(name, value(), 1, MAX_SECONDS);
        break;
      case '--no-faults':
        options.faults = !flag();
        break;
      case '--json':
        options.json = flag();
        break;
      case '--help':
      case '-h':
        return 'help';
      default:
        throw new OptionError('unknown_option', name, `unknown option ${name}`);
    }
  }
  if (options.faults && options.seconds < MIN_SECONDS_WITH_FAULTS) {
    throw new OptionError(
      'invalid_option',
      '--seconds',
      `--seconds must be at least ${MIN_SECONDS_WITH_FAULTS} with faults (the hidden app stays away 6 s); add --no-faults for a shorter run`,
    );
  }
  return options;
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new OptionError('invalid_option', name, `${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}
