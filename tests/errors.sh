#!/usr/bin/env bash
# Error tests of `tripminer`: every bad input, file problem and bad option.
#
# Usage: errors.sh
#
# Environment:
#   TRIPMINER, TM_GEN  paths of the binaries (required)
#   MPIEXEC            the MPI launcher (default: mpirun)
#   MPIEXEC_PREFLAGS   extra launcher flags, e.g. "--oversubscribe"
#   TM_ONLY            optional extended regex: run only the matching cases
#   TM_KEEP=1          keep the work directory (its path is printed)
#   TM_TIMEOUT         seconds before a run counts as a hang (default 60)
#
# Each case runs `timeout 60 $MPIEXEC -n 2 $MPIEXEC_PREFLAGS $TRIPMINER ...`
# (-n 3 for the cases that say so) and checks: the exit status (1 for input and file errors, 2 for usage
# errors; 124 from timeout is reported as a HANG); exactly one stderr line
# starting with "tripminer: error:" (printed once, by rank 0); that this line
# matches the case's patterns in the EXPECT table below; and that the output
# directory holds nothing new afterwards (no output, no temporary file). The
# last line is "N passed, N failed"; the status is 1 if anything failed.

set -u

# Expected content of the "tripminer: error:" line, one entry per case:
# extended regular expressions, matched case-insensitively; when an entry
# holds several, separated by " && ", each must match. Kept loose on purpose:
# adjust them to the final messages here. Before matching, the work directory
# in the line is replaced by WORKDIR. The inputs, in WORKDIR/in, are named
# x00.h5 ... x29.h5, except nonexistent.h5, noref.h5, unreadable.h5,
# notes.txt and trunc.h5, whose names the patterns may require; the outputs
# are WORKDIR/cases/NUMBER/out/out.h5.
declare -A EXPECT=(
    # Input file problems (exit 1).
    [missing-input]='nonexistent\.h5 && no such file|not found|does not exist|cannot open|can.t open|unable to open|failed to open'
    [unreadable-input]='unreadable\.h5 && permission|denied|cannot open|can.t open|unable to open'
    [not-hdf5]='notes\.txt && hdf5|signature|format|open'
    [truncated]='trunc\.h5 && truncat|eof|end of file|hdf5|corrupt|open|read'
    [corrupt-chunk]='embeddings && read|chunk|filter|inflate|decompress|corrupt'
    [no-embeddings]='embeddings && not found|missing|no such|does not exist|no dataset|open'
    [no-labels]='labels && not found|missing|no such|does not exist|no dataset|open'
    [labels-group]='labels && group'
    [emb-3d]='embeddings && 2-?d|two-dimensional|rank|dimension|3-?d|shape'
    [emb-1d]='embeddings && 2-?d|two-dimensional|rank|dimension|1-?d|shape'
    [emb-int]='embeddings && float|integer|type'
    [labels-float]='labels && integer|float|type'
    [labels-2col]='labels && shape|dimension|column|rank|n ?x ?1|2-?d'
    [n-mismatch]='labels|embeddings && mismatch|match|differ|same|rows|length|count'
    [n0]='embeddings && empty|zero|n ?= ?0|no rows|at least|n ?>= ?1'
    [d0]='embeddings && empty|zero|d ?= ?0|dim|at least|d ?>= ?1'
    [nan-row]='row[^0-9]{0,4}137([^0-9]|$) && finite|nan'
    [neg-inf-row]='row[^0-9]{0,4}199([^0-9]|$) && finite|inf'
    [f64-overflow-row]='row[^0-9]{0,4}61([^0-9]|$) && finite|inf|overflow|range'
    # Reference set and pairs problems (exit 1).
    [ref-dim]='dim && (^|[^0-9])8([^0-9]|$) && (^|[^0-9])16([^0-9]|$)'
    [ref-missing]='noref\.h5 && no such file|not found|does not exist|cannot open|can.t open|unable to open|failed to open'
    [ref-nan-row]='row[^0-9]{0,4}120([^0-9]|$) && finite|inf && reference|x20\.h5'
    [ref-no-labels]='labels && reference|x21\.h5 && not found|missing|no such|does not exist|no dataset|open'
    [pairs-missing]='mypairs && not found|missing|no such|does not exist|no dataset|open'
    [pairs-3col]='pairs && shape|column|2-?d|m ?x ?2|\(m, ?2\)'
    [pairs-1d]='pairs && shape|1-?d|2-?d|dimension|rank'
    [pairs-float]='pairs && integer|float|type'
    [pairs-range]='pair[^0-9]{0,4}8([^0-9]|$) && range|rows|16'
    [pairs-negative-query]='pair[^0-9]{0,4}7([^0-9]|$) && range|negative|-1'
    [pairs-ref-range]='pair[^0-9]{0,4}[0-9]+ && reference && range|rows'
    [pairs-mem-limit]='--mem-limit && pair'
    [neg-pool-zero]='neg-pool'
    [sample-negatives-zero]='negatives'
    [neg-margin-semihard]='neg-margin && semihard'
    [pos-with-pairs]='--pos && pairs'
    [pos-unknown]='pos && middle'
    [ref-names-without-reference]='reference'
    [neg-pool-mem-limit]='--neg-pool && --mem-limit'
    # tripminer eval.
    [eval-no-input]='missing input && -i'
    [eval-force-without-output]='--force && -o'
    [eval-mining-option]='unknown option && -s && eval'
    [eval-suspects-negative]='suspects'
    [eval-ref-names-without-reference]='reference'
    [eval-output-exists]='exist|overwrit && force'
    [eval-no-labels]='labels'
    [eval-reference-dim]='reference && dimension|columns|[0-9]+ vs|D'
    # Output problems (exit 1).
    [output-exists]='exist|overwrit && force'
    [outdir-missing]='nodir|no such|directory|cannot create|can.t create|unable to create'
    [outdir-is-file]='afile|not a directory|cannot create|can.t create|unable to create'
    # Usage errors (exit 2).
    [unknown-strategy]='nosuchstrategy'
    [unknown-metric]='nosuchmetric'
    [negative-margin]='margin'
    [chunk-zero]='chunk'
    [threads-zero]='threads'
    [chunk-not-number]='chunk'
    [margin-not-number]='margin'
    [missing-input-option]='-i|input'
    [missing-output-option]='-o|output'
    [unknown-command]='frobnicate'
    [unknown-option]='bogus-option'
    [negatives-zero]='negatives'
    [positives-negative]='positives'
    [neg-skip-negative]='neg-skip'
    [neg-min-dist-negative]='neg-min-dist'
    [positives-with-pairs]='positives && pairs'
    [pairs-empty-name]='pairs && empty|name'
    # Memory budget (exit 1).
    [semihard-mem-limit]='--positives'
    [mem-limit-np3-read]='--mem-limit'
    [mem-limit-np3-rounds]='--mem-limit'
)

