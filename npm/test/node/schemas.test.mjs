// The control API's answers, as the package's helpers read them, against the JSON schemas the
// emulator publishes for them in its OpenAPI document (validated by Ajv, JSON Schema 2020-12).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020.js';
import { Emulator } from 'wa-onprem-emulator';

function validator(document) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  ajv.addSchema({ $id: 'openapi', components: document.components });
  return (method, path) => {
    const operation = document.paths[path][method.toLowerCase()];
    const status = Object.keys(operation.responses).find((s) => s.startsWith('2'));
    const schema = operation.responses[status].content['application/json'].schema;
    return ajv.compile({ $ref: `openapi${schema.$ref}` });
  };
}

test('every answer the helpers read is of its published schema', async () => {
  const emulator = await Emulator.start({ fixedCode: '123456' });
  try {
    const document = await emulator.control('GET', '/openapi.json');
    const schemaOf = validator(document);
    const cluster = emulator.cluster('npm-schemas');
    const name = encodeURIComponent(cluster.name);
    const cert = await emulator.makeCert('Acme');
    const login = await fetch(`${cluster.url}/v1/users/login`, {
      method: 'POST',
      headers: {
        authorization: 'Basic ' + Buffer.from('admin:secret').toString('base64'),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ new_password: 'N3w!passw0rd' }),
    });
    const token = (await login.json()).users[0].token;
    const sent = await fetch(`${cluster.url}/v1/account`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cc: '1', phone_number: '6315550000', method: 'sms', cert }),
    });
    assert.equal(sent.status, 202);

    const c = '/_emulator/clusters/{cluster}';
    const calls = [
      ['POST', '/_emulator/certs', '/certs', { vname: 'Acme' }],
      ['GET', `${c}/codes/latest`, `/clusters/${name}/codes/latest?cc=1`],
      ['GET', `${c}/codes`, `/clusters/${name}/codes`],
      ['PUT', `${c}/policy`, `/clusters/${name}/policy`, { policy: 'classic' }],
      ['POST', `${c}/faults`, `/clusters/${name}/faults`,
        [{ route: '/v1/account', fault: { type: 'not_ready' } }]],
      ['POST', `${c}/clock`, `/clusters/${name}/clock`, { advance_seconds: 1 }],
      ['GET', `${c}/requests`, `/clusters/${name}/requests?method=POST`],
      ['GET', `${c}/requests/count`, `/clusters/${name}/requests/count`],
      ['GET', `${c}/requests/unmatched`, `/clusters/${name}/requests/unmatched`],
      ['GET', `${c}/state`, `/clusters/${name}/state`],
      ['GET', `${c}/topology`, `/clusters/${name}/topology`],
      ['GET', `${c}/cloud`, `/clusters/${name}/cloud`],
      ['POST', `${c}/reset`, `/clusters/${name}/reset`],
      ['GET', '/_emulator/clusters', '/clusters'],
      ['GET', '/_emulator/health', '/health'],
    ];
    for (const [method, documented, path, body] of calls) {
      const answer = await emulator.control(method, path, body);
      const valid = schemaOf(method, documented);
      assert.ok(valid(answer), `${method} ${path}: ${JSON.stringify(valid.errors)}`);
    }
    const restored = await cluster.restore(await cluster.snapshot());
    assert.ok(schemaOf('PUT', `${c}/state`)(restored));
    // A schema refuses an answer of another shape.
    assert.equal(schemaOf('GET', `${c}/codes/latest`)({ code: '123456' }), false);
  } finally {
    await emulator.stop();
  }
});
