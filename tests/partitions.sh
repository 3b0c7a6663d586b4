#!/usr/bin/env bash
# partitions.sh - partitioned mining (--partitions, --probe, --check):
#   * --probe = --partitions gives the exact sweep's bytes, every rule and eval;
#   * with fewer, the same bytes on 1-4 ranks, chunks, threads, kernels and
#     after a resume (SIGTERM, then --resume);
#   * the check's numbers equal a brute force's (NumPy over the exact run's
#     and the partitioned run's triplets, the checked anchors drawn as
#     docs/contract.md says);
#   * bad values exit 2 with one line.
# Needs TRIPMINER and TM_PYTHON (with h5py and NumPy).
set -u
[[ -n ${TRIPMINER:-} && -x $TRIPMINER ]] || { echo "partitions.sh: TRIPMINER must name an executable" >&2; exit 2; }
PY=${TM_PYTHON:-/usr/bin/python3}
MPIEXEC=${MPIEXEC:-mpirun}
read -r -a PREFLAGS <<<"${MPIEXEC_PREFLAGS:-}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tm-parts.XXXXXX") || exit 1
TM_ORTE=$(mktemp -d /tmp/o.XXXXXX) || exit 1
export OMPI_MCA_orte_tmpdir_base=$TM_ORTE PMIX_MCA_gds=hash
trap 'rm -rf "$WORK" "$TM_ORTE"' EXIT
cd "$WORK" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
run() { timeout 120 "$MPIEXEC" --oversubscribe --bind-to none -n "$1" "${PREFLAGS[@]}" "$TRIPMINER" "${@:2}"; }

cat >same.py <<'EOF'
import sys, h5py
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
# Against the exact sweep the partitions' attributes are absent; between
# two partitioned runs they must agree too (the check, certified_anchors).
skip = {"ranks", "chunk"}
if len(sys.argv) < 4 or sys.argv[3] != "parted":
    skip |= {"partitions", "probe", "partition_seed", "check_anchors", "check_identical",
             "check_recall", "certified_anchors"}
def walk(x, y, path):
    bad = []
    for k in set(x.attrs) | set(y.attrs):
        if k not in skip and str(x.attrs.get(k)) != str(y.attrs.get(k)):
            bad.append(path + "@" + k)
    for k in set(x.keys()) | set(y.keys()):
        if k not in x or k not in y:
            bad.append(path + "/" + k)
        elif isinstance(x[k], h5py.Group):
            bad += walk(x[k], y[k], path + "/" + k)
        elif x[k][()].tobytes() != y[k][()].tobytes():
            bad.append(path + "/" + k)
    return bad
bad = walk(a, b, "")
print(" ".join(bad))
sys.exit(1 if bad else 0)
EOF
same() { "$PY" same.py "$1" "$2" ${4:-} >diff.txt || fail "$3: $1 and $2 differ: $(cat diff.txt)"; }

"$TRIPMINER" synth -o d.h5 -n 2400 -d 24 -c 80 --seed 5 -q || exit 1

# --probe = --partitions: the exact sweep's bytes.
for rule in "hard" "topk --negatives 4" "semihard" "sample --negatives 3 --seed 9"; do
    read -r -a r <<<"$rule"
    run 1 mine -i d.h5 -o e.h5 -s "${r[@]}" -q --force >/dev/null || fail "exact $rule"
    run 2 mine -i d.h5 -o p.h5 -s "${r[@]}" --partitions 12 --probe 12 -q --force >/dev/null ||
        fail "partitioned $rule"
    same e.h5 p.h5 "probe = partitions, $rule"
done
run 1 eval -i d.h5 -o ee.h5 -q --force >/dev/null || fail "eval exact"
run 2 eval -i d.h5 -o ep.h5 --partitions 12 --probe 12 -q --force >/dev/null || fail "eval partitioned"
same ee.h5 ep.h5 "eval, probe = partitions"

# Fewer: the same bytes for any rank count, chunk, threads, kernel.
for rule in "hard" "topk --negatives 4" "semihard" "sample --negatives 3"; do
    read -r -a r <<<"$rule"
    run 1 mine -i d.h5 -o p1.h5 -s "${r[@]}" --partitions 12 --probe 2 -q --force >/dev/null ||
        fail "1 rank $rule"
    for cfg in "2 --chunk 100" "3 --kernel f32" "4 --kernel bf16 --threads 1" "2 --kernel int8 --chunk 333"; do
        read -r -a c <<<"$cfg"
        run "${c[0]}" mine -i d.h5 -o pn.h5 -s "${r[@]}" --partitions 12 --probe 2 -q --force \
            "${c[@]:1}" >/dev/null || fail "$rule $cfg"
        same p1.h5 pn.h5 "$rule on $cfg" parted
    done
