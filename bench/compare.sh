#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# compare.sh runs the Go anchor benchmark (shared/anchors/go/bench.go) and
# its C port on gosan (bench/gosan_bench.c) side by side, and prints one
# markdown table of medians with the gosan/Go ratio, plus the memory per
# parked goroutine of spawn_parked_100k.
#
# The two programs are interleaved at workload granularity: for each run
# and each GOMAXPROCS setting, every workload runs once under Go and then
# once under gosan, so that both see the same machine load as far as
# possible. Each program still runs every workload in a child process of
# its own (the drivers' default).
#
#   bench/compare.sh                       # RUNS=3, GOMAXPROCS default and 1
#   ONLY=spawn_join,select_2 bench/compare.sh
#   SCALE=0.05 RUNS=1 bench/compare.sh     # quick smoke run (not comparable)
#   TABLE_ONLY=1 bench/compare.sh          # re-print the tables from $OUT
#
# Environment (defaults in brackets):
#   RUNS [3]           runs per (program, workload, GOMAXPROCS)
#   PROCS ["default 1"] GOMAXPROCS settings; "default" leaves it unset
#   ONLY []            comma-separated workloads (default: all)
#   SCALE [1]          op-count multiplier passed to both programs
#   OUT [bench/out]    raw outputs, env.txt, runs.md and table.md
#   BUILD_DIR [build-bench]  CMake tree for gosan_bench (Release)
#   GO_BENCH_DIR [../shared/anchors/go beside the project root]
#   TIMEOUT [900]      seconds allowed for one program on one workload
#   TABLE_ONLY []      set to skip building and running
#   GOSAN_OPTIONS, GOGC ... are passed through to the programs unchanged.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
GO_BENCH_DIR=${GO_BENCH_DIR:-$here/../../shared/anchors/go}
BUILD_DIR=${BUILD_DIR:-$root/build-bench}
OUT=${OUT:-$here/out}
RUNS=${RUNS:-3}
PROCS=${PROCS:-default 1}
ONLY=${ONLY:-}
SCALE=${SCALE:-1}
TIMEOUT=${TIMEOUT:-900}
TABLE_ONLY=${TABLE_ONLY:-}

