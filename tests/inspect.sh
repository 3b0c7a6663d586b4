#!/usr/bin/env bash
# Tests of `tripminer inspect`: the text, JSON and SVG reports of outputs of
# every strategy and of an empty output, checked against numbers computed
# independently by tm_h5stats; the same of eval reports (with and without
# --by-class) against their values read back with h5dump; the values of
# partitioned runs of mine and eval (--partitions) in inspect's reports and
# in the runs' own summaries, and their absence without it; the refusals
# (exit 1, one error line) and the usage errors (exit 2); --svg never
# replacing a file without --force; and inspect started on several MPI ranks.
#
# Usage: inspect.sh
#
# Environment:
#   TRIPMINER, TM_H5STATS, TM_H5MANGLE  paths of the binaries (required)
#   MPIEXEC            the MPI launcher (default: mpirun)
#   MPIEXEC_PREFLAGS   extra launcher flags, e.g. "--oversubscribe"
#   PYTHON             a python3 for the checks (default: python3; standard
#                      library only: json and xml.etree)
#   TM_PYTHON          a python3 with h5py, for those of partitioned runs
#                      (tests/parts_check.py; default: /usr/bin/python3)
#   TM_ONLY            optional extended regex: run only the matching cases
#   TM_KEEP=1          keep the work directory (its path is printed)
#   TM_TIMEOUT         seconds before a run counts as a hang (default 60)
#
# The last line is "N passed, N failed"; the status is 1 if anything failed.

set -u

usage_exit() {
    echo "inspect.sh: $*" >&2
    exit 2
}

for var in TRIPMINER TM_H5STATS TM_H5MANGLE; do
    val=${!var:-}
    [[ -n $val && -x $val ]] || usage_exit "$var must name an executable (got '$val')"
done
MPIEXEC=${MPIEXEC:-mpirun}
PYTHON=${PYTHON:-python3}
TIMEOUT=${TM_TIMEOUT:-60}
read -r -a PREFLAGS <<<"${MPIEXEC_PREFLAGS:-}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
command -v "$PYTHON" >/dev/null || usage_exit "no $PYTHON on PATH (the checks need python3)"

SCRIPT=$(readlink -f "$0")
CHECK=$(dirname "$SCRIPT")/inspect_check.py
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tm-inspect.XXXXXX") || exit 1
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
# A session directory per script run: parallel mpiruns (ctest -j) can race
# on creating a shared one.
# Open MPI's session files: a directory of this run's own (two mpiruns at
# the same moment race on creating a shared one) with a short path (inside a
# long one a singleton's socket names overflow, and ASan's leak check then
# crashes at exit), removed on exit.
TM_ORTE=$(mktemp -d /tmp/o.XXXXXX) || exit 1
export OMPI_MCA_orte_tmpdir_base=${OMPI_MCA_orte_tmpdir_base:-$TM_ORTE}

passed=0
failed=0

quote() {
    local s
    s=$(printf '%q ' "$@")
    printf '%s' "${s% }"
}

selected() {
    [[ -z ${TM_ONLY:-} || $1 =~ $TM_ONLY ]]
}

rerun_cmd() {
    printf 'TRIPMINER=%q TM_H5STATS=%q TM_H5MANGLE=%q ' "$TRIPMINER" "$TM_H5STATS" "$TM_H5MANGLE"
    printf 'MPIEXEC=%q MPIEXEC_PREFLAGS=%q TM_ONLY=%q TM_KEEP=1 bash %q\n' \
        "$MPIEXEC" "${MPIEXEC_PREFLAGS:-}" "^$1\$" "$SCRIPT"
}

# Usage: fail NAME WHY [DETAIL-FILE]
fail() {
    failed=$((failed + 1))
    echo "FAIL  $1: $2"
    echo "      command: $(quote "${LAST_CMD[@]}")"
    if [[ -n ${3:-} && -s $3 ]]; then
        head -n 20 "$3" | sed 's/^/      | /'
    fi
    echo "      rerun:   $(rerun_cmd "$1")"
}

pass() {
    passed=$((passed + 1))
    echo "ok    $1${2:+: $2}"
}

