#!/usr/bin/env bash
# partitions.sh - partitioned mining (--partitions auto --probe P) against the
# exact sweep and against FAISS IndexIVFFlat, on this machine.
#
#   bench/partitions.sh [--n N] [--d D] [--classes C] [--latent K] [--ranks R]
#                       [--probes "4 8 16 32"] [--out DIR] [--skip-exact]
#                       [--seed S] [--sets "structured isotropic"] [--no-faiss]
#
# Defaults: N=1000000, D=128, C=N/50, K=16, R=2 ranks of nproc/R threads,
# DIR=$BENCH_BUILD_DIR/partitions (build-bench/partitions), S=7.
#
# For each data set (`tripminer synth`: structured with --latent-dim K, and
# isotropic, the default mode; made once, reused by later runs):
#   1. the exact sweep, once per rule: mine -s hard and -s topk --negatives 10
#      (--kernel auto, R ranks); with --skip-exact the exact time is
#      estimated instead from an exact run on N/5 rows of the same generator,
#      times 25 (the sweep is N^2), and the report says so;
#   2. the same rules with --partitions auto --probe P for each P of --probes
#      (--check 1000, the default): seconds, partitions, check_identical,
#      check_recall, certified_anchors, peak RSS per rank, exact/partitioned;
#   3. FAISS IndexIVFFlat (bench/faiss_ivf.py) with nlist = tripminer's
#      partitions, nprobe raised until its fraction of exact nearest
#      negatives reaches what tripminer's `hard` reached at the smallest P
#      with check_identical >= 0.99 (the largest P when none did): once with
#      FAISS's own k-means settings and once with tripminer's k-means budget
#      (16 rows per centre, 5 iterations). The exact nearest negatives come
#      from the exact `hard` output (with --skip-exact: 1000 sampled anchors
#      by brute force).
# Report: DIR/partitions.md (printed at the end), raw lines in
# DIR/partitions.jsonl, logs and summaries per run in DIR.
#
# tripminer is built in Release mode in its own tree, as bench/run.sh does;
# missing packages come from scripts/install-deps.sh --bench.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
here=$top/bench
build=${BENCH_BUILD_DIR:-$top/build-bench}
py=/usr/bin/python3 # Debian's, where python3-faiss lives

n=1000000 d=128 classes='' latent=16 ranks=2 probes="4 8 16 32" out='' seed=7
skip_exact=0 sets="structured isotropic" faiss=1
aim=0.99 # the check_identical a probe must reach
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "partitions.sh: error: $*" >&2; exit 1; }
posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "partitions.sh: $1 wants a positive integer, not '$2'" >&2; exit 2; }; }

while [ "$#" -gt 0 ]; do
  case "$1" in
    --n|--d|--classes|--latent|--ranks|--seed)
      [ "$#" -ge 2 ] || { echo "partitions.sh: $1 needs a value" >&2; exit 2; }
      posint "$1" "$2"
      case "$1" in
        --n) n=$2 ;; --d) d=$2 ;; --classes) classes=$2 ;; --latent) latent=$2 ;;
        --ranks) ranks=$2 ;; --seed) seed=$2 ;;
      esac
      shift 2 ;;
    --probes|--out|--sets)
      [ "$#" -ge 2 ] || { echo "partitions.sh: $1 needs a value" >&2; exit 2; }
      case "$1" in --probes) probes=$2 ;; --out) out=$2 ;; --sets) sets=$2 ;; esac
      shift 2 ;;
    --skip-exact) skip_exact=1; shift ;;
    --no-faiss) faiss=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "partitions.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
for p in $probes; do posint --probes "$p"; done
[ -n "$probes" ] || die "--probes is empty"
for s in $sets; do
  case $s in structured|isotropic) ;; *) die "--sets: unknown set '$s' (structured, isotropic)" ;; esac
