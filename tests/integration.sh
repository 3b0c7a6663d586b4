#!/usr/bin/env bash
# Integration tests of `tripminer mine` at one rank count.
#
# Usage: integration.sh NP
#
# Environment:
#   TRIPMINER, TM_REF, TM_GEN, TM_H5CMP  paths of the binaries (required)
#   MPIEXEC           the MPI launcher (default: mpirun)
#   MPIEXEC_PREFLAGS  extra launcher flags, e.g. "--oversubscribe"
#   TM_CANON_DIR      optional directory shared by the runs at every NP: the
#                     first run to finish a case saves its output there as
#                     <case>.h5, later runs must match it exactly. Empty it
#                     whenever tripminer changes, or stale files will fail.
#   TM_ONLY           optional extended regex: run only the matching cases
#   TM_KEEP=1         keep the work directory (its path is printed)
#   TM_CROSS_TOL      optional relative tolerance for the double attributes
#                     in the comparisons between runs (default: exact)
#   TM_TIMEOUT        seconds before a tripminer run counts as a hang
#                     (default 120)
#
# For each case the input is made by tm_gen and the expected answer by tm_ref.
# An input may hold more than the embeddings and labels (a reference set,
# pairs), and a case may have a second input file (a reference set); the
# options of a case name these files with placeholders: see mine_case.
# tripminer runs with the automatic chunk and, in some cases, with --chunk 1,
# 3 or 100000 (larger than any shard) or --threads 2; every case also runs
# once more with another tile kernel than auto's (--kernel f32 at odd NP,
# --kernel bf16 at even NP where the CPU has AVX512-BF16, else f32), whose
# output must be the same bytes (TM_KERNEL_VARIANT overrides: f32, bf16,
# int8, or none). Each run must exit 0, leave
# only its output in its directory, match the reference (tm_h5cmp --tol
# 1e-12), and match the case's canonical output exactly. The last line is
# "N passed, N failed"; the status is 1 if anything failed.

set -u

usage_exit() {
    echo "integration.sh: $*" >&2
    exit 2
}

NP=${1:-}
[[ $NP =~ ^[1-9][0-9]*$ ]] ||
    usage_exit "usage: integration.sh NP (with TRIPMINER, TM_REF, TM_GEN, TM_H5CMP set)"
for var in TRIPMINER TM_REF TM_GEN TM_H5CMP; do
    val=${!var:-}
    [[ -n $val && -x $val ]] || usage_exit "$var must name an executable (got '$val')"
done
MPIEXEC=${MPIEXEC:-mpirun}
TIMEOUT=${TM_TIMEOUT:-120}
read -r -a PREFLAGS <<<"${MPIEXEC_PREFLAGS:-}"
# The kernel the extra variant of every case forces (auto is the canonical run).
if [[ -z ${TM_KERNEL_VARIANT:-} ]]; then
    TM_KERNEL_VARIANT=f32
    if ((NP % 2 == 0)) && grep -qw avx512_bf16 /proc/cpuinfo 2>/dev/null; then
        TM_KERNEL_VARIANT=bf16
    fi
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

