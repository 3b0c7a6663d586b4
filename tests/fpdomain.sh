#!/usr/bin/env bash
# The edges of the exactness argument's domain (docs/contract.md, "The domain
# of exactness"):
#   - the floating-point mode: a host process with flush-to-zero and
#     denormals-are-zero (tm_ftz preloaded, as -ffast-math sets them) on rows
#     whose products are float32 subnormals: every kernel and metric, mine
#     and eval, gives the bytes of a run in the default mode and of tm_ref,
#     and the caller's FTZ/DAZ are there again when the library returns
#     (tm_ftz exits 86 otherwise);
#   - the dimension: 4 rows at D on both sides of where bf16's bound (D + 2 =
#     2^22) and float32's (D + 2 = 2^23) stop being finite, at 2^23 - 1 and
#     at 2^24 - 1 (where bf16's and float32's gamma once turned negative):
#     hard on every kernel, every rule and eval at 2^24 - 1, all = tm_ref (a
#     bound that is not finite makes every candidate an exact re-check, never
#     a skipped anchor). TM_FPDOMAIN_DIMS lists fewer dimensions (the
#     sanitizer stage).
#
# Environment: TRIPMINER, TM_REF, TM_H5CMP, TM_FTZ (the preload library),
# TM_PYTHON (a python3 with NumPy and h5py), MPIEXEC, MPIEXEC_PREFLAGS.
set -u
for v in TRIPMINER TM_REF TM_H5CMP TM_FTZ; do
  [[ -n ${!v:-} && -e ${!v} ]] || { echo "fpdomain.sh: $v must be set" >&2; exit 2; }
done
MPIEXEC=${MPIEXEC:-mpirun}
PY=${TM_PYTHON:-/usr/bin/python3}
read -r -a PREFLAGS <<<"${MPIEXEC_PREFLAGS:-}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tm-fpdomain.XXXXXX") || exit 1
trap 'rm -rf "$WORK" "${TM_ORTE:-}"' EXIT
# Open MPI's session files: a directory of this run's own (two mpiruns at
# the same moment race on creating a shared one) with a short path (inside a
# long one a singleton's socket names overflow, and ASan's leak check then
# crashes at exit), removed on exit.
TM_ORTE=$(mktemp -d /tmp/o.XXXXXX) || exit 1
export OMPI_MCA_orte_tmpdir_base=${OMPI_MCA_orte_tmpdir_base:-$TM_ORTE}
cd "$WORK" || exit 1

passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; sed 's/^/    /' err 2>/dev/null | head -8; failed=$((failed + 1)); }

kernels=(f32)
grep -qw avx512_bf16 /proc/cpuinfo && kernels+=(bf16)
grep -qw avx512_vnni /proc/cpuinfo && kernels+=(int8)
echo "kernels: ${kernels[*]}"

# run PRELOAD NP CMD OUT ARGS...: tripminer CMD on NP ranks, with the library
# PRELOAD preloaded into every rank (or none: -); out.json, err.
run() {
  local pre=$1 np=$2 cmd=$3 out=$4
  shift 4
  rm -f "$out"
  local -a env=()
  [[ $pre != - ]] && env=(-x "LD_PRELOAD=$pre${LD_PRELOAD:+ $LD_PRELOAD}")
  timeout -k 5 300 "$MPIEXEC" -n "$np" "${PREFLAGS[@]}" --bind-to none "${env[@]}" \
    "$TRIPMINER" "$cmd" -o "$out" --json -q "$@" >out.json 2>err
}
same() { "$TM_H5CMP" "$1" "$2" --tol 0 >cmp.txt 2>&1; }

# ---- flush-to-zero and denormals-are-zero in the caller -----------------------
# Components N(0, 2^-66): every product of two is a float32 subnormal, which
# FTZ/DAZ would turn into zeros in the tiles, the keys and the output.
"$PY" - <<'EOF' || exit 1
import h5py, numpy as np
rng = np.random.default_rng(11)
with h5py.File("tiny.h5", "w") as f:
    f["embeddings"] = (rng.standard_normal((600, 64)) * 2.0**-66).astype(np.float32)
    f["labels"] = rng.integers(0, 12, 600).astype(np.int64)
EOF
for m in sqeuclidean euclidean cosine; do
  "$TM_REF" -i tiny.h5 -o ref.h5 -m "$m" >/dev/null 2>err || { bad "tm_ref -m $m"; continue; }
  for k in "${kernels[@]}"; do
    for np in 1 2; do
      run - "$np" mine plain.h5 -i tiny.h5 -m "$m" --kernel "$k" || { bad "mine -m $m --kernel $k: exit $?"; continue; }
      run "$TM_FTZ" "$np" mine ftz.h5 -i tiny.h5 -m "$m" --kernel "$k"
      rc=$?
      if ((rc != 0)); then
        bad "FTZ/DAZ, mine -m $m --kernel $k, $np rank(s): exit $rc"
      elif ! same ref.h5 ftz.h5; then
        bad "FTZ/DAZ, mine -m $m --kernel $k, $np rank(s): differs from tm_ref ($(tail -1 cmp.txt))"
      elif ! cmp -s plain.h5 ftz.h5; then
        bad "FTZ/DAZ, mine -m $m --kernel $k, $np rank(s): bytes differ from the default mode"
      else
        ok "FTZ/DAZ, mine -m $m --kernel $k, $np rank(s): = tm_ref, caller's mode restored"
      fi
    done
  done
