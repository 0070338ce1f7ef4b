import { join } from 'path';
import type { Plugin } from 'esbuild';

/**
 * An esbuild plugin: `multisocket` and `multisocket/channels` resolve to this package's ES module build (dist/esm), as
 * an application's bundler resolves the installed package. For the examples, which import the package by name.
 */
export function packageAsEsm(root: string): Plugin {
  return {
    name: 'multisocket-esm',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^multisocket(\/channels)?$/ }, (args) => ({
        path: join(root, 'dist', 'esm', args.path === 'multisocket' ? 'src' : 'channels', 'index.js'),
      }));
    },
  };
}
