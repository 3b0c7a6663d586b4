#!/usr/bin/env bash
# tripminer over several hosts: the test bed of scripts/cluster-local.sh
# (network namespaces joined by a bridge, real TCP between them, a Slurm
# cluster over them; started by the multinode_up fixture with 4 nodes).
#
#   multinode.sh runs       jobs/mine.sbatch with sbatch -N 2, 3 and 4 (1 and 2
#                           tasks per node) and mpirun -H node1,node2,node3 over
#                           the rsh agent: each output byte-identical to
#                           mpirun -n P on one host, and the job log must show
#                           Open MPI's TCP transport between two nodes' addresses
#   multinode.sh linkdown   node2's cable pulled mid-run (checkpoints on)
#   multinode.sh nodekill   one rank on node2 killed (SIGKILL) mid-run
#   multinode.sh stall      rank 0 stops making progress (TRIPMINER_FAULT=stall):
#                           the surviving rank says so
#   multinode.sh slowlink   node2's port delayed (netem) and rate-limited (tbf):
#                           the run finishes, identical, and progress is shown
#
# A fault case must end within its deadline with a clear message, leave no
# output and a valid checkpoint, and the same command with --resume must
# then give the bytes of an uninterrupted run.
#
# Environment: TRIPMINER (absolute path), TM_SOURCE_DIR, TM_MULTINODE_WORK
# (an absolute work directory every node sees; MODE/ in it is emptied first);
# TM_CLUSTER_DIR (the bed's state directory).
set -u

mode=${1:-}
case "$mode" in
  runs | linkdown | nodekill | stall | slowlink) ;;
  *)
    echo "usage: multinode.sh runs|linkdown|nodekill|stall|slowlink" >&2
    exit 2
    ;;
esac
for var in TRIPMINER TM_SOURCE_DIR TM_MULTINODE_WORK; do
  [ -n "${!var:-}" ] || { echo "multinode.sh: $var is not set" >&2; exit 2; }
done
bed=$TM_SOURCE_DIR/scripts/cluster-local.sh
job=$TM_SOURCE_DIR/jobs/mine.sbatch
work=$TM_MULTINODE_WORK/$mode
tm=$TRIPMINER
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

note() { echo "[multinode.sh $mode] $*"; }
fail() {
  echo "FAIL: multinode.sh $mode: $*"
  echo "rerun: ctest -R '^multinode_$mode\$' --output-on-failure (work files in $work)"
  exit 1
}
on() { "$bed" exec "$@"; } # on HOST CMD...: CMD on a node of the bed

# The same files on every node: the work directory is on the shared file
# system (only /tmp is each node's own).
rm -rf "$work"
mkdir -p "$work" || fail "cannot create $work"
cd "$work" || fail "cannot enter $work"
# The bed may still be finishing an earlier case's job.
for n in $(seq 300); do "$bed" status >/dev/null 2>&1 && break; sleep 0.2; done
"$bed" status >/dev/null || fail "the test bed is not up ($bed status)"

# reference NAME INPUT NP OPTIONS...: mpirun -n NP on this one host.
reference() {
  local name=$1 in=$2 np=$3
  shift 3
  mpirun -n "$np" --oversubscribe --bind-to none "$tm" mine -i "$in" -o "$work/$name.ref.h5" \
    -q --force "$@" >/dev/null 2>"$work/$name.ref.err" ||
    fail "the one-host reference $name failed: $(cat "$work/$name.ref.err")"
}

# same A B WHAT: byte-identical files.
same() { cmp -s "$1" "$2" || fail "$3: $1 and $2 differ"; }

