import { FAULT_KINDS } from '../support/fault-proxy';
import { QUICK_SOAK, runSoak } from '../../scripts/soak-run';

/*
 * The soak in its bounded form (`npm run soak` runs the long one): game and chat traffic through the fault proxy under
 * a seeded schedule that injects every fault kind at least once. Nothing may be lost, duplicated or reordered, and no
 * cut may surface as a protocol error.
 */
const SEED = Number(process.env.SOAK_SEED ?? 20261126);

it(`quick soak (seed ${SEED}): ${QUICK_SOAK.messages} reliable messages under every kind of fault, none lost, duplicated or reordered`, async () => {
  const report = await runSoak({ ...QUICK_SOAK, seed: SEED });
  process.stdout.write(`quick soak: ${JSON.stringify(report)}\n`);
  expect(report.stalled).toBeUndefined();
  expect(report.messages).toBe(QUICK_SOAK.messages);
  // Each chat message is checked at both players, each game message at the server and back at its sender.
  expect(report.checked).toBeGreaterThanOrEqual(report.messages * 2);
  expect({ lost: report.lost, duplicated: report.duplicated, outOfOrder: report.outOfOrder, rejected: report.rejected }).toEqual({
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    rejected: 0,
  });
  for (const kind of FAULT_KINDS) expect(report.faults[kind]).toBeGreaterThanOrEqual(1);
  // ...and took effect: a frame was really cut, a connection really refused.
  expect(report.midFrameCuts).toBeGreaterThanOrEqual(1);
  expect(report.refusedConnections).toBeGreaterThanOrEqual(1);
  expect(report.reconnects).toBeGreaterThanOrEqual(1);
  expect(report.protocolErrors).toBe(0);
  expect(report.resyncs).toBe(0);
}, 60_000);
