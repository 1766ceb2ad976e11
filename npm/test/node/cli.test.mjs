// The `wa-onprem-emulator` command of the npm package: the platform's binary with the arguments
// given, its exit code, the signals that stop it, and clear words when there is no binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const installed = path.dirname(createRequire(import.meta.url).resolve('wa-onprem-emulator/package.json'));
const platform = `${process.platform}-${process.arch}`;
const env = { ...process.env };
delete env.WA_EMU_BINARY; // the platform package's binary, as a user gets it

test('npx wa-onprem-emulator --help runs the packaged binary', () => {
  const run = spawnSync('npx', ['--no-install', 'wa-onprem-emulator', '--help'], { env, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /Usage: wa-onprem-emulator/);
  assert.match(run.stdout, /--admin-password/);
});

test('the exit code of the binary is the command\'s', () => {
  const run = spawnSync('npx', ['--no-install', 'wa-onprem-emulator', '--policy', 'nonsense'], { env, encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /nonsense/);
});

test('SIGTERM to the command stops the emulator it runs', async () => {
  const launcher = path.join(installed, 'bin', 'wa-onprem-emulator.cjs');
  const child = spawn(process.execPath, [launcher, '--listen', '127.0.0.1:0'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let said = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      said += chunk;
      const found = /listening on (http:\/\/[^\s]+)/.exec(said);
      if (found) resolve(found[1]);
    });
    child.on('exit', () => reject(new Error(`exited before listening: ${said}`)));
  });
  assert.equal((await fetch(`${url}/_emulator/health`)).status, 200);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.kill('SIGTERM');
  // The emulator ends cleanly on SIGTERM (exit 0), and so does the command.
  assert.deepEqual(await exited, { code: 0, signal: null });
  await assert.rejects(fetch(`${url}/_emulator/health`));
});

test('WA_EMU_BINARY overrides the binary; one that cannot run is said', () => {
  const run = spawnSync('npx', ['--no-install', 'wa-onprem-emulator', '--help'], {
    env: { ...env, WA_EMU_BINARY: '/nonexistent/wa-onprem-emulator' },
    encoding: 'utf8',
  });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /cannot run \/nonexistent\/wa-onprem-emulator/);
});

test('without its platform package the command names the platform and the way out', () => {
  // The main package alone, where npm left out the optional dependency.
  const alone = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-emu-alone-'));
  try {
    fs.cpSync(installed, path.join(alone, 'wa-onprem-emulator'), { recursive: true });
    const run = spawnSync(process.execPath, [path.join(alone, 'wa-onprem-emulator', 'bin', 'wa-onprem-emulator.cjs'), '--help'], {
      env,
      encoding: 'utf8',
    });
    assert.equal(run.status, 1);
    assert.ok(run.stderr.includes(`@wa-onprem-emulator/${platform}`), run.stderr);
    assert.ok(run.stderr.includes(`(${platform})`), run.stderr);
    assert.match(run.stderr, /--omit=optional/);
    assert.match(run.stderr, /WA_EMU_BINARY/);
  } finally {
    fs.rmSync(alone, { recursive: true, force: true });
  }
});
