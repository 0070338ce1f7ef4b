import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLATFORM_FAILURES } from '../../src/failures';
import { ROOT } from '../support/paths';

// README's "Errors that name their cause" table is src/failures.ts's table: one row per cause, in the order the rows are
// tried. test/runtime/transport/failure-diagnosis.test.ts proves each row on the emulator.

/** The table as README shows it, rendered from the code. */
function rendered(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = PLATFORM_FAILURES.map((row) => `| \`${row.cause}\` | ${row.seen.map((seen) => `\`${cell(seen)}\``).join('<br>')} | ${cell(row.hint)} |`);
  return ['| `cause` | the platform says (seen) | hint |', '|---|---|---|', ...rows].join('\n');
}

it('README shows the failures table exactly as src/failures.ts has it', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- failures-table -->\n([\s\S]*?)\n<!-- \/failures-table -->/.exec(readme);
  expect(block?.[1]).toBe(rendered());
});
