#!/usr/bin/env bash
# run.sh - one fuzzer's CTest test (fuzz/CMakeLists.txt):
#
#   run.sh FUZZER SEEDS REGRESSIONS WORK SECONDS RSS_MB [LIBFUZZER OPTIONS...]
#
# 1. replays every file of REGRESSIONS (inputs that once crashed it), each
#    once: any crash, leak, sanitizer report or -timeout fails the test;
# 2. fuzzes for SECONDS from the seed corpus SEEDS, adding what it finds to
#    WORK/corpus (kept between runs of one build) and writing a crashing
#    input to WORK/artifacts/.
#
# Exit status 0 only when both steps found nothing. On a finding it prints
# the input and the command that reproduces it.
set -u

if [[ $# -lt 6 ]]; then
    echo "usage: run.sh FUZZER SEEDS REGRESSIONS WORK SECONDS RSS_MB [LIBFUZZER OPTIONS...]" >&2
    exit 2
fi
fuzzer=$1 seeds=$2 regressions=$3 work=$4 seconds=$5 rss_mb=$6
shift 6
name=${fuzzer##*/}
[[ -x $fuzzer ]] || { echo "$name: FAIL: $fuzzer is not an executable" >&2; exit 1; }
[[ -d $seeds ]] || { echo "$name: FAIL: no seed corpus $seeds" >&2; exit 1; }

# -timeout: an input that takes longer is a hang; -rss_limit_mb and
# -malloc_limit_mb: an input that makes the target allocate more is a bug
# (the reader must refuse what is over its budget without allocating it).
opts=(-timeout=10 -rss_limit_mb="$rss_mb" -malloc_limit_mb="$rss_mb" "$@")

# ---- 1. the regression inputs --------------------------------------------------
mkdir -p "$work"
inputs=()
if [[ -d $regressions ]]; then
    while IFS= read -r -d '' f; do
        inputs+=("$f")
    done < <(find "$regressions" -maxdepth 1 -type f -print0 | sort -z)
fi
if [[ ${#inputs[@]} -gt 0 ]]; then
    # With file arguments libFuzzer runs each of them once and does not fuzz.
    if ! "$fuzzer" "${opts[@]}" "${inputs[@]}" >"$work/replay.log" 2>&1; then
        tail -n 60 "$work/replay.log" >&2
        echo "$name: FAIL: a regression input of $regressions crashes again; rerun with" >&2
        echo "  $fuzzer ${opts[*]} $regressions/*" >&2
        exit 1
    fi
    echo "$name: ok: ${#inputs[@]} regression input(s) of $regressions"
else
    echo "$name: no regression inputs in $regressions"
fi

# ---- 2. fuzzing ----------------------------------------------------------------
mkdir -p "$work/corpus" "$work/artifacts"
rm -f "$work/artifacts/"*
cmd=("$fuzzer" "${opts[@]}" -max_total_time="$seconds" -print_final_stats=1
    -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds")
echo "$name: fuzzing for $seconds s: ${cmd[*]}"
"${cmd[@]}" >"$work/fuzz.log" 2>&1
status=$?
found=("$work/artifacts/"*)
if [[ $status -ne 0 || -e ${found[0]} ]]; then
    tail -n 60 "$work/fuzz.log" >&2
    echo "$name: FAIL: exit status $status; full log $work/fuzz.log" >&2
    if [[ -e ${found[0]} ]]; then
        for f in "${found[@]}"; do
            echo "$name: input: $f; reproduce with" >&2
            echo "  $fuzzer ${opts[*]} $f" >&2
        done
        echo "$name: fix the bug, then keep the input as a regression test:" >&2
        echo "  cp ${found[0]} $regressions/" >&2
    fi
    exit 1
fi
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$work/fuzz.log" |
    sed "s/^/$name: /"
echo "$name: ok: nothing found in $seconds s ($(find "$work/corpus" -type f | wc -l) inputs in $work/corpus)"
