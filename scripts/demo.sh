#!/usr/bin/env bash
# Builds gosan and runs the demo: gosan catching real concurrency bugs in
# a bundled example program (examples/demo_buggy.c), under `gosan run`
# as a CI job would, with the findings also written as JUnit XML.
#   BUILD_DIR (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" \
  --target demo_buggy gosan_launcher gosan_detect >/dev/null
junit=$BUILD_DIR/demo-junit.xml
status=0
"$BUILD_DIR/launcher/gosan" run --junit "$junit" -- \
  "$BUILD_DIR/examples/demo_buggy" "$@" || status=$?
echo
if [ "$status" = 66 ]; then
  echo "demo: gosan found the bugs above (gosan run exits 66 when it reports)."
  echo "demo: JUnit XML for CI: $junit" \
       "($(grep -c '<failure ' "$junit") failing testcases)"
  exit 0
fi
echo "demo: gosan run exited with $status; expected 66 (bugs reported)" >&2
exit 1
