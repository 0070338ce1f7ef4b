import { readFileSync } from 'fs';
import { dirname, join, resolve } from 'path';
import { builtinModules } from 'module';
import * as vm from 'vm';

/** What a sandboxed module system exposes: `require` inside the context, and a way to run code there. */
export interface DeviceSandbox {
  require(path: string): unknown;
  run<T>(code: string): T;
  context: vm.Context;
}

export interface DeviceSandboxOptions {
  /** Globals the device has (timers, console). A real phone has `setTimeout` and `console`. */
  globals?: Record<string, unknown>;
  /** Expose the global object as `GameGlobal`, as a mini-game does. Default true. */
  gameGlobal?: boolean;
}

/**
 * A Node `vm` context shaped like a WeChat device: no `TextEncoder`, `TextDecoder`, `globalThis`, `Buffer` or
 * `process`, and code generation from strings forbidden (`eval`, `new Function`). Modules are loaded with a tiny
 * CommonJS loader that refuses Node built-ins, so anything that reaches for Node fails here as it would on a phone.
 */
export function createDeviceSandbox(options: DeviceSandboxOptions = {}): DeviceSandbox {
  const context = vm.createContext(
    { console, setTimeout, clearTimeout, ...options.globals },
    { codeGeneration: { strings: false, wasm: false } },
  );
  vm.runInContext(
    `${options.gameGlobal === false ? '' : 'this.GameGlobal = this;'} delete this.globalThis;`,
    context,
  );
  const cache = new Map<string, { exports: unknown }>();

  function resolveFrom(from: string, request: string): string {
    if (builtinModules.includes(request) || request.startsWith('node:')) {
      throw new Error(`device sandbox: '${request}' is a Node built-in; a phone has none (required from ${from})`);
    }
    if (request.startsWith('.') || request.startsWith('/')) {
      const base = resolve(dirname(from), request);
      for (const candidate of [base, `${base}.js`, `${base}.cjs`, join(base, 'index.js')]) {
        try {
          readFileSync(candidate);
          return candidate;
        } catch {
          // try the next candidate
        }
      }
      throw new Error(`device sandbox: cannot resolve '${request}' from ${from}`);
    }
    return require.resolve(request, { paths: [dirname(from)] });
  }

  function load(filename: string): unknown {
    const cached = cache.get(filename);
    if (cached) return cached.exports;
    const module = { exports: {} as unknown };
    cache.set(filename, module);
    const source = readFileSync(filename, 'utf8');
    const wrapper = vm.runInContext(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, context, {
      filename,
    }) as (e: unknown, r: (p: string) => unknown, m: { exports: unknown }, f: string, d: string) => void;
    wrapper(module.exports, (request) => load(resolveFrom(filename, request)), module, filename, dirname(filename));
    return module.exports;
  }

  return {
    require: (path) => load(resolve(path)),
    run: <T>(code: string) => vm.runInContext(code, context) as T,
    context,
  };
}
