// Two tests served by the one emulator the global setup started, each in a cluster of its own.
import { afterEach, beforeEach, expect, inject, test } from 'vitest';
import { Emulator } from 'wa-onprem-emulator';
import { adminToken } from './login.mjs';

let cluster;
beforeEach(async (context) => {
  const emulator = Emulator.connect(); // WA_EMU_URL, set by the global setup
  cluster = emulator.cluster(`vitest-${context.task.id}`);
  await cluster.reset();
});
afterEach(async () => {
  await cluster.delete();
});

test('the global setup hands its emulator to the tests', async () => {
  expect(process.env.WA_EMU_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(inject('WA_EMU_URL')).toBe(process.env.WA_EMU_URL);
  const health = await fetch(`${process.env.WA_EMU_URL}/_emulator/health`);
  expect((await health.json()).status).toBe('ok');
});

test.each(['6315550000', '6315550001'])('registers %s in a cluster of its own', async (number) => {
  const token = await adminToken(cluster);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const cert = await cluster.makeCert('Vitest Shop');
  const sent = await fetch(`${cluster.url}/v1/account`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ cc: '1', phone_number: number, method: 'sms', cert }),
  });
  expect(sent.status).toBe(202);
  const code = await cluster.latestCode('1', number);
  const verified = await fetch(`${cluster.url}/v1/account/verify`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ code }),
  });
  expect(verified.status).toBe(201);
  // Only this test's requests are in its cluster.
  expect(await cluster.count({ path: '/v1/account' })).toBe(1);
  await cluster.assertRequested('POST', '/v1/account/verify', { times: 1, status: 201 });
});
