// Meta's official Node.js SDK (`whatsapp` 0.0.5-Alpha on npm), unmodified, sets the two-step
// verification pin of a Cloud API number on the emulator.
//
// The SDK always speaks HTTPS to port 443 of WA_BASE_URL: the emulator runs with --tls on
// 127.0.0.1:443, and its self-signed certificate is trusted with NODE_EXTRA_CA_CERTS. NODE_ENV
// is `production`, else the SDK imports `dotenv`, which it does not depend on.
//
// Usage: WA_BASE_URL=localhost CLOUD_API_VERSION=v23.0 CLOUD_API_ACCESS_TOKEN=… \
//        NODE_EXTRA_CA_CERTS=cert.pem NODE_ENV=production NODE_PATH=…/node_modules node node_sdk_flow.js
'use strict';

const assert = require('assert');
const WhatsApp = require('whatsapp');

const base = `https://${process.env.WA_BASE_URL}`;
const version = process.env.CLOUD_API_VERSION;
const auth = { Authorization: `Bearer ${process.env.CLOUD_API_ACCESS_TOKEN}` };

async function call(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function main() {
  // A registered Cloud API number, made over plain HTTPS calls.
  const cloud = await call('GET', '/_emulator/clusters/default/cloud');
  const waba = cloud.body.waba_id;
  const created = await call('POST', `/${version}/${waba}/phone_numbers`, {
    cc: '1', phone_number: '6315550000', verified_name: 'Node SDK Test',
  });
  const id = created.body.id;
  assert.match(id, /^[0-9]{15}$/);
  await call('POST', `/${version}/${id}/request_code`, { code_method: 'SMS', language: 'en' });
  const sent = await call('GET', '/_emulator/clusters/default/codes/latest?phone_number=6315550000');
  assert.strictEqual(sent.body.surface, 'cloud');
  assert.deepStrictEqual(
    (await call('POST', `/${version}/${id}/verify_code`, { code: sent.body.code })).body,
    { success: true });
  assert.deepStrictEqual(
    (await call('POST', `/${version}/${id}/register`, { messaging_product: 'whatsapp', pin: '123456' })).body,
    { success: true });

  // The SDK sets the pin: POST /{version}/{id}/ with {"pin"} as a JSON body.
  const wa = new WhatsApp(Number(id));
  const answer = await wa.twoStepVerification.setPin(246810);
  assert.strictEqual(answer.statusCode(), 200);
  assert.deepStrictEqual(await answer.responseBodyToJSON(), { success: true });

  // The new pin is the number's: registering again with the old one is a mismatch.
  const old = await call('POST', `/${version}/${id}/register`, { messaging_product: 'whatsapp', pin: '123456' });
  assert.strictEqual(old.status, 400);
  assert.strictEqual(old.body.error.code, 133005);
  await new Promise((r) => setTimeout(r, 10));

  // A pin that is not 6 digits, through the SDK: the Graph error, as the SDK hands it over.
  const bad = await wa.twoStepVerification.setPin(12345);
  assert.strictEqual(bad.statusCode(), 400);
  const error = (await bad.responseBodyToJSON()).error;
  assert.strictEqual(error.code, 100);
  assert.strictEqual(error.message, '(#100) Invalid parameter');
  wa.requester.client.clearSockets();
  console.log('node sdk flow: ok');
}

main().catch((e) => { console.error(e); process.exit(1); });
