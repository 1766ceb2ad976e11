'use strict';
// A global setup for Vitest (`globalSetup`) and Jest (`globalSetup`, with `global-teardown` as
// `globalTeardown`): one emulator for the whole run, its URL handed to the tests in
// `process.env.WA_EMU_URL` (and, in Vitest, `inject('WA_EMU_URL')`). Tests reach it with
// `Emulator.connect()` and take a cluster each.
//
// The binary reads its settings from the WA_EMU_* variables (WA_EMU_ADMIN_PASSWORD,
// WA_EMU_FIXED_CODE, WA_EMU_SEED, ...). When WA_EMU_URL is already set, that emulator is used
// and none is started.

const { Emulator } = require('./index.cjs');

const KEY = Symbol.for('wa-onprem-emulator.global');

async function setup(project) {
  let url = process.env.WA_EMU_URL;
  if (!url) {
    const emulator = await Emulator.start();
    globalThis[KEY] = emulator;
    url = emulator.url;
    process.env.WA_EMU_URL = url;
  }
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
