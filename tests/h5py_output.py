#!/usr/bin/python3
"""Read real `tripminer mine` outputs the way Python users do, with h5py
and NumPy, and check them against docs/contract.md and against the input.

Two runs on 2 MPI ranks:
  * hard, sqeuclidean, on an input written here with h5py (float32
    embeddings, int64 labels, one label held by a single row, so that one
    anchor is skipped);
  * topk --negatives 4, cosine, softplus, on an input from `tripminer synth`.

For each output: the datasets' shapes and types (triplets M x 3 int64;
d_ap, d_an, loss M float32), every root attribute's presence, HDF5 type and
value, the --json summary against the attributes, labels (the positive
shares the anchor's label, the negative does not), the distances recomputed
in double with NumPy from the input, the rule itself (hardest positive,
nearest negatives) and the losses.

Environment: TRIPMINER (the executable, required), MPIEXEC (default
mpirun), MPIEXEC_PREFLAGS, TM_KEEP=1 to keep the work directory.
Run it with Debian's /usr/bin/python3: a missing h5py or NumPy is a
failure, not a skip (scripts/install-deps.sh installs both).
"""

import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as exc:
    sys.exit(f"h5py_output: error: {sys.executable} cannot import h5py and numpy "
             f"({exc}); run scripts/install-deps.sh")

STRINGS = ("strategy", "metric", "loss", "input", "version")
DOUBLES = ("margin", "loss_sum", "loss_mean", "loss_mean_active")
INTS = ("normalize", "num_embeddings", "dim", "num_triplets", "active_triplets",
        "skipped_anchors", "ranks")
