#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# race_compare.sh measures the race detector's overhead against `go -race`
# on the anchor workloads. Four programs run every workload:
#
#   go          the Go anchor benchmark (shared/anchors/go/bench.go)
#   go -race    the same, built with -race
#   gosan       bench/gosan_bench (the C port, not instrumented)
#   gosan+det   bench/gosan_bench_race (the same sources compiled with
#               -fsanitize=thread, linked to libgosan, not libtsan) run with
#               LD_PRELOAD=<build>/detector/libgosan-detect.so
#
# and the script prints one markdown table of medians: each runtime's
# race/plain time ratio and the ratio of the two ratios (gosan's overhead
# factor divided by Go's; the goal is <= 1.0), then the same for peak RSS.
#
# The four are interleaved at workload granularity: for each run and each
# workload, go, go -race, gosan and gosan+det run straight after one
# another, so that all four see nearly the same machine load. Each program
# still runs the workload in a child process of its own (the drivers'
# default).
#
#   bench/race_compare.sh                     # RUNS=3, all workloads
#   ONLY=spawn_join,select_2 bench/race_compare.sh
#   SCALE=0.05 RUNS=1 bench/race_compare.sh   # quick smoke run (not comparable)
#   TABLE_ONLY=1 bench/race_compare.sh        # re-print the tables from $OUT
#
# Environment (defaults in brackets):
#   RUNS [3]           runs per (program, workload)
#   ONLY []            comma-separated workloads (default: all)
#   SCALE [1]          op-count multiplier passed to all four programs
#   OUT [bench/out/race]  raw outputs, stderr logs, env.txt, runs.md, table.md
#   BUILD_DIR [build-bench]  CMake tree for gosan_bench{,_race} (Release)
#   GO_BENCH_DIR [../shared/anchors/go beside the project root]
#   TIMEOUT [900]      seconds allowed for one program on one workload
#   TABLE_ONLY []      set to skip building and running
#   GOMAXPROCS, GOGC, GOSAN_OPTIONS, GORACE are passed through. The race
#   runs get exitcode=0 in front of GOSAN_OPTIONS / GORACE, so that a
#   report does not make the driver throw the measurement away; every
#   report is counted instead (the "races" column, $OUT/logs/), and the
#   script exits with status 3 after the tables when there was any.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
GO_BENCH_DIR=${GO_BENCH_DIR:-$here/../../shared/anchors/go}
BUILD_DIR=${BUILD_DIR:-$root/build-bench}
OUT=${OUT:-$here/out/race}
RUNS=${RUNS:-3}
ONLY=${ONLY:-}
SCALE=${SCALE:-1}
TIMEOUT=${TIMEOUT:-900}
TABLE_ONLY=${TABLE_ONLY:-}

IMPLS="go gorace gosan gosanrace"

