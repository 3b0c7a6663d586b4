#!/usr/bin/python3
"""A naive reference implementation of `tripminer eval`, for tests/eval.py.

It computes what the contract of `tripminer eval` asks for, the slow and
obvious way: every distance in plain Python doubles, one query at a time,
candidates sorted as (distance, candidate index) tuples. It shares no code
with tripminer.

    reference(input_path, reference_path=None, metric="sqeuclidean",
              normalize=False, by_class=False, suspects=100,
              emb="embeddings", lab="labels",
              ref_emb="embeddings", ref_lab="labels")

returns a dict that mirrors the layout of REPORT.h5:

    {"attrs":      {root attribute name: value, ...},
     "by_class":   {"label": [...], "queries": [...], ...},   # by_class only
     "suspects":   {"query": [...], "label": [...], "positive": [...], ...},
     "confusions": {"label": [...], "nearest_label": [...], "count": [...]}}

(the root attribute `suspects`, the N asked for, is attrs["suspects"]; the
group `suspects` is result["suspects"]).

The rules, as implemented here:
  * Embeddings of any float type are read as float32 (tripminer converts
    every input to float32); with normalize, each row x becomes
    float32(x64 / sqrt(sum(x64**2))), the sum taken in row order; a zero
    row stays zero. Distances are doubles over these float32 values:
    sqeuclidean = sum((a-b)**2), euclidean = its square root, cosine =
    1 - dot / (|a| |b|), 1.0 when a norm is 0.
  * Queries are the rows of the input; candidates are the other rows of the
    input, or every row of the reference file. Candidates are ranked by
    (distance, candidate index).
  * Per query with R >= 1 candidates of its label, rel_i = 1 when the
    i-th candidate has the query's label: P@1 = rel_1, R-precision =
    sum(rel_1..R) / R, AP@R = (1/R) sum_{i<=R, rel_i=1} (sum_{j<=i} rel_j)/i,
    RR = 1 / rank of the first positive. Means are sequential sums in query
    order over the queries with R >= 1.

A hand-checked example (selftest checks it): 4 rows of dimension 1 at
x = 0, 2, 3, 6 with labels 0, 0, 1, 1, sqeuclidean.

    query 0 (x=0, label 0): row 1 at 4 (+), row 2 at 9 (-), row 3 at 36 (-)
        rel = 1 0 0, R = 1: P@1 1, R-prec 1, AP 1, RR 1
        nearest positive 1 at 4, nearest negative 2 at 9, gap -5
    query 1 (x=2, label 0): row 2 at 1 (-), row 0 at 4 (+), row 3 at 16 (-)
        rel = 0 1 0, R = 1: P@1 0, R-prec 0, AP 0, RR 1/2
        positive 0 at 4, negative 2 at 1, gap 3; nearest is label 1: (0, 1)
    query 2 (x=3, label 1): row 1 at 1 (-), row 0 at 9 (-), row 3 at 9 (+)
        (rows 0 and 3 tie at 9: the smaller index, 0, ranks first)
        rel = 0 0 1, R = 1: P@1 0, R-prec 0, AP 0, RR 1/3
        positive 3 at 9, negative 1 at 1, gap 8; nearest is label 0: (1, 0)
    query 3 (x=6, label 1): row 2 at 9 (+), row 1 at 16 (-), row 0 at 36 (-)
        rel = 1 0 0, R = 1: P@1 1, R-prec 1, AP 1, RR 1
        positive 2 at 9, negative 1 at 16, gap -7

    precision_at_1 = r_precision = mean_average_precision_at_r = 2/4 = 0.5
    mean_reciprocal_rank = (1 + 1/2 + 1/3 + 1) / 4 = 17/24
    queries_without_positive = 0, num_candidates = 3
    suspects (by gap, descending): 2 (8), 1 (3), 0 (-5), 3 (-7)
    confusions: (0, 1, 1), (1, 0, 1)
    by class: label 0: P@1 1/2, MRR 3/4; label 1: P@1 1/2, MRR 2/3;
              avg of avgs: P@1 1/2, MRR 17/24

With euclidean the order is the same and the gaps are 2-3 = -1, 2-1 = 1,
3-1 = 2, 3-4 = -1: suspects 2, 1, 0, 3 (0 and 3 tie at -1: 0 first).

AP@R with R >= 2 is checked on rank lists alone (query_metrics):
    rel = 1 0 1 0 0,   R = 2: P@1 1, R-prec 1/2, AP (1/1)/2 = 1/2,         RR 1
                              (the hit at rank 3 is beyond R: not counted)
    rel = 0 1 1 0,     R = 2: P@1 0, R-prec 1/2, AP (1/2)/2 = 1/4,         RR 1/2
    rel = 1 1 0 1,     R = 3: P@1 1, R-prec 2/3, AP (1/1 + 2/2)/3 = 2/3,   RR 1
    rel = 1 0 1 1,     R = 3: P@1 1, R-prec 2/3, AP (1/1 + 2/3)/3 = 5/9,   RR 1
    rel = 0 1 1 1 0,   R = 3: P@1 0, R-prec 2/3, AP (1/2 + 2/3)/3 = 7/18,  RR 1/2
    rel = 0 0 0 1 1 1, R = 3: P@1 0, R-prec 0,   AP 0,                     RR 1/4

Usage:
    eval_ref.py IN.h5 [--reference F] [-m METRIC] [--normalize] [--by-class]
                [--suspects N] [--embeddings NAME] [--labels NAME]
                [--ref-embeddings NAME] [--ref-labels NAME]
        prints the result as JSON (NaN as NaN);
    eval_ref.py --selftest
        the hand examples above, then reference() against a second,
        vectorised NumPy computation on random inputs.
"""

