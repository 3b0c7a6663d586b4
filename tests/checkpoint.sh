#!/usr/bin/env bash
# Checkpoints, resume and injected failures of `tripminer mine`.
#
# Usage: checkpoint.sh
#
# Environment:
#   TRIPMINER          path of the binary (required)
#   TM_GEN             path of tests/tools/tm_gen (required; it adds the
#                      pairs of the --pairs case to the input)
#   MPIEXEC            the MPI launcher (default: mpirun)
#   MPIEXEC_PREFLAGS   extra launcher flags, e.g. "--oversubscribe"
#   TM_ONLY            optional extended regex: run only the matching cases
#   TM_KEEP=1          keep the work directory (its path is printed)
#
# Every run is under `timeout` (a hang fails the case). No case sleeps a
# fixed time before it signals a run: it waits (bounded, see wait_until)
# for something the run shows, a checkpoint manifest at a given pass and
# round or a progress line, and signals at once. The signalled runs sleep
# $STOP_DELAY s after each round (TRIPMINER_FAULT=delay, see
# include/tripminer/fault.h), so that however fast the machine, more than
# 3 s of rounds are still to come when that state shows: the signal lands
# in the middle of the rounds by construction. Cases:
#   stop-*      SIGTERM to every rank (as Slurm does at the time limit), or
#               SIGUSR1 to mpirun (which forwards it), in pass 1 or 2, with
#               labels, against a reference set (--reference) or with given
#               pairs (--pairs):
#               exit 75, one "tripminer: stopped:" line, a manifest of the
#               pass the case names, no output; --resume then finishes with
#               an output identical (cmp) to an uninterrupted run and
#               removes the checkpoint
#   kill9       rank 1 killed with SIGKILL after some rounds: the job fails
#               within the timeout, the last checkpoint is intact and
#               resuming gives the identical output
#   bad-*       a truncated or damaged state file, a damaged or missing
#               manifest, other options, another rank count, a touched
#               input, a fresh run over an existing checkpoint: exit 1 with
#               one "tripminer: error:" line naming the problem, no output,
#               and the checkpoint still resumes afterwards
#   fail-*      TRIPMINER_FAULT=fail=RANK:STEP at every step: every rank
#               exits within the timeout, status 1, no output and no
#               temporary file; a failed periodic save is only a warning

set -u

for var in TRIPMINER TM_GEN; do
    [[ -n ${!var:-} && -x ${!var} ]] || {
        echo "checkpoint.sh: $var must name an executable" >&2
        exit 2
    }
