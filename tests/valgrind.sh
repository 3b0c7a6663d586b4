#!/usr/bin/env bash
# valgrind.sh - the valgrind tests (label valgrind, configured with
# -DTM_VALGRIND=ON; scripts/test.sh runs them in build-vg): memcheck on
# whole programs of one process, with --error-exitcode=1.
#
#   valgrind.sh synth           write the 600 x 16 input with tripminer synth
#   valgrind.sh mine STRATEGY   tripminer mine -s STRATEGY on it, as a
#                               singleton MPI process (no mpirun)
#   valgrind.sh unit EXE        a Check suite, without forking (CK_FORK=no)
#
# Memcheck errors of any kind fail the test, and so do definite and
# indirect leaks; Open MPI's own leaks are suppressed by
# tests/sanitize/valgrind.supp and Debian's openmpi-valgrind.supp. A missing
# valgrind fails the test too (scripts/install-deps.sh installs it).
#
# Environment (CTest sets it, see tests/CMakeLists.txt):
#   TRIPMINER         the tripminer executable (synth, mine)
#   TM_VALGRIND_DIR   where the input, outputs and logs go
#   TM_VALGRIND_SUPP  tests/sanitize/valgrind.supp
#   VALGRIND          the valgrind to use (default: valgrind on PATH)
set -u

die() {
    echo "valgrind.sh: FAIL: $*" >&2
    exit 1
}
for var in TM_VALGRIND_DIR TM_VALGRIND_SUPP; do
    [[ -n ${!var:-} ]] || die "$var must be set (run this test through ctest)"
done
VALGRIND=${VALGRIND:-valgrind}
command -v "$VALGRIND" >/dev/null ||
    die "'$VALGRIND' not found: install valgrind (scripts/install-deps.sh does)"
OMPI_SUPP=/usr/share/openmpi/openmpi-valgrind.supp
[[ -f $OMPI_SUPP ]] || die "$OMPI_SUPP is missing (Debian's openmpi-bin ships it)"
[[ -f $TM_VALGRIND_SUPP ]] || die "no suppression file $TM_VALGRIND_SUPP"
mkdir -p "$TM_VALGRIND_DIR" || exit 1
cd "$TM_VALGRIND_DIR" || exit 1
# Serial Check suites would fork each case away from valgrind's eyes.
export CK_FORK=no OPENBLAS_NUM_THREADS=1

# Runs "$@" under memcheck, logging to $log; prints the log, the program's
# output and the command to rerun it when anything is reported.
memcheck() {
    local name=$1
    shift
    local log=$TM_VALGRIND_DIR/$name.valgrind.log out=$TM_VALGRIND_DIR/$name.out
    # No --track-origins (it doubles the time): the rerun command below
    # adds it, to say where an uninitialised value came from.
    local -a vg=("$VALGRIND" --error-exitcode=1 --leak-check=full
        --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
        --num-callers=40 --keep-debuginfo=yes
        --child-silent-after-fork=yes --gen-suppressions=all
        --suppressions="$OMPI_SUPP" --suppressions="$TM_VALGRIND_SUPP"
        --log-file="$log")
    local start=$SECONDS
    "${vg[@]}" "$@" >"$out" 2>&1
    local status=$?
    if [[ $status -ne 0 ]] || ! grep -q "ERROR SUMMARY: 0 errors" "$log"; then
        cat "$out" >&2
        grep -v '^==[0-9]*== *$' "$log" >&2
        echo "valgrind.sh: FAIL: $name: exit status $status under memcheck (its errors," \
            "if any, are above); rerun from $TM_VALGRIND_DIR with" >&2
        printf ' %q' "${vg[@]:0:${#vg[@]}-1}" --track-origins=yes "$@" >&2
        echo >&2
        return 1
    fi
    echo "valgrind.sh: ok: $name, no memcheck errors, $((SECONDS - start)) s"
}

case ${1:-} in
synth)
    [[ -x ${TRIPMINER:-} ]] || die "TRIPMINER must name the tripminer executable"
    rm -f in.h5
    memcheck synth "$TRIPMINER" synth -o in.h5 -n 600 -d 16 -c 20 --seed 7 -q || exit 1
    [[ -s in.h5 ]] || die "synth wrote no in.h5"
    ;;
mine)
    strategy=${2:-}
    [[ -n $strategy ]] || die "usage: valgrind.sh mine STRATEGY"
    [[ -x ${TRIPMINER:-} ]] || die "TRIPMINER must name the tripminer executable"
    [[ -s in.h5 ]] || die "no input $TM_VALGRIND_DIR/in.h5 (the test valgrind_synth makes it)"
    rm -f "out-$strategy.h5"
    memcheck "mine-$strategy" "$TRIPMINER" mine -i in.h5 -o "out-$strategy.h5" \
        -s "$strategy" --force -q || exit 1
    [[ -s out-$strategy.h5 ]] || die "mine -s $strategy wrote no output"
    ;;
unit)
    exe=${2:-}
    [[ -x $exe ]] || die "usage: valgrind.sh unit EXECUTABLE"
    memcheck "${exe##*/}" "$exe" || exit 1
    ;;
*)
    die "usage: valgrind.sh synth | mine STRATEGY | unit EXECUTABLE"
    ;;
esac