done
for k in "${kernels[@]}"; do
  run - 1 eval plain.h5 -i tiny.h5 --by-class --kernel "$k" || { bad "eval --kernel $k: exit $?"; continue; }
  cp out.json plain.json
  run "$TM_FTZ" 1 eval ftz.h5 -i tiny.h5 --by-class --kernel "$k"
  rc=$?
  if ((rc != 0)); then
    bad "FTZ/DAZ, eval --kernel $k: exit $rc"
  elif ! cmp -s plain.h5 ftz.h5; then
    bad "FTZ/DAZ, eval --kernel $k: the report differs from the default mode"
  else
    ok "FTZ/DAZ, eval --kernel $k: the same report"
  fi
done
# Other strategies under FTZ/DAZ, on the fastest kernel.
k=${kernels[${#kernels[@]} - 1]}
for s in "-s semihard" "-s topk --negatives 5" "-s sample --negatives 3 --neg-pool 20 --seed 2"; do
  read -r -a o <<<"$s"
  "$TM_REF" -i tiny.h5 -o ref.h5 "${o[@]}" >/dev/null 2>err || { bad "tm_ref $s"; continue; }
  run "$TM_FTZ" 2 mine ftz.h5 -i tiny.h5 "${o[@]}" --kernel "$k" || { bad "FTZ/DAZ, $s: exit $?"; continue; }
  if same ref.h5 ftz.h5; then ok "FTZ/DAZ, $s --kernel $k: = tm_ref"
  else bad "FTZ/DAZ, $s --kernel $k: differs from tm_ref ($(tail -1 cmp.txt))"; fi
done

# ---- very large D --------------------------------------------------------------
# 4 Gaussian rows (labels 0 0 1 1; one more of label 2 for the rules with
# several negatives). bf16's gamma is finite up to D = 2^22 - 3, float32's up
# to 2^23 - 3; the last one is the issue's 2^24 - 1.
read -r -a dims <<<"${TM_FPDOMAIN_DIMS:-4194301 4194302 8388605 8388606 8388607 16777215}"
auto=${kernels[${#kernels[@]} - 1]}
for d in "${dims[@]}"; do
  "$PY" - "$d" <<'EOF' || exit 1
import sys, h5py, numpy as np
d = int(sys.argv[1])
rng = np.random.default_rng(d)
with h5py.File("big.h5", "w") as f:
    f["embeddings"] = rng.standard_normal((5, d), dtype=np.float32)
    f["labels"] = np.array([0, 0, 1, 1, 2], dtype=np.int64)
EOF
  rules=("-s hard")
  if ((d == 16777215)); then
    rules+=("-s semihard" "-s topk --negatives 2 -m cosine" "-s sample --negatives 2 --seed 3"
      "-s hard -m euclidean --neg-skip 1")
  fi
  for r in "${rules[@]}"; do
    read -r -a o <<<"$r"
    "$TM_REF" -i big.h5 -o ref.h5 "${o[@]}" >/dev/null 2>err || { bad "tm_ref D=$d $r"; continue; }
    ks=("${kernels[@]}")
    [[ $r != "-s hard" ]] && ks=(f32 "$auto") # past every edge: the kernels take the same path
    for k in "${ks[@]}"; do
      run - 1 mine out.h5 -i big.h5 "${o[@]}" --kernel "$k" || { bad "D=$d $r --kernel $k: exit $?"; continue; }
      if same ref.h5 out.h5; then ok "D=$d $r --kernel $k: = tm_ref"
      else bad "D=$d $r --kernel $k: differs from tm_ref ($(tail -1 cmp.txt))"; fi
    done
  done
  if ((d == 16777215)); then
    # eval: each anchor's nearest row; P@1 from NumPy in double.
    want=$("$PY" -c '
import h5py, numpy as np
f = h5py.File("big.h5", "r"); x = f["embeddings"][:].astype(np.float64); y = f["labels"][:]
hits = n = 0
for a in range(len(x)):
    if (y == y[a]).sum() < 2: continue
    d = ((x - x[a]) ** 2).sum(1); d[a] = np.inf
    n += 1; hits += y[int(np.argmin(d))] == y[a]
print(hits / n)')
    for k in "${kernels[@]}"; do
      run - 1 eval ev.h5 -i big.h5 --kernel "$k" || { bad "D=$d eval --kernel $k: exit $?"; continue; }
      got=$("$PY" -c 'import json; print(json.load(open("out.json"))["precision_at_1"])')
      if [[ $got == "$want" ]]; then ok "D=$d eval --kernel $k: P@1 $got as NumPy"
      else bad "D=$d eval --kernel $k: P@1 $got, NumPy says $want"; fi
    done
  fi
done

echo "$passed passed, $failed failed"
((failed == 0))
