#!/usr/bin/env bash
# run.sh - benchmark tripminer against the sgemm limit and FAISS, on this machine.
#
#   bench/run.sh [--n N] [--d D] [--classes C] [--threads T] [--out DIR]
#                [--seed S] [--reps R]
#   bench/run.sh --memory [--n N] [--d D] [--classes C] [--ranks P] [--out DIR]
#
# Default mode (N=100000, D=128, C=1000, T=number of CPUs):
#   1. OpenBLAS sgemm GFLOP/s: the miner's tile 128 x 1024 x D as T single-
#      threaded copies at once (the limit), and big products on T threads;
#   2. FAISS IndexFlatL2, k=1 and k=10, all N rows against all N rows;
#   3. tripminer mine -s hard | semihard | topk --negatives 10 |
#      sample --negatives 10 --neg-skip 10 --neg-pool 100 |
#      hard --pos easiest --neg-margin 0.05, and tripminer eval, on 1 rank x
#      T threads and on T ranks x 1 thread: seconds and peak RSS per rank;
#      then queries against a reference: Q = N/10 queries against a corpus of
#      10 N rows (the same number of pairs as N x N), on T ranks x 1 thread,
#      with labels and with --pairs (--no-reference skips this);
#   4. a table on stdout, DIR/results.md, DIR/results.json, and the issue's
#      targets with PASS/FAIL.
# --memory: N=1000000 (unless --n), D=128, mines `hard` on P=2 ranks x 1
#   thread and reports peak RSS per rank against the 1 GiB target. Slow.
#
# tripminer is built in Release mode in its own tree, $BENCH_BUILD_DIR
# (default ./build-bench), so that the benchmark never reconfigures or races
# with a build in ./build. DIR defaults to $BENCH_BUILD_DIR/results. Missing
# packages (FAISS, h5py, NumPy, GNU time) are installed with
# scripts/install-deps.sh --bench. Reruns reuse the data set in DIR.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
here=$top/bench
build=${BENCH_BUILD_DIR:-$top/build-bench}
py=/usr/bin/python3 # Debian's, where python3-faiss lives

n='' d=128 classes=1000 threads=$(nproc) ranks=2 out=$build/results seed=7 reps=1 memory=0
reference=1
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "run.sh: error: $*" >&2; exit 1; }
posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: $1 wants a positive integer, not '$2'" >&2; exit 2; }; }

while [ "$#" -gt 0 ]; do
  case "$1" in
    --n|--d|--classes|--threads|--ranks|--seed|--reps)
      [ "$#" -ge 2 ] || { echo "run.sh: $1 needs a value" >&2; exit 2; }
      posint "$1" "$2"
      case "$1" in
        --n) n=$2 ;; --d) d=$2 ;; --classes) classes=$2 ;; --threads) threads=$2 ;;
        --ranks) ranks=$2 ;; --seed) seed=$2 ;; --reps) reps=$2 ;;
      esac
      shift 2 ;;
    --out)
      [ "$#" -ge 2 ] || { echo "run.sh: --out needs a value" >&2; exit 2; }
      out=$2; shift 2 ;;
    --memory) memory=1; shift ;;
    --no-reference) reference=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$n" ]; then
  if [ "$memory" -eq 1 ]; then n=1000000; else n=100000; fi
fi

log() { echo "[bench] $*" >&2; }

# ---- prerequisites --------------------------------------------------------
"$top/scripts/install-deps.sh" --bench >&2
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
log "building tripminer in $build"
cmake --build "$build" -j "$(nproc)" --target tripminer >/dev/null
tm=$build/tripminer
[ -x "$tm" ] || die "no tripminer at $tm after the build"
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt")
[ "$btype" = Release ] || log "warning: $build is a '$btype' build, not Release"

mkdir -p "$out"
out=$(cd "$out" && pwd)

# Open MPI refuses to run as root unless told twice.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# Other programs using the CPUs make every figure low; measure how busy the
# machine is for a second before starting, and say so in the report.
cpu_idle() { awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
read -r idle0 total0 <<<"$(cpu_idle)"
sleep 1
read -r idle1 total1 <<<"$(cpu_idle)"
busy_start=$(( total1 > total0 ? 100 - 100 * (idle1 - idle0) / (total1 - total0) : 0 ))
load_start=$(cut -d' ' -f1 /proc/loadavg)
if [ "$busy_start" -gt 10 ]; then
  log "warning: the CPUs were $busy_start % busy before starting; other work will slow the runs"
fi

data=$out/data-n$n-d$d-c$classes-s$seed.h5
if [ ! -f "$data" ]; then
  log "synth $n x $d, $classes classes -> $data"
  "$tm" synth -o "$data.tmp" -n "$n" -d "$d" -c "$classes" --seed "$seed" --force >&2
  mv "$data.tmp" "$data"
fi

# jiffies: CPU time the whole machine spent busy (user, nice, system, irq,
# softirq, steal) and in all, in clock ticks, from /proc/stat. Taken before
# and after each run, it tells with the run's own CPU time how much other
# work shared the machine (report.py's "others' CPUs" column).
jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }

