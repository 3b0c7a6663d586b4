#!/usr/bin/python3
"""Tests of `tripminer eval` against the naive reference in tests/eval_ref.py.

Every case builds its input files here with h5py and NumPy (fixed seeds) and
runs `$MPIEXEC -n NP $TRIPMINER eval ... --chunk C --threads T --json` for
every (NP, C, T) in RUNS, each under a timeout (a hang
is a failure). Each run must exit 0, leave only REPORT.h5 in its directory
(no temporary file) and print one JSON object on stdout that agrees with the
file. The first report of a case is checked in full against eval_ref.py:
the root attributes (presence, HDF5 type, value), the groups by_class,
suspects and confusions (member names, types, lengths, values); integers
exactly, the four metrics to METRIC_ATOL, distances and gaps to DIST_RTOL
(relative; DIST_ATOL absolute near zero). Every other report of the case must
be identical to it: same objects, same attributes, same bytes.

Cases:
  a-basic               60 rows, D=5, 6 labels, default metric, --by-class,
                        default --suspects
  b-singletons          some labels held by one row (queries without positive)
  c-one-class           one label: every candidate positive, no suspects, no
                        confusions
  d-ties                rows from a pool of 8 distinct vectors with exact
                        dyadic entries: many exactly equal distances, ties
                        broken by the candidate index
  e-reference           --reference, a 40-row file (datasets feats, ids) whose
                        labels partly overlap the queries' (some query labels
                        absent from it, some of its labels absent from the
                        queries)
  f-cosine-normalize    cosine with --normalize, rows of very different norms
                        and one zero row
  f-euclidean-normalize euclidean with --normalize, against a reference that
                        is normalised too; --suspects 0
  g-float64             float64 embeddings (read as float32), int32 labels
                        with negative values, non-default dataset names
a partitioned run, p-partitions: on `tripminer synth -n 2000 -d 16 -c 50`,
`eval --partitions 10 --probe 2 --check 200` on 1 and 2 ranks (identical
reports) must write the values of the partitions and of the check as root
attributes of their types, print them under the same names with --json
and in one line of the text summary (tests/parts_check.py's words); with
--probe 10 (every partition) the check finds everything (1.0, 1.0) and
every query is certified; and the same eval without --partitions has none
of these attributes, keys or lines;
and one failure: on a 3000-row input with one class of 2500 rows, D=4,
`--mem-limit MEM_LIMIT` must exit with status 1, print exactly one
"tripminer: error:" line matching MEM_ERROR_PATTERNS, and leave nothing in the
output directory; the same input without --mem-limit must succeed.

Environment: TRIPMINER (the executable, required), MPIEXEC (default
mpirun), MPIEXEC_PREFLAGS, TM_KEEP=1 to keep the work directory, TM_TIMEOUT
(seconds per run, default 120), TM_ONLY (a regular expression: run only the
cases whose names match it, e.g. 'd-ties|mem-limit'). With an Open MPI launcher, --oversubscribe
and --bind-to none are added unless MPIEXEC_PREFLAGS has them.
Run it with Debian's /usr/bin/python3: a missing h5py or NumPy is a
failure, not a skip (scripts/install-deps.sh installs both).
"""

import json
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as exc:
    sys.exit(f"eval: error: {sys.executable} cannot import h5py and numpy "
             f"({exc}); run scripts/install-deps.sh")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_ref  # noqa: E402  (tests/eval_ref.py, beside this file)
import parts_check  # noqa: E402  (tests/parts_check.py: the words of a partitioned run)

# --- Knobs -----------------------------------------------------------------

# (NP, --chunk, --threads) of every case's runs: each rank count, each chunk
# size and both thread counts appear, without running the whole product.
RUNS = ((1, 1000, 1), (1, 1, 2), (2, 3, 1), (2, 1000, 2), (3, 1, 1), (3, 3, 2),
        (4, 1000, 1), (4, 1, 2))
# TM_EVAL_RUNS="NP,C,T NP,C,T ...": another list (the sanitizer stage's is short).
if os.environ.get("TM_EVAL_RUNS"):
    RUNS = tuple(tuple(int(x) for x in run.split(",")) for run in os.environ["TM_EVAL_RUNS"].split())
TIMEOUT = int(os.environ.get("TM_TIMEOUT") or 120)
METRIC_ATOL = 1e-12  # the four metrics, per class and overall
DIST_RTOL = 1e-9     # suspects' distances and gaps, relative...
DIST_ATOL = 1e-12    # ...or absolute, for values at or near zero

