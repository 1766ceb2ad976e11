#!/usr/bin/env bash
# Builds the static (musl) release binary that the Docker image ships, into the folder given
# (default target/docker). The Dockerfile's build stage and .ci/run both run this script, so CI
# tests the image's build commands.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/docker}
target=x86_64-unknown-linux-musl

rustup target add "$target" >/dev/null
if ! command -v musl-gcc >/dev/null 2>&1; then
  # ring (TLS) compiles C: it needs a musl C compiler.
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
    ($sudo apt-get install -y --no-install-recommends musl-tools >/dev/null 2>&1 ||
      { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends musl-tools >/dev/null; })
  fi
fi
cargo build --release --locked --target "$target" --bin wa-onprem-emulator
mkdir -p "$out"
cp "${CARGO_TARGET_DIR:-target}/$target/release/wa-onprem-emulator" "$out/"
echo "static binary: $out/wa-onprem-emulator ($(du -h "$out/wa-onprem-emulator" | cut -f1))"
