// The API through require(), and Meta's Node.js SDK (`whatsapp` 0.0.5-Alpha, unmodified) setting
// a Cloud API number's pin against Emulator.start().
//
// The SDK speaks HTTPS to port 443 of WA_BASE_URL only: the emulator serves 127.0.0.1:443 with a
// certificate for localhost that npm/test.sh made with openssl (WA_EMU_TEST_TLS_DIR) and that
// this process trusts through NODE_EXTRA_CA_CERTS, which npm/test.sh sets.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Emulator } = require('wa-onprem-emulator');

const VERSION = 'v23.0';
const TOKEN = 'EAAG-emulated-token';

test("Meta's Node.js SDK sets a Cloud API number's pin", async () => {
  const tls = process.env.WA_EMU_TEST_TLS_DIR;
  assert.ok(tls && process.env.NODE_EXTRA_CA_CERTS, 'run through npm/test.sh, which makes the certificate');
  const emulator = await Emulator.start({
    listen: '127.0.0.1:443',
    tlsCert: path.join(tls, 'cert.pem'),
    tlsKey: path.join(tls, 'key.pem'),
  });
  try {
    assert.equal(emulator.url, 'https://127.0.0.1:443');
    const cluster = emulator.cluster('default'); // the SDK's calls carry no cluster
    const call = async (method, url, body) => {
      const res = await fetch(emulator.url + url, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };

    // A registered Cloud API number.
    const waba = (await emulator.control('GET', '/clusters/default/cloud')).waba_id;
    const created = await call('POST', `/${VERSION}/${waba}/phone_numbers`, {
      cc: '1', phone_number: '6315550000', verified_name: 'Node SDK Test',
    });
    const id = created.body.id;
    assert.match(id, /^[0-9]{15}$/);
    await call('POST', `/${VERSION}/${id}/request_code`, { code_method: 'SMS', language: 'en' });
    const code = await cluster.latestCode(null, '6315550000');
    assert.deepEqual((await call('POST', `/${VERSION}/${id}/verify_code`, { code })).body, { success: true });
    assert.deepEqual(
      (await call('POST', `/${VERSION}/${id}/register`, { messaging_product: 'whatsapp', pin: '123456' })).body,
      { success: true },
    );

    // The SDK reads its settings from the environment when it is loaded.
    Object.assign(process.env, {
      WA_BASE_URL: 'localhost',
      CLOUD_API_VERSION: VERSION,
      CLOUD_API_ACCESS_TOKEN: TOKEN,
      NODE_ENV: 'production', // else it imports dotenv, which it does not depend on
    });
    const WhatsApp = require('whatsapp');
    const wa = new WhatsApp(Number(id));
    const answer = await wa.twoStepVerification.setPin(246810);
    assert.equal(answer.statusCode(), 200);
    assert.deepEqual(await answer.responseBodyToJSON(), { success: true });
    wa.requester.client.clearSockets();

    // The SDK's call is in the journal (its pin redacted), and the new pin is the number's.
    await cluster.assertRequested('POST', `/${VERSION}/${id}`, { times: 1, body: { pin: '[redacted]' } });
    const old = await call('POST', `/${VERSION}/${id}/register`, { messaging_product: 'whatsapp', pin: '123456' });
    assert.equal(old.status, 400);
    assert.equal(old.body.error.code, 133005);
  } finally {
    await emulator.stop();
  }
});
