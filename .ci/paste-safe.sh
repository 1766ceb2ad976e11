#!/usr/bin/env bash
# Every line of every shell block of the README and the book must read the same when pasted
# into an interactive bash or zsh: there, history expansion turns a `!` in double quotes (or
# bare) into an earlier command. Lines in single quotes are safe. Fails naming each line.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
for f in README.md docs/src/*.md python/README.md npm/wa-onprem-emulator/README.md; do
  while IFS= read -r line; do
    [[ "$line" == *'!'* ]] || continue
    expanded=$(bash -c 'set -o history -H; history -p "$1" 2>&1' _ "$line" || true)
    if [[ "$expanded" != "$line" ]]; then
      echo "$f: changes when pasted into an interactive shell (history expansion on '!'): $line"
      bad=1
    fi
  done < <(awk '/^```(sh|bash|shell|console)$/{f=1;next} /^```/{f=0} f' "$f")
done
exit $bad
