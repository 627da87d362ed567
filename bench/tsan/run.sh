#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/tsan/run.sh: gosan's race detector (libgosan-detect.so) side by side
# with ThreadSanitizer (gcc's libtsan) on plain pthread C workloads.
#
# Every workload's object file is compiled ONCE with
#   gcc -O2 -g -pthread -fsanitize=thread -c
# and linked two ways:
#   tsan   gcc -fsanitize=thread           (gcc's libtsan)
#   gosan  no -fsanitize at link, -lgosan  (libgosan's weak __tsan_* no-ops),
#          run with LD_PRELOAD=<build>/detector/libgosan-detect.so
# The baseline is the same source compiled plain:
#   plain  gcc -O2 -g -pthread
#
# For each of RUNS rounds, each workload runs in the three modes straight
# after one another (interleaved, so that the three see nearly the same
# machine load; the order of the modes rotates from round to round).
# bin/measure records each run's wall time, peak RSS (wait4's ru_maxrss)
# and the CPU the rest of the machine used meanwhile ("foreign" load). The
# race-free workloads must exit 0 and print no report under either
# detector; racy_counter must be reported by both. README.md explains it.
#
#   bench/tsan/run.sh                       # RUNS=3, full sizes
#   QUICK=1 RUNS=1 bench/tsan/run.sh        # small sizes, smoke test
#   ONLY=memory bench/tsan/run.sh           # workloads matching a regex
#   TABLE_ONLY=1 bench/tsan/run.sh          # re-print the tables from $OUT
#
# Environment (defaults in brackets):
#   RUNS [3]             rounds
#   QUICK []             set: small sizes (not comparable with full runs)
#   ONLY []              extended regex on workload names
#   BUILD_DIR [build-bench]  CMake tree for libgosan + libgosan-detect (Release)
#   OUT [bench/out/tsan] binaries (bin/), raw.tsv, logs/, table.md
#   TIMEOUT [300]        seconds allowed for one run (then SIGKILL)
#   QUIET_WAIT [5]       before each run, wait up to this many seconds for
#                        a half second with less than QUIET_LOAD cores busy
#   QUIET_LOAD [0.5]
#   SRC_QUIET [30], SRC_WAIT [600]  before building, wait up to SRC_WAIT s
#                        for the gosan sources to be unchanged for SRC_QUIET s
#                        (others may be editing them); the build is redone
#                        if they changed during it or it failed (after
#                        60 s; 5 attempts in all). The libraries are then
#                        copied to $OUT/bin/lib, and the gosan runs use
#                        those copies (LD_PRELOAD + LD_LIBRARY_PATH)
#   TABLE_ONLY []        skip building and running
#   TSAN_OPTIONS and GOSAN_OPTIONS are passed through unchanged (unset by
#   default: both detectors at their defaults).
#
# Exit status: 0, or 3 when a race-free workload failed, timed out or was
# reported by a detector, or when the racy one was missed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$root/build-bench}
OUT=${OUT:-$root/bench/out/tsan}
RUNS=${RUNS:-3}
QUICK=${QUICK:-}
ONLY=${ONLY:-}
TIMEOUT=${TIMEOUT:-300}
QUIET_WAIT=${QUIET_WAIT:-5}
QUIET_LOAD=${QUIET_LOAD:-0.5}
TABLE_ONLY=${TABLE_ONLY:-}

