#!/usr/bin/env bash
# demo.sh - install, build, make a synthetic set and mine it on 2 ranks; then
# queries against it with given pairs, sampled from a window of hard negatives;
# then the embedding's retrieval metrics (tripminer eval) and their picture.
#   scripts/demo.sh [N [D [CLASSES]]]     (default 20000 x 128, 500 classes)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
n=${1:-20000} d=${2:-128} c=${3:-500}

"$top/scripts/build.sh"
# Open MPI refuses to run as root unless told twice.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
out=${DEMO_DIR:-$top/build/demo}
mkdir -p "$out"
"$build/tripminer" synth -o "$out/sample.h5" -n "$n" -d "$d" -c "$c" --seed 7 --force
mpirun -n 2 --oversubscribe "$build/tripminer" mine -i "$out/sample.h5" \
  -o "$out/triplets.h5" --force
echo "[demo] triplets in $out/triplets.h5 (h5dump -A $out/triplets.h5 shows the attributes)"
# Retrieval: queries against the corpus with given positive pairs, the hard
# negatives drawn from ranks 3..52 of each query (see the README).
"$build/tripminer" synth -o "$out/retrieval.h5" -n "$n" -d "$d" -c "$c" --seed 8 \
  --queries $((n / 20)) --query-positives 2 --force
mpirun -n 2 --oversubscribe "$build/tripminer" mine -i "$out/retrieval.h5" --embeddings queries \
  --reference "$out/retrieval.h5" --pairs pairs -s sample --negatives 4 --neg-skip 3 \
  --neg-pool 50 --seed 1 -o "$out/retrieval-triplets.h5" --force
echo "[demo] query triplets in $out/retrieval-triplets.h5 (column 0: queries, 1-2: corpus rows)"
# How good is the embedding, and which items look mislabelled: exact
# retrieval metrics over the whole set, and a picture of the report.
mpirun -n 2 --oversubscribe "$build/tripminer" eval -i "$out/sample.h5" --by-class \
  -o "$out/report.h5" --force
"$build/tripminer" inspect "$out/report.h5" --svg "$out/report.svg" --force >/dev/null
echo "[demo] eval report in $out/report.h5, its picture in $out/report.svg"