done
run 1 eval -i d.h5 -o e1.h5 --partitions 12 --probe 2 -q --force >/dev/null || fail "eval 1 rank"
run 3 eval -i d.h5 -o e3.h5 --partitions 12 --probe 2 --chunk 90 -q --force >/dev/null || fail "eval 3 ranks"
same e1.h5 e3.h5 "eval on 3 ranks" parted

# Fewer partitions than ranks: some ranks own none and send every row away.
run 1 mine -i d.h5 -o q1.h5 -s topk --negatives 4 --partitions 2 --probe 1 -q --force \
    >/dev/null || fail "2 partitions on 1 rank"
run 4 mine -i d.h5 -o q4.h5 -s topk --negatives 4 --partitions 2 --probe 1 --chunk 70 -q \
    --force >/dev/null || fail "2 partitions on 4 ranks"
same q1.h5 q4.h5 "2 partitions on 4 ranks" parted

# certified_anchors on structured data, where many anchors are certified:
# the nearest centre an anchor skips is measured exactly, so the count is
# the same for every kernel (each has its own float32 bounds).
"$TRIPMINER" synth -o z.h5 -n 3000 -d 48 -c 30 --latent-dim 4 --spread 0.3 --seed 5 -q || exit 1
for rule in "hard" "topk --negatives 3"; do
    read -r -a r <<<"$rule"
    run 1 mine -i z.h5 -o z1.h5 -s "${r[@]}" --partitions 24 --probe 4 --kernel int8 -q --force \
        >/dev/null || fail "structured $rule, int8"
    "$PY" -c 'import sys, h5py; sys.exit(0 if h5py.File("z1.h5", "r").attrs["certified_anchors"] > 0 else 1)' ||
        fail "structured $rule: no anchor certified"
    for cfg in "2 --kernel f32" "3 --kernel bf16 --chunk 400"; do
        read -r -a c <<<"$cfg"
        run "${c[0]}" mine -i z.h5 -o zn.h5 -s "${r[@]}" --partitions 24 --probe 4 -q --force \
            "${c[@]:1}" >/dev/null || fail "structured $rule $cfg"
        same z1.h5 zn.h5 "structured $rule on $cfg" parted
    done
done

# Queries against a reference (streamed candidates) and given pairs.
"$TRIPMINER" synth -o c.h5 -n 2000 -d 24 -c 60 --queries 300 --seed 3 -q || exit 1
"$TRIPMINER" synth -o q.h5 -n 400 -d 24 -c 60 --seed 4 -q || exit 1
for what in "ref:-i q.h5 --reference c.h5" "pairs:-i c.h5 --embeddings queries --pairs pairs --reference c.h5"; do
    read -r -a src <<<"${what#*:}"
    for rule in "hard" "topk --negatives 3" "semihard" "sample --negatives 2"; do
        read -r -a r <<<"$rule"
        run 1 mine "${src[@]}" -s "${r[@]}" -o e.h5 -q --force >/dev/null || fail "${what%%:*} $rule"
        run 2 mine "${src[@]}" -s "${r[@]}" -o p.h5 --partitions 10 --probe 10 -q --force \
            >/dev/null || fail "${what%%:*} $rule partitioned"
        same e.h5 p.h5 "${what%%:*}, $rule, probe = partitions"
        run 1 mine "${src[@]}" -s "${r[@]}" -o p1.h5 --partitions 10 --probe 2 -q --force \
            >/dev/null || fail "${what%%:*} $rule, 1 rank"
        run 3 mine "${src[@]}" -s "${r[@]}" -o p3.h5 --partitions 10 --probe 2 --chunk 77 \
            --kernel bf16 -q --force >/dev/null || fail "${what%%:*} $rule, 3 ranks"
        same p1.h5 p3.h5 "${what%%:*}, $rule, 3 ranks" parted
    done
done
run 1 eval -i q.h5 --reference c.h5 -o e.h5 -q --force >/dev/null || fail "eval ref"
run 2 eval -i q.h5 --reference c.h5 -o p.h5 --partitions 10 --probe 10 -q --force >/dev/null ||
    fail "eval ref partitioned"
same e.h5 p.h5 "eval against a reference, probe = partitions"

