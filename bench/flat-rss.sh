#!/usr/bin/env bash
# Memory under a long load of fresh numbers: starts the emulator with a short rate window, drives
# the 202 path (a new number every request) and prints the emulator's RSS every 10 s. After the
# first window the send history is swept as fast as it grows, so RSS stays flat.
#   bash bench/flat-rss.sh [SECONDS (default 600)] [WINDOW (default 1m)]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
window=${2:-1m}
cargo build --release --locked --bin wa-onprem-emulator --example load
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RUST_LOG=info,wa_onprem_emulator::access=off taskset -c 0 target/release/wa-onprem-emulator --listen "127.0.0.1:$port" \
  --admin-password 'B3nch!pass' --fixed-code 123456 --code-rate-window "$window" \
  --log-format json >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fs "127.0.0.1:$port/_emulator/health" >/dev/null 2>&1 && break
  sleep 0.1
done
taskset -c 1 target/release/examples/load drive --addr "127.0.0.1:$port" --scenario 202 \
  --duration "$seconds" >/dev/null &
load=$!
start=$(date +%s)
while kill -0 $load 2>/dev/null; do
  sleep 10
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  echo "t=$(( $(date +%s) - start ))s rss=$(( rss / 1024 )) MiB"
done