NRANKS = 2
# d_ap, d_an and loss are exact values rounded to float32: NumPy's double
# recomputation must agree to float32 precision.
RTOL = 1e-6
ATOL = 1e-6

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def run(cmd, env, timeout=120):
    """Run cmd; return its stdout, or fail the test with its stderr."""
    try:
        res = subprocess.run(cmd, env=env, capture_output=True, text=True,
                             timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        sys.exit(f"h5py_output: error: hang, killed after {timeout} s: {shlex.join(cmd)}")
    if res.returncode != 0:
        sys.exit(f"h5py_output: error: exit status {res.returncode}: {shlex.join(cmd)}\n"
                 f"{res.stderr}")
    return res.stdout


def distances(metric, x, a):
    """Distances from row a to every row of x, in double, as docs/contract.md defines
    them on the float32 values."""
    xa = x[a].astype(np.float64)
    xs = x.astype(np.float64)
    if metric in ("sqeuclidean", "euclidean"):
        d = ((xs - xa) ** 2).sum(axis=1)
        return np.sqrt(d) if metric == "euclidean" else d
    na = math.sqrt(float(xa @ xa))
    nb = np.sqrt((xs * xs).sum(axis=1))
    d = np.ones(len(xs))
    ok = (nb > 0) & (na > 0)
    d[ok] = 1.0 - (xs[ok] @ xa) / (na * nb[ok])
    return d


def loss_of(kind, margin, d_ap, d_an):
    z = d_ap - d_an + margin
    if kind == "hinge":
        return np.maximum(z, 0.0)
    return np.logaddexp(0.0, z)


def check_attr_type(f, name, tag):
    """The HDF5 type of root attribute name: a scalar of the kind docs/contract.md gives."""
    aid = h5py.h5a.open(f.id, name.encode())
    typ = aid.get_type()
    check(aid.get_space().get_simple_extent_type() == h5py.h5s.SCALAR,
          f"{tag}: attribute {name} is not a scalar")
    if name in STRINGS:
        check(isinstance(typ, h5py.h5t.TypeStringID) and typ.is_variable_str()
              and typ.get_cset() == h5py.h5t.CSET_UTF8,
              f"{tag}: attribute {name} is not a variable-length UTF-8 string")
        check(isinstance(f.attrs[name], str), f"{tag}: attribute {name} does not read as str")
    elif name in DOUBLES:
        check(typ.get_class() == h5py.h5t.FLOAT and typ.get_size() == 8,
              f"{tag}: attribute {name} is not a double")
    else:
        check(typ.get_class() == h5py.h5t.INTEGER and typ.get_size() == 8
              and typ.get_sign() == h5py.h5t.SGN_2,
              f"{tag}: attribute {name} is not an int64")


def check_output(tag, out, inp, opts, summary, version):
    """Check output file out of a run on input inp with options opts."""
    before = len(failures)
    with h5py.File(inp, "r") as f:
        x = f["embeddings"][...]
        y = f["labels"][...].reshape(-1)
    n, dim = x.shape
    strategy, metric, kind = opts["strategy"], opts["metric"], opts["loss"]
    margin, k = opts["margin"], opts.get("negatives", 1)

    with h5py.File(out, "r") as f:
        check(set(f.keys()) == {"triplets", "d_ap", "d_an", "loss"},
              f"{tag}: datasets are {sorted(f.keys())}")
        t = f["triplets"]
        check(t.ndim == 2 and t.shape[1] == 3, f"{tag}: triplets has shape {t.shape}")
        check(t.dtype.kind == "i" and t.dtype.itemsize == 8,
              f"{tag}: triplets has type {t.dtype}, not int64")
        m = t.shape[0]
        cols = {}
        for name in ("d_ap", "d_an", "loss"):
            ds = f[name]
            check(ds.shape == (m,), f"{tag}: {name} has shape {ds.shape}, not ({m},)")
            check(ds.dtype.kind == "f" and ds.dtype.itemsize == 4,
                  f"{tag}: {name} has type {ds.dtype}, not float32")
            cols[name] = ds[...]
        t = t[...].astype(np.int64)

        names = set(STRINGS + DOUBLES + INTS)
        check(set(f.attrs.keys()) == names,
              f"{tag}: root attributes differ from docs/contract.md: missing "
              f"{sorted(names - set(f.attrs.keys()))}, extra {sorted(set(f.attrs.keys()) - names)}")
        attrs = {}
        for name in sorted(names & set(f.attrs.keys())):
            check_attr_type(f, name, tag)
            v = f.attrs[name]
            attrs[name] = v if isinstance(v, str) else v.item()
    if len(failures) > before:
        return

    # The attributes against the run and against the datasets.
    d_ap, d_an, loss = cols["d_ap"], cols["d_an"], cols["loss"]
    want = {"strategy": strategy, "metric": metric, "loss": kind, "input": inp,
            "version": version, "margin": margin, "normalize": 0, "num_embeddings": n,
            "dim": dim, "num_triplets": m, "ranks": NRANKS,
            "active_triplets": int((loss > 0).sum())}
    for name, v in want.items():
        check(attrs[name] == v, f"{tag}: attribute {name} is {attrs[name]!r}, expected {v!r}")
    exact_sum = math.fsum(float(v) for v in loss)
    check(math.isclose(attrs["loss_sum"], exact_sum, rel_tol=1e-12, abs_tol=1e-300),
          f"{tag}: loss_sum {attrs['loss_sum']!r}, but the loss column sums to {exact_sum!r}")
    act = attrs["active_triplets"]
    check(attrs["loss_mean"] == (attrs["loss_sum"] / m if m else 0.0),
          f"{tag}: loss_mean {attrs['loss_mean']!r} is not loss_sum / num_triplets")
    check(attrs["loss_mean_active"] == (attrs["loss_sum"] / act if act else 0.0),
          f"{tag}: loss_mean_active {attrs['loss_mean_active']!r} is not "
          "loss_sum / active_triplets")

    # The --json summary has the same keys and values, plus seconds and how
    # the tiles went (the kernel, its pairs and the exact re-checks).
    run_keys = {"seconds", "kernel", "pairs_fast", "pairs_f32", "rechecked"}
    check(set(summary) == set(attrs) | run_keys,
          f"{tag}: --json keys {sorted(summary)} are not the attributes plus {sorted(run_keys)}")
    check(summary.get("kernel") in ("f32", "bf16", "int8")
          and summary.get("pairs_fast", -1) + summary.get("pairs_f32", -1) > 0
          and 0.0 <= summary.get("rechecked", -1.0) <= 1.0,
          f"{tag}: --json kernel {summary.get('kernel')!r}, pairs_fast "
          f"{summary.get('pairs_fast')!r}, pairs_f32 {summary.get('pairs_f32')!r}, rechecked "
          f"{summary.get('rechecked')!r}")
    for name, v in attrs.items():
        check(summary.get(name) == v,
              f"{tag}: --json {name} is {summary.get(name)!r}, the attribute {v!r}")

    # Who is skipped, and how many triplets each anchor gets.
    counts = {lab: c for lab, c in zip(*np.unique(y, return_counts=True))}
    npos = np.array([counts[lab] - 1 for lab in y])
    nneg = n - 1 - npos
    kept = (npos > 0) & (nneg > 0)
    check(attrs["skipped_anchors"] == int((~kept).sum()),
          f"{tag}: skipped_anchors is {attrs['skipped_anchors']}, "
          f"expected {int((~kept).sum())}")
    per = np.where(kept, np.minimum(k, nneg) if strategy == "topk" else 1, 0)
    check(np.array_equal(t[:, 0], np.repeat(np.arange(n), per)),
          f"{tag}: the anchors column is not each kept anchor, in order, "
          f"{'min(K, negatives)' if strategy == 'topk' else 'once'}")
    if len(failures) > before:
        return

    # Labels: the positive shares the anchor's label, the negative does not.
    a, p, q = t[:, 0], t[:, 1], t[:, 2]
    check(((t >= 0) & (t < n)).all(), f"{tag}: an index is outside [0, {n})")
    check((a != p).all(), f"{tag}: a positive is its own anchor")
    check((y[a] == y[p]).all(), f"{tag}: a positive has another label than its anchor")
    check((y[a] != y[q]).all(), f"{tag}: a negative has its anchor's label")

    # Distances, the rule and the losses, recomputed from the input.
    for i in range(m):
        dist = distances(metric, x, a[i])
        same = (y == y[a[i]])
        same[a[i]] = False
        ap, an = dist[p[i]], dist[q[i]]
        ok = check(np.isclose(d_ap[i], ap, rtol=RTOL, atol=ATOL),
                   f"{tag}: triplet {i} {t[i].tolist()}: d_ap {d_ap[i]!r}, NumPy {ap!r}")
        ok &= check(np.isclose(d_an[i], an, rtol=RTOL, atol=ATOL),
                    f"{tag}: triplet {i} {t[i].tolist()}: d_an {d_an[i]!r}, NumPy {an!r}")
        want_loss = loss_of(kind, margin, ap, an)
        ok &= check(np.isclose(loss[i], want_loss, rtol=RTOL, atol=ATOL),
                    f"{tag}: triplet {i}: loss {loss[i]!r}, NumPy {want_loss!r}")
        ok &= check(ap >= dist[same].max() - 1e-9,
                    f"{tag}: triplet {i}: positive {p[i]} at {ap!r} is not the hardest "
                    f"({dist[same].max()!r})")
        neg = np.sort(dist[y != y[a[i]]])
        j = int(np.searchsorted(a, a[i]))  # the anchor's first triplet
        rank = i - j  # topk: the rank-th nearest negative; hard: 0
        ok &= check(abs(an - neg[rank]) <= 1e-9,
                    f"{tag}: triplet {i}: negative {q[i]} at {an!r} is not the nearest "
                    f"number {rank + 1} ({neg[rank]!r})")
        if not ok or len(failures) > 20:
            break


def main():
    tripminer = os.environ.get("TRIPMINER", "")
    if not os.access(tripminer, os.X_OK):
        sys.exit(f"h5py_output: error: TRIPMINER must name the executable (got '{tripminer}')")
    mpiexec = os.environ.get("MPIEXEC") or "mpirun"
    preflags = shlex.split(os.environ.get("MPIEXEC_PREFLAGS", ""))
    work = tempfile.mkdtemp(prefix="tm-h5py.")
    # A session directory of our own (parallel mpiruns race on creating a
    # shared one), with a short path (inside a long one a singleton's socket
    # names overflow, and ASan's leak check then crashes at exit).
    orte = tempfile.mkdtemp(prefix="o.", dir="/tmp")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_orte_tmpdir_base=orte)
    try:
        line = run([tripminer, "--version"], env).strip()
        check(line.startswith("tripminer ") and " (git " in line,
              f"tripminer --version printed {line!r}")
        version = line.split()[1]

        # Input 1, written with h5py: one row alone with its label.
        rng = np.random.default_rng(20240607)
        n, dim = 300, 12
        inp1 = os.path.join(work, "h5py_input.h5")
        x = rng.standard_normal((n, dim)).astype(np.float32)
        y = rng.integers(0, 20, size=n).astype(np.int64)
        y[7] = 1000
        with h5py.File(inp1, "w") as f:
            f["embeddings"] = x
            f["labels"] = y

        # Input 2, from tripminer synth.
        inp2 = os.path.join(work, "synth_input.h5")
        run([tripminer, "synth", "-o", inp2, "-n", "400", "-d", "16", "-c", "25",
             "--seed", "5", "-q"], env)
        with h5py.File(inp2, "r") as f:
            check(f["embeddings"].shape == (400, 16) and f["embeddings"].dtype == np.float32,
                  f"synth: embeddings {f['embeddings'].shape} {f['embeddings'].dtype}")
            check(f["labels"].shape == (400,) and f["labels"].dtype.kind in "iu",
                  f"synth: labels {f['labels'].shape} {f['labels'].dtype}")

        runs = [
            ("hard", inp1, {"strategy": "hard", "metric": "sqeuclidean", "loss": "hinge",
                            "margin": 0.5}),
            ("topk", inp2, {"strategy": "topk", "metric": "cosine", "loss": "softplus",
                            "margin": 0.1, "negatives": 4}),
        ]
        for tag, inp, opts in runs:
            out = os.path.join(work, f"{tag}.h5")
            cmd = [mpiexec, "-n", str(NRANKS), *preflags, tripminer, "mine", "-i", inp,
                   "-o", out, "-s", opts["strategy"], "-m", opts["metric"],
                   "--loss", opts["loss"], "--margin", repr(opts["margin"]), "--json", "-q"]
            if "negatives" in opts:
                cmd += ["--negatives", str(opts["negatives"])]
            stdout = run(cmd, env)
            try:
                summary = json.loads(stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                check(False, f"{tag}: --json printed no JSON object: {stdout!r}")
                continue
            before = len(failures)
            check_output(tag, out, inp, opts, summary, version)
            print(f"{tag}: {summary['num_triplets']} triplets checked: "
                  f"{'ok' if len(failures) == before else 'FAILED'} ({shlex.join(cmd)})")
    finally:
        if os.environ.get("TM_KEEP") == "1":
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(orte, ignore_errors=True)

    if failures:
        for msg in failures:
            print(f"FAIL: {msg}", file=sys.stderr)
        print(f"{len(failures)} check(s) failed; rerun with\n  TM_KEEP=1 "
              f"TRIPMINER={shlex.quote(tripminer)} /usr/bin/python3 {shlex.quote(__file__)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
