#!/usr/bin/env bash
# The benchmark: builds in release, starts the emulator and the reference server (bench/reference.rs,
# the ceiling) pinned to core 0, drives both from bench/load.rs pinned to core 1, and prints one
# table with ratios to the reference measured in the same run; bench/results.json has the figures.
#   bash bench/run.sh [--duration SECONDS] [--clusters N]
#   bash bench/run.sh rounds [--rounds N] [--duration SECONDS]   # reference, 202, 201 in turn,
#     N rounds (3) of S seconds (3) after warm-ups: the median ratio, the figure to compare
set -euo pipefail
cd "$(dirname "$0")/.."
command -v taskset >/dev/null || { echo "taskset (util-linux) is needed to pin the processes"; exit 1; }
cargo build --release --locked --bin wa-onprem-emulator --example reference --example load
mode=bench
if [[ "${1:-}" == rounds ]]; then mode=rounds; shift; fi
exec taskset -c 1 target/release/examples/load "$mode" \
  --emulator target/release/wa-onprem-emulator \
  --reference target/release/examples/reference \
  --out bench/results.json "$@"
