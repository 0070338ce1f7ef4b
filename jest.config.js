/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.node.json', diagnostics: { warnOnly: false } }],
  },
  // Network tests talk to real servers on 127.0.0.1; they wait on events, and this only bounds a hang.
  testTimeout: 30000,
  // Two cores: keep one free for the servers the tests start.
  maxWorkers: 2,
};
