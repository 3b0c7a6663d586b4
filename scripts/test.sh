#!/usr/bin/env bash
# test.sh - install, build, and run the whole test suite with CTest, then
# the same suite under sanitizers, valgrind and the fuzzers.
#
#   scripts/test.sh                  every stage below (what CI runs)
#   scripts/test.sh -L unit          the main stage only, with these ctest arguments
#   TM_STAGES="main fuzz" scripts/test.sh    the stages named, in this order
#
# Stages, each in a build directory of its own under the source tree:
#   main      build/ (or $BUILD_DIR), Release: the whole CTest suite
#   asan      build-asan/, TM_SANITIZE=ON: the suite again under
#             AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer,
#             less what exercises launchers rather than our memory (the
#             Slurm jobs, the multi-host bed, the install test) and what
#             only repeats code on more ranks (label norepeat: 4 ranks)
#   valgrind  build-vg/, TM_VALGRIND=ON: the tests labelled valgrind
#             (memcheck on tripminer synth and mine, and on the unit suites)
#   fuzz      build-fuzz/, clang with TM_FUZZ=ON: each libFuzzer target replays
#             fuzz/regressions/ and fuzzes for TM_FUZZ_SECONDS (default 60)
#
# A failing stage does not stop the later ones; the exit status is 1 if any
# stage failed. Every stage prints its time; a summary comes last.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
jobs=$(nproc)

# The slurm-labelled tests submit jobs/ scripts to a one-host Slurm cluster
# that their ctest fixture starts and stops (scripts/slurm-local.sh), the
# multinode-labelled ones run on a test bed of network namespaces with a
# Slurm cluster of its own (scripts/cluster-local.sh); the trap stops both
# also when this script is interrupted.
"$top/scripts/install-deps.sh" --slurm
trap '"$top/scripts/slurm-local.sh" stop >/dev/null 2>&1 || true
      "$top/scripts/cluster-local.sh" stop >/dev/null 2>&1 || true' EXIT

if [[ -n ${TM_STAGES:-} ]]; then
    read -r -a stages <<<"$TM_STAGES"
elif [[ $# -gt 0 ]]; then
    stages=(main)
else
    stages=(main asan valgrind fuzz)
fi

# Each stage chains its steps with &&: it runs inside the condition of an
# if below, where set -e does not apply, and must stop at its first failure
# (a failed build must never go on to test an older one).
stage_main() {
    "$top/scripts/build.sh" &&
        (cd "$build" && ctest --output-on-failure -j "$jobs" "$@")
}

# Configure and build one of the extra build directories: dir, then cmake
# arguments. The dependencies are installed first, as for the main build.
build_extra() {
    local dir=$1
    shift
    "$top/scripts/install-deps.sh" &&
        cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
}

stage_asan() {
    build_extra "$top/build-asan" -DTM_SANITIZE=ON &&
        cmake --build "$top/build-asan" -j "$jobs" &&
        (cd "$top/build-asan" && ctest --output-on-failure -j "$jobs" -LE 'slurm|multinode|install|norepeat')
}

stage_valgrind() {
    build_extra "$top/build-vg" -DTM_VALGRIND=ON &&
        cmake --build "$top/build-vg" -j "$jobs" &&
        (cd "$top/build-vg" && ctest --output-on-failure -j "$jobs" -L valgrind)
}

stage_fuzz() {
    # Only the fuzzers: the library is built for them with clang's
    # instrumentation, the test suite is not.
    CC=clang build_extra "$top/build-fuzz" -DTM_FUZZ=ON -DBUILD_TESTING=OFF \
        -DTM_FUZZ_SECONDS="${TM_FUZZ_SECONDS:-60}" &&
        cmake --build "$top/build-fuzz" -j "$jobs" --target fuzz_opts fuzz_h5in &&
        (cd "$top/build-fuzz" && ctest --output-on-failure -j "$jobs" -L fuzz)
}

failed=()
summary=()
for stage in "${stages[@]}"; do
    case $stage in
    main | asan | valgrind | fuzz) ;;
    *)
        echo "test.sh: unknown stage '$stage' (main, asan, valgrind, fuzz)" >&2
        exit 2
        ;;
    esac
    echo "[test] ==== stage $stage ===="
    start=$SECONDS
    if "stage_$stage" "$@"; then
        result=passed
    else
        result=FAILED
        failed+=("$stage")
    fi
    elapsed=$((SECONDS - start))
    summary+=("$(printf '%-9s %-7s %5d s' "$stage" "$result" "$elapsed")")
    echo "[test] stage $stage $result in $elapsed s"
done

echo "[test] summary:"
printf '[test]   %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "[test] FAILED stages: ${failed[*]}" >&2
    exit 1
fi
