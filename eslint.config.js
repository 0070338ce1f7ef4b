// ESLint flat config: typescript-eslint's recommended rules and no platform globals in the runtime. Import cycles and
// the layers (what may import what) are dependency-cruiser's job: .dependency-cruiser.cjs, run by `npm run deps`.
const tseslint = require('typescript-eslint');

const platformGlobals = ['wx', 'tt', 'qq', 'swan', 'my', 'uni', 'WebSocket', 'globalThis', 'process', 'Buffer', 'window', 'self', 'GameGlobal'].map(
  (name) => ({ name, message: 'src/ and channels/ take their platform as a parameter; never reach for a global.' }),
);

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'benchmarks/results/**', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'channels/**/*.ts'],
    rules: { 'no-restricted-globals': ['error', ...platformGlobals] },
  },
);
