#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run.sh: gosan on programs nobody here wrote.
#
# Runs real multithreaded programs from Debian -- pigz, xz -T2, zstd -T2
# and a selection of GLib's installed thread tests -- three ways: plain,
# under `gosan run`, and under `valgrind --tool=helgrind`. Every run's
# output is checked (round trip through the compressor compared with cmp
# against the input; a GLib test must exit 0 with no "not ok" TAP line),
# gosan's reports are counted from `gosan run --json`, helgrind's from its
# ERROR SUMMARY, and the median wall time and peak RSS of each set of runs
# are printed as a Markdown table with the slowdown ratios.
#
# Helgrind is 50-100x slower than a plain run, so it gets its own, smaller
# inputs (HG_SIZE_MIB, HG_XZ_SIZE_MIB) and HG_RUNS runs; plain and gosan
# are run again on those small inputs, so that every ratio compares runs
# on the same input.
#
# Usage:  bash bench/real/run.sh
# Environment (defaults in brackets):
#   GOSAN           the gosan launcher [gosan in PATH, else build/launcher/gosan]
#   RUNS            runs per plain and gosan measurement [3]
#   HG_RUNS         runs per helgrind measurement [1]; 0 skips helgrind
#   SIZE_MIB        pigz and zstd input [32]
#   XZ_SIZE_MIB     xz input [16] (xz is ~10x slower than the others)
#   HG_SIZE_MIB     pigz and zstd input under helgrind [4]
#   HG_XZ_SIZE_MIB  xz input under helgrind [2]
#   HG_TIMEOUT      seconds before a helgrind run is killed [300]
#   STRESS          1 adds GLib's long lock-contention tests (mutex5,
#                   rec-mutex4, rwlock7: ~15 s each plain) to the table [0]
#   WORK            scratch directory [a new mktemp -d]
#
# Exit status: 0 if every output was correct and gosan reported nothing,
# 1 otherwise (the table says which), 2 if a tool is missing.
# Installs nothing: a missing tool is named with its Debian package.
set -euo pipefail

