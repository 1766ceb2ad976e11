// The first admin login of a fresh cluster (the factory password changed, as the real API asks),
// shared by the Vitest specs: its token.
import { expect } from 'vitest';

export async function adminToken(cluster) {
  const res = await fetch(`${cluster.url}/v1/users/login`, {
    method: 'POST',
    headers: {
      authorization: 'Basic ' + Buffer.from('admin:secret').toString('base64'),
      'content-type': 'application/json',
    },
    body: JSON.stringify({ new_password: 'N3w!passw0rd' }),
  });
  expect(res.status).toBe(200);
  return (await res.json()).users[0].token;
}
