#!/usr/bin/env bash
# The npm packages as tarballs: `bash npm/pack.sh OUT [PLATFORM=BINARY]...` writes into OUT the
# main package (wa-onprem-emulator-VERSION.tgz) and one platform package for each PLATFORM=BINARY
# (wa-onprem-emulator-linux-x64-VERSION.tgz, ...). Without any, the one of this machine, with
# WA_EMU_BINARY or else the release binary (built by cargo build --release when missing).
# VERSION is the crate's, from Cargo.toml. The release workflow publishes what this writes.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:?usage: bash npm/pack.sh OUT [PLATFORM=BINARY]...}
shift
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)

platforms=("$@")
if [[ ${#platforms[@]} -eq 0 ]]; then
  binary=${WA_EMU_BINARY:-}
  if [[ -z "$binary" ]]; then
    cargo build --release --locked --bin wa-onprem-emulator
    binary=target/release/wa-onprem-emulator
  fi
  platforms=("$(node -p 'process.platform + "-" + process.arch')=$binary")
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
node npm/stage.cjs "$stage" "$version" "${platforms[@]}"
for package in "$stage"/*/; do
  npm pack --silent --pack-destination "$out" "$package" >/dev/null
done
ls "$out"/*-"$version".tgz
