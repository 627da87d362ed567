#!/usr/bin/env bash
# Builds gosan from scratch with warnings as errors and runs every test
# (Check suites, examples, end-to-end scenarios) with ctest. Results as
# JUnit XML: $BUILD_DIR/ctest-junit.xml (every test) and
# $BUILD_DIR/gosan-junit/ (the tests run under `gosan run`, one file each).
#   BUILD_DIR (default build), JOBS (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGOSAN_WERROR=ON
cmake --build "$BUILD_DIR" -j "$JOBS"
cd "$BUILD_DIR"
ctest -j "$JOBS" --output-on-failure --timeout 600 \
  --output-junit "$PWD/ctest-junit.xml"