# The memory failure: adapt the limit and the expected message here.
MEM_LIMIT = "4M"
MEM_ROWS, MEM_DIM, MEM_BIG_CLASS = 3000, 4, 2500
MEM_NPS = (1, 2)
# Each must match the one "tripminer: error:" line (case-insensitive).
MEM_ERROR_PATTERNS = (r"--mem-limit", r"largest class holds R = 2499")

# Root attributes a report may have beyond the contract's (none so far).
EXTRA_ATTRS = ()

MEANS = eval_ref.MEANS
AVGS = tuple("avg_of_avgs_" + m for m in MEANS)
ROOT_INTS = ("num_queries", "num_candidates", "queries_without_positive", "suspects")
ROOT_STRINGS = ("metric", "input", "reference")
JSON_KEYS = (("num_queries", "num_candidates", "queries_without_positive") + MEANS +
             ("output", "kernel", "rechecked"))
HELP_OPTIONS = ("-i", "--embeddings", "--labels", "--reference", "--ref-embeddings",
                "--ref-labels", "-m", "--normalize", "-o", "--force", "--json",
                "--by-class", "--suspects", "--chunk", "--threads", "--mem-limit", "--kernel")
GROUPS = {
    "by_class": (eval_ref.CLASS_INTS, MEANS),
    "suspects": (eval_ref.SUSPECT_INTS, eval_ref.SUSPECT_FLOATS),
    "confusions": (eval_ref.CONFUSION_INTS, ()),
}
REPORT = "report.h5"

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


# --- Running ---------------------------------------------------------------


