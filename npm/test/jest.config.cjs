// Jest with the package's global setup and teardown: one emulator for the run.
module.exports = {
  testMatch: ['<rootDir>/jest/**/*.test.cjs'],
  globalSetup: 'wa-onprem-emulator/global-setup',
  globalTeardown: 'wa-onprem-emulator/global-teardown',
};