import argparse
import json
import math
import os
import sys
import tempfile
import traceback
from collections import Counter

try:
    import h5py
    import numpy as np
except ImportError as exc:
    sys.exit(f"eval_ref: error: {sys.executable} cannot import h5py and numpy "
             f"({exc}); run scripts/install-deps.sh")

METRICS = ("sqeuclidean", "euclidean", "cosine")
MEANS = ("precision_at_1", "r_precision", "mean_average_precision_at_r",
         "mean_reciprocal_rank")
SUSPECT_INTS = ("query", "label", "positive", "negative", "negative_label")
SUSPECT_FLOATS = ("positive_distance", "negative_distance", "gap")
CLASS_INTS = ("label", "queries", "without_positive")
CONFUSION_INTS = ("label", "nearest_label", "count")


def read_set(path, emb, lab):
    """The rows (lists of Python floats, the float32 values) and the labels
    (Python ints) of one file."""
    with h5py.File(path, "r") as f:
        x = np.asarray(f[emb][...])
        y = np.asarray(f[lab][...])
    if x.ndim != 2 or x.dtype.kind != "f":
        raise ValueError(f"{path}: {emb} is not a 2-D float dataset ({x.dtype}, {x.shape})")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise ValueError(f"{path}: {lab} is not a 1-D integer dataset ({y.dtype}, {y.shape})")
    if len(y) != len(x):
        raise ValueError(f"{path}: {len(x)} embeddings but {len(y)} labels")
    x32 = x.astype(np.float32)
    if not np.isfinite(x32).all():
        raise ValueError(f"{path}: {emb} has a non-finite value (as float32)")
    rows = [[float(v) for v in row] for row in x32]
    return rows, [int(v) for v in y]


def normalize_row(row):
    """float32(x / sqrt(sum x^2)) in double, the sum in row order; zero stays zero."""
    s = 0.0
    for v in row:
        s += v * v
    if s == 0.0:
        return [0.0] * len(row)
    norm = math.sqrt(s)
    return [float(np.float32(v / norm)) for v in row]


