#!/usr/bin/env bash
# Instructions and allocations per request, counted by valgrind's callgrind: stable from run to
# run where wall-clock figures drift, so it shows what a change buys. Needs valgrind
# (`apt-get install valgrind`).
#   bash bench/instructions.sh [202|201|verify|login|health] [SECONDS]
# With KEEP=FILE the callgrind profile is kept there, for callgrind_annotate.
# Prints e.g. `scenario=202 requests=4801 instructions_per_request=59511 allocations_per_request=55`
# (user-space instructions and mallocs of the emulator; startup and the one login are left out).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-202}
seconds=${2:-4}
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind"; exit 1; }
cargo build --profile profiling --locked --bin wa-onprem-emulator
cargo build --release --locked --example load
out=$(mktemp)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Nothing is counted until the emulator is up (--instr-atstart=no, then callgrind_control):
# startup's work and allocations (the OpenAPI document, the route table) are no request's.
RUST_LOG=info,wa_onprem_emulator::access=off valgrind --tool=callgrind --instr-atstart=no \
  --callgrind-out-file="$out" target/profiling/wa-onprem-emulator \
  --listen "127.0.0.1:$port" --admin-password 'B3nch!pass' --fixed-code 123456 \
  --log-format json --code-rate-limit 5 >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; if [[ -n "${KEEP:-}" ]]; then mv "$out" "$KEEP"; else rm -f "$out"; fi' EXIT
for _ in $(seq 100); do
  curl -fs "127.0.0.1:$port/_emulator/health" >/dev/null 2>&1 && break
  sleep 0.2
done
callgrind_control -i on $pid >/dev/null
taskset -c 1 target/release/examples/load drive --addr "127.0.0.1:$port" --scenario "$scenario" \
  --duration "$seconds" >/dev/null
kill -TERM $pid
wait $pid 2>/dev/null || true
tree=$(callgrind_annotate --tree=caller --inclusive=yes "$out" 2>/dev/null)
# Every request passes through the accept loop's service once.
requests=$(echo "$tree" | grep -E '< .*AppService as hyper::service::service::Service.*\(([0-9,]+)x\)' \
  | head -1 | grep -oE '\(([0-9,]+)x\)' | tr -d '(),x' || true)
# With link-time optimisation (the release profile) that service is inlined: count instead the
# one copy hyper's parser makes of each request's head (without LTO the two counts are equal).
requests=${requests:-$(echo "$tree" | awk -v RS= '/\* [^\n]*:__memcpy[a-z_]* /' \
  | grep -E 'role.rs:<hyper::proto::h1::role::Server as hyper::proto::h1::Http1Transaction>::parse \(' \
  | head -1 | grep -oE '\(([0-9,]+)x\)' | tr -d '(),x' || true)}
[[ -n "$requests" ]] || { echo "no request count found in the profile (see the comments above)"; exit 1; }
total=$(callgrind_annotate "$out" 2>/dev/null | grep 'PROGRAM TOTALS' | awk '{print $1}' | tr -d ,)
# The main thread (the accept loop) and the benchmark's one login are not requests of the scenario.
main=$(echo "$tree" | grep -E '\* .*wa_onprem_emulator::main( |$)' | head -1 | awk '{print $1}' | tr -d , || true)
login=$(echo "$tree" | grep -E '\* .*argon2::Argon2::fill_blocks( |$)' | head -1 | awk '{print $1}' | tr -d , || true)
mallocs=$(echo "$tree" | awk '/^$/{b=""} {b=b"\n"$0} /\* .*malloc.c:malloc \[/{print b}' \
  | grep -oE '\(([0-9,]+)x\)' | tr -d '(),x' | paste -sd+ | bc)
echo "scenario=$scenario requests=$requests" \
  "instructions_per_request=$(( (total - ${main:-0} - ${login:-0}) / requests ))" \
  "allocations_per_request=$(( mallocs / requests ))"