log() { echo "race_compare.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# ---- build ------------------------------------------------------------------

ensure_go() {
  command -v go >/dev/null && return
  log "go not found: installing golang-go with apt-get"
  apt-get update && apt-get install -y golang-go
}

# build_go OUT [-race] builds the Go anchor benchmark into OUT without
# touching (or copying) its source directory: no network, no toolchain
# download.
build_go() {
  local out=$1; shift
  [[ -f $GO_BENCH_DIR/bench.go ]] || die "no bench.go in GO_BENCH_DIR=$GO_BENCH_DIR"
  (cd "$GO_BENCH_DIR" &&
    GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on \
      go build "$@" -o "$out" .)
}

build_gosan() {
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S "$root" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
      -DGOSAN_BUILD_TESTS=OFF -DGOSAN_BUILD_EXAMPLES=OFF >/dev/null
  fi
  cmake --build "$BUILD_DIR" --target gosan_bench gosan_bench_race gosan_detect \
    -j"$(nproc)" >/dev/null
  local f
  for f in bench/gosan_bench bench/gosan_bench_race; do
    [[ -x $BUILD_DIR/$f ]] || die "no $BUILD_DIR/$f"
  done
  [[ -f $DETECTOR ]] || die "no $DETECTOR"
}

# check_race_binary makes sure gosan_bench_race is instrumented and that
# libgosan, not libtsan, provides its __tsan_* entry points.
check_race_binary() {
  # (grep reads all of its input: with grep -q, pipefail would see nm
  # die of SIGPIPE.)
  local bin=$BUILD_DIR/bench/gosan_bench_race
  if (($(readelf -d "$bin" | grep -c 'NEEDED.*libtsan') > 0)); then
    die "$bin links libtsan: it must link libgosan only (see bench/CMakeLists.txt)"
  fi
  if (($(nm "$bin" | grep -c ' [TtWw] __tsan_') > 0)); then
    die "$bin defines __tsan_* itself (libtsan linked statically?)"
  fi
  (($(nm -D --undefined-only "$bin" | grep -c ' __tsan_read8$') > 0)) ||
    die "$bin is not instrumented (no __tsan_read8 import)"
  (($(nm -D --defined-only "$BUILD_DIR/libgosan.so" | grep -c ' __tsan_read8$') > 0)) ||
    die "$BUILD_DIR/libgosan.so does not export the weak __tsan_* entry points"
}

# check_detector_runs builds a deliberately racy program exactly like
# gosan_bench_race (instrumented at compile time, libgosan at link time)
# and runs it under the same preload line as the benchmark: it must
# report the race. Without the preload it must stay silent.
check_detector_runs() {
  local cc dir out
  cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
  dir=$go_tmp/probe
  mkdir -p "$dir"
  cat >"$dir/racy.c" <<'EOF'
#include <gosan.h>
#include <stdio.h>
static long counter;
static go_wg wg;
static void inc(void *arg) { (void)arg; counter++; go_wg_done(&wg); }
int main(void)
{
    go_wg_add(&wg, 2);
    go(inc, NULL);
    go(inc, NULL);
    go_wg_wait(&wg);
    printf("counter=%ld\n", counter);
    return 0;
}
EOF
  "${cc:-cc}" -O2 -fsanitize=thread -I"$root/include" -c "$dir/racy.c" -o "$dir/racy.o"
  "${cc:-cc}" "$dir/racy.o" -o "$dir/racy" -L"$BUILD_DIR" -lgosan -Wl,-rpath,"$BUILD_DIR"
  if (($(readelf -d "$dir/racy" | grep -c 'NEEDED.*libtsan') > 0)); then
    die "probe links libtsan"
  fi
  out=$(env GOSAN_OPTIONS=exitcode=0 LD_PRELOAD="$DETECTOR" "$dir/racy" 2>&1) ||
    die "racy probe failed under the detector: $out"
  grep -q 'WARNING: DATA RACE' <<<"$out" ||
    die "the detector did not report the racy probe's race; output: $out"
  out=$("$dir/racy" 2>&1) || die "racy probe failed without the detector: $out"
  if grep -q 'WARNING: DATA RACE' <<<"$out"; then
    die "the racy probe reports without the detector preloaded"
  fi
  # The benchmark's own children: the driver re-executes itself for every
  # workload, and the detector must be loaded (ld.so runs its constructor)
  # in the driver and in the child.
  local pids
  pids=$(env LD_DEBUG=files GOSAN_OPTIONS=exitcode=0 LD_PRELOAD="$DETECTOR" \
           "$gosanrace_bin" -only mutex_uncontended -scale 0.0001 2>&1 >/dev/null |
         grep -F "calling init: $DETECTOR" | awk '{print $1}' | sort -u | wc -l)
  ((pids >= 2)) ||
    die "libgosan-detect.so was not loaded into gosan_bench_race and its child ($pids processes)"
  log "detector check: the racy probe reports, and the detector loads into gosan_bench_race's children"
}

# ---- run ----------------------------------------------------------------------

# run_one IMPL RUN WORKLOAD runs one program on one workload and appends
# its result line, with races=N (reports in its stderr) at the end, or an
# ERROR line, to $OUT/IMPL.RUN.txt. Stderr goes to
# $OUT/logs/IMPL.RUN.WORKLOAD.stderr (deleted when empty).
run_one() {
  local impl=$1 run=$2 w=$3 out rc=0 races
  local f=$OUT/$impl.$run.txt err=$OUT/logs/$impl.$run.$w.stderr
  local -a cmd
  case $impl in
    go) cmd=("$go_bin") ;;
    gorace) cmd=(env "GORACE=exitcode=0${GORACE:+ $GORACE}" "$gorace_bin") ;;
    gosan) cmd=("$gosan_bin") ;;
    gosanrace) cmd=(env "GOSAN_OPTIONS=exitcode=0${GOSAN_OPTIONS:+:$GOSAN_OPTIONS}"
                    "LD_PRELOAD=$DETECTOR${LD_PRELOAD:+:$LD_PRELOAD}" "$gosanrace_bin") ;;
  esac
  out=$(timeout -k 10 "$TIMEOUT" "${cmd[@]}" -only "$w" -scale "$SCALE" 2>"$err") || rc=$?
  out=$(grep -v '^#' <<<"$out" || true)
  races=$(grep -c 'WARNING: DATA RACE' "$err" || true)
  if ((rc == 124 || rc == 137)); then
    echo "$w ERROR timeout after ${TIMEOUT}s races=$races" >>"$f"
  elif ((rc != 0)) || [[ -z $out ]]; then
    echo "${out:-$w ERROR} exit=$rc races=$races" >>"$f"
  else
    echo "$out races=$races" >>"$f"
  fi
  [[ -s $err ]] || rm -f "$err"
  ((rc == 0)) || log "$impl $w run $run FAILED (exit $rc), see $err"
  ((races == 0)) || log "$impl $w run $run: $races race report(s), see $err"
}