def distance(metric, a, b):
    """The distance between rows a and b, in double, sums in row order."""
    if metric in ("sqeuclidean", "euclidean"):
        s = 0.0
        for u, v in zip(a, b):
            t = u - v
            s += t * t
        return s if metric == "sqeuclidean" else math.sqrt(s)
    if metric == "cosine":
        dot = na = nb = 0.0
        for u, v in zip(a, b):
            dot += u * v
            na += u * u
            nb += v * v
        if na == 0.0 or nb == 0.0:
            return 1.0
        return 1.0 - dot / (math.sqrt(na) * math.sqrt(nb))
    raise ValueError(f"unknown metric {metric!r}")


def query_metrics(rel):
    """(P@1, R-precision, AP@R, RR) of one query from rel, its candidates'
    relevance (0/1) in rank order; None when no candidate is relevant."""
    r = sum(rel)
    if r == 0:
        return None
    p1 = float(rel[0])
    rprec = sum(rel[:r]) / r
    hits = 0
    ap_sum = 0.0
    for i in range(1, r + 1):
        if rel[i - 1]:
            hits += 1
            ap_sum += hits / i
    ap = ap_sum / r
    first = rel.index(1) + 1
    return p1, rprec, ap, 1.0 / first


def seq_mean(values):
    """A plain sequential sum divided by the count; None when empty."""
    if not values:
        return None
    s = 0.0
    for v in values:
        s += v
    return s / len(values)