usage_exit() {
    echo "errors.sh: $*" >&2
    exit 2
}

for var in TRIPMINER TM_GEN; do
    val=${!var:-}
    [[ -n $val && -x $val ]] || usage_exit "$var must name an executable (got '$val')"
done
MPIEXEC=${MPIEXEC:-mpirun}
TIMEOUT=${TM_TIMEOUT:-60}
read -r -a PREFLAGS <<<"${MPIEXEC_PREFLAGS:-}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

SCRIPT=$(readlink -f "$0")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tm-errors.XXXXXX") || exit 1
# Called by the EXIT trap, which ShellCheck 0.9 does not see.
# shellcheck disable=SC2317
cleanup() {
    rm -rf "${TM_ORTE:-}"
    chmod -R u+rwX "$WORK" 2>/dev/null
    if [[ ${TM_KEEP:-0} == 1 ]]; then
        echo "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
mkdir -p "$WORK/in"
# Open MPI's session files: a directory of this run's own (two mpiruns at
# the same moment race on creating a shared one) with a short path (inside a
# long one a singleton's socket names overflow, and ASan's leak check then
# crashes at exit), removed on exit.
TM_ORTE=$(mktemp -d /tmp/o.XXXXXX) || exit 1
export OMPI_MCA_orte_tmpdir_base=${OMPI_MCA_orte_tmpdir_base:-$TM_ORTE}

passed=0
failed=0
skipped=0

# Prints its arguments as one shell-quoted command line.
quote() {
    local s
    s=$(printf '%q ' "$@")
    printf '%s' "${s% }"
}

rerun_cmd() {
    printf 'TRIPMINER=%q TM_GEN=%q MPIEXEC=%q MPIEXEC_PREFLAGS=%q TM_ONLY=%q TM_KEEP=1 bash %q\n' \
        "$TRIPMINER" "$TM_GEN" "$MPIEXEC" "${MPIEXEC_PREFLAGS:-}" "^$1\$" "$SCRIPT"
}

# True when the case is selected by TM_ONLY (or TM_ONLY is unset).
selected() {
    [[ -z ${TM_ONLY:-} || $1 =~ $TM_ONLY ]]
}

# Makes an input with tm_gen into $WORK/in/FILE.
# Usage: gen FILE CASE ARGS...; exits the script if tm_gen fails, since the
# cases that need the file could not mean anything.
gen() {
    local file=$WORK/in/$1 kind=$2
    shift 2
    if ! "$TM_GEN" "$kind" "$file" "$@" 2>"$WORK/in/gen.err"; then
        echo "errors.sh: cannot make test input: $(quote "$TM_GEN" "$kind" "$file" "$@")" >&2
        cat "$WORK/in/gen.err" >&2
        exit 1
    fi
}

# Lists a directory's entries recursively, hidden ones included.
list_tree() {
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort)
}