def launch(cmd, env):
    """Run cmd in its own process group; (status, stdout, stderr), or None
    after a hang (the group is then killed)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.communicate(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
        return None
    return proc.returncode, out, err


def tail(text, n=12):
    """The last n lines of text, for failure messages."""
    lines = text.strip().splitlines()
    return "\n".join((["..."] if len(lines) > n else []) + lines[-n:])


def launcher():
    mpiexec = os.environ.get("MPIEXEC") or "mpirun"
    pre = shlex.split(os.environ.get("MPIEXEC_PREFLAGS", ""))
    if os.path.basename(mpiexec) in ("mpirun", "mpiexec", "orterun"):
        if "--oversubscribe" not in pre:
            pre.append("--oversubscribe")
        if not any(p == "--bind-to" or p.startswith("--bind-to=") for p in pre):
            pre += ["--bind-to", "none"]
    return mpiexec, pre


# --- Inputs ----------------------------------------------------------------


def write_set(path, x, y, emb="embeddings", lab="labels"):
    with h5py.File(path, "w") as f:
        f[emb] = x
        f[lab] = y


def clustered(rng, labels, dim, spread=1.5):
    """Rows around one centre per label, so that the metrics are neither 0 nor 1."""
    centres = {int(c): rng.standard_normal(dim) * spread for c in np.unique(labels)}
    return np.array([centres[int(c)] for c in labels]) + rng.standard_normal((len(labels), dim))


def case_a(d):
    rng = np.random.default_rng(101)
    y = rng.permutation(np.repeat(np.arange(6), 10)).astype(np.int64)
    inp = os.path.join(d, "a.h5")
    write_set(inp, clustered(rng, y, 5).astype(np.float32), y)
    return {"input": inp, "by_class": True}


def case_b(d):
    rng = np.random.default_rng(102)
    y = np.concatenate([rng.integers(0, 4, size=44), np.arange(10, 16)])
    y = rng.permutation(y).astype(np.int64)
    inp = os.path.join(d, "b.h5")
    write_set(inp, clustered(rng, y, 6).astype(np.float32), y)
    return {"input": inp, "metric": "euclidean", "by_class": True, "suspects": 12,
            "expect_without_positive": 6}


def case_c(d):
    rng = np.random.default_rng(103)
    inp = os.path.join(d, "c.h5")
    write_set(inp, rng.standard_normal((30, 3)).astype(np.float32), np.full(30, 7, np.int64))
    return {"input": inp, "by_class": True, "expect_no_suspects": True}


def case_d(d):
    rng = np.random.default_rng(104)
    while True:  # 8 distinct vectors with entries in {-1, -0.5, 0, 0.5, 1}
        pool = rng.integers(-2, 3, size=(8, 4)) / 2.0
        if len(np.unique(pool, axis=0)) == 8:
            break
    pick = rng.permutation(np.concatenate([np.arange(8), rng.integers(0, 8, size=40)]))
    y = rng.integers(0, 4, size=48).astype(np.int64)
    inp = os.path.join(d, "d.h5")
    write_set(inp, pool[pick].astype(np.float32), y)
    return {"input": inp, "metric": "sqeuclidean", "by_class": True, "suspects": 7}


def case_e(d):
    rng = np.random.default_rng(105)
    qy = rng.integers(0, 8, size=50).astype(np.int64)
    ry = rng.choice(np.array([0, 1, 2, 3, 4, 20, 21]), size=40).astype(np.int32)
    centres = {c: rng.standard_normal(6) * 1.5 for c in list(range(8)) + [20, 21]}
    qx = np.array([centres[int(c)] for c in qy]) + rng.standard_normal((50, 6))
    rx = np.array([centres[int(c)] for c in ry]) + rng.standard_normal((40, 6))
    inp, ref = os.path.join(d, "e-queries.h5"), os.path.join(d, "e-reference.h5")
    write_set(inp, qx.astype(np.float32), qy)
    write_set(ref, rx.astype(np.float32), ry, emb="feats", lab="ids")
    return {"input": inp, "reference": ref, "ref_emb": "feats", "ref_lab": "ids",
            "by_class": True, "suspects": 5, "expect_without_positive": int((qy >= 5).sum())}


def scaled(rng, y, dim):
    """Clustered rows, each multiplied by a factor between 0.01 and 100."""
    return clustered(rng, y, dim) * np.exp(rng.uniform(math.log(0.01), math.log(100),
                                                       size=(len(y), 1)))


def case_f_cosine(d):
    rng = np.random.default_rng(106)
    y = rng.integers(0, 5, size=45).astype(np.int64)
    x = scaled(rng, y, 5)
    x[3] = 0.0
    inp = os.path.join(d, "f-cos.h5")
    write_set(inp, x.astype(np.float32), y)
    return {"input": inp, "metric": "cosine", "normalize": True, "by_class": True,
            "suspects": 10}


def case_f_euclidean(d):
    rng = np.random.default_rng(107)
    y = rng.integers(0, 5, size=45).astype(np.int64)
    ry = rng.integers(0, 5, size=30).astype(np.int64)
    x, rx = scaled(rng, y, 5), scaled(rng, ry, 5)
    x[10] = 0.0
    inp, ref = os.path.join(d, "f-euc.h5"), os.path.join(d, "f-euc-reference.h5")
    write_set(inp, x.astype(np.float32), y)
    write_set(ref, rx.astype(np.float32), ry)
    return {"input": inp, "reference": ref, "metric": "euclidean", "normalize": True,
            "suspects": 0, "expect_no_suspects": True}


def case_g(d):
    rng = np.random.default_rng(108)
    y = rng.integers(-3, 3, size=40).astype(np.int32)
    x = clustered(rng, y, 7)  # float64 values, most not float32 ones
    inp = os.path.join(d, "g.h5")
    write_set(inp, x.astype(np.float64), y, emb="emb64", lab="ids")
    return {"input": inp, "emb": "emb64", "lab": "ids", "metric": "euclidean",
            "by_class": True}


CASES = (("a-basic", case_a), ("b-singletons", case_b), ("c-one-class", case_c),
         ("d-ties", case_d), ("e-reference", case_e), ("f-cosine-normalize", case_f_cosine),
         ("f-euclidean-normalize", case_f_euclidean), ("g-float64", case_g))


def eval_options(spec):
    """The command-line options of a case (besides -i, -o, --chunk, --threads)."""
    opts = []
    if spec.get("emb"):
        opts += ["--embeddings", spec["emb"]]
    if spec.get("lab"):
        opts += ["--labels", spec["lab"]]
    if spec.get("reference"):
        opts += ["--reference", spec["reference"]]
        if spec.get("ref_emb"):
            opts += ["--ref-embeddings", spec["ref_emb"]]
        if spec.get("ref_lab"):
            opts += ["--ref-labels", spec["ref_lab"]]
    if spec.get("metric"):
        opts += ["-m", spec["metric"]]
    if spec.get("normalize"):
        opts.append("--normalize")
    if spec.get("by_class"):
        opts.append("--by-class")
    if spec.get("suspects") is not None:
        opts += ["--suspects", str(spec["suspects"])]
    return opts


def expected(spec):
    """eval_ref's answer for a case."""
    return eval_ref.reference(
        spec["input"], reference_path=spec.get("reference"),
        metric=spec.get("metric") or "sqeuclidean", normalize=bool(spec.get("normalize")),
        by_class=bool(spec.get("by_class")),
        suspects=100 if spec.get("suspects") is None else spec["suspects"],
        emb=spec.get("emb") or "embeddings", lab=spec.get("lab") or "labels",
        ref_emb=spec.get("ref_emb") or "embeddings", ref_lab=spec.get("ref_lab") or "labels")