# mine NAME RANKS THREADS [tripminer mine options...]: one run; writes
# NAME.json (the --json summary), NAME.rss.RANK (GNU time: peak KiB, user
# and system seconds), NAME.cpu (jiffies before and after) and NAME.log.
# With --reps R the fastest of R runs is kept.
mine() {
  local name=$1 np=$2 nt=$3
  shift 3
  local best='' r what
  for ((r = 1; r <= reps; r++)); do
    what="mine $name: $np rank(s) x $nt thread(s)"
    [ "$reps" -gt 1 ] && what+=", run $r of $reps"
    log "$what"
    rm -f "$out/$name.try.rss".*
    jiffies >"$out/$name.try.cpu"
    # --bind-to none: Open MPI binds each rank to one core by default when
    # there are at most 2 ranks, which would put all threads of a
    # one-rank run on one core.
    if ! mpirun -n "$np" --oversubscribe --bind-to none \
        "$here/rank-rss.sh" "$out/$name.try.rss" \
        "$tm" "${MINE_CMD:-mine}" -i "${MINE_INPUT:-$data}" -o "$out/$name.h5" --threads "$nt" --json --force "$@" \
        >"$out/$name.try.json" 2>"$out/$name.log"; then
      tail -5 "$out/$name.log" >&2
      die "tripminer mine failed for $name (log: $out/$name.log)"
    fi
    jiffies >>"$out/$name.try.cpu"
    local secs
    secs=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' \
      "$out/$name.try.json")
    if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$secs
      mv "$out/$name.try.json" "$out/$name.json"
      mv "$out/$name.try.cpu" "$out/$name.cpu"
      rm -f "$out/$name.rss".*
      local f
      for f in "$out/$name.try.rss".*; do mv "$f" "$out/$name.rss.${f##*.}"; done
    fi
  done
  rm -f "$out/$name.try.json" "$out/$name.try.cpu" "$out/$name.try.rss".*
}

# same_output A B: are the triplets and distances of two runs the same bits?
same_output() {
  local ds
  # An eval report is the same bytes for any split.
  case $1 in eval-*) cmp -s "$out/$1.h5" "$out/$2.h5"; return ;; esac
  for ds in /triplets /d_ap /d_an /loss; do
    h5diff -q "$out/$1.h5" "$out/$2.h5" "$ds" "$ds" >/dev/null 2>&1 || return 1
  done
}

if [ "$memory" -eq 1 ]; then
  mine memory "$ranks" 1 -s hard
  rm -f "$out/memory.h5"
  "$py" "$here/report.py" --memory --dir "$out" --n "$n" --d "$d" --classes "$classes" \
    --ranks "$ranks" --load-start "$load_start" --busy-start "$busy_start" \
    --version "$("$tm" --version)"
  exit 0
fi

# ---- 1. sgemm --------------------------------------------------------------
log "sgemm limits (D=$d, $threads threads)"
read -ra blas_cflags <<<"$(pkg-config --cflags openblas)"
read -ra blas_libs <<<"$(pkg-config --libs openblas)"
cc -std=c17 -O2 -Wall -Wextra -fopenmp "${blas_cflags[@]}" "$here/sgemm_bench.c" \
  -o "$out/sgemm_bench" "${blas_libs[@]}"
jiffies >"$out/sgemm.cpu"
/usr/bin/time -f '%M %U %S' -o "$out/sgemm.rss.0" \
  "$out/sgemm_bench" --dim "$d" --threads "$threads" >"$out/sgemm.json"
jiffies >>"$out/sgemm.cpu"

# ---- 2. FAISS --------------------------------------------------------------
# FAISS alternates OpenBLAS-threaded sgemm with OpenMP loops; libgomp's
# threads spin after each loop and take CPU from OpenBLAS's threads. So FAISS
# runs as installed (OMP_WAIT_POLICY unset) and with OMP_WAIT_POLICY=PASSIVE;
# the report compares with the faster of the two.
for k in 1 10; do
  for policy in default passive; do
    name=faiss_k$k-$policy
    log "faiss IndexFlatL2 k=$k ($threads threads, OMP_WAIT_POLICY $policy)"
    envs=(OPENBLAS_NUM_THREADS="$threads")
    [ "$policy" = passive ] && envs+=(OMP_WAIT_POLICY=PASSIVE)
    jiffies >"$out/$name.cpu"
    env "${envs[@]}" /usr/bin/time -f '%M %U %S' -o "$out/$name.rss.0" \
      "$py" "$here/faiss_bench.py" -i "$data" -k "$k" --threads "$threads" --reps "$reps" \
      >"$out/$name.json" 2>"$out/$name.log" \
      || { tail -5 "$out/$name.log" >&2; die "FAISS k=$k failed (log: $out/$name.log)"; }
    jiffies >>"$out/$name.cpu"
  done
