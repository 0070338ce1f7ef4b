// The layers of the house, as rules `npm run deps` checks (part of `npm test`), so the layering written in the docs
// cannot drift from the code.
//
// Inside src/, from the bottom up (a layer imports only layers below it):
//   base       codes.ts, errors.ts, defaults.ts, emitter.ts
//   time       src/time/       clock, timers, backoff, deadlines
//   wire       src/wire/       msgpack, frames, the codec, batching
//   edges      src/transport/, src/routing/, src/reliable/   (siblings: none imports another)
//   channel    src/channel/
//   manager    src/manager.ts
//   public     src/index.ts    (only channels/ and tests import it)

/** Files of src/ in one layer, as a path regex. */
const SRC_BASE = '^src/(codes|errors|defaults|emitter)\\.ts$';
const SRC_TIME = '^src/time/';
const SRC_WIRE = '^src/wire/';
const SRC_EDGES = '^src/(transport|routing|reliable)/';
const SRC_CHANNEL = '^src/channel/';
const SRC_MANAGER = '^src/manager\\.ts$';
const SRC_INDEX = '^src/index\\.ts$';

/** Layers of src/ above each one, which it must not import. */
const above = {
  base: [SRC_TIME, SRC_WIRE, SRC_EDGES, SRC_CHANNEL, SRC_MANAGER, SRC_INDEX],
  time: [SRC_WIRE, SRC_EDGES, SRC_CHANNEL, SRC_MANAGER, SRC_INDEX],
  wire: [SRC_EDGES, SRC_CHANNEL, SRC_MANAGER, SRC_INDEX],
  channel: [SRC_MANAGER, SRC_INDEX],
  manager: [SRC_INDEX],
};

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, type-only imports included: a cycle means two files are one concept, or a layer points up.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves to a file or an installed package.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-undeclared-package',
      severity: 'error',
      comment: 'Every package imported is declared in package.json.',
      from: {},
      // An optional peer is also tagged npm-no-pkg; what is declared anywhere in package.json passes.
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'], dependencyTypesNot: ['npm', 'npm-dev', 'npm-peer', 'npm-optional'] },
    },

    // src/ runs on phones: nothing of Node, the server or the tooling.
    {
      name: 'src-is-the-runtime',
      severity: 'error',
      comment: 'src/ runs inside a mini-game: it imports nothing from the Node side, the presets or the tooling.',
      from: { path: '^src/' },
      to: { path: '^(server|channels|emulator|test|scripts|benchmarks)/' },
    },
    {
      name: 'src-no-node',
      severity: 'error',
      comment: 'src/ runs inside a mini-game: no Node built-ins (node:* or bare), no ws, no ioredis.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'src-no-packages',
      severity: 'error',
      comment: 'src/ runs inside a mini-game: ws and ioredis are Node packages.',
      from: { path: '^src/' },
      to: { path: 'node_modules/(ws|ioredis)/' },
    },
    {
      name: 'src-base-is-the-bottom',
      severity: 'error',
      comment: 'codes, errors, defaults and the emitter are the bottom of src/: they import no other layer.',
      from: { path: SRC_BASE },
      to: { path: above.base },
    },
    {
      name: 'src-time-below-wire',
      severity: 'error',
      comment: 'src/time is the lowest layer after the base: clocks and timers know nothing of frames or channels.',
      from: { path: SRC_TIME },
      to: { path: above.time },
    },
    {
      name: 'src-wire-below-edges',
      severity: 'error',
      comment: 'src/wire (bytes and frames) knows nothing of transports, routing, reliability, channels or the manager.',
      from: { path: SRC_WIRE },
      to: { path: above.wire },
    },
    {
      name: 'src-edges-are-siblings',
      severity: 'error',
      comment: 'src/transport, src/routing and src/reliable sit side by side under the channel: none imports another, nor anything above.',
      from: { path: '^src/(transport|routing|reliable)/' },
      to: {
        path: [SRC_CHANNEL, SRC_MANAGER, SRC_INDEX, '^src/(transport|routing|reliable)/'],
        pathNot: '^src/$1/',
      },
    },
    {
      name: 'src-channel-below-manager',
      severity: 'error',
      comment: 'A channel does not know the manager that holds it.',
      from: { path: SRC_CHANNEL },
      to: { path: above.channel },
    },
    {
      name: 'src-manager-below-index',
      severity: 'error',
      comment: 'The public index only re-exports; nothing inside src/ imports it.',
      from: { path: SRC_MANAGER },
      to: { path: above.manager },
    },

    // The presets are built from the public pieces only.
    {
      name: 'channels-use-the-public-index',
      severity: 'error',
      comment: 'channels/ (the presets) may use only what an application can: src/index.ts, nothing else of src/.',
      from: { path: '^channels/' },
      to: { path: '^src/', pathNot: SRC_INDEX },
    },
    {
      name: 'channels-are-runtime-code',
      severity: 'error',
      comment: 'channels/ runs inside a mini-game too: nothing of the server, the tooling, Node, ws or ioredis.',
      from: { path: '^channels/' },
      to: { path: ['^(server|emulator|test|scripts|benchmarks)/', 'node_modules/(ws|ioredis)/'] },
    },
    {
      name: 'channels-no-node',
      severity: 'error',
      from: { path: '^channels/' },
      to: { dependencyTypes: ['core'] },
    },

    // The server: the core and the sessions know nothing of the features built on them.
    {
      name: 'server-core-below-features',
      severity: 'error',
      comment: 'server/core is the connection engine: chat, game and Redis plug into it, never the other way round.',
      from: { path: '^server/core/' },
      to: { path: '^server/(chat|game|redis)/' },
    },
    {
      name: 'server-sessions-below-features',
      severity: 'error',
      comment: 'server/sessions (resume, journal, store interface) knows nothing of chat, game or Redis.',
      from: { path: '^server/sessions/' },
      to: { path: '^server/(chat|game|redis)/' },
    },
    {
      name: 'server-is-not-tooling',
      severity: 'error',
      comment: 'The shipped server imports nothing from tests, scripts, benchmarks or the emulator.',
      from: { path: '^server/' },
      to: { path: '^(test|scripts|benchmarks|emulator)/' },
    },
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