log() { echo "compare.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# ---- build ------------------------------------------------------------------

ensure_go() {
  command -v go >/dev/null && return
  log "go not found: installing golang-go with apt-get"
  apt-get update && apt-get install -y golang-go
}

# build_go builds the Go anchor benchmark into $1 without touching (or
# copying) its source directory: no network, no toolchain download.
build_go() {
  [[ -f $GO_BENCH_DIR/bench.go ]] || die "no bench.go in GO_BENCH_DIR=$GO_BENCH_DIR"
  (cd "$GO_BENCH_DIR" &&
    GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on \
      go build -o "$1" .)
}

build_gosan() {
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S "$root" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
      -DGOSAN_BUILD_TESTS=OFF -DGOSAN_BUILD_EXAMPLES=OFF >/dev/null
  fi
  cmake --build "$BUILD_DIR" --target gosan_bench -j"$(nproc)" >/dev/null
  [[ -x $BUILD_DIR/bench/gosan_bench ]] || die "no $BUILD_DIR/bench/gosan_bench"
}

# ---- run ----------------------------------------------------------------------

# with_procs runs "$@" with GOMAXPROCS=$1, or with GOMAXPROCS unset for
# "default".
with_procs() {
  local procs=$1; shift
  if [[ $procs == default ]]; then
    env -u GOMAXPROCS "$@"
  else
    env GOMAXPROCS="$procs" "$@"
  fi
}

# run_one IMPL BIN PROCS RUN WORKLOAD appends the workload's result line
# (or an ERROR line) to $OUT/IMPL.gmpPROCS.RUN.txt.
run_one() {
  local impl=$1 bin=$2 procs=$3 run=$4 w=$5 out rc=0
  local f=$OUT/$impl.gmp$procs.$run.txt
  out=$(with_procs "$procs" timeout -k 10 "$TIMEOUT" \
          "$bin" -only "$w" -scale "$SCALE" 2>>"${f%.txt}.stderr") || rc=$?
  out=$(grep -v '^#' <<<"$out" || true)
  if ((rc == 124 || rc == 137)); then
    echo "$w ERROR timeout after ${TIMEOUT}s" >>"$f"
  elif ((rc != 0)); then
    echo "${out:-$w ERROR} exit=$rc" >>"$f"
  else
    echo "$out" >>"$f"
  fi
  ((rc == 0)) || log "$impl $w GOMAXPROCS=$procs run $run FAILED (exit $rc), see ${f%.txt}.stderr"
}

write_env() {
  {
    echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# go version: $(go version)"
    echo "# gosan: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
      git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (dirty tree)')"
    echo "# nproc: $(nproc)"
    echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "# kernel: $(uname -r)"
    echo "# loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# RUNS=$RUNS PROCS=\"$PROCS\" SCALE=$SCALE ONLY=${ONLY:-all} GOSAN_OPTIONS=\"${GOSAN_OPTIONS:-}\" GOGC=\"${GOGC:-}\""
  } >"$OUT/env.txt"
}

run_all() {
  local go_bin gosan_bin go_list gosan_list workloads w run procs t0
  ensure_go
  go_tmp=$(mktemp -d)
  trap 'rm -rf "$go_tmp"' EXIT
  go_bin=$go_tmp/go_bench
  build_go "$go_bin"
  build_gosan
  gosan_bin=$BUILD_DIR/bench/gosan_bench

  go_list=$("$go_bin" -list)
  gosan_list=$("$gosan_bin" -list)
  if [[ -n $ONLY ]]; then
    workloads=${ONLY//,/ }
  else
    workloads=$(cut -d' ' -f1 <<<"$go_list" | tr '\n' ' ')
  fi
  # Both programs must know every name before anything runs.
  for w in $workloads; do
    grep -q "^$w " <<<"$go_list" || die "Go benchmark has no workload $w"
    grep -q "^$w " <<<"$gosan_list" || die "gosan_bench has no workload $w"
  done

  mkdir -p "$OUT"
  rm -f "$OUT"/go.gmp*.txt "$OUT"/gosan.gmp*.txt "$OUT"/*.stderr
  write_env
  for run in $(seq 1 "$RUNS"); do
    for procs in $PROCS; do
      t0=$(date +%s)
      for w in $workloads; do
        run_one go "$go_bin" "$procs" "$run" "$w"
        run_one gosan "$gosan_bin" "$procs" "$run" "$w"
      done
      log "run $run/$RUNS GOMAXPROCS=$procs done ($(($(date +%s) - t0)) s)"
    done
  done
  echo "# loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"
}

# ---- tables -------------------------------------------------------------------

# extract prints "impl procs workload key value" for every key=value of
# every result line, and "impl procs workload error 1" for failed runs.
extract() {
  local f base impl procs
  for f in "$OUT"/go.gmp*.txt "$OUT"/gosan.gmp*.txt; do
    [[ -e $f ]] || continue
    base=${f##*/}
    impl=${base%%.*}
    procs=${base#*.gmp}
    procs=${procs%%.*}
    awk -v impl="$impl" -v procs="$procs" '
      $2 == "ERROR" { print impl, procs, $1, "error", 1; next }
      NF >= 2 && $2 ~ /^ns_per_op=/ {
        for (i = 2; i <= NF; i++) {
          n = index($i, "=")
          if (n) print impl, procs, $1, substr($i, 1, n - 1), substr($i, n + 1)
        }
      }' "$f"
  done
}

# workload_order prints the workloads of run 1 in the order they ran.
workload_order() {
  sed -n 's/^\([a-z0-9_]*\) ns_per_op=.*/\1/p; s/^\([a-z0-9_]*\) ERROR.*/\1/p' \
    "$OUT"/go.gmp*.1.txt "$OUT"/gosan.gmp*.1.txt 2>/dev/null | awk '!seen[$0]++' | tr '\n' ' '
}

tables() {
  local ncpu order
  ncpu=$(nproc)
  order=$(workload_order)
  [[ -n $order ]] || die "no results in $OUT"
  extract | awk -v order="$order" -v procs_list="$PROCS" -v ncpu="$ncpu" '
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
    function cell(impl, p, w, k,   m, e) {
      m = median(impl SUBSEP p SUBSEP w SUBSEP k)
      e = errs[impl SUBSEP p SUBSEP w]
      if (m == "") return e ? "FAILED" : "-"
      return sprintf("%.1f", m) (e ? sprintf(" (%d failed)", e) : "")
    }
    function ratio(p, w, k,   g, c) {
      g = median("go" SUBSEP p SUBSEP w SUBSEP k); c = median("gosan" SUBSEP p SUBSEP w SUBSEP k)
      return (g != "" && c != "" && g + 0 > 0) ? sprintf("%.2fx", c / g) : "-"
    }
    function label(p) { return p == "default" ? ncpu " (default)" : p }
    $4 == "error" { errs[$1 SUBSEP $2 SUBSEP $3]++; next }
    {
      key = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
      if (key in vals) vals[key] = vals[key] " " $5; else vals[key] = $5
    }
    END {
      nw = split(order, ws, " "); np = split(procs_list, ps, " ")
      print "| workload | GOMAXPROCS | Go ns/op (median) | gosan ns/op (median) | ratio gosan/Go |"
      print "|---|---|---:|---:|---:|"
      for (i = 1; i <= nw; i++)
        for (j = 1; j <= np; j++)
          printf "| %s | %s | %s | %s | %s |\n", ws[i], label(ps[j]),
            cell("go", ps[j], ws[i], "ns_per_op"), cell("gosan", ps[j], ws[i], "ns_per_op"),
            ratio(ps[j], ws[i], "ns_per_op")
      w = "spawn_parked_100k"
      if (index(" " order " ", " " w " ")) {
        print ""
        print "| spawn_parked_100k | GOMAXPROCS | Go bytes/goroutine (median) | gosan bytes/goroutine (median) | ratio gosan/Go |"
        print "|---|---|---:|---:|---:|"
        for (j = 1; j <= np; j++)
          printf "| bytes_per_goroutine | %s | %s | %s | %s |\n", label(ps[j]),
            cell("go", ps[j], w, "bytes_per_goroutine"), cell("gosan", ps[j], w, "bytes_per_goroutine"),
            ratio(ps[j], w, "bytes_per_goroutine")
      }
    }'
}

# runs_detail writes every run's ns/op and the worst foreign CPU %, for
# judging noise.
runs_detail() {
  extract | awk -v order="$(workload_order)" -v procs_list="$PROCS" '
    $4 == "ns_per_op" { k = $3 SUBSEP $2 SUBSEP $1; if (k in ns) ns[k] = ns[k] ", " $5; else ns[k] = $5 }
    $4 == "foreign_cpu_pct" { k = $3 SUBSEP $2 SUBSEP $1; if (!(k in fmax) || $5 + 0 > fmax[k]) fmax[k] = $5 + 0 }
    END {
      print "| workload | GOMAXPROCS | Go ns/op, every run | gosan ns/op, every run | max foreign CPU % Go / gosan |"
      print "|---|---|---|---|---|"
      nw = split(order, ws, " "); np = split(procs_list, ps, " ")
      for (i = 1; i <= nw; i++)
        for (j = 1; j <= np; j++) {
          k = ws[i] SUBSEP ps[j]
          printf "| %s | %s | %s | %s | %s / %s |\n", ws[i], ps[j], ns[k, "go"], ns[k, "gosan"],
            (k SUBSEP "go") in fmax ? sprintf("%.1f", fmax[k, "go"]) : "-", (k SUBSEP "gosan") in fmax ? sprintf("%.1f", fmax[k, "gosan"]) : "-"
        }
    }'
}

if [[ -z $TABLE_ONLY ]]; then
  run_all
fi
[[ -f $OUT/env.txt ]] || die "no results in $OUT (run without TABLE_ONLY first)"
cat "$OUT/env.txt"
echo
tables | tee "$OUT/table.md"
runs_detail >"$OUT/runs.md"
echo
echo "Raw results: $OUT (every run: $OUT/runs.md)"
