#!/usr/bin/env bash
# Hostile sizes: input files whose declared shapes are absurd must be
# refused with a clear error naming the size (and the budget), never a
# crash or an attempt to allocate them. The files are made with h5py
# (chunked datasets with nothing written: a few KiB on disk).
#
# Environment: TRIPMINER (required), MPIEXEC, MPIEXEC_PREFLAGS, TM_PYTHON
# (a python3 with h5py, default /usr/bin/python3).

set -u
[[ -n ${TRIPMINER:-} && -x $TRIPMINER ]] || { echo "hostile.sh: TRIPMINER must be set" >&2; exit 2; }
MPIEXEC=${MPIEXEC:-mpirun}
PY=${TM_PYTHON:-/usr/bin/python3}
read -r -a PREFLAGS <<<"${MPIEXEC_PREFLAGS:-}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tm-hostile.XXXXXX") || exit 1
trap 'rm -rf "$WORK" "${TM_ORTE:-}"' EXIT
# Open MPI's session files: a directory of this run's own (two mpiruns at
# the same moment race on creating a shared one) with a short path (inside a
# long one a singleton's socket names overflow, and ASan's leak check then
# crashes at exit), removed on exit.
TM_ORTE=$(mktemp -d /tmp/o.XXXXXX) || exit 1
export OMPI_MCA_orte_tmpdir_base=${OMPI_MCA_orte_tmpdir_base:-$TM_ORTE}
cd "$WORK" || exit 1

"$PY" - <<'PYEOF' || { echo "hostile.sh: cannot make the inputs (h5py)" >&2; exit 1; }
import h5py
def make(path, n, d):
    with h5py.File(path, "w") as f:
        f.create_dataset("embeddings", shape=(n, d), dtype="f4", chunks=(1, min(d, 1024)))
        f.create_dataset("labels", shape=(n,), dtype="i8", chunks=(min(n, 1024),))
make("rows2e40.h5", 2**40, 128)        # 512 TiB of embeddings
make("overflow.h5", 2**40, 2**24)      # N x D x 4 overflows 64 bits
make("rows2e30.h5", 2**30, 64)         # 256 GiB: over a --mem-limit of 1G
make("dim2e31.h5", 2, 2**31)           # D one past the domain (docs/contract.md)
make("dimmax.h5", 2, 2**31 - 1)        # the largest D: admitted, then over the budget
PYEOF

passed=0 failed=0
check() { # NAME STATUS REGEX ARGS...
    local name=$1 status=$2 re=$3
    shift 3
    timeout 60 "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" mine -o out.h5 -q "$@" >out.txt 2>err
    local rc=$? ok=1
    [[ $rc == "$status" ]] || { echo "FAIL $name: exit $rc, expected $status"; ok=0; }
    [[ $(grep -c '^tripminer: error:' err) == 1 ]] || { echo "FAIL $name: not one error line"; ok=0; }
    grep -Eq "^tripminer: error:.*($re)" err || { echo "FAIL $name: error does not match /$re/"; ok=0; }
    [[ -e out.h5 ]] && { echo "FAIL $name: output written"; ok=0; }
    if [[ $ok == 1 ]]; then
        echo "ok   $name: $(grep '^tripminer: error:' err)"
        passed=$((passed + 1))
    else
        sed 's/^/    /' err | head -5
        failed=$((failed + 1))
    fi
}
check rows-2e40 1 'needs [0-9]+ bytes.*budget of [0-9]+' -i rows2e40.h5
check nxd-overflow 1 'overflow' -i overflow.h5
check dim-past-domain 1 'too large \(2 x 2147483648\)' -i dim2e31.h5
check dim-largest 1 'needs [0-9]+ bytes.*budget of 1073741824' -i dimmax.h5 --mem-limit 1G
check over-mem-limit 1 'needs [0-9]+ bytes.*budget of 1073741824.*--mem-limit' -i rows2e30.h5 --mem-limit 1G
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
