#!/usr/bin/env bash
# examples.demo: runs the demo under `gosan run` as scripts/demo.sh does and
# checks that gosan reported each of its six bugs, with the line of
# the bug, and that the JUnit file has one failing testcase per report.
#   demo_check.sh GOSAN DEMO_BUGGY
set -euo pipefail
gosan=$1 demo=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
status=0
"$gosan" run --junit "$dir/demo.xml" --json "$dir/demo.jsonl" -- "$demo" \
  >"$dir/out" 2>&1 || status=$?
fail() { echo "demo_check: $*"; echo "--- output:"; cat "$dir/out"; exit 1; }
[ "$status" = 66 ] || fail "gosan run exited $status, want 66"
expect_some() { # pattern: at least once
  grep -q -- "$1" "$dir/out" || fail "want a line matching '$1'"
}
expect() { # count pattern
  local n
  n=$(grep -c -- "$2" "$dir/out" || true)
  [ "$n" = "$1" ] || fail "want $1 line(s) matching '$2', got $n"
}
# Bug 1: whichever worker loses first panics (send on the closed channel,
# or a second close); which one is up to the scheduler, as in Go, and two
# workers may panic at the same moment (both are reported).
expect_some 'SUMMARY: gosan: \(send-on-closed\|close-of-closed\)-channel .*demo_buggy.c:[0-9]* in charge_worker'
expect 1 'fatal error: all goroutines are asleep - deadlock!'
expect 1 'SUMMARY: gosan: close-of-closed-channel .*demo_buggy.c:[0-9]* in bug_double_close'
expect 1 'SUMMARY: gosan: data-race .*demo_buggy.c:[0-9]* in serve_orders'
expect 1 'SUMMARY: gosan: goroutine-leak .*in lookup_price'
expect 1 'SUMMARY: gosan: lock-order-inversion'
expect 1 'goleak_verify: 1 leaked goroutine$'
failures=$(grep -c '<failure ' "$dir/demo.xml" || true)
[ "$failures" -ge 6 ] || fail "want at least 6 <failure> in the JUnit file, got $failures"
echo "demo_check: all six bugs reported; JUnit has $failures failures"