# Runs tripminer (on one process, or on N ranks with NRANKS=N) with
# stdout and stderr in $OUT and $ERR; sets RC. Usage: run ARGS...
run() {
    if [[ -n ${NRANKS:-} ]]; then
        LAST_CMD=(timeout -k 10 "$TIMEOUT" "$MPIEXEC" -n "$NRANKS" "${PREFLAGS[@]}" "$TRIPMINER"
            "$@")
    else
        LAST_CMD=(timeout -k 10 "$TIMEOUT" "$TRIPMINER" "$@")
    fi
    "${LAST_CMD[@]}" >"$OUT" 2>"$ERR"
    RC=$?
}

# Number of lines of $ERR that are error lines.
error_lines() {
    grep -c '^tripminer: error:' "$ERR"
}

# Checks the last run's exit status and, for a failure, that stderr has
# exactly one error line matching every pattern (extended regexps, case
# insensitive). Returns 0 if so, after reporting nothing; 1 after fail.
# Usage: expect NAME STATUS [PATTERN...]
expect() {
    local name=$1 want=$2 n line pattern
    shift 2
    if ((RC == 124 || RC == 137)); then
        fail "$name" "HANG: killed by timeout after $TIMEOUT s" "$ERR"
        return 1
    fi
    if ((RC != want)); then
        fail "$name" "exit status $RC, expected $want" "$ERR"
        return 1
    fi
    ((want == 0)) && return 0
    n=$(error_lines)
    if ((n != 1)); then
        fail "$name" "$n lines start with 'tripminer: error:', expected exactly 1" "$ERR"
        return 1
    fi
    line=$(grep '^tripminer: error:' "$ERR")
    LAST_LINE=${line#tripminer: error: }
    line=${line//"$WORK"/WORKDIR}
    for pattern in "$@"; do
        if ! grep -Eiq -e "$pattern" <<<"$line"; then
            fail "$name" "the error line does not match /$pattern/: $line"
            return 1
        fi
    done
    if ! grep -Eq '\([^()]+\)$' <<<"$line"; then
        fail "$name" "the error line does not end with '(WHERE)': $line"
        return 1
    fi
    return 0
}

# Runs the Python checker; fails NAME with its report. Usage: pycheck NAME ARGS...
pycheck() {
    local name=$1
    shift
    if ! "$PYTHON" "$CHECK" "$@" >"$WORK/check.out" 2>&1; then
        fail "$name" "$(quote "$PYTHON" "$CHECK" "$@") found problems" "$WORK/check.out"
        return 1
    fi
    return 0
}

OUT=$WORK/stdout
ERR=$WORK/stderr
LAST_CMD=()
echo "tripminer inspect tests, work directory $WORK"

# ---- inputs: one embedding set, an output of every strategy, an empty one ----
D=$WORK/data
mkdir -p "$D"
setup() {
    run "$@"
    if ((RC != 0)); then
        echo "inspect.sh: cannot make test data: $(quote "${LAST_CMD[@]}")" >&2
        cat "$ERR" >&2
        exit 1
    fi
}
setup synth -o "$D/in.h5" -n 500 -d 8 -c 12 --seed 5 -q
setup mine -i "$D/in.h5" -o "$D/hard.h5" -q
# On two ranks, so that the ranks attribute is not always 1.
NRANKS=2 setup mine -i "$D/in.h5" -o "$D/semihard.h5" -q -s semihard --positives 4
setup mine -i "$D/in.h5" -o "$D/topk.h5" -q -s topk --negatives 3 -m cosine --margin 0.3
# No negative is 100 away in squared Euclidean distance on the unit sphere
# (at most 4): every anchor has an empty N(a), is skipped, and M = 0.
setup mine -i "$D/in.h5" -o "$D/empty.h5" -q --neg-min-dist 100
for s in hard semihard topk empty; do
    if ! "$TM_H5STATS" "$D/$s.h5" --values >"$D/$s.stats.json" 2>"$ERR"; then
        echo "inspect.sh: tm_h5stats failed on $s.h5" >&2
        cat "$ERR" >&2
        exit 1
    fi
done

# ---- reports of each output ------------------------------------------------
for s in hard semihard topk empty; do
    F=$D/$s.h5
    cp "$F" "$WORK/$s.before"

    if selected "text-$s"; then
        run inspect "$F"
        if expect "text-$s" 0 && pycheck "text-$s" text "$OUT" "$D/$s.stats.json"; then
            if [[ -s $ERR ]]; then
                fail "text-$s" "unexpected stderr" "$ERR"
            else
                pass "text-$s" "$(grep -E '^  triplets ' "$OUT" | tr -s ' ')"
            fi
        fi
    fi

    if selected "json-$s"; then
        run inspect "$F" --json
        if expect "json-$s" 0; then
            if ! "$PYTHON" -c 'import json,sys; json.load(sys.stdin)' <"$OUT" \
                >"$WORK/check.out" 2>&1; then
                fail "json-$s" "stdout is not one JSON document" "$WORK/check.out"
            elif [[ $(wc -l <"$OUT") != 1 ]]; then
                fail "json-$s" "the JSON object is not one line" "$OUT"
            elif pycheck "json-$s" json "$OUT" "$D/$s.stats.json"; then
                pass "json-$s"
            fi
        fi
    fi

    if selected "svg-$s"; then
        mkdir -p "$WORK/svg-$s"
        SVG=$WORK/svg-$s/picture.svg
        run inspect "$F" --svg "$SVG" -q
        empty=()
        [[ $s == empty ]] && empty=(--empty)
        if expect "svg-$s" 0; then
            if [[ ! -s $SVG ]]; then
                fail "svg-$s" "exit 0 but no SVG file"
            elif [[ $(find "$WORK/svg-$s" -mindepth 1 | wc -l) != 1 ]]; then
                fail "svg-$s" "files left beside the SVG: $(find "$WORK/svg-$s" -mindepth 1 -printf "%f ")"
            elif ! grep -q '^tripminer inspect: ' "$OUT"; then
                fail "svg-$s" "no text report on stdout with --svg" "$OUT"
            elif command -v xmllint >/dev/null && ! xmllint --noout "$SVG" 2>"$WORK/check.out"; then
                fail "svg-$s" "xmllint: not well-formed" "$WORK/check.out"
            elif pycheck "svg-$s" svg "$SVG" "${empty[@]}"; then
                pass "svg-$s"
            fi
        fi
    fi

    # inspect only reads.
    if selected "unchanged-$s"; then
        LAST_CMD=(cmp "$F" "$WORK/$s.before")
        if cmp -s "$F" "$WORK/$s.before"; then
            pass "unchanged-$s"
        else
            fail "unchanged-$s" "inspect changed the file it read"
        fi
    fi
done

# ---- reports of tripminer eval ------------------------------------------------
# One with --by-class, one without; their numbers read back with h5dump.
setup eval -i "$D/in.h5" -o "$D/eval-bc.h5" --by-class -q
setup eval -i "$D/in.h5" -o "$D/eval.h5" --suspects 7 -q
HAVE_H5DUMP=0
command -v h5dump >/dev/null && HAVE_H5DUMP=1

# Root attribute NAME of FILE, or row 0 of dataset NAME with h5row0, as
# h5dump prints it (doubles with 17 significant digits: they read back exactly).
h5attr() {
    h5dump -m '%.17g' -a "/$2" "$1" 2>/dev/null | sed -n 's/^ *(0): *//p' | head -n 1
}
h5row0() {
    h5dump -m '%.17g' -d "/$2" -s 0 -c 1 "$1" 2>/dev/null | sed -n 's/^ *(0): *//p' | head -n 1
}

# The checks of an eval report's text, JSON and SVG against KEY=VALUE pairs
# read from the file (standard library only).
EVAL_PY='
import json, re, sys
import xml.etree.ElementTree as ET
mode, path = sys.argv[1], sys.argv[2]
want = dict(a.split("=", 1) for a in sys.argv[3:])
names = ["precision_at_1", "r_precision", "mean_average_precision_at_r",
         "mean_reciprocal_rank"]
bad = []
has_avg = "avg_of_avgs_r_precision" in want
has_pair = want.get("conf_label", "") != ""
if mode == "text":
    text = open(path, encoding="utf-8").read()
    lines = text.splitlines()
    if not lines or "tripminer eval" not in lines[0]:
        bad.append("the first line does not name an eval report")
    for k in names:
        m = re.search(r"^  " + k + r" +(\S+)(?:   \(avg_of_avgs (\S+)\))?$", text, re.M)
        if not m:
            bad.append("no line for " + k)
            continue
        if abs(float(m.group(1)) - float(want[k])) > 5e-7:
            bad.append(f"{k} is {m.group(1)}, the file says {want[k]}")
        if has_avg:
            a = want["avg_of_avgs_" + k]
            if m.group(2) is None or abs(float(m.group(2)) - float(a)) > 5e-7:
                bad.append(f"avg_of_avgs of {k} is {m.group(2)}, the file says {a}")
        elif m.group(2) is not None:
            bad.append("avg_of_avgs shown for a report without it")
    m = re.search(r"^  queries without positive +(\d+) ", text, re.M)
    if not m or m.group(1) != want["queries_without_positive"]:
        bad.append("queries without positive: not " + want["queries_without_positive"])
    if want["sus_query"] and not any(l.startswith("  query " + want["sus_query"] + " ")
                                     for l in lines):
        bad.append("no line for the first suspect, query " + want["sus_query"])
    if has_pair:
        pair = "  {conf_label} -> {conf_nearest}: {conf_count}".format(**want)
        if pair not in lines:
            bad.append("no line " + repr(pair))
    if has_avg != ("by class" in lines):
        bad.append("a by class section where by_class " + ("is" if has_avg else "is not"))
elif mode == "json":
    d = json.load(open(path, encoding="utf-8"))
    if d.get("kind") != "eval_report":
        bad.append("kind is not eval_report")
    for k in names:
        got = d["metrics"][k]
        if got != float(want[k]):
            bad.append(f"metrics.{k} is {got!r}, the file says {want[k]}")
        a = d["avg_of_avgs"][k] if d["avg_of_avgs"] is not None else None
        if has_avg and a != float(want["avg_of_avgs_" + k]):
            bad.append(f"avg_of_avgs.{k} is {a!r}")
        if not has_avg and a is not None:
            bad.append("avg_of_avgs for a report without it")
    if d["queries_without_positive"] != int(want["queries_without_positive"]):
        bad.append("queries_without_positive differs")
    if has_pair:
        first = d["confusions"]["first"][0]
        got = (first["label"], first["nearest_label"], first["count"])
        exp = (int(want["conf_label"]), int(want["conf_nearest"]), int(want["conf_count"]))
        if got != exp:
            bad.append(f"confusions.first[0] is {got}, the file says {exp}")
    if want["sus_query"] and d["suspects"]["first"][0]["query"] != int(want["sus_query"]):
        bad.append("suspects.first[0].query differs")
    if (d["by_class"] is not None) != has_avg:
        bad.append("by_class is null where the file has it, or the reverse")
elif mode == "svg":
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.parse(path).getroot()
    if root.tag != ns + "svg":
        bad.append("the root element is not svg")
    texts = ["".join(t.itertext()) for t in root.iter(ns + "text")]
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    if has_pair:
        label = "{conf_label} \u2192 {conf_nearest}".format(**want)
        if label not in texts:
            bad.append("no bar label " + repr(label))
        if want["conf_count"] not in texts:
            bad.append("no bar count " + want["conf_count"])
    for i in ("confusions", "suspect-gaps"):
        if i not in ids:
            bad.append("no element with id " + i)
    if has_avg != ("by-class" in ids and "class-mean" in ids):
        bad.append("the per-class panel (by-class, class-mean) is " +
                   ("missing" if has_avg else "drawn without by_class"))
    for el in root.iter():
        if el.tag.replace(ns, "") in ("script", "image", "foreignObject", "use"):
            bad.append("<" + el.tag + "> in a self-contained picture")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
'

for s in eval-bc eval; do
    F=$D/$s.h5
    cp "$F" "$WORK/$s.before"
    vals=()
    if ((HAVE_H5DUMP)); then
        for k in precision_at_1 r_precision mean_average_precision_at_r mean_reciprocal_rank \
            queries_without_positive; do
            vals+=("$k=$(h5attr "$F" "$k")")
        done
        if [[ $s == eval-bc ]]; then
            for k in precision_at_1 r_precision mean_average_precision_at_r mean_reciprocal_rank; do
                vals+=("avg_of_avgs_$k=$(h5attr "$F" "avg_of_avgs_$k")")
            done
        fi
        vals+=("conf_label=$(h5row0 "$F" confusions/label)"
            "conf_nearest=$(h5row0 "$F" confusions/nearest_label)"
            "conf_count=$(h5row0 "$F" confusions/count)"
            "sus_query=$(h5row0 "$F" suspects/query)")
    fi

    for mode in text json svg; do
        name=$mode-$s
        selected "$name" || continue
        if ((!HAVE_H5DUMP)); then
            pass "$name" "skipped: no h5dump to read the report back"
            continue
        fi
        args=("$F")
        [[ $mode == json ]] && args+=(--json)
        SVG=$WORK/svg-$s/picture.svg
        if [[ $mode == svg ]]; then
            mkdir -p "$WORK/svg-$s"
            args+=(--svg "$SVG" -q)
        fi
        run inspect "${args[@]}"
        expect "$name" 0 || continue
        check=$OUT
        if [[ $mode == json ]]; then
            if [[ $(wc -l <"$OUT") != 1 ]]; then
                fail "$name" "the JSON object is not one line" "$OUT"
                continue
            fi
        elif [[ $mode == svg ]]; then
            check=$SVG
            if [[ ! -s $SVG ]]; then
                fail "$name" "exit 0 but no SVG file"
                continue
            elif [[ $(find "$WORK/svg-$s" -mindepth 1 | wc -l) != 1 ]]; then
                left=$(find "$WORK/svg-$s" -mindepth 1 -printf "%f ")
                fail "$name" "files left beside the SVG: $left"
                continue
            elif ! grep -q '^tripminer inspect: ' "$OUT"; then
                fail "$name" "no text report on stdout with --svg" "$OUT"
                continue
            elif command -v xmllint >/dev/null && ! xmllint --noout "$SVG" 2>"$WORK/check.out"; then
                fail "$name" "xmllint: not well-formed" "$WORK/check.out"
                continue
            fi
        elif [[ -s $ERR ]]; then
            fail "$name" "unexpected stderr" "$ERR"
            continue
        fi
        if ! "$PYTHON" -c "$EVAL_PY" "$mode" "$check" "${vals[@]}" >"$WORK/check.out" 2>&1; then
            fail "$name" "the $mode report disagrees with the file" "$WORK/check.out"
        else
            pass "$name" "$(grep -E '^  r_precision ' "$OUT" | tr -s ' ')"
        fi
    done

    if selected "unchanged-$s"; then
        LAST_CMD=(cmp "$F" "$WORK/$s.before")
        if cmp -s "$F" "$WORK/$s.before"; then
            pass "unchanged-$s"
        else
            fail "unchanged-$s" "inspect changed the file it read"
        fi
    fi
done

# ---- partitioned runs -----------------------------------------------------------
# mine and eval with --partitions: the values of the partitions and of the
# check (docs/contract.md, "Partitions") in the file's attributes, the text
# summary, --json and inspect's text, JSON and SVG, all the same; without
# --partitions none of them anywhere. Read with h5py (tests/parts_check.py).
PARTS_CHECK=$(dirname "$SCRIPT")/parts_check.py
H5PY=${TM_PYTHON:-/usr/bin/python3}
P=$WORK/parts
mkdir -p "$P"
PARTS=(--partitions 10 --probe 2 --check 200)
setup synth -o "$P/in.h5" -n 2000 -d 16 -c 50 -q
# The text summary and --json of the same run (its output twice: the same bytes).
NRANKS=2 setup mine -i "$P/in.h5" -o "$P/mine.h5" "${PARTS[@]}"
cp "$OUT" "$P/mine.summary"
NRANKS=2 setup mine -i "$P/in.h5" -o "$P/mine-j.h5" "${PARTS[@]}" --json
cp "$OUT" "$P/mine.json"
setup eval -i "$P/in.h5" -o "$P/eval.h5" "${PARTS[@]}"
cp "$OUT" "$P/eval.summary"
setup eval -i "$P/in.h5" -o "$P/eval-j.h5" "${PARTS[@]}" --json
cp "$OUT" "$P/eval.json"
# And without --partitions.
setup mine -i "$P/in.h5" -o "$P/exact.h5"
cp "$OUT" "$P/exact.summary"
setup mine -i "$P/in.h5" -o "$P/exact-j.h5" --json
cp "$OUT" "$P/exact.json"
setup eval -i "$P/in.h5" -o "$P/eval-exact.h5"
cp "$OUT" "$P/eval-exact.summary"
setup eval -i "$P/in.h5" -o "$P/eval-exact-j.h5" --json
cp "$OUT" "$P/eval-exact.json"

# Usage: inspect_all NAME FILE: inspect's text, JSON and SVG of FILE as
# $P/NAME.txt, .json and .svg; 0, or 1 after fail.
inspect_all() {
    local name=$1 file=$2
    rm -f "$P/$1.svg"
    run inspect "$file"
    expect "$name" 0 || return 1
    cp "$OUT" "$P/$name.txt"
    run inspect "$file" --json
    expect "$name" 0 || return 1
    cp "$OUT" "$P/$name.json"
    run inspect "$file" --svg "$P/$name.svg" -q
    expect "$name" 0 || return 1
    if command -v xmllint >/dev/null && ! xmllint --noout "$P/$name.svg" 2>"$WORK/check.out"; then
        fail "$name" "xmllint: not well-formed" "$WORK/check.out"
        return 1
    fi
    return 0
}

# Usage: parts_check NAME ARGS...: tests/parts_check.py ARGS, passed or failed as NAME.
parts_check() {
    local name=$1
    shift
    LAST_CMD=("$H5PY" "$PARTS_CHECK" "$@")
    if "${LAST_CMD[@]}" >"$WORK/check.out" 2>&1; then
        pass "$name" "$(head -n 1 "$WORK/check.out")"
    else
        fail "$name" "the values disagree" "$WORK/check.out"
    fi
}

for k in mine eval; do
    name=parts-$k
    selected "$name" || continue
    LAST_CMD=(cmp "$P/$k.h5" "$P/$k-j.h5")
    if ! cmp -s "$P/$k.h5" "$P/$k-j.h5"; then
        fail "$name" "the runs with and without --json wrote different files"
        continue
    fi
    inspect_all "$name" "$P/$k.h5" || continue
    parts_check "$name" "$k" "$P/$k.h5" "$P/$k.summary" "$P/$k.json" "$P/$name.txt" \
        "$P/$name.json" "$P/$name.svg"
done
# Without --partitions: no attribute, key, line or caption of theirs.
for k in exact eval-exact; do
    name=parts-absent-$k
    selected "$name" || continue
    inspect_all "$name" "$P/$k.h5" || continue
    parts_check "$name" absent "$P/$k.h5" "$P/$k.summary" "$P/$k.json" "$P/$name.txt" \
        "$P/$name.json" "$P/$name.svg"
done
# The outputs above, of the other tests' data, have none either.
for k in hard topk empty eval-bc eval; do
    name=parts-absent-$k
    selected "$name" || continue
    inspect_all "$name" "$D/$k.h5" || continue
    parts_check "$name" absent "$D/$k.h5" "$P/$name.txt" "$P/$name.json" "$P/$name.svg"
done

# ---- --svg onto an existing file ---------------------------------------------
if selected svg-exists; then
    mkdir -p "$WORK/exists"
    SVG=$WORK/exists/old.svg
    echo "an existing file that must survive" >"$SVG"
    cp "$SVG" "$WORK/exists.expected"
    run inspect "$D/hard.h5" --svg "$SVG"
    if expect svg-exists 1 'old\.svg' 'exist' 'force'; then
        if ! cmp -s "$SVG" "$WORK/exists.expected"; then
            fail svg-exists "the existing file was changed"
        elif [[ -s $OUT ]]; then
            fail svg-exists "a report was printed although the command failed" "$OUT"
        elif [[ $(find "$WORK/exists" -mindepth 1 | wc -l) != 1 ]]; then
            fail svg-exists "files left beside the SVG: $(find "$WORK/exists" -mindepth 1 -printf "%f ")"
        else
            pass svg-exists "$LAST_LINE"
        fi
    fi
fi
if selected svg-force; then
    mkdir -p "$WORK/force"
    SVG=$WORK/force/old.svg
    echo "an existing file to replace" >"$SVG"
    run inspect "$D/topk.h5" --svg "$SVG" --force --json
    if expect svg-force 0 && pycheck svg-force svg "$SVG"; then
        if ! "$PYTHON" -c 'import json,sys; json.load(sys.stdin)' <"$OUT" >/dev/null 2>&1; then
            fail svg-force "stdout is not JSON with --json --svg" "$OUT"
        else
            pass svg-force
        fi
    fi
fi
if selected svg-no-directory; then
    run inspect "$D/hard.h5" --svg "$WORK/nodir/x.svg"
    expect svg-no-directory 1 'nodir' && pass svg-no-directory "$LAST_LINE"
fi

# ---- several ranks: rank 0 reads and prints, all leave with its status --------
if selected mpi-report; then
    NRANKS=2 run inspect "$D/semihard.h5"
    if expect mpi-report 0; then
        n=$(grep -c '^tripminer inspect: ' "$OUT")
        if ((n != 1)); then
            fail mpi-report "the report was printed $n times, expected once" "$OUT"
        elif ! grep -Eq '^  ranks +2$' "$OUT"; then
            fail mpi-report "no 'ranks 2' line for an output mined on 2 ranks" "$OUT"
        else
            pass mpi-report
        fi
    fi
fi
if selected mpi-error; then
    NRANKS=2 run inspect "$D/in.h5"
    expect mpi-error 1 'triplets' && pass mpi-error "$LAST_LINE"
fi
if selected mpi-usage; then
    NRANKS=2 run inspect
    expect mpi-usage 2 'file' && pass mpi-usage "$LAST_LINE"
fi

# ---- files that are not tripminer outputs -------------------------------------
BAD=$WORK/bad
mkdir -p "$BAD"
echo "this is not an HDF5 file" >"$BAD/notes.txt"
mkdir -p "$BAD/adir.h5"
head -c "$(($(stat -c %s "$D/hard.h5") / 2))" "$D/hard.h5" >"$BAD/trunc.h5"

# Usage: mangled NAME ACTION ARGS... : a copy of hard.h5 damaged by tm_h5mangle.
mangled() {
    local name=$1
    shift
    cp "$D/hard.h5" "$BAD/$name.h5"
    if ! "$TM_H5MANGLE" "$BAD/$name.h5" "$@" 2>"$ERR"; then
        echo "inspect.sh: tm_h5mangle $* failed" >&2
        cat "$ERR" >&2
        exit 1
    fi
}
M_HARD=$(sed -E 's/^\{"m": ([0-9]+),.*/\1/' "$D/hard.stats.json")
mangled no-loss drop loss
mangled no-d_an drop d_an
mangled no-triplets drop triplets
mangled no-margin drop-attr margin
mangled no-version drop-attr version
mangled str-count attr-string num_triplets
mangled short-d_ap resize d_ap $((M_HARD - 1))
mangled int-d_an retype d_an
mangled two-cols triplets-cols 2
mangled empty-loss resize loss 0

# Usage: refuse NAME FILE PATTERN...
refuse() {
    local name=$1 file=$2
    shift 2
    selected "$name" || return 0
    run inspect "$file" --svg "$BAD/$name.svg"
    if expect "$name" 1 "$@"; then
        if [[ -e $BAD/$name.svg ]]; then
            fail "$name" "an SVG was written for a refused file"
        elif [[ -s $OUT ]]; then
            fail "$name" "a report was printed for a refused file" "$OUT"
        else
            pass "$name" "$LAST_LINE"
        fi
    fi
}
refuse missing-file "$BAD/nonexistent.h5" 'nonexistent\.h5' 'no such file'
refuse text-file "$BAD/notes.txt" 'notes\.txt' 'hdf5'
refuse directory "$BAD/adir.h5" 'adir\.h5' 'directory'
refuse truncated "$BAD/trunc.h5" 'trunc\.h5'
refuse input-set "$D/in.h5" 'in\.h5' "triplets" 'missing|not a tripminer'
refuse no-loss "$BAD/no-loss.h5" "'loss'" 'missing'
refuse no-d_an "$BAD/no-d_an.h5" "'d_an'" 'missing'
refuse no-triplets "$BAD/no-triplets.h5" "'triplets'" 'missing'
refuse no-margin "$BAD/no-margin.h5" "'margin'" 'missing'
refuse no-version "$BAD/no-version.h5" "'version'" 'missing'
refuse str-count "$BAD/str-count.h5" "'num_triplets'" 'string' 'integer'
refuse short-d_ap "$BAD/short-d_ap.h5" 'd_ap' 'length|rows'
refuse int-d_an "$BAD/int-d_an.h5" "'d_an'" 'integer' 'float'
refuse two-cols "$BAD/two-cols.h5" "'triplets'" 'shape' '\(M, 3\)'
refuse empty-loss "$BAD/empty-loss.h5" 'loss' 'length|rows'

# Eval reports that lack what they promise: exit 1 naming what is wrong.
# Usage: mangled_eval NAME ACTION ARGS... : a copy of eval-bc.h5 damaged by tm_h5mangle.
mangled_eval() {
    local name=$1
    shift
    cp "$D/eval-bc.h5" "$BAD/$name.h5"
    if ! "$TM_H5MANGLE" "$BAD/$name.h5" "$@" 2>"$ERR"; then
        echo "inspect.sh: tm_h5mangle $* failed" >&2
        cat "$ERR" >&2
        exit 1
    fi
}
mangled_eval eval-no-metric drop-attr r_precision
mangled_eval eval-no-count drop confusions/count
mangled_eval eval-no-suspects drop suspects
mangled_eval eval-str-queries attr-string num_queries
refuse eval-no-metric "$BAD/eval-no-metric.h5" "'r_precision'" 'missing' 'eval report'
refuse eval-no-count "$BAD/eval-no-count.h5" "'confusions/count'" 'missing'
refuse eval-no-suspects "$BAD/eval-no-suspects.h5" "'suspects'" 'missing'
refuse eval-str-queries "$BAD/eval-str-queries.h5" "'num_queries'" 'string' 'integer'

# ---- usage errors ------------------------------------------------------------
# Usage: usage_case NAME PATTERN -- ARGS...
usage_case() {
    local name=$1 pattern=$2
    shift 3
    selected "$name" || return 0
    run inspect "$@"
    expect "$name" 2 "$pattern" && pass "$name" "$LAST_LINE"
}
usage_case no-file 'file' --
usage_case unknown-option 'bogus' -- "$D/hard.h5" --bogus
usage_case two-files 'unexpected|one file' -- "$D/hard.h5" "$D/topk.h5"
usage_case bins-zero 'bins' -- "$D/hard.h5" --bins 0
usage_case bins-word 'bins' -- "$D/hard.h5" --bins many
usage_case svg-no-value 'svg' -- "$D/hard.h5" --svg
usage_case json-value 'json' -- "$D/hard.h5" --json=yes
usage_case only-options 'file' -- --json --force

# ---- help ----------------------------------------------------------------------
if selected help; then
    run inspect --help
    if expect help 0; then
        missing=""
        for word in '--svg FILE' '--force' '--bins N' '--json' '--quiet' '--verbose' '--help' \
            '[20]' '[none]' '[off]' 'example' 'linear interpolation'; do
            grep -qF -- "$word" "$OUT" || missing="$missing '$word'"
        done
        if [[ -n $missing ]]; then
            fail help "the usage text lacks:$missing" "$OUT"
        else
            pass help
        fi
    fi
fi
if selected main-help; then
    run --help
    if expect main-help 0; then
        if grep -Eq '^ +inspect ' "$OUT"; then
            pass main-help
        else
            fail main-help "tripminer --help does not list inspect" "$OUT"
        fi
    fi
fi

echo "$passed passed, $failed failed"
((failed == 0))
