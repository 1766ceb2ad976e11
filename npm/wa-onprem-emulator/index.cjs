'use strict';
// Start the wa-onprem-emulator binary from Node.js, and steer it through its control API.
//
//   const { Emulator } = require('wa-onprem-emulator');   // or: import { Emulator } from ...
//   const emulator = await Emulator.start({ adminPassword: 'Adm1n!pass', fixedCode: '123456' });
//   const cluster = emulator.cluster('my-test');
//   // point the client under test at cluster.url, then:
//   const code = await cluster.latestCode('1', '6315550000', { wait: 5 });
//   await emulator.stop();
//
// Nothing beyond Node's own modules (fetch, child_process): Node 18 and later. Times are in
// seconds, as the emulator's own flags and control API count them.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { AssertionError } = require('node:assert');
const { PLATFORMS, packageName, binaryFile } = require('./platforms.cjs');

const NAME = 'wa-onprem-emulator';
/** `Symbol.asyncDispose` (Node 18.18 and 20.4 on; the registered symbol Node uses before). */
const ASYNC_DISPOSE = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');
/** How many of the emulator's last log lines are kept for error messages. */
const LOG_TAIL_LINES = 300;
/** The options of `Emulator.start` that are not flags of the binary. */
const OWN_OPTIONS = new Set(['args', 'env', 'binary', 'logFile', 'startTimeout', 'controlToken']);

/** The emulator could not be started, or its control API refused a call (`status` is then the
 * HTTP status of the refusal). */
class EmulatorError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'EmulatorError';
    this.status = status;
  }
}

/** The path of the emulator's binary: `WA_EMU_BINARY`, else the one in this machine's platform
 * package (`@wa-onprem-emulator/linux-x64`, ...), which npm installed beside this one. */
function binaryPath() {
  if (process.env.WA_EMU_BINARY) return process.env.WA_EMU_BINARY;
  const platform = `${process.platform}-${process.arch}`;
  if (!PLATFORMS[platform]) {
    throw new EmulatorError(
      `${NAME} has no binary for this platform (${platform}); there are binaries for ` +
        `${Object.keys(PLATFORMS).join(', ')}. Build one from source (cargo build --release) ` +
        'and point WA_EMU_BINARY at it.',
    );
  }
  let dir;
  try {
    dir = path.dirname(require.resolve(`${packageName(platform)}/package.json`));
  } catch {
    throw new EmulatorError(
      `${NAME}: the package ${packageName(platform)}, which holds the binary for this platform ` +
        `(${platform}), is not installed. npm installs it with ${NAME} unless optional ` +
        'dependencies are left out (--omit=optional, --no-optional): install again without ' +
        `that, add ${packageName(platform)} yourself, or point WA_EMU_BINARY at a binary.`,
    );
  }
  return path.join(dir, 'bin', binaryFile(platform));
}

/** `{codeTtl: '2m', tls: true}` → `['--code-ttl', '2m', '--tls']`: `true` is a switch alone,
 * `false`, `null` and `undefined` leave the flag out, an array repeats it. */
function flags(settings) {
  const out = [];
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined || value === null || value === false) continue;
    const flag = '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()).replace(/_/g, '-');
    if (value === true) out.push(flag);
    else for (const one of Array.isArray(value) ? value : [value]) out.push(flag, String(one));
  }
  return out;
}

// Children still running when this process exits are stopped with it.
const running = new Set();
let exitHook = false;
function stopAtExit(child) {
  running.add(child);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of running) c.kill('SIGTERM');
    });
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the binary and waits until it is ready: it is started with `--ready-file FILE`, which
 * it writes (url, control_url, pid, version, listen) once it answers, so that neither a free
 * port nor a log line is guessed; and with `--exit-on-stdin-close` on a pipe only this process
 * holds, so that it ends with this process however this process ends (SIGKILL included). */