done

# ---- 3. tripminer ------------------------------------------------------------
configs=("1x$threads")
[ "$threads" -gt 1 ] && configs+=("${threads}x1")
identical=()
# The tile kernels beside auto (int8 on a CPU with AVX512-VNNI): float32, and
# bf16 where the CPU has AVX512-BF16; their outputs must be auto's bytes.
kernels=(f32)
grep -qw avx512_bf16 /proc/cpuinfo && kernels+=(bf16)
strats=(hard semihard topk10 sample10pool hardeasy eval)
for k in "${kernels[@]}"; do strats+=("hard-$k" "semihard-$k" "topk10-$k"); done
# The ratios to hard that earlier work set were measured on the float32 path.
strats+=(sample10pool-f32 hardeasy-f32 eval-f32)
for strat in "${strats[@]}"; do
  cmd=mine base=${strat%-*} kopt=()
  [ "$base" = "$strat" ] || kopt=(--kernel "${strat##*-}")
  case $base in
    eval) cmd=eval opts=(-q) ;;
    topk10) opts=(-s topk --negatives 10) ;;
    sample10pool) opts=(-s sample --negatives 10 --neg-skip 10 --neg-pool 100 --seed 1) ;;
    hardeasy) opts=(-s hard --pos easiest --neg-margin 0.05) ;;
    *) opts=(-s "$base") ;;
  esac
  for c in "${configs[@]}"; do
    MINE_CMD=$cmd mine "$strat-$c" "${c%x*}" "${c#*x}" "${opts[@]}" "${kopt[@]}"
  done
  if [ "${#configs[@]}" -eq 2 ]; then
    if same_output "$strat-${configs[0]}" "$strat-${configs[1]}"; then
      identical+=("$strat=yes")
    else
      identical+=("$strat=no")
    fi
  fi
  # Another kernel: the same bytes as auto's output of the same strategy.
  if [ "$base" != "$strat" ]; then
    if same_output "$strat-${configs[0]}" "$base-${configs[0]}"; then
      identical+=("$strat-vs-auto=yes")
    else
      identical+=("$strat-vs-auto=no")
    fi
  fi
done
for strat in "${strats[@]}"; do
  for c in "${configs[@]}"; do rm -f "$out/$strat-$c.h5"; done
done

# Queries against a reference of 10 N rows: Q x R = N x N pairs, so the rate
# compares with the self-mining runs above. The corpus streams from its file.
ref_args=()
if [ "$reference" -eq 1 ]; then
  q=$((n / 10)) r=$((10 * n))
  rdata=$out/retrieval-q$q-r$r-d$d-c$classes-s$seed.h5
  if [ ! -f "$rdata" ]; then
    log "synth corpus $r x $d with $q queries -> $rdata"
    mpirun -n "$threads" --oversubscribe --bind-to none "$tm" synth -o "$rdata.tmp" -n "$r" \
      -d "$d" -c "$classes" --seed "$seed" --queries "$q" --force -q >&2
    mv "$rdata.tmp" "$rdata"
  fi
  # -v: the log says the chunk, which sizes the round buffers of the bound.
  MINE_INPUT=$rdata mine "refq-${threads}x1" "$threads" 1 --embeddings queries \
    --labels query_labels --reference "$rdata" -v
  MINE_INPUT=$rdata mine "pairs-${threads}x1" "$threads" 1 --embeddings queries \
    --reference "$rdata" --pairs pairs
  MINE_INPUT=$rdata mine "refq-f32-${threads}x1" "$threads" 1 --embeddings queries \
    --labels query_labels --reference "$rdata" --kernel f32
  rm -f "$out/refq-${threads}x1.h5" "$out/pairs-${threads}x1.h5" "$out/refq-f32-${threads}x1.h5"
  # The runtime's own memory (MPI, HDF5, OpenBLAS, code): a run on 1000 rows.
  tiny=$out/tiny-d$d.h5
  [ -f "$tiny" ] || "$tm" synth -o "$tiny" -n 1000 -d "$d" -c 10 --force -q
  MINE_INPUT=$tiny mine "base-${threads}x1" "$threads" 1
  rm -f "$out/base-${threads}x1.h5"
  ref_args=(--queries "$q" --reference-rows "$r")
fi

# ---- 4. report ---------------------------------------------------------------
"$py" "$here/report.py" --dir "$out" --n "$n" --d "$d" --classes "$classes" \
  --threads "$threads" --load-start "$load_start" --busy-start "$busy_start" "${ref_args[@]}" \
  --identical "${identical[*]:-}" --version "$("$tm" --version)"
