#!/usr/bin/python3
"""`tripminer synth` read back with h5py and NumPy, one case per argument:

  ranks      --latent-dim 8 (with queries, and with K > D) on 1, 2 and 3
             ranks: the same file bytes, the same datasets and attributes;
  isotropic  the default set is the one synth wrote before --latent-dim
             existed: its datasets' SHA-256 (little-endian bytes, C order),
             pinned below from that build; with TM_SYNTH_BASE set to an
             older tripminer executable, also the same file bytes as its;
  structure  --latent-dim 4, D = 64: rows of a class nearer each other than
             rows of two classes, on average, and the top 4 principal
             components carry over half the variance, while the isotropic
             set's top 4 carry under a fifth;
  errors     --latent-dim 0, -1, 4097, x or no value on 2 ranks: exit
             status 2, one line of tripminer's on stderr, an error naming
             --latent-dim, and no output left.

Environment: TRIPMINER (the executable, required), MPIEXEC (default
mpirun), MPIEXEC_PREFLAGS, TM_SYNTH_BASE (optional, above), TM_KEEP=1 to
keep the work directory. Run it with Debian's /usr/bin/python3: a missing
h5py or NumPy is a failure, not a skip.
"""

import filecmp
import hashlib
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
    sys.exit(f"synth: error: {sys.executable} cannot import h5py and numpy "
             f"({exc}); run scripts/install-deps.sh")

# The isotropic sets, each dataset's SHA-256 as the build before
# --latent-dim wrote them (git bbdde88).
PINNED = [
    (["-n", "3000", "-d", "64", "-c", "20", "--seed", "5"], {
        "embeddings": "f7ad95c8dc4995a26e46fb0185733c5a82a3711ec8602303b08c9c49d392cb87",
        "labels": "34ef475ceb6e157ff2f0eee3d9599a39bd185f9a5451c0ae460f47e9621f928b",
    }),
    (["-n", "700", "-d", "24", "-c", "9", "--seed", "11", "--spread", "0.5",
      "--queries", "60", "--query-positives", "2"], {
        "embeddings": "3338a319b8dd4d8328d62a74f26fe2dec91b82426baf3064303a3fda0d821364",
        "labels": "1b2c1d0e079d40c3ddbfc3eb0992a5736b50a22308acfe3bf8ba0cd9812957db",
        "pairs": "0ee8b3262ee7fc7200caa93b762619281f452afb36b00e34071b455074cecac3",
        "queries": "22c2f61d63cf06a352c55541cd24efa1b7897bf1814df303d0b7cadf4043a174",
        "query_labels": "17961834b4e844ad54e8f6f6f6baf7e2935310ab2e95e19da80d21ab176cf0e4",
    }),
]

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def launcher(nranks):
    pre = shlex.split(os.environ.get("MPIEXEC_PREFLAGS", ""))
    return [os.environ.get("MPIEXEC", "mpirun"), "-n", str(nranks)] + pre


def run(cmd, timeout=300, status=0):
    """Run cmd; return the finished process, or stop the test if its exit
    status is not status."""
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        sys.exit(f"synth: error: hang, killed after {timeout} s: {shlex.join(cmd)}")
    if res.returncode != status:
        sys.exit(f"synth: error: exit status {res.returncode}, expected {status}: "
                 f"{shlex.join(cmd)}\n{res.stderr}")
    return res


def synth(tm, out, args, nranks=2):
    run(launcher(nranks) + [tm, "synth", "-o", out, "-q"] + args)


def contents(path):
    """Every dataset (as an array) and every root attribute of path."""
    with h5py.File(path, "r") as f:
        data = {k: f[k][()] for k in f.keys()}
        attrs = dict(f.attrs)
    return data, attrs


def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
                          ).hexdigest()


def case_ranks(tm, work):
    # Each set without --latent-dim, then with it; the second has K > D.
    sets = [
        ["-n", "1001", "-d", "40", "-c", "13", "--seed", "4", "--queries", "77",
         "--query-positives", "3"],
        ["-n", "500", "-d", "5", "-c", "7", "--spread", "0.3"],
    ]
    for s, iso_args in enumerate(sets):
        args = iso_args + ["--latent-dim", "8"]
        outs = []
        for np_ in (1, 2, 3):
            out = os.path.join(work, f"r{s}_np{np_}.h5")
            synth(tm, out, args, np_)
            outs.append(out)
        tag = shlex.join(args)
        data1, attrs1 = contents(outs[0])
        for np_, out in zip((2, 3), outs[1:]):
            check(filecmp.cmp(outs[0], out, shallow=False),
                  f"{tag}: the file of {np_} ranks differs from that of 1 rank")
            data, attrs = contents(out)
            check(sorted(data) == sorted(data1) and attrs.keys() == attrs1.keys(),
                  f"{tag}, {np_} ranks: datasets {sorted(data)} attributes {sorted(attrs)}")
            for k in data1:
                check(k in data and data[k].dtype == data1[k].dtype
                      and np.array_equal(data[k], data1[k]),
                      f"{tag}: dataset {k} of {np_} ranks differs from that of 1 rank")
            for k in attrs1:
                check(k in attrs and np.array_equal(attrs[k], attrs1[k]),
                      f"{tag}: attribute {k} of {np_} ranks differs from that of 1 rank")
        x = data1["embeddings"]
        n, d = int(args[1]), int(args[3])
        check(x.shape == (n, d) and x.dtype == np.dtype("<f4"),
              f"{tag}: embeddings {x.shape} {x.dtype}")
        check(np.all(np.isfinite(x)), f"{tag}: a row is not finite")
        norms = np.linalg.norm(x.astype(np.float64), axis=1)
        check(np.abs(norms - 1.0).max() < 1e-6, f"{tag}: a row's norm is {norms.min()}..")
        # The labels are those of the isotropic set of the same seed.
        iso = os.path.join(work, f"r{s}_iso.h5")
        synth(tm, iso, iso_args)
        check(np.array_equal(contents(iso)[0]["labels"], data1["labels"]),
              f"{tag}: labels differ from those of the isotropic set")