write_env() {
  {
    echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# go version: $(go version)"
    echo "# gosan: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
      git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (dirty tree)')"
    echo "# cc: $(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")" \
         "($("$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")" --version 2>/dev/null | head -1))"
    echo "# modified tracked files: $(git -C "$root" status --short --untracked-files=no 2>/dev/null |
      awk '{print $2}' | tr '\n' ' ')"
    echo "# nproc: $(nproc)"
    echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "# kernel: $(uname -r)"
    echo "# loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# RUNS=$RUNS SCALE=$SCALE ONLY=${ONLY:-all} GOMAXPROCS=\"${GOMAXPROCS:-}\" GOGC=\"${GOGC:-}\" GOSAN_OPTIONS=\"${GOSAN_OPTIONS:-}\" GORACE=\"${GORACE:-}\""
    echo "# detector: $DETECTOR"
  } >"$OUT/env.txt"
}

run_all() {
  local lists w run t0 impl
  ensure_go
  go_tmp=$(mktemp -d)
  trap 'rm -rf "$go_tmp"' EXIT
  go_bin=$go_tmp/go_bench
  gorace_bin=$go_tmp/go_bench_race
  gosan_bin=$BUILD_DIR/bench/gosan_bench
  gosanrace_bin=$BUILD_DIR/bench/gosan_bench_race
  build_go "$go_bin"
  build_go "$gorace_bin" -race
  build_gosan
  check_race_binary
  check_detector_runs

  local workloads
  if [[ -n $ONLY ]]; then
    workloads=${ONLY//,/ }
  else
    workloads=$("$go_bin" -list | cut -d' ' -f1 | tr '\n' ' ')
  fi
  # All four programs must know every name before anything runs.
  for impl in go_bin gorace_bin gosan_bin gosanrace_bin; do
    lists=$("${!impl}" -list)
    for w in $workloads; do
      grep -q "^$w " <<<"$lists" || die "${!impl} has no workload $w"
    done
  done

  mkdir -p "$OUT/logs"
  rm -f "$OUT"/*.txt "$OUT"/*.md "$OUT"/logs/*.stderr
  write_env
  for run in $(seq 1 "$RUNS"); do
    t0=$(date +%s)
    for w in $workloads; do
      for impl in $IMPLS; do
        run_one "$impl" "$run" "$w"
      done
    done
    log "run $run/$RUNS done ($(($(date +%s) - t0)) s)"
  done
  echo "# loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"
}

# ---- tables -------------------------------------------------------------------

# extract prints "impl workload key value" for every key=value of every
# result line, and "impl workload error 1" for failed runs (whose races=N
# is printed too).
extract() {
  local f impl
  for impl in $IMPLS; do
    for f in "$OUT"/"$impl".[0-9]*.txt; do
      [[ -e $f ]] || continue
      awk -v impl="$impl" '
        $2 == "ERROR" {
          print impl, $1, "error", 1
          for (i = 3; i <= NF; i++) if ($i ~ /^races=/) print impl, $1, "races", substr($i, 7)
          next
        }
        NF >= 2 && $2 ~ /^ns_per_op=/ {
          for (i = 2; i <= NF; i++) {
            n = index($i, "=")
            if (n) print impl, $1, substr($i, 1, n - 1), substr($i, n + 1)
          }
        }' "$f"
    done
  done
}

# workload_order prints the workloads of run 1 in the order they ran.
workload_order() {
  sed -n 's/^\([a-z0-9_]*\) ns_per_op=.*/\1/p; s/^\([a-z0-9_]*\) ERROR.*/\1/p' \
    "$OUT"/go.1.txt "$OUT"/gosanrace.1.txt 2>/dev/null | awk '!seen[$0]++' | tr '\n' ' '
}

tables() {
  local order
  order=$(workload_order)
  [[ -n $order ]] || die "no results in $OUT"
  extract | awk -v order="$order" '
    function median(key,   n, a, i, j, t) {
      if (!(key in vals)) return ""
      n = split(vals[key], a, " ")
      for (i = 2; i <= n; i++) {
        t = a[i] + 0; j = i - 1
        while (j >= 1 && a[j] + 0 > t) { a[j + 1] = a[j]; j-- }
        a[j + 1] = t
      }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function cell(impl, w, k, fmt,   m, e, s) {
      m = median(impl SUBSEP w SUBSEP k)
      e = errs[impl SUBSEP w]
      if (m == "") s = e ? "FAILED" : "-"
      else s = sprintf(fmt, m) (e ? sprintf(" (%d failed)", e) : "")
      if (races[impl SUBSEP w]) s = s sprintf(" (%d races)", races[impl SUBSEP w])
      return s
    }
    # ratio of the medians of impl b and impl a
    function rv(a, b, w, k,   x, y) {
      x = median(a SUBSEP w SUBSEP k); y = median(b SUBSEP w SUBSEP k)
      return (x != "" && y != "" && x + 0 > 0) ? y / x : ""
    }
    function fx(r) { return r == "" ? "-" : sprintf("%.2fx", r) }
    function rr(w, k,   g, c) {
      g = rv("go", "gorace", w, k); c = rv("gosan", "gosanrace", w, k)
      return (g != "" && c != "" && g > 0) ? sprintf("%.2f", c / g) : "-"
    }
    $3 == "error" { errs[$1 SUBSEP $2]++; next }
    $3 == "races" { races[$1 SUBSEP $2] += $4; next }
    {
      key = $1 SUBSEP $2 SUBSEP $3
      if (key in vals) vals[key] = vals[key] " " $4; else vals[key] = $4
    }
    END {
      nw = split(order, ws, " ")
      print "| workload | Go ns/op | Go -race ns/op | Go race/plain | gosan ns/op | gosan+detector ns/op | gosan ratio | ratio of ratios |"
      print "|---|---:|---:|---:|---:|---:|---:|---:|"
      for (i = 1; i <= nw; i++) {
        w = ws[i]
        printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", w,
          cell("go", w, "ns_per_op", "%.1f"), cell("gorace", w, "ns_per_op", "%.1f"),
          fx(rv("go", "gorace", w, "ns_per_op")),
          cell("gosan", w, "ns_per_op", "%.1f"), cell("gosanrace", w, "ns_per_op", "%.1f"),
          fx(rv("gosan", "gosanrace", w, "ns_per_op")), rr(w, "ns_per_op")
      }
      print ""
      print "| workload | Go peak RSS kB | Go -race peak RSS kB | Go race/plain | gosan peak RSS kB | gosan+detector peak RSS kB | gosan ratio | ratio of ratios |"
      print "|---|---:|---:|---:|---:|---:|---:|---:|"
      for (i = 1; i <= nw; i++) {
        w = ws[i]
        printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", w,
          cell("go", w, "peak_rss_kb", "%.0f"), cell("gorace", w, "peak_rss_kb", "%.0f"),
          fx(rv("go", "gorace", w, "peak_rss_kb")),
          cell("gosan", w, "peak_rss_kb", "%.0f"), cell("gosanrace", w, "peak_rss_kb", "%.0f"),
          fx(rv("gosan", "gosanrace", w, "peak_rss_kb")), rr(w, "peak_rss_kb")
      }
      w = "spawn_parked_100k"
      if (index(" " order " ", " " w " ")) {
        print ""
        print "| spawn_parked_100k | Go | Go -race | Go race/plain | gosan | gosan+detector | gosan ratio | ratio of ratios |"
        print "|---|---:|---:|---:|---:|---:|---:|---:|"
        printf "| bytes_per_goroutine | %s | %s | %s | %s | %s | %s | %s |\n",
          cell("go", w, "bytes_per_goroutine", "%.0f"), cell("gorace", w, "bytes_per_goroutine", "%.0f"),
          fx(rv("go", "gorace", w, "bytes_per_goroutine")),
          cell("gosan", w, "bytes_per_goroutine", "%.0f"), cell("gosanrace", w, "bytes_per_goroutine", "%.0f"),
          fx(rv("gosan", "gosanrace", w, "bytes_per_goroutine")), rr(w, "bytes_per_goroutine")
      }
    }'
}

# runs_detail writes every run's ns/op and the worst foreign CPU %, for
# judging noise.
runs_detail() {
  extract | awk -v order="$(workload_order)" -v impls="$IMPLS" '
    $3 == "ns_per_op" { k = $2 SUBSEP $1; if (k in ns) ns[k] = ns[k] ", " $4; else ns[k] = $4 }
    $3 == "foreign_cpu_pct" { k = $2 SUBSEP $1; if (!(k in fmax) || $4 + 0 > fmax[k]) fmax[k] = $4 + 0 }
    END {
      print "| workload | Go ns/op, every run | Go -race | gosan | gosan+detector | max foreign CPU % (Go / Go -race / gosan / gosan+det) |"
      print "|---|---|---|---|---|---|"
      nw = split(order, ws, " "); ni = split(impls, is, " ")
      for (i = 1; i <= nw; i++) {
        line = "| " ws[i]; f = ""
        for (j = 1; j <= ni; j++) {
          k = ws[i] SUBSEP is[j]
          line = line " | " ((k in ns) ? ns[k] : "-")
          f = f (j > 1 ? " / " : "") ((k in fmax) ? sprintf("%.1f", fmax[k]) : "-")
        }
        print line " | " f " |"
      }
    }'
}

if [[ -z $TABLE_ONLY ]]; then
  DETECTOR=$BUILD_DIR/detector/libgosan-detect.so
  run_all
fi
[[ -f $OUT/env.txt ]] || die "no results in $OUT (run without TABLE_ONLY first)"
cat "$OUT/env.txt"
echo
tables | tee "$OUT/table.md"
runs_detail >"$OUT/runs.md"
echo
echo "Raw results: $OUT (every run: $OUT/runs.md; stderr: $OUT/logs)"
nraces=$(cat "$OUT"/*.txt 2>/dev/null | grep -o 'races=[0-9]*' | cut -d= -f2 | awk '{s += $1} END {print s + 0}')
if ((nraces > 0)); then
  echo
  echo "RACE REPORTS: $nraces in all (the workloads are meant to be race-free). By location:"
  cat "$OUT"/logs/*.stderr 2>/dev/null | grep -h '^SUMMARY: .*data-race' | sort | uniq -c | sort -rn
  exit 3
fi
