#!/usr/bin/env bash
# jobs/mine.sbatch through a real Slurm cluster (scripts/slurm-local.sh,
# started by the slurm_up fixture): the job's output must be the same as a
# direct mpirun -n 2 run's.
#
#   slurm.sh mine      a 2-task job, checkpoints off (TM_CHECKPOINT=none),
#                      options from arguments and from the environment
#                      (TM_STRATEGY, TM_MINE_OPTS)
#   slurm.sh requeue   a 2-task job with a checkpoint every round, stopped in
#                      the middle with `scancel --signal=USR1 --batch` (what
#                      #SBATCH --signal=B:USR1@T does before the time limit):
#                      it must save, exit 75, requeue itself and finish on
#                      its second run; the job log (both runs) is printed
#
# Environment:
#   TRIPMINER         the executable, an absolute path slurmd can run (required)
#   TM_SOURCE_DIR     the source tree, for jobs/mine.sbatch (required)
#   TM_SLURM_DIR      the cluster's state directory (slurm.conf) (required)
#   TM_SLURM_WORK     work directory, absolute (required); MODE/ in it is
#                     emptied first and kept afterwards
#   MPIEXEC, MPIEXEC_PREFLAGS  the launcher of the direct run (mpirun)
#   TM_REQUEUE_N, TM_REQUEUE_CHUNK, TM_REQUEUE_DELAY  the requeue test's set
#                     size, --chunk and seconds slept per round
#                     (TRIPMINER_FAULT=delay): the run must last long enough
#                     to be stopped in the middle [12000, 50, 0.05]
#
# Every wait has a deadline (a job still there at its deadline is cancelled
# and the test fails); ctest's TIMEOUT is the last guard.
set -u

mode=${1:-}
case "$mode" in
  mine | requeue) ;;
  *)
    echo "usage: slurm.sh mine|requeue (with TRIPMINER, TM_SOURCE_DIR, TM_SLURM_DIR, TM_SLURM_WORK set)" >&2
    exit 2
    ;;
esac
for var in TRIPMINER TM_SOURCE_DIR TM_SLURM_DIR TM_SLURM_WORK; do
  [ -n "${!var:-}" ] || {
    echo "slurm.sh: $var is not set" >&2
    exit 2
  }
