#!/usr/bin/python3
"""The values of a partitioned run (docs/contract.md, "Partitions") where
tripminer shows them: the root attributes of a mining output or of an eval
report, the --json summary of mine or eval, their text summary, and the
text, JSON and SVG of `tripminer inspect`. Used by tests/inspect.sh; the
function words() by tests/eval.py too.

  parts_check.py mine OUT.h5 SUMMARY.txt SUMMARY.json INSPECT.txt INSPECT.json INSPECT.svg
  parts_check.py eval REPORT.h5 SUMMARY.txt SUMMARY.json INSPECT.txt INSPECT.json INSPECT.svg
      the file has every one of the values, and the others agree with it
  parts_check.py absent FILE.h5 TEXT... (files of inspect or of a summary)
      the file has none of the values, and no text names them

SUMMARY.txt is the text summary of the run that wrote the file,
SUMMARY.json its --json (of a run with the same options). Needs h5py
(Debian's /usr/bin/python3). Prints one line per problem; exits 1 if
there is any.
"""

import json
import math
import os
import re
import sys
import xml.etree.ElementTree as ET

try:
    import h5py
except ImportError as exc:
    sys.exit(f"parts_check: error: {sys.executable} cannot import h5py ({exc})")

# The attributes and --json keys of a partitioned run, with their HDF5 class.
INTS = ("partitions", "probe", "check_anchors", "certified_anchors")
FLOATS = ("check_identical", "check_recall")
NAMES = ("partitions", "probe", "partition_seed", "check_anchors", "check_identical",
         "check_recall", "certified_anchors")
# Words that only a partitioned run's lines hold.
WORDS = ("partition", "probe", "check_anchors", "check_identical", "check_recall",
         "certified")
SVG_NS = "{http://www.w3.org/2000/svg}"

problems = []


def problem(msg):
    problems.append(msg)


def fraction(x, scale, dec):
    """As io/format.c's fraction_words: below 1 never shown as all, above 0 never as none."""
    if math.isnan(x):
        return "n/a"
    text = f"{x * scale:.{dec}f}"
    if x < 1.0 and float(text) >= scale:
        return f"> {scale - 10.0 ** -dec:.{dec}f}"
    if x > 0.0 and float(text) <= 0.0:
        return f"< {10.0 ** -dec:.{dec}f}"
    return text


def words(v, unit):
    """The words of tm_parts_words for the values v (a dict by attribute name)."""
    head = f"{v['partitions']}, probe {v['probe']}; check: "
    tail = f"; {v['certified_anchors']} certified"
    if v["check_anchors"] <= 0:
        return head + "none (--check 0)" + tail
    return (head + f"{v['check_anchors']} {unit}, "
            f"{fraction(v['check_identical'], 100.0, 1)} % identical, "
            f"recall {fraction(v['check_recall'], 1.0, 3)}" + tail)


def same(a, b):
    """JSON value a (null for NaN) against the attribute b."""
    if a is None:
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, float) or isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or float(a) == float(b)
    return type(a) is type(b) and a == b


def read_values(path):
    """The values as the file's root attributes hold them, their types checked."""
    v = {}
    with h5py.File(path, "r") as f:
        for name in NAMES:
            if name not in f.attrs:
                problem(f"{path}: no root attribute {name}")
                continue
            aid = h5py.h5a.open(f.id, name.encode())
            typ = aid.get_type()
            if aid.get_space().get_simple_extent_type() != h5py.h5s.SCALAR:
                problem(f"{path}: attribute {name} is not a scalar")
            if name in FLOATS:
                ok = typ.get_class() == h5py.h5t.FLOAT and typ.get_size() == 8
                want = "float64"
            else:
                sign = h5py.h5t.SGN_NONE if name == "partition_seed" else h5py.h5t.SGN_2
                ok = (typ.get_class() == h5py.h5t.INTEGER and typ.get_size() == 8
                      and typ.get_sign() == sign)
                want = "uint64" if name == "partition_seed" else "int64"
            if not ok:
                problem(f"{path}: attribute {name} is not a {want}")
            v[name] = f.attrs[name].item()
    return v


