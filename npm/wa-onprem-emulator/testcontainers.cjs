'use strict';
// A Testcontainers module: the emulator's published image as a container of a test, handing back
// the API of `Emulator.connect` (clusters, journal, codes, every helper).
//
//   const { EmulatorContainer } = require('wa-onprem-emulator/testcontainers');
//   const container = await new EmulatorContainer().withAdminPassword('Adm1n!pass').start();
//   const cluster = container.emulator.cluster('my-test'); // point the client at cluster.url
//   await container.stop();
//
// npm's `testcontainers` is a peer dependency (version 11 runs on Node 20; 12 needs Node 22.19).
// The image defaults to the one the release publishes, tagged with this package's version.

const path = require('node:path');
const { AbstractStartedContainer, GenericContainer, Wait } = require('testcontainers');
const { Emulator } = require('./index.cjs');
const { version } = require('./package.json');

/** The image the release workflow publishes, at this package's version. */
const DEFAULT_IMAGE = `ghcr.io/OWNER/wa-onprem-emulator:${version}`;
/** The port the image listens on. */
const PORT = 9090;

class EmulatorContainer extends GenericContainer {
  constructor(image = DEFAULT_IMAGE) {
    super(image);
    this._controlToken = undefined;
    this.withExposedPorts(PORT).withWaitStrategy(Wait.forHttp('/_emulator/health', PORT));
  }

  /** Admin's password at start (no first-login change): `WA_EMU_ADMIN_PASSWORD`. */
  withAdminPassword(password) {
    return this.withEnvironment({ WA_EMU_ADMIN_PASSWORD: password });
  }

  /** The 6-digit code sent every time: `WA_EMU_FIXED_CODE`. */
  withFixedCode(code) {
    return this.withEnvironment({ WA_EMU_FIXED_CODE: code });
  }

  /** `classic`, `sunset` or `scripted`: `WA_EMU_POLICY`. */
  withPolicy(policy) {
    return this.withEnvironment({ WA_EMU_POLICY: policy });
  }

  /** Clusters in a declared state at start (`--seed`): the file is copied into the container. */
  withSeed(file) {
    const target = `/seed/${path.basename(file)}`;
    return this.withCopyFilesToContainer([{ source: path.resolve(file), target, mode: 0o444 }]).withEnvironment({
      WA_EMU_SEED: target,
    });
  }

  /** The control API's Bearer token; `emulator` sends it. */
  withControlToken(token) {
    this._controlToken = token;
    return this.withEnvironment({ WA_EMU_CONTROL_TOKEN: token });
  }

  /** Starts the container and waits until its health answers. */
  async start() {
    return new StartedEmulatorContainer(await super.start(), this._controlToken);
  }
}

class StartedEmulatorContainer extends AbstractStartedContainer {
  constructor(started, controlToken) {
    super(started);
    /** The emulator's base URL from the host. */
    this.url = `http://${this.getHost()}:${this.getMappedPort(PORT)}`;
    /** The API of `Emulator.connect`, connected to this container. */
    this.emulator = Emulator.connect(this.url, { controlToken });
  }
}

module.exports = { EmulatorContainer, StartedEmulatorContainer, DEFAULT_IMAGE, PORT };