# sbatch_wait LOG SBATCH-ARGS...: submit from node1 and wait (up to 180 s);
# echoes the job's exit code.
sbatch_wait() {
  local log=$1 id state code n
  shift
  id=$(on node1 sbatch --parsable --output="$log" "$@") || fail "sbatch $* was refused"
  for n in $(seq 900); do
    state=$(on node1 scontrol show job -o "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
    case "$state" in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;; esac
    sleep 0.2
  done
  code=$(on node1 scontrol show job -o "$id" 2>/dev/null | sed -n 's/.*ExitCode=\([0-9]*\):.*/\1/p')
  [ -n "$code" ] || { on node1 scancel "$id"; fail "job $id did not end in 180 s (state $state)"; }
  echo "$code"
}

# tcp_between LOG: the log shows Open MPI's TCP transport between two
# different nodes of the bed (btl_base_verbose), not shared memory.
tcp_between() {
  grep -qE 'btl:tcp: path from 10\.230\.17\.[0-9]+ to 10\.230\.17\.[0-9]+' "$1" ||
    fail "no TCP path between nodes in $1: the ranks did not talk over the network"
  if grep -qE 'btl:.*(vader|sm).*selected|btl: vader' "$1"; then
    fail "$1 shows the shared-memory transport"
  fi
}

case $mode in
runs)
  "$tm" synth -o "$work/in.h5" -n 6000 -d 32 -c 60 --seed 11 -q || fail "synth failed"
  # Every node's Open MPI: TCP only between nodes, and say which path it takes.
  export OMPI_MCA_btl=self,tcp OMPI_MCA_btl_base_verbose=30 OMPI_MCA_btl_tcp_if_include=10.230.17.0/24
  for spec in "2 1 hard" "3 1 semihard" "4 1 topk" "2 2 semihard" "4 2 hard"; do
    read -r nodes per strategy <<<"$spec"
    np=$((nodes * per))
    name=N$nodes-x$per-$strategy
    reference "$name" "$work/in.h5" "$np" -s "$strategy" --negatives 3
    code=$(TRIPMINER=$tm TM_CHECKPOINT=none TM_STRATEGY=$strategy \
      sbatch_wait "$work/$name.log" -N "$nodes" --ntasks-per-node "$per" --cpus-per-task 1 \
      "$job" "$work/in.h5" "$work/$name.h5" -q --negatives 3)
    [ "$code" = 0 ] || fail "$name: job exit code $code (log $work/$name.log)"
    same "$work/$name.h5" "$work/$name.ref.h5" "sbatch -N $nodes --ntasks-per-node $per -s $strategy"
    tcp_between "$work/$name.log"
    note "ok: sbatch -N $nodes --ntasks-per-node $per -s $strategy = mpirun -n $np on one host, over TCP"
  done
  reference H3 "$work/in.h5" 3 -s semihard
  on node1 mpirun --mca plm_rsh_agent "$("$bed" agent)" -H node1,node2,node3 -np 3 \
    --bind-to none "$tm" mine -i "$work/in.h5" -o "$work/H3.h5" -q -s semihard \
    >"$work/H3.log" 2>&1 || fail "mpirun -H node1,node2,node3 failed: $(tail -n 5 "$work/H3.log")"
  same "$work/H3.h5" "$work/H3.ref.h5" "mpirun -H node1,node2,node3"
  tcp_between "$work/H3.log"
  note "ok: mpirun -H node1,node2,node3 over the rsh agent = mpirun -n 3 on one host, over TCP"
  ;;
