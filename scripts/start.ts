/*
 * `npm start`: the demo. Reference servers on 127.0.0.1 and a handful of simulated players (mini-games on the wx
 * emulator, each with a game and a chat channel), a live view, injected faults, and a summary. Exit code: 0 when no
 * chat line was lost, duplicated or reordered, 1 otherwise (or on a crash), 2 for a bad option. See scripts/demo/.
 */
import { commandLineOrExit } from './command-line';
import { LIVE_EXTRA_LINES } from './demo/display';
import { parseOptions, USAGE } from './demo/options';
import { runDemo } from './demo/run';
import { exitCodeFor, formatSummary } from './demo/summary';

/** After the run, everything it started is closed and Node exits by itself; this only reports (and ends) a leak. */
const LEAK_GRACE_MS = 5000;

async function main(argv: readonly string[]): Promise<number> {
  const options = commandLineOrExit('multisocket demo', USAGE, () => parseOptions(argv));
  // Redrawing in place needs the whole frame on screen (the table is 78 columns wide); a smaller terminal gets lines.
  const { rows = 0, columns = 0 } = process.stdout;
  const live = !options.json && process.stdout.isTTY === true && rows > options.players * 2 + LIVE_EXTRA_LINES && columns >= 80;
  const showCursor = () => process.stdout.write('\u001b[?25h');
  // Ctrl-C during the live view: give the cursor back before leaving.
  if (live) process.once('SIGINT', () => (showCursor(), process.exit(130)));
  const summary = await runDemo(options, {
    mode: options.json ? 'quiet' : live ? 'live' : 'lines',
    write: (text) => void process.stdout.write(text),
    columns,
  });
  process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `\n${formatSummary(summary)}`);
  return exitCodeFor(summary);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => {
      process.stderr.write('multisocket demo: something was left open after the run; exiting anyway\n');
      process.exit(code);
    }, LEAK_GRACE_MS).unref();
  },
  (error: unknown) => {
    process.stderr.write(`multisocket demo: failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
