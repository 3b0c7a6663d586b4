#!/usr/bin/env bash
# The tile kernels (--kernel auto|f32|bf16|int8) never change an output byte:
#   - every strategy, the choosing options and eval, on each metric, with
#     every kernel this CPU runs (the kernels are those the usage error of
#     an unknown --kernel lists, so a new kernel's line in the table of
#     src/core/kernels.c brings it here; test_kfast's table case fails if
#     the CPU has a kernel's feature but the kernel does not run), on 1
#     rank x 2 threads and on 2 ranks: the
#     same bytes as --kernel f32, and --json names the kernel and counts its
#     pairs and exact re-checks (-v says it in a line);
#   - data whose common offset makes bf16's and int8's bounds useless while
#     float32's still prunes: the sweep falls back to float32 tile by tile
#     (pairs_f32 > 0 under a fast kernel), with the same bytes;
#   - a kernel one rank's CPU lacks (TRIPMINER_FAULT=nocpu=R): with --kernel
#     bf16 every rank exits 2, one error line from rank 0 naming that rank,
#     no output; with --kernel auto that rank uses f32 and the bytes are the
#     same; an unknown --kernel is a usage error (exit 2).
#
# Environment: TRIPMINER and TM_GEN (required), MPIEXEC, MPIEXEC_PREFLAGS,
# TM_PYTHON (a python3 with NumPy and h5py, for the offset data).
set -u
[[ -n ${TRIPMINER:-} && -x $TRIPMINER ]] || { echo "kernels.sh: TRIPMINER must be set" >&2; exit 2; }
MPIEXEC=${MPIEXEC:-mpirun}
PY=${TM_PYTHON:-/usr/bin/python3}
read -r -a PREFLAGS <<<"${MPIEXEC_PREFLAGS:-}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tm-kernels.XXXXXX") || exit 1
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

# mine|eval NP THREADS OUT OPTIONS...: out.json, err; exit status of the run.
job() {
  local cmd=$1 np=$2 th=$3 out=$4
  shift 4
  rm -f "$out"
  timeout -k 5 120 "$MPIEXEC" -n "$np" "${PREFLAGS[@]}" --bind-to none "$TRIPMINER" "$cmd" \
    -o "$out" --threads "$th" --json -q "$@" >out.json 2>err
}
# A --json field of out.json.
field() { "$PY" -c 'import json,sys; print(json.load(open("out.json"))[sys.argv[1]])' "$1"; }

"$TRIPMINER" synth -o s.h5 -n 2500 -d 40 -c 25 --seed 3 -q || exit 1

