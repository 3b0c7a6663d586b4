#!/usr/bin/python3
"""partitions_report.py - the bookkeeping of bench/partitions.sh.

    partitions_report.py record --dir DIR --name NAME --set S --rule R --mode M
                                [--scale X --rows N] [--label L --tm-probe P]
    partitions_report.py choose --jsonl FILE --set S --rule R [--aim F]
    partitions_report.py report --jsonl FILE [--meta KEY=VALUE ...]

record: one JSON line on stdout for run NAME of DIR: tripminer's --json
summary (NAME.json) or faiss_ivf.py's, with the peak RSS per rank (NAME.rss.RANK,
GNU time's "%M %U %S") and how many CPUs other programs kept busy meanwhile
(NAME.cpu: /proc/stat busy and total ticks before and after). Modes: exact,
exact-estimate (an exact run on fewer rows, its seconds times --scale),
partitioned, faiss.

choose: the smallest probe of set S and rule R whose check_identical reaches
--aim (default 0.99); prints "PROBE PARTITIONS CHECK_IDENTICAL REACHED",
REACHED 0 (and the largest probe) when none did.

report: the Markdown report of a JSONL file on stdout.
"""

import argparse
import glob
import json
import os
import re
import sys

MIB = 1024.0


def time_files(dirname, name):
    """(peak KiB, user s, system s) of each rank, by rank."""
    rows = []
    for path in glob.glob(os.path.join(dirname, name + ".rss.*")):
        rank = path.rsplit(".", 1)[1]
        if not rank.isdigit():
            continue
        with open(path) as f:
            # On failure GNU time writes a status line first; the figures
            # are on the last line.
            lines = [ln.split() for ln in f if ln.strip()]
        try:
            kib, user, system = lines[-1]
            rows.append((int(rank), int(kib), float(user), float(system)))
        except (IndexError, ValueError):
            continue
    return [r[1:] for r in sorted(rows)]


def others_cpus(dirname, name, own_seconds):
    """CPUs other programs kept busy on average during run NAME: the machine's
    busy ticks less the run's own CPU time, over the run's wall time."""
    try:
        with open(os.path.join(dirname, name + ".cpu")) as f:
            (b0, t0), (b1, t1) = [tuple(map(int, ln.split())) for ln in f if ln.strip()]
    except (OSError, ValueError):
        return None
    hz = os.sysconf("SC_CLK_TCK")
    wall = (t1 - t0) / hz / (os.cpu_count() or 1)
    if wall <= 0:
        return None
    return max(0.0, ((b1 - b0) / hz - own_seconds) / wall)


def outside_breakdown(dirname, name, seconds):
    """Seconds of the run that -v's time breakdown (read, wait, compute,
    write: the largest over the ranks of each) does not hold: setting up,
    and for partitions the k-means and every row's nearest centres. None
    without a breakdown in NAME.log."""
    phases = {}
    try:
        with open(os.path.join(dirname, name + ".log")) as f:
            for ln in f:
                m = re.match(r"tripminer:\s+(read|wait \(communication\)|compute|write)"
                             r"\s+([0-9.]+)\s*/\s*([0-9.]+)\s*/\s*([0-9.]+)\s*s", ln)
                if m:
                    phases[m.group(1)] = float(m.group(4))
    except OSError:
        return None
    if len(phases) < 4:
        return None
    return max(0.0, seconds - sum(phases.values()))


def record(a):
    with open(os.path.join(a.dir, a.name + ".json")) as f:
        summary = json.load(f)
    times = time_files(a.dir, a.name)
    own = sum(u + s for _, u, s in times)
    line = {"set": a.set, "rule": a.rule, "mode": a.mode, "name": a.name,
            "rss_mib": [round(kib / MIB, 1) for kib, _, _ in times],
            "others_cpus": others_cpus(a.dir, a.name, own)}
    if a.mode == "faiss":
        line.update(label=a.label, tm_probe=a.tm_probe, **summary)
        line["seconds"] = summary["end_to_end_seconds"]
    else:
        keep = ("seconds", "kernel", "num_embeddings", "dim", "ranks", "num_triplets",
                "partitions", "probe", "check_anchors", "check_identical",
                "check_recall", "certified_anchors", "rechecked", "pairs_fast", "pairs_f32")
        line.update({k: summary[k] for k in keep if k in summary})
        line["outside_breakdown"] = outside_breakdown(a.dir, a.name, summary["seconds"])
        pairs = summary.get("pairs_fast", 0) + summary.get("pairs_f32", 0)
        nn = summary.get("num_embeddings", 0)
        line["pairs_fraction"] = pairs / float(nn * nn) if nn and pairs else None
        if a.mode == "exact-estimate":
            line["measured_rows"] = summary.get("num_embeddings")
            line["measured_seconds"] = summary["seconds"]
            line["scale"] = a.scale
            line["seconds"] = summary["seconds"] * a.scale
            line["num_embeddings"] = a.rows
    json.dump(line, sys.stdout)
    sys.stdout.write("\n")
    return 0


