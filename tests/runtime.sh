#!/usr/bin/env bash
# How a run is placed and watched, on one host:
#   - threads: --threads auto takes the CPUs of the rank's affinity mask (1
#     when Open MPI binds the rank to a core, all of them with --bind-to
#     none); more --threads than the mask holds gets one warning naming the
#     fix; the output is the same bits either way;
#   - the watchdog: a rank that stops making progress
#     (TRIPMINER_FAULT=stall) ends the job within the stall timeout, with one
#     line per waiting rank naming the round and the stalled rank, exit 1,
#     and no output; --stall-timeout 0 turns it off (the run is then ended by
#     the test's own timeout, which must be what ends it).
#
# Environment: TRIPMINER (required), MPIEXEC, MPIEXEC_PREFLAGS.
set -u
[[ -n ${TRIPMINER:-} && -x $TRIPMINER ]] || { echo "runtime.sh: TRIPMINER must be set" >&2; exit 2; }
MPIEXEC=${MPIEXEC:-mpirun}
read -r -a PREFLAGS <<<"${MPIEXEC_PREFLAGS:-}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tm-runtime.XXXXXX") || exit 1
trap 'rm -rf "$WORK" "${TM_ORTE:-}"' EXIT
# Open MPI's session files: a directory of this run's own (two mpiruns at
# the same moment race on creating a shared one) with a short path (inside a
# long one a singleton's socket names overflow, and ASan's leak check then
# crashes at exit), removed on exit.
TM_ORTE=$(mktemp -d /tmp/o.XXXXXX) || exit 1
export OMPI_MCA_orte_tmpdir_base=${OMPI_MCA_orte_tmpdir_base:-$TM_ORTE}
cd "$WORK" || exit 1
cpus=$(nproc)

passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; sed 's/^/    /' err 2>/dev/null | head -8; failed=$((failed + 1)); }

"$TRIPMINER" synth -o in.h5 -n 3000 -d 16 -c 30 -q || exit 1
run() { # run NAME MPIRUN-OPTIONS... -- MINE-OPTIONS...: 1 rank; out.txt, err
  local name=$1 pre=()
  shift
  while [ "$1" != -- ]; do pre+=("$1"); shift; done
  shift
  rm -f out.h5
  timeout 60 "$MPIEXEC" -n 1 "${PREFLAGS[@]}" "${pre[@]}" "$TRIPMINER" mine -i in.h5 -o out.h5 \
    "$@" >out.txt 2>err
}

# A rank bound to one core: auto is 1 thread, --threads 2 is warned about.
if [ "$cpus" -ge 2 ]; then
  run bound --bind-to core -- -s semihard
  if [ $? = 0 ] && grep -q 'on 1 rank, 1 thread each' out.txt && ! grep -q warning err; then
    ok "bound to a core, --threads auto: 1 thread, no warning"
  else bad "bound to a core, --threads auto: $(grep embeddings out.txt)"; fi
  cp out.h5 bound.h5
  run bound2 --bind-to core -- -s semihard --threads 2
  if [ $? = 0 ] && [ "$(grep -c '^tripminer: warning: --threads 2, but rank 0 may run on 1 CPU' err)" = 1 ] &&
    grep -q -- '--bind-to none or --map-by slot:PE=2, or srun --cpus-per-task=2' err; then
    ok "bound to a core, --threads 2: one warning naming the fix"
  else bad "bound to a core, --threads 2: no warning"; fi
  cmp -s out.h5 bound.h5 && ok "the same bits with 1 and 2 threads" || bad "outputs differ with 1 and 2 threads"
fi
run free --bind-to none -- -s semihard
if [ $? = 0 ] && grep -q "on 1 rank, $cpus thread" out.txt && ! grep -q warning err; then
  ok "not bound, --threads auto: $cpus threads, no warning"
else bad "not bound, --threads auto: $(grep embeddings out.txt)"; fi
[ ! -e bound.h5 ] || { cmp -s out.h5 bound.h5 && ok "the same bits with auto threads" || bad "outputs differ with auto threads"; }

# The watchdog: rank 1 stalls after 3 rounds; ranks 0 and 2 wait for it.
stall() { # stall NAME TIMEOUT MINE-OPTIONS...
  local name=$1 limit=$2
  shift 2
  rm -f out.h5
  SECONDS=0
  TRIPMINER_FAULT=stall=1:3 timeout "$limit" "$MPIEXEC" -n 3 "${PREFLAGS[@]}" "$TRIPMINER" mine \
    -i in.h5 -o out.h5 -q --chunk 50 "$@" >out.txt 2>err
}
stall watched 60 --stall-timeout 2
rc=$? t=$SECONDS
lines=$(grep -cE '^tripminer: error: rank [02] \(.*\): no progress for [0-9]+ s in the exchange of round [0-9]+ of [0-9]+; waiting for rank 1 \(--stall-timeout 2\)$' err)
if [ "$rc" = 1 ] && [ "$lines" -ge 1 ] && [ ! -e out.h5 ] && [ "$t" -lt 30 ]; then
  ok "a stalled rank ends the job in $t s, exit 1, $lines line(s): $(grep -m 1 'no progress' err)"
else bad "a stalled rank: exit $rc after $t s, $lines watchdog line(s)"; fi
stall checkpoint 60 --stall-timeout 2 --checkpoint ck --checkpoint-every 0.000001
rc=$? t=$SECONDS
if [ "$rc" = 1 ] && grep -qE 'no progress for [0-9]+ s in the boundary after round [0-9]+ of [0-9]+ \(pass 1\); waiting for rank 1 ' err &&
  [ -e ck/manifest ] && [ ! -e out.h5 ]; then
  ok "with checkpoints, at a round boundary: exit 1 in $t s, the checkpoint kept"
else bad "with checkpoints: exit $rc after $t s"; fi
stall off 8 --stall-timeout 0
rc=$?
if [ "$rc" = 124 ] && ! grep -q 'no progress' err; then
  ok "--stall-timeout 0: no watchdog (the test's timeout ended the run)"
else bad "--stall-timeout 0: exit $rc"; fi

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
