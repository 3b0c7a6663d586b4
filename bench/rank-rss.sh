#!/usr/bin/env bash
# rank-rss.sh PREFIX CMD [ARGS...] - run CMD under GNU time and write one line
# to PREFIX.RANK: its peak resident set size in KiB and its user and system
# CPU seconds (GNU time's %M %U %S). RANK is this process's MPI rank (Open
# MPI's OMPI_COMM_WORLD_RANK, else PMI_RANK or Slurm's SLURM_PROCID, else 0).
# Used by run.sh as
#   mpirun -n 2 bench/rank-rss.sh DIR/run.rss tripminer mine ...
set -euo pipefail
[ "$#" -ge 2 ] || { echo "usage: rank-rss.sh PREFIX CMD [ARGS...]" >&2; exit 2; }
prefix=$1
shift
rank=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-${SLURM_PROCID:-0}}}
exec /usr/bin/time -f '%M %U %S' -o "$prefix.$rank" "$@"
