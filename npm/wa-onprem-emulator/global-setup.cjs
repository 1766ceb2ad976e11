'use strict';
// A global setup for Vitest (`globalSetup`) and Jest (`globalSetup`, with `global-teardown` as
// `globalTeardown`): one emulator for the whole run, its URL handed to the tests in
// `process.env.WA_EMU_URL` (and, in Vitest, `inject('WA_EMU_URL')`). Tests reach it with
// `Emulator.connect()` and take a cluster each.
//
// The binary reads its settings from the WA_EMU_* variables (WA_EMU_ADMIN_PASSWORD,
// WA_EMU_FIXED_CODE, WA_EMU_SEED, ...): those of the main process, and those of the test
// runner's config, which the global setup does not otherwise see: Vitest's `test.env`, Jest's
// `globals` (the config's values win). When WA_EMU_URL is set (either way), that emulator is
// used and none is started.

const { Emulator } = require('./index.cjs');

const KEY = Symbol.for('wa-onprem-emulator.global');

/** The WA_EMU_* settings of the runner's config: Vitest passes its project (`config.env` is
 * `test.env`), Jest its global config, then the project's (`globals`). */
function configured(project, jestProject) {
  const settings = {};
  for (const source of [project?.config?.env, jestProject?.globals]) {
    for (const [key, value] of Object.entries(source ?? {})) {
      if (key.startsWith('WA_EMU_') && value !== undefined && value !== null) settings[key] = String(value);
    }
  }
  return settings;
}

async function setup(project, jestProject) {
  const env = configured(project, jestProject);
  let url = env.WA_EMU_URL ?? process.env.WA_EMU_URL;
  if (!url) {
    const emulator = await Emulator.start({ env });
    globalThis[KEY] = emulator;
    url = emulator.url;
  }
  // For the tests: Jest's workers inherit it; Vitest's read it, or inject('WA_EMU_URL').
  process.env.WA_EMU_URL = url;
  if (env.WA_EMU_CONTROL_TOKEN) process.env.WA_EMU_CONTROL_TOKEN = env.WA_EMU_CONTROL_TOKEN;
  if (project && typeof project.provide === 'function') project.provide('WA_EMU_URL', url);
  // Vitest takes the function returned as the teardown; Jest has its own file for it.
  return teardown;
}

async function teardown() {
  const emulator = globalThis[KEY];
  if (emulator) {
    globalThis[KEY] = undefined;
    delete process.env.WA_EMU_URL;
    await emulator.stop();
  }
}

module.exports = setup;
module.exports.default = setup;
module.exports.setup = setup;
module.exports.teardown = teardown;
