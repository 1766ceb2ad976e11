#!/usr/bin/env bash
# The GitHub Action's script (.github/action/emulator.sh) as the action runs it, against a built
# binary instead of a download: `bash .ci/action.sh BINARY`. A runner's files (GITHUB_OUTPUT,
# GITHUB_ENV, GITHUB_STEP_SUMMARY, RUNNER_TEMP) are made in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
script=.github/action/emulator.sh

runner=$(mktemp -d)
trap 'RUNNER_TEMP="$runner" bash "$script" stop; rm -rf "$runner"' EXIT
export RUNNER_TEMP="$runner" GITHUB_OUTPUT="$runner/output" GITHUB_ENV="$runner/env" \
  GITHUB_STEP_SUMMARY="$runner/summary" WA_EMU_BINARY="$binary"

in_summary() { # a line the job summary must hold (fixed text)
  grep -qF -- "$1" "$GITHUB_STEP_SUMMARY" || { echo "action: the summary lacks '$1':"; cat "$GITHUB_STEP_SUMMARY"; exit 1; }
}
expect() { # what, expected, actual
  [[ "$2" == "$3" ]] || { echo "action: $1: expected $2, got $3"; exit 1; }
}

# The release archive each runner downloads is one the release workflow makes.
for runner_kind in Linux/X64:x86_64-unknown-linux-musl.tar.gz Linux/ARM64:aarch64-unknown-linux-musl.tar.gz \
  macOS/X64:x86_64-apple-darwin.tar.gz macOS/ARM64:aarch64-apple-darwin.tar.gz \
  Windows/X64:x86_64-pc-windows-msvc.zip; do
  os_arch=${runner_kind%%:*}
  url=$(RUNNER_OS=${os_arch%/*} RUNNER_ARCH=${os_arch#*/} EMULATOR_VERSION=v0.1.0 \
    EMULATOR_REPOSITORY=OWNER/wa-onprem-emulator bash "$script" asset-url)
  expect "the archive for $os_arch" \
    "https://github.com/OWNER/wa-onprem-emulator/releases/download/v0.1.0/wa-onprem-emulator-v0.1.0-${runner_kind#*:}" "$url"
done
# shellcheck disable=SC2016 # the workflow's own words
grep -q 'name="wa-onprem-emulator-${VERSION}-${TARGET}"' .github/workflows/release.yml \
  || { echo "action: release.yml no longer names its archives wa-onprem-emulator-VERSION-TARGET"; exit 1; }
if RUNNER_OS=Windows RUNNER_ARCH=ARM64 EMULATOR_VERSION=v0.1.0 EMULATOR_REPOSITORY=o/r \
  bash "$script" asset-url 2>"$runner/err"; then
  echo "action: Windows/ARM64 has no binary, yet an archive was named"; exit 1
fi
grep -q "no release binary for Windows/ARM64" "$runner/err"

# Flags it refuses: the start fails with the emulator's own words.
if EMULATOR_PORT=0 EMULATOR_ARGS="--policy nonsense" bash "$script" start 2>"$runner/err" >/dev/null; then
  echo "action: a start with --policy nonsense succeeded"; exit 1
fi
grep -q "nonsense" "$runner/err" && grep -q "exited at start" "$runner/err"

# A log level that leaves the startup line out: the URL comes from the ready file all the same.
EMULATOR_PORT=19096 EMULATOR_ARGS="--log-level off" bash "$script" start >/dev/null
expect "url without a startup line" "url=http://127.0.0.1:19096" "$(tail -1 "$GITHUB_OUTPUT")"
bash "$script" stop
: > "$GITHUB_OUTPUT"
: > "$GITHUB_ENV"

# Started with flags that need the shell's quoting (the `!`), on a free port.
EMULATOR_PORT=0 EMULATOR_ARGS="--admin-password 'Adm1n!pass' --fixed-code 123456" bash "$script" start
url=$(sed -n 's/^url=//p' "$GITHUB_OUTPUT")
[[ "$url" =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || { echo "action: output url is '$url'"; exit 1; }
expect "WA_EMU_URL for later steps" "WA_EMU_URL=$url" "$(cat "$GITHUB_ENV")"

# A test's requests in a cluster of its own, then the report a failed job asks for.
B="$url/clusters/ci-action"
TOKEN=$(curl -sf -X POST -u 'admin:Adm1n!pass' "$B/v1/users/login" | jq -r '.users[0].token')
CERT=$(curl -sf -X POST "$url/_emulator/certs" -d '{"vname": "Action Shop"}' | jq -r .cert)
curl -sf -o /dev/null -X POST "$B/v1/account" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"cc\": \"1\", \"phone_number\": \"6315550000\", \"method\": \"sms\", \"cert\": \"$CERT\"}"
curl -s -o /dev/null -X POST "$B/v1/account/verify" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{"code": "000000"}'
bash "$script" report
in_summary '### Cluster `ci-action`'
in_summary '| POST | `/v1/account` | 202 | account.code_sent |'
in_summary '| POST | `/v1/account/verify` | 403 | refusal.mismatch |'
in_summary '| +1 6315550000 | sms | 123456 | Action Shop |'
in_summary 'listening on'

bash "$script" stop
if curl -sf -o /dev/null "$url/_emulator/health"; then echo "action: still serving after stop"; exit 1; fi
echo "action: started, reported (each cluster's journal and outbox) and stopped"
