import { ROOT } from '../support/paths';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { integerOption, OptionError, readCommandLine } from '../../scripts/command-line';

// The scripts' and benchmarks' shared command-line reading (parseArgs, strict), then the BUILT commands' exit codes.
const OPTIONS = { count: { type: 'string' }, quick: { type: 'boolean' } } as const;

function refusal(run: () => unknown): OptionError {
  try {
    run();
  } catch (error) {
    if (error instanceof OptionError) return error;
    throw error;
  }
  throw new Error('no OptionError');
}

describe('readCommandLine', () => {
  it('reads --name value and --name=value alike, and flags', () => {
    const spaced = readCommandLine(['--count', '7', '--quick'], OPTIONS);
    const joined = readCommandLine(['--count=7', '--quick'], OPTIONS);
    expect(spaced !== 'help' && spaced.values).toEqual({ count: '7', quick: true });
    expect(joined !== 'help' && joined.values).toEqual({ count: '7', quick: true });
  });

  it('answers help for --help or -h, whatever else is there', () => {
    expect(readCommandLine(['--bogus', '-h'], OPTIONS)).toBe('help');
    expect(readCommandLine(['--help'], OPTIONS)).toBe('help');
  });

  it.each([
    [['--bogus'], '--bogus', 'unknown option --bogus'],
    [['--count'], '--count', '--count needs a value'],
    [['--count', '--quick'], '--count', '--count needs a value'],
    [['--quick=yes'], '--quick', '--quick takes no value'],
    [['stray'], 'stray', 'unexpected argument "stray"'],
  ])('refuses %j naming %s', (argv, option, message) => {
    const error = refusal(() => readCommandLine(argv, OPTIONS));
    expect(error.option).toBe(option);
    expect(error.message).toBe(message);
  });

  it('takes as many plain arguments as it is told to', () => {
    const line = readCommandLine(['a.json'], {}, 1);
    expect(line !== 'help' && line.positionals).toEqual(['a.json']);
    expect(refusal(() => readCommandLine(['a.json', 'b.json'], {}, 1)).option).toBe('b.json');
  });
});

describe('integerOption', () => {
  it('gives the fallback when absent and the integer when in range', () => {
    expect(integerOption('--count', undefined, 5, 1)).toBe(5);
    expect(integerOption('--count', '12', 5, 1, 20)).toBe(12);
  });

  it.each([
    ['0', /--count must be an integer from 1 to 20, got "0"/],
    ['2.5', /got "2.5"/],
    ['-3', /got "-3"/],
  ])('refuses %s', (text, message) => {
    expect(refusal(() => integerOption('--count', text, 5, 1, 20)).message).toMatch(message);
  });

  it('says "at least" when there is no upper bound', () => {
    expect(refusal(() => integerOption('--seed', 'x', 5, 0)).message).toBe('--seed must be an integer of at least 0, got "x"');
  });
});

describe('the built commands', () => {
  const run = (script: string, args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist', script), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });

  it.each([
    ['scripts/fuzz.js', ['--count', 'many'], /^multisocket fuzz: --count must be an integer of at least 15, got "many"/],
    ['scripts/soak.js', ['--sed', '1'], /^multisocket soak: unknown option --sed/],
    ['scripts/size.js', ['--why=yes'], /^multisocket size: --why takes no value/],
    ['benchmarks/run.js', ['--only=codex'], /^multisocket benchmarks: --only names no suite "codex"/],
    ['server/cli.js', ['--redis'], /^multisocket server: .*--redis/],
  ])('%s %j exits 2 with one line on stderr', (script, args, message) => {
    const result = run(script, args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  it.each(['scripts/fuzz.js', 'scripts/soak.js', 'scripts/size.js', 'benchmarks/run.js', 'server/cli.js'])('%s --help prints its usage and exits 0', (script) => {
    const result = run(script, ['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: /);
  });
});
