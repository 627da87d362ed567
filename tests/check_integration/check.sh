#!/usr/bin/env bash
# check_integration: runs the Check suite built from suite.c under
# `gosan run --junit`, in Check's fork mode and in no-fork mode, and checks
# the attribution of each report to its test.
#   check.sh GOSAN SUITE
set -euo pipefail
gosan=$1 suite=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for mode in yes no; do
  status=0
  CK_FORK=$mode "$gosan" run --junit "$dir/$mode.xml" -- "$suite" \
    >"$dir/$mode.out" 2>&1 || status=$?
  fail() {
    echo "check_integration (CK_FORK=$mode): $*"
    echo "--- output:"; cat "$dir/$mode.out"
    echo "--- JUnit:"; cat "$dir/$mode.xml" 2>/dev/null || true
    exit 1
  }
  [ "$status" = 66 ] || fail "gosan run exited $status, want 66"
  has() { grep -q -- "$2" "$dir/$1" || fail "no '$2' in $1"; }
  lacks() { ! grep -q -- "$2" "$dir/$1" || fail "unexpected '$2' in $1"; }
  # Check's own verdicts: the two buggy tests fail, the others pass.
  has "$mode.out" '50%: Checks: 4, Failures: 2, Errors: 0'
  has "$mode.out" ':test_leaks_a_goroutine:.*1 goroutine leaked by this test'
  has "$mode.out" ':test_races_on_a_counter:.*1 report during this test'
  # The reports name their tests.
  has "$mode.out" 'SUMMARY: gosan: goroutine-leak .*in block_forever'
  has "$mode.out" 'SUMMARY: gosan: data-race .*suite.c:[0-9]* in bump'
  # One failing testcase per report, named after the test it came from.
  has "$mode.xml" 'classname="test_leaks_a_goroutine"'
  has "$mode.xml" 'classname="test_races_on_a_counter"'
  lacks "$mode.xml" 'classname="test_clean_'
  [ "$(grep -c '<failure ' "$dir/$mode.xml")" = 2 ] ||
    fail "want 2 failing testcases"
done
echo "check_integration: reports attributed to their tests in both modes"
