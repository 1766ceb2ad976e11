#!/usr/bin/env bash
# The shell steps of the GitHub Action (action.yml at the repository's root), runnable anywhere:
#
#   emulator.sh start       downloads the release binary for this runner (EMULATOR_VERSION, a tag
#                           or `latest`; none with WA_EMU_BINARY set), starts it on 127.0.0.1:
#                           EMULATOR_PORT with EMULATOR_ARGS (split as a shell splits them), waits
#                           for its health, and sets the output `url` and WA_EMU_URL for later steps
#   emulator.sh report      writes each cluster's journal and outbox, and the log's last lines, to
#                           the job summary (GITHUB_STEP_SUMMARY; stdout without one)
#   emulator.sh stop        stops the emulator `start` started
#   emulator.sh asset-url   prints the release archive `start` would download
#
# Its state (binary, log, pid, url) lives in $RUNNER_TEMP/wa-onprem-emulator. The control API's
# token, when the emulator has one, is taken from WA_EMU_CONTROL_TOKEN (which the binary reads
# too). .ci/run runs this script against the freshly built binary (.ci/action.sh).
set -euo pipefail

name=wa-onprem-emulator
state="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/$name"
repository="${EMULATOR_REPOSITORY:-${GITHUB_REPOSITORY:-}}"

fail() {
  echo "::error title=$name::$*" >&2
  exit 1
}

# The Rust target of the release binary for this runner (RUNNER_OS, RUNNER_ARCH).
target() {
  case "${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}" in
    Linux/X64 | Linux/x86_64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64 | Linux/aarch64) echo aarch64-unknown-linux-musl ;;
    macOS/X64 | Darwin/x86_64) echo x86_64-apple-darwin ;;
    macOS/ARM64 | Darwin/arm64) echo aarch64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
    *) fail "no release binary for ${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}: there are Linux (X64, ARM64), macOS (X64, ARM64) and Windows (X64); build one (cargo build --release) and set WA_EMU_BINARY" ;;
  esac
}

# The release tag: EMULATOR_VERSION, or the newest release's for `latest`.
tag() {
  local version="${EMULATOR_VERSION:-latest}"
  if [[ "$version" != latest ]]; then
    echo "$version"
    return
  fi
  [[ -n "$repository" ]] || fail "which repository's releases? set EMULATOR_REPOSITORY (owner/name)"
  local auth=()
  [[ -n "${GITHUB_TOKEN:-}" ]] && auth=(-H "Authorization: Bearer $GITHUB_TOKEN")
  curl -fsSL "${auth[@]}" "https://api.github.com/repos/$repository/releases/latest" \
    | sed -n 's/^ *"tag_name": *"\([^"]*\)".*/\1/p' | head -1
}

asset_url() {
  local tag target ext=tar.gz
  tag=$(tag)
  [[ -n "$tag" ]] || fail "no release found in $repository"
  target=$(target)
  [[ "$target" == *windows* ]] && ext=zip
  echo "https://github.com/$repository/releases/download/$tag/$name-$tag-$target.$ext"
}

# The binary to run: WA_EMU_BINARY, or the release archive for this runner, checksum verified.
binary() {
  if [[ -n "${WA_EMU_BINARY:-}" ]]; then
    [[ -x "$WA_EMU_BINARY" ]] || fail "WA_EMU_BINARY=$WA_EMU_BINARY is not an executable file"
    echo "$WA_EMU_BINARY"
    return
  fi
  local url archive
  url=$(asset_url)
  archive="$state/$(basename "$url")"
  curl -fsSL -o "$archive" "$url" || fail "cannot download $url"
  curl -fsSL -o "$archive.sha256" "$url.sha256" || fail "cannot download $url.sha256"
  (cd "$state" && if command -v sha256sum >/dev/null; then sha256sum -c --quiet "$archive.sha256";
    else shasum -a 256 -c --quiet "$archive.sha256"; fi) >&2 || fail "$archive: wrong checksum"
  if [[ "$archive" == *.zip ]]; then
    # Git Bash on Windows runners has no unzip everywhere; 7-Zip is on every Windows runner.
    if command -v unzip >/dev/null; then (cd "$state" && unzip -oq "$archive");
    else 7z x -y -o"$state" "$archive" >/dev/null; fi
    echo "$state/$name.exe"
  else
    tar -xzf "$archive" -C "$state"
    echo "$state/$name"
  fi
}

