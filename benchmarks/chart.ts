/*
 * A hand-written SVG bar chart of the tracked ratios against their goals, so the latest run reads at a glance in
 * BENCHMARKS.md. Ratios have different units and directions, so each bar is scaled to its own goal: the dashed line is
 * the goal of every row, a bar past it is above the goal (better for ">=", worse for "<="), and colour says met or not.
 */
import { formatNumber } from './report';

/** One bar: a ratio, its goal text (">= 0.9", "<= 2") and whether it is met. */
export interface ChartBar {
  readonly key: string;
  readonly value: number;
  readonly goal: string;
  readonly met: boolean;
}

const WIDTH = 800;
const LABEL_X = 16;
const TRACK_X = 230;
const TRACK_WIDTH = 360;
/** Where the goal sits on the track: bars run to twice the goal before they are clipped. */
const GOAL_X = TRACK_X + TRACK_WIDTH / 2;
const ROW_HEIGHT = 30;
const TOP = 64;
const MET = '#2e7d32';
const MISSED = '#c62828';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The goal's threshold, or undefined when the text holds no positive number. */
function threshold(goal: string): number | undefined {
  const match = /(-?\d+(?:\.\d+)?)/.exec(goal);
  const value = match ? Number(match[1]) : NaN;
  return value > 0 ? value : undefined;
}

/** Renders the bars as a standalone SVG document. */
export function renderChart(bars: readonly ChartBar[], subtitle: string): string {
  const height = TOP + bars.length * ROW_HEIGHT + 40;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LABEL_X}" y="24" font-size="16" font-weight="bold">multisocket benchmarks: ratios against their goals</text>`,
    `<text x="${LABEL_X}" y="44" fill="#555555">${escapeXml(subtitle)}</text>`,
    `<text x="${GOAL_X}" y="${TOP - 12}" text-anchor="middle" fill="#333333">goal</text>`,
  );
  bars.forEach((bar, i) => {
    const y = TOP + i * ROW_HEIGHT;
    const goal = threshold(bar.goal);
    const relative = goal === undefined ? 1 : bar.value / goal;
    const clipped = relative > 2;
    const length = Math.max(1, (Math.min(Math.max(relative, 0), 2) / 2) * TRACK_WIDTH);
    const colour = bar.met ? MET : MISSED;
    out.push(
      `<text x="${LABEL_X}" y="${y + 17}">${escapeXml(bar.key)}</text>`,
      `<rect x="${TRACK_X}" y="${y + 5}" width="${TRACK_WIDTH}" height="16" fill="#f0f0f0"/>`,
      `<rect x="${TRACK_X}" y="${y + 5}" width="${length.toFixed(1)}" height="16" fill="${colour}"/>`,
    );
    if (clipped) out.push(`<text x="${TRACK_X + TRACK_WIDTH - 14}" y="${y + 18}" fill="#ffffff" font-weight="bold">&#187;</text>`);
    out.push(
      `<text x="${TRACK_X + TRACK_WIDTH + 10}" y="${y + 17}" fill="${colour}">${escapeXml(`${formatNumber(bar.value)}  (goal ${bar.goal}${bar.met ? '' : ', not met'})`)}</text>`,
    );
  });
  // Drawn last, so it shows over the bars.
  out.push(
    `<line x1="${GOAL_X}" y1="${TOP - 8}" x2="${GOAL_X}" y2="${TOP + bars.length * ROW_HEIGHT}" stroke="#333333" stroke-dasharray="4 3"/>`,
    `<text x="${LABEL_X}" y="${height - 14}" fill="#777777" font-size="11">Each bar is scaled to its own goal (dashed line); bars past twice the goal are clipped (&#187;). Green: goal met; red: not met.</text>`,
    '</svg>',
    '',
  );
  return out.join('\n');
}