SCRIPT=$(readlink -f "$0")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tm-integration.XXXXXX") || exit 1
# Called by the EXIT trap, which ShellCheck 0.9 does not see.
# shellcheck disable=SC2317
cleanup() {
    rm -rf "${TM_ORTE:-}"
    if [[ ${TM_KEEP:-0} == 1 ]]; then
        echo "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
mkdir -p "$WORK/inputs"
# Open MPI's session files: a directory of this run's own (two mpiruns at
# the same moment race on creating a shared one) with a short path (inside a
# long one a singleton's socket names overflow, and ASan's leak check then
# crashes at exit), removed on exit.
TM_ORTE=$(mktemp -d /tmp/o.XXXXXX) || exit 1
export OMPI_MCA_orte_tmpdir_base=${OMPI_MCA_orte_tmpdir_base:-$TM_ORTE}

if [[ -n ${TM_CANON_DIR:-} ]]; then
    mkdir -p "$TM_CANON_DIR" || exit 1
fi
CROSS_TOL=()
if [[ -n ${TM_CROSS_TOL:-} ]]; then
    CROSS_TOL=(--tol "$TM_CROSS_TOL")
fi

passed=0
failed=0

# Prints its arguments as one shell-quoted command line.
quote() {
    local s
    s=$(printf '%q ' "$@")
    printf '%s' "${s% }"
}

# Prints the command that reruns one case of this script.
rerun_cmd() {
    printf 'TRIPMINER=%q TM_REF=%q TM_GEN=%q TM_H5CMP=%q MPIEXEC=%q MPIEXEC_PREFLAGS=%q' \
        "$TRIPMINER" "$TM_REF" "$TM_GEN" "$TM_H5CMP" "$MPIEXEC" "${MPIEXEC_PREFLAGS:-}"
    if [[ -n ${TM_CANON_DIR:-} ]]; then
        printf ' TM_CANON_DIR=%q' "$TM_CANON_DIR"
    fi
    printf ' TM_ONLY=%q TM_KEEP=1 bash %q %q\n' "^$1\$" "$SCRIPT" "$NP"
}

# Runs a command with stdout and stderr in LOG.out and LOG.err.
# Usage: run_logged LOG CMD...; returns the command's status.
run_logged() {
    local log=$1
    shift
    "$@" >"$log.out" 2>"$log.err"
}

# Reports one failure. Usage: report_fail CASE WHAT LOG CMD...
# CASE may end in " [variant]", which the rerun command leaves out. CMD is
# the command that failed and LOG.err holds its stderr. When the global
# CONTEXT is set, it is printed as the command that made the compared file.
report_fail() {
    local name=$1 what=$2 log=$3
    shift 3
    failed=$((failed + 1))
    echo "FAIL  $name: $what"
    echo "      command: $(quote "$@")"
    if [[ -n ${CONTEXT:-} ]]; then
        echo "      made by: $CONTEXT"
    fi
    if [[ -s $log.err ]]; then
        head -n 12 "$log.err" | sed 's/^/      | /'
    fi
    echo "      rerun:   $(rerun_cmd "${name%% \[*}")"
}

# Makes (once per spec) the input files of a GENSPEC (see mine_case) and
# sets INPUT and INPUT2 to their paths (INPUT2 exists only if a command of
# the spec made it); returns 1, after reporting, if tm_gen fails.
declare -A INPUTS=()
n_inputs=0
make_input() {
    local name=$1 spec=$2
    if [[ -n ${INPUTS[$spec]:-} ]]; then
        INPUT=${INPUTS[$spec]}
        INPUT2=${INPUT%.h5}-2.h5
        return 0
    fi
    n_inputs=$((n_inputs + 1))
    INPUT=$WORK/inputs/in$n_inputs.h5
    INPUT2=${INPUT%.h5}-2.h5
    local rest=$spec part target log k=0
    local -a args cmd
    while [[ -n $rest ]]; do
        part=${rest%% ; *}
        if [[ $rest == *" ; "* ]]; then
            rest=${rest#* ; }
        else
            rest=""
        fi
        target=$INPUT
        if [[ $part == ">2 "* ]]; then
            target=$INPUT2
            part=${part#>2 }
        fi
        read -r -a args <<<"$part"
        k=$((k + 1))
        log=$WORK/inputs/in$n_inputs.gen$k
        cmd=("$TM_GEN" "${args[0]}" "$target" "${args[@]:1}")
        if ! run_logged "$log" "${cmd[@]}"; then
            CONTEXT="" report_fail "$name" "tm_gen failed" "$log" "${cmd[@]}"
            return 1
        fi
    done
    INPUTS[$spec]=$INPUT
}

# Lists the entries of a directory, one per line, hidden ones included.
list_dir() {
    find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort
}

# Publishes a case's output as the shared canonical one unless one exists.
# Without locks: copy to a unique name in the same directory, then mv -n,
# which never replaces a file that another run published first.
publish_canon() {
    local src=$1 canon=$2
    local tmp
    [[ -e $canon ]] && return 0
    tmp=$(mktemp "$TM_CANON_DIR/.canon.XXXXXX") || return 0
    if cp "$src" "$tmp"; then
        mv -n "$tmp" "$canon"
    fi
    rm -f "$tmp"
}

# True when the case is selected by TM_ONLY (or TM_ONLY is unset).
selected() {
    [[ -z ${TM_ONLY:-} || $1 =~ $TM_ONLY ]]
}

# Sets DIST to the exact distance between rows I and J of a tm_gen spec's
# input, as tm_ref computes it (printed with %.17g, which reads back as the
# same double), e.g. to put a --neg-min-dist threshold right at a distance.
# Usage: exact_distance CASE GENSPEC I J [OPTIONS...] (OPTIONS: -m, --normalize);
# returns 1, after reporting a failure under CASE, if that fails.
exact_distance() {
    local name=$1 gen=$2 i=$3 j=$4
    shift 4
    DIST=""
    make_input "$name" "$gen" || return 1
    local log=$WORK/cases/$name/distance
    mkdir -p "$WORK/cases/$name"
    local -a cmd=("$TM_REF" -i "$INPUT" --distance "$i" "$j" "$@")
    if ! run_logged "$log" "${cmd[@]}"; then
        CONTEXT="" report_fail "$name" "tm_ref --distance failed" "$log" "${cmd[@]}"
        return 1
    fi
    DIST=$(<"$log.out")
}

# One mining case.
# Usage: mine_case NAME GENSPEC OPTIONS [VARIANTS]
#   GENSPEC   tm_gen words without the output path, e.g. "random 200 16 7 1",
#             or several such commands separated by " ; ", run in order:
#             each writes to the input file, except those that start with
#             ">2 ", which write to a second file; every command after the
#             first of a file needs --append. E.g. a reference set and pairs
#             in the input, and another reference set in a second file:
#             "random 200 8 5 1 ; random 100 8 5 2 --append --emb-name ref_emb
#             --lab-name ref_lab ; pairs 50 200 100 3 --append ;
#             >2 random 80 8 5 4"
#   OPTIONS   options for both tripminer and tm_ref, e.g. "-m cosine", where
#             @IN@ stands for the path of the input file and @IN2@ for that
#             of the second file, e.g. "--reference @IN@ --ref-embeddings
#             ref_emb --ref-labels ref_lab" or "--reference @IN2@"
#   VARIANTS  words among 1, 3, 100000 (a --chunk value), auto (no --chunk)
#             and t2 (no --chunk, --threads 2); default "1 3 100000 auto"
mine_case() {
    local name=$1 gen=$2 opts=$3 variants=${4:-"1 3 100000 auto"}
    selected "$name" || return 0
    local dir=$WORK/cases/$name
    mkdir -p "$dir"
    local -a opt_args vlist
    read -r -a vlist <<<"$variants"
    if [[ $TM_KERNEL_VARIANT != none ]]; then
        vlist+=("k$TM_KERNEL_VARIANT")
    fi
    CONTEXT=""

    if ! make_input "$name" "$gen"; then
        return 0
    fi
    read -r -a opt_args <<<"$opts"
    opt_args=("${opt_args[@]//@IN@/"$INPUT"}")
    opt_args=("${opt_args[@]//@IN2@/"$INPUT2"}")
    local ref=$dir/ref.h5
    local -a ref_cmd=("$TM_REF" -i "$INPUT" -o "$ref" "${opt_args[@]}")
    if ! run_logged "$dir/ref" "${ref_cmd[@]}"; then
        report_fail "$name" "tm_ref failed" "$dir/ref" "${ref_cmd[@]}"
        return 0
    fi

    # Run every variant; the ones that pass so far are compared further below.
    local v rc out rundir
    local -a extra cmd good=()
    declare -A made_by=()
    for v in "${vlist[@]}"; do
        case $v in
        auto) extra=() ;;
        t2) extra=(--threads 2) ;;
        k*) extra=(--kernel "${v#k}") ;;
        *) extra=(--chunk "$v") ;;
        esac
        rundir=$dir/run-$v
        mkdir -p "$rundir"
        out=$rundir/out.h5
        cmd=(timeout -k 10 "$TIMEOUT" "$MPIEXEC" -n "$NP" "${PREFLAGS[@]}" "$TRIPMINER" mine
            -i "$INPUT" -o "$out" -q --force "${extra[@]}" "${opt_args[@]}")
        made_by[$v]=$(quote "${cmd[@]}")
        CONTEXT=""
        run_logged "$dir/mine-$v" "${cmd[@]}"
        rc=$?
        if ((rc == 124 || rc == 137)); then
            report_fail "$name [$v]" "HANG: killed by timeout after $TIMEOUT s" \
                "$dir/mine-$v" "${cmd[@]}"
            continue
        fi
        if ((rc != 0)); then
            report_fail "$name [$v]" "exit status $rc, expected 0" "$dir/mine-$v" "${cmd[@]}"
            continue
        fi
        if [[ ! -f $out ]]; then
            report_fail "$name [$v]" "exit 0 but no output file" "$dir/mine-$v" "${cmd[@]}"
            continue
        fi
        if [[ $(list_dir "$rundir") != out.h5 ]]; then
            report_fail "$name [$v]" "stray files beside the output: $(list_dir "$rundir" |
                grep -vx out.h5 | tr '\n' ' ')" "$dir/mine-$v" "${cmd[@]}"
            continue
        fi
        local -a cmp_cmd=("$TM_H5CMP" "$ref" "$out" --tol 1e-12)
        CONTEXT=${made_by[$v]}
        if ! run_logged "$dir/cmp-ref-$v" "${cmp_cmd[@]}"; then
            report_fail "$name [$v]" "differs from the reference (tm_ref)" "$dir/cmp-ref-$v" \
                "${cmp_cmd[@]}"
            continue
        fi
        good+=("$v")
    done
    if ((${#good[@]} == 0)); then
        echo "FAILED $name: 0 of ${#vlist[@]} run(s) passed"
        return 0
    fi

    # The canonical output: the shared one if there is one, else this run's
    # automatic-chunk output (or its first good variant).
    local canon_v=${good[0]}
    for v in "${good[@]}"; do
        if [[ $v == auto ]]; then
            canon_v=auto
        fi
    done
    local canon=$dir/run-$canon_v/out.h5
    local canon_desc="this run's [$canon_v] output"
    if [[ -n ${TM_CANON_DIR:-} ]]; then
        local shared=$TM_CANON_DIR/$name.h5
        if [[ $canon_v == auto ]]; then
            publish_canon "$canon" "$shared"
        fi
        if [[ -e $shared ]]; then
            canon=$shared
            canon_desc="the canonical output of the first run (any NP)"
        fi
    fi
    local ok=0
    for v in "${good[@]}"; do
        local -a cmp_cmd=("$TM_H5CMP" "$canon" "$dir/run-$v/out.h5" "${CROSS_TOL[@]}")
        CONTEXT=${made_by[$v]}
        if ! run_logged "$dir/cmp-canon-$v" "${cmp_cmd[@]}"; then
            report_fail "$name [$v]" "differs from $canon_desc" "$dir/cmp-canon-$v" "${cmp_cmd[@]}"
            continue
        fi
        passed=$((passed + 1))
        ok=$((ok + 1))
    done
    CONTEXT=""
    if ((ok == ${#vlist[@]})); then
        echo "ok    $name: ${#vlist[@]} run(s)"
    else
        echo "FAILED $name: $ok of ${#vlist[@]} run(s) passed"
    fi
}

# A --neg-min-dist threshold placed at the exact distance d of rows I and J
# (WHERE "at": X = d, the negative is kept, since only d < X is dropped) or
# just above it (WHERE "above": X = d (1 + 1e-15), it is dropped). The float32
# kernel cannot tell these apart: the library must recheck in double.
# Usage: threshold_case NAME GENSPEC I J WHERE METRIC-OPTIONS OPTIONS [VARIANTS]
#   METRIC-OPTIONS  -m and --normalize, for the distance and the mining
#   OPTIONS         the other options of the mining
threshold_case() {
    local name=$1 gen=$2 i=$3 j=$4 where=$5 mopts=$6 opts=$7 variants=${8:-auto}
    selected "$name" || return 0
    local -a mopt_args
    read -r -a mopt_args <<<"$mopts"
    exact_distance "$name" "$gen" "$i" "$j" "${mopt_args[@]}" || return 0
    local x=$DIST
    if [[ $where == above ]]; then
        x=$(awk -v d="$DIST" 'BEGIN { printf "%.17g", d * (1 + 1e-15) }')
    fi
    mine_case "$name" "$gen" "$mopts $opts --neg-min-dist $x" "$variants"
}

echo "tripminer integration tests, $NP rank(s), work directory $WORK"
start=$SECONDS

# Each tripminer run costs about 0.7 s (1 rank) to 1.4 s (4 ranks) here,
# mostly MPI start-up, so only some cases run every chunk variant; every case
# runs "auto", which is the one compared across rank counts.

# Random sets, every metric, options on some.
R200="random 200 16 7 1"
mine_case rand200-sq "$R200" "" "1 3 100000 auto t2"
mine_case rand200-euclidean "$R200" "-m euclidean" "1 auto"
mine_case rand200-cosine "$R200" "-m cosine" "3 auto"
mine_case rand200-euclidean-norm-m1.5 "$R200" "-m euclidean --normalize --margin 1.5" "auto"
R157="random 157 1 3 2"
mine_case rand157d1-euclidean-softplus "$R157" "-m euclidean --loss softplus"
mine_case rand157d1-sq-softplus-m0 "$R157" "--loss softplus --margin 0" "auto"
R300="random 300 33 40 3"
mine_case rand300-cosine-m0 "$R300" "-m cosine --margin 0" "3 100000 auto"
mine_case rand300-sq-m1.5 "$R300" "--margin 1.5" "auto"

# Exact ties: duplicate rows, equal distances, zero rows.
D240="dups 240 8 5 4"
mine_case dups-sq "$D240" "" "1 3 100000 auto t2"
mine_case dups-euclidean "$D240" "-m euclidean" "3 auto"
mine_case dups-cosine "$D240" "-m cosine" "1 3 auto"
mine_case dups-cosine-norm-softplus "$D240" "-m cosine --normalize --loss softplus" "auto"
mine_case dups-small-sq "dups 64 3 2 5" "" "1 auto"

# Label structure.
mine_case singletons "singletons 120 6 6" "" "3 auto"
mine_case oneclass "oneclass 50 4 7" "" "1 auto"
mine_case imbalance-euclidean "imbalance 300 8 8" "-m euclidean" "1 auto"

# Fewer rows than ranks.
mine_case n1 "random 1 4 1 9" "" "1 auto"
mine_case n3-cosine "random 3 2 2 10" "-m cosine" "1 100000 auto"
mine_case n5 "random 5 3 2 11" "" "1 auto"

# Stored types and layouts: the same data (and so the same answer) each time,
# except float16, whose values are rounded.
DT="dtype 64 5 6 12"
mine_case dtype-f16-i8 "$DT --emb f16 --lab i8" "" "auto"
mine_case dtype-f16be-u16-2d "$DT --emb f16be --lab u16 --labels-2d" "" "auto"
mine_case dtype-f64-u8 "$DT --emb f64 --lab u8" "" "auto"
mine_case dtype-f64be-i16be-deflate "$DT --emb f64be --lab i16be --chunked 5 --deflate" "" "3 auto"
mine_case dtype-f32be-u32be "$DT --emb f32be --lab u32be" "" "auto"
mine_case dtype-i32-2d-deflate "$DT --lab i32 --chunked 3 --deflate --labels-2d" "" "auto"
mine_case dtype-i64 "$DT --lab i64" "" "auto"
mine_case dtype-u64-chunked "$DT --lab u64 --chunked 7" "" "auto"
mine_case dtype-i64be-2d-deflate "$DT --lab i64be --labels-2d --chunked 4 --deflate" "" "3 auto"
mine_case dtype-u64be-cosine "$DT --lab u64be" "-m cosine" "auto"
mine_case dtype-u32-names "$DT --lab u32 --emb-name feats --lab-name ids" \
    "--embeddings feats --labels ids" "auto"
mine_case dtype-f64-u64-2d-deflate "$DT --emb f64 --lab u64 --labels-2d --deflate" \
    "-m euclidean" "auto"

# ---- semihard, topk and the negative filters ---------------------------------
# The distances of the sets above, to choose the --neg-min-dist values
# (quantiles over all anchor-negative pairs; "nearest" is each anchor's
# nearest negative):
#   R200 sqeuclidean: all 11.4 .. 306, nearest median 46, 75% 58
#   R200 euclidean:   all 3.4 .. 17.5, nearest median 6.8, 75% 7.6
#   R200 cosine:      all 0.18 .. 1.87, nearest median 0.43, 75% 0.52
#   R200 euclidean --normalize: all 0.6 .. 1.94 (at most 2 after --normalize)
#   R300 euclidean:   all 7.8 .. 21.7, nearest median 10.4
#   R300 sqeuclidean --normalize: all 0.69 .. 3.2, nearest median 1.09
#   D240: integer distances for the integer rows (sqeuclidean 0 .. 256);
#         cosine 0 .. 1.92 with many exactly 0 and 1 and some -2.2e-16 (the
#         rounding of 1 - a.b/(|a||b|) for parallel rows); most anchors
#         have a duplicate among their negatives (nearest at distance 0)
# So X = 60 (sq), 7.5 (euclidean), 0.5 (cosine) change the hard triplet of
# 70-77% of the anchors of R200 and leave every anchor some negatives;
# values above the largest distance drop every negative (every anchor
# skipped, an empty output). The thresholds at and just above the distance
# of anchor 0 and its nearest negative (at the end) differ in the triplets
# of those two anchors only.
IMB="imbalance 300 8 8"
D64="dups 64 3 2 5"
N5="random 5 3 2 11"

# semihard: all positives (many triplets per anchor) and --positives K.
mine_case semihard-rand200-sq "$R200" "-s semihard" "1 3 auto t2"
mine_case semihard-p3-rand200-cosine "$R200" "-s semihard --positives 3 -m cosine" "3 auto"
mine_case semihard-rand300-euclidean-norm-softplus "$R300" \
    "-s semihard -m euclidean --normalize --loss softplus" "auto"
# One dimension, normalised: every row is -1 or +1, all distances tie.
mine_case semihard-p3-rand157d1-sq-norm "$R157" "-s semihard --positives 3 --normalize" "auto"
mine_case semihard-dups-sq "$D240" "-s semihard" "1 auto"
mine_case semihard-p3-dups-cosine "$D240" "-s semihard --positives 3 -m cosine" "3 auto"
mine_case semihard-p1-dups-small-euclidean-softplus "$D64" \
    "-s semihard --positives 1 -m euclidean --loss softplus --margin 0" "auto"
# A class of 90% of the rows, spread over every rank: ~70000 triplets.
mine_case semihard-imbalance-euclidean-m0 "$IMB" "-s semihard -m euclidean --margin 0" "auto"

# topk: K = 1 (the hard negatives), K = 10, K above the number of negatives.
mine_case topk1-rand200-sq "$R200" "-s topk --negatives 1" "auto"
mine_case topk10-rand200-euclidean-softplus "$R200" \
    "-s topk --negatives 10 -m euclidean --loss softplus" "1 3 auto"
mine_case topk10-rand300-cosine-norm-m0 "$R300" \
    "-s topk --negatives 10 -m cosine --normalize --margin 0" "auto"
# Five rows in two classes: one to three negatives per anchor.
mine_case topk10-n5 "$N5" "-s topk --negatives 10" "1 auto"
# Classes of 36 and 28 rows: K = 100 takes every negative, ties included.
mine_case topk100-dups-small "$D64" "-s topk --negatives 100" "auto"
mine_case topk10-dups-sq-norm "$D240" "-s topk --negatives 10 --normalize" "3 auto"

# --neg-min-dist that bites, per metric, and that removes every negative.
mine_case hard-mindist60-rand200-sq "$R200" "--neg-min-dist 60" "auto"
mine_case hard-mindist7.5-rand200-euclidean "$R200" "-m euclidean --neg-min-dist 7.5" "auto"
mine_case hard-mindist0.5-rand200-cosine "$R200" "-m cosine --neg-min-dist 0.5" "auto"
mine_case hard-mindist-all-rand200-sq "$R200" "--neg-min-dist 1000" "auto"
mine_case semihard-mindist-all-rand200-cosine "$R200" "-s semihard -m cosine --neg-min-dist 2.5" \
    "auto"
mine_case topk5-mindist-all-rand200-euclidean-norm "$R200" \
    "-s topk --negatives 5 -m euclidean --normalize --neg-min-dist 2.5" "auto"

# --neg-skip above the number of negatives (skipped anchors; small values
# come with --neg-min-dist below and in the tie cases):
# in IMB the anchors of the big class (265 rows) have 35 negatives, the others
# about 290; in D64 (classes of 36 and 28 rows) every anchor has 28 or 36.
mine_case topk3-skip100-imbalance "$IMB" "-s topk --negatives 3 --neg-skip 100" "1 auto"
mine_case semihard-skip64-dups-small "$D64" "-s semihard --neg-skip 64" "auto"

# Both filters, with each strategy.
mine_case hard-mindist60-skip2-rand200-sq "$R200" "--neg-min-dist 60 --neg-skip 2" "3 auto"
mine_case semihard-p3-mindist0.5-skip3-rand200-cosine-softplus "$R200" \
    "-s semihard --positives 3 -m cosine --neg-min-dist 0.5 --neg-skip 3 --loss softplus" "auto"
mine_case topk10-mindist10.4-skip2-rand300-euclidean "$R300" \
    "-s topk --negatives 10 -m euclidean --neg-min-dist 10.4 --neg-skip 2" "auto"
mine_case semihard-mindist1.1-skip1-rand300-sq-norm "$R300" \
    "-s semihard --normalize --neg-min-dist 1.1 --neg-skip 1" "auto"

# Filters on exact ties: thresholds equal to many distances, skips through
# runs of equal distances, and X = 0, which drops the cosine distances that
# round to -2.2e-16.
mine_case hard-mindist20-dups-sq "$D240" "--neg-min-dist 20" "auto"
mine_case semihard-mindist1-dups-cosine "$D240" "-s semihard -m cosine --neg-min-dist 1" "1 auto"
mine_case topk4-skip3-dups-euclidean "$D240" "-s topk --negatives 4 --neg-skip 3 -m euclidean" \
    "3 auto"
mine_case hard-mindist0-dups-cosine "$D240" "-m cosine --neg-min-dist 0" "auto"

# Thresholds at the exact distance of anchor 0 and its nearest negative:
# row 77 in sqeuclidean, row 62 in cosine.
threshold_case hard-mindist-at-d-rand200-sq "$R200" 0 77 at "" ""
threshold_case hard-mindist-above-d-rand200-sq "$R200" 0 77 above "" ""
threshold_case topk3-mindist-at-d-rand200-cosine "$R200" 0 62 at "-m cosine" \
    "-s topk --negatives 3"
threshold_case topk3-mindist-above-d-rand200-cosine "$R200" 0 62 above "-m cosine" \
    "-s topk --negatives 3"

# ---- queries against a reference set: --reference ----------------------------
# The reference rows are the candidates (columns 1 and 2 of the triplets),
# here mostly a second random set of the same classes in the input file. Its
# distances to the queries are like those of R200 among themselves:
# sqeuclidean nearest negative median 45, 75% 57 (euclidean 6.8, cosine 0.47).
RF="$R200 ; random 150 16 7 2 --append --emb-name ref_emb --lab-name ref_lab"
REFO="--reference @IN@ --ref-embeddings ref_emb --ref-labels ref_lab"
mine_case ref-hard-rand-sq "$RF" "$REFO" "1 3 auto t2"
mine_case ref-topk5-skip2-rand-euclidean-softplus "$RF" \
    "$REFO -s topk --negatives 5 --neg-skip 2 -m euclidean --loss softplus" "3 auto"
mine_case ref-semihard-rand-cosine "$RF" "$REFO -s semihard -m cosine" "1 auto"
mine_case ref-semihard-p3-rand-sq-norm "$RF" "$REFO -s semihard --positives 3 --normalize" "auto"
mine_case ref-hard-mindist45-rand-sq "$RF" "$REFO --neg-min-dist 45" "auto"
# Query classes 6 to 8 are not in the reference (skipped anchors).
mine_case ref-hard-missing-classes "random 200 16 9 1 ; random 150 16 6 2 --append \
--emb-name ref_emb --lab-name ref_lab" "$REFO" "3 auto"
# One reference row: no anchor has both a positive and a negative.
mine_case ref-1row "random 50 8 3 4 ; random 1 8 3 5 --append --emb-name ref_emb \
--lab-name ref_lab" "$REFO" "1 auto"
# The queries themselves as the reference: each anchor is its own positive.
mine_case ref-self-dups-sq "$D240" "--reference @IN@" "auto"
# Ties between the sets: two tie-heavy sets (rows from a pool with duplicates,
# small integers, zero rows).
RD="$D240 ; dups 120 8 5 7 --append --emb-name ref_emb --lab-name ref_lab"
mine_case ref-hard-dups-sq "$RD" "$REFO" "3 auto"
mine_case ref-semihard-dups-cosine "$RD" "$REFO -s semihard -m cosine" "auto"
# The reference in a second file, stored as float64 big-endian, chunked and
# deflated, with the labels of the queries (uint16) stored big-endian; pairs
# of uint16 big-endian for below.
RF2="dtype 120 8 4 6 --lab u16 ; pairs 100 120 90 7 --append --pairs-type u16be ; \
>2 dtype 90 8 4 7 --emb f64be --lab u16be --chunked 7 --deflate"
mine_case ref-file2-topk3-dtype "$RF2" "--reference @IN2@ -s topk --negatives 3" "1 auto"

# ---- given positive pairs: --pairs -------------------------------------------
# tm_gen pairs M NQ NC: M (query, positive) rows, with repeated queries,
# duplicate pairs and (q, q) pairs. Labels are not read.
PR="$R200 ; pairs 150 200 200 3 --append"
mine_case pairs-hard-rand-sq "$PR" "--pairs pairs" "1 3 100000 auto"
mine_case pairs-topk4-skip2-rand-cosine "$PR" \
    "--pairs pairs -s topk --negatives 4 --neg-skip 2 -m cosine" "3 auto"
mine_case pairs-semihard-rand-euclidean "$PR" "--pairs pairs -s semihard -m euclidean" "1 auto"
# 100 pairs over 20 queries: many positives excluded from each query's
# negatives.
mine_case pairs-20queries-rand-sq "$R200 ; pairs 100 20 200 9 --append" "--pairs pairs" "auto"
# A pairs dataset of another name and type.
mine_case pairs-i32-topk2 "random 100 8 3 4 ; pairs 80 100 100 5 --append --pairs-type i32 \
--pairs-name qp" "--pairs qp -s topk --negatives 2" "1 auto"
# No pairs: an empty output.
mine_case pairs-m0 "random 50 8 3 4 ; pairs 0 50 50 5 --append" "--pairs pairs" "1 auto"
PD="$D240 ; pairs 150 240 240 6 --append"
mine_case pairs-hard-dups-sq "$PD" "--pairs pairs" "3 auto"
mine_case pairs-topk3-dups-cosine "$PD" "--pairs pairs -s topk --negatives 3 -m cosine" "auto"

# Pairs against a reference set: positives index the reference.
PRR="$RF ; pairs 150 200 150 3 --append"
mine_case pairs-ref-hard-rand-sq "$PRR" "$REFO --pairs pairs" "1 3 auto"
mine_case pairs-ref-semihard-skip1-rand-sq "$PRR" "$REFO --pairs pairs -s semihard --neg-skip 1" \
    "auto"
mine_case pairs-ref-topk3-mindist45-rand-sq "$PRR" \
    "$REFO --pairs pairs -s topk --negatives 3 --neg-min-dist 45" "3 auto"
mine_case pairs-ref-semihard-dups-euclidean "$RD ; pairs 100 240 120 8 --append" \
    "$REFO --pairs pairs -s semihard -m euclidean" "auto"
mine_case pairs-ref-file2-hard-dtype "$RF2" "--reference @IN2@ --pairs pairs" "auto"
# Pairs need no labels, of the input nor of a reference set.
NL="bad-nolabels 60 4 ; pairs 40 60 30 2 --append ; >2 bad-nolabels 30 4"
mine_case pairs-nolabels-topk2 "$NL" "--pairs pairs -s topk --negatives 2" "auto"
mine_case pairs-ref-nolabels-semihard "$NL" "--reference @IN2@ --pairs pairs -s semihard" "auto"
# One reference row, the positive of every pair: no negatives at all.
mine_case pairs-ref-1row "random 50 8 3 4 ; random 1 8 3 5 --append --emb-name ref_emb \
--lab-name ref_lab ; pairs 10 50 1 6 --append" "$REFO --pairs pairs" "auto"

# ---- choosing positives and negatives ------------------------------------------
# -s sample, --pos, --neg-margin, --neg-pool, --seed: tm_ref draws with the same
# documented generator (docs/contract.md), so the draws are compared too, and
# the counts of what each filter removed (short_anchors, filtered_*).
mine_case sample5-seed3-rand200-sq "$R200" "-s sample --negatives 5 --seed 3" "1 3 auto t2"
mine_case sample4-skip2-pool10-rand200-cosine "$R200" \
    "-s sample --negatives 4 --neg-skip 2 --neg-pool 10 --seed 11 -m cosine" "3 auto"
# K above what a quarter of the anchors have: short anchors; ties everywhere.
mine_case sample190-dups-sq "$D240" "-s sample --negatives 190 --seed 1" "1 auto"
mine_case sample3-pool1-dups-euclidean "$D240" \
    "-s sample --negatives 3 --neg-pool 1 --seed 2 -m euclidean" "auto"
mine_case hard-easiest-margin0.5-rand200-euclidean "$R200" \
    "--pos easiest --neg-margin 0.5 -m euclidean" "1 auto"
mine_case hard-random-seed9-dups-sq "$D240" "--pos random --seed 9" "3 auto"
# A seed alone: the triplets of plain hard, with the counts recorded.
mine_case hard-seed7-rand200-sq "$R200" "--seed 7" "auto"
mine_case topk5-pool3-rand300-sq-norm "$R300" "-s topk --negatives 5 --neg-pool 3 --normalize" \
    "auto"
mine_case topk4-easiest-margin-neg-dups-cosine "$D240" \
    "-s topk --negatives 4 --neg-margin -0.1 --pos easiest -m cosine" "1 auto"
mine_case semihard-pool4-skip1-dups-sq "$D240" "-s semihard --neg-pool 4 --neg-skip 1" "3 auto"
mine_case semihard-pool2-rand200-cosine "$R200" "-s semihard --neg-pool 2 --positives 2 -m cosine" \
    "auto"
# Every filter at once.
mine_case topk3-all-filters-rand200-sq "$R200" \
    "-s topk --negatives 3 --pos easiest --neg-min-dist 40 --neg-margin 25 --neg-skip 1 \
--neg-pool 5" "1 auto"
mine_case sample3-random-pos-all-filters-dups-sq "$D240" \
    "-s sample --negatives 3 --pos random --seed 5 --neg-min-dist 1 --neg-margin 0 \
--neg-skip 2 --neg-pool 6" "3 auto"
mine_case pairs-sample3-margin-rand-sq "$PR" \
    "--pairs pairs -s sample --negatives 3 --seed 4 --neg-margin 0.5" "1 auto"
mine_case pairs-ref-topk2-pool4-rand-sq "$PRR" \
    "$REFO --pairs pairs -s topk --negatives 2 --neg-pool 4 --neg-margin -1" "auto"
mine_case ref-sample2-random-pos-pool20-rand-cosine "$RF" \
    "$REFO -s sample --negatives 2 --pos random --seed 8 --neg-pool 20 -m cosine" "3 auto"

echo "($((SECONDS - start)) s at $NP rank(s))"
echo "$passed passed, $failed failed"
if ((failed > 0)); then
    exit 1
fi
exit 0
