#!/usr/bin/env bash
# Test of the installation: `cmake --install` of a build into a temporary
# prefix, then what a user of the installed copy relies on.
#
#   1. the files are where the GNU layout puts them: bin/tripminer, the
#      library, every public header, the CMake package files (without a path
#      of the source or build tree in them) and the jobs/ scripts;
#   2. PREFIX/bin/tripminer --version prints "tripminer VERSION (git REV)",
#      REV being the source tree's HEAD (git rev-parse --short=12), with
#      "-dirty" exactly when tracked files differ from it, or "unknown"
#      outside a git checkout;
#   3. cmake/gitrev.cmake, the build step behind REV, on scratch trees: a
#      plain directory and a directory inside another repository give
#      "unknown", a clean repository its commit, an edited one "-dirty"
#      (untracked files do not count), and an unchanged revision leaves the
#      header untouched;
#   4. a program outside the tree (tests/install/consumer) configures with
#      find_package(tripminer), links tripminer::tripminer, and runs: it
#      parses options and runs synth and mine through the library.
#
# Environment (CTest sets it, see tests/CMakeLists.txt):
#   TM_BUILD_DIR, TM_SOURCE_DIR   the build to install and its sources
#   TM_VERSION                    the project version, e.g. 0.1.0
#   TM_CONFIG                     the configuration to install (optional)
#   TM_INSTALL_{BIN,LIB,INCLUDE,DATA}DIR  the GNUInstallDirs of the build
#   CMAKE, CC                     the cmake and C compiler of the build
#   TM_KEEP=1                     keep the work directory (its path is printed)

set -u

die() {
    echo "install: error: $*" >&2
    exit 1
}
for var in TM_BUILD_DIR TM_SOURCE_DIR TM_VERSION; do
    [[ -n ${!var:-} ]] || die "$var must be set (run this test through ctest)"
done
CMAKE=${CMAKE:-cmake}
BINDIR=${TM_INSTALL_BINDIR:-bin}
LIBDIR=${TM_INSTALL_LIBDIR:-lib}
INCDIR=${TM_INSTALL_INCLUDEDIR:-include}
DATADIR=${TM_INSTALL_DATADIR:-share}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tm-install.XXXXXX") || exit 1
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
# A session directory of our own for Open MPI (parallel ctest runs race on
# a shared one).
# Open MPI's session files: a directory of this run's own (two mpiruns at
# the same moment race on creating a shared one) with a short path (inside a
# long one a singleton's socket names overflow, and ASan's leak check then
# crashes at exit), removed on exit.
TM_ORTE=$(mktemp -d /tmp/o.XXXXXX) || exit 1
export OMPI_MCA_orte_tmpdir_base=${OMPI_MCA_orte_tmpdir_base:-$TM_ORTE}
PREFIX=$WORK/prefix

failed=0
fail() {
    echo "install: FAIL: $*" >&2
    failed=1
}
ok() {
    echo "install: ok: $*"
}

# ---- 1. cmake --install -----------------------------------------------------
config=()
[[ -n ${TM_CONFIG:-} ]] && config=(--config "$TM_CONFIG")
"$CMAKE" --install "$TM_BUILD_DIR" --prefix "$PREFIX" "${config[@]}" >"$WORK/install.log" 2>&1 ||
    die "cmake --install $TM_BUILD_DIR --prefix $PREFIX failed: $(cat "$WORK/install.log")"

[[ -x $PREFIX/$BINDIR/tripminer ]] || fail "$BINDIR/tripminer is missing or not executable"
libs=("$PREFIX/$LIBDIR"/libtripminer.*)
[[ -f ${libs[0]} ]] || fail "$LIBDIR/libtripminer.* is missing"
nh=0
for h in "$TM_SOURCE_DIR"/include/tripminer/*.h; do
    nh=$((nh + 1))
    cmp -s "$h" "$PREFIX/$INCDIR/tripminer/${h##*/}" ||
        fail "$INCDIR/tripminer/${h##*/} is missing or differs from the source"
done
pkgdir=$PREFIX/$LIBDIR/cmake/tripminer
for f in tripminerConfig.cmake tripminerConfigVersion.cmake tripminerTargets.cmake; do
    [[ -f $pkgdir/$f ]] || fail "$LIBDIR/cmake/tripminer/$f is missing"
done
# A package that names the source or build tree works only on this machine.
if grep -rlF -e "$TM_SOURCE_DIR" -e "$TM_BUILD_DIR" "$pkgdir" >"$WORK/paths" 2>/dev/null; then
    fail "the CMake package names the source or build tree: $(tr '\n' ' ' <"$WORK/paths")"
fi
for j in "$TM_SOURCE_DIR"/jobs/*.sbatch; do
    [[ -x $PREFIX/$DATADIR/tripminer/jobs/${j##*/} ]] ||
        fail "$DATADIR/tripminer/jobs/${j##*/} is missing or not executable"
done
[[ -f $PREFIX/$DATADIR/tripminer/jobs/README.md ]] ||
    fail "$DATADIR/tripminer/jobs/README.md is missing"
[[ -x $PREFIX/$DATADIR/tripminer/jobs/mine.sbatch ]] ||
    fail "$DATADIR/tripminer/jobs/mine.sbatch is missing"
ok "installed into $PREFIX ($nh headers)"

