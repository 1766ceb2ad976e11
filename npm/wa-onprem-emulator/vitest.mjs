// `import { test } from 'wa-onprem-emulator/vitest'`: Vitest's `test`, extended (`test.extend`)
// with two fixtures, as pytest's `wa_emulator` and `wa_cluster`:
//   - `emulator`: the emulator of the run (the global setup's, or WA_EMU_URL's);
//   - `cluster`: a fresh cluster of the test's own, named after it, deleted when it ends.
// Vitest's `expect` is re-exported beside it. With `globalSetup: ['wa-onprem-emulator/global-setup']`
// in the Vitest config.
import { expect, inject, test as base } from 'vitest';
import { Emulator } from './index.mjs';

/** The emulator's URL: WA_EMU_URL, which the global setup sets, or what it provided. */
function emulatorUrl() {
  if (process.env.WA_EMU_URL) return process.env.WA_EMU_URL;
  try {
    return inject('WA_EMU_URL');
  } catch {
    return undefined;
  }
}

export const test = base.extend({
  // Vitest reads a fixture's dependencies from its first parameter: none here.
  // eslint-disable-next-line no-empty-pattern
  emulator: async ({}, use) => {
    const url = emulatorUrl();
    if (!url) {
      throw new Error(
        "wa-onprem-emulator/vitest: no emulator for the run: add globalSetup: ['wa-onprem-emulator/global-setup'] " +
          'to the Vitest config (it starts one), or set WA_EMU_URL to one running',
      );
    }
    await use(Emulator.connect(url));
  },
  cluster: async ({ emulator, task }, use) => {
    const stem =
      task.name
        .replace(/[^A-Za-z0-9._-]+/g, '-')
        .slice(0, 40)
        .replace(/^[-.]+|[-.]+$/g, '') || 'test';
    const cluster = emulator.cluster(`${stem}-${Math.random().toString(16).slice(2, 10)}`);
    // Made now, so that the test can read it before it sends anything.
    await cluster.reset();
    try {
      await use(cluster);
    } finally {
      await cluster.delete();
    }
  },
});

export { expect };