case $BUILD_DIR in /*) ;; *) BUILD_DIR=$PWD/$BUILD_DIR ;; esac
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac
SRC_WAIT=${SRC_WAIT:-600}
SRC_QUIET=${SRC_QUIET:-30}
DETECTOR=$BUILD_DIR/detector/libgosan-detect.so
BIN=$OUT/bin
GOSAN_DETECTOR=$BIN/lib/libgosan-detect.so
SRC_SHA=

log() { echo "run.sh: $*" >&2; }
build_jobs() { local n; n=$(nproc); echo $((n < 2 ? n : 2)); }
die() { log "$*"; exit 1; }

# name | program | full-size arguments | QUICK arguments
CONFIGS=(
  "mutex_contended_2T|mutex_contended|2 2000000|2 200000"
  "mutex_contended_8T|mutex_contended|8 2000000|8 200000"
  "atomic_counter_seqcst|atomic_counter|2 10000000 seqcst|2 1000000 seqcst"
  "atomic_counter_relaxed|atomic_counter|2 10000000 relaxed|2 1000000 relaxed"
  "memory_heavy_own|memory_heavy|100 8 own|10 1 own"
  "memory_heavy_swap|memory_heavy|100 8 swap|10 1 swap"
  "memory_single|memory_single|100 8|10 1"
  "pingpong_condvar|pingpong_condvar|200000|20000"
  "spawn_join_seq|spawn_join|20000 1|2000 1"
  "spawn_join_batch16|spawn_join|10000 16|2000 16"
  "racy_counter|racy_counter|1000000|100000"
)
PROGRAMS="mutex_contended atomic_counter memory_heavy memory_single
pingpong_condvar spawn_join racy_counter"
MODES=(plain tsan gosan)

# ---- build --------------------------------------------------------------------

# The gosan sources the two libraries are built from. Other people may be
# editing them while this runs: a build that overlaps an edit can compile
# some files against an old header and others against a new one (a torn
# build, with mismatched struct layouts). So wait for the sources to be
# quiet, build, and build again if anything changed meanwhile.
gosan_sources() {
  find "$root/CMakeLists.txt" "$root/cmake" "$root/include" "$root/runtime" \
    "$root/reports" "$root/detector" "$root/interpose" -type f "$@" 2>/dev/null
}

# wait_sources_quiet: up to SRC_WAIT seconds until no source changed in the
# last SRC_QUIET seconds.
wait_sources_quiet() {
  local deadline=$((SECONDS + SRC_WAIT)) newest
  while :; do
    newest=$(gosan_sources -printf '%T@\n' | sort -n | tail -1)
    newest=${newest%.*}
    (($(date +%s) - ${newest:-0} >= SRC_QUIET)) && return
    ((SECONDS < deadline)) || { log "sources still changing; building anyway"; return; }
    log "gosan sources changed $(($(date +%s) - newest)) s ago: waiting"
    sleep 5
  done
}

build_gosan() {
  # Configure once (a tree that exists is reused as it is: build-bench is
  # shared with bench/compare.sh and race_compare.sh, which configure it
  # the same way).
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S "$root" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
      -DGOSAN_BUILD_TESTS=OFF -DGOSAN_BUILD_EXAMPLES=OFF >/dev/null
  fi
  local bt
  bt=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt")
  [[ $bt == Release ]] || die "$BUILD_DIR is a $bt tree, not Release"
  local attempt stamp=$OUT/.build-stamp changed
  mkdir -p "$OUT"
  for attempt in 1 2 3 4 5; do
    wait_sources_quiet
    touch "$stamp"
    SRC_SHA=$(gosan_sources -name '*.[ch]' | sort | xargs cat | sha1sum | cut -c1-12)
    # -j2 at most: the machine is shared.
    if ! cmake --build "$BUILD_DIR" --target gosan gosan_detect \
        -j"$(build_jobs)" >"$OUT/build.log" 2>&1; then
      # Most likely somebody's edit in progress (a half-written file):
      # wait for it to settle and try again.
      grep -m3 'error' "$OUT/build.log" >&2 || tail -5 "$OUT/build.log" >&2
      ((attempt < 5)) || die "build failed ($OUT/build.log)"
      log "build failed: retrying in 60 s"
      sleep 60
      continue
    fi
    changed=$(gosan_sources -newer "$stamp" | head -3)
    [[ -z $changed ]] && break
    log "sources changed during the build (${changed//$'\n'/ }): building again"
    ((attempt < 5)) || die "sources keep changing; no consistent build"
  done
  [[ -f $DETECTOR ]] || die "no $DETECTOR"
  [[ -f $BUILD_DIR/libgosan.so ]] || die "no $BUILD_DIR/libgosan.so"
  # Run private copies: BUILD_DIR may be rebuilt by somebody else during
  # the (long) run, which would change the code under measurement.
  mkdir -p "$BIN/lib"
  rm -f "$BIN"/lib/*
  cp -L "$DETECTOR" "$BIN/lib/libgosan-detect.so"
  cp -L "$BUILD_DIR/libgosan.so" "$BIN/lib/libgosan.so.0"
  ln -sf libgosan.so.0 "$BIN/lib/libgosan.so"
}

build_workloads() {
  mkdir -p "$BIN"/{obj,plain,tsan,gosan}
  local cflags=(-O2 -g -pthread -Wall -Wextra)
  gcc -O2 -Wall -Wextra -o "$BIN/measure" "$here/measure.c"
  local p
  for p in $PROGRAMS; do
    # One instrumented object, linked twice.
    gcc "${cflags[@]}" -fsanitize=thread -c "$here/$p.c" -o "$BIN/obj/$p.o"
    gcc -pthread -fsanitize=thread "$BIN/obj/$p.o" -o "$BIN/tsan/$p"
    gcc -pthread "$BIN/obj/$p.o" -o "$BIN/gosan/$p" \
      -L"$BIN/lib" -lgosan -Wl,-rpath,"$BIN/lib"
    gcc "${cflags[@]}" "$here/$p.c" -o "$BIN/plain/$p"
    # The gosan binary must get its __tsan_* from libgosan, not libtsan;
    # the tsan one from libtsan. (grep -c reads all its input: no SIGPIPE
    # under pipefail.)
    (($(readelf -d "$BIN/gosan/$p" | grep -c 'NEEDED.*libtsan') == 0)) ||
      die "$BIN/gosan/$p links libtsan"
    (($(readelf -d "$BIN/gosan/$p" | grep -c 'NEEDED.*libgosan') == 1)) ||
      die "$BIN/gosan/$p does not link libgosan"
    (($(readelf -d "$BIN/tsan/$p" | grep -c 'NEEDED.*libtsan') == 1)) ||
      die "$BIN/tsan/$p does not link libtsan"
    (($(nm "$BIN/obj/$p.o" | grep -c '__tsan_func_entry') > 0)) ||
      die "$BIN/obj/$p.o is not instrumented"
  done
  # The gosan runs must load the private copies only.
  local libs
  libs=$(env LD_PRELOAD="$GOSAN_DETECTOR" LD_LIBRARY_PATH="$BIN/lib" \
    LD_TRACE_LOADED_OBJECTS=1 "$BIN/gosan/mutex_contended" | grep -c "$BIN/lib/libgosan")
  ((libs == 2)) || die "the gosan runs would not load $BIN/lib's libraries"
}

# ---- running --------------------------------------------------------------------

# wait_quiet: up to QUIET_WAIT seconds for a half second in which the
# machine is less than QUIET_LOAD cores busy.
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
wait_quiet() {
  local deadline=$((SECONDS + QUIET_WAIT)) a b hz
  hz=$(getconf CLK_TCK)
  while ((SECONDS < deadline)); do
    a=$(busy_ticks); sleep 0.5; b=$(busy_ticks)
    if awk -v d=$((b - a)) -v hz="$hz" -v lim="$QUIET_LOAD" \
        'BEGIN{exit !(d / hz / 0.5 < lim)}'; then
      return
    fi
  done
}

# run_one ROUND NAME PROG MODE ARGS...: one measured run, one raw.tsv row:
# round name mode rc wall_s maxrss_kb user_s sys_s foreign timeout
# inner_ms reports ok
run_one() {
  local round=$1 name=$2 prog=$3 mode=$4; shift 4
  local tag=$name.$mode.$round
  local so=$OUT/logs/$tag.out se=$OUT/logs/$tag.err m=$OUT/logs/$tag.m
  rm -f "$m"
  wait_quiet
  local cmd=("$BIN/$mode/$prog" "$@")
  if [[ $mode == gosan ]]; then
    cmd=(env LD_PRELOAD="$GOSAN_DETECTOR" LD_LIBRARY_PATH="$BIN/lib" "${cmd[@]}")
  fi
  "$BIN/measure" "$m" "$TIMEOUT" "${cmd[@]}" >"$so" 2>"$se" || true
  local line; line=$(cat "$m" 2>/dev/null || echo "rc=255")
  local rc wall rss us ss fg to
  rc=$(sed -n 's/.*rc=\([0-9]*\).*/\1/p' <<<"$line")
  wall=$(sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' <<<"$line")
  rss=$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' <<<"$line")
  us=$(sed -n 's/.*user_s=\([0-9.]*\).*/\1/p' <<<"$line")
  ss=$(sed -n 's/.*sys_s=\([0-9.]*\).*/\1/p' <<<"$line")
  fg=$(sed -n 's/.*foreign=\([0-9.]*\).*/\1/p' <<<"$line")
  to=$(sed -n 's/.*timeout=\([0-9]*\).*/\1/p' <<<"$line")
  local inner ok reports
  inner=$(sed -n 's/.*inner_ms=\([0-9.]*\).*/\1/p' "$so" | head -1)
  ok=$(grep -c 'ok=1' "$so" || true)
  # Every report of either detector: TSan's "WARNING: ThreadSanitizer: ..."
  # and gosan's "WARNING: DATA RACE" (and its other "WARNING: ..."
  # headlines: thread leaks, mutex misuse, lock-order inversions).
  reports=$(grep -cE '^WARNING: ' "$se" || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$round" "$name" "$mode" "${rc:-255}" "${wall:-0}" "${rss:-0}" \
    "${us:-0}" "${ss:-0}" "${fg:-0}" "${to:-0}" "${inner:-}" \
    "$reports" "$ok" >>"$OUT/raw.tsv"
  printf '  %-24s %-6s rc=%-3s wall=%7ss rss=%7skB inner=%9sms reports=%s foreign=%s\n' \
    "$name" "$mode" "${rc:-255}" "${wall:-?}" "${rss:-?}" "${inner:-?}" \
    "$reports" "${fg:-?}" >&2
}

run_all() {
  mkdir -p "$OUT/logs"
  : >"$OUT/raw.tsv"
  {
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "host: $(uname -srm), $(nproc) CPUs, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "gcc: $(gcc --version | head -1)"
    echo "libtsan: $(readlink -f "$(gcc -print-file-name=libtsan.so)")"
    # Untracked files count as uncommitted changes too (git diff ignores them).
    echo "gosan: $(git -C "$root" rev-parse --short HEAD 2>/dev/null)$([[ -z $(git -C "$root" status --porcelain 2>/dev/null) ]] || echo ' with uncommitted changes')"
    echo "gosan sources (*.c, *.h) sha1 at build: $SRC_SHA"
    echo "BUILD_DIR=$BUILD_DIR"
    echo "RUNS=$RUNS QUICK=${QUICK:-0} TIMEOUT=$TIMEOUT QUIET_WAIT=$QUIET_WAIT QUIET_LOAD=$QUIET_LOAD"
    echo "TSAN_OPTIONS=${TSAN_OPTIONS:-} GOSAN_OPTIONS=${GOSAN_OPTIONS:-}"
    echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  } >"$OUT/env.txt"
  local round cfg name prog full quick args i k mode
  for ((round = 1; round <= RUNS; round++)); do
    log "round $round/$RUNS"
    for cfg in "${CONFIGS[@]}"; do
      IFS='|' read -r name prog full quick <<<"$cfg"
      [[ -z $ONLY || $name =~ $ONLY ]] || continue
      args=$full
      [[ -n $QUICK ]] && args=$quick
      for ((k = 0; k < 3; k++)); do
        mode=${MODES[$(((k + round - 1) % 3))]}
        # shellcheck disable=SC2086
        run_one "$round" "$name" "$prog" "$mode" $args
      done
    done
  done
  echo "loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"
}

if [[ -z $TABLE_ONLY ]]; then
  command -v gcc >/dev/null || die "gcc not found"
  [[ -f $(gcc -print-file-name=libtsan.so) ]] || die "gcc's libtsan not found"
  log "building libgosan and libgosan-detect.so in $BUILD_DIR"
  build_gosan
  log "building the workloads in $BIN"
  build_workloads
  run_all
fi
[[ -f $OUT/raw.tsv ]] || die "no $OUT/raw.tsv: run without TABLE_ONLY first"
status=0
python3 "$here/summarize.py" "$OUT/raw.tsv" "$OUT/env.txt" >"$OUT/table.md" ||
  status=$?
cat "$OUT/table.md"
exit $status
