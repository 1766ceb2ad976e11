#!/usr/bin/env bash
# Builds the static (musl) release binary that the Docker image ships, into the folder given
# (default target/docker), for an architecture as Docker names it (amd64 or arm64; default the
# machine's own). The Dockerfile's build stage and .ci/run both run this script, so CI tests the
# image's build commands.
#   bash docker/build-static.sh [OUT] [amd64|arm64]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/docker}
arch=${2:-$(uname -m)}
case "$arch" in
  amd64 | x86_64) target=x86_64-unknown-linux-musl ;;
  arm64 | aarch64) target=aarch64-unknown-linux-musl ;;
  *) echo "no musl target for architecture $arch (amd64 or arm64)"; exit 2 ;;
esac

rustup target add "$target" >/dev/null
install_packages() {
  command -v apt-get >/dev/null 2>&1 || return 0
  local sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "$@" >/dev/null; }
}
# ring (TLS) compiles C: it needs a C compiler for the target. Natively, musl-gcc; across
# architectures, Debian's gcc for the target compiles ring's C and links the static binary (Rust
# brings musl's start files itself).
host=$(uname -m)
case "$target:$host" in
  x86_64-*:x86_64 | aarch64-*:aarch64)
    command -v musl-gcc >/dev/null 2>&1 || install_packages musl-tools ;;
  aarch64-*:*)
    # The compiler alone (without its recommended C library headers) cannot build ring's C.
    { command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 \
      && [[ -e /usr/aarch64-linux-gnu/include/bits/libc-header-start.h ]]; } \
      || install_packages gcc-aarch64-linux-gnu libc6-dev-arm64-cross
    export CC_aarch64_unknown_linux_musl=aarch64-linux-gnu-gcc
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=aarch64-linux-gnu-gcc ;;
  x86_64-*:*)
    { command -v x86_64-linux-gnu-gcc >/dev/null 2>&1 \
      && [[ -e /usr/x86_64-linux-gnu/include/bits/libc-header-start.h ]]; } \
      || install_packages gcc-x86-64-linux-gnu libc6-dev-amd64-cross
    export CC_x86_64_unknown_linux_musl=x86_64-linux-gnu-gcc
    export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=x86_64-linux-gnu-gcc ;;
esac
cargo build --release --locked --target "$target" --bin wa-onprem-emulator
mkdir -p "$out"
cp "${CARGO_TARGET_DIR:-target}/$target/release/wa-onprem-emulator" "$out/"
echo "static binary ($target): $out/wa-onprem-emulator ($(du -h "$out/wa-onprem-emulator" | cut -f1))"
