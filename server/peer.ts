import { ServerError, ServerErrorCode } from './core/errors';

/*
 * `ws` and `ioredis` are optional peer dependencies, so that a client-only install (a mini-program's "build npm")
 * pulls nothing of Node. An entry that needs one checks for it before anything of it loads, and names the package to
 * install instead of Node's `Cannot find module`.
 */

/**
 * Returns when `name` can be loaded from here.
 * @throws {ServerError} `missing_package`, naming `entry` and the install command, when it cannot be found; any other
 * resolution failure as it is.
 */
export function requirePeer(name: string, entry: string): void {
  try {
    require.resolve(name);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
    throw new ServerError(ServerErrorCode.MissingPackage, `${entry} needs the "${name}" package, which is not installed: npm install ${name}`, error);
  }
}
