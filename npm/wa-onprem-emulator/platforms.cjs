'use strict';
// The platform packages, one per binary the release builds: npm installs the one whose `os` and
// `cpu` match the machine (optionalDependencies), the way esbuild and Biome ship theirs. Read by
// the API (which binary to run) and by npm/pack.sh (what each package declares).

/** `${process.platform}-${process.arch}` → the package and the Rust target its binary is built for. */
const PLATFORMS = {
  'linux-x64': { os: 'linux', cpu: 'x64', target: 'x86_64-unknown-linux-musl' },
  'linux-arm64': { os: 'linux', cpu: 'arm64', target: 'aarch64-unknown-linux-musl' },
  'darwin-x64': { os: 'darwin', cpu: 'x64', target: 'x86_64-apple-darwin' },
  'darwin-arm64': { os: 'darwin', cpu: 'arm64', target: 'aarch64-apple-darwin' },
  'win32-x64': { os: 'win32', cpu: 'x64', target: 'x86_64-pc-windows-msvc' },
};

const SCOPE = '@wa-onprem-emulator';

/** The npm name of a platform's package: `@wa-onprem-emulator/linux-x64`. */
function packageName(platform) {
  return `${SCOPE}/${platform}`;
}

/** The binary's file name inside its platform package. */
function binaryFile(platform) {
  return platform.startsWith('win32') ? 'wa-onprem-emulator.exe' : 'wa-onprem-emulator';
}

module.exports = { PLATFORMS, packageName, binaryFile };
