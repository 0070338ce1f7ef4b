// The layers of the house, as rules `npm run deps` checks (part of `npm test`), so the layering written in the docs
// cannot drift from the code.
//
// Inside src/, from the bottom up (a layer imports only layers below it):
//   base       codes.ts, errors.ts, failures.ts, defaults.ts, emitter.ts
//   time       src/time/       clock, timers, backoff, deadlines
//   wire       src/wire/       msgpack, frames, the codec, batching
//   edges      src/transport/, src/routing/, src/reliable/   (siblings: none imports another)
//   channel    src/channel/
//   manager    src/manager.ts
//   public     src/index.ts    (only channels/ and tests import it)

/** The layers of src/ from the bottom up, each as a path regex for its files. */
const LAYERS = [
  ['base', '^src/(codes|errors|failures|defaults|emitter)\\.ts$'],
  ['time', '^src/time/'],
  ['wire', '^src/wire/'],
  ['edges', '^src/(transport|routing|reliable)/'],
  ['channel', '^src/channel/'],
  ['manager', '^src/manager\\.ts$'],
  ['index', '^src/index\\.ts$'],
];
const layer = Object.fromEntries(LAYERS);

/** The files of the layers above `name`, which it must not import. */
function above(name) {
  return LAYERS.slice(LAYERS.findIndex(([each]) => each === name) + 1).map(([, path]) => path);
}

/** A forbidden import: every rule fails the check, so the severity is set once here. */
function forbid(name, comment, from, to) {
  return { name, severity: 'error', ...(comment === undefined ? {} : { comment }), from, to };
}