*)
  # One data set for the fault cases: 30 rounds of 500 rows per rank on 2
  # nodes; TRIPMINER_FAULT=delay stretches each round so that a fault lands
  # in the middle.
  "$tm" synth -o "$work/in.h5" -n 30000 -d 32 -c 150 --seed 5 -q || fail "synth failed"
  opts=(-s semihard --chunk 500 --threads 1 -q)
  reference run "$work/in.h5" 2 "${opts[@]}"
  export OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=10.230.17.0/24
  step() { # step LOG EXTRA...: the 2-node run as one srun step from node1
    local log=$1
    shift
    on node1 srun -N 2 -n 2 --mpi=pmix --kill-on-bad-exit=1 "$tm" mine -i "$work/in.h5" \
      -o "$work/out.h5" "${opts[@]}" --checkpoint "$work/ck" --checkpoint-every 0.5 \
      --stall-timeout 5 "$@" >"$log" 2>&1
  }
  # wait_file PATH SECONDS: until PATH exists.
  wait_file() {
    local n
    for n in $(seq $(($2 * 10))); do [ -e "$1" ] && return 0; sleep 0.1; done
    return 1
  }
  case $mode in
  linkdown)
    t0=$SECONDS
    TRIPMINER_FAULT=delay=0.2 step "$work/fault.log" &
    pid=$!
    wait_file "$work/ck/manifest" 60 || fail "no checkpoint within 60 s"
    "$bed" link node2 down
    note "node2's link down at $((SECONDS - t0)) s, after the first checkpoint"
    ;;
  nodekill)
    t0=$SECONDS
    TRIPMINER_FAULT=delay=0.2,kill=1:8 step "$work/fault.log" &
    pid=$!
    ;;
  stall)
    t0=$SECONDS
    TRIPMINER_FAULT=delay=0.2,stall=0:8 step "$work/fault.log" &
    pid=$!
    ;;
  slowlink)
    # A rate limit (tbf); a delay too where the kernel has netem (this
    # project's CI kernel has not).
    if "$bed" shape node2 netem delay 2ms rate 1gbit 2>/dev/null; then
      link="a 2 ms, 1 Gbit/s link (netem)"
    else
      "$bed" shape node2 tbf rate 1gbit burst 1mb latency 100ms ||
        fail "tc on node2's port failed"
      link="a 1 Gbit/s link (tbf; no netem in this kernel)"
    fi
    t0=$SECONDS
    TRIPMINER_FAULT= step "$work/slow.log" -v --checkpoint-every 600 || {
      "$bed" shape node2 none
      fail "the run over the slow link failed: $(tail -n 5 "$work/slow.log")"
    }
    "$bed" shape node2 none
    same "$work/out.h5" "$work/run.ref.h5" "the run over the slow link"
    grep -q 'wait' "$work/slow.log" || fail "no time breakdown (-v) in $work/slow.log"
    note "ok: 2 nodes over $link in $((SECONDS - t0)) s: identical output"
    grep -E 'progress: round|wait' "$work/slow.log" | tail -n 3 | sed 's/^/[multinode.sh slowlink]   /'
    echo "PASS: multinode.sh $mode"
    exit 0
    ;;
  esac
  # The fault must end the job in bounded time: the stall timeout (5 s),
  # the watchdog's grace for a blocking wait (5 s), srun's own wait (12 s).
  for n in $(seq 900); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    [ "$mode" = linkdown ] && "$bed" link node2 up
    fail "the job still runs 90 s after the fault (log $work/fault.log)"
  fi
  wait "$pid"
  rc=$?
  [ "$mode" = linkdown ] && { "$bed" link node2 up || fail "node2 does not come back"; }
  elapsed=$((SECONDS - t0))
  [ "$rc" -ne 0 ] || fail "the run ended with status 0 despite the fault"
  [ ! -e "$work/out.h5" ] || fail "an output file was left after the fault"
  case $mode in
  linkdown | stall)
    grep -E 'tripminer: error: rank [0-9]+ \(node[0-9]\): no progress for [0-9]+ s in ' \
      "$work/fault.log" >"$work/message" || fail "no watchdog line in $work/fault.log"
    [ "$mode" != stall ] || grep -q '^tripminer: error: rank 1 (node2): .*waiting for rank 0 ' "$work/message" ||
      fail "rank 1 did not name the stalled rank 0: $(cat "$work/message")"
    ;;
  nodekill)
    grep -qE 'task 1: Killed|tripminer: error: rank 0' "$work/fault.log" ||
      fail "no line says rank 1 was lost: $(tail -n 5 "$work/fault.log")"
    ;;
  esac
  note "ended in $elapsed s, status $rc: $(grep -m 1 -E 'tripminer: error|task 1: Killed' "$work/fault.log")"
  [ -e "$work/ck/manifest" ] || fail "no checkpoint left"
  note "checkpoint: $(sed -n 's/^pass /pass /p; s/^round /round /p' "$work/ck/manifest" | tr '\n' ' ')"
  step "$work/resume.log" --resume || fail "the resumed run failed: $(tail -n 5 "$work/resume.log")"
  same "$work/out.h5" "$work/run.ref.h5" "the run resumed after the fault"
  note "ok: resumed to the bytes of an uninterrupted run"
  ;;
esac
echo "PASS: multinode.sh $mode"
