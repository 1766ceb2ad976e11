'use strict';
// Jest's `globalTeardown`: stops the emulator that `wa-onprem-emulator/global-setup` started.
const { teardown } = require('./global-setup.cjs');

module.exports = teardown;
module.exports.default = teardown;