def case_isotropic(tm, work):
    base = os.environ.get("TM_SYNTH_BASE", "")
    for s, (args, want) in enumerate(PINNED):
        out = os.path.join(work, f"iso{s}.h5")
        synth(tm, out, args)
        data, attrs = contents(out)
        tag = shlex.join(args)
        check(attrs == {}, f"{tag}: attributes {sorted(attrs)}, expected none")
        check(sorted(data) == sorted(want), f"{tag}: datasets {sorted(data)}")
        for k, h in want.items():
            check(k in data and digest(data[k]) == h,
                  f"{tag}: dataset {k} differs from the isotropic set of before --latent-dim")
        if base:
            ref = os.path.join(work, f"iso{s}_base.h5")
            run([base, "synth", "-o", ref, "-q"] + args)
            check(filecmp.cmp(out, ref, shallow=False),
                  f"{tag}: the file differs from that of {base}")
    if not base:
        print("synth: TM_SYNTH_BASE not set: compared with the pinned checksums only")


def variance_top(x, k):
    """Share of the variance of the centred rows along their top k principal axes."""
    xc = x.astype(np.float64)
    xc -= xc.mean(axis=0)
    s = np.linalg.svd(xc, compute_uv=False) ** 2
    return float(s[:k].sum() / s.sum())


def class_distances(x, y):
    """Mean distance between two rows of one class, and of two classes."""
    x = x.astype(np.float64)
    sq = (x * x).sum(axis=1)
    d = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0))
    same = y[:, None] == y[None, :]
    np.fill_diagonal(same, False)
    other = y[:, None] != y[None, :]
    return float(d[same].mean()), float(d[other].mean())


def case_structure(tm, work):
    args = ["-n", "3000", "-d", "64", "-c", "100", "--seed", "2"]
    lat, iso = os.path.join(work, "lat.h5"), os.path.join(work, "iso.h5")
    synth(tm, lat, args + ["--latent-dim", "4"])
    synth(tm, iso, args)
    x, y = (contents(lat)[0][k] for k in ("embeddings", "labels"))
    same, other = class_distances(x, y)
    print(f"synth: --latent-dim 4: mean distance within a class {same:.4f}, "
          f"between classes {other:.4f}")
    check(same < other, f"--latent-dim 4: rows of a class at {same:.4f} on average, "
          f"of two classes at {other:.4f}")
    top_lat = variance_top(x, 4)
    top_iso = variance_top(contents(iso)[0]["embeddings"], 4)
    print(f"synth: top 4 principal components: {top_lat:.3f} of the variance with "
          f"--latent-dim 4, {top_iso:.3f} without")
    check(top_lat > 0.5, f"--latent-dim 4: the top 4 components carry {top_lat:.3f} of the "
          f"variance, not over 0.5")
    check(top_iso < 0.2, f"isotropic: the top 4 components carry {top_iso:.3f} of the "
          f"variance, not under 0.2")


def case_errors(tm, work):
    for value in (["0"], ["-1"], ["4097"], ["x"], []):
        outdir = os.path.join(work, "err" + "".join(value))
        os.mkdir(outdir)
        out = os.path.join(outdir, "out.h5")
        cmd = launcher(2) + [tm, "synth", "-o", out, "-n", "10", "-d", "3", "-c", "2",
                             "--latent-dim"] + value
        res = run(cmd, timeout=120, status=2)
        # Lines of tripminer's own (mpirun adds a notice of the exit status).
        lines = [ln for ln in res.stderr.splitlines() if ln.startswith("tripminer")]
        check(len(lines) == 1 and lines[0].startswith("tripminer: error:")
              and "--latent-dim" in lines[0],
              f"{shlex.join(cmd)}: stderr has not one error line naming --latent-dim: "
              f"{res.stderr!r}")
        check(os.listdir(outdir) == [], f"{shlex.join(cmd)}: left {os.listdir(outdir)}")


CASES = {"ranks": case_ranks, "isotropic": case_isotropic, "structure": case_structure,
         "errors": case_errors}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        sys.exit(f"usage: synth.py {'|'.join(CASES)}")
    tm = os.environ.get("TRIPMINER")
    if not tm:
        sys.exit("synth: error: set TRIPMINER to the tripminer executable")
    work = tempfile.mkdtemp(prefix="tm_synth.")
    try:
        CASES[sys.argv[1]](tm, work)
    finally:
        if os.environ.get("TM_KEEP") == "1":
            print(f"synth: work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        for f in failures:
            print(f"synth: FAIL: {f}", file=sys.stderr)
        print(f"synth: rerun with: TRIPMINER={shlex.quote(tm)} {sys.executable} "
              f"{shlex.quote(os.path.abspath(__file__))} {sys.argv[1]}", file=sys.stderr)
        return 1
    print(f"synth: {sys.argv[1]}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