done
# Probes in increasing order, each once.
probes=$(tr ' ' '\n' <<<"$probes" | sed '/^$/d' | sort -nu | tr '\n' ' ')
[ -n "$classes" ] || classes=$(( n / 50 > 1 ? n / 50 : 2 ))
[ -n "$out" ] || out=$build/partitions
cpus=$(nproc)
threads=$(( cpus / ranks > 0 ? cpus / ranks : 1 ))
sub_n=$(( n / 5 ))
if [ "$skip_exact" -eq 1 ] && [ "$sub_n" -lt 2 ]; then die "--skip-exact needs --n of at least 10"; fi

log() { echo "[partitions] $*" >&2; }

# ---- prerequisites (as bench/run.sh) ------------------------------------------
"$top/scripts/install-deps.sh" --bench >&2
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
log "building tripminer in $build"
cmake --build "$build" -j 2 --target tripminer >/dev/null
tm=$build/tripminer
[ -x "$tm" ] || die "no tripminer at $tm after the build"
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt")
[ "$btype" = Release ] || log "warning: $build is a '$btype' build, not Release"

mkdir -p "$out"
out=$(cd "$out" && pwd)
jsonl=$out/partitions.jsonl
report=$out/partitions.md
: >"$jsonl"

# Open MPI refuses to run as root unless told twice.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
mpi=(mpirun -n "$ranks" --oversubscribe --bind-to none)

# How busy the machine was for a second before the start.
jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
read -r b0 t0 <<<"$(jiffies)"
sleep 1
read -r b1 t1 <<<"$(jiffies)"
busy_start=$(( t1 > t0 ? 100 * (b1 - b0) / (t1 - t0) : 0 ))
[ "$busy_start" -le 10 ] || log "warning: the CPUs were $busy_start % busy before starting"

# data FILE ROWS SET: make the synthetic set unless it exists.
data() {
  local file=$1 rows=$2 set=$3 extra=()
  [ "$set" = structured ] && extra=(--latent-dim "$latent")
  [ -f "$file" ] && return 0
  log "synth $set: $rows x $d, $classes classes -> $file"
  "${mpi[@]}" "$tm" synth -o "$file.tmp" -n "$rows" -d "$d" -c "$classes" --seed "$seed" \
    "${extra[@]}" --force -q >&2
  mv "$file.tmp" "$file"
}
data_file() { # data_file ROWS SET
  if [ "$2" = structured ]; then
    echo "$out/data-n$1-d$d-c$classes-l$latent-s$seed.h5"
  else
    echo "$out/data-n$1-d$d-c$classes-s$seed.h5"
  fi
}

# mine NAME INPUT [options...]: one run of tripminer mine on R ranks; writes
# NAME.json (--json), NAME.rss.RANK (bench/rank-rss.sh: GNU time per rank),
# NAME.cpu (machine's busy/total ticks before and after), NAME.log (-v) and
# the output NAME.h5.
mine() {
  local name=$1 input=$2
  shift 2
  log "mine $name: $ranks rank(s) x $threads thread(s): $*"
  rm -f "$out/$name.rss".*
  jiffies >"$out/$name.cpu"
  if ! "${mpi[@]}" "$here/rank-rss.sh" "$out/$name.rss" \
      "$tm" mine -i "$input" -o "$out/$name.h5" --threads "$threads" --kernel auto \
      --json --force -v "$@" >"$out/$name.json" 2>"$out/$name.log"; then
    tail -5 "$out/$name.log" >&2
    die "tripminer mine failed for $name (log: $out/$name.log)"
  fi
  jiffies >>"$out/$name.cpu"
  log "  $("$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); print("%.2f s, check_identical %s" % (d["seconds"], d.get("check_identical", "-")))' "$out/$name.json")"
}

record() { "$py" "$here/partitions_report.py" record --dir "$out" "$@" >>"$jsonl"; }

rules=(hard topk10)
rule_opts() { case $1 in hard) echo "-s hard" ;; topk10) echo "-s topk --negatives 10" ;; esac; }

