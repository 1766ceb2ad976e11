#!/usr/bin/env node
'use strict';
// The `wa-onprem-emulator` command: runs this platform's binary with the arguments it is given,
// hands it the terminal (stdin, stdout, stderr), forwards the signals that stop it, and exits
// with its exit code (or by its signal).

const { spawn } = require('node:child_process');
const { binaryPath } = require('../index.cjs');

let binary;
try {
  binary = binaryPath();
} catch (e) {
  console.error(e.message);
  process.exit(1);
}

const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit', windowsHide: false });
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
const forwarders = {};
for (const signal of signals) {
  forwarders[signal] = () => child.kill(signal);
  try {
    process.on(signal, forwarders[signal]);
  } catch {
    // not a signal of this platform (Windows has no SIGQUIT)
  }
}

child.on('error', (e) => {
  console.error(`wa-onprem-emulator: cannot run ${binary}: ${e.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    // Ended by a signal: end this process by the same one, so that its parent sees it.
    for (const s of signals) process.removeListener(s, forwarders[s]);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
