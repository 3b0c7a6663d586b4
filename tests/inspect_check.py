#!/usr/bin/env python3
"""Checks the output of `tripminer inspect` against tm_h5stats (tests/inspect.sh).

  inspect_check.py text REPORT.txt STATS.json
  inspect_check.py json REPORT.json STATS.json   (STATS made with --values)
  inspect_check.py svg PICTURE.svg [--empty]

Standard library only. Prints one line per problem and exits 1 if there is
any, 0 otherwise.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

STRINGS = ["strategy", "metric", "loss", "input", "version"]
DOUBLES = ["margin", "loss_sum", "loss_mean", "loss_mean_active"]
INTS = ["normalize", "num_embeddings", "dim", "num_triplets", "active_triplets",
        "skipped_anchors", "ranks"]
QKEYS = ["min", "p1", "p50", "p99", "max"]
QNAMES = {"d_ap": "d_ap", "d_an": "d_an", "d_an - d_ap": "d_an_minus_d_ap"}

problems = []


def problem(msg):
    problems.append(msg)


def close(a, b, rel, scale=1.0):
    return abs(a - b) <= rel * max(abs(a), abs(b), scale)


def check_text(report_path, stats_path):
    text = open(report_path, encoding="utf-8").read()
    stats = json.load(open(stats_path))
    attrs = stats["attrs"]
    lines = text.splitlines()

    def value_of(name):
        for line in lines:
            m = re.match(r"^  " + re.escape(name) + r"\s{2,}(.*)$", line)
            if m:
                return m.group(1)
        problem(f"text: no line '  {name}  VALUE'")
        return None

    for k in STRINGS:
        v = value_of(k)
        if v is not None and v != attrs[k]:
            problem(f"text: {k} is '{v}', the file says '{attrs[k]}'")
    for k in INTS:
        v = value_of(k)
        if v is not None and v != str(attrs[k]):
            problem(f"text: {k} is '{v}', the file says {attrs[k]}")
    for k in DOUBLES:
        v = value_of(k)
        if v is not None and not close(float(v), attrs[k], 1e-9):
            problem(f"text: {k} is '{v}', the file says {attrs[k]!r}")
    # The counts section: "  triplets   M".
    v = value_of("triplets")
    if v is not None and v.split()[0] != str(attrs["num_triplets"]):
        problem(f"text: triplets count '{v}', num_triplets is {attrs['num_triplets']}")
    if stats["m"] != attrs["num_triplets"]:
        problem(f"stats: m {stats['m']} != num_triplets {attrs['num_triplets']}")

    qrows = {}
    for line in lines:
        for label in QNAMES:
            m = re.match(r"^  " + re.escape(label) + r"\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$",
                         line)
            if m:
                qrows[label] = [float(x) for x in m.groups()]
    if stats["m"] == 0:
        if "no triplets" not in text:
            problem("text: an empty output without 'no triplets'")
        if qrows:
            problem(f"text: quantile lines for an empty output: {sorted(qrows)}")
        if "histogram" in text:
            problem("text: a histogram for an empty output")
        return
    if not re.search(r"^quantiles", text, re.M) or not re.search(r"\bmin\s+1%\s+50%\s+99%\s+max",
                                                                text):
        problem("text: no quantile header 'min 1% 50% 99% max'")
    for label, key in QNAMES.items():
        if label not in qrows:
            problem(f"text: no quantile line for {label}")
            continue
        want = [stats[key][q] for q in QKEYS]
        for got, exp, q in zip(qrows[label], want, QKEYS):
            if not close(got, exp, 1e-5, 1e-6):  # printed with %.6g
                problem(f"text: {label} {q} is {got}, expected {exp!r}")
    if not re.search(r"^  ---- margin .* ----$", text, re.M):
        problem("text: no margin line in the histogram")
    bins = [line for line in lines if re.match(r"^  \[\s*\S+,\s*\S+[)\]]\s+\d+", line)]
    total = sum(int(re.match(r"^  \[[^\]\)]*[)\]]\s+(\d+)", b).group(1)) for b in bins)
    if total != stats["m"]:
        problem(f"text: histogram counts add up to {total}, not {stats['m']}")
    if not 10 <= len(bins) <= 32:
        problem(f"text: {len(bins)} histogram bins, expected about 20")


def check_json(report_path, stats_path):
    try:
        rep = json.load(open(report_path, encoding="utf-8"))
    except ValueError as e:
        problem(f"json: does not parse: {e}")
        return
    stats = json.load(open(stats_path))
    attrs = stats["attrs"]
    for k in STRINGS + INTS + DOUBLES:
        # Doubles too: both sides print enough digits to read back exactly.
        if rep["attributes"].get(k) != attrs[k]:
            problem(f"json: attributes.{k} is {rep['attributes'].get(k)!r}, file {attrs[k]!r}")
    c = rep["counts"]
    if c["triplets"] != attrs["num_triplets"] or c["triplets"] != stats["m"]:
        problem(f"json: counts.triplets {c['triplets']}, num_triplets {attrs['num_triplets']}")
    if c["below_margin"] != stats["below_margin"]:
        problem(f"json: below_margin {c['below_margin']}, expected {stats['below_margin']}")
    if c["active"] != stats["loss_active"]:
        problem(f"json: active {c['active']}, expected {stats['loss_active']}")
    if c["finite"] != stats["m"] or c["non_finite"] != 0:
        problem(f"json: finite {c['finite']} / non_finite {c['non_finite']}")
    loss = rep["loss"]
    if loss["sum"] != attrs["loss_sum"] or loss["mean"] != attrs["loss_mean"]:
        problem("json: loss.sum or loss.mean differ from the attributes")
    if not close(loss["column_sum"], stats["loss_sum"], 1e-9, 1e-9):
        problem(f"json: loss.column_sum {loss['column_sum']}, expected {stats['loss_sum']}")
    q = rep["quantiles"]
    if q["levels"] != [0, 0.01, 0.5, 0.99, 1]:
        problem(f"json: quantile levels {q['levels']}")
    h = rep["histogram"]
    if stats["m"] == 0:
        for key in QNAMES.values():
            if q[key] is not None:
                problem(f"json: quantiles.{key} is not null for an empty output")
        if h["edges"] or h["counts"]:
            problem("json: a histogram for an empty output")
        return
    for key in QNAMES.values():
        for k in QKEYS:
            got, exp = q[key][k], stats[key][k]
            if not isinstance(got, (int, float)) or not close(got, exp, 1e-12, 1e-12):
                problem(f"json: quantiles.{key}.{k} is {got!r}, expected {exp!r}")
        if q[key]["min"] != stats[key]["min"] or q[key]["max"] != stats[key]["max"]:
            problem(f"json: quantiles.{key} min/max are not exact")
    edges, counts = h["edges"], h["counts"]
    if len(edges) != len(counts) + 1 or not counts:
        problem(f"json: {len(edges)} edges for {len(counts)} bins")
        return
    if any(b <= a for a, b in zip(edges, edges[1:])):
        problem("json: histogram edges not increasing")
    if not 10 <= len(counts) <= 32:
        problem(f"json: {len(counts)} bins, expected about 20")
    margin = attrs["margin"]
    me = h["margin_edge"]
    if me >= 0 and edges[me] != margin:
        problem(f"json: margin_edge {me} is {edges[me]!r}, not the margin {margin!r}")
    if me < 0 and edges[0] <= margin <= edges[-1]:
        problem("json: the margin is inside the histogram but no edge")
    diffs = stats["diffs"]
    if not (edges[0] <= min(diffs) and max(diffs) <= edges[-1]):
        problem("json: the histogram does not cover every d_an - d_ap")
    # Recount: bin i holds edges[i] <= x < edges[i+1], the last bin is closed.
    recount = [0] * len(counts)
    for x in diffs:
        for i in range(len(counts)):
            if edges[i] <= x and (x < edges[i + 1] or i == len(counts) - 1):
                recount[i] += 1
                break
    if recount != counts:
        problem(f"json: histogram counts {counts}, recounted {recount}")


def check_svg(path, empty):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        problem(f"svg: not well-formed XML: {e}")
        return
    ns = "{http://www.w3.org/2000/svg}"
    if root.tag != ns + "svg":
        problem(f"svg: root element is {root.tag}, expected {ns}svg")
    texts = ["".join(t.itertext()) for t in root.iter(ns + "text")]
    title = root.find(ns + "title")
    if title is None or "tripminer inspect" not in (title.text or ""):
        problem("svg: no <title> naming tripminer inspect")
    if not any("tripminer inspect" in t and "triplets" in t for t in texts):
        problem("svg: no visible title with strategy, metric and N")
    if not list(root.iter(ns + "rect")):
        problem("svg: no <rect>")
    for el in root.iter():
        tag = el.tag.replace(ns, "")
        if tag in ("script", "image", "foreignObject", "use"):
            problem(f"svg: <{tag}> in a self-contained picture")
        for k, v in el.attrib.items():
            if k.endswith("href") or "url(" in v:
                problem(f"svg: external reference {k}={v!r}")
    if empty:
        if not any("no triplets" in t for t in texts):
            problem("svg: no 'no triplets' note for an empty output")
        return
    if len(list(root.iter(ns + "path"))) < 2:
        problem("svg: expected a <path> for each of d_ap and d_an")
    for word in ("d_ap", "d_an"):
        if not any(t.startswith(word) for t in texts):
            problem(f"svg: no legend text starting with {word}")
    band = [el for el in root.iter() if el.get("id") == "margin-band"]
    if not band:
        problem("svg: no element with id margin-band (the active-loss band)")
    if not any("margin" in t for t in texts):
        problem("svg: the margin is not labelled")
    if not any("active loss" in t for t in texts):
        problem("svg: no 'active loss' legend")
    if sum(1 for t in texts if re.fullmatch(r"-?[0-9.e+-]+", t)) < 6:
        problem("svg: too few numeric tick labels")


def main():
    args = sys.argv[1:]
    if len(args) == 3 and args[0] == "text":
        check_text(args[1], args[2])
    elif len(args) == 3 and args[0] == "json":
        check_json(args[1], args[2])
    elif len(args) in (2, 3) and args[0] == "svg" and args[2:] in ([], ["--empty"]):
        check_svg(args[1], args[2:] == ["--empty"])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