# The whole script is one compound command, parsed before it runs, so
# that editing this file during a run does not derail the run.
{
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

RUNS=${RUNS:-3}
HG_RUNS=${HG_RUNS:-1}
SIZE_MIB=${SIZE_MIB:-32}
XZ_SIZE_MIB=${XZ_SIZE_MIB:-16}
HG_SIZE_MIB=${HG_SIZE_MIB:-4}
HG_XZ_SIZE_MIB=${HG_XZ_SIZE_MIB:-2}
HG_TIMEOUT=${HG_TIMEOUT:-300}
STRESS=${STRESS:-0}
GLIBT=/usr/libexec/installed-tests/glib

# ---- tools ----------------------------------------------------------------

if [[ -z ${GOSAN:-} ]]; then
    if command -v gosan >/dev/null; then
        GOSAN=$(command -v gosan)
    else
        GOSAN=$root/build/launcher/gosan
    fi
fi

missing=()
need() { # need COMMAND-OR-PATH PACKAGE
    if [[ $1 == /* ]]; then [[ -x $1 ]] || missing+=("$2")
    else command -v "$1" >/dev/null || missing+=("$2"); fi
}
need pigz pigz
need xz xz-utils
need zstd zstd
need valgrind valgrind
need /usr/bin/time time
need cc gcc
need cmp diffutils
need timeout coreutils
need "$GLIBT/mutex" libglib2.0-tests
if ((${#missing[@]})); then
    echo "run.sh: missing Debian packages: ${missing[*]}" >&2
    echo "        apt-get install -y ${missing[*]}" >&2
    exit 2
fi
if [[ ! -x $GOSAN ]]; then
    echo "run.sh: no gosan launcher at '$GOSAN': build it" >&2
    echo "        (cmake --build build --target gosan_launcher gosan_detect)" >&2
    echo "        or set GOSAN=/path/to/gosan" >&2
    exit 2
fi
if ! "$GOSAN" run -- env | grep -q '^LD_PRELOAD=.*libgosan-detect\.so'; then
    echo "run.sh: '$GOSAN run' does not preload libgosan-detect.so" >&2
    exit 2
fi

WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/gosan-real.XXXXXX")}
mkdir -p "$WORK"
cd "$WORK"
cc -O2 -o gen "$here/gen.c"
cc -O2 -g -fno-builtin -pthread -o control "$here/control.c"

# The positive control: gosan must find control.c's lock-order inversion
# (and, as long as it checks memset in uninstrumented code, its race), or
# its silence on the programs below proves nothing.
kinds() { grep -o '"kind": *"[a-z-]*"' "$1" 2>/dev/null | sed 's/.*"\([a-z-]*\)"$/\1/' | sort | tr '\n' ' ' | sed 's/ $//' || true; }
ctl_rc=0
"$GOSAN" run --json control.jsonl -- ./control 2>control.err || ctl_rc=$?
ctl_kinds=$(kinds control.jsonl)
if [[ $ctl_rc != 66 || $ctl_kinds != *lock-order-inversion* ]]; then
    echo "run.sh: the control did not get its lock-order-inversion from gosan" >&2
    echo "        (exit $ctl_rc, reports: ${ctl_kinds:-none}; see $WORK/control.err)" >&2
    exit 1
fi

# ---- measuring ------------------------------------------------------------

# median: the median of the numbers on stdin, one a line.
median() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (!NR) { print "-"; exit }
              if (NR % 2) print v[(NR + 1) / 2]
              else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

status=0
fail() { echo "FAIL: $*" >&2; notes+=("FAIL: $*"); status=1; }
notes=()

# measure NAME MODE N CHECK -- CMD...
#   Runs CMD N times in MODE (plain, gosan, helgrind) with stdout to
#   NAME.MODE.K.out, checks each run with the shell function CHECK (given
#   the output file and the exit status), and sets M_TIME and M_RSS (MiB)
#   to the medians, M_REPORTS to the total of gosan's reports or
#   helgrind's errors, and M_NOTE to "timeout" if a helgrind run timed out.
measure() {
    local name=$1 mode=$2 n=$3 check=$4
    shift 5
    local k rc times=() rss=() total=0 t m
    M_NOTE=
    for ((k = 1; k <= n; k++)); do
        local base=$name.$mode.$k
        local pre=()
        case $mode in
        plain) ;;
        gosan) pre=("$GOSAN" run --json "$base.jsonl" --) ;;
        helgrind) pre=(timeout -s KILL "$HG_TIMEOUT" valgrind --tool=helgrind) ;;
        esac
        rc=0
        /usr/bin/time -f '%e %M' -o "$base.time" \
            "${pre[@]}" "$@" >"$base.out" 2>"$base.err" || rc=$?
        read -r t m < <(tail -n 1 "$base.time")
        if [[ $mode == helgrind && $rc == 137 ]]; then
            M_NOTE="timeout after ${HG_TIMEOUT}s"
            continue
        fi
        times+=("$t")
        rss+=("$m")
        case $mode in
        gosan)
            local r
            r=$(wc -l <"$base.jsonl" 2>/dev/null || echo 0)
            total=$((total + r))
            if ((r)); then
                fail "$name: gosan reported $r (see $WORK/$base.err)"
                [[ $rc == 66 ]] && rc=0  # judge the program, not the report
            fi
            ;;
        helgrind)
            local e
            e=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors from \([0-9]*\) contexts.*/\1 \2/p' \
                "$base.err" | tail -n 1)
            e=${e:-0 0}
            total=$((total + ${e%% *}))
            M_CONTEXTS=${e##* }
            ;;
        esac
        "$check" "$base.out" "$rc" || fail "$name ($mode, run $k): wrong result (see $WORK/$base.*)"
    done
    M_TIME=-
    M_RSS=-
    if ((${#times[@]})); then
        M_TIME=$(printf '%s\n' "${times[@]}" | median)
        M_RSS=$(printf '%s\n' "${rss[@]}" | median | awk '{ printf "%.0f", $1 / 1024 }')
    fi
    M_REPORTS=$total
}

# Result checks: check_X OUTFILE STATUS.
check_roundtrip_gz()  { [[ $2 == 0 ]] && pigz -dc "$1" | cmp -s - "$INPUT"; }
check_roundtrip_xz()  { [[ $2 == 0 ]] && xz -dc "$1" | cmp -s - "$INPUT"; }
check_roundtrip_zst() { [[ $2 == 0 ]] && zstd -dcq "$1" | cmp -s - "$INPUT"; }
check_same_as_input() { [[ $2 == 0 ]] && cmp -s "$1" "$INPUT"; }
check_tap()           { [[ $2 == 0 ]] && grep -q '^ok ' "$1" && ! grep -q '^not ok' "$1"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.1fx", a / b }'; }

main_rows=()
hg_rows=()

# bench NAME INPUT CHECK WHAT -- CMD...: plain and gosan rows, RUNS each.
bench() {
    local name=$1 input=$2 check=$3 what=$4
    shift 5
    INPUT=$input
    echo "== $name: $*" >&2
    measure "$name" plain "$RUNS" "$check" -- "$@"
    local pt=$M_TIME pm=$M_RSS
    measure "$name" gosan "$RUNS" "$check" -- "$@"
    local gt=$M_TIME gm=$M_RSS gr=$M_REPORTS
    main_rows+=("| $name | $what | $pt | $gt | $(ratio "$gt" "$pt") | $pm / $gm | $gr |")
}

# hgbench NAME INPUT CHECK WHAT -- CMD...: plain, gosan and helgrind on a
# small input.
hgbench() {
    local name=$1-hg input=$2 check=$3 what=$4
    shift 5
    ((HG_RUNS > 0)) || return 0
    INPUT=$input
    echo "== $name: $*" >&2
    measure "$name" plain "$RUNS" "$check" -- "$@"
    local pt=$M_TIME pm=$M_RSS
    measure "$name" gosan "$RUNS" "$check" -- "$@"
    local gt=$M_TIME gm=$M_RSS gr=$M_REPORTS
    M_CONTEXTS=0
    measure "$name" helgrind "$HG_RUNS" "$check" -- "$@"
    local ht=$M_TIME hm=$M_RSS hr="$M_REPORTS errors / $M_CONTEXTS contexts"
    local hratio
    hratio=$(ratio "$ht" "$pt")
    if [[ -n $M_NOTE && $ht == - ]]; then  # every run timed out
        ht="$M_NOTE"
        hr="-"
        hratio=">$(ratio "$HG_TIMEOUT" "$pt")"
    elif [[ -n $M_NOTE ]]; then
        hr="$hr (some runs: $M_NOTE)"
    fi
    hg_rows+=("| ${name%-hg} | $what | $pt | $gt | $ht | $(ratio "$gt" "$pt") | $hratio | $pm / $gm / $hm | $gr | $hr |")
}

# ---- inputs ---------------------------------------------------------------

./gen "$SIZE_MIB" 1 >big
./gen "$XZ_SIZE_MIB" 2 >xzin
./gen "$HG_SIZE_MIB" 3 >small
./gen "$HG_XZ_SIZE_MIB" 4 >xzsmall
pigz -p 2 -c big >big.gz
pigz -p 2 -c small >small.gz
XZFLAGS=(-0 --block-size=512KiB)  # many blocks, so -T2 really runs 2 threads
xz -T2 "${XZFLAGS[@]}" -c xzin >xzin.xz
xz -T2 "${XZFLAGS[@]}" -c xzsmall >xzsmall.xz

# ---- the programs ---------------------------------------------------------

glib_tests=(
    # name     binary       arguments (quick thread tests; see README)
    "glib-rec-mutex rec-mutex -p /thread/rec-mutex1 -p /thread/rec-mutex2 -p /thread/rec-mutex3"
    "glib-rwlock    rwlock    -s /thread/rwlock7"
    "glib-cond      cond      -x /thread/cond/wait-until"
    "glib-once      once"
    "glib-asyncq    asyncqueue"
    "glib-threadpool thread-pool"
    "glib-thread    thread"
)
stress_tests=(
    "glib-mutex5-stress     mutex     -p /thread/mutex5"
    "glib-rec-mutex4-stress rec-mutex -p /thread/rec-mutex4"
    "glib-rwlock7-stress    rwlock    -p /thread/rwlock7"
)

bench pigz big check_roundtrip_gz "${SIZE_MIB} MiB" -- pigz -p 2 -c big
bench pigz-d big check_same_as_input "${SIZE_MIB} MiB" -- pigz -p 2 -dc big.gz
bench xz xzin check_roundtrip_xz "${XZ_SIZE_MIB} MiB" -- xz -T2 "${XZFLAGS[@]}" -c xzin
bench xz-d xzin check_same_as_input "${XZ_SIZE_MIB} MiB" -- xz -T2 -dc xzin.xz
bench zstd big check_roundtrip_zst "${SIZE_MIB} MiB" -- zstd -T2 -3 -q -c big
for t in "${glib_tests[@]}"; do
    read -r -a w <<<"$t"
    bench "${w[0]}" /dev/null check_tap "TAP" -- "$GLIBT/${w[1]}" "${w[@]:2}"
done
if [[ $STRESS == 1 ]]; then
    for t in "${stress_tests[@]}"; do
        read -r -a w <<<"$t"
        bench "${w[0]}" /dev/null check_tap "TAP" -- "$GLIBT/${w[1]}" "${w[@]:2}"
    done
fi

hgbench pigz small check_roundtrip_gz "${HG_SIZE_MIB} MiB" -- pigz -p 2 -c small
hgbench pigz-d small check_same_as_input "${HG_SIZE_MIB} MiB" -- pigz -p 2 -dc small.gz
hgbench xz xzsmall check_roundtrip_xz "${HG_XZ_SIZE_MIB} MiB" -- xz -T2 "${XZFLAGS[@]}" -c xzsmall
hgbench xz-d xzsmall check_same_as_input "${HG_XZ_SIZE_MIB} MiB" -- xz -T2 -dc xzsmall.xz
hgbench zstd small check_roundtrip_zst "${HG_SIZE_MIB} MiB" -- zstd -T2 -3 -q -c small
for t in "${glib_tests[@]}"; do
    read -r -a w <<<"$t"
    hgbench "${w[0]}" /dev/null check_tap "TAP" -- "$GLIBT/${w[1]}" "${w[@]:2}"
done

# ---- known false positives ------------------------------------------------

# repro/: correct programs gosan reports (see README). Informational: they
# do not change the exit status; "fixed" means gosan no longer reports.
fp_rows=()
for f in "$here"/repro/fp_*.c; do
    [[ -e $f ]] || continue
    b=$(basename "$f" .c)
    cc -O2 -g -fno-builtin -pthread -o "$b" "$f" -l:libglib-2.0.so.0
    rc=0
    "$GOSAN" run --json "$b.jsonl" -- "./$b" >"$b.out" 2>"$b.err" || rc=$?
    k=$(kinds "$b.jsonl")
    fp_rows+=("| repro/$b.c | $rc | ${k:-none} | $([[ $rc == 66 ]] && echo "still reported" || echo fixed) |")
done

# ---- the tables -----------------------------------------------------------

{
    echo "Machine: $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)."
    echo "Control (bench/real/control.c): gosan exit 66, reports: $ctl_kinds"
    echo "Median of RUNS=$RUNS runs (helgrind: HG_RUNS=$HG_RUNS). Times in seconds, RSS in MiB."
    echo
    echo "| program | input | plain s | gosan s | gosan/plain | peak RSS plain / gosan | gosan reports |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${main_rows[@]}"
    if ((HG_RUNS > 0)); then
        echo
        echo "| program | input | plain s | gosan s | helgrind s | gosan/plain | helgrind/plain | peak RSS plain / gosan / helgrind | gosan reports | helgrind errors |"
        echo "|---|---|---|---|---|---|---|---|---|---|"
        printf '%s\n' "${hg_rows[@]}"
    fi
    if ((${#fp_rows[@]})); then
        echo
        echo "| known false positive | gosan exit | reports | status |"
        echo "|---|---|---|---|"
        printf '%s\n' "${fp_rows[@]}"
    fi
    if ((${#notes[@]})); then
        echo
        printf -- '- %s\n' "${notes[@]}"
    fi
    echo
    echo "Logs: $WORK (NAME.MODE.K.{out,err,time,jsonl})"
} | tee results.md
exit $status
}
