#!/usr/bin/env bash
# Runs the README's curl walk-through ("A whole registration with curl"), the book's backup and
# restore block (docs/src/backup.md) that follows on from it, and the README's migration to the
# Cloud API ("Migrating to the Cloud API") against a running emulator,
# twice in a row, and checks that they print what the documents show: the lines of the blocks
# that look like answers (`# {...}` and `# 201`), in order.
#   bash .ci/walkthrough.sh BASE_URL
set -euo pipefail
cd "$(dirname "$0")/.."
base=$1
first_sh_block() {
  awk -v heading="$2" '$0 == heading {s=1} s&&/^```sh$/{f=1;next} f&&/^```$/{exit} f' "$1"
}
walk=$(first_sh_block README.md "## A whole registration with curl")
migration=$(first_sh_block README.md "## Migrating to the Cloud API")
backup=$(first_sh_block docs/src/backup.md "# Backup and restore")
[[ -n "$walk" && -n "$backup" && -n "$migration" ]] || { echo "a walk-through (README.md) or the backup block (docs/src/backup.md) is missing"; exit 1; }
block=$(printf "%s\n%s\n%s\n" "$walk" "$backup" "$migration")
expected=$(printf '%s\n' "$block" | sed -n 's/^# \(\({\|[0-9][0-9][0-9]$\).*\)$/\1/p')
script=$(printf '%s\n' "$block" | sed "s|^B=http://127.0.0.1:9090$|B=$base|")
for run in 1 2; do
  # Every answer on a line of its own, as the README shows them.
  # Read by an interactive bash, as a reader pastes it: history expansion is on, so a `!` in
  # double quotes would change the command. Its prompts go to stderr.
  actual=$(printf '%s\n' "set -euo pipefail" 'curl() { command curl "$@"; echo; }' "$script" \
    | bash --norc --noprofile -i 2>/dev/null | sed '/^$/d')
  if [[ "$actual" != "$expected" ]]; then
    echo "walk-through run $run printed:"; echo "$actual"
    echo "the README shows:"; echo "$expected"
    exit 1
  fi
  echo "walk-through run $run: $(printf '%s\n' "$actual" | wc -l) answers as the README shows them"
done
