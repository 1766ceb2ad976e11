#!/usr/bin/env bash
# How long a start with a large seed takes: N clusters (100,000 by default) in the short form
# (`{"policy": "sunset"}` each) seeded into a fresh data directory, from the start of the release
# binary to its ready file (the seed applied, one transaction), then the same again into memory.
#   bash bench/seed.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
cargo build --release --locked --bin wa-onprem-emulator >/dev/null 2>&1
bin=target/release/wa-onprem-emulator
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$count" "$work/seed.json" <<'PY'
import json, sys
count, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    json.dump({"clusters": {f"c{i:06d}": {"policy": "sunset"} for i in range(count)}}, f)
PY
for where in data-dir memory; do
  args=(--listen 127.0.0.1:0 --log-level warn --seed "$work/seed.json" --ready-file "$work/ready.json")
  [[ $where == data-dir ]] && args+=(--data-dir "$work/data")
  rm -f "$work/ready.json"
  started=$(date +%s.%N)
  "$bin" "${args[@]}" </dev/null &
  pid=$!
  until [[ -s "$work/ready.json" ]]; do
    kill -0 "$pid" 2>/dev/null || { echo "the emulator exited"; exit 1; }
    sleep 0.01
  done
  ready=$(date +%s.%N)
  kill -TERM "$pid"
  wait "$pid"
  python3 -c "print(f'$count clusters seeded ($where): ready after {$ready - $started:.2f} s')"
done
[[ -f "$work/data/emulator.redb" ]] && echo "data file: $(stat -c %s "$work/data/emulator.redb") bytes"
