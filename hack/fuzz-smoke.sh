#!/usr/bin/env bash
# Runs every fuzz target of the repository briefly (FUZZTIME each, default 5s): enough to
# catch a regression in a decoder on every CI run without slowing it much.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-5s}
n=0
while IFS=: read -r file target; do
  pkg=./$(dirname "$file")
  echo "fuzz: $pkg $target ($fuzztime)"
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/dev/null
  n=$((n + 1))
done < <(git ls-files '*_test.go' | xargs grep -oE '^func (Fuzz[A-Za-z0-9_]+)' | sed 's/func //')
echo "fuzz: $n targets passed"
