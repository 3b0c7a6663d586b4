#!/usr/bin/env python3
"""The include graph of the library flows one way.

src/ is cut into layers, lowest first (src/README.md says what each owns):

    base < core < engines < rules < comm < io < run < inspect < app

A file may include headers of its own layer and of the layers below it,
never above. The installed headers (include/tripminer/) belong to the
layer of the code behind them and include only other installed headers.
Prints every violation and the edges between layers; exits 1 on any.
"""
import os
import re
import sys

LAYERS = ["base", "core", "engines", "rules", "comm", "io", "run", "inspect", "app"]
# The installed headers and the layer each one fronts.
PUBLIC = {
    "tripminer/err.h": "base",
    "tripminer/metric.h": "core",
    "tripminer/params.h": "core",
    "tripminer/mine.h": "run",
    "tripminer/inspect.h": "inspect",
    "tripminer/synth.h": "app",
    "tripminer/opts.h": "app",
    "tripminer/cli.h": "app",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(inc):
    if inc in PUBLIC:
        return PUBLIC[inc]
    head = inc.split("/")[0]
    return head if head in LAYERS else None


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else "."
    bad = []
    edges = {}
    src = os.path.join(top, "src")
    for root, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)
            mine = rel.split(os.sep)[0]
            if mine not in LAYERS:
                bad.append(f"{rel}: not in a layer folder ({', '.join(LAYERS)})")
                continue
            with open(path, encoding="utf-8") as f:
                for inc in INCLUDE.findall(f.read()):
                    theirs = layer_of(inc)
                    if inc.startswith("tripminer/") and inc not in PUBLIC:
                        bad.append(f"src/{rel}: includes {inc}, which is not installed")
                    if theirs is None:
                        continue
                    if theirs != mine:
                        edges[(mine, theirs)] = edges.get((mine, theirs), 0) + 1
                    if LAYERS.index(theirs) > LAYERS.index(mine):
                        bad.append(f"src/{rel} ({mine}) includes {inc} ({theirs}, a layer above)")
    pub = os.path.join(top, "include", "tripminer")
    for name in sorted(os.listdir(pub)):
        key = "tripminer/" + name
        if key not in PUBLIC:
            bad.append(f"include/{key}: installed but not listed in tests/layers.py")
            continue
        with open(os.path.join(pub, name), encoding="utf-8") as f:
            for inc in INCLUDE.findall(f.read()):
                if inc not in PUBLIC:
                    bad.append(f"include/{key} includes {inc}, which is not installed")
                elif LAYERS.index(PUBLIC[inc]) > LAYERS.index(PUBLIC[key]):
                    bad.append(f"include/{key} includes {inc}, a layer above")
    for (a, b), n in sorted(edges.items(), key=lambda e: (LAYERS.index(e[0][0]), LAYERS.index(e[0][1]))):
        print(f"layers: {a:8s} -> {b:8s} {n:3d} includes")
    for line in bad:
        print("layers: VIOLATION " + line)
    print(f"layers: {len(bad)} violations")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