done
[[ $TRIPMINER == /* && -x $TRIPMINER ]] || {
  echo "slurm.sh: TRIPMINER must be an absolute path to an executable: $TRIPMINER" >&2
  exit 2
}
export SLURM_CONF=$TM_SLURM_DIR/slurm.conf
read -r -a preflags <<<"${MPIEXEC_PREFLAGS:-}"
mpiexec=${MPIEXEC:-mpirun}
job=$TM_SOURCE_DIR/jobs/mine.sbatch
work=$TM_SLURM_WORK/$mode
rerun="cd $(printf '%q' "$PWD") && ctest -R '^slurm_$mode\$' --output-on-failure"

note() { echo "[slurm.sh $mode] $*"; }
jobid='' joblog=''
fail() {
  echo "FAIL: slurm.sh $mode: $*"
  if [ -n "$jobid" ]; then
    echo "---- scontrol show job $jobid"
    scontrol show job "$jobid" 2>&1 | sed 's/^/  /'
  fi
  if [ -n "$joblog" ] && [ -f "$joblog" ]; then
    echo "---- job log $joblog"
    cat "$joblog"
  fi
  echo "---- slurmctld.log (last lines)"
  tail -n 15 "$TM_SLURM_DIR/slurmctld.log" 2>/dev/null
  echo "rerun: $rerun (work files in $work)"
  exit 1
}

# field NAME: NAME's value in the last `scontrol show job -o` line read.
line=''
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<" $line"; }

# poll_job ID SECONDS PREDICATE: read the job every 0.25 s until PREDICATE
# (a function of $line) holds; fail after SECONDS, cancelling the job.
poll_job() {
  local id=$1 secs=$2 pred=$3 end
  end=$((SECONDS + secs))
  while :; do
    line=$(scontrol show job -o "$id" 2>&1) || fail "scontrol show job $id: $line"
    "$pred" && return 0
    if [ "$SECONDS" -ge "$end" ]; then
      scancel "$id" 2>/dev/null
      fail "job $id: no '$pred' after ${secs}s (state $(field JobState)); cancelled"
    fi
    sleep 0.25
  done
}
# Predicates over $line.
finished() {
  case "$(field JobState)" in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | PREEMPTED | BOOT_FAIL | DEADLINE | OUT_OF_MEMORY) return 0 ;;
    *) return 1 ;;
  esac
}
running_with_checkpoint() {
  finished && fail "job $jobid ended ($(field JobState)) before it could be stopped: make the set bigger (TM_REQUEUE_N) or the rounds slower"
  [ "$(field JobState)" = RUNNING ] && [ -e "$work/out.h5.ckpt/manifest" ]
}

# same_output A B: A and B are the same mining output. Byte for byte (cmp)
# when this tripminer writes reproducible files; HDF5 object modification
# times otherwise make the bytes differ, and h5diff (every dataset and
# attribute) must then find no difference.
same_output() {
  local a=$1 b=$2
  h5diff "$a" "$b" >"$work/h5diff.out" 2>&1 || {
    cat "$work/h5diff.out"
    return 1
  }
  if cmp -s "$a" "$b"; then
    note "identical outputs: cmp $a $b"
    return 0
  fi
  # Does this build write the same bytes twice? Two tiny runs a second apart.
  if ! { "$TRIPMINER" synth -o "$work/probe.h5" -n 200 -d 4 -c 4 -q --force &&
    "$TRIPMINER" mine -i "$work/probe.h5" -o "$work/probe1.h5" -q --force >/dev/null &&
    sleep 1.1 &&
    "$TRIPMINER" mine -i "$work/probe.h5" -o "$work/probe2.h5" -q --force >/dev/null; }; then
    fail "the probe runs for byte reproducibility failed"
  fi
  if cmp -s "$work/probe1.h5" "$work/probe2.h5"; then
    echo "cmp: $(cmp "$a" "$b" 2>&1) (this tripminer writes reproducible bytes: a real difference)"
    return 1
  fi
  note "same data and attributes: h5diff $a $b (the bytes differ: this build stores object times)"
}

# submit SBATCH-ARGS...: submit jobs/mine.sbatch; sets jobid and joblog.
submit() {
  local out
  out=$(sbatch --parsable "$@") || fail "sbatch $* failed: $out"
  jobid=${out%%;*}
  joblog=$work/job-$jobid.log
  note "submitted job $jobid: sbatch $*"
}

rm -rf "$work"
mkdir -p "$work" || fail "cannot create $work"
cd "$work" || fail "cannot enter $work"
command -v sbatch >/dev/null || fail "no sbatch: scripts/install-deps.sh --slurm installs Slurm"
if [ ! -r "$SLURM_CONF" ] || ! scontrol ping >/dev/null 2>&1; then
  fail "no Slurm cluster answers at $SLURM_CONF: scripts/slurm-local.sh start (the slurm_up fixture) starts it"
fi

if [ "$mode" = mine ]; then
  "$TRIPMINER" synth -o "$work/in.h5" -n 3000 -d 24 -c 40 --seed 5 -q || fail "synth failed"
  opts=(--strategy topk --negatives 3 --metric cosine --chunk 200)
  "$mpiexec" -n 2 "${preflags[@]}" "$TRIPMINER" mine -i "$work/in.h5" -o "$work/direct.h5" \
    "${opts[@]}" -q >"$work/direct.log" 2>&1 || {
    cat "$work/direct.log"
    fail "the direct run (mpirun -n 2) failed"
  }
  # The strategy and two options come from the environment, the rest from
  # the arguments, as a user would mix them.
  submit --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --time=10 \
    --output="$work/job-%j.log" --chdir="$work" \
    --export=ALL,TM_CHECKPOINT=none,TM_STRATEGY=topk,TM_MINE_OPTS="--negatives 3 --metric cosine" \
    "$job" "$work/in.h5" "$work/out.h5" --chunk 200
  poll_job "$jobid" 300 finished
  note "job $jobid: JobState=$(field JobState) ExitCode=$(field ExitCode)"
  if [ "$(field JobState)" != COMPLETED ] || [ "$(field ExitCode)" != 0:0 ]; then
    fail "job $jobid did not complete with exit code 0"
  fi
  grep -q -- '--threads 1' "$joblog" || fail "the job did not pass --threads \$SLURM_CPUS_PER_TASK"
  grep -q 'srun --mpi=pmix' "$joblog" || fail "the job did not launch with srun --mpi=pmix"
  same_output "$work/direct.h5" "$work/out.h5" || fail "the job's output differs from the direct run's"
  echo "---- job log $joblog"
  cat "$joblog"
  note "PASS"
  exit 0
fi

# requeue
n=${TM_REQUEUE_N:-12000} chunk=${TM_REQUEUE_CHUNK:-50} delay=${TM_REQUEUE_DELAY:-0.05}
"$TRIPMINER" synth -o "$work/in.h5" -n "$n" -d 32 -c 100 --seed 9 -q || fail "synth failed"
opts=(--strategy semihard --positives 2 --chunk "$chunk")
"$mpiexec" -n 2 "${preflags[@]}" "$TRIPMINER" mine -i "$work/in.h5" -o "$work/direct.h5" \
  "${opts[@]}" -q >"$work/direct.log" 2>&1 || {
  cat "$work/direct.log"
  fail "the direct run (mpirun -n 2) failed"
}
# TRIPMINER_FAULT=delay: every rank sleeps after each round, so that the
# run is surely in the middle of its rounds when the signal comes, however
# fast the machine: the signal goes as soon as the first checkpoint is
# there, with most of 2 passes of n/2/chunk rounds each to go (at the
# defaults 238 rounds, about 12 s).
submit --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --time=15 \
  --output="$work/job-%j.log" --chdir="$work" \
  --export=ALL,TM_CHECKPOINT_EVERY=0.001,TRIPMINER_FAULT=delay="$delay" \
  "$job" "$work/in.h5" "$work/out.h5" "${opts[@]}"
poll_job "$jobid" 120 running_with_checkpoint
note "job $jobid is running and has saved a checkpoint: scancel --signal=USR1 --batch $jobid"
scancel --signal=USR1 --batch "$jobid" || fail "scancel --signal=USR1 --batch $jobid failed"
# Requeued (Restarts=1), then eligible again cred_expire + 1 s later.
poll_job "$jobid" 300 finished
note "job $jobid: JobState=$(field JobState) ExitCode=$(field ExitCode) Restarts=$(field Restarts)"
if [ "$(field JobState)" != COMPLETED ] || [ "$(field ExitCode)" != 0:0 ]; then
  fail "job $jobid did not complete with exit code 0"
fi
[ "$(field Restarts)" = 1 ] || fail "job $jobid ran $(($(field Restarts) + 1)) times, not twice"
grep -q 'exit status 75' "$joblog" || fail "the first run did not stop with exit status 75"
grep -q "requeueing job $jobid" "$joblog" || fail "the first run did not requeue the job"
grep -q "job $jobid run 2:" "$joblog" || fail "no second run in the log"
grep -q -- '--resume' "$joblog" || fail "the second run did not resume"
left=$(find "$work/out.h5.ckpt" -mindepth 1 -printf '%f ' 2>/dev/null)
[ -z "$left" ] || fail "checkpoint files left after the successful run: $left"
same_output "$work/direct.h5" "$work/out.h5" ||
  fail "the requeued job's output differs from the uninterrupted direct run's"
echo "---- job log $joblog (both runs)"
cat "$joblog"
note "PASS"
