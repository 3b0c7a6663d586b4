#!/usr/bin/env bash
# test.sh - install, build, and run the whole test suite with CTest.
#   scripts/test.sh [ctest arguments...]   e.g. scripts/test.sh -L unit
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

"$top/scripts/build.sh"
cd "$build"
ctest --output-on-failure -j "$(nproc)" "$@"
