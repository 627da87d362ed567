#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""summarize.py RAW_TSV [ENV_TXT]: the tables of bench/tsan/run.sh.

raw.tsv columns: round name mode rc wall_s maxrss_kb user_s sys_s foreign
timeout inner_ms reports ok. Prints markdown on stdout: the main table
(medians of process wall time and peak RSS), the threaded-section table
(the programs' own timing), the machine load, and any problem (a failed,
killed or wrongly reported run). Exits 3 if there was a problem.
"""
import statistics
import sys

MODES = ("plain", "tsan", "gosan")
RACY = ("racy_counter",)
TIME_GOAL = 0.5
MEM_GOAL = 1.0


def fmt_s(v):
    if v is None:
        return "—"
    if v >= 100:
        return f"{v:.0f} s"
    if v >= 10:
        return f"{v:.1f} s"
    if v >= 1:
        return f"{v:.2f} s"
    return f"{v:.3f} s"


def fmt_mb(kb):
    return "—" if kb is None else f"{kb / 1024:.1f} MB"


def med(xs):
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt_x(r):
    if r is None:
        return "—"
    return f"×{r:.1f}" if r >= 10 else f"×{r:.2f}"


def goal(r, g):
    if r is None:
        return "—"
    return f"**{r:.2f}** {'✓' if r <= g else '✗'}"


def main():
    rows = []
    with open(sys.argv[1]) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 13:
                continue
            rows.append(dict(
                round=int(p[0]), name=p[1], mode=p[2], rc=int(p[3]),
                wall=float(p[4]), rss=int(p[5]),
                cpu=float(p[6]) + float(p[7]), foreign=float(p[8]),
                timeout=p[9] == "1", inner=float(p[10]) if p[10] else None,
                reports=int(p[11]), ok=int(p[12])))
    env = ""
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            env = f.read()

    names = []
    for r in rows:
        if r["name"] not in names:
            names.append(r["name"])

    problems = []
    stats = {}
    for n in names:
        racy = n in RACY
        for m in MODES:
            rs = [r for r in rows if r["name"] == n and r["mode"] == m]
            good = []
            for r in rs:
                where = f"{n} {m} round {r['round']}"
                if r["timeout"]:
                    problems.append(f"{where}: killed after the timeout "
                                    f"({r['wall']:.0f} s)")
                    continue
                want_rc = (0,) if (not racy or m == "plain") else (0, 66)
                if r["rc"] not in want_rc or not r["ok"]:
                    problems.append(f"{where}: exit status {r['rc']}, "
                                    f"result {'ok' if r['ok'] else 'not ok'}")
                    continue
                if not racy and r["reports"]:
                    problems.append(f"{where}: {r['reports']} report(s) on a "
                                    "race-free workload (false positive)")
                if racy and m != "plain" and not r["reports"]:
                    problems.append(f"{where}: the race was NOT reported")
                good.append(r)
            stats[n, m] = dict(
                n=len(good), runs=len(rs),
                wall=med([r["wall"] for r in good]),
                rss=med([r["rss"] for r in good]),
                cpu=med([r["cpu"] for r in good]),
                inner=med([r["inner"] for r in good
                           if r["inner"] is not None]),
                reports=[r["reports"] for r in rs],
                foreign=med([r["foreign"] for r in rs]))

    out = []
    w = out.append
    w("| workload | plain time | TSan time (slowdown) | gosan time (slowdown)"
      f" | gosan slowdown / TSan slowdown (goal ≤ {TIME_GOAL}) | plain RSS"
      " | TSan RSS | gosan RSS | memory gosan/TSan (goal ≤ "
      f"{MEM_GOAL:.1f}) | reports TSan / gosan | n |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in names:
        p, t, g = (stats[n, m] for m in MODES)
        ts, gs = ratio(t["wall"], p["wall"]), ratio(g["wall"], p["wall"])
        rep = "{} / {}".format(
            ",".join(map(str, sorted(set(t["reports"])))) or "—",
            ",".join(map(str, sorted(set(g["reports"])))) or "—")
        label = n + (" (racy on purpose)" if n in RACY else "")
        w(f"| {label} | {fmt_s(p['wall'])} | {fmt_s(t['wall'])} ({fmt_x(ts)})"
          f" | {fmt_s(g['wall'])} ({fmt_x(gs)}) | {goal(ratio(gs, ts), TIME_GOAL)}"
          f" | {fmt_mb(p['rss'])} | {fmt_mb(t['rss'])} | {fmt_mb(g['rss'])}"
          f" | {goal(ratio(g['rss'], t['rss']), MEM_GOAL)} | {rep}"
          f" | {p['n']}/{t['n']}/{g['n']} |")
    w("")
    w("Medians over the rounds. Time: the process's wall time; slowdown: "
      "against plain. RSS: peak resident set (ru_maxrss). reports: the "
      "distinct per-run counts of `WARNING:` report headlines on stderr. "
      "n: runs used (plain/TSan/gosan).")
    w("")
    w("Threaded section only (each program's own clock: leaves out process "
      "start-up, detector initialization and array initialization):")
    w("")
    w("| workload | plain | TSan (slowdown) | gosan (slowdown) | gosan/TSan |")
    w("|---|---|---|---|---|")
    for n in names:
        p, t, g = (stats[n, m] for m in MODES)
        pi, ti, gi = (None if x["inner"] is None else x["inner"] / 1e3
                      for x in (p, t, g))
        ts, gs = ratio(ti, pi), ratio(gi, pi)
        r = ratio(gs, ts)
        w(f"| {n} | {fmt_s(pi)} | {fmt_s(ti)} ({fmt_x(ts)}) | {fmt_s(gi)} "
          f"({fmt_x(gs)}) | {'—' if r is None else f'{r:.2f}'} |")
    w("")
    w("CPU time (user + sys of the whole process, from wait4): less "
      "sensitive than wall time to other processes' load for the CPU-bound "
      "workloads, but it counts spinning and leaves out time spent "
      "waiting:")
    w("")
    w("| workload | plain | TSan (ratio) | gosan (ratio) | gosan/TSan |")
    w("|---|---|---|---|---|")
    for n in names:
        p, t, g = (stats[n, m] for m in MODES)
        ts, gs = ratio(t["cpu"], p["cpu"]), ratio(g["cpu"], p["cpu"])
        r = ratio(g["cpu"], t["cpu"])
        w(f"| {n} | {fmt_s(p['cpu'])} | {fmt_s(t['cpu'])} ({fmt_x(ts)}) | "
          f"{fmt_s(g['cpu'])} ({fmt_x(gs)}) | "
          f"{'—' if r is None else f'{r:.2f}'} |")
    w("")
    fg = {m: med([r["foreign"] for r in rows if r["mode"] == m])
          for m in MODES}
    allfg = [r["foreign"] for r in rows]
    w("Machine load during the runs (\"foreign\": CPU used by other "
      "processes, in cores, of 2): median "
      + ", ".join(f"{m} {fg[m]:.2f}" for m in MODES if fg[m] is not None)
      + (f"; max {max(allfg):.2f}" if allfg else "") + ".")
    if env:
        w("")
        w("```")
        w(env.rstrip())
        w("```")
    if problems:
        w("")
        w("**Problems:**")
        w("")
        for p in problems:
            w(f"- {p}")
    print("\n".join(out))
    return 3 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