# The kernels of the table, as an unknown --kernel lists them ("auto, f32,
# bf16 or int8"), and those this CPU runs: f32 always; another one unless
# the run is the usage error of a kernel the CPU lacks.
"$TRIPMINER" mine -i s.h5 -o u.h5 --kernel fp16 >out.txt 2>err
names=$(sed -n "s/^tripminer: error: unknown kernel 'fp16', expected \(.*\) (mine --kernel)\$/\1/p" err)
names=${names//,/}
names=${names// or / }
kernels=(f32)
for k in $names; do
  [[ $k == auto || $k == f32 ]] && continue
  if "$TRIPMINER" mine -i s.h5 -o probe.h5 --force -q --threads 1 --kernel "$k" >out.txt 2>err; then
    kernels+=("$k")
  elif ! grep -q "^tripminer: error: --kernel $k: the CPU of rank 0 cannot run it" err; then
    bad "--kernel $k on 1 rank: neither a run nor the CPU's refusal"
  fi
done
echo "kernels this CPU runs: ${kernels[*]} (--kernel takes: ${names:-none found})"
[ -n "$names" ] || bad "no kernel named by the usage error of --kernel fp16"
if [ "${#kernels[@]}" = 1 ]; then
  echo "note: this CPU runs no fast kernel; only f32 and the refusals are tested"
fi

# ---- the same bytes with every kernel ----------------------------------------
"$TM_GEN" random r.h5 1800 33 12 5 >/dev/null || exit 1
cases=(
  "s.h5|-s hard"
  "s.h5|-s semihard --positives 3 -m cosine"
  "s.h5|-s topk --negatives 10 -m euclidean"
  "s.h5|-s sample --negatives 5 --neg-skip 3 --neg-pool 30 --seed 4"
  "s.h5|-s hard --pos easiest --neg-margin 0.05"
  "r.h5|-s hard -m euclidean --normalize"
  "r.h5|-s topk --negatives 20 --neg-min-dist 40"
  "r.h5|-s semihard -m cosine"
)
for c in "${cases[@]}" "s.h5|eval --by-class" "r.h5|eval -m cosine"; do
  in=${c%%|*} opts=${c#*|} cmd=mine
  if [[ $opts == eval* ]]; then cmd=eval opts=${opts#eval }; fi
  read -r -a o <<<"$opts"
  for layout in "1 2" "2 1"; do
    read -r np th <<<"$layout"
    job "$cmd" "$np" "$th" f32.h5 -i "$in" "${o[@]}" --kernel f32 ||
      { bad "$cmd $opts, f32, $np x $th: exit $?"; continue; }
    [ "$(field kernel)" = f32 ] && [ "$(field pairs_fast)" = 0 ] ||
      bad "$cmd $opts, f32: --json says kernel $(field kernel), pairs_fast $(field pairs_fast)"
    for k in "${kernels[@]:1}"; do
      job "$cmd" "$np" "$th" "$k.h5" -i "$in" "${o[@]}" --kernel "$k" ||
        { bad "$cmd $opts, $k, $np x $th: exit $?"; continue; }
      if ! cmp -s f32.h5 "$k.h5"; then
        bad "$cmd $opts, $np x $th: --kernel $k differs from --kernel f32"
      elif [ "$(field kernel)" != "$k" ] || [ "$(field pairs_fast)" -le 0 ]; then
        bad "$cmd $opts, $k: --json says kernel $(field kernel), pairs_fast $(field pairs_fast)"
      else
        ok "$cmd $opts, $np x $th: --kernel $k = f32 (re-checked $(field rechecked))"
      fi
    done
  done
done

# -v says which kernel did what.
if [ "${#kernels[@]}" -gt 1 ]; then
  k=${kernels[1]}
  timeout -k 5 60 "$MPIEXEC" -n 1 "${PREFLAGS[@]}" "$TRIPMINER" mine -i s.h5 -o v.h5 -v \
    --kernel "$k" >out.txt 2>err
  if grep -qE "^tripminer: tiles: $k kernel on [0-9.]+ % of 6250000 pairs, f32 on the rest \([0-9]+ anchor blocks fell back\); [0-9.e-]+ % re-checked exactly" err; then
    ok "-v: $(grep 'tiles:' err | cut -c 1-90)..."
  else bad "-v: no tiles line for $k"; fi
fi

# ---- the fallback: a common offset far larger than the spread -------------------
# Rows 10 e_1 + noise of 0.1 per component: squared distances about 0.6, which
# bf16's bound (about 2^-6 |a||c| = 1.6) cannot separate and float32's (4e-4)
# can.
"$PY" - <<'EOF' || exit 1
import h5py, numpy as np
rng = np.random.default_rng(5)
n, d = 5000, 32
x = rng.normal(0.0, 0.1, (n, d)).astype(np.float32)
x[:, 0] += 10.0
with h5py.File("off.h5", "w") as f:
    f["embeddings"] = x
    f["labels"] = rng.integers(0, 40, n).astype(np.int64)
EOF
job mine 1 2 f32.h5 -i off.h5 --chunk 5000 --kernel f32 || bad "offset data, f32: exit $?"
for k in "${kernels[@]:1}"; do
  job mine 1 2 "$k.h5" -i off.h5 --chunk 5000 --kernel "$k" || { bad "offset data, $k: exit $?"; continue; }
  if cmp -s f32.h5 "$k.h5" && [ "$(field pairs_f32)" -gt 0 ] && [ "$(field pairs_fast)" -gt 0 ]; then
    ok "offset data, $k: fell back to f32 on $(field pairs_f32) of $((5000 * 5000)) pairs, same bytes"
  else bad "offset data, $k: same bytes? pairs_fast $(field pairs_fast), pairs_f32 $(field pairs_f32)"; fi
done

# ---- a checkpoint made with one kernel resumes with another ----------------------
if [ "${#kernels[@]}" -gt 1 ]; then
  last=${kernels[${#kernels[@]} - 1]}
  job mine 2 1 f32.h5 -i s.h5 -s topk --negatives 5 --chunk 200 --kernel f32 ||
    bad "checkpoint reference run: exit $?"
  rm -rf ck ck.h5
  TRIPMINER_FAULT=kill=1:3 timeout -k 5 60 "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" mine \
    -i s.h5 -o ck.h5 -q -s topk --negatives 5 --chunk 200 --kernel "${kernels[1]}" \
    --checkpoint ck --checkpoint-every 0.000001 >out.txt 2>err
  rc=$?
  timeout -k 5 60 "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" mine -i s.h5 -o ck.h5 -q \
    -s topk --negatives 5 --kernel "$last" --checkpoint ck --resume >out.txt 2>err
  rc2=$?
  if [ "$rc" != 0 ] && [ "$rc2" = 0 ] && cmp -s f32.h5 ck.h5; then
    ok "killed under --kernel ${kernels[1]}, resumed under --kernel $last: the bytes of f32"
  else bad "checkpoint across kernels: exit $rc then $rc2"; fi
fi

# ---- a kernel a rank's CPU lacks -------------------------------------------------
# (Only where this CPU runs bf16: elsewhere every rank lacks it.)
ranks_lacking=()
[[ " ${kernels[*]} " == *" bf16 "* ]] && ranks_lacking=(0 1)
for r in "${ranks_lacking[@]}"; do
  rm -f n.h5
  TRIPMINER_FAULT=nocpu=$r timeout -k 5 60 "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" mine \
    -i s.h5 -o n.h5 --kernel bf16 >out.txt 2>err
  rc=$?
  if [ "$rc" = 2 ] && [ "$(grep -c '^tripminer:' err)" = 1 ] && [ ! -e n.h5 ] &&
    grep -qx "tripminer: error: --kernel bf16: the CPU of rank $r cannot run it (it lacks AVX512-BF16); use --kernel auto or f32" err; then
    ok "--kernel bf16 on a rank $r without it: exit 2, one line"
  else bad "--kernel bf16 on a rank $r without it: exit $rc, $(grep -c '^tripminer:' err) line(s)"; fi
done
job mine 2 1 f32.h5 -i s.h5 --kernel f32 || bad "f32 on 2 ranks: exit $?"
TRIPMINER_FAULT=nocpu=1 timeout -k 5 60 "$MPIEXEC" -n 2 "${PREFLAGS[@]}" "$TRIPMINER" mine \
  -i s.h5 -o a.h5 -q --threads 1 >out.txt 2>err
rc=$?
if [ "$rc" = 0 ] && cmp -s f32.h5 a.h5; then
  ok "--kernel auto with rank 1 lacking the fast kernels: rank 1 on f32, same bytes"
else bad "--kernel auto with rank 1 lacking them: exit $rc"; fi
rm -f u.h5
"$TRIPMINER" mine -i s.h5 -o u.h5 --kernel fp16 >out.txt 2>err
rc=$?
if [ "$rc" = 2 ] && grep -qx "tripminer: error: unknown kernel 'fp16', expected auto, f32, bf16 or int8 (mine --kernel)" err && [ ! -e u.h5 ]; then
  ok "--kernel fp16: exit 2, the choices named"
else bad "--kernel fp16: exit $rc"; fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
