#!/usr/bin/env python3
"""The include graph of the library flows one way, and only rules/ knows the
strategies by name.

src/ is cut into layers, lowest first (src/README.md says what each owns,
and names every source file in its layer's row: checked here too):

    base < core < engines < rules < comm < io < run < inspect < app

A file may include headers of its own layer and of the layers below it,
never above. The installed headers (include/tripminer/) belong to the
layer of the code behind them and include only other installed headers.

Outside src/rules/, no file compares a string literal that spells a mining
strategy (a RULE(NAME) line of src/rules/registry.c) with strcmp or its
kin: code that must tell rules apart asks the rule (rules/rule.h), not its
name. (eval's rule is left out: "eval" is also a command's name, which
app/ compares as such.)

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
# A strategy of the registry: a line RULE(NAME), as tests/CMakeLists.txt reads them.
STRATEGY = re.compile(r"^\s+RULE\(([a-z0-9_]+)\)", re.M)
# A call of strcmp, strncmp, strcasecmp or strncasecmp, up to the end of its statement.
COMPARE = re.compile(r"\bstr(?:n)?(?:case)?cmp\s*\(([^;{}]*)")
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def strategies(src):
    with open(os.path.join(src, "rules", "registry.c"), encoding="utf-8") as f:
        return set(STRATEGY.findall(f.read()))


def compared_names(text, names):
    """The strategy names text compares as string literals, with their lines."""
    found = []
    for call in COMPARE.finditer(text):
        for lit in LITERAL.findall(call.group(1)):
            if lit in names:
                found.append((text.count("\n", 0, call.start()) + 1, lit))
    return found


# A row of src/README.md's table: | `layer/` | what it owns | may include |
README_ROW = re.compile(r"^\|\s*`([a-z]+)/`\s*\|(.*)\|([^|]*)\|\s*$", re.M)
NAMED = re.compile(r"`([A-Za-z0-9_./]+)`")


def readme_rows(top):
    """Per layer, the names src/README.md gives in its row, and what it says the layer may include."""
    rows = {}
    with open(os.path.join(top, "src", "README.md"), encoding="utf-8") as f:
        for layer, owns, may in README_ROW.findall(f.read()):
            rows[layer] = (set(NAMED.findall(owns)), may.strip())
    return rows


def unlisted(src, rows):
    """Source files the map leaves out: every .c, and every .h without a .c beside it,
    must be named in its layer's row (as `name.c` or `layer/name.c`)."""
    bad = []
    for layer in LAYERS:
        folder = os.path.join(src, layer)
        if not os.path.isdir(folder):
            continue
        if layer not in rows:
            bad.append(f"src/README.md: no row for the layer {layer}/")
            continue
        named = rows[layer][0]
        files = sorted(os.listdir(folder))
        for name in files:
            stem, ext = os.path.splitext(name)
            if ext == ".h" and stem + ".c" in files:
                continue
            if ext in (".c", ".h") and name not in named and f"{layer}/{name}" not in named:
                bad.append(f"src/{layer}/{name}: not named in its row of src/README.md")
    return bad


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
    names = strategies(src)
    if not names:
        bad.append("src/rules/registry.c: no RULE(NAME) line found")
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
                text = f.read()
            if mine != "rules":
                for line, lit in compared_names(text, names):
                    bad.append(f"src/{rel}:{line}: compares the strategy name \"{lit}\" "
                               "(ask the rule, rules/rule.h)")
            for inc in INCLUDE.findall(text):
                theirs = layer_of(inc)
                if inc.startswith("tripminer/") and inc not in PUBLIC:
                    bad.append(f"src/{rel}: includes {inc}, which is not installed")
                if theirs is None:
                    continue
                if theirs != mine:
                    edges[(mine, theirs)] = edges.get((mine, theirs), 0) + 1
                if LAYERS.index(theirs) > LAYERS.index(mine):
                    bad.append(f"src/{rel} ({mine}) includes {inc} ({theirs}, a layer above)")
    rows = readme_rows(top)
    bad += unlisted(src, rows)
    # The map's "may include" column is true: every edge is one it allows.
    for (a, b) in sorted(edges):
        may = rows.get(a, (None, ""))[1]
        if may not in ("all above", "everything") and b not in re.findall(r"[a-z]+", may):
            bad.append(f"src/{a}/ includes {b}/, which its row of src/README.md does not allow")
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