# --- Checking a report -----------------------------------------------------


def same_float(a, b, rtol, atol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)


def check_attr_type(f, name, kind, tag):
    aid = h5py.h5a.open(f.id, name.encode())
    typ = aid.get_type()
    ok = check(aid.get_space().get_simple_extent_type() == h5py.h5s.SCALAR,
               f"{tag}: attribute {name} is not a scalar")
    if kind == "str":
        ok &= check(isinstance(typ, h5py.h5t.TypeStringID) and typ.is_variable_str()
                    and typ.get_cset() == h5py.h5t.CSET_UTF8,
                    f"{tag}: attribute {name} is not a variable-length UTF-8 string")
        ok &= check(isinstance(f.attrs[name], str), f"{tag}: attribute {name} is not a str")
    elif kind == "float":
        ok &= check(typ.get_class() == h5py.h5t.FLOAT and typ.get_size() == 8,
                    f"{tag}: attribute {name} is not a float64")
    else:
        ok &= check(typ.get_class() == h5py.h5t.INTEGER and typ.get_size() == 8
                    and typ.get_sign() == h5py.h5t.SGN_2,
                    f"{tag}: attribute {name} is not an int64")
    return ok


def check_report(tag, path, spec, want):
    """The whole report against eval_ref's answer; returns its root attributes."""
    before = len(failures)
    wa = want["attrs"]
    kinds = {name: "int" for name in ROOT_INTS}
    kinds.update({name: "float" for name in MEANS})
    kinds.update({"metric": "str", "input": "str", "version": "str", "normalize": "int"})
    if spec.get("reference"):
        kinds["reference"] = "str"
    if spec.get("by_class"):
        kinds.update({name: "float" for name in AVGS})
    attrs = {}
    with h5py.File(path, "r") as f:
        have = set(f.attrs.keys())
        missing = sorted(set(kinds) - have)
        extra = sorted(have - set(kinds) - set(EXTRA_ATTRS))
        check(not missing and not extra,
              f"{tag}: root attributes: missing {missing}, not in the contract {extra}")
        for name in sorted(set(kinds) & have):
            if check_attr_type(f, name, kinds[name], tag):
                v = f.attrs[name]
                attrs[name] = v if isinstance(v, str) else v.item()
        groups = set(GROUPS) if spec.get("by_class") else {"suspects", "confusions"}
        check(set(f.keys()) == groups,
              f"{tag}: root members are {sorted(f.keys())}, expected {sorted(groups)}")
        tables = {}
        for g in sorted(groups & set(f.keys())):
            if not check(isinstance(f[g], h5py.Group), f"{tag}: {g} is not a group"):
                continue
            ints, floats = GROUPS[g]
            check(set(f[g].keys()) == set(ints + floats),
                  f"{tag}: /{g} holds {sorted(f[g].keys())}, expected {sorted(ints + floats)}")
            lengths = set()
            tables[g] = {}
            for name in ints + floats:
                if name not in f[g] or not isinstance(f[g][name], h5py.Dataset):
                    continue
                ds = f[g][name]
                kind = "i" if name in ints else "f"
                check(ds.ndim == 1, f"{tag}: /{g}/{name} has shape {ds.shape}, not 1-D")
                check(ds.dtype.kind == kind and ds.dtype.itemsize == 8,
                      f"{tag}: /{g}/{name} has type {ds.dtype}, not "
                      f"{'int64' if kind == 'i' else 'float64'}")
                lengths.add(ds.shape)
                tables[g][name] = ds[...].reshape(-1).tolist()
            check(len(lengths) <= 1, f"{tag}: the datasets of /{g} differ in length: "
                  f"{sorted(lengths)}")

    # Root values.
    for name, kind in kinds.items():
        if name not in attrs or name == "version":
            continue
        if name == "normalize":
            check(attrs[name] == int(bool(spec.get("normalize"))),
                  f"{tag}: attribute normalize is {attrs[name]!r}")
            continue
        got, exp = attrs[name], wa[name]
        if kind == "float":
            check(same_float(got, exp, 0.0, METRIC_ATOL),
                  f"{tag}: attribute {name} is {got!r}, eval_ref {exp!r}")
        else:
            check(got == exp, f"{tag}: attribute {name} is {got!r}, eval_ref {exp!r}")
    if "expect_without_positive" in spec:  # the case is built as its name says
        check(wa["queries_without_positive"] == spec["expect_without_positive"],
              f"{tag}: eval_ref finds {wa['queries_without_positive']} queries without "
              f"positive, the case was built with {spec['expect_without_positive']}")
    if spec.get("expect_no_suspects"):
        check(not want["suspects"]["query"], f"{tag}: eval_ref finds suspects")

    # Tables.
    for g, table in tables.items():
        ints, floats = GROUPS[g]
        for name in ints:
            if name in table:
                got, exp = table[name], want[g][name]
                check(got == exp, f"{tag}: /{g}/{name} is {brief(got)}, eval_ref {brief(exp)}")
        for name in floats:
            if name not in table:
                continue
            got, exp = table[name], want[g][name]
            if not check(len(got) == len(exp),
                         f"{tag}: /{g}/{name} has {len(got)} values, eval_ref {len(exp)}"):
                continue
            rtol, atol = (0.0, METRIC_ATOL) if name in MEANS else (DIST_RTOL, DIST_ATOL)
            for i, (a, b) in enumerate(zip(got, exp)):
                if not check(same_float(a, b, rtol, atol),
                             f"{tag}: /{g}/{name}[{i}] is {a!r}, eval_ref {b!r}"):
                    break
    return attrs if len(failures) == before else None


