import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths';

/*
 * The code blocks of the docs, for the tests that compile and run them (test/docs/). Every fenced ```ts and ```js block
 * of README.md, SCALING.md and PROTOCOL.md is checked. A block that leans on names it does not define (a `manager` made
 * in the block before, the application's own `render`) says so in an HTML comment right before it, which the rendered
 * page does not show:
 *
 *   <!-- doc-test: assumes
 *   declare const manager: import('multisocket').ConnectionManager;
 *   declare function render(...args: unknown[]): void;
 *   -->
 *
 * The declarations are compiled as globals beside the block, so an import the block itself makes wins over them. A
 * block with no code to check (a shell transcript written as ```js, say) is marked `<!-- doc-test: skip (why) -->`;
 * the tests require the reason.
 */

/** The docs whose code blocks are checked. */
export const DOCS = ['README.md', 'SCALING.md', 'PROTOCOL.md'] as const;

/** One fenced code block. */
export interface DocBlock {
  /** `README.md:23`: the doc and the line of the opening fence. */
  readonly where: string;
  readonly lang: 'ts' | 'js';
  readonly code: string;
  /** TypeScript declarations the block assumes (its `doc-test: assumes` comment), or ''. */
  readonly assumes: string;
  /** The reason given by a `doc-test: skip` comment, or undefined. */
  readonly skip: string | undefined;
  /** The name given by a `doc-test: name <name>` comment, for the tests that run a block. */
  readonly name: string | undefined;
}

const FENCE = /^```(\w*)(?:[ \t].*)?$/;
const MARKER = /<!--\s*doc-test:\s*(assumes|skip|name)\b([\s\S]*?)-->\s*$/;

/** Every ```ts and ```js block of `doc`, with the marker comment that precedes it (blank lines allowed between). */
export function docBlocks(doc: string): DocBlock[] {
  const lines = readFileSync(join(ROOT, doc), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (!open) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && (lines[end] as string).trim() !== '```') end++;
    i = end;
    const lang = open[1];
    if (lang !== 'ts' && lang !== 'js') continue;
    const markers = markersBefore(lines, start);
    blocks.push({
      where: `${doc}:${start + 1}`,
      lang,
      code: lines.slice(start + 1, end).join('\n'),
      assumes: markers.get('assumes') ?? '',
      skip: markers.get('skip'),
      name: markers.get('name'),
    });
  }
  return blocks;
}

/** The `doc-test` comments directly above line `fence` (each may span lines), by kind. */
function markersBefore(lines: readonly string[], fence: number): Map<string, string> {
  const found = new Map<string, string>();
  let j = fence - 1;
  while (j >= 0 && (lines[j] as string).trim() === '') j--;
  while (j >= 0 && (lines[j] as string).trimEnd().endsWith('-->')) {
    let k = j;
    while (k >= 0 && !(lines[k] as string).includes('<!--')) k--;
    const marker = MARKER.exec(lines.slice(k, j + 1).join('\n'));
    if (!marker) break;
    found.set(marker[1] as string, (marker[2] as string).trim());
    j = k - 1;
    while (j >= 0 && (lines[j] as string).trim() === '') j--;
  }
  return found;
}