# ---- 2. --version of the installed executable --------------------------------
# The revision that cmake/gitrev.cmake should have found for directory $1,
# looked up independently of it.
expected_rev() {
    local dir=$1 top
    if ! command -v git >/dev/null ||
        ! top=$(git -C "$dir" rev-parse --show-toplevel 2>/dev/null) ||
        [[ $(readlink -f "$top") != "$(readlink -f "$dir")" ]]; then
        echo unknown
        return
    fi
    local rev
    rev=$(git -C "$dir" rev-parse --short=12 HEAD) || {
        echo unknown
        return
    }
    if [[ -n $(git -C "$dir" --no-optional-locks status --porcelain --untracked-files=no) ]]; then
        rev+=-dirty
    fi
    echo "$rev"
}

version=$("$PREFIX/$BINDIR/tripminer" --version 2>"$WORK/version.err")
status=$?
want_rev=$(expected_rev "$TM_SOURCE_DIR")
want="tripminer $TM_VERSION (git $want_rev)"
if [[ $status -ne 0 ]]; then
    fail "tripminer --version: exit status $status: $(cat "$WORK/version.err")"
elif [[ $version != "$want" ]]; then
    fail "tripminer --version printed '$version', expected '$want' (if the tree changed" \
        "since the build, rebuild first)"
else
    ok "$version"
fi
if [[ $want_rev != unknown ]]; then
    short=$(git -C "$TM_SOURCE_DIR" rev-parse --short HEAD)
    [[ $version == *"(git $short"* ]] ||
        fail "tripminer --version '$version' does not name HEAD $short"
fi

# ---- 3. cmake/gitrev.cmake on scratch trees ------------------------------------
# Runs the script on directory $1 and prints the revision it wrote.
gitrev() {
    "$CMAKE" -DTM_SOURCE_DIR="$1" -DTM_OUTPUT="$WORK/gitrev.h" \
        -P "$TM_SOURCE_DIR/cmake/gitrev.cmake" >/dev/null 2>"$WORK/gitrev.err" || {
        echo "gitrev.cmake failed: $(cat "$WORK/gitrev.err")"
        return
    }
    sed -n 's/^#define TM_GIT_REV "\(.*\)"$/\1/p' "$WORK/gitrev.h"
}
expect_rev() { # what, directory, expected revision
    local got
    got=$(gitrev "$2")
    if [[ $got == "$3" ]]; then
        ok "gitrev.cmake, $1: $got"
    else
        fail "gitrev.cmake, $1: got '$got', expected '$3'"
    fi
}

mkdir -p "$WORK/tarball"
expect_rev "not a git checkout" "$WORK/tarball" unknown
if command -v git >/dev/null; then
    repo=$WORK/repo
    if ! { git init -q "$repo" && echo one >"$repo/file" && git -C "$repo" add file &&
        git -C "$repo" -c user.name=tripminer -c user.email=test@tripminer.invalid \
            -c commit.gpgsign=false commit -q -m scratch; }; then
        die "cannot make a scratch git repository in $repo"
    fi
    head=$(git -C "$repo" rev-parse --short=12 HEAD)
    expect_rev "clean repository" "$repo" "$head"
    # The same content again must not touch the header (no rebuilds).
    touch -d '2001-01-01 00:00:00' "$WORK/gitrev.h"
    gitrev "$repo" >/dev/null
    [[ $(stat -c %Y "$WORK/gitrev.h") == $(date -d '2001-01-01 00:00:00' +%s) ]] ||
        fail "gitrev.cmake rewrote the header although the revision did not change"
    echo untracked >"$repo/new-file"
    expect_rev "untracked file only" "$repo" "$head"
    echo two >>"$repo/file"
    expect_rev "edited tracked file" "$repo" "$head-dirty"
    mkdir -p "$repo/unpacked"
    expect_rev "directory inside another repository" "$repo/unpacked" unknown
else
    echo "install: note: git is not installed: only the non-git case of gitrev.cmake was tested"
fi

# ---- 4. a consumer built with find_package(tripminer) ----------------------------
consumer_src=$TM_SOURCE_DIR/tests/install/consumer
cbuild=$WORK/consumer-build
cc=()
[[ -n ${CC:-} ]] && cc=(-DCMAKE_C_COMPILER="$CC")
if ! "$CMAKE" -S "$consumer_src" -B "$cbuild" -DCMAKE_PREFIX_PATH="$PREFIX" "${cc[@]}" \
    >"$WORK/consumer-configure.log" 2>&1; then
    fail "configuring the consumer with find_package(tripminer) failed:"
    cat "$WORK/consumer-configure.log" >&2
elif ! grep -qF "tripminer $TM_VERSION from $pkgdir" "$WORK/consumer-configure.log"; then
    fail "the consumer found another tripminer than $pkgdir:" \
        "$(grep 'tripminer' "$WORK/consumer-configure.log")"
elif ! "$CMAKE" --build "$cbuild" >"$WORK/consumer-build.log" 2>&1; then
    fail "building the consumer against tripminer::tripminer failed:"
    cat "$WORK/consumer-build.log" >&2
else
    mkdir -p "$WORK/run"
    if ! (cd "$WORK/run" && "$cbuild/consumer" "$WORK/run") >"$WORK/consumer.log" 2>&1; then
        fail "the consumer failed:"
        cat "$WORK/consumer.log" >&2
    elif ! grep -qx 'consumer: ok' "$WORK/consumer.log"; then
        fail "the consumer did not say 'consumer: ok': $(cat "$WORK/consumer.log")"
    else
        ok "consumer built with find_package(tripminer) and linked tripminer::tripminer ran"
    fi
fi

if [[ $failed -ne 0 ]]; then
    echo "install: FAILED; rerun from the build directory with" >&2
    echo "  TM_KEEP=1 ctest -R '^install\$' --output-on-failure" >&2
    exit 1
fi
echo "install: all checks passed"
