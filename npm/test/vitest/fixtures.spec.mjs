// The per-test fixtures of wa-onprem-emulator/vitest: `emulator` and a fresh `cluster` a test,
// deleted when it ends; the config's `test.env` reaching the emulator the global setup started.
import { expect, test } from 'wa-onprem-emulator/vitest';
import { adminToken } from './login.mjs';

const seen = [];

test('a test gets a cluster of its own, made before it sends anything', async ({ emulator, cluster }) => {
  expect(emulator.url).toBe(process.env.WA_EMU_URL);
  expect(cluster.name).toMatch(/^a-test-gets-a-cluster-of-its-own/);
  // Readable at once: it exists before the test's first request.
  expect(await cluster.codes()).toEqual([]);
  seen.push(cluster.name);
});

test('the cluster of the test before is gone, and test.env set the fixed code', async ({ emulator, cluster }) => {
  const clusters = (await emulator.control('GET', '/clusters')).clusters;
  expect(clusters).not.toContain(seen[0]);
  expect(clusters).toContain(cluster.name);
  const token = await adminToken(cluster);
  const sent = await fetch(`${cluster.url}/v1/account`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ cc: '1', phone_number: '6315550000', method: 'sms', cert: await cluster.makeCert('Env Shop') }),
  });
  expect(sent.status).toBe(202);
  expect(await cluster.latestCode('1', '6315550000')).toBe('135790');
});

test('a code that never comes says what it waited for and what the outbox holds', async ({ cluster }) => {
  await expect(cluster.latestCode('1', '6315559999', { wait: 0.2 })).rejects.toThrow(
    /no code for \+1 6315559999 in cluster .* after waiting 0\.2 s: .*; the outbox is empty/,
  );
});
