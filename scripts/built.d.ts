// The types of scripts/built.js (plain JavaScript: it runs before any build), for its tests.

/** A file the build reads, relative to the package root with `/`, and when it was last modified. */
export interface Source {
  readonly path: string;
  readonly mtimeMs: number;
}

/** What the build's last step records: the source files it was built from, each with its modification time. */
export interface Stamp {
  readonly files: Readonly<Record<string, number>>;
}

/** Every source file under `root`, sorted by path. */
export function listSources(root: string): Source[];

/** Why dist/ must be built again, or undefined when it is up to date. */
export function staleness(stamp: Stamp | undefined, sources: readonly Source[]): string | undefined;

/** The stamp of the build in `root`, or undefined when there is none. */
export function readStamp(root: string): Stamp | undefined;
