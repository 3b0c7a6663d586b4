#!/usr/bin/env bash
# multinode.sh - how much of the exchange the computation hides, measured
# over the multi-host test bed (scripts/cluster-local.sh): 2 nodes, one
# rank each, their switch ports rate-limited (tc tbf) to each rate in turn.
#
#   bench/multinode.sh [--n N] [--d D] [--rates "10gbit 1gbit 100mbit"]
#                      [--strategy S] [--tm PATH]
#
# For each rate: the wall time, the time each rank waited for the exchange
# (the -v breakdown, max over ranks) and the model's transfer time per pass
# (N·D·4 bytes through the slower port, one per pass), in a table on stdout.
# Needs root (the bed), Slurm and iproute2 (scripts/install-deps.sh
# --slurm); builds tripminer in ./build-bench unless --tm is given. The bed
# is started here and stopped at the end.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
n=100000 d=128 rates="10gbit 1gbit 100mbit" strategy=hard tm=''
while [ "$#" -gt 0 ]; do
  case "$1" in
    --n) n=$2; shift 2 ;;
    --d) d=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --strategy) strategy=$2; shift 2 ;;
    --tm) tm=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "multinode.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
bed=$top/scripts/cluster-local.sh
if [ -z "$tm" ]; then
  build=${BENCH_BUILD_DIR:-$top/build-bench}
  [ -f "$build/CMakeCache.txt" ] || cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "$(nproc)" --target tripminer >/dev/null
  tm=$build/tripminer
fi
work=${BENCH_WORK:-$top/build-bench/multinode}
mkdir -p "$work"
work=$(cd "$work" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,tcp

"$bed" start 2 >&2
trap '"$bed" stop >/dev/null 2>&1 || true' EXIT
[ -s "$work/in-$n-$d.h5" ] || "$tm" synth -o "$work/in-$n-$d.h5" -n "$n" -d "$d" -c 1000 -q --force

passes=1
[ "$strategy" = semihard ] && passes=2
bytes=$((n * d * 4))
printf '| link per node | seconds | wait for the exchange (max rank) | of the run | model: one pass of N·D·4 bytes |\n'
printf '|---|--:|--:|--:|--:|\n'
for rate in none $rates; do
  for node in node1 node2; do
    "$bed" shape "$node" none
    [ "$rate" = none ] || "$bed" shape "$node" tbf rate "$rate" burst 4mb latency 200ms
  done
  log=$work/run-$rate.log
  start=$(date +%s.%N)
  "$bed" exec node1 srun -N 2 -n 2 --mpi=pmix "$tm" mine -i "$work/in-$n-$d.h5" \
    -o "$work/out.h5" -s "$strategy" --threads 1 --force -v >"$log" 2>&1
  end=$(date +%s.%N)
  wait_max=$(sed -n 's/.*wait (communication) *[0-9.]* \/ *[0-9.]* \/ *\([0-9.]*\) s.*/\1/p' "$log")
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  model='-'
  if [ "$rate" != none ]; then
    bps=$(awk -v r="$rate" 'BEGIN { n = r + 0; if (r ~ /gbit/) n *= 1e9; else if (r ~ /mbit/) n *= 1e6; print n }')
    model=$(awk -v b="$bytes" -v p="$passes" -v s="$bps" 'BEGIN { printf "%.2f s", p * b * 8 / s }')
  fi
  share=$(awk -v w="$wait_max" -v s="$secs" 'BEGIN { printf "%.1f %%", 100 * w / s }')
  printf '| %s | %s | %s s | %s | %s |\n' "${rate/none/unlimited (veth)}" "$secs" "$wait_max" "$share" "$model"
done
"$bed" shape node1 none
"$bed" shape node2 none