# Fails the current case. Usage: case_fail NAME WHY CMD...
case_fail() {
    local name=$1 why=$2
    shift 2
    failed=$((failed + 1))
    echo "FAIL  $name: $why"
    echo "      command: $(quote "$@")"
    if [[ -s $CASE_DIR/stderr ]]; then
        head -n 12 "$CASE_DIR/stderr" | sed 's/^/      | /'
    fi
    echo "      rerun:   $(rerun_cmd "$name")"
}

# Counts a case as passed and prints its error line.
case_pass() {
    passed=$((passed + 1))
    echo "ok    $1: ${LAST_LINE#tripminer: error: }"
}

# Runs one error case and checks it; returns 0 if every check passed (the
# caller may check more, then calls case_pass), 1 after reporting a failure.
# It runs on NRANKS ranks (2 unless the caller sets it for one call, as in
# NRANKS=3 err_case ...).
# Usage: err_case NAME STATUS WATCH -- ARGS...
#   STATUS  expected exit status (1 or 2)
#   WATCH   directory that must hold nothing new afterwards (the output's)
#   ARGS    the arguments of tripminer
# The caller has made CASE_DIR (via new_case) and everything the case needs.
# The command is left in LAST_CMD and the error line in LAST_LINE.
err_case() {
    local name=$1 want=$2 watch=$3
    shift 4
    local -a cmd=(timeout -k 10 "$TIMEOUT" "$MPIEXEC" -n "${NRANKS:-2}" "${PREFLAGS[@]}" "$TRIPMINER"
        "$@")
    local before after rc nlines line pattern
    local -a patterns
    LAST_CMD=("${cmd[@]}")
    LAST_LINE=""
    before=$(list_tree "$watch")

    "${cmd[@]}" >"$CASE_DIR/stdout" 2>"$CASE_DIR/stderr"
    rc=$?

    if ((rc == 124 || rc == 137)); then
        case_fail "$name" "HANG: killed by timeout after $TIMEOUT s" "${cmd[@]}"
        return 1
    fi
    if ((rc != want)); then
        case_fail "$name" "exit status $rc, expected $want" "${cmd[@]}"
        return 1
    fi
    nlines=$(grep -c '^tripminer: error:' "$CASE_DIR/stderr")
    if ((nlines != 1)); then
        case_fail "$name" "$nlines lines start with 'tripminer: error:', expected exactly 1" \
            "${cmd[@]}"
        return 1
    fi
    line=$(grep '^tripminer: error:' "$CASE_DIR/stderr")
    LAST_LINE=$line
    if [[ -z ${EXPECT[$name]:-} ]]; then
        case_fail "$name" "no EXPECT entry for this case (a bug in errors.sh)" "${cmd[@]}"
        return 1
    fi
    # Split the entry on " && ".
    local rest=${EXPECT[$name]}
    patterns=()
    while [[ $rest == *" && "* ]]; do
        patterns+=("${rest%% && *}")
        rest=${rest#* && }
    done
    patterns+=("$rest")
    # The random name of the work directory must not match anything.
    local subject=${line//"$WORK"/WORKDIR}
    for pattern in "${patterns[@]}"; do
        if ! grep -Eiq -e "$pattern" <<<"$subject"; then
            case_fail "$name" "the error line does not match /$pattern/ (EXPECT[$name])" \
                "${cmd[@]}"
            return 1
        fi
    done
    after=$(list_tree "$watch")
    if [[ $before != "$after" ]]; then
        case_fail "$name" "files left behind in $watch: $(comm -13 <(echo "$before") \
            <(echo "$after") | tr '\n' ' ')" "${cmd[@]}"
        return 1
    fi
    LAST_LINE=$line
    return 0
}

# Starts a case: makes CASE_DIR and its empty output directory OUT. The
# directories are numbered, not named, so that no word of a case name (or of
# an input name) can satisfy a pattern by appearing in a path.
n_cases=0
new_case() {
    n_cases=$((n_cases + 1))
    CASE_DIR=$WORK/cases/$n_cases
    OUT=$CASE_DIR/out
    mkdir -p "$OUT"
}

echo "tripminer error tests, work directory $WORK"

# ---- inputs ------------------------------------------------------------------
gen x00.h5 random 200 16 7 1
GOOD=$WORK/in/x00.h5
echo "this is not an HDF5 file" >"$WORK/in/notes.txt"
size=$(stat -c %s "$GOOD")
if ! "$TM_GEN" truncate "$GOOD" "$WORK/in/trunc.h5" $((size / 2)); then
    echo "errors.sh: cannot make the truncated input" >&2
    exit 1
fi
# Row 150 of 200 is in the second half: rank 1's rows with 2 ranks.
gen x01.h5 bad-corrupt-chunk 200 16 150
gen x02.h5 bad-noembeddings
gen x03.h5 bad-nolabels
gen x04.h5 bad-group
gen x05.h5 bad-3d
gen x06.h5 bad-1d
gen x07.h5 bad-int-emb
gen x08.h5 bad-labels-float
gen x09.h5 bad-labels-2col
gen x10.h5 bad-mismatch
gen x11.h5 bad-n0
gen x12.h5 bad-d0
# Rows 137 and 199 are rank 1's, row 61 is rank 0's.
gen x13.h5 bad-notfinite 200 16 137 nan
gen x14.h5 bad-notfinite 200 16 199 -inf
gen x15.h5 bad-f64overflow 200 16 61
# 90% of 2000 rows in one class: with 2 ranks, the distances from each rank's
# anchors to all their positives take about 13 MB, more than --mem-limit 2M
# allows, while the shard (48 KB) and the rounds fit.
gen x16.h5 imbalance 2000 8 5
# 10 rows on 3 ranks: 4 on rank 0, 3 on ranks 1 and 2. With D = 64 the shard
# of rank 0 alone (4 x (64 x 4 + 16) = 1088 bytes) is over --mem-limit 1000;
# with D = 14 every shard fits, and (by the library's accounting today) rank 0
# alone has too little left for one exchange round. Either way one rank fails
# where the others could go on: they must not wait for it forever.
gen x17.h5 random 10 64 2 1
gen x18.h5 random 10 14 2 1
# Reference sets for GOOD (D = 16): one of dimension 8, one with +inf in row
# 120 of 150 (rank 1's half with 2 ranks), one without labels.
gen x19.h5 random 200 8 7 2
gen x20.h5 bad-notfinite 150 16 120 inf
gen x21.h5 bad-nolabels 100 16
# Pairs datasets, each of 10 rows over 16 rows: of 3 columns, 1-D, float32,
# positive 16 in pair 8, query -1 in pair 7 (both in rank 1's half).
gen x22.h5 bad-pairs-3col
gen x23.h5 bad-pairs-1d
gen x24.h5 bad-pairs-float
gen x25.h5 bad-pairs-range 8
gen x26.h5 bad-pairs-negative 7
# 50 pairs over 200 rows, positives up to 199, and a reference of 100 rows:
# some positives are out of the reference's range.
gen x27.h5 random 200 16 7 1
gen x27.h5 pairs 50 200 200 3 --append
gen x28.h5 random 100 16 7 3
# 20000 pairs over 40 rows of D = 4: the shard is tiny, the pairs of one rank
# are over --mem-limit 256K, which mining by the labels fits.
gen x29.h5 random 40 4 3 1
gen x29.h5 pairs 20000 40 40 2 --append

# ---- input file problems -----------------------------------------------------
# Usage: input_case NAME INPUT-FILE [ARGS...]
input_case() {
    local name=$1 file=$2
    shift 2
    selected "$name" || return 0
    new_case "$name"
    err_case "$name" 1 "$OUT" -- mine -i "$file" -o "$OUT/out.h5" -q "$@" && case_pass "$name"
}

input_case missing-input "$WORK/in/nonexistent.h5"
if selected unreadable-input; then
    if [[ $(id -u) == 0 ]]; then
        skipped=$((skipped + 1))
        echo "skip  unreadable-input: running as root, who can read a mode-000 file anyway"
    else
        cp "$GOOD" "$WORK/in/unreadable.h5"
        chmod 000 "$WORK/in/unreadable.h5"
        input_case unreadable-input "$WORK/in/unreadable.h5"
    fi
fi
input_case not-hdf5 "$WORK/in/notes.txt"
input_case truncated "$WORK/in/trunc.h5"
input_case corrupt-chunk "$WORK/in/x01.h5"
input_case no-embeddings "$WORK/in/x02.h5"
input_case no-labels "$WORK/in/x03.h5"
input_case labels-group "$WORK/in/x04.h5"
input_case emb-3d "$WORK/in/x05.h5"
input_case emb-1d "$WORK/in/x06.h5"
input_case emb-int "$WORK/in/x07.h5"
input_case labels-float "$WORK/in/x08.h5"
input_case labels-2col "$WORK/in/x09.h5"
input_case n-mismatch "$WORK/in/x10.h5"
input_case n0 "$WORK/in/x11.h5"
input_case d0 "$WORK/in/x12.h5"
input_case nan-row "$WORK/in/x13.h5"
input_case neg-inf-row "$WORK/in/x14.h5"
input_case f64-overflow-row "$WORK/in/x15.h5"

# ---- reference set and pairs problems ------------------------------------------
input_case ref-dim "$GOOD" --reference "$WORK/in/x19.h5"
input_case ref-missing "$GOOD" --reference "$WORK/in/noref.h5"
input_case ref-nan-row "$GOOD" --reference "$WORK/in/x20.h5"
input_case ref-no-labels "$GOOD" --reference "$WORK/in/x21.h5"
input_case pairs-missing "$GOOD" --pairs mypairs
input_case pairs-3col "$WORK/in/x22.h5" --pairs pairs
input_case pairs-1d "$WORK/in/x23.h5" --pairs pairs
input_case pairs-float "$WORK/in/x24.h5" --pairs pairs
input_case pairs-range "$WORK/in/x25.h5" --pairs pairs
input_case pairs-negative-query "$WORK/in/x26.h5" --pairs pairs
input_case pairs-ref-range "$WORK/in/x27.h5" --pairs pairs --reference "$WORK/in/x28.h5"

# ---- output problems ---------------------------------------------------------
if selected output-exists; then
    new_case output-exists
    echo "an existing output that must survive" >"$OUT/out.h5"
    cp "$OUT/out.h5" "$CASE_DIR/expected"
    if err_case output-exists 1 "$OUT" -- mine -i "$GOOD" -o "$OUT/out.h5" -q; then
        if cmp -s "$OUT/out.h5" "$CASE_DIR/expected"; then
            case_pass output-exists
        else
            case_fail output-exists "the existing output was changed" "${LAST_CMD[@]}"
        fi
    fi
fi
if selected outdir-missing; then
    new_case outdir-missing
    err_case outdir-missing 1 "$OUT" -- mine -i "$GOOD" -o "$OUT/nodir/out.h5" -q &&
        case_pass outdir-missing
fi
if selected outdir-is-file; then
    # A path under a regular file: not creatable, even by root.
    new_case outdir-is-file
    echo "a regular file" >"$OUT/afile"
    err_case outdir-is-file 1 "$OUT" -- mine -i "$GOOD" -o "$OUT/afile/out.h5" -q &&
        case_pass outdir-is-file
fi

# ---- usage errors ------------------------------------------------------------
# Usage: usage_case NAME ARGS... (ARGS after "mine -i GOOD -o OUT/out.h5 -q")
usage_case() {
    local name=$1
    shift
    selected "$name" || return 0
    new_case "$name"
    err_case "$name" 2 "$OUT" -- mine -i "$GOOD" -o "$OUT/out.h5" -q "$@" &&
        case_pass "$name"
}

usage_case unknown-strategy -s nosuchstrategy
usage_case unknown-metric -m nosuchmetric
usage_case negative-margin --margin -0.5
usage_case chunk-zero --chunk 0
usage_case threads-zero --threads 0
usage_case chunk-not-number --chunk abc
usage_case margin-not-number --margin x
usage_case unknown-option --bogus-option
usage_case negatives-zero -s topk --negatives 0
usage_case positives-negative -s semihard --positives -1
usage_case neg-skip-negative --neg-skip -2
usage_case neg-min-dist-negative --neg-min-dist -0.5
usage_case positives-with-pairs --positives 2 --pairs pairs
usage_case pairs-empty-name --pairs ''
usage_case neg-pool-zero --neg-pool 0
usage_case sample-negatives-zero -s sample --negatives 0
usage_case neg-margin-semihard -s semihard --neg-margin 0.1
usage_case pos-with-pairs --pos easiest --pairs pairs
usage_case pos-unknown --pos middle
usage_case ref-names-without-reference --ref-labels ref_lab
if selected missing-input-option; then
    new_case missing-input-option
    err_case missing-input-option 2 "$OUT" -- mine -o "$OUT/out.h5" -q &&
        case_pass missing-input-option
fi
if selected missing-output-option; then
    new_case missing-output-option
    err_case missing-output-option 2 "$OUT" -- mine -i "$GOOD" -q &&
        case_pass missing-output-option
fi
if selected unknown-command; then
    new_case unknown-command
    err_case unknown-command 2 "$OUT" -- frobnicate -i "$GOOD" -o "$OUT/out.h5" &&
        case_pass unknown-command
fi

# ---- memory budget -------------------------------------------------------------
if selected semihard-mem-limit; then
    new_case semihard-mem-limit
    if err_case semihard-mem-limit 1 "$OUT" -- mine -i "$WORK/in/x16.h5" -o "$OUT/out.h5" -q \
        -s semihard --mem-limit 2M; then
        # The same budget is enough with --positives 3: the refusal was about
        # the positives of the big class, not a budget too small for anything.
        ctl=(timeout -k 10 "$TIMEOUT" "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" mine
            -i "$WORK/in/x16.h5" -o "$CASE_DIR/ctl.h5" -q -s semihard --positives 3 --mem-limit 2M)
        "${ctl[@]}" >"$CASE_DIR/stdout" 2>"$CASE_DIR/stderr"
        rc=$?
        if ((rc != 0)); then
            case_fail semihard-mem-limit "with --positives 3 added: exit status $rc, expected 0" \
                "${ctl[@]}"
        elif [[ ! -f $CASE_DIR/ctl.h5 ]]; then
            case_fail semihard-mem-limit "with --positives 3 added: exit 0 but no output" \
                "${ctl[@]}"
        else
            case_pass semihard-mem-limit
        fi
    fi
fi
for c in "mem-limit-np3-read x17.h5" "mem-limit-np3-rounds x18.h5"; do
    read -r name file <<<"$c"
    selected "$name" || continue
    new_case "$name"
    NRANKS=3 err_case "$name" 1 "$OUT" -- mine -i "$WORK/in/$file" -o "$OUT/out.h5" -q \
        --mem-limit 1000 && case_pass "$name"
done

if selected pairs-mem-limit; then
    new_case pairs-mem-limit
    if err_case pairs-mem-limit 1 "$OUT" -- mine -i "$WORK/in/x29.h5" -o "$OUT/out.h5" -q \
        --pairs pairs --mem-limit 256K; then
        # The same budget is enough without --pairs: the refusal was about
        # the pairs, not a budget too small for anything.
        ctl=(timeout -k 10 "$TIMEOUT" "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" mine
            -i "$WORK/in/x29.h5" -o "$CASE_DIR/ctl.h5" -q --mem-limit 256K)
        "${ctl[@]}" >"$CASE_DIR/stdout" 2>"$CASE_DIR/stderr"
        rc=$?
        if ((rc != 0)); then
            case_fail pairs-mem-limit "without --pairs: exit status $rc, expected 0" "${ctl[@]}"
        elif [[ ! -f $CASE_DIR/ctl.h5 ]]; then
            case_fail pairs-mem-limit "without --pairs: exit 0 but no output" "${ctl[@]}"
        else
            case_pass pairs-mem-limit
        fi
    fi
fi

if selected neg-pool-mem-limit; then
    new_case neg-pool-mem-limit
    if err_case neg-pool-mem-limit 1 "$OUT" -- mine -i "$WORK/in/x16.h5" -o "$OUT/out.h5" -q \
        -s sample --neg-pool 1500 --mem-limit 2M; then
        # The same budget is enough with a small pool: the refusal was about
        # the pool, not a budget too small for anything.
        ctl=(timeout -k 10 "$TIMEOUT" "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" mine
            -i "$WORK/in/x16.h5" -o "$CASE_DIR/ctl.h5" -q -s sample --neg-pool 10 --mem-limit 2M)
        "${ctl[@]}" >"$CASE_DIR/stdout" 2>"$CASE_DIR/stderr"
        rc=$?
        if ((rc != 0)); then
            case_fail neg-pool-mem-limit "with --neg-pool 10: exit status $rc, expected 0" "${ctl[@]}"
        elif [[ ! -f $CASE_DIR/ctl.h5 ]]; then
            case_fail neg-pool-mem-limit "with --neg-pool 10: exit 0 but no output" "${ctl[@]}"
        else
            case_pass neg-pool-mem-limit
        fi
    fi
fi

# ---- tripminer eval -------------------------------------------------------------
# eval_case NAME STATUS SETUP ARGS...: tripminer eval ARGS (OUT/rep.h5 for
# @REP@), after the shell command SETUP in CASE_DIR.
eval_case() {
    local name=$1 want=$2 setup=$3
    shift 3
    selected "$name" || return 0
    new_case "$name"
    (cd "$CASE_DIR" && eval "$setup") || { case_fail "$name" "setup failed: $setup"; return; }
    local -a args=()
    local a
    for a in "$@"; do args+=("${a//@REP@/$OUT/rep.h5}"); done
    err_case "$name" "$want" "$OUT" -- eval "${args[@]}" && case_pass "$name"
}
eval_case eval-no-input 2 : -o @REP@ -q
eval_case eval-force-without-output 2 : -i "$GOOD" --force -q
eval_case eval-mining-option 2 : -i "$GOOD" -o @REP@ -s hard -q
eval_case eval-suspects-negative 2 : -i "$GOOD" -o @REP@ --suspects -1 -q
eval_case eval-ref-names-without-reference 2 : -i "$GOOD" -o @REP@ --ref-labels labels -q
eval_case eval-output-exists 1 'echo old >out/rep.h5' -i "$GOOD" -o @REP@ -q
eval_case eval-no-labels 1 : -i "$GOOD" --labels nosuchlabels -o @REP@ -q
eval_case eval-reference-dim 1 : -i "$GOOD" --reference "$WORK/in/x16.h5" -o @REP@ -q

if ((skipped > 0)); then
    echo "($skipped skipped)"
fi
echo "$passed passed, $failed failed"
if ((failed > 0)); then
    exit 1
fi
exit 0
