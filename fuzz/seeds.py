#!/usr/bin/env python3
"""seeds.py - write the seed corpora fuzz/corpus/opts and fuzz/corpus/h5in.

The seeds are committed; this script says what each one is and rewrites
them (python3 fuzz/seeds.py from the top of the tree). Standard library
only. The byte layouts are those of fuzz/README.md.
"""
import os
import sys

TOP = os.path.dirname(os.path.abspath(__file__))

# ---- fuzz_opts: command byte (0 mine, 1 synth, 2 inspect, 3 eval), NUL-separated words
OPTS = {
    "mine-minimal": (0, ["-i", "in.h5", "-o", "out.h5"]),
    "mine-all": (0, ["--input=in.h5", "-o", "out.h5", "--embeddings", "emb",
                     "--labels=lab", "-s", "semihard", "-m", "cosine", "--normalize",
                     "--margin", "0.3", "--loss", "softplus", "--positives", "4",
                     "--negatives", "2", "--neg-min-dist", "1e-3", "--neg-skip", "1",
                     "--chunk", "4096", "--threads", "2", "--mem-limit", "512MiB",
                     "--json", "-q", "-v", "--force"]),
    "mine-topk": (0, ["-i", "a", "-o", "b", "--strategy=topk", "--negatives=10",
                      "--metric=euclidean", "--mem-limit=4G"]),
    "mine-checkpoint": (0, ["-i", "a", "-o", "b", "--checkpoint", "ck",
                            "--checkpoint-every", "30.5", "--resume"]),
    "mine-help": (0, ["--help"]),
    "mine-bad": (0, ["-i", "a", "-o", "b", "--chunk", "-5", "--margin", "nan",
                     "--threads", "99999", "extra"]),
    "synth": (1, ["-o", "s.h5", "-n", "600", "-d", "16", "-c", "20", "--seed",
                  "18446744073709551615", "--spread", "0.5", "--force"]),
    "synth-long": (1, ["--output=s.h5", "--num=10", "--dim=3", "--classes=2", "-q"]),
    "inspect": (2, ["triplets.h5", "--svg", "t.svg", "--bins", "30", "--json",
                    "--force", "-v"]),
    "inspect-dashdash": (2, ["--bins=5", "--", "-file-with-dash.h5"]),
    "eval": (3, ["-i", "val.h5", "-o", "r.h5", "--by-class", "--suspects=7", "-m", "cosine",
                 "--reference", "ref.h5", "--ref-labels", "y", "--kernel", "auto",
                 "--threads=auto", "--stall-timeout", "0", "--json", "-q", "--force"]),
    "eval-mine-option": (3, ["-i", "val.h5", "-s", "hard", "--pairs", "p"]),
}

# ---- fuzz_h5in: the description from the front, the values from the back.
# Description: flags, budget, [root attributes], then the embeddings slot and
# the labels slot. A slot is: kind (0 a dataset), type (0 the slot's
# default: float32 LE or int32 LE), rank (0 the default: 2 or 1), layout,
# one byte per dimension (0 the default: 8 rows and 4 columns; the labels
# as many rows as the embeddings), then its attributes: a count and, for
# each, a type and a length. Values (fill value, data, attribute values, in
# the order the target uses them) are read from the last byte backwards.
# Past the point where the two meet every byte is 0.
def h5in(*parts):
    """parts: (description bytes, value bytes) pairs, in reading order."""
    front = b"".join(p[0] for p in parts)
    values = b"".join(p[1] for p in parts)
    return front + values[::-1]

def head(flags=0, budget=0):
    return (bytes([flags, budget]), b"")

def slot(kind=0, typ=0, rank=0, layout=0, dims=(0, 0), values=b"", attrs=b"\0"):
    return (bytes([kind, typ, rank, layout, *dims]) + attrs, values)

# Type bytes of the labels slot are counted from int32 LE (T_I32LE = 10 of
# the 28 kinds of fuzz_h5in.c): 3 is uint64 LE, 18 float32 LE.
FLOATS = bytes([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0x40, 0x40, 0xcd, 0xcc, 0xcc, 0x3d]) * 8
LABELS = bytes([1, 0, 0, 0, 2, 0, 0, 0]) * 4
H5IN = {
    "valid-default": h5in(head()),
    "valid-data": h5in(head(), slot(values=FLOATS), slot(dims=(0,), values=LABELS)),
    "valid-normalize-latest": h5in(head(3), slot(values=FLOATS), slot(dims=(0,), values=LABELS)),
    "float64-be-chunked-shuffle-deflate": h5in(head(), slot(typ=4, layout=0x0d),
                                                 slot(layout=1, dims=(0,))),
    "float16-deflate": h5in(head(), slot(typ=2, layout=0x09), slot(typ=3, dims=(0,))),
    "labels-u64-n-by-1": h5in(head(), slot(), slot(typ=3, rank=1, dims=(0, 0))),
    "labels-float": h5in(head(), slot(), slot(typ=18, dims=(0,))),
    "compact-fill-fletcher32": h5in(head(), slot(layout=0x62, values=bytes([0, 0, 0x80, 0x3f])),
                                    slot(layout=0x11, dims=(0,))),
    "group-instead": h5in(head(), slot(kind=5), slot(dims=(0,))),
    "missing-labels": h5in(head(), slot(), (bytes([4]), b"")),
    "budget-small": h5in(head(0, 4), slot(), slot(dims=(0,))),
    "huge-rows-unwritten": h5in(head(), slot(layout=0x21, dims=(0xfe, 0)),
                                slot(layout=0x21, dims=(0,))),
    "in-group-with-attributes": h5in(head(0x48), (bytes([1, 0, 0]), bytes([0, 0, 0x80, 0x3f])),
                                     slot(attrs=bytes([1, 0, 3]), values=FLOATS +
                                          bytes([0, 0, 0x80, 0x3f]) * 3),
                                     slot(dims=(0,))),
    "shared-name": h5in(head(0x3c), slot(), slot()),
    "soft-link-to-embeddings": h5in(head(), slot(), (bytes([7, 1]), b"")),
}


def write(name, files):
    d = os.path.join(TOP, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for f, data in files.items():
        with open(os.path.join(d, f), "wb") as out:
            out.write(data)
    print(f"{d}: {len(files)} seeds")


if __name__ == "__main__":
    write("opts", {k: bytes([c]) + b"\0".join(w.encode() for w in words)
                   for k, (c, words) in OPTS.items()})
    write("h5in", H5IN)
    sys.exit(0)
