// ESLint flat config: typescript-eslint's recommended rules, no import cycles, and no platform globals in the runtime.
const tseslint = require('typescript-eslint');
const importX = require('eslint-plugin-import-x');

const platformGlobals = ['wx', 'tt', 'qq', 'swan', 'my', 'uni', 'WebSocket', 'globalThis', 'process', 'Buffer', 'window', 'self', 'GameGlobal'].map(
  (name) => ({ name, message: 'src/ and channels/ take their platform as a parameter; never reach for a global.' }),
);

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'benchmarks/results/**', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'channels/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...platformGlobals],
      'no-restricted-imports': ['error', { patterns: ['**/server/**', '**/test/**', 'ws', 'node:*'] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/channels/**', '**/channels', '**/server/**', '**/test/**', '**/emulator/**', 'ws', 'node:*'] }] },
  },
);
