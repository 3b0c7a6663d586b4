#!/usr/bin/python3
"""faiss_ivf.py - each row's nearest negative (nearest row of another label)
with FAISS IndexIVFFlat, for comparison with `tripminer mine -s hard
--partitions C --probe P`.

    faiss_ivf.py -i DATA.h5 --nlist C --target F [--exact HARD.h5]
                 [--threads T] [--k K] [--niter I] [--train-points M]

Reads `embeddings` and `labels` with h5py, builds
IndexIVFFlat(IndexFlatL2(D), D, C) (squared L2, tripminer's default metric),
trains it (k-means on the rows, FAISS's own sampling: at most M points per
centre, I iterations; FAISS's defaults unless given), adds every row, then
searches every row as a query for its K nearest and keeps, in NumPy, the
first that is neither the query nor of the query's label. A query whose K
results are all its own label is searched again with a larger K (4 K, ...).

nprobe goes through 1, 2, 4, 8, ... (up to C) until the fraction of queries
whose nearest negative is the exact one reaches F, then bisects down to the
smallest nprobe that reaches it (--no-refine: keep the power of two). Train,
add, search and the NumPy filtering are timed separately; the end to end
time is their sum for that nprobe (as if it had been known beforehand). The
file is read before any clock starts.

The exact nearest negatives come from tripminer's exact `hard` output
(--exact: the `triplets` dataset, column 0 the anchor, column 2 its
negative), and the fraction is taken over its anchors. Without --exact,
--sample S queries (seeded) get their exact nearest negative by brute force
in float64 (S x N distances, not timed) and the fraction is over them.

Prints one JSON object on stdout. Run it with Debian's /usr/bin/python3
(python3-faiss), OMP_WAIT_POLICY=PASSIVE and OPENBLAS_NUM_THREADS=T (see
bench/README.md: libgomp's spinning threads otherwise slow OpenBLAS's).
"""

import argparse
import json
import sys
import time

import faiss
import h5py
import numpy as np


def first_negative(ids, rows, labels):
    """For search results `ids` (B x K, -1 where the list ran out) of query
    rows `rows`: each query's first result that is neither itself nor of its
    label (-1 if none), and whether its list was full (so that a larger K
    could still find one)."""
    valid = ids >= 0
    lab = labels[np.where(valid, ids, 0)]
    ok = valid & (ids != rows[:, None]) & (lab != labels[rows][:, None])
    found = ok.any(axis=1)
    first = ok.argmax(axis=1)
    neg = np.where(found, ids[np.arange(ids.shape[0]), first], -1)
    return neg, valid[:, -1]


def exact_from_sample(x, labels, count, seed, block=8192):
    """Exact nearest negative of `count` rows drawn with `seed`, by brute
    force in float64 (ties to the smaller index, as tripminer orders them)."""
    n = x.shape[0]
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=min(count, n), replace=False))
    q = x[rows].astype(np.float64)
    qn = (q * q).sum(axis=1)
    best_d = np.full(rows.size, np.inf)
    best_i = np.full(rows.size, -1, dtype=np.int64)
    for start in range(0, n, block):
        c = x[start:start + block].astype(np.float64)
        d = qn[:, None] + (c * c).sum(axis=1)[None, :] - 2.0 * (q @ c.T)
        cidx = np.arange(start, start + c.shape[0])
        d[labels[cidx][None, :] == labels[rows][:, None]] = np.inf
        d[cidx[None, :] == rows[:, None]] = np.inf
        j = d.argmin(axis=1)  # the first of equal minima: the smaller index
        dj = d[np.arange(rows.size), j]
        better = dj < best_d  # strictly: an earlier block keeps its tie
        best_d[better] = dj[better]
        best_i[better] = cidx[j[better]]
    return rows, best_i