def reference(input_path, reference_path=None, metric="sqeuclidean", normalize=False,
              by_class=False, suspects=100, emb="embeddings", lab="labels",
              ref_emb="embeddings", ref_lab="labels"):
    """What `tripminer eval` must report for these options (see the module
    docstring for the layout of the result)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    if suspects < 0:
        raise ValueError("suspects must be >= 0")
    qx, qy = read_set(input_path, emb, lab)
    if reference_path is not None:
        cx, cy = read_set(reference_path, ref_emb, ref_lab)
        if cx and qx and len(cx[0]) != len(qx[0]):
            raise ValueError(f"the reference has D = {len(cx[0])}, the input {len(qx[0])}")
    if normalize:
        qx = [normalize_row(row) for row in qx]
        if reference_path is not None:
            cx = [normalize_row(row) for row in cx]
    if reference_path is None:
        cx, cy = qx, qy

    per_query = []  # (label, metrics tuple or None), in query order
    eligible = []   # suspects: (gap, query, label, pos, d_pos, neg, neg_label, d_neg)
    pairs = Counter()
    for a in range(len(qx)):
        ranked = sorted((distance(metric, qx[a], cx[j]), j) for j in range(len(cx))
                        if reference_path is not None or j != a)
        rel = [1 if cy[j] == qy[a] else 0 for _, j in ranked]
        per_query.append((qy[a], query_metrics(rel)))
        pos = next(((d, j) for d, j in ranked if cy[j] == qy[a]), None)
        neg = next(((d, j) for d, j in ranked if cy[j] != qy[a]), None)
        if pos is not None and neg is not None:
            eligible.append((pos[0] - neg[0], a, qy[a], pos[1], pos[0], neg[1], cy[neg[1]],
                             neg[0]))
        if ranked and cy[ranked[0][1]] != qy[a]:
            pairs[(qy[a], cy[ranked[0][1]])] += 1

    with_pos = [m for _, m in per_query if m is not None]
    attrs = {
        "num_queries": len(qx),
        "num_candidates": len(cx) if reference_path is not None else len(qx) - 1,
        "queries_without_positive": len(per_query) - len(with_pos),
        "metric": metric,
        "input": input_path,
        "suspects": suspects,
    }
    for k, name in enumerate(MEANS):
        mean = seq_mean([m[k] for m in with_pos])
        attrs[name] = 0.0 if mean is None else mean
    if reference_path is not None:
        attrs["reference"] = reference_path
    result = {"attrs": attrs}

    if by_class:
        table = {name: [] for name in CLASS_INTS + MEANS}
        for label in sorted(set(qy)):
            mine = [m for y, m in per_query if y == label]
            have = [m for m in mine if m is not None]
            table["label"].append(label)
            table["queries"].append(len(have))
            table["without_positive"].append(len(mine) - len(have))
            for k, name in enumerate(MEANS):
                mean = seq_mean([m[k] for m in have])
                table[name].append(math.nan if mean is None else mean)
        for name in MEANS:
            # Labels with at least one query with a positive, ascending label
            # order. None of them: 0.0, like the overall means (the contract
            # leaves this open).
            mean = seq_mean([v for v, q in zip(table[name], table["queries"]) if q >= 1])
            attrs["avg_of_avgs_" + name] = 0.0 if mean is None else mean
        result["by_class"] = table

    eligible.sort(key=lambda e: (-e[0], e[1]))
    chosen = eligible[:suspects]
    result["suspects"] = {
        "query": [e[1] for e in chosen],
        "label": [e[2] for e in chosen],
        "positive": [e[3] for e in chosen],
        "positive_distance": [e[4] for e in chosen],
        "negative": [e[5] for e in chosen],
        "negative_label": [e[6] for e in chosen],
        "negative_distance": [e[7] for e in chosen],
        "gap": [e[0] for e in chosen],
    }

    order = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))
    result["confusions"] = {
        "label": [k[0] for k, _ in order],
        "nearest_label": [k[1] for k, _ in order],
        "count": [c for _, c in order],
    }
    return result


# ---------------------------------------------------------------------------
# Self-test: hand-checked examples, then a second, vectorised computation.


def _numpy_brute(input_path, reference_path=None, metric="sqeuclidean", normalize=False,
                 suspects=100):
    """The same quantities computed another way (whole distance matrix with
    NumPy, stable argsort, cumulative sums), for the self-test only."""
    def load(path):
        with h5py.File(path, "r") as f:
            x = f["embeddings"][...].astype(np.float32).astype(np.float64)
            y = f["labels"][...].reshape(-1).astype(np.int64)
        if normalize:
            n = np.sqrt((x * x).sum(axis=1, keepdims=True))
            x = np.where(n > 0, x / np.where(n > 0, n, 1.0), 0.0)
            x = x.astype(np.float32).astype(np.float64)
        return x, y

    qx, qy = load(input_path)
    cx, cy = load(reference_path) if reference_path else (qx, qy)
    diff = qx[:, None, :] - cx[None, :, :]
    if metric == "cosine":
        dot = qx @ cx.T
        norms = np.outer(np.linalg.norm(qx, axis=1), np.linalg.norm(cx, axis=1))
        dist = np.ones_like(dot)
        ok = norms > 0
        dist[ok] = 1.0 - dot[ok] / norms[ok]
    else:
        dist = (diff * diff).sum(axis=2)
        if metric == "euclidean":
            dist = np.sqrt(dist)
    nq = len(qx)
    vals = np.full((nq, 4), np.nan)
    gaps = []
    conf = Counter()
    for a in range(nq):
        cand = np.arange(len(cx)) if reference_path else np.delete(np.arange(len(cx)), a)
        order = cand[np.argsort(dist[a, cand], kind="stable")]
        rel = (cy[order] == qy[a]).astype(np.float64)
        r = int(rel.sum())
        if len(order) and cy[order[0]] != qy[a]:
            conf[(int(qy[a]), int(cy[order[0]]))] += 1
        if r == 0:
            continue
        prec = np.cumsum(rel) / np.arange(1, len(rel) + 1)
        vals[a] = [rel[0], rel[:r].mean(), (prec[:r] * rel[:r]).sum() / r,
                   1.0 / (np.argmax(rel) + 1)]
        if r < len(rel):
            p = order[rel == 1][0]
            n = order[rel == 0][0]
            gaps.append((dist[a, p] - dist[a, n], a, int(p), int(n)))
    have = ~np.isnan(vals[:, 0])
    means = vals[have].mean(axis=0) if have.any() else np.zeros(4)
    gaps.sort(key=lambda g: (-g[0], g[1]))
    gaps = gaps[:suspects]
    return {"without": int((~have).sum()), "means": means, "vals": vals,
            "suspects": [(g[1], g[2], g[3]) for g in gaps], "gaps": [g[0] for g in gaps],
            "confusions": sorted(((k[0], k[1], c) for k, c in conf.items()),
                                 key=lambda t: (-t[2], t[0], t[1]))}


def _write(path, x, y):
    with h5py.File(path, "w") as f:
        f["embeddings"] = x
        f["labels"] = y


def selftest():
    """Check reference() on the hand examples of the module docstring, then
    against _numpy_brute on random inputs. Raises AssertionError."""
    def close(a, b, tol=1e-12):
        return abs(a - b) <= tol

    # Rank lists alone.
    cases = [([1, 0, 1, 0, 0], (1.0, 0.5, 0.5, 1.0)),
             ([0, 1, 1, 0], (0.0, 0.5, 0.25, 0.5)),
             ([1, 1, 0, 1], (1.0, 2 / 3, 2 / 3, 1.0)),
             ([1, 0, 1, 1], (1.0, 2 / 3, 5 / 9, 1.0)),
             ([0, 1, 1, 1, 0], (0.0, 2 / 3, 7 / 18, 0.5)),
             ([0, 0, 0, 1, 1, 1], (0.0, 0.0, 0.0, 0.25)),
             ([0, 0, 1], (0.0, 0.0, 0.0, 1 / 3)),
             ([1], (1.0, 1.0, 1.0, 1.0))]
    for rel, want in cases:
        got = query_metrics(rel)
        assert all(close(g, w) for g, w in zip(got, want)), (rel, got, want)
    assert query_metrics([0, 0, 0]) is None

    work = tempfile.mkdtemp(prefix="tm-evalref.")
    try:
        # The 4-row example.
        line = os.path.join(work, "line.h5")
        _write(line, np.array([[0.0], [2.0], [3.0], [6.0]], np.float32),
               np.array([0, 0, 1, 1], np.int64))
        res = reference(line, by_class=True)
        at = res["attrs"]
        assert at["num_queries"] == 4 and at["num_candidates"] == 3, at
        assert at["queries_without_positive"] == 0, at
        for name in ("precision_at_1", "r_precision", "mean_average_precision_at_r"):
            assert close(at[name], 0.5), (name, at[name])
        assert close(at["mean_reciprocal_rank"], 17 / 24), at
        assert at["metric"] == "sqeuclidean" and at["input"] == line and at["suspects"] == 100
        assert "reference" not in at
        s = res["suspects"]
        assert s["query"] == [2, 1, 0, 3], s
        assert s["label"] == [1, 0, 0, 1], s
        assert s["positive"] == [3, 0, 1, 2] and s["negative"] == [1, 2, 2, 1], s
        assert s["negative_label"] == [0, 1, 1, 0], s
        assert s["positive_distance"] == [9.0, 4.0, 4.0, 9.0], s
        assert s["negative_distance"] == [1.0, 1.0, 9.0, 16.0], s
        assert s["gap"] == [8.0, 3.0, -5.0, -7.0], s
        c = res["confusions"]
        assert (c["label"], c["nearest_label"], c["count"]) == ([0, 1], [1, 0], [1, 1]), c
        b = res["by_class"]
        assert b["label"] == [0, 1] and b["queries"] == [2, 2], b
        assert b["without_positive"] == [0, 0], b
        assert b["precision_at_1"] == [0.5, 0.5], b
        assert close(b["mean_reciprocal_rank"][0], 0.75), b
        assert close(b["mean_reciprocal_rank"][1], 2 / 3), b
        assert close(at["avg_of_avgs_precision_at_1"], 0.5), at
        assert close(at["avg_of_avgs_mean_reciprocal_rank"], 17 / 24), at

        res = reference(line, metric="euclidean", suspects=3)
        s = res["suspects"]
        assert s["query"] == [2, 1, 0] and s["gap"] == [2.0, 1.0, -1.0], s
        res = reference(line, metric="euclidean", suspects=4)
        assert res["suspects"]["query"] == [2, 1, 0, 3], res["suspects"]
        assert reference(line, suspects=0)["suspects"]["query"] == []

        # Against a reference file: queries at 0 (label 0) and 5 (label 7);
        # the reference rows at 1 (label 1), 2 (label 0), 4 (label 0).
        # Query 0: ref 0 at 1 (-), ref 1 at 4 (+), ref 2 at 16 (+): rel 0 1 1,
        #   R = 2: P@1 0, R-prec 1/2, AP (1/2)/2 = 1/4, RR 1/2; gap 4 - 1 = 3.
        # Query 1: no row of label 7: without positive, no suspect; its
        #   nearest is ref 2 at 1, label 0: confusion (7, 0).
        qf, rf = os.path.join(work, "q.h5"), os.path.join(work, "r.h5")
        _write(qf, np.array([[0.0], [5.0]], np.float64), np.array([0, 7], np.int32))
        _write(rf, np.array([[1.0], [2.0], [4.0]], np.float32), np.array([1, 0, 0], np.int64))
        res = reference(qf, reference_path=rf, by_class=True)
        at = res["attrs"]
        assert at["num_queries"] == 2 and at["num_candidates"] == 3, at
        assert at["queries_without_positive"] == 1 and at["reference"] == rf, at
        assert (at["precision_at_1"], at["r_precision"]) == (0.0, 0.5), at
        assert (at["mean_average_precision_at_r"], at["mean_reciprocal_rank"]) == (0.25, 0.5), at
        s = res["suspects"]
        assert (s["query"], s["positive"], s["negative"], s["gap"]) == ([0], [1], [0], [3.0]), s
        c = res["confusions"]
        assert (c["label"], c["nearest_label"], c["count"]) == ([0, 7], [1, 0], [1, 1]), c
        b = res["by_class"]
        assert b["label"] == [0, 7] and b["queries"] == [1, 0], b
        assert b["without_positive"] == [0, 1], b
        assert b["r_precision"][0] == 0.5 and math.isnan(b["r_precision"][1]), b
        assert at["avg_of_avgs_mean_average_precision_at_r"] == 0.25, at

        # One class: no suspects, no confusions, every metric 1.
        one = os.path.join(work, "one.h5")
        _write(one, np.arange(12, dtype=np.float32).reshape(4, 3), np.full(4, 5, np.int64))
        res = reference(one)
        assert res["suspects"]["query"] == [] and res["confusions"]["count"] == [], res
        assert all(res["attrs"][m] == 1.0 for m in MEANS), res["attrs"]

        # Normalisation: (3, 4) -> (0.6, 0.8) in float32; zero stays zero.
        assert normalize_row([3.0, 4.0]) == [float(np.float32(0.6)), float(np.float32(0.8))]
        assert normalize_row([0.0, 0.0]) == [0.0, 0.0]
        assert distance("cosine", [0.0, 0.0], [1.0, 0.0]) == 1.0
        assert distance("cosine", [1.0, 0.0], [0.0, 2.0]) == 1.0
        assert distance("cosine", [0.0, 2.0], [0.0, 5.0]) == 0.0
        assert distance("cosine", [1.0, 0.0], [-4.0, 0.0]) == 2.0
        assert distance("euclidean", [0.0, 0.0], [3.0, 4.0]) == 5.0

        # Random inputs against the vectorised computation.
        rng = np.random.default_rng(4242)
        checked = 0
        for trial in range(24):
            metric = METRICS[trial % 3]
            norm = bool(trial % 2)
            n, dim = int(rng.integers(2, 40)), int(rng.integers(1, 6))
            if trial % 4 == 3:  # exact ties: rows from a small pool of dyadic vectors
                pool = rng.integers(-2, 3, size=(5, dim)) / 2.0
                x = pool[rng.integers(0, 5, size=n)]
            else:
                x = rng.standard_normal((n, dim)) * rng.uniform(0.1, 10, size=(n, 1))
            if trial % 5 == 0:
                x[0] = 0.0
            y = rng.integers(0, int(rng.integers(1, 6)), size=n)
            y[-1] = 99  # a label held by one row
            inp = os.path.join(work, f"rand{trial}.h5")
            _write(inp, x.astype(np.float64 if trial % 3 == 1 else np.float32), y)
            ref = None
            if trial % 6 in (2, 5):
                m = int(rng.integers(1, 30))
                ref = os.path.join(work, f"rref{trial}.h5")
                _write(ref, rng.standard_normal((m, dim)).astype(np.float32),
                       rng.integers(0, 7, size=m))
            k = int(rng.integers(0, 12))
            got = reference(inp, reference_path=ref, metric=metric, normalize=norm,
                            by_class=True, suspects=k)
            want = _numpy_brute(inp, reference_path=ref, metric=metric, normalize=norm,
                                suspects=k)
            tag = f"trial {trial} ({metric}, normalize {norm}, reference {ref is not None})"
            at = got["attrs"]
            assert at["queries_without_positive"] == want["without"], tag
            for name, w in zip(MEANS, want["means"]):
                assert close(at[name], float(w)), (tag, name, at[name], w)
            s = got["suspects"]
            assert list(zip(s["query"], s["positive"], s["negative"])) == want["suspects"], tag
            assert all(math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-12)
                       for g, w in zip(s["gap"], want["gaps"])), tag
            c = got["confusions"]
            assert list(zip(c["label"], c["nearest_label"], c["count"])) == \
                want["confusions"], tag
            # by_class against the per-query values of the other computation.
            b = got["by_class"]
            labels = np.asarray(h5py.File(inp, "r")["labels"][...]).reshape(-1)
            for i, label in enumerate(b["label"]):
                v = want["vals"][labels == label]
                v = v[~np.isnan(v[:, 0])]
                assert b["queries"][i] == len(v), tag
                assert b["without_positive"][i] == int((labels == label).sum()) - len(v), tag
                for kk, name in enumerate(MEANS):
                    if len(v):
                        assert close(b[name][i], float(v[:, kk].mean())), (tag, name)
                    else:
                        assert math.isnan(b[name][i]), (tag, name)
            checked += 1
    finally:
        for name in os.listdir(work):
            os.remove(os.path.join(work, name))
        os.rmdir(work)
    return checked


def main(argv):
    p = argparse.ArgumentParser(description="Naive reference of `tripminer eval`.")
    p.add_argument("input", nargs="?")
    p.add_argument("--reference")
    p.add_argument("-m", "--metric", default="sqeuclidean", choices=METRICS)
    p.add_argument("--normalize", action="store_true")
    p.add_argument("--by-class", action="store_true")
    p.add_argument("--suspects", type=int, default=100)
    p.add_argument("--embeddings", default="embeddings")
    p.add_argument("--labels", default="labels")
    p.add_argument("--ref-embeddings", default="embeddings")
    p.add_argument("--ref-labels", default="labels")
    p.add_argument("--selftest", action="store_true")
    args = p.parse_args(argv)
    if args.selftest:
        try:
            n = selftest()
        except AssertionError as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            print(f"eval_ref: selftest FAILED at line {where.lineno}: {where.line}\n"
                  f"  {exc!r}", file=sys.stderr)
            return 1
        print(f"eval_ref: selftest passed (hand examples, {n} random inputs)")
        return 0
    if args.input is None:
        p.error("an input file is required (or --selftest)")
    res = reference(args.input, reference_path=args.reference, metric=args.metric,
                    normalize=args.normalize, by_class=args.by_class,
                    suspects=args.suspects, emb=args.embeddings, lab=args.labels,
                    ref_emb=args.ref_embeddings, ref_lab=args.ref_labels)
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
