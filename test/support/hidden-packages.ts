import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Node arguments that make `names` look uninstalled to the process they start: a preload (`--require`) that answers
 * Node's own `Cannot find module` (code MODULE_NOT_FOUND) for each, to `require` and `require.resolve` alike, as an
 * install without those optional peers would.
 */
export function hidingPackages(names: readonly string[]): string[] {
  const hook = join(mkdtempSync(join(tmpdir(), 'multisocket-hide-')), 'hide.js');
  writeFileSync(
    hook,
    `const Module = require('module');
const hidden = new Set(${JSON.stringify(names)});
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (hidden.has(request) || [...hidden].some((name) => request.startsWith(name + '/'))) {
    const error = new Error("Cannot find module '" + request + "'");
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolve.call(this, request, ...rest);
};
`,
  );
  return ['--require', hook];
}
