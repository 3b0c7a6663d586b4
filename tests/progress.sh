#!/usr/bin/env bash
# Progress lines of `tripminer mine` and the -v time breakdown.
#
# Environment: TRIPMINER (required), MPIEXEC, MPIEXEC_PREFLAGS.
#
#   log    stderr is a file: one plain line per tenth of the rounds (30
#          rounds: exactly 10 lines, 10 % ... 100 %, rounds increasing), no
#          carriage return
#   tty    under script(1), a pseudo-terminal: the line is rewritten in
#          place ("\r" ... "\033[K"), ends with a newline before the summary;
#          as a single process and under mpirun (rank 0 sees mpirun's tty)
#   quiet  -q: no progress line at all
#   times  -v on 2 ranks: read, wait, compute and write, each with min /
#          median / max seconds over 2 ranks

set -u
[[ -n ${TRIPMINER:-} && -x $TRIPMINER ]] || { echo "progress.sh: TRIPMINER must be set" >&2; exit 2; }
MPIEXEC=${MPIEXEC:-mpirun}
read -r -a PREFLAGS <<<"${MPIEXEC_PREFLAGS:-}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tm-progress.XXXXXX") || exit 1
trap 'rm -rf "$WORK" "${TM_ORTE:-}"' EXIT
# Open MPI's session files: a directory of this run's own (two mpiruns at
# the same moment race on creating a shared one) with a short path (inside a
# long one a singleton's socket names overflow, and ASan's leak check then
# crashes at exit), removed on exit.
TM_ORTE=$(mktemp -d /tmp/o.XXXXXX) || exit 1
export OMPI_MCA_orte_tmpdir_base=${OMPI_MCA_orte_tmpdir_base:-$TM_ORTE}
cd "$WORK" || exit 1
command -v script >/dev/null || { echo "progress.sh: script(1) is missing (bsdutils)" >&2; exit 1; }

"$TRIPMINER" synth -o in.h5 -n 1500 -d 8 -c 30 -q >/dev/null 2>&1 || exit 1
# 2 ranks x 25 rows per round: 30 rounds; the delay keeps the run visible.
# No case waits for the run or races it: the delay is slept after every
# round, so round k comes 0.02 (k - 1) s or more after the start however
# fast the machine, and the terminal line (rewritten at most every 0.2 s,
# src/run/progress.c) is rewritten by round 11 and again at the last round (30,
# or 60 as a single process): 2 or more updates by construction.
export TRIPMINER_FAULT=delay=0.02
RUN=(-i in.h5 -o out.h5 --force --chunk 25)

passed=0 failed=0
result() { if [[ $1 == 1 ]]; then echo "ok   $2"; passed=$((passed + 1)); else failed=$((failed + 1)); fi; }
bad() { echo "FAIL $case: $*"; ok=0; }

case=log
ok=1
timeout 120 "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" mine "${RUN[@]}" >out.txt 2>err || bad "exit $?"
mapfile -t lines < <(grep '^tripminer: progress:' err)
[[ ${#lines[@]} == 10 ]] || bad "${#lines[@]} progress lines, expected 10"
prev=0
for i in "${!lines[@]}"; do
    want=$(((i + 1) * 10))
    [[ ${lines[$i]} =~ round\ ([0-9]+)/30,\ +([0-9]+)%,\ [0-9.]+\ GFLOP/s,\ elapsed\ [0-9.]+s,\ ETA\ [0-9.]+s$ ]] ||
        { bad "line '${lines[$i]}'"; continue; }
    ((BASH_REMATCH[1] > prev)) || bad "rounds do not increase"
    prev=${BASH_REMATCH[1]}
    [[ ${BASH_REMATCH[2]} == "$want" ]] || bad "line $i at ${BASH_REMATCH[2]} %, expected $want %"
done
grep -q $'\r' err && bad "a carriage return in a log"
result $ok "$case"

case=quiet
ok=1
timeout 120 "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" mine "${RUN[@]}" -q >out.txt 2>err || bad "exit $?"
grep -q 'progress' err && bad "progress despite -q"
result $ok "$case"

for how in single mpirun; do
    case=tty-$how
    ok=1
    cmd=$(printf '%q ' "$TRIPMINER" mine "${RUN[@]}")
    [[ $how == mpirun ]] && cmd="$(printf '%q ' "$MPIEXEC" -n 2 "${PREFLAGS[@]}") $cmd"
    # script(1) gives the command a pseudo-terminal; its output is what a person would see.
    timeout 120 script -qfec "$cmd" /dev/null >tty.txt 2>&1 || bad "exit $?"
    n=$(grep -o $'\rtripminer: progress:' tty.txt | wc -l)
    ((n >= 2)) || bad "$n in-place updates, expected 2 or more"
    grep -q $'\033\\[K' tty.txt || bad "no erase-to-end-of-line"
    # The last update (100 %) ends its line: a newline follows, not more text.
    grep -q $'100%, [^\r]*\033\\[K\r*$' tty.txt || bad "the last update is not followed by a newline"
    [[ $(grep -c '^tripminer: progress:' <(tr '\r' '\n' <tty.txt)) -ge 2 ]] || bad "no progress text"
    result $ok "$case"
done

case=times
ok=1
timeout 120 "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" mine "${RUN[@]}" -v >out.txt 2>err || bad "exit $?"
grep -q 'time per rank, min / median / max over 2 ranks' err || bad "no breakdown header"
for phase in 'read' 'wait \(communication\)' 'compute' 'write'; do
    grep -Eq "^tripminer:   $phase +[0-9.]+ / +[0-9.]+ / +[0-9.]+ s$" err || bad "no line for $phase"
done
result $ok "$case"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