def search_all(index, x, labels, k, batch):
    """Every row's nearest negative through the index: (negatives, search
    seconds, filter seconds, largest K used, queries searched again)."""
    n = x.shape[0]
    neg = np.full(n, -1, dtype=np.int64)
    t_search = t_filter = 0.0
    k_max, again = k, 0
    for start in range(0, n, batch):
        stop = min(start + batch, n)
        rows = np.arange(start, stop)
        t0 = time.perf_counter()
        _, ids = index.search(x[start:stop], k)
        t1 = time.perf_counter()
        got, full = first_negative(ids, rows, labels)
        redo = np.nonzero((got < 0) & full)[0]
        t2 = time.perf_counter()
        t_search += t1 - t0
        t_filter += t2 - t1
        kk = k
        while redo.size and kk < n:
            kk = min(4 * kk, n)
            k_max = max(k_max, kk)
            again += redo.size
            t0 = time.perf_counter()
            _, ids = index.search(x[rows[redo]], kk)
            t1 = time.perf_counter()
            more, full = first_negative(ids, rows[redo], labels)
            got[redo] = more
            redo = redo[(more < 0) & full]
            t2 = time.perf_counter()
            t_search += t1 - t0
            t_filter += t2 - t1
        neg[start:stop] = got
    return neg, t_search, t_filter, k_max, again


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-i", "--input", required=True, help="HDF5 file with embeddings and labels")
    ap.add_argument("--embeddings", default="embeddings", help="dataset name [embeddings]")
    ap.add_argument("--labels", default="labels", help="dataset name [labels]")
    ap.add_argument("--nlist", type=int, required=True, help="IVF lists (tripminer's partitions)")
    ap.add_argument("--target", type=float, required=True,
                    help="fraction of exact nearest negatives to reach (0..1)")
    ap.add_argument("--exact", help="tripminer's exact `hard` output (triplets)")
    ap.add_argument("--sample", type=int, default=1000,
                    help="without --exact: queries checked against brute force [1000]")
    ap.add_argument("--seed", type=int, default=1, help="seed of --sample [1]")
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads for FAISS [1]")
    ap.add_argument("--k", type=int, default=64, help="results per query, raised when needed [64]")
    ap.add_argument("--batch", type=int, default=1 << 16, help="queries per search call [65536]")
    ap.add_argument("--niter", type=int, help="k-means iterations [FAISS's default]")
    ap.add_argument("--train-points", type=int,
                    help="k-means sample: at most this many rows per list [FAISS's default]")
    ap.add_argument("--max-nprobe", type=int, help="stop after this nprobe [nlist]")
    ap.add_argument("--no-refine", dest="refine", action="store_false",
                    help="keep the power of two that reached the target (default: bisect "
                    "down to the smallest nprobe that does)")
    a = ap.parse_args()
    if a.nlist < 1 or a.threads < 1 or a.k < 1 or a.batch < 1 or a.sample < 1:
        ap.error("--nlist, --threads, --k, --batch and --sample must be positive")
    if not 0.0 <= a.target <= 1.0:
        ap.error("--target must be in [0, 1]")

    with h5py.File(a.input, "r") as f:
        x = np.ascontiguousarray(f[a.embeddings][...], dtype=np.float32)
        labels = np.asarray(f[a.labels][...]).reshape(-1).astype(np.int64)
    n, dim = x.shape
    if labels.shape[0] != n:
        ap.error(f"{a.labels} has {labels.shape[0]} rows, {a.embeddings} {n}")
    nlist = min(a.nlist, n)

    # The exact nearest negatives, and the queries they are known for.
    if a.exact:
        with h5py.File(a.exact, "r") as f:
            trip = np.asarray(f["triplets"][...], dtype=np.int64)
        check_rows, check_neg = trip[:, 0], trip[:, 2]
        checked_over = f"all {check_rows.size} anchors of the exact hard output"
    else:
        check_rows, check_neg = exact_from_sample(x, labels, a.sample, a.seed)
        checked_over = f"{check_rows.size} sampled anchors, exact by brute force"

    faiss.omp_set_num_threads(a.threads)
    quantizer = faiss.IndexFlatL2(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_L2)
    if a.niter is not None:
        index.cp.niter = a.niter
    if a.train_points is not None:
        index.cp.max_points_per_centroid = a.train_points
    train_rows = min(n, nlist * index.cp.max_points_per_centroid)

    t0 = time.perf_counter()
    index.train(x)
    t_train = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.add(x)
    t_add = time.perf_counter() - t0

    tries, reached = [], None

    def try_nprobe(nprobe):
        index.nprobe = nprobe
        neg, t_search, t_filter, k_max, again = search_all(index, x, labels, a.k, a.batch)
        hits = neg[check_rows] == check_neg
        frac = float(hits.mean()) if hits.size else 0.0
        tries.append({"nprobe": nprobe, "search_seconds": t_search, "filter_seconds": t_filter,
                      "fraction": frac, "no_negative": int((neg < 0).sum()),
                      "k_max": k_max, "searched_again": again,
                      "end_to_end_seconds": t_train + t_add + t_search + t_filter})
        print(f"faiss_ivf: nprobe {nprobe}: fraction {frac:.4f}, search {t_search:.2f} s, "
              f"filter {t_filter:.2f} s", file=sys.stderr)
        return tries[-1]

    max_nprobe = min(a.max_nprobe or nlist, nlist)
    nprobe = 1
    while True:
        frac = try_nprobe(nprobe)["fraction"]
        if frac >= a.target:
            reached = tries[-1]
            break
        if nprobe >= max_nprobe:
            break
        nprobe = min(2 * nprobe, max_nprobe)

    # Doubling overshoots: find the smallest nprobe between the last one that
    # fell short and the one that reached the target (bisection; the fraction
    # grows with nprobe, as every list of a smaller nprobe is probed too).
    if reached is not None and a.refine and len(tries) > 1:
        lo, hi = tries[-2]["nprobe"], reached["nprobe"]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            t = try_nprobe(mid)
            if t["fraction"] >= a.target:
                hi, reached = mid, t
            else:
                lo = mid

    out = {"tool": "faiss.IndexIVFFlat", "faiss_version": faiss.__version__,
           "n": n, "dim": dim, "nlist": nlist, "threads": a.threads, "target": a.target,
           "checked_over": checked_over, "k": a.k, "batch": a.batch,
           "niter": index.cp.niter, "max_points_per_centroid": index.cp.max_points_per_centroid,
           "train_rows": train_rows, "train_seconds": t_train, "add_seconds": t_add,
           "tries": tries, "reached": reached is not None,
           "nprobe": (reached or tries[-1])["nprobe"],
           "fraction": (reached or tries[-1])["fraction"],
           "search_seconds": (reached or tries[-1])["search_seconds"],
           "filter_seconds": (reached or tries[-1])["filter_seconds"],
           "end_to_end_seconds": (reached or tries[-1])["end_to_end_seconds"]}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