/** A layer of src/ that imports nothing above it. */
function below(name, fromLayer, comment) {
  return forbid(name, comment, { path: layer[fromLayer] }, { path: above(fromLayer) });
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    forbid(
      'no-circular',
      'No import cycles, type-only imports included: a cycle means two files are one concept, or a layer points up.',
      {},
      { circular: true },
    ),
    forbid('not-to-unresolvable', 'Every import resolves to a file or an installed package.', {}, { couldNotResolve: true }),
    forbid(
      'no-undeclared-package',
      'Every package imported is declared in package.json.',
      {},
      // An optional peer is also tagged npm-no-pkg; what is declared anywhere in package.json passes.
      { dependencyTypes: ['npm-no-pkg', 'npm-unknown'], dependencyTypesNot: ['npm', 'npm-dev', 'npm-peer', 'npm-optional'] },
    ),

    // src/ runs on phones: nothing of Node, the server or the tooling.
    forbid(
      'src-is-the-runtime',
      'src/ runs inside a mini-game: it imports nothing from the Node side, the presets or the tooling.',
      { path: '^src/' },
      { path: '^(server|channels|loadtest|emulator|test|scripts|benchmarks)/' },
    ),
    forbid(
      'src-no-node',
      'src/ runs inside a mini-game: no Node built-ins (node:* or bare), no ws, no ioredis.',
      { path: '^src/' },
      { dependencyTypes: ['core'] },
    ),
    forbid(
      'src-no-packages',
      'src/ runs inside a mini-game: ws and ioredis are Node packages.',
      { path: '^src/' },
      { path: 'node_modules/(ws|ioredis)/' },
    ),
    below(
      'src-base-is-the-bottom',
      'base',
      'codes, errors, defaults and the emitter are the bottom of src/: they import no other layer.',
    ),
    below(
      'src-time-below-wire',
      'time',
      'src/time is the lowest layer after the base: clocks and timers know nothing of frames or channels.',
    ),
    below(
      'src-wire-below-edges',
      'wire',
      'src/wire (bytes and frames) knows nothing of transports, routing, reliability, channels or the manager.',
    ),
    forbid(
      'src-edges-are-siblings',
      'src/transport, src/routing and src/reliable sit side by side under the channel: none imports another, nor anything above.',
      { path: layer.edges },
      // The edges themselves are listed too, minus the importer's own folder ($1 of the from-path).
      { path: [...above('edges'), layer.edges], pathNot: '^src/$1/' },
    ),
    below('src-channel-below-manager', 'channel', 'A channel does not know the manager that holds it.'),
    below('src-manager-below-index', 'manager', 'The public index only re-exports; nothing inside src/ imports it.'),

    // The presets are built from the public pieces only.
    forbid(
      'channels-use-the-public-index',
      'channels/ (the presets) may use only what an application can: src/index.ts, nothing else of src/.',
      { path: '^channels/' },
      { path: '^src/', pathNot: layer.index },
    ),
    forbid(
      'channels-are-runtime-code',
      'channels/ runs inside a mini-game too: nothing of the server, the tooling, Node, ws or ioredis.',
      { path: '^channels/' },
      { path: ['^(server|loadtest|emulator|test|scripts|benchmarks)/', 'node_modules/(ws|ioredis)/'] },
    ),
    forbid('channels-no-node', undefined, { path: '^channels/' }, { dependencyTypes: ['core'] }),

    // The server: the core and the sessions know nothing of the features built on them.
    forbid(
      'server-core-below-features',
      'server/core is the connection engine: chat, game and Redis plug into it, never the other way round.',
      { path: '^server/core/' },
      { path: '^server/(chat|game|redis)/' },
    ),
    forbid(
      'server-sessions-below-features',
      'server/sessions (resume, journal, store interface) knows nothing of chat, game or Redis.',
      { path: '^server/sessions/' },
      { path: '^server/(chat|game|redis)/' },
    ),
    forbid(
      'server-http-is-the-edge',
      'server/http (listeners, TLS, health endpoints) is handed what it serves: it knows nothing of connections, sessions or the features.',
      { path: '^server/http/' },
      { path: '^server/(core|sessions|chat|game|redis|metrics)/' },
    ),
    forbid(
      'server-metrics-read-the-core',
      'server/metrics reads what the core counts and emits: it knows nothing of the features, Redis or the listeners.',
      { path: '^server/metrics/' },
      { path: '^server/(sessions|chat|game|redis|http)/' },
    ),
    forbid(
      'prom-client-only-in-metrics',
      'prom-client is an optional peer: only server/metrics loads it (types elsewhere), and only when the metrics option asks.',
      { path: '^server/', pathNot: '^server/metrics/' },
      { path: 'node_modules/prom-client/', dependencyTypesNot: ['type-only'] },
    ),
    forbid(
      'server-is-not-tooling',
      'The shipped server imports nothing from tests, scripts, benchmarks or the emulator.',
      { path: '^server/' },
      { path: '^(test|scripts|benchmarks|emulator|loadtest)/' },
    ),

    // The load generator ships (multisocket-loadtest): its players are what an application writes, so it reaches the
    // runtime and the presets only through their public entries; of the tooling, only the two helpers it shares.
    forbid(
      'loadtest-uses-the-public-entries',
      'loadtest/ drives the runtime as an application does: src/index.ts, channels/index.ts and server/index.ts only.',
      { path: '^loadtest/' },
      { path: ['^src/', '^channels/', '^server/'], pathNot: ['^src/index\\.ts$', '^channels/index\\.ts$', '^server/index\\.ts$'] },
    ),
    forbid(
      'loadtest-ships-without-the-tooling',
      'loadtest/ ships: of scripts/ and benchmarks/ it may use only the command-line reader and the quantile, which the package carries for it.',
      { path: '^loadtest/' },
      { path: ['^(test|emulator)/', '^(scripts|benchmarks)/'], pathNot: ['^scripts/command-line\\.ts$', '^benchmarks/measure\\.ts$'] },
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage|benchmarks/results)/' },
    // Keep type-only imports: a cycle through `import type` is still a cycle in the design.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.node.json' },
    // node_modules is a symlink in some checkouts: report packages as node_modules/..., not where the link points.
    preserveSymlinks: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.cjs', '.mjs', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
