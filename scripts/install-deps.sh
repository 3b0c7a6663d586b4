#!/usr/bin/env bash
# install-deps.sh - install what tripminer needs to build and test, from
# Debian 12 packages. Idempotent: when every package is present it does not
# touch apt at all.
#
#   scripts/install-deps.sh            # toolchain, MPI, parallel HDF5, BLAS, Check,
#                                      # h5py and NumPy (the output test), valgrind
#                                      # and clang with libFuzzer (scripts/test.sh)
#   scripts/install-deps.sh --slurm    # also Slurm + munge (for the jobs/ tests) and
#                                      # iproute2 (the multi-host test bed,
#                                      # scripts/cluster-local.sh)
#   scripts/install-deps.sh --bench    # also FAISS and GNU time (bench/)
#
# Runs apt-get as root, or through sudo when not root.
set -euo pipefail

want_slurm=0
want_bench=0
for arg in "$@"; do
  case "$arg" in
    --slurm) want_slurm=1 ;;
    --bench) want_bench=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

die() { echo "install-deps.sh: error: $*" >&2; exit 1; }

# libhdf5-openmpi-dev is the parallel HDF5; the serial libhdf5-dev is not
# wanted (CMake prefers parallel anyway, see CMakeLists.txt). The test
# tests/h5py_output.py reads real outputs with Debian's own python3 (not a
# virtualenv or pyenv one), h5py and NumPy. scripts/test.sh also runs the
# valgrind tests and the libFuzzer targets (fuzz/), built with clang: its
# sanitizer and libFuzzer run-times (libclang-rt-dev), its OpenMP (libomp-dev)
# and llvm-symbolizer (llvm) for readable sanitizer reports.
pkgs=(build-essential pkg-config cmake
      libopenmpi-dev openmpi-bin
      libhdf5-openmpi-dev hdf5-tools
      check libsubunit-dev libopenblas-dev
      python3-h5py python3-numpy
      valgrind clang libclang-rt-dev libomp-dev llvm)
[ "$want_slurm" -eq 1 ] && pkgs+=(slurm-wlm slurmctld slurmd slurm-client munge iproute2 util-linux)
# bench/run.sh compares with FAISS through the same python3 and measures
# peak memory with GNU time.
[ "$want_bench" -eq 1 ] && pkgs+=(python3-faiss time)

missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [ "${st:0:2}" = "ii" ] || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "[install-deps] all ${#pkgs[@]} packages present"
else
  command -v apt-get >/dev/null || die "apt-get not found: this script targets Debian 12"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "not root and no sudo: install ${missing[*]} by hand"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt=("${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 -q -y)
  echo "[install-deps] installing: ${missing[*]}"
  log=$(mktemp /tmp/tripminer-apt.XXXXXX)
  "${apt[@]}" update >"$log" 2>&1 || { tail -20 "$log" >&2; die "apt-get update failed"; }
  "${apt[@]}" install --no-install-recommends "${missing[@]}" >>"$log" 2>&1 \
    || { tail -30 "$log" >&2; die "apt-get install failed (log: $log)"; }
  rm -f "$log"
fi

for b in mpicc mpirun cmake pkg-config h5dump valgrind clang llvm-symbolizer; do
  command -v "$b" >/dev/null || die "$b is not on PATH after the install"
done
[ -f /usr/include/hdf5/openmpi/H5FDmpio.h ] || die "parallel HDF5 headers are missing"
pkg-config --exists openblas || die "pkg-config cannot find openblas"
pkg-config --exists check || die "pkg-config cannot find check"
/usr/bin/python3 -c 'import h5py, numpy' 2>/dev/null \
  || die "/usr/bin/python3 cannot import h5py and numpy"
if [ "$want_slurm" -eq 1 ]; then
  for b in ip tc nsenter unshare; do
    command -v "$b" >/dev/null || die "$b is not on PATH after the install"
  done
fi
if [ "$want_bench" -eq 1 ]; then
  [ -x /usr/bin/time ] || die "/usr/bin/time is missing after the install"
  /usr/bin/python3 -c 'import faiss, h5py, numpy' 2>/dev/null \
    || die "/usr/bin/python3 cannot import faiss, h5py and numpy"
fi
echo "[install-deps] ok"
