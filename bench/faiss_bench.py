#!/usr/bin/python3
"""faiss_bench.py - exact k-NN of every row of a tripminer input against all
rows, with FAISS (IndexFlatL2), for comparison with `tripminer mine`.

    faiss_bench.py -i DATA.h5 -k K [--threads T] [--reps R]

Reads `embeddings` with h5py, adds them to an IndexFlatL2 and searches all N
rows as queries (k nearest, the row itself included, as a brute-force search
would). Only the search is timed (best of --reps). Prints one JSON object:
seconds, gflops (2 N^2 D / seconds), n, dim, k, threads, faiss version.

Run it with Debian's /usr/bin/python3 (python3-faiss, python3-h5py,
python3-numpy) and OPENBLAS_NUM_THREADS=T: FAISS's distance products are
OpenBLAS calls made outside its OpenMP loops, so OpenBLAS's own threads do
that part of the work.
"""

import argparse
import json
import sys
import time

import faiss
import h5py
import numpy as np


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-i", "--input", required=True, help="HDF5 file with `embeddings`")
    ap.add_argument("-k", type=int, required=True, help="neighbours per query")
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads for FAISS")
    ap.add_argument("--reps", type=int, default=1, help="searches; the fastest counts")
    ap.add_argument("--embeddings", default="embeddings", help="dataset name")
    a = ap.parse_args()
    if a.k < 1 or a.threads < 1 or a.reps < 1:
        ap.error("-k, --threads and --reps must be positive")

    with h5py.File(a.input, "r") as f:
        x = np.ascontiguousarray(f[a.embeddings][...], dtype=np.float32)
    n, dim = x.shape

    faiss.omp_set_num_threads(a.threads)
    index = faiss.IndexFlatL2(dim)
    index.add(x)

    best = float("inf")
    for _ in range(a.reps):
        t0 = time.perf_counter()
        dist, ids = index.search(x, a.k)
        best = min(best, time.perf_counter() - t0)
    # A cheap check that the search did what it should: with distinct rows,
    # each row's nearest neighbour is itself at distance 0.
    self_hits = float(np.mean(ids[:, 0] == np.arange(n)))
    del dist, ids

    json.dump({"tool": "faiss.IndexFlatL2", "faiss_version": faiss.__version__,
               "n": n, "dim": dim, "k": a.k, "threads": a.threads,
               "seconds": best, "gflops": 2.0 * n * n * dim / best / 1e9,
               "self_hit_fraction": self_hits}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
