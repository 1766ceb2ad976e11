// Vitest with the package's global setup: one emulator for the run, its URL in WA_EMU_URL.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['vitest/**/*.spec.mjs'],
    globalSetup: ['wa-onprem-emulator/global-setup'],
    // The emulator's settings, as WA_EMU_* variables: the global setup reads them here too.
    env: { WA_EMU_FIXED_CODE: '135790' },
  },
});
