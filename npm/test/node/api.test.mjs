// The API as an ES module: a whole registration with fetch against Emulator.start(), the
// cluster's helpers, and stop() ending the process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emulator, EmulatorError } from 'wa-onprem-emulator';

const json = { 'content-type': 'application/json' };

test('registers a number with fetch against Emulator.start()', async () => {
  const emulator = await Emulator.start({ adminPassword: 'Adm1n!pass', fixedCode: '123456' });
  try {
    assert.match(emulator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const cluster = emulator.cluster('npm-registration');
    const login = await fetch(`${cluster.url}/v1/users/login`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from('admin:Adm1n!pass').toString('base64') },
    });
    assert.equal(login.status, 200);
    const token = (await login.json()).users[0].token;
    const auth = { ...json, authorization: `Bearer ${token}` };

    const cert = await emulator.makeCert('Caffè Sport');
    const sent = await fetch(`${cluster.url}/v1/account`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ cc: '1', phone_number: '6315550000', method: 'sms', cert }),
    });
    assert.equal(sent.status, 202);
    assert.deepEqual((await sent.json()).account, [{ vname: 'Caffè Sport' }]);

    const code = await cluster.latestCode('1', '6315550000');
    assert.equal(code, '123456');
    const verified = await fetch(`${cluster.url}/v1/account/verify`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ code }),
    });
    assert.equal(verified.status, 201);

    // What the cluster received, as a test asserts it.
    assert.equal(await cluster.count({ method: 'POST', path: '/v1/account' }), 1);
    const account = await cluster.assertRequested('POST', '/v1/account', { times: 1, body: { cc: '1' } });
    assert.equal(account[0].status, 202);
    await assert.rejects(
      cluster.assertRequested('POST', '/v1/account', { body: { cc: '39' } }),
      (e) => e instanceof assert.AssertionError && /received: .*POST \/v1\/account -> 202/.test(e.message),
    );
    assert.equal(await cluster.waitForRequests(3, { timeout: 1 }), 3);
    await assert.rejects(cluster.waitForRequests(9, { timeout: 0.2 }), assert.AssertionError);
    const [sentCode] = await cluster.codes();
    assert.equal(sentCode.vname, 'Caffè Sport');

    // Another cluster is another world; a state moves between clusters whole.
    const other = emulator.cluster('npm-other');
    await assert.rejects(other.count(), (e) => e instanceof EmulatorError && e.status === 404);
    await other.reset(); // made, empty
    assert.equal(await other.count(), 0);
    const state = await cluster.snapshot();
    await emulator.cluster('npm-copy').restore(state);
    const health = await fetch(`${emulator.url}/clusters/npm-copy/v1/health`, { headers: auth });
    assert.deepEqual((await health.json()).health, { gateway_status: 'connected' });

    // A request no route takes, with the route it most likely meant.
    await fetch(`${cluster.url}/v1/acount`, { method: 'POST', headers: auth, body: '{}' });
    const [missed] = await cluster.unmatched();
    assert.equal(missed.path, '/v1/acount');
    assert.ok(JSON.stringify(missed.near_miss).includes('/v1/account'));

    await cluster.reset();
    assert.equal(await cluster.count(), 0);
    assert.equal(await cluster.delete(), true);
    assert.equal(await cluster.delete(), false);
  } finally {
    await emulator.stop();
  }
});

test('stop() ends the process; connect() reaches a running emulator and leaves it running', async () => {
  const emulator = await Emulator.start();
  const connected = Emulator.connect(emulator.url);
  await connected.stop();
  assert.equal((await fetch(`${emulator.url}/_emulator/health`)).status, 200);
  const pid = emulator.pid;
  await emulator.stop();
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  await assert.rejects(fetch(`${emulator.url}/_emulator/health`));
});

test('a control call the emulator refuses is an EmulatorError with its status', async () => {
  const emulator = await Emulator.start({ controlToken: 'npm-control-token' });
  try {
    await emulator.cluster('guarded').reset(); // the token is sent
    const outsider = Emulator.connect(emulator.url, { controlToken: 'wrong' });
    await assert.rejects(outsider.cluster('guarded').reset(), (e) => e instanceof EmulatorError && e.status === 401);
    await assert.rejects(
      emulator.cluster('guarded').latestCode('1', '6315550000', { wait: 0 }),
      (e) => e instanceof EmulatorError && e.status === 404,
    );
  } finally {
    await emulator.stop();
  }
});

test('a flag the binary refuses fails the start with what it said', async () => {
  await assert.rejects(
    Emulator.start({ policy: 'nonsense' }),
    (e) => e instanceof EmulatorError && /exited at start/.test(e.message) && /nonsense/.test(e.message),
  );
});

test('the start needs no startup line: a log level that leaves it out, with HTTP or HTTPS', async () => {
  for (const [options, scheme] of [
    [{ logLevel: 'off' }, 'http'],
    [{ env: { RUST_LOG: 'warn' } }, 'http'],
    [{ tls: true, logLevel: 'off' }, 'https'], // its own self-signed certificate
  ]) {
    const emulator = await Emulator.start(options);
    try {
      assert.match(emulator.url, new RegExp(`^${scheme}://127\\.0\\.0\\.1:\\d+$`));
      assert.equal(emulator.logTail(), '');
      if (scheme === 'http') assert.equal((await emulator.control('GET', '/health')).status, 'ok');
    } finally {
      await emulator.stop();
    }
  }
});

