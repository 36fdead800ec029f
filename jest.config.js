/**
 * Jest runs the compiled ESM output (`pnpm build` first; `pnpm test` does both), so the
 * code under test is exactly what the services run.
 * - unit: pure logic, no servers.
 * - integration: talks to real RabbitMQ / MongoDB-wire / SMTP servers (see packages/testkit).
 * @type {import('jest').Config}
 */
const common = {
  transform: {},
  testEnvironment: 'node',
  moduleFileExtensions: ['js', 'mjs', 'json'],
};

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{packages,services}/*/dist/**/*.test.js'],
      testPathIgnorePatterns: ['\\.int\\.test\\.js$', '/node_modules/'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{packages,services}/*/dist/**/*.int.test.js'],
      testPathIgnorePatterns: ['/node_modules/'],
    },
  ],
  // Integration tests wait on real servers and processes; their waits carry their own limits.
  testTimeout: 60_000,
};