async function launch(options) {
  const given = options.args ?? [];
  const chosen =
    options.listen !== undefined ||
    given.some((a) => a === '--listen' || a.startsWith('--listen='));
  const settings = chosen && options.listen === undefined ? {} : { listen: options.listen ?? '127.0.0.1:0' };
  for (const [key, value] of Object.entries(options)) {
    if (!OWN_OPTIONS.has(key) && key !== 'listen') settings[key] = value;
  }
  const controlToken = options.controlToken ?? process.env.WA_EMU_CONTROL_TOKEN;
  if (options.controlToken !== undefined) settings.controlToken = options.controlToken;
  const binary = options.binary ?? binaryPath();
  const timeout = (options.startTimeout ?? 10) * 1000;
  const readyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-emu-'));
  const readyFile = path.join(readyDir, 'ready.json');
  const command = [...flags(settings), ...given, '--ready-file', readyFile, '--exit-on-stdin-close'];
  const sink = options.logFile ? fs.openSync(options.logFile, 'a') : null;
  const child = spawn(binary, command, {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, ...(options.env ?? {}) },
    windowsHide: true,
  });
  const tail = [];
  let failed = null;
  let partial = '';
  // Read from the first line to the last: a pipe nobody reads fills up, and a program that
  // waits for its reader stops answering.
  child.stderr.on('data', (chunk) => {
    if (sink !== null) fs.writeSync(sink, chunk);
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
    }
  });
  child.stderr.on('close', () => {
    if (sink !== null) fs.closeSync(sink);
  });
  child.on('error', (e) => {
    failed = new EmulatorError(`${NAME}: cannot run ${binary}: ${e.message}`);
  });
  // The pipe to its stdin stays open, unwritten, for as long as this process lives.
  child.stdin.on('error', () => {});
  let exited = null;
  child.once('exit', (code, signal) => {
    running.delete(child);
    exited = signal ? `signal ${signal}` : `code ${code}`;
  });
  stopAtExit(child);
  // The emulator does not hold this process open: it is stopped at its exit.
  child.unref();
  child.stderr.unref();
  child.stdin.unref();

  const deadline = Date.now() + timeout;
  try {
    for (;;) {
      if (failed) throw failed;
      if (exited !== null) {
        await sleep(20); // the last lines of its log
        throw new EmulatorError(`${NAME} exited at start (${exited}):\n${tail.join('\n')}${partial}`);
      }
      let ready = null;
      try {
        ready = JSON.parse(fs.readFileSync(readyFile, 'utf8'));
      } catch {
        // Not written yet (it is written whole, by a rename).
      }
      if (ready !== null) return new Emulator(ready.url, { controlToken, child, tail });
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new EmulatorError(
          `${NAME}: not ready within ${timeout / 1000} s; it said:\n${tail.join('\n')}`,
        );
      }
      await sleep(5);
    }
  } finally {
    fs.rmSync(readyDir, { recursive: true, force: true });
  }
}

class Emulator {
  /** @private Use `Emulator.start()` or `Emulator.connect()`. */
  constructor(url, { controlToken, child, tail } = {}) {
    this._url = url.replace(/\/+$/, '');
    this._controlToken = controlToken;
    this._child = child;
    this._tail = tail || [];
    this._exited = child
      ? new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
      : null;
  }

  /** Starts the binary on a port of 127.0.0.1 it picks itself and waits until it is ready (its
   * ready file); it ends with this process, however this process ends.
   * Options other than `args`, `env`, `binary`, `logFile`, `startTimeout` are the binary's flags
   * (`adminPassword: 'x'` is `--admin-password x`; `listen: '127.0.0.1:443'` chooses the address). */
  static async start(options = {}) {
    return launch(options);
  }

  /** An emulator already running at `url` (default: `WA_EMU_URL`, which the global setup sets);
   * `stop()` leaves it running. */
  static connect(url = process.env.WA_EMU_URL, { controlToken } = {}) {
    if (!url) {
      throw new EmulatorError(
        `${NAME}: no URL given and WA_EMU_URL is not set (the global setup sets it)`,
      );
    }
    return new Emulator(url, { controlToken: controlToken ?? process.env.WA_EMU_CONTROL_TOKEN });
  }

  /** The base URL, `http://127.0.0.1:PORT`. */
  get url() {
    return this._url;
  }

