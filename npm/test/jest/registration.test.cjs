// A registration in a cluster of its own, on the emulator Jest's global setup started.
const { Emulator } = require('wa-onprem-emulator');

test('registers a number on the emulator of the global setup', async () => {
  expect(process.env.WA_EMU_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const cluster = Emulator.connect().cluster('jest-registration');
  await cluster.reset();
  try {
    const login = await fetch(`${cluster.url}/v1/users/login`, {
      method: 'POST',
      headers: {
        authorization: 'Basic ' + Buffer.from('admin:secret').toString('base64'),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ new_password: 'N3w!passw0rd' }),
    });
    const headers = {
      authorization: `Bearer ${(await login.json()).users[0].token}`,
      'content-type': 'application/json',
    };
    const cert = await cluster.makeCert('Jest Shop');
    const sent = await fetch(`${cluster.url}/v1/account`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ cc: '44', phone_number: '7700900123', method: 'voice', cert }),
    });
    expect(sent.status).toBe(202);
    const code = await cluster.latestCode('44', '7700900123', { method: 'voice' });
    // The fixed code of jest.config.cjs's `globals` reached the emulator the global setup started.
    expect(code).toBe('135790');
    const verified = await fetch(`${cluster.url}/v1/account/verify`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ code }),
    });
    expect(verified.status).toBe(201);
  } finally {
    await cluster.delete();
  }
});
