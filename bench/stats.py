#!/usr/bin/python3
"""Merge the bench's hyperfine rounds into one table and judge the goals.

usage: stats.py RES_DIR CAPTURE_BYTES RESULTS_MD

RES_DIR holds cases.tsv (from run.sh), raw/ID.rN.json (hyperfine exports,
one per case and round), machine.txt and scale.txt. Prints the report and
writes it as markdown to RESULTS_MD. Spread is the interquartile range
(IQR = Q3 - Q1): robust to the odd slow run a VM throws in.
"""
import glob
import json
import os
import statistics
import sys

CLASSES = [
    ("goals", "Issue 15's goals (ms; bench/interleave.c: every case once per "
              "round, rotated; ratio vs the reference named in run.sh)"),
    ("goals_idle", "Issue 15's goals after 100 ms idle before each run (ms)"),
    ("startup", "Startup (ms; ratio vs the bare command of the same run)"),
    ("idle", "Startup after 100 ms idle (ms; hyperfine --prepare 'sleep 0.1'; "
             "one job at a time, as a user runs them)"),
    ("container", "Container tiers (ms; ratio vs the same docker run by hand)"),
    ("throughput", "Throughput (ms per job; ratio vs bare)"),
    ("capture", "Output capture of %d MB (ms; MB/s; ratio vs emit | cat)"),
]


def load_cases(res):
    cases = []
    with open(os.path.join(res, "cases.tsv"), encoding="utf-8") as f:
        for line in f:
            cid, cls, who, ref, state, label, cmd = line.rstrip("\n").split("\t")
            cases.append(dict(id=cid, cls=cls, who=who, ref=ref,
                              state="" if state == "-" else state,
                              label=label, cmd=cmd, times=[]))
    for c in cases:
        for path in sorted(glob.glob(os.path.join(res, "raw", c["id"] + ".r*.json"))):
            try:
                with open(path, encoding="utf-8") as f:
                    results = json.load(f)["results"]
            except (OSError, ValueError, KeyError):
                continue  # a round that failed: run.sh notes it
            for r in results:
                c["times"].extend(t * 1000.0 for t in r["times"])
    return {c["id"]: c for c in cases}, cases


def summary(times):
    if len(times) < 2:
        return None
    q = statistics.quantiles(times, n=4, method="inclusive")
    return dict(median=statistics.median(times), q1=q[0], q3=q[2], n=len(times))


def fmt_ms(v):
    return "%.2f" % v if v < 100 else "%.1f" % v


def rows_for(cls, cases, by_id, capture_mb):
    rows = []
    for c in cases:
        if c["cls"] != cls:
            continue
        s = summary(c["times"])
        if s is None:
            rows.append([c["label"], c["who"], "-", "-", "0", "-",
                         "not measured: " + (c["state"] or "no samples")])
            continue
        ref = summary(by_id.get(c["ref"], {}).get("times", []))
        ratio = "%.3f" % (s["median"] / ref["median"]) if ref else "-"
        extra = ""
        if cls == "capture":
            extra = "%.0f MB/s" % (capture_mb / (s["median"] / 1000.0))
        elif ref and c["ref"] != c["id"]:
            extra = "%+.2f ms" % (s["median"] - ref["median"])
        if c["state"]:
            extra = (extra + "; " if extra else "") + c["state"]
        rows.append([c["label"], c["who"], fmt_ms(s["median"]),
                     "%s" % fmt_ms(s["q3"] - s["q1"]), str(s["n"]), ratio,
                     extra])
    return rows


def med(by_id, cid):
    s = summary(by_id.get(cid, {}).get("times", []))
    return s["median"] if s else None