test('an emulator on every interface is reached through the loopback', async () => {
  const emulator = await Emulator.start({ listen: '0.0.0.0:0' });
  try {
    assert.match(emulator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    // The log is read as it comes; the ready file may come first.
    for (let i = 0; i < 100 && !/listening on/.test(emulator.logTail()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.match(emulator.logTail(), /listening on http:\/\/0\.0\.0\.0:\d+/);
  } finally {
    await emulator.stop();
  }
});

// A script that starts an emulator, says its pid and URL, then waits (or exits without stop()).
const LAUNCHER = `
const { Emulator } = require(process.argv[1]);
Emulator.start().then((emulator) => {
  process.stdout.write(emulator.pid + ' ' + emulator.url + '\\n');
  if (process.argv[2] === 'wait') setInterval(() => {}, 1000);
  else process.exit(0);
});
`;

/** Whether process `pid` ended (or is a zombie nobody reaped) within `ms`. */
async function goneWithin(pid, ms) {
  const { readFileSync } = await import('node:fs');
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.split(') ')[1].startsWith('Z')) return true;
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

for (const end of ['SIGKILL', 'SIGTERM', 'SIGINT', 'exit']) {
  test(`an emulator ends with the process that started it (${end})`, { skip: process.platform !== 'linux' }, async () => {
    const { spawn } = await import('node:child_process');
    const { createRequire } = await import('node:module');
    const entry = createRequire(import.meta.url).resolve('wa-onprem-emulator');
    const parent = spawn(process.execPath, ['-e', LAUNCHER, entry, end === 'exit' ? 'exit' : 'wait'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise((resolve) => {
      let text = '';
      parent.stdout.on('data', (chunk) => {
        text += chunk;
        if (text.includes('\n')) resolve(text.trim());
      });
    });
    const [pid, url] = line.split(' ');
    // (A parent that exits at once may already have taken it along.)
    if (end !== 'exit') assert.equal((await fetch(`${url}/_emulator/health`)).status, 200);
    const exited = new Promise((resolve) => parent.once('exit', resolve));
    if (end !== 'exit') parent.kill(end);
    await exited;
    assert.ok(await goneWithin(Number(pid), 2000), `the emulator ${pid} outlived its parent (${end})`);
  });
}

test('Symbol.asyncDispose stops an emulator and deletes a cluster (await using)', async () => {
  const emulator = await Emulator.start();
  const cluster = emulator.cluster('disposed');
  await cluster.reset();
  assert.ok((await emulator.control('GET', '/clusters')).clusters.includes('disposed'));
  await cluster[Symbol.asyncDispose]();
  assert.ok(!(await emulator.control('GET', '/clusters')).clusters.includes('disposed'));
  const pid = emulator.pid;
  await emulator[Symbol.asyncDispose]();
  assert.ok(await goneWithin(pid, 2000), 'stopped');
});

test('receives signed webhooks at a handler of its own, with the cluster helpers', async () => {
  const { createServer } = await import('node:http');
  const { createHmac } = await import('node:crypto');
  const secret = 'npm-app-secret';
  const received = [];
  // The app's webhook endpoint: Meta's verification request, then signed deliveries.
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'GET') {
      const ok = url.searchParams.get('hub.verify_token') === 'npm-verify';
      res.writeHead(ok ? 200 : 403).end(ok ? url.searchParams.get('hub.challenge') : 'no');
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex');
      const valid = req.headers['x-hub-signature-256'] === expected;
      received.push({ valid, body: JSON.parse(raw.toString('utf8')) });
      res.writeHead(valid ? 200 : 403).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const callbackUrl = `http://127.0.0.1:${server.address().port}/webhook`;
  const emulator = await Emulator.start();
  try {
    const cluster = emulator.cluster('npm-webhooks');
    await assert.rejects(
      cluster.setWebhooks({ callbackUrl, verifyToken: 'wrong', appSecret: secret }),
      (e) => e instanceof EmulatorError && e.status === 400 && /403/.test(e.message),
    );
    const hook = await cluster.setWebhooks({ callbackUrl, verifyToken: 'npm-verify', appSecret: secret });
    assert.equal(hook.app_secret, '<redacted>');
    const waba = (await emulator.control('GET', '/clusters/npm-webhooks/cloud')).waba_id;
    const subscribed = await fetch(`${cluster.url}/v23.0/${waba}/subscribed_apps`, {
      method: 'POST',
      headers: { authorization: 'Bearer EAAG-npm' },
    });
    assert.deepEqual(await subscribed.json(), { success: true });
    const made = await cluster.sendEvent('account_review_update', { decision: 'APPROVED' });
    const delivered = await cluster.waitForDelivery({ field: 'account_review_update' });
    assert.equal(delivered.id, made.id);
    assert.equal(received.length, 1);
    assert.equal(received[0].valid, true);
    assert.equal(received[0].body.entry[0].changes[0].value.decision, 'APPROVED');
    await assert.rejects(
      cluster.waitForDelivery({ field: 'security', timeout: 0.2 }),
      (e) => e instanceof assert.AssertionError && /account_review_update delivered/.test(e.message),
    );
    assert.equal((await cluster.deliveries({ status: 'delivered' })).length, 1);
    assert.equal(await cluster.deleteWebhooks(), true);
  } finally {
    await emulator.stop();
    server.close();
  }
});
