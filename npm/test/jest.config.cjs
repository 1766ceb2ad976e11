// Jest with the package's global setup and teardown: one emulator for the run.
module.exports = {
  testMatch: ['<rootDir>/jest/**/*.test.cjs'],
  globalSetup: 'wa-onprem-emulator/global-setup',
  globalTeardown: 'wa-onprem-emulator/global-teardown',
  // The emulator's settings, as WA_EMU_* variables: the global setup reads them here.
  globals: { WA_EMU_FIXED_CODE: '135790' },
};
