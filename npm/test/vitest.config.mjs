// Vitest with the package's global setup: one emulator for the run, its URL in WA_EMU_URL.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['vitest/**/*.spec.mjs'],
    globalSetup: ['wa-onprem-emulator/global-setup'],
  },
});