def goal_rows(by_id, capture_mb, scale_goals):
    """(goal, PASS/MISS/n/a, measured) for each goal of issues 15 and 6."""
    out = []

    def judge(name, ok, detail):
        out.append((name, "n/a" if ok is None else ("PASS" if ok else "MISS"), detail))

    def pair(a, b):
        x, y = med(by_id, a), med(by_id, b)
        return (x, y) if x is not None and y is not None else (None, None)

    for cls, when in (("goals", ""), ("goals_idle", ", after idle")):
        x, y = pair(cls + "_none", cls + "_floor")
        line = "-" if x is None else "+%.2f ms (%.2f vs %.2f)" % (x - y, x, y)
        if cls == "goals":
            judge("issue 15: tier none <= 0.7 ms over the floor (hop, setuid hop, true)",
                  None if x is None else x - y <= 0.7, line)
        else:
            out.append(("(info) tier none over the floor" + when, "info", line))
        x, y = pair(cls + "_none", cls + "_cgfloor")
        z = med(by_id, cls + "_floor")
        out.append(("(info) tier none over the floor with the job's cgroups" + when,
                    "info", "-" if x is None or z is None else
                    "+%.2f ms (%.2f vs %.2f; the cgroups alone +%.2f ms)"
                    % (x - y, x, y, y - z)))
        x, y = pair(cls + "_iso", cls + "_bwrap")
        line = "-" if x is None else "%.2f vs %.2f ms (x%.2f)" % (x, y, x / y)
        if cls == "goals":
            judge("issue 15: isolated <= 0.85 x setuid bwrap, same namespaces",
                  None if x is None else x <= 0.85 * y, line)
        else:
            out.append(("(info) isolated vs setuid bwrap" + when, "info", line))
        x, y = pair(cls + "_isofloor", cls + "_bwrap")
        z = med(by_id, cls + "_iso")
        out.append(("(info) the kernel's floor under isolated vs setuid bwrap" + when,
                    "info", "-" if x is None or z is None else
                    "%.2f vs %.2f ms (x%.2f; goal x0.85 = %.2f ms; isolated +%.2f ms over it)"
                    % (x, y, x / y, 0.85 * y, z - x)))

    x, y = pair("none_true", "bare_true")
    judge("tier none adds <= 1.5 ms to /bin/true", None if x is None else x - y <= 1.5,
          "-" if x is None else "+%.2f ms (%.2f vs %.2f)" % (x - y, x, y))
    for ref, name in (("floor_true", "in a loop"), ("floor_idle", "after idle")):
        x, y = pair("none_true" if ref == "floor_true" else "none_idle", ref)
        out.append(("(info) tier none over the floor of 3 starts, %s" % name, "info",
                    "-" if x is None else "+%.2f ms (%.2f vs %.2f)" % (x - y, x, y)))
    x, y = pair("none_idle", "bare_idle")
    out.append(("(info) tier none after 100 ms idle, added to /bin/true", "info",
                "-" if x is None else "+%.2f ms (%.2f vs %.2f)" % (x - y, x, y)))
    x, y = pair("iso_true", "bwrap_suid_true")
    judge("isolated <= 1/2 of setuid bwrap (true)", None if x is None else x <= y / 2,
          "-" if x is None else "%.2f vs %.2f ms (x%.2f)" % (x, y, x / y))
    x, y = pair("iso_idle", "bwrap_suid_idle")
    out.append(("(info) isolated vs setuid bwrap after 100 ms idle", "info",
                "-" if x is None else "%.2f vs %.2f ms (x%.2f)" % (x, y, x / y)))
    x, y = pair("iso_true", "firejail_priv_true")
    judge("isolated far below firejail --net=none --private (<= 1/2)",
          None if x is None else x <= y / 2,
          "-" if x is None else "%.2f vs %.2f ms (x%.2f)" % (x, y, x / y))
    for tier in ("docker", "gvisor"):
        x, y = pair(tier + "_tier", tier + "_hand")
        judge("tier %s within 3%% of docker run by hand" % tier,
              None if x is None else x <= y * 1.03,
              "-" if x is None else "%.1f vs %.1f ms (%+.1f%%)" % (x, y, 100 * (x / y - 1)))
    for tier, name in (("none", "none"), ("iso", "isolated")):
        x, y = pair(tier + "_cpu", "bare_cpu")
        judge("CPU-bound within 1%% under %s" % name, None if x is None else x <= y * 1.01,
              "-" if x is None else "%+.2f%%" % (100 * (x / y - 1)))
    x, y = pair("iso_syscalls", "bare_syscalls")
    judge("syscall-heavy within 5% under isolated", None if x is None else x <= y * 1.05,
          "-" if x is None else "%+.2f%%" % (100 * (x / y - 1)))
    x, y = pair("floor_syscalls", "bare_syscalls")
    out.append(("(info) syscall-heavy under any seccomp filter (allow-all)", "info",
                "-" if x is None else "%+.2f%%" % (100 * (x / y - 1))))
    x, y = pair("none_syscalls", "bare_syscalls")
    out.append(("(info) syscall-heavy under none", "info",
                "-" if x is None else "%+.2f%%" % (100 * (x / y - 1))))
    for cid, name in (("none_capture", "none"), ("iso_capture", "isolated")):
        x = med(by_id, cid)
        judge("--json capture >= 1 GB/s (%s)" % name, None if x is None else
              capture_mb / (x / 1000.0) >= 1000,
              "-" if x is None else "%.0f MB/s" % (capture_mb / (x / 1000.0)))
    out.extend(scale_goals)
    return out


def table(header, rows, md):
    if md:
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    width = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    fmt = "  ".join("%%-%ds" % w for w in width)
    return "\n".join((fmt % tuple(r)).rstrip() for r in [header] + rows)


def report(res, capture_bytes, md):
    by_id, cases = load_cases(res)
    capture_mb = capture_bytes / 1e6
    with open(os.path.join(res, "machine.txt"), encoding="utf-8") as f:
        machine = f.read().strip()
    scale_lines, scale_goals = [], []
    with open(os.path.join(res, "scale.txt"), encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if p[0] == "GOAL":
                scale_goals.append((p[1], p[2], p[3]))
            elif line.strip():
                scale_lines.append(line.rstrip("\n"))
    out = ["# symbi-exec benchmark results" if md else "", "",
           machine.replace("\n", "  \n") if md else machine, ""]
    header = ["case", "as", "median", "IQR", "n", "ratio", "note"]
    for cls, title in CLASSES:
        rows = rows_for(cls, cases, by_id, capture_mb)
        if not rows:
            continue
        out += [("## " if md else "== ") + (title % capture_mb if "%" in title else title), ""]
        out += [table(header, rows, md), ""]
    if scale_lines:
        out += [("## " if md else "== ") + "Scale", ""]
        out += [("- " if md else "") + s for s in scale_lines] + [""]
    out += [("## " if md else "== ") + "Goals (issues 15 and 6)", ""]
    out += [table(["goal", "verdict", "measured"],
                  [list(g) for g in goal_rows(by_id, capture_mb, scale_goals)], md), ""]
    out += [("## " if md else "== ") + "Commands", ""]
    cmds = [[c["id"], c["who"], ("`%s`" if md else "%s") % c["cmd"]] for c in cases]
    out += [table(["case", "as", "command"], cmds, md), ""]
    return "\n".join(out)


def main():
    res, capture_bytes, md_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    print(report(res, capture_bytes, False))
    with open(md_path, "w", encoding="utf-8") as f:
        f.write(report(res, capture_bytes, True))
    print("(table written to %s)" % md_path)


if __name__ == "__main__":
    main()