done
MPIEXEC=${MPIEXEC:-mpirun}
read -r -a PREFLAGS <<<"${MPIEXEC_PREFLAGS:-}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tm-ckpt.XXXXXX") || exit 1
# shellcheck disable=SC2317
cleanup() {
    rm -rf "${TM_ORTE:-}"
    if [[ ${TM_KEEP:-0} == 1 ]]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# Open MPI's session files: a directory of this run's own (two mpiruns at
# the same moment race on creating a shared one) with a short path (inside a
# long one a singleton's socket names overflow, and ASan's leak check then
# crashes at exit), removed on exit.
TM_ORTE=$(mktemp -d /tmp/o.XXXXXX) || exit 1
export OMPI_MCA_orte_tmpdir_base=${OMPI_MCA_orte_tmpdir_base:-$TM_ORTE}
cd "$WORK" || exit 1

passed=0
failed=0
fail() {
    echo "FAIL $case: $*"
    [[ -f err ]] && sed 's/^/    stderr: /' err | head -20
    failed=$((failed + 1))
    ok=0
}
selected() { [[ -z ${TM_ONLY:-} || $1 =~ $TM_ONLY ]]; }

# mine NP ARGS...: one run under timeout; stderr in ./err, status in $rc.
# The command is $CMD (default mine).
mine() {
    local np=$1
    shift
    timeout 120 "$MPIEXEC" -n "$np" "${PREFLAGS[@]}" "$TRIPMINER" "${CMD:-mine}" "$@" \
        >out.txt 2>err
    rc=$?
}

# mode_args MODE: the command of MODE in $cmd (eval if its options start
# with "eval", else mine) and its options in the array margs.
mode_args() {
    read -r -a margs <<<"${MODE[$1]}"
    cmd=mine
    if [[ ${margs[0]:-} == eval ]]; then
        cmd=eval
        margs=("${margs[@]:1}")
    fi
}

# The number of stderr lines starting with $1.
lines() { grep -c "^$1" err; }

# expect_error STATUS REGEX: the last run failed with one error line matching.
expect_error() {
    [[ $rc == 124 ]] && { fail "HANG (timeout)"; return; }
    [[ $rc == "$1" ]] || fail "exit status $rc, expected $1"
    [[ $(lines "tripminer: error:") == 1 ]] || fail "$(lines "tripminer: error:") error lines, expected 1"
    grep -Eiq "^tripminer: error:.*($2)" err || fail "error line does not match /$2/"
}

# The input, with 3000 (query, positive) pairs for --pairs, and a reference
# set of as many rows for --reference.
{
    "$TRIPMINER" synth -o in.h5 -n 3000 -d 16 -c 40 --seed 5 -q &&
        "$TM_GEN" pairs in.h5 3000 3000 3000 7 --append &&
        "$TRIPMINER" synth -o ref.h5 -n 3000 -d 16 -c 40 --seed 6 -q
} >/dev/null 2>&1 || {
    echo "checkpoint.sh: cannot make the inputs (synth or tm_gen failed)" >&2
    exit 1
}
# 15 rounds per pass on 2 ranks.
LOUD=(-i in.h5 --chunk 100 --force)
COMMON=("${LOUD[@]}" -q)
# Seconds slept after each round by the runs that a case signals. They save
# a checkpoint every 3 rounds (--checkpoint-every 0.9) or every 2 (0.6), so
# the first one of a pass comes by its round 3, and with 15 rounds per pass
# at least 11 rounds (3.3 s) are left when a case signals.
STOP_DELAY=0.3

# The mining options of each mode, and its uninterrupted output in REF.
declare -A REF MODE=(
    [hard]="-s hard"
    [semihard]="-s semihard"
    [topk]="-s topk --negatives 3"
    [ref-semihard]="-s semihard --reference ref.h5"
    [pairs-semihard]="-s semihard --pairs pairs"
    [choose-hard]="--pos easiest --neg-margin 0.1 --neg-skip 1"
    [choose-sample]="-s sample --negatives 3 --neg-pool 20 --pos random --seed 5"
    [eval]="eval --by-class"
)
for s in "${!MODE[@]}"; do
    mode_args "$s"
    CMD=$cmd mine 2 "${COMMON[@]}" "${margs[@]}" -o "ref-$s.h5"
    [[ $rc == 0 ]] || { echo "checkpoint.sh: reference run of $s failed" >&2; cat err >&2; exit 1; }
    REF[$s]="ref-$s.h5"
done

# wait_until SECONDS WHAT PID COMMAND...: run COMMAND every 0.05 s until it
# succeeds. False, with the reason in $why, once the process PID (the run
# being watched) has ended or after SECONDS.
why=''
wait_until() {
    local secs=$1 what=$2 pid=$3 end
    shift 3
    end=$((SECONDS + secs))
    until "$@"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            "$@" && return 0
            why="the run ended before $what"
            return 1
        fi
        if ((SECONDS >= end)); then
            why="no $what after $secs s"
            return 1
        fi
        sleep 0.05
    done
}

# manifest_pos DIR: "PASS ROUND" of the checkpoint in DIR (read in one go:
# a save replaces the manifest by a rename); false if there is none.
manifest_pos() {
    local m p r
    m=$(cat "$1/manifest" 2>/dev/null) || return 1
    p=$(sed -n 's/^pass \([0-9]*\)$/\1/p' <<<"$m")
    r=$(sed -n 's/^round \([0-9]*\)$/\1/p' <<<"$m")
    [[ -n $p && -n $r ]] || return 1
    echo "$p $r"
}

# manifest_at DIR PASS ROUND: DIR holds a checkpoint of PASS, ROUND or later.
manifest_at() {
    local pos p r
    pos=$(manifest_pos "$1") || return 1
    read -r p r <<<"$pos"
    ((p > $2 || (p == $2 && r >= $3)))
}

# The PIDs of the tripminer ranks started from $WORK (not mpirun itself).
rank_pids() { pgrep -x tripminer | while read -r p; do
    [[ $(readlink "/proc/$p/cwd" 2>/dev/null) == "$WORK" ]] && echo "$p"
done; }

# signal_ranks SIGNAL: SIGNAL to both ranks; false (with $why) if there
# are not two.
signal_ranks() {
    local sig=$1 pids
    pids=$(rank_pids)
    # shellcheck disable=SC2086
    set -- $pids
    if [[ $# != 2 ]]; then
        why="$# rank processes found, expected 2"
        return 1
    fi
    kill "-$sig" "$@"
}

# stop_case NAME MODE SIGNAL TARGET PASS: run with a checkpoint every 3
# rounds, deliver SIGNAL to TARGET (ranks|mpirun) as soon as the first
# checkpoint of pass PASS is saved; the run must stop in pass PASS with a
# checkpoint past the one there when the signal went. Then resume and
# compare.
stop_case() {
    case=$1
    local s=$2 sig=$3 target=$4 pass=$5 seen='0 0'
    local -a margs
    local cmd
    selected "$case" || return
    ok=1
    mode_args "$s"
    rm -rf ck out.h5
    TRIPMINER_FAULT=delay=$STOP_DELAY timeout 120 "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" \
        "$cmd" "${COMMON[@]}" "${margs[@]}" -o out.h5 --checkpoint ck \
        --checkpoint-every 0.9 >out.txt 2>err &
    local launcher=$!
    if wait_until 60 "checkpoint of pass $pass" "$launcher" manifest_at ck "$pass" 1; then
        seen=$(manifest_pos ck)
        if [[ $target == mpirun ]]; then
            # $launcher is timeout; mpirun is its child.
            kill "-$sig" "$(pgrep -P "$launcher")" || fail "no mpirun to signal"
        else
            signal_ranks "$sig" || fail "$why"
        fi
    else
        fail "$why"
    fi
    wait "$launcher"
    rc=$?
    [[ $rc == 75 ]] || fail "exit status $rc after SIG$sig, expected 75"
    [[ $(lines "tripminer: stopped:") == 1 ]] || fail "expected one 'tripminer: stopped:' line"
    grep -q -- "--resume" err || fail "the stop message does not say how to resume"
    [[ $(lines "tripminer: error:") == 0 ]] || fail "an error line on a clean stop"
    [[ -e out.h5 ]] && fail "an output after a stop"
    [[ -f ck/manifest ]] || fail "no manifest after the stop"
    local where sp='?' sr='?' p0 r0
    where=$(manifest_pos ck) && read -r sp sr <<<"$where"
    read -r p0 r0 <<<"$seen"
    if ! [[ $sp == "$pass" && $sr =~ ^[0-9]+$ ]] || ((sp == p0 && sr <= r0)); then
        fail "stopped at pass $sp, round $sr: expected pass $pass, after pass $p0, round $r0"
    fi
    CMD=$cmd mine 2 "${COMMON[@]}" "${margs[@]}" -o out.h5 --checkpoint ck --resume
    [[ $rc == 0 ]] || fail "resume: exit status $rc"
    cmp -s out.h5 "${REF[$s]}" || fail "the resumed output differs from the uninterrupted one"
    [[ -e ck/manifest || -n $(ls ck/state-* 2>/dev/null) ]] && fail "checkpoint left after success"
    [[ $ok == 1 ]] && { echo "ok   $case (stopped at pass $sp round $sr)"; passed=$((passed + 1)); }
}

stop_case stop-hard-term hard TERM ranks 1
stop_case stop-topk-usr1 topk USR1 mpirun 1
stop_case stop-semihard-pass1 semihard TERM ranks 1
stop_case stop-semihard-pass2 semihard USR1 mpirun 2
stop_case stop-reference-semihard-pass2 ref-semihard TERM ranks 2
stop_case stop-pairs-semihard-pass2 pairs-semihard USR1 mpirun 2
stop_case stop-choose-hard-pass1 choose-hard TERM ranks 1
stop_case stop-choose-sample-pass2 choose-sample USR1 mpirun 2
stop_case stop-eval-pass1 eval TERM ranks 1
stop_case stop-eval-pass2 eval USR1 mpirun 2

# A stopped checkpoint of hard to damage in the bad-* cases (kept in ck.good):
# a checkpoint every 2 rounds, SIGTERM to the ranks once the first is saved.
make_stopped() {
    rm -rf ck ck.good out.h5
    TRIPMINER_FAULT=delay=$STOP_DELAY timeout 120 "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" \
        mine "${COMMON[@]}" -s hard -o out.h5 --checkpoint ck --checkpoint-every 0.6 >out.txt 2>err &
    local launcher=$! st
    wait_until 60 "checkpoint" "$launcher" manifest_at ck 1 1 && signal_ranks TERM
    st=$?
    wait "$launcher"
    rc=$?
    [[ $st == 0 && $rc == 75 && -f ck/manifest ]] || {
        echo "checkpoint.sh: cannot make a stopped run${why:+: $why}" >&2
        cat err >&2
        exit 1
    }
    cp -a ck ck.good
}

# bad_case NAME STATUS REGEX SETUP [MINE ARGS...]: damage a copy, resume.
bad_case() {
    case=$1
    local status=$2 re=$3 setup=$4
    shift 4
    selected "$case" || return
    ok=1
    rm -rf ck out.h5
    cp -a ck.good ck
    eval "$setup"
    mine 2 "${COMMON[@]}" -s hard -o out.h5 --checkpoint ck "$@"
    expect_error "$status" "$re"
    [[ -e out.h5 ]] && fail "an output after a refused resume"
    # The genuine checkpoint still resumes to the same result.
    rm -rf ck
    cp -a ck.good ck
    touch -r ck.good/in.stamp in.h5 2>/dev/null
    mine 2 "${COMMON[@]}" -s hard -o out.h5 --checkpoint ck --resume
    [[ $rc == 0 ]] && cmp -s out.h5 "${REF[hard]}" || fail "the good checkpoint no longer resumes"
    [[ $ok == 1 ]] && { echo "ok   $case"; passed=$((passed + 1)); }
}

make_stopped
touch -r in.h5 ck.good/in.stamp
state1=$(ls ck.good/state-*-1.bin)
state1=${state1#ck.good/}
bad_case bad-truncated-state 1 'truncated|bytes' "truncate -s -9 ck/$state1" --resume
bad_case bad-flipped-state 1 'damaged|hash' \
    "printf 'X' | dd of=ck/$state1 bs=1 seek=60 conv=notrunc status=none" --resume
bad_case bad-missing-state 1 "$state1|cannot open|no such" "rm ck/$state1" --resume
bad_case bad-flipped-manifest 1 'manifest.*(damaged|hash)' "sed -i 's/^round /round 1/' ck/manifest" \
    --resume
bad_case bad-truncated-manifest 1 'manifest.*(damaged|truncated|hash)' "truncate -s -20 ck/manifest" \
    --resume
bad_case bad-no-manifest 1 'no checkpoint|manifest' "rm ck/manifest" --resume
bad_case bad-other-metric 1 'another run.*metric was sqeuclidean, is cosine' ":" --resume -m cosine
bad_case bad-other-margin 1 'another run.*margin' ":" --resume --margin 0.5
bad_case bad-other-chunk 1 'another run.*chunk was 100, is 50' ":" --resume --chunk 50
bad_case bad-touched-input 1 'another run.*input_mtime' "touch -d '2001-01-01' in.h5" --resume
bad_case bad-fresh-over-checkpoint 1 'already holds a checkpoint.*--resume' ":"

case=bad-other-ranks
if selected "$case"; then
    ok=1
    rm -rf ck out.h5
    cp -a ck.good ck
    mine 3 "${COMMON[@]}" -s hard -o out.h5 --checkpoint ck --resume
    expect_error 1 'made on 2 ranks.*3'
    [[ -e out.h5 ]] && fail "an output after a refused resume"
    [[ $ok == 1 ]] && { echo "ok   $case"; passed=$((passed + 1)); }
fi

case=kill9
if selected "$case"; then
    ok=1
    rm -rf ck out.h5
    TRIPMINER_FAULT=delay=0.1,kill=1:7 timeout 120 "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" \
        mine "${COMMON[@]}" -s semihard -o out.h5 --checkpoint ck --checkpoint-every 0.001 \
        >out.txt 2>err
    rc=$?
    [[ $rc == 124 ]] && fail "HANG after a rank was killed"
    [[ $rc == 0 ]] && fail "the job succeeded although a rank was killed"
    [[ -e out.h5 ]] && fail "an output after a rank was killed"
    grep -q '^round 6$' ck/manifest || fail "the last checkpoint is not the one of round 6"
    mine 2 "${COMMON[@]}" -s semihard -o out.h5 --checkpoint ck --resume
    [[ $rc == 0 ]] || fail "resume after kill -9: exit status $rc"
    cmp -s out.h5 "${REF[semihard]}" || fail "the resumed output differs"
    [[ $ok == 1 ]] && { echo "ok   $case"; passed=$((passed + 1)); }
fi

# fail_case STEP RANK REGEX [MINE ARGS...]: an injected failure at STEP.
fail_case() {
    case=fail-$1-rank$2
    local step=$1 r=$2 re=$3
    shift 3
    selected "$case" || return
    ok=1
    rm -rf ck out.h5 .out.h5.tmp-*
    local t0=$SECONDS
    TRIPMINER_FAULT=fail=$r:$step mine 2 "${COMMON[@]}" -s hard -o out.h5 "$@"
    expect_error 1 "$re"
    ((SECONDS - t0 > 60)) && fail "took $((SECONDS - t0)) s"
    [[ -e out.h5 || -n $(ls -A . | grep '^\.out') ]] && fail "an output or temporary file left"
    [[ $ok == 1 ]] && { echo "ok   $case"; passed=$((passed + 1)); }
}

fail_case read 1 "injected.*read.*rank 1"
fail_case alloc 0 "injected.*alloc.*rank 0"
fail_case alloc 1 "injected.*alloc.*rank 1"
fail_case round 1 "injected.*round.*rank 1"
fail_case write 0 "injected.*write.*rank 0"
fail_case write 1 "injected.*write.*rank 1"
fail_case commit 1 "injected.*commit.*rank 1"
cp -a ck.good ck.load
fail_case load 1 "injected.*load.*rank 1" --checkpoint ck.load --resume

# A periodic save that fails is a warning; the run still finishes, exactly.
case=fail-save-periodic
if selected "$case"; then
    ok=1
    rm -rf ck out.h5
    TRIPMINER_FAULT=fail=1:save mine 2 "${COMMON[@]}" -s hard -o out.h5 --checkpoint ck \
        --checkpoint-every 0.001
    [[ $rc == 0 ]] || fail "exit status $rc"
    grep -q "warning: checkpoint not saved.*injected" err || fail "no warning"
    cmp -s out.h5 "${REF[hard]}" || fail "output differs"
    [[ $ok == 1 ]] && { echo "ok   $case"; passed=$((passed + 1)); }
fi

# A save that fails when a signal asked to stop: exit 1, not 75. No
# periodic save, so no manifest to wait for: the run is not quiet, and
# SIGTERM goes to the ranks at its first progress line (round 2 of 15).
case=fail-save-on-stop
if selected "$case"; then
    ok=1
    rm -rf ck out.h5
    TRIPMINER_FAULT=delay=$STOP_DELAY,fail=1:save timeout 120 "$MPIEXEC" -n 2 "${PREFLAGS[@]}" \
        "$TRIPMINER" mine "${LOUD[@]}" -s hard -o out.h5 --checkpoint ck \
        --checkpoint-every 1000 >out.txt 2>err &
    launcher=$!
    if wait_until 60 "progress line" "$launcher" grep -q '^tripminer: progress: round' err; then
        signal_ranks TERM || fail "$why"
    else
        fail "$why"
    fi
    wait "$launcher"
    rc=$?
    expect_error 1 "injected.*save.*rank 1"
    [[ -e ck/manifest || -e out.h5 ]] && fail "a manifest or output after a failed save"
    [[ $ok == 1 ]] && { echo "ok   $case"; passed=$((passed + 1)); }
fi

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
