#!/usr/bin/env bash
# Builds gosan and runs the demo: gosan catching real concurrency bugs in
# a bundled example program (examples/demo_buggy.c).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target demo_buggy >/dev/null
exec "$BUILD_DIR/examples/demo_buggy" "$@"