# A resume: stopped by SIGTERM between rounds, then continued.
run 1 mine -i d.h5 -o full.h5 -s topk --negatives 4 --partitions 12 --probe 2 --chunk 100 -q \
    --force >/dev/null || fail "uninterrupted"
rm -rf ck
TRIPMINER_FAULT=delay=0.2 timeout 120 "$MPIEXEC" --oversubscribe --bind-to none -n 2 \
    "${PREFLAGS[@]}" "$TRIPMINER" mine -i d.h5 -o res.h5 -s topk --negatives 4 --partitions 12 \
    --probe 2 --chunk 100 --checkpoint ck --checkpoint-every 0.1 -q --force >/dev/null 2>&1 &
launcher=$!
# Once a checkpoint stands (or the run has ended: then the check below
# fails), every rank (the children of mpirun) gets SIGTERM.
while [[ ! -f ck/manifest ]] && kill -0 "$launcher" 2>/dev/null; do sleep 0.05; done
for pid in $(pgrep -P "$(pgrep -P "$launcher" | head -1)"); do kill -TERM "$pid"; done
wait "$launcher"
code=$?
[[ $code == 75 && -f ck/manifest ]] || fail "the stopped run exited $code, not 75"
run 2 mine -i d.h5 -o res.h5 -s topk --negatives 4 --partitions 12 --probe 2 --chunk 100 \
    --checkpoint ck --resume -q --force >/dev/null || fail "resume"
same full.h5 res.h5 "after a resume" parted

# The check against a brute force: every anchor, then 300 drawn by the seed.
run 1 mine -i d.h5 -o ex.h5 -s topk --negatives 3 -q --force >/dev/null || fail "exact topk"
for S in 5000 300; do
    run 2 mine -i d.h5 -o pc.h5 -s topk --negatives 3 --partitions 12 --probe 2 --check "$S" \
        --seed 77 -q --force >/dev/null || fail "check $S"
    "$PY" - "$S" <<'EOF' || fail "the check's numbers ($S anchors)"
import sys, h5py, numpy as np
S = int(sys.argv[1])
M = (1 << 64) - 1
def mix(x):
    x = (x + 0x9e3779b97f4a7c15) & M
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & M
    return x ^ (x >> 31)
def key(seed, stream, a):
    return mix(seed ^ mix(stream ^ mix(a)))
def draw(k, idx):
    return mix(k ^ ((idx * 0xd1b54a32d192ed03) & M))
ex, pc = h5py.File("ex.h5", "r"), h5py.File("pc.h5", "r")
te, tp = ex["triplets"][:], pc["triplets"][:]
n = h5py.File("d.h5", "r")["embeddings"].shape[0]
k = key(77, 0x636865636b, 0)
order = sorted(range(n), key=lambda a: (draw(k, a), a))
checked = order[:min(S, n)]
def by_anchor(t, d):
    out = {}
    for i, row in enumerate(t):
        out.setdefault(int(row[0]), []).append((int(row[1]), int(row[2]), d["d_ap"][i], d["d_an"][i]))
    return out
E, P = by_anchor(te, ex), by_anchor(tp, pc)
ident = found = total = 0
for a in checked:
    e, p = E.get(a, []), P.get(a, [])
    ident += e == p
    negs = dict.fromkeys(x[1] for x in e)
    total += len(negs)
    found += sum(1 for x in negs if x in {y[1] for y in p})
want = (len(checked), ident / len(checked), found / total)
got = (int(pc.attrs["check_anchors"]), float(pc.attrs["check_identical"]), float(pc.attrs["check_recall"]))
print("brute force", want, "run", got)
sys.exit(0 if want == got else 1)
EOF
done

# Bad values: exit 2, one line.
bad() {
    local want=$1
    shift
    "$TRIPMINER" "$@" -i d.h5 -o bad.h5 >out.txt 2>err.txt
    local code=$?
    [[ $code == 2 ]] || fail "$* exited $code, not 2"
    [[ $(grep -c 'error' err.txt) == 1 ]] || fail "$*: not one error line: $(cat err.txt)"
    grep -q -- "$want" err.txt || fail "$*: the message does not name $want: $(cat err.txt)"
    [[ ! -e bad.h5 ]] || fail "$*: left an output"
}
bad --partitions mine --partitions -2
bad --partitions mine --partitions x
bad --probe mine --partitions 4 --probe 0
bad --check mine --partitions 4 --check -1

if ((failures > 0)); then
    echo "partitions.sh: $failures failure(s)"
    exit 1
fi
echo "partitions.sh: all passed"
