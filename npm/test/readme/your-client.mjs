// The "client under test" of the README's Node.js example (`yourClient`), loaded before it with
// `node --import`: what a team's own client does, with fetch.
const json = { 'content-type': 'application/json' };

async function token(base) {
  const res = await fetch(`${base}/v1/users/login`, {
    method: 'POST',
    headers: { authorization: 'Basic ' + Buffer.from('admin:Adm1n!pass').toString('base64') },
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  return (await res.json()).users[0].token;
}

globalThis.yourClient = {
  async requestCode(base, { cc, phone_number, cert }) {
    const res = await fetch(`${base}/v1/account`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${await token(base)}` },
      body: JSON.stringify({ cc, phone_number, method: 'sms', cert }),
    });
    if (res.status !== 202) throw new Error(`request code: ${res.status} ${await res.text()}`);
  },
  async verify(base, code) {
    const res = await fetch(`${base}/v1/account/verify`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${await token(base)}` },
      body: JSON.stringify({ code }),
    });
    if (res.status !== 201) throw new Error(`verify: ${res.status} ${await res.text()}`);
  },
};
