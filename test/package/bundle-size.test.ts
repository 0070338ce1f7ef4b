import { ROOT } from '../support/paths';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { readFileSync } from 'fs';
import { BUNDLE_BUDGET_GZIP_BYTES, sizeTable, withReadmeSizes } from '../../scripts/size';

// The size budget of the single-file bundle (dist/, made by `npm run build`, which `npm test` runs first).
// `npm run size` prints the same table for people; this only asserts it.
describe('the size of dist/multisocket.min.js', () => {
  const rows = sizeTable(ROOT);
  const ours = rows[0];

  it('is measured as gzip -9 of the built file, next to socket.io-client and mqtt', () => {
    const file = readFileSync(join(ROOT, 'dist', 'multisocket.min.js'));
    expect(ours).toMatchObject({ minBytes: file.byteLength, gzipBytes: gzipSync(file, { level: 9 }).byteLength });
    expect(rows.map((r) => r.name)).toEqual([
      expect.stringMatching(/^multisocket/),
      expect.stringMatching(/^socket\.io-client/),
      expect.stringMatching(/^socket\.io-client/),
      expect.stringMatching(/^mqtt/),
    ]);
    for (const row of rows) expect(row.gzipBytes).toBeLessThan(row.minBytes);
  });

  // The ceiling (scripts/size.ts says why there is no target): a change that grows the bundle fails here.
  it(`stays under the ceiling of ${BUNDLE_BUDGET_GZIP_BYTES} bytes min+gzip (npm run size -- --why shows what is big)`, () => {
    expect(ours?.gzipBytes).toBeLessThan(BUNDLE_BUDGET_GZIP_BYTES);
  });

  // One place for the figures: README.md shows what scripts/size.ts measures, so they cannot disagree.
  it('README.md shows the measured sizes and the ceiling (npm run size -- --readme writes them)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const written = withReadmeSizes(readme, rows);
    expect(written).toContain(`| multisocket (runtime, presets, msgpack codec) | ${((ours?.minBytes ?? 0) / 1024).toFixed(1)} KB |`);
    expect(readme).toBe(written);
  });
});
