#!/usr/bin/env bash
# demo.sh - install, build, make a synthetic set and mine it on 2 ranks.
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
