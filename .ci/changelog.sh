#!/usr/bin/env bash
# CHANGELOG.md is in Keep a Changelog's form: an `## [Unreleased]` section, each version's heading
# `## [X.Y.Z] - YYYY-MM-DD` (or `- unreleased` before its release). With a version
# (`bash .ci/changelog.sh 0.2.0`, as the release workflow runs it with its tag's), that version
# must have a dated entry.
set -euo pipefail
cd "$(dirname "$0")/.."
file=CHANGELOG.md
[[ -f $file ]] || { echo "$file is missing"; exit 1; }
grep -qx '## \[Unreleased\]' "$file" || { echo "$file has no '## [Unreleased]' section"; exit 1; }
bad=$(grep '^## ' "$file" | grep -vxE '## \[Unreleased\]|## \[[0-9]+\.[0-9]+\.[0-9]+\] - ([0-9]{4}-[0-9]{2}-[0-9]{2}|unreleased)' || true)
[[ -z $bad ]] || { echo "$file: headings not in Keep a Changelog's form: $bad"; exit 1; }
if [[ -n "${1:-}" ]]; then
  version=${1#v}
  grep -qE "^## \[${version//./\\.}\] - [0-9]{4}-[0-9]{2}-[0-9]{2}$" "$file" \
    || { echo "$file has no dated entry '## [$version] - YYYY-MM-DD' for the release of v$version"; exit 1; }
fi
echo "$file: in order${1:+, with an entry for $1}"