def check_values(path, v, unit):
    """What a partitioned run's values must be, whatever the data."""
    if len(v) != len(NAMES):
        return
    if not (v["partitions"] >= 1 and 1 <= v["probe"] <= v["partitions"]):
        problem(f"{path}: partitions {v['partitions']}, probe {v['probe']}")
    if v["check_anchors"] > 0:
        for k in FLOATS:
            if not (math.isnan(v[k]) or 0.0 <= v[k] <= 1.0):
                problem(f"{path}: {k} is {v[k]!r}, not a fraction")
    if v["certified_anchors"] < 0:
        problem(f"{path}: certified_anchors is {v['certified_anchors']}")
    print(f"{path}: {words(v, unit)}")


def check_summary_text(path, v, unit, width):
    """One line of the text summary: the label, padded, then the words."""
    want = "  " + "partitions".ljust(width) + " " + words(v, unit)
    lines = open(path, encoding="utf-8").read().splitlines()
    if want not in lines:
        got = [line for line in lines if "partitions" in line]
        problem(f"{path}: no line {want!r} (lines with partitions: {got!r})")


def check_json_keys(path, v, where):
    """The values as keys of the JSON object (or its member where)."""
    obj = json.load(open(path, encoding="utf-8"))
    for key in where:
        obj = obj.get(key, {})
    for name in NAMES:
        if name not in obj:
            problem(f"{path}: no key {name}")
        elif not same(obj[name], v[name]):
            problem(f"{path}: {name} is {obj[name]!r}, the attribute {v[name]!r}")


def check_inspect_text(path, v, unit, width):
    """inspect's list of the attributes, and its line of words."""
    text = open(path, encoding="utf-8").read()
    for name in NAMES:
        m = re.search(r"^  " + name + r" +(\S+)$", text, re.M)
        if not m:
            problem(f"{path}: no attribute line for {name}")
        elif not same(float(m.group(1)) if name in FLOATS else int(m.group(1)), v[name]):
            if not (name in FLOATS and math.isclose(float(m.group(1)), v[name], rel_tol=1e-9)):
                problem(f"{path}: {name} is {m.group(1)}, the attribute {v[name]!r}")
    check_summary_text(path, v, unit, width)


def check_svg(path, v, unit):
    root = ET.parse(path).getroot()
    want = "partitions: " + words(v, unit)
    texts = {el.get("id"): "".join(el.itertext()) for el in root.iter(SVG_NS + "text")}
    if texts.get("partitions") != want:
        problem(f"{path}: the caption is {texts.get('partitions')!r}, not {want!r}")


def check_present(kind, args):
    h5, summary, summary_json, text, js, svg = args
    # The label's width before the words: mine's summary, eval's and inspect's lines.
    unit, width, inspect_width = ("anchors", 16, 17) if kind == "mine" else ("queries", 28, 28)
    v = read_values(h5)
    if len(v) != len(NAMES):
        return
    check_values(h5, v, unit)
    check_summary_text(summary, v, unit, width)
    check_json_keys(summary_json, v, ())
    check_inspect_text(text, v, unit, inspect_width)
    check_json_keys(js, v, ("attributes",))
    check_svg(svg, v, unit)


def check_absent(args):
    h5, texts = args[0], args[1:]
    with h5py.File(h5, "r") as f:
        have = sorted(set(NAMES) & set(f.attrs))
    if have:
        problem(f"{h5}: attributes of a partitioned run without --partitions: {have}")
    # The folder of the files (in the texts' paths) may hold any word.
    folders = {os.path.dirname(h5), os.path.dirname(os.path.abspath(h5))} - {""}
    for path in texts:
        text = open(path, encoding="utf-8").read()
        for folder in sorted(folders, key=len, reverse=True):
            text = text.replace(folder, "DIR")
        found = [w for w in WORDS if w in text]
        if found:
            problem(f"{path}: names {found} without --partitions")


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("mine", "eval", "absent"):
        sys.exit(__doc__)
    kind, args = sys.argv[1], sys.argv[2:]
    if kind == "absent":
        check_absent(args)
    elif len(args) != 6:
        sys.exit(__doc__)
    else:
        check_present(kind, args)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
