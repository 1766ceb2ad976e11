// wa-onprem-emulator/testcontainers against a real container runtime (.ci/containers.sh runs it
// through podman's Docker API with the image CI built: WA_EMU_IMAGE): a whole registration, a
// seeded cluster, the control token, stop. One container for the registration, one for the seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmulatorContainer, DEFAULT_IMAGE } from 'wa-onprem-emulator/testcontainers';

const IMAGE = process.env.WA_EMU_IMAGE ?? DEFAULT_IMAGE;
const json = { 'content-type': 'application/json' };

test('a whole registration in a cluster of the container', async () => {
  const container = await new EmulatorContainer(IMAGE).withAdminPassword('Adm1n!pass').withFixedCode('123456').start();
  try {
    assert.match(container.url, /^http:\/\//);
    const cluster = container.emulator.cluster('tc-node');
    await cluster.reset();
    const login = await fetch(`${cluster.url}/v1/users/login`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from('admin:Adm1n!pass').toString('base64') },
    });
    const headers = { ...json, authorization: `Bearer ${(await login.json()).users[0].token}` };
    const cert = await cluster.makeCert('Container Co');
    const sent = await fetch(`${cluster.url}/v1/account`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ cc: '1', phone_number: '6315550000', method: 'sms', cert }),
    });
    assert.equal(sent.status, 202);
    const code = await cluster.latestCode('1', '6315550000');
    assert.equal(code, '123456');
    const verified = await fetch(`${cluster.url}/v1/account/verify`, { method: 'POST', headers, body: JSON.stringify({ code }) });
    assert.equal(verified.status, 201);
    await cluster.assertRequested('POST', '/v1/account/verify', { times: 1, status: 201 });
  } finally {
    await container.stop();
  }
  // Stopped: nothing answers there any more.
  await assert.rejects(fetch(`${container.url}/_emulator/health`));
});

test('a seeded cluster behind a control token', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-emu-seed-'));
  const seed = join(dir, 'seed.json');
  writeFileSync(seed, JSON.stringify({ clusters: { seeded: { policy: 'sunset', admin_password: 'S33d!passw0rd' } } }));
  const container = await new EmulatorContainer(IMAGE).withSeed(seed).withPolicy('classic').withControlToken('tc-token').start();
  try {
    assert.equal((await container.emulator.control('GET', '/clusters/seeded/policy')).policy, 'sunset');
    assert.equal((await fetch(`${container.url}/_emulator/clusters`)).status, 401);
  } finally {
    await container.stop();
  }
});