def brief(values, n=12):
    s = ", ".join(repr(v) for v in values[:n])
    return f"[{s}{', ...' if len(values) > n else ''}] ({len(values)} values)"


def check_json(tag, stdout, out, path):
    """The --json summary: one JSON object on stdout, agreeing with the file."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not check(len(lines) == 1, f"{tag}: --json printed {len(lines)} lines on stdout, "
                 f"not one: {stdout[:400]!r}"):
        return
    try:
        summary = json.loads(lines[0])
    except ValueError as exc:
        check(False, f"{tag}: --json printed no JSON object ({exc}): {lines[0][:400]!r}")
        return
    if not check(isinstance(summary, dict), f"{tag}: --json printed {type(summary).__name__}, "
                 "not an object"):
        return
    missing = [k for k in JSON_KEYS if k not in summary]
    check(not missing, f"{tag}: --json lacks {missing}")
    check(summary.get("output", out) == out,
          f"{tag}: --json output is {summary.get('output')!r}, not {out!r}")
    with h5py.File(path, "r") as f:
        attrs = {k: (v if isinstance(v, str) else np.asarray(v).item())
                 for k, v in f.attrs.items()}
    for k, v in summary.items():
        if k not in attrs:
            continue
        a = attrs[k]
        if isinstance(a, float) and isinstance(v, (int, float)) and not isinstance(v, bool):
            ok = (math.isnan(a) and math.isnan(v)) or float(v) == a
        else:
            ok = type(v) is type(a) and v == a
        check(ok, f"{tag}: --json {k} is {v!r}, the attribute {a!r}")


def snapshot(path):
    """Every object, attribute and byte of an HDF5 file, for exact comparison."""
    items = {}

    def value(v):
        if isinstance(v, (str, bytes)):
            return (type(v).__name__, v)
        a = np.asarray(v)
        return ("array", a.dtype.str, a.shape, a.tobytes())

    def take_attrs(obj, name):
        for k in obj.attrs:
            items[f"{name}@{k}"] = value(obj.attrs[k])

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            items[name] = ("dataset", obj.dtype.str, obj.shape, obj[...].tobytes())
        else:
            items[name] = ("group",)
        take_attrs(obj, name)

    with h5py.File(path, "r") as f:
        take_attrs(f, "/")
        f.visititems(visit)
    return items


def differences(a, b):
    keys = sorted(set(a) | set(b))
    return [k for k in keys if a.get(k) != b.get(k)]


# --- The cases -------------------------------------------------------------


def run_case(name, build, work, tripminer, mpiexec, pre, env):
    before = len(failures)
    d = os.path.join(work, name)
    os.makedirs(d)
    spec = build(d)
    want = expected(spec)
    opts = eval_options(spec)
    first = None  # (tag, snapshot) of the first report checked
    runs = 0
    for nprocs, chunk, threads in RUNS:
        tag = f"{name} np {nprocs} chunk {chunk} threads {threads}"
        outdir = os.path.join(d, f"np{nprocs}-chunk{chunk}-t{threads}")
        os.makedirs(outdir)
        out = os.path.join(outdir, REPORT)
        cmd = [mpiexec, "-n", str(nprocs), *pre, tripminer, "eval", "-i", spec["input"],
               *opts, "-o", out, "--chunk", str(chunk), "--threads", str(threads),
               "--json"]
        res = launch(cmd, env)
        runs += 1
        if not check(res is not None,
                     f"{tag}: hang, killed after {TIMEOUT} s: {shlex.join(cmd)}"):
            continue
        status, stdout, stderr = res
        if not check(status == 0, f"{tag}: exit status {status}: {shlex.join(cmd)}\n"
                     f"{tail(stderr)}"):
            continue
        left = sorted(os.listdir(outdir))
        check(left == [REPORT], f"{tag}: the output directory holds {left}, "
              f"expected [{REPORT!r}]")
        if not check(os.path.isfile(out), f"{tag}: no {out}"):
            continue
        check_json(tag, stdout, out, out)
        snap = snapshot(out)
        if first is None:
            attrs = check_report(tag, out, spec, want)
            first = (tag, snap)
            if attrs is None:
                print(f"  {tag}: differs from eval_ref ({shlex.join(cmd)})")
        else:
            diff = differences(first[1], snap)
            check(not diff, f"{tag}: the report differs from that of {first[0]} in "
                  f"{', '.join(diff[:10])}{' ...' if len(diff) > 10 else ''}")
    at = want["attrs"]
    print(f"{name}: {runs} runs, {at['num_queries']} queries x {at['num_candidates']} "
          f"candidates, {at['queries_without_positive']} without positive, "
          f"P@1 {at['precision_at_1']:.4f} MAP@R {at['mean_average_precision_at_r']:.4f} "
          f"MRR {at['mean_reciprocal_rank']:.4f}, {len(want['suspects']['query'])} suspects, "
          f"{len(want['confusions']['count'])} confusion pairs: "
          f"{'ok' if len(failures) == before else 'FAILED'}")


def run_mem_limit(work, tripminer, mpiexec, pre, env):
    before = len(failures)
    d = os.path.join(work, "mem-limit")
    os.makedirs(d)
    rng = np.random.default_rng(109)
    rest = MEM_ROWS - MEM_BIG_CLASS
    y = rng.permutation(np.concatenate([np.zeros(MEM_BIG_CLASS, np.int64),
                                        1 + np.arange(rest) % 50])).astype(np.int64)
    inp = os.path.join(d, "big-class.h5")
    write_set(inp, rng.standard_normal((MEM_ROWS, MEM_DIM)).astype(np.float32), y)
    for nprocs in MEM_NPS:
        tag = f"mem-limit np {nprocs}"
        outdir = os.path.join(d, f"np{nprocs}")
        os.makedirs(outdir)
        cmd = [mpiexec, "-n", str(nprocs), *pre, tripminer, "eval", "-i", inp,
               "-o", os.path.join(outdir, REPORT), "--mem-limit", MEM_LIMIT]
        res = launch(cmd, env)
        if not check(res is not None, f"{tag}: hang, killed after {TIMEOUT} s: {shlex.join(cmd)}"):
            continue
        status, _, stderr = res
        check(status == 1, f"{tag}: exit status {status}, expected 1: {shlex.join(cmd)}\n"
              f"{tail(stderr)}")
        errors = [line for line in stderr.splitlines() if line.startswith("tripminer: error:")]
        if check(len(errors) == 1, f"{tag}: {len(errors)} 'tripminer: error:' lines, not one:\n"
                 f"{tail(stderr, 20)}"):
            for pat in MEM_ERROR_PATTERNS:
                check(re.search(pat, errors[0], re.IGNORECASE),
                      f"{tag}: the error line does not match /{pat}/: {errors[0]!r}")
        left = sorted(os.listdir(outdir))
        check(not left, f"{tag}: the output directory holds {left} after the failure")
    # The same input without the limit is fine: the failure was the budget's.
    outdir = os.path.join(d, "unlimited")
    os.makedirs(outdir)
    out = os.path.join(outdir, REPORT)
    cmd = [mpiexec, "-n", "2", *pre, tripminer, "eval", "-i", inp, "-o", out]
    res = launch(cmd, env)
    if check(res is not None, f"mem-limit control: hang, killed after {TIMEOUT} s: "
             f"{shlex.join(cmd)}"):
        status, _, stderr = res
        if check(status == 0, f"mem-limit control: exit status {status} without --mem-limit: "
                 f"{shlex.join(cmd)}\n{tail(stderr)}") and \
                check(os.path.isfile(out), f"mem-limit control: no {out}"):
            with h5py.File(out, "r") as f:
                n = f.attrs.get("num_queries")
            check(n == MEM_ROWS, f"mem-limit control: num_queries is {n!r}, not {MEM_ROWS}")
    print(f"mem-limit: --mem-limit {MEM_LIMIT} on {MEM_ROWS} x {MEM_DIM}, a class of "
          f"{MEM_BIG_CLASS}, np {', '.join(map(str, MEM_NPS))}; control run without it: "
          f"{'ok' if len(failures) == before else 'FAILED'}")


# The partitioned run: its input (tripminer synth), options and rank counts.
PARTS_SYNTH = ("-n", "2000", "-d", "16", "-c", "50")
PARTS_OPTS = ("--partitions", "10", "--probe", "2", "--check", "200")
PARTS_NPS = (1, 2)


def parts_run(tag, cmd, env):
    """Run an eval of the partitioned case; its stdout, or None after a failure."""
    res = launch(cmd, env)
    if not check(res is not None, f"{tag}: hang, killed after {TIMEOUT} s: {shlex.join(cmd)}"):
        return None
    status, stdout, stderr = res
    if not check(status == 0, f"{tag}: exit status {status}: {shlex.join(cmd)}\n{tail(stderr)}"):
        return None
    return stdout


def parts_of(tag, path):
    """The partitioned run's root attributes of a report, their types checked."""
    kinds = {name: "int" for name in parts_check.INTS}
    kinds.update({name: "float" for name in parts_check.FLOATS})
    v = {}
    with h5py.File(path, "r") as f:
        for name in parts_check.NAMES:
            if not check(name in f.attrs, f"{tag}: no root attribute {name}"):
                continue
            if name == "partition_seed":
                typ = h5py.h5a.open(f.id, name.encode()).get_type()
                check(typ.get_class() == h5py.h5t.INTEGER and typ.get_size() == 8 and
                      typ.get_sign() == h5py.h5t.SGN_NONE,
                      f"{tag}: attribute partition_seed is not a uint64")
            else:
                check_attr_type(f, name, kinds[name], tag)
            v[name] = f.attrs[name].item()
    return v


