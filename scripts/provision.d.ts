// The types of scripts/provision.js (plain JavaScript: npm test runs it before the build), for its test.

/** What `plan` decides from. */
export interface Machine {
  /** The Debian packages missing (see `missingPackages`). */
  readonly missing: readonly string[];
  readonly isRoot: boolean;
  /** `sudo -n true` succeeds: sudo that asks no password. */
  readonly canSudo: boolean;
  readonly hasAptGet: boolean;
}

export type Plan =
  | { readonly action: 'ready' }
  | { readonly action: 'install'; readonly commands: readonly (readonly string[])[] }
  | { readonly action: 'stop'; readonly exitCode: number; readonly message: string };

/** The packages (redis-server, chromium) that `env` has neither on its PATH nor named by REDIS_SERVER / CHROMIUM_PATH. */
export function missingPackages(env: NodeJS.ProcessEnv): string[];

/** What to do about the missing packages on this machine. */
export function plan(machine: Machine): Plan;
