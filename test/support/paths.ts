import { packageRoot } from '../../scripts/package-root';

/** The repository's root, for tests that read what the build wrote (dist/) or the docs, from any folder of test/. */
export const ROOT = packageRoot(__dirname);