def parts_json(tag, stdout):
    """The --json object of a run, or {} after a failure."""
    try:
        return json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        check(False, f"{tag}: --json printed no JSON object ({exc}): {stdout[:400]!r}")
        return {}


def run_partitions(work, tripminer, mpiexec, pre, env):
    before = len(failures)
    d = os.path.join(work, "p-partitions")
    os.makedirs(d)
    inp = os.path.join(d, "d.h5")
    cmd = [tripminer, "synth", "-o", inp, *PARTS_SYNTH, "-q"]
    if parts_run("p-partitions synth", cmd, env) is None:
        return
    first = None
    values = {}
    for nprocs in PARTS_NPS:
        tag = f"p-partitions np {nprocs}"
        out = os.path.join(d, f"np{nprocs}.h5")
        cmd = [mpiexec, "-n", str(nprocs), *pre, tripminer, "eval", "-i", inp, *PARTS_OPTS,
               "-o", out, "--json"]
        stdout = parts_run(tag, cmd, env)
        if stdout is None:
            continue
        check_json(tag, stdout, out, out)
        values = parts_of(tag, out)
        summary = parts_json(tag, stdout)
        for name in parts_check.NAMES:
            check(name in summary and name in values and
                  parts_check.same(summary[name], values[name]),
                  f"{tag}: --json {name} is {summary.get(name)!r}, the attribute "
                  f"{values.get(name)!r}")
        if len(values) == len(parts_check.NAMES):
            given = ("partitions", "probe", "check_anchors", "partition_seed")
            check([values[k] for k in given] == [10, 2, 200, 0],
                  f"{tag}: {', '.join(given)} are {[values[k] for k in given]}, not 10, 2, 200, 0")
            for k in parts_check.FLOATS:
                check(0.0 <= values[k] <= 1.0, f"{tag}: {k} is {values[k]!r}, not a fraction")
            check(0 <= values["certified_anchors"] <= 2000,
                  f"{tag}: certified_anchors is {values['certified_anchors']}")
        snap = snapshot(out)
        if first is None:
            first = (tag, snap)
        else:
            diff = differences(first[1], snap)
            check(not diff, f"{tag}: the report differs from that of {first[0]} in "
                  f"{', '.join(diff[:10])}")

    # The text summary: one line, in the words of the attributes.
    tag = "p-partitions text"
    out = os.path.join(d, "text.h5")
    cmd = [tripminer, "eval", "-i", inp, *PARTS_OPTS, "-o", out]
    stdout = parts_run(tag, cmd, env)
    if stdout is not None and len(values) == len(parts_check.NAMES):
        want = "  " + "partitions".ljust(28) + " " + parts_check.words(values, "queries")
        check(want in stdout.splitlines(), f"{tag}: no line {want!r} in\n{stdout}")
        check(parts_of(tag, out) == values, f"{tag}: its report's values differ from --json's")

    # Every partition probed: the exact ranking, which the check finds whole.
    tag = "p-partitions probe 10"
    out = os.path.join(d, "all.h5")
    cmd = [tripminer, "eval", "-i", inp, *PARTS_OPTS[:2], "--probe", "10", *PARTS_OPTS[4:],
           "-o", out, "--json"]
    if parts_run(tag, cmd, env) is not None:
        v = parts_of(tag, out)
        check(v.get("check_identical") == 1.0 and v.get("check_recall") == 1.0 and
              v.get("certified_anchors") == 2000,
              f"{tag}: check_identical, check_recall, certified_anchors are "
              f"{v.get('check_identical')!r}, {v.get('check_recall')!r}, "
              f"{v.get('certified_anchors')!r}, not 1.0, 1.0, 2000")

    # Without --partitions: none of them, in the report, --json or the text.
    for json_flag in (["--json"], []):
        tag = f"p-partitions without --partitions{' --json' if json_flag else ''}"
        out = os.path.join(d, f"exact{len(json_flag)}.h5")
        cmd = [tripminer, "eval", "-i", inp, "-o", out, *json_flag]
        stdout = parts_run(tag, cmd, env)
        if stdout is None:
            continue
        with h5py.File(out, "r") as f:
            have = sorted(set(parts_check.NAMES) & set(f.attrs))
        check(not have, f"{tag}: the report has {have}")
        found = [w for w in parts_check.WORDS if w in stdout.replace(d, "DIR")]
        check(not found, f"{tag}: stdout names {found}:\n{stdout}")
    print(f"p-partitions: eval {' '.join(PARTS_OPTS)} on {PARTS_SYNTH[1]} x {PARTS_SYNTH[3]}, "
          f"np {', '.join(map(str, PARTS_NPS))}: "
          f"{parts_check.words(values, 'queries') if len(values) == 7 else '?'}; "
          f"{'ok' if len(failures) == before else 'FAILED'}")


