#!/usr/bin/env bash
# Runs every fuzz target of the repository briefly (FUZZTIME each, default 5s): enough to
# catch a regression in a decoder on every CI run without slowing it much.
#
# A finding always fails the run: the engine writes a reproducer under testdata/fuzz/, and
# this script prints the test output that names it. Go's fuzzing engine also fails now and
# then without a finding ("context deadline exceeded" at the -fuzztime boundary, or "fuzzing
# process hung or terminated unexpectedly" from its own 10 s watchdog; Go issues 51484 and
# 56238). Such a run wrote no reproducer, so the target is run once more, and a second
# failure fails the script. Every failure's output is printed, never swallowed.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-5s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# reproducers PKG TARGET lists the failing inputs the engine has written for TARGET.
reproducers() {
  find "$1/testdata/fuzz/$2" -type f 2>/dev/null | sort
}

# fuzz_once PKG TARGET runs TARGET for $fuzztime; 0 = passed, 1 = finding, 2 = engine failure.
fuzz_once() {
  local pkg=$1 target=$2 before after
  before=$(reproducers "$pkg" "$target")
  if go test -C "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" . >"$log" 2>&1; then
    return 0
  fi
  cat "$log"
  after=$(reproducers "$pkg" "$target")
  if [ "$before" != "$after" ] || grep -q 'Failing input written to' "$log"; then
    return 1
  fi
  if grep -qE 'context deadline exceeded|fuzzing process hung or terminated unexpectedly' "$log"; then
    return 2
  fi
  return 1
}

n=0
while IFS=: read -r file target; do
  pkg=./$(dirname "$file")
  echo "fuzz: $pkg $target ($fuzztime)"
  rc=0
  fuzz_once "$pkg" "$target" || rc=$?
  if [ "$rc" -eq 2 ]; then
    echo "fuzz: $target: the engine failed without a finding; running it once more"
    rc=0
    fuzz_once "$pkg" "$target" || rc=$?
  fi
  if [ "$rc" -ne 0 ]; then
    echo "fuzz: $target FAILED" >&2
    exit 1
  fi
  n=$((n + 1))
done < <(git ls-files '*_test.go' | xargs grep -HoE '^func (Fuzz[A-Za-z0-9_]+)' | sed 's/func //')
echo "fuzz: $n targets passed"
