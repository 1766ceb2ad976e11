'use strict';
// Stages the npm packages for npm/pack.sh: `node npm/stage.cjs DIR VERSION [PLATFORM=BINARY]...`
// writes DIR/wa-onprem-emulator (the main package, at VERSION, its optionalDependencies at the
// same version) and DIR/<platform> for each PLATFORM=BINARY given (`linux-x64=target/release/
// wa-onprem-emulator`): a package.json declaring its `os` and `cpu`, and the binary in bin/.
// GITHUB_REPOSITORY, when set (as in GitHub Actions), becomes each package's repository, which
// npm's provenance checks against the workflow that publishes it.

const fs = require('node:fs');
const path = require('node:path');
const { PLATFORMS, packageName, binaryFile } = require('./wa-onprem-emulator/platforms.cjs');

const [dir, version, ...given] = process.argv.slice(2);
if (!dir || !version) {
  console.error('usage: node npm/stage.cjs DIR VERSION [PLATFORM=BINARY]...');
  process.exit(2);
}
const source = path.join(__dirname, 'wa-onprem-emulator');
const main = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8'));
const repository = { ...main.repository };
if (process.env.GITHUB_REPOSITORY) {
  repository.url = `git+https://github.com/${process.env.GITHUB_REPOSITORY}.git`;
}

fs.rmSync(dir, { recursive: true, force: true });
const mainDir = path.join(dir, 'wa-onprem-emulator');
fs.cpSync(source, mainDir, { recursive: true });
main.version = version;
main.repository = repository;
main.optionalDependencies = Object.fromEntries(
  Object.keys(PLATFORMS).map((platform) => [packageName(platform), version]),
);
fs.writeFileSync(path.join(mainDir, 'package.json'), JSON.stringify(main, null, 2) + '\n');
// The texts of the declared licence (MIT OR Apache-2.0), in every package.
const LICENSES = ['LICENSE-MIT', 'LICENSE-APACHE'];
const withLicenses = (out) => {
  for (const file of LICENSES) fs.copyFileSync(path.join(__dirname, '..', file), path.join(out, file));
};
withLicenses(mainDir);

for (const pair of given) {
  const [platform, binary] = pair.split(/=(.*)/s);
  const spec = PLATFORMS[platform];
  if (!spec || !binary) {
    console.error(`${pair}: expected PLATFORM=BINARY, PLATFORM one of ${Object.keys(PLATFORMS).join(', ')}`);
    process.exit(2);
  }
  const out = path.join(dir, platform);
  fs.mkdirSync(path.join(out, 'bin'), { recursive: true });
  const file = path.join(out, 'bin', binaryFile(platform));
  fs.copyFileSync(binary, file);
  fs.chmodSync(file, 0o755);
  const pkg = {
    name: packageName(platform),
    version,
    description: `The ${platform} binary of wa-onprem-emulator (${spec.target}); install wa-onprem-emulator, which picks it.`,
    license: main.license,
    repository: { ...repository, directory: 'npm' },
    os: [spec.os],
    cpu: [spec.cpu],
    files: ['bin/', ...LICENSES],
    preferUnplugged: true,
  };
  withLicenses(out);
  fs.writeFileSync(path.join(out, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  fs.writeFileSync(
    path.join(out, 'README.md'),
    `# ${pkg.name}\n\nThe ${platform} binary of [wa-onprem-emulator](https://www.npmjs.com/package/wa-onprem-emulator). ` +
      'Install `wa-onprem-emulator`: npm picks this package on this platform.\n',
  );
}