def check_help(tripminer, env):
    """`tripminer eval --help` must work (exit 0) before anything else."""
    res = launch([tripminer, "eval", "--help"], env)
    if res is None:
        sys.exit(f"eval: error: `{tripminer} eval --help` hangs")
    status, stdout, stderr = res
    if status != 0:
        sys.exit(f"eval: error: `{tripminer} eval --help` failed with status {status}: "
                 f"the eval command is missing or broken\n{(stderr or stdout).strip()}")
    missing = [o for o in HELP_OPTIONS
               if not re.search(rf"(^|[\s,\[]){re.escape(o)}([\s,=\]]|$)", stdout, re.MULTILINE)]
    check(not missing, f"`tripminer eval --help` does not list {missing}")
    res = launch([tripminer, "--help"], env)
    check(res is not None and res[0] == 0 and re.search(r"^\s+eval\s", res[1], re.MULTILINE),
          "`tripminer --help` does not list the eval command")


def main():
    tripminer = os.environ.get("TRIPMINER", "")
    if not os.access(tripminer, os.X_OK):
        sys.exit(f"eval: error: TRIPMINER must name the executable (got '{tripminer}')")
    mpiexec, pre = launcher()
    work = tempfile.mkdtemp(prefix="tm-eval.")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    # A session directory of our own (parallel mpiruns race on creating a
    # shared one), with a short path (inside a long one a singleton's socket
    # names overflow, and ASan's leak check then crashes at exit).
    orte = tempfile.mkdtemp(prefix="o.", dir="/tmp")
    env.setdefault("OMPI_MCA_orte_tmpdir_base", orte)
    try:
        check_help(tripminer, env)
        only = re.compile(os.environ.get("TM_ONLY") or "")
        for name, build in CASES:
            if only.search(name):
                run_case(name, build, work, tripminer, mpiexec, pre, env)
        if only.search("p-partitions"):
            run_partitions(work, tripminer, mpiexec, pre, env)
        if only.search("mem-limit"):
            run_mem_limit(work, tripminer, mpiexec, pre, env)
    finally:
        if os.environ.get("TM_KEEP") == "1":
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(orte, ignore_errors=True)

    if failures:
        for msg in failures[:60]:
            print(f"FAIL: {msg}", file=sys.stderr)
        if len(failures) > 60:
            print(f"... and {len(failures) - 60} more", file=sys.stderr)
        print(f"{len(failures)} check(s) failed; rerun with\n  TM_KEEP=1 "
              f"TRIPMINER={shlex.quote(tripminer)} /usr/bin/python3 {shlex.quote(__file__)}",
              file=sys.stderr)
        return 1
    print("all eval checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