  /** The process id of the binary this object started (`undefined` for a connected one). */
  get pid() {
    return this._child?.pid;
  }

  /** The emulator's last log lines (up to 300), for a report. */
  logTail() {
    return this._tail.join('\n');
  }

  /** Stops the binary this object started (SIGTERM, then SIGKILL after 10 s); a connected
   * emulator is left running. */
  async stop() {
    const child = this._child;
    if (!child) return;
    this._child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const late = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await this._exited;
      clearTimeout(late);
    }
    running.delete(child);
  }

  /** `await using emulator = await Emulator.start()`: stopped when the block ends. */
  async [ASYNC_DISPOSE]() {
    await this.stop();
  }

  /** The isolated test world `name` (1-64 of A-Z, a-z, 0-9, '.', '_', '-'). */
  cluster(name) {
    return new Cluster(this, name);
  }

  /** A base64 verified-name certificate for `vname`, for `POST /v1/account`. */
  async makeCert(vname, { localizedNames } = {}) {
    const body = { vname };
    if (localizedNames) body.localized_names = localizedNames;
    return (await this.control('POST', '/certs', body)).cert;
  }

  /** Every cluster back to its state after installation (`POST /_emulator/reset`). */
  async reset() {
    await this.control('POST', '/reset');
  }

  /** A call of the control API (`/_emulator` + `path`): its JSON answer (`null` when empty). */
  async control(method, path, body) {
    const headers = { 'content-type': 'application/json' };
    if (this._controlToken) headers.authorization = `Bearer ${this._controlToken}`;
    const res = await fetch(`${this._url}/_emulator${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new EmulatorError(`${method} /_emulator${path}: ${res.status} ${text}`, res.status);
    return text ? JSON.parse(text) : null;
  }
}

/** The journal's filters as a query string: `method`, `path` (`*` for one segment), `status`,
 * `reason`, `surface` (`on_premises`, `cloud`), `since` (RFC 3339), `body: {cc: '1'}` for
 * `body.cc=1`. */
function query(filters) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value === undefined || value === null) continue;
    if (key === 'body') {
      for (const [field, v] of Object.entries(value)) params.append(`body.${field}`, String(v));
    } else {
      params.append(key === 'atLeast' ? 'at_least' : key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

class Cluster {
  constructor(emulator, name) {
    this.emulator = emulator;
    this.name = name;
  }

  /** The base URL to give a client under test: its `/v1/...` calls reach this cluster. */
  get url() {
    return `${this.emulator.url}/clusters/${this.name}`;
  }

  /** Headers that address this cluster from the emulator's root URL, for clients that keep
   * only the host of their base URL: `X-Emulator-Cluster: name`. */
  get headers() {
    return { 'X-Emulator-Cluster': this.name };
  }

  _path(rest) {
    return `/clusters/${encodeURIComponent(this.name)}${rest}`;
  }

  /** The 6-digit code last sent to +`cc` `phoneNumber` (a string), waiting up to `wait` seconds
   * (default 5) for one to arrive. `cc` may be `null` (Cloud API codes are found by number). */
  async latestCode(cc, phoneNumber, { wait = 5, method } = {}) {
    const q = query({ cc, phone_number: phoneNumber, method, wait });
    try {
      return (await this.emulator.control('GET', this._path(`/codes/latest${q}`))).code;
    } catch (e) {
      if (!(e instanceof EmulatorError) || e.status !== 404) throw e;
      let said = e.message;
      try {
        said = JSON.parse(e.message.slice(e.message.indexOf('{'))).errors[0].details;
      } catch {
        // not the vendor's envelope: keep the message as it came
      }
      let held = '';
      try {
        const codes = await this.codes();
        held = codes.length
          ? `; the outbox holds ${codes.length} code(s), to ${[...new Set(codes.map((c) => `+${c.cc} ${c.phone_number}`))].join(', ')}`
          : '; the outbox is empty';
      } catch {
        // the cluster itself is missing: the emulator's words say so
      }
      throw new EmulatorError(
        `no code for +${cc} ${phoneNumber} in cluster ${this.name} after waiting ${wait} s: ${said}${held}`,
        404,
      );
    }
  }

  /** The outbox: every code sent in this cluster, oldest first. */
  async codes(filters = {}) {
    return (await this.emulator.control('GET', this._path(`/codes${query(filters)}`))).codes;
  }

  /** A base64 verified-name certificate for `vname`. */
  makeCert(vname, options) {
    return this.emulator.makeCert(vname, options);
  }

  /** The cluster as new: users, tokens, number, pins, codes, policy, faults, clock. */
  async reset() {
    await this.emulator.control('POST', this._path('/reset'));
  }

  /** `await using cluster = emulator.cluster(name)`: deleted when the block ends. */
  async [ASYNC_DISPOSE]() {
    await this.delete();
  }

  /** Removes the cluster and all it holds; `false` if it did not exist. A test done with its
   * cluster deletes it, so that an emulator shared by many runs does not fill up. */
  async delete() {
    try {
      await this.emulator.control('DELETE', `/clusters/${encodeURIComponent(this.name)}`);
      return true;
    } catch (e) {
      if (e instanceof EmulatorError && e.status === 404) return false;
      throw e;
    }
  }

  /** Switches the registration policy: `classic`, `sunset` or `scripted` (with `rules`, a list of
   * rule objects or the text of a rules file). */
  setPolicy(policy, rules) {
    const body = { policy };
    if (rules !== undefined) body.rules = rules;
    return this.emulator.control('PUT', this._path('/policy'), body);
  }

  /** Arms a one-shot fault on vendor `route` (`/v1/account`, or `*`), such as
   * `{type: 'not_ready'}`; `filters` narrow it (`method`, `cc`, `phone_number`). */
  async armFault(route, fault, { times = 1, ...filters } = {}) {
    const spec = { route, fault, times, ...filters };
    return (await this.emulator.control('POST', this._path('/faults'), [spec])).faults;
  }

  /** Moves the cluster's virtual clock forward. */
  advanceClock(seconds) {
    return this.emulator.control('POST', this._path('/clock'), { advance_seconds: seconds });
  }

  /** The requests the cluster received, oldest first (bodies redacted). */
  async journal() {
    return this.requests();
  }

  /** The journal's requests matching `filters`, oldest first. */
  async requests(filters = {}) {
    return (await this.emulator.control('GET', this._path(`/requests${query(filters)}`))).requests;
  }

  /** How many journaled requests match `filters`. */
  async count(filters = {}) {
    return (await this.emulator.control('GET', this._path(`/requests/count${query(filters)}`)))
      .count;
  }

  /** Waits (woken by each request, no polling) until `atLeast` requests match `filters`, or
   * `timeout` seconds (default 5) pass; how many match. Throws an `AssertionError` that lists
   * what the cluster received when too few came. */
  async waitForRequests(atLeast, { timeout = 5, ...filters } = {}) {
    const q = query({ ...filters, atLeast, wait: timeout });
    const answer = await this.emulator.control('GET', this._path(`/requests/count${q}`));
    if (!answer.reached) {
      throw new AssertionError({
        message:
          `${answer.count} request(s) matching ${JSON.stringify(filters)} within ${timeout} s, ` +
          `expected at least ${atLeast}; the cluster received: ${await this._described()}`,
      });
    }
    return answer.count;
  }

  /** Asserts that `method path` was requested (exactly `times` times when given), with
   * `filters`; the matching requests. The failure lists what was requested instead. */
  async assertRequested(method, path, { times, ...filters } = {}) {
    const found = await this.requests({ method, path, ...filters });
    if ((times === undefined && found.length === 0) || (times !== undefined && found.length !== times)) {
      const expected = times === undefined ? 'at least once' : `${times} time(s)`;
      throw new AssertionError({
        message:
          `${method} ${path} ${Object.keys(filters).length ? JSON.stringify(filters) + ' ' : ''}` +
          `was requested ${found.length} time(s), expected ${expected}; ` +
          `the cluster received: ${await this._described()}`,
      });
    }
    return found;
  }

  /** The requests no route took or that were refused as unreadable, each with the route it most
   * likely meant (`near_miss`). */
  async unmatched(filters = {}) {
    return (
      await this.emulator.control('GET', this._path(`/requests/unmatched${query(filters)}`))
    ).requests;
  }

  /** Everything the cluster holds, as one document. */
  snapshot() {
    return this.emulator.control('GET', this._path('/state'));
  }

  /** Makes the cluster exactly `state` (a `snapshot()` of this cluster or another). */
  restore(state) {
    return this.emulator.control('PUT', this._path('/state'), state);
  }

  /** Sets the app's webhook: the emulator sends Meta's verification request to `callbackUrl`
   * first and keeps the webhook only if it is answered 200 with the challenge. `signature`:
   * `valid` (default), `missing`, `wrong_secret` or `tampered`. */
  setWebhooks({ callbackUrl, verifyToken, appSecret, fields, signature }) {
    const body = { callback_url: callbackUrl, verify_token: verifyToken, app_secret: appSecret };
    if (fields !== undefined) body.fields = fields;
    if (signature !== undefined) body.signature = signature;
    return this.emulator.control('PUT', this._path('/webhooks'), body);
  }

  /** The app's webhook, its secret redacted. */
  webhooks() {
    return this.emulator.control('GET', this._path('/webhooks'));
  }

  /** Removes the app's webhook; whether there was one. */
  async deleteWebhooks() {
    return (await this.emulator.control('DELETE', this._path('/webhooks'))).deleted;
  }

  /** The webhook deliveries (`field`, `status` filter them), oldest first: each with `body`,
   * the exact text sent, its `signature`, `status` and `attempts`. */
  async deliveries({ field, status } = {}) {
    const q = query({ field, status });
    return (await this.emulator.control('GET', this._path(`/webhooks/deliveries${q}`))).deliveries;
  }

  /** Waits (woken by each delivery, no polling) until `atLeast` (default 1) deliveries of
   * `field` reach `status` (default `delivered`), or `timeout` seconds (default 5) pass; the
   * newest of them. Throws an `AssertionError` naming what the cluster delivered instead. */
  async waitForDelivery({ field, status = 'delivered', atLeast = 1, timeout = 5 } = {}) {
    const q = query({ field, status, atLeast, wait: timeout });
    const answer = await this.emulator.control('GET', this._path(`/webhooks/deliveries${q}`));
    if (!answer.reached) {
      const seen = (await this.deliveries()).map(
        (d) => `${d.field} ${d.status}` + (d.reason ? ` (${d.reason})` : ''),
      );
      throw new AssertionError({
        message:
          `${answer.deliveries.length} delivery(ies) of ${field ?? 'any field'} ${status} within ` +
          `${timeout} s, expected at least ${atLeast}; the cluster has: ${seen.join('; ') || 'nothing'}`,
      });
    }
    return answer.deliveries[answer.deliveries.length - 1];
  }

  /** Sends delivery `id` again now, the same bytes. */
  redeliver(id) {
    return this.emulator.control('POST', this._path(`/webhooks/deliveries/${id}/redeliver`));
  }

  /** Sends a documented change (`account_update`, `security`, …) as if it happened, `value`
   * checked against its field's shape; the delivery made (`null` without webhooks). */
  async sendEvent(field, value) {
    return (await this.emulator.control('POST', this._path('/webhooks/events'), { field, value }))
      .delivery;
  }

  /** Decides the review of phone number `numberId`'s display name (`APPROVED`, `REJECTED`,
   * `DEFERRED`, `PENDING`), which sends `phone_number_name_update`. */
  decideName(numberId, decision, rejectionReason) {
    const body = { decision };
    if (rejectionReason !== undefined) body.rejection_reason = rejectionReason;
    return this.emulator.control(
      'POST',
      this._path(`/cloud/numbers/${encodeURIComponent(numberId)}/name-review`),
      body,
    );
  }

  async _described() {
    const seen = (await this.requests()).map(
      (r) => `${r.method} ${r.path} -> ${r.status}` + (r.reason ? ` (${r.reason})` : ''),
    );
    return seen.length ? seen.join('; ') : 'nothing';
  }
}

module.exports = { Emulator, Cluster, EmulatorError, binaryPath, flags };