for set in $sets; do
  file=$(data_file "$n" "$set")
  data "$file" "$n" "$set"

  # 1. The exact sweep (or its estimate from N/5 rows).
  for rule in "${rules[@]}"; do
    read -ra opts <<<"$(rule_opts "$rule")"
    name=exact-$rule-$set
    if [ "$skip_exact" -eq 1 ]; then
      sub=$(data_file "$sub_n" "$set")
      data "$sub" "$sub_n" "$set"
      mine "$name" "$sub" "${opts[@]}"
      record --name "$name" --set "$set" --rule "$rule" --mode exact-estimate \
        --scale 25 --rows "$n"
      rm -f "$out/$name.h5"
    else
      mine "$name" "$file" "${opts[@]}"
      record --name "$name" --set "$set" --rule "$rule" --mode exact
      # FAISS's reference: the exact hardest negatives. topk's is not needed.
      [ "$rule" = hard ] || rm -f "$out/$name.h5"
    fi
  done

  # 2. Partitioned, probe by probe.
  for p in $probes; do
    for rule in "${rules[@]}"; do
      read -ra opts <<<"$(rule_opts "$rule")"
      name=part-$rule-p$p-$set
      mine "$name" "$file" "${opts[@]}" --partitions auto --probe "$p"
      record --name "$name" --set "$set" --rule "$rule" --mode partitioned
      rm -f "$out/$name.h5"
    done
  done

  # 3. FAISS IndexIVFFlat to the fraction tripminer's hard reached.
  [ "$faiss" -eq 1 ] || continue
  read -r tm_probe nlist target reached <<<"$("$py" "$here/partitions_report.py" choose \
    --jsonl "$jsonl" --set "$set" --rule hard --aim "$aim")"
  [ "$reached" -eq 1 ] \
    || log "$set: no probe reached check_identical $aim; FAISS aims at P = $tm_probe's $target"
  ref=()
  if [ "$skip_exact" -eq 1 ]; then ref=(--sample 1000); else ref=(--exact "$out/exact-hard-$set.h5"); fi
  for cfg in faiss-default faiss-budget; do
    name=$cfg-$set
    kopt=()
    label="FAISS's k-means settings"
    if [ "$cfg" = faiss-budget ]; then
      kopt=(--niter 5 --train-points 16)
      label="tripminer's k-means budget"
    fi
    log "$name: IndexIVFFlat nlist $nlist, target $target ($cpus threads)"
    jiffies >"$out/$name.cpu"
    env OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS="$cpus" \
      /usr/bin/time -f '%M %U %S' -o "$out/$name.rss.0" \
      "$py" "$here/faiss_ivf.py" -i "$file" --nlist "$nlist" --target "$target" \
      --threads "$cpus" "${ref[@]}" "${kopt[@]}" >"$out/$name.json" 2>"$out/$name.log" \
      || { tail -5 "$out/$name.log" >&2; die "faiss_ivf.py failed (log: $out/$name.log)"; }
    jiffies >>"$out/$name.cpu"
    record --name "$name" --set "$set" --rule hard --mode faiss --label "$label" \
      --tm-probe "$tm_probe"
  done
done

meta=("machine=$(lscpu | sed -n 's/^Model name: *//p' | head -1), $cpus CPUs, ${busy_start} % busy before the start"
      "tripminer=$("$tm" --version)"
      "runs=$ranks ranks x $threads threads (mpirun --bind-to none), --kernel auto; FAISS $cpus threads, OMP_WAIT_POLICY=PASSIVE"
      "data=N = $n, D = $d, $classes classes, synth --seed $seed; structured: --latent-dim $latent"
      "probes=$probes(--partitions auto, --check 1000)"
      "aim=$aim")
if [ "$skip_exact" -eq 1 ]; then
  meta+=("exact=**estimated** (--skip-exact): exact runs on N/5 = $sub_n rows of the same generator, seconds x 25")
fi
"$py" "$here/partitions_report.py" report --jsonl "$jsonl" --meta "${meta[@]}" >"$report"
cat "$report"
