/**
 * Jest runs every TypeScript test under test/ through ts-jest (CommonJS).
 * ts-jest 29.4 declares typescript ">=4.3 <7", so TypeScript is pinned to 5.9 (see docs/development.md, Versions and why).
 * Type checking is done once by `npm run build` (tsc); tsconfig sets isolatedModules, so ts-jest only transpiles.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  setupFilesAfterEnv: ['<rootDir>/test/setup-jest.ts'],
  testTimeout: 120000,
  modulePathIgnorePatterns: ['<rootDir>/cdk.out', '<rootDir>/dist', '<rootDir>/.venv'],
};
