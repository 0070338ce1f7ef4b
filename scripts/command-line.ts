/*
 * The command lines of the scripts and the benchmarks, on node:util's parseArgs (`--name value` and `--name=value`,
 * strict): one reading of argv, one error that names the option, `--help`/`-h` everywhere, and exit code 2 for a
 * command line the command cannot use.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** What `parseArgs` gives for `options` (and `--help`), strictly parsed. */
export type CommandLine<O extends Options> = ReturnType<typeof parseArgs<{ options: O & typeof HELP; strict: true; allowPositionals: true }>>;

/** A command line the command cannot use; `option` is the option (or argument) at fault, as typed. */
export class OptionError extends Error {
  constructor(
    readonly code: 'unknown_option' | 'invalid_option',
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'OptionError';
  }
}

/**
 * Reads `argv` (without `node` and the script) against `options`; `'help'` when `--help` or `-h` is among them.
 * Strict: parseArgs' own checks, worded once here so that each names the option as typed.
 * @throws {OptionError} for an unknown option, a missing value, a value given to a flag, or more than
 * `maxPositionals` plain arguments.
 */
export function readCommandLine<O extends Options>(argv: readonly string[], options: O, maxPositionals = 0): CommandLine<O> | 'help' {
  const all = { ...options, ...HELP };
  const { tokens } = parseArgs({ args: [...argv], options: all, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((token) => token.kind === 'option' && token.name === 'help')) return 'help';
  let positionals = 0;
  for (const token of tokens) {
    if (token.kind === 'positional') {
      if (++positionals > maxPositionals) throw new OptionError('unknown_option', token.value, `unexpected argument "${token.value}"`);
    } else if (token.kind === 'option') {
      const spec = Object.prototype.hasOwnProperty.call(all, token.name) ? (all as Options)[token.name] : undefined;
      if (spec === undefined) throw new OptionError('unknown_option', token.rawName, `unknown option ${token.rawName}`);
      if (spec.type === 'boolean' && token.value !== undefined) throw new OptionError('invalid_option', token.rawName, `${token.rawName} takes no value`);
      // `--seconds --json` is a forgotten value, not the value "--json" (parseArgs' strict mode agrees).
      if (spec.type === 'string' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))) {
        throw new OptionError('invalid_option', token.rawName, `${token.rawName} needs a value`);
      }
    }
  }
  return parseArgs({ args: [...argv], options: all, strict: true, allowPositionals: true });
}

/**
 * `text` (an option's value) as an integer from `min` to `max`; `fallback` when the option was not given.
 * @throws {OptionError} naming `option` and the value.
 */
export function integerOption(option: string, text: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new OptionError('invalid_option', option, `${option} must be an integer ${range}, got "${text}"`);
  }
  return value;
}

/**
 * For a command's entry point: what `parse` makes of the command line, or the process ends there: `usage` on stdout
 * and exit 0 for `--help`, one line on stderr and exit 2 for an OptionError.
 */
export function commandLineOrExit<T>(command: string, usage: string, parse: () => T | 'help'): T {
  let parsed: T | 'help';
  try {
    parsed = parse();
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    process.stderr.write(`${command}: ${error.message} (--help lists the options)\n`);
    process.exit(2);
  }
  if (parsed === 'help') {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return parsed;
}
