#!/usr/bin/env bash
# The npm packages as a user gets them. `bash npm/test.sh` packs them (npm/pack.sh: the main
# package and this machine's platform package, with WA_EMU_BINARY or else the release binary),
# installs both tarballs into a fresh temporary project with `npm install`, beside Meta's Node.js
# SDK, Vitest, Jest and TypeScript, and runs there:
#   - npx wa-onprem-emulator --help;
#   - tsc --noEmit on a use of every type (npm/test/types), ES module and CommonJS, and with
#     the classic resolution (node10) that reads `types`;
#   - node --test npm/test/node: a registration with fetch against Emulator.start(), the
#     control API's answers against the schemas of its OpenAPI document (Ajv), the
#     cluster's helpers, the command (exit codes, signals, no platform package), and Meta's SDK
#     setting a Cloud pin over HTTPS on 127.0.0.1:443 (root, or a capability to bind it);
#   - Vitest and Jest runs served by wa-onprem-emulator/global-setup;
#   - the README's Node.js example, word for word, its `yourClient` from npm/test/readme;
# and npm's own choice of platform package: a project that installs the main package alone, the
# five platform names pointed at tarballs (this machine's with the binary, the other four with a
# placeholder), gets this machine's package and no other.
# The emulator the tests start is the platform package's: WA_EMU_BINARY is unset after packing.
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp -d)
project=$(mktemp -d)
chosen=$(mktemp -d)
trap 'rm -rf "$out" "$project" "$chosen"' EXIT

bash npm/pack.sh "$out"
for tarball in "$out"/*.tgz; do
  listed=$(tar -tzf "$tarball")
  for license in LICENSE-MIT LICENSE-APACHE; do
    grep -qx "package/$license" <<<"$listed" || { echo "$tarball has no $license"; exit 1; }
  done
done
unset WA_EMU_BINARY WA_EMU_URL
here=$(node -p 'process.platform + "-" + process.arch')
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)

echo "== npm installs the platform package that fits this machine ($here), and no other"
printf '#!/bin/sh\necho "not this platform"\n' > "$chosen/placeholder"
pairs=() overrides=()
for platform in linux-x64 linux-arm64 darwin-x64 darwin-arm64 win32-x64; do
  if [[ "$platform" == "$here" ]]; then
    pairs+=("$platform=$(ls "$out"/wa-onprem-emulator-"$here"-*.tgz)")
  else
    bash npm/pack.sh "$chosen/tarballs" "$platform=$chosen/placeholder" >/dev/null
    pairs+=("$platform=$chosen/tarballs/wa-onprem-emulator-$platform-$version.tgz")
  fi
done
for pair in "${pairs[@]}"; do
  overrides+=("\"@wa-onprem-emulator/${pair%%=*}\": \"file:${pair#*=}\"")
done
(IFS=,; printf '{"name": "chosen", "version": "1.0.0", "private": true, "overrides": {%s}}\n' \
  "${overrides[*]}") > "$chosen/package.json"
(cd "$chosen" && npm install --silent --no-audit --no-fund "$out/wa-onprem-emulator-$version.tgz")
[[ "$(ls "$chosen/node_modules/@wa-onprem-emulator")" == "$here" ]] \
  || { echo "npm installed: $(ls "$chosen/node_modules/@wa-onprem-emulator")"; exit 1; }
[[ "$(cd "$chosen" && npx --no-install wa-onprem-emulator --version)" == "wa-onprem-emulator $version" ]]
awk '/^### 3\. From Node\.js/{s=1} s&&/^```js$/{f=1;next} f&&/^```$/{exit} f' README.md > "$project/readme.mjs"
[[ -s "$project/readme.mjs" ]] || { echo "no js block in the README's Node.js section"; exit 1; }
cp -r npm/test/. "$project"
cd "$project"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "$out"/*.tgz \
  whatsapp@0.0.5-Alpha vitest@3.2.7 jest@29.7.0 typescript@5.9.3 @types/node@20.19.43 \
  testcontainers@11.14.0 ajv@8.20.0
[[ -x node_modules/@wa-onprem-emulator/$(node -p 'process.platform + "-" + process.arch')/bin/wa-onprem-emulator ]]

echo "== npx wa-onprem-emulator --help"
npx --no-install wa-onprem-emulator --help | head -3

echo "== tsc --noEmit on the package's types"
npx --no-install tsc -p .
npx --no-install tsc -p tsconfig.classic.json

echo "== node --test (the API, the command, Meta's Node.js SDK)"
mkdir tls
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout tls/key.pem -out tls/cert.pem 2>/dev/null
WA_EMU_TEST_TLS_DIR="$PWD/tls" NODE_EXTRA_CA_CERTS="$PWD/tls/cert.pem" \
  node --test node/

echo "== Vitest and Jest with wa-onprem-emulator/global-setup"
npx --no-install vitest run
npx --no-install jest

echo "== the README's Node.js example"
node --import ./readme/your-client.mjs readme.mjs
echo "npm: every check passed"
