/*
 * `npm run example:web`: the example mini-game in the browser, next to its reference servers. Open the printed address
 * in two tabs, steer a dot in each, chat between them, and press the fault buttons. Ctrl-C stops everything.
 * See examples/minigame/README.md and scripts/example-web/.
 */
import { commandLineOrExit, integerOption, readCommandLine } from './command-line';
import { startExampleWeb } from './example-web/server';

const DEFAULT_PORT = 8080;
const USAGE = `usage: npm run example:web -- [--port N]
  --port N   the page's port on 127.0.0.1, 0 for a free one (default ${DEFAULT_PORT})
  --help     this text`;

async function main(argv: readonly string[]): Promise<void> {
  const port = commandLineOrExit('multisocket example:web', USAGE, () => {
    const line = readCommandLine(argv, { port: { type: 'string' } });
    return line === 'help' ? line : integerOption('--port', line.values.port, DEFAULT_PORT, 0, 65535);
  });
  const example = await startExampleWeb({ port });
  process.stdout.write(`example: open ${example.url} in two browser tabs (Ctrl-C stops)\n`);
  const stop = () => {
    example.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`multisocket example:web: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