start() {
  mkdir -p "$state"
  local bin port="${EMULATOR_PORT:-9090}" log="$state/emulator.log" args=() url=""
  bin=$(binary)
  # The inputs' flags, split as a shell splits them (quotes keep spaces and `!` as they are).
  eval "args=(${EMULATOR_ARGS:-})"
  local listen=(--listen "127.0.0.1:$port")
  for a in "${args[@]}"; do [[ "$a" == --listen || "$a" == --listen=* ]] && listen=(); done
  # Its log goes to a file, never to a pipe that nobody reads. It says where it answers in its
  # ready file once it does: no log line read, no port probed.
  local ready="$state/ready.json"
  rm -f "$ready"
  nohup "$bin" "${listen[@]}" "${args[@]}" --ready-file "$ready" >"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$state/pid"
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$log" >&2
      fail "the emulator exited at start (its log is above)"
    fi
    if [[ -s "$ready" ]]; then
      url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$ready")
      echo "$url" >"$state/url"
      [[ -n "${GITHUB_OUTPUT:-}" ]] && echo "url=$url" >>"$GITHUB_OUTPUT"
      [[ -n "${GITHUB_ENV:-}" ]] && echo "WA_EMU_URL=$url" >>"$GITHUB_ENV"
      echo "$name $("$bin" --version | cut -d' ' -f2) is serving $url (pid $pid, log $log)"
      return
    fi
    sleep 0.1
  done
  cat "$log" >&2
  fail "the emulator was not ready within 30 s (its log is above)"
}

# Markdown of what each cluster received and sent, for the job summary.
summary() {
  local url auth=() clusters
  url=$(cat "$state/url" 2>/dev/null) || { echo "$name: not started by this action, nothing to report"; return; }
  [[ -n "${WA_EMU_CONTROL_TOKEN:-}" ]] && auth=(-H "Authorization: Bearer $WA_EMU_CONTROL_TOKEN")
  echo "## $name: what each cluster received"
  echo
  if ! clusters=$(curl -fsSk "${auth[@]}" "$url/_emulator/clusters"); then
    echo "The emulator at $url did not answer \`GET /_emulator/clusters\`."
  else
    local cluster
    for cluster in $(jq -r '.clusters[]' <<<"$clusters"); do
      echo "### Cluster \`$cluster\`"
      echo
      curl -fsSk "${auth[@]}" "$url/_emulator/clusters/$cluster/requests" | jq -r '
        "Journal: \(.requests | length) request(s), the last 200 below.\n",
        "| time | method | path | status | reason |", "|---|---|---|---|---|",
        (.requests[-200:][] | "| \(.time) | \(.method) | `\(.path)` | \(.status) | \(.reason // "") |")'
      echo
      curl -fsSk "${auth[@]}" "$url/_emulator/clusters/$cluster/codes" | jq -r '
        "Outbox: \(.codes | length) code(s).\n",
        if (.codes | length) > 0 then
          "| sent at | surface | number | method | code | verified name |", "|---|---|---|---|---|---|",
          (.codes[] | "| \(.sent_at) | \(.surface) | +\(.cc) \(.phone_number) | \(.method) | \(.code) | \(.vname) |")
        else empty end'
      echo
    done
  fi
  echo "### The emulator's log, last 50 lines"
  echo
  echo '```text'
  tail -n 50 "$state/emulator.log" 2>/dev/null || true
  echo '```'
}

report() {
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    summary >>"$GITHUB_STEP_SUMMARY"
    echo "$name: each cluster's journal and outbox are in the job summary"
  else
    summary
  fi
}

stop() {
  local pid
  pid=$(cat "$state/pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  # Still there after 10 s of draining: it goes all the same, nothing is left on the runner.
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$state/pid" "$state/url" "$state/ready.json"
}

case "${1:-}" in
  start) start ;;
  report) report ;;
  stop) stop ;;
  asset-url) asset_url ;;
  *) echo "usage: $0 start|report|stop|asset-url" >&2; exit 2 ;;
esac