def load(path):
    with open(path) as f:
        return [json.loads(ln) for ln in f if ln.strip()]


def partitioned(lines, dset, rule):
    rows = [r for r in lines if r["set"] == dset and r["rule"] == rule
            and r["mode"] == "partitioned"]
    return sorted(rows, key=lambda r: r["probe"])


def smallest_reaching(rows, aim):
    for r in rows:
        if r.get("check_identical", 0.0) >= aim:
            return r
    return None


def choose(a):
    rows = partitioned(load(a.jsonl), a.set, a.rule)
    if not rows:
        print("choose: no partitioned run of that set and rule", file=sys.stderr)
        return 1
    r = smallest_reaching(rows, a.aim)
    reached = r is not None
    r = r or rows[-1]
    print(r["probe"], r["partitions"], r["check_identical"], int(reached))
    return 0


def fmt(v, spec, none="–"):
    return none if v is None else format(v, spec)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" if i == 0 else "--:" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def pct(v):
    if v is None:
        return "–"
    return f"{100.0 * v:.3g} %"


def rss(r):
    return " / ".join(f"{v:.0f}" for v in r["rss_mib"]) if r["rss_mib"] else "–"


def report(a):
    lines = load(a.jsonl)
    meta = dict(kv.split("=", 1) for kv in a.meta)
    aim = float(meta.get("aim", 0.99))
    want = float(meta.get("speedup", 20))
    out = ["# Partitioned mining against the exact sweep and FAISS IndexIVFFlat", ""]
    out += [f"- {k}: {v}" for k, v in meta.items() if k not in ("aim", "speedup")]
    out += [""]
    verdicts = []
    for dset in dict.fromkeys(r["set"] for r in lines):
        rows = [r for r in lines if r["set"] == dset]
        n = next((r.get("num_embeddings") for r in rows if r["mode"] == "partitioned"), None)
        out += [f"## {dset}" + (f" (N = {n})" if n else ""), ""]
        body = []
        chosen = {}
        for rule in dict.fromkeys(r["rule"] for r in rows if r["mode"] != "faiss"):
            exact = next((r for r in rows if r["rule"] == rule
                          and r["mode"] in ("exact", "exact-estimate")), None)
            ex_s = exact["seconds"] if exact else None
            if exact:
                what = "exact"
                if exact["mode"] == "exact-estimate":
                    what = (f"exact, **estimated**: {exact['measured_seconds']:.3f} s on "
                            f"{exact['measured_rows']} rows x {exact['scale']:g}")
                body.append([rule, what, "all", fmt(ex_s, ".2f"), "1.00x", "", "", "",
                             pct(exact.get("pairs_fraction")),
                             fmt(exact.get("outside_breakdown"), ".2f"),
                             exact.get("kernel", ""), rss(exact),
                             fmt(exact["others_cpus"], ".2f")])
            parts = partitioned(lines, dset, rule)
            for r in parts:
                cert = r.get("certified_anchors")
                certs = "–" if cert is None else f"{cert} ({100.0 * cert / r['num_embeddings']:.1f} %)"
                body.append([rule, f"partitions {r['partitions']}", r["probe"],
                             fmt(r["seconds"], ".2f"),
                             fmt(ex_s / r["seconds"] if ex_s else None, ".1f") + "x",
                             fmt(r.get("check_identical"), ".3f"),
                             fmt(r.get("check_recall"), ".3f"), certs,
                             pct(r.get("pairs_fraction")),
                             fmt(r.get("outside_breakdown"), ".2f"),
                             r.get("kernel", ""), rss(r), fmt(r["others_cpus"], ".2f")])
            best = smallest_reaching(parts, aim)
            chosen[rule] = best
            if not parts:
                continue
            if best is None:
                verdicts.append(f"- {dset}, {rule}: no probe reached check_identical ≥ {aim} "
                                f"(largest tried: P = {parts[-1]['probe']}, "
                                f"{parts[-1]['check_identical']:.3f})")
            elif ex_s:
                ratio = ex_s / best["seconds"]
                verdicts.append(
                    f"- {dset}, {rule}: smallest P with check_identical ≥ {aim}: "
                    f"P = {best['probe']} ({best['check_identical']:.3f}), "
                    f"{best['seconds']:.2f} s, **{ratio:.1f}x** the exact sweep "
                    f"(the issue's aim, at N = 10⁶ on structured data: ≥ {want:g}x; here "
                    f"{'PASS' if ratio >= want else 'FAIL'}"
                    + (", exact time estimated" if exact["mode"] == "exact-estimate" else "")
                    + ")")
        out += table(["rule", "run", "P", "seconds", "exact / this", "check_identical",
                      "check_recall", "certified anchors", "pairs / N²",
                      "outside -v breakdown s", "kernel", "peak RSS/rank MiB",
                      "others' CPUs"], body)
        out += [""]
        fa = [r for r in rows if r["mode"] == "faiss"]
        if fa:
            target_rule = fa[0]["rule"]
            tm_rows = partitioned(lines, dset, target_rule)
            tm = next((r for r in tm_rows if r["probe"] == fa[0].get("tm_probe")), None)
            out += [f"FAISS IndexIVFFlat, {fa[0]['nlist']} lists (tripminer's partitions), "
                    f"{fa[0]['threads']} threads; target: the fraction of exact nearest "
                    f"negatives that tripminer `{target_rule}` reached at P = "
                    f"{fa[0].get('tm_probe')}: {fa[0]['target']:.3f} (measured over "
                    f"{fa[0]['checked_over']}):", ""]
            fbody = []
            for r in fa:
                vs = fmt(r["seconds"] / tm["seconds"] if tm else None, ".2f")
                fbody.append([r["label"], r["nprobe"] if r["reached"] else f"{r['nprobe']} (not reached)",
                              fmt(r["fraction"], ".4f"),
                              f"{r['niter']} on {r['train_rows']} rows",
                              fmt(r["train_seconds"], ".2f"), fmt(r["add_seconds"], ".2f"),
                              fmt(r["search_seconds"], ".2f"), fmt(r["filter_seconds"], ".2f"),
                              fmt(r["seconds"], ".2f"), vs + "x", rss(r),
                              fmt(r["others_cpus"], ".2f")])
            if tm:
                fbody.append([f"tripminer `{target_rule}` P = {tm['probe']}", "",
                              fmt(tm.get("check_identical"), ".4f"), "", "", "", "", "",
                              fmt(tm["seconds"], ".2f"), "1.00x", rss(tm),
                              fmt(tm["others_cpus"], ".2f")])
            out += table(["", "nprobe", "fraction exact", "k-means iterations", "train s",
                          "add s", "search s", "filter s", "end to end s",
                          "vs tripminer", "peak RSS MiB", "others' CPUs"], fbody)
            out += [""]
            for r in fa:
                tried = ", ".join(f"{t['nprobe']}: {t['fraction']:.4f} in {t['search_seconds']:.2f} s"
                                  for t in sorted(r["tries"], key=lambda t: t["nprobe"]))
                out += [f"- {r['label']}, nprobe tried (fraction, search seconds): {tried}"]
                if tm:
                    faster = tm["seconds"] < r["seconds"]
                    verdicts.append(
                        f"- {dset}: tripminer `{target_rule}` P = {tm['probe']} "
                        f"{tm['seconds']:.2f} s vs FAISS ({r['label']}) nprobe {r['nprobe']} "
                        f"{r['seconds']:.2f} s end to end: tripminer "
                        f"{'faster' if faster else 'slower'} ({r['seconds'] / tm['seconds']:.2f}x)"
                        + ("" if r["reached"] else ", FAISS did not reach the target"))
            out += [""]
    out += ["## Verdicts", ""] + verdicts + [""]
    out += ["Reading it: *exact / this* is the exact sweep's seconds (same rule, same data, "
            "same run of the script) over this run's; both are tripminer's `--json` seconds "
            "(reading the input, k-means, mining, the check and writing the output). "
            "check_identical / check_recall come from `--check` (1000 anchors also mined "
            "exactly); certified anchors are proven exact by the triangle inequality. "
            "*pairs / N²*: the (anchor, candidate) pairs the tiles computed, of the exact "
            "sweep's N² (pairs_fast + pairs_f32 of `--json`). *outside -v breakdown*: the run's seconds "
            "less the largest read, wait, compute and write over the ranks (`-v`): for "
            "partitions mostly the k-means and every row's nearest centres. "
            "FAISS's end to end is train + add + search + the NumPy label filtering at the "
            "smallest nprobe that reached the target (the file read excluded). "
            "*others' CPUs*: CPUs other programs kept busy during the run; near 0 means "
            "the figure can be trusted."]
    print("\n".join(out))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("--dir", required=True)
    r.add_argument("--name", required=True)
    r.add_argument("--set", required=True)
    r.add_argument("--rule", required=True)
    r.add_argument("--mode", required=True,
                   choices=("exact", "exact-estimate", "partitioned", "faiss"))
    r.add_argument("--scale", type=float, default=1.0)
    r.add_argument("--rows", type=int)
    r.add_argument("--label", default="")
    r.add_argument("--tm-probe", type=int, help="faiss: the probe its target came from")
    c = sub.add_parser("choose")
    c.add_argument("--jsonl", required=True)
    c.add_argument("--set", required=True)
    c.add_argument("--rule", required=True)
    c.add_argument("--aim", type=float, default=0.99)
    p = sub.add_parser("report")
    p.add_argument("--jsonl", required=True)
    p.add_argument("--meta", nargs="*", default=[])
    a = ap.parse_args()
    return {"record": record, "choose": choose, "report": report}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
