/*
 * kbf16.c - the bf16 tile: AVX512-BF16's vdpbf16ps on rows rounded to bf16,
 * accumulated in float32 (core/kernel.h).
 *
 * The bound. Let u_b = 2^-8 (bf16 keeps 8 significant bits, rounded to
 * nearest even) and u = 2^-24.
 *   1. Rounding the rows: a component x with |x| >= 2^-126 (float32's
 *      normal range, which bf16 shares) becomes x' with |x' - x| <= u_b |x|.
 *      A row with a subnormal component (which the instruction would read
 *      as 0, an error not relative to |x|) or one that rounds beyond bf16's
 *      largest value is marked bad: its tiles go the float32 way. So
 *      |sum a'_i c'_i - a.c| <= (2 u_b + u_b^2) sum |a_i c_i|
 *      and sum |a'_i c'_i| <= (1 + u_b)^2 sum |a_i c_i|.
 *   2. The products a'_i c'_i have at most 16 significant bits: exact in
 *      float32, unless below 2^-126, where the instruction may flush them to
 *      zero (error < 2^-126 each), or beyond float32's range (infinite: the
 *      caller then has no information and decides exactly, kern.h).
 *   3. Each lane accumulates its D products in float32, two per
 *      instruction. Intel specifies round-to-nearest per addition; so as
 *      not to depend on how a CPU fuses the pair, allow each of the D
 *      additions an error of 2u relative (what even truncation stays
 *      within) plus 2^-126 for a result flushed to zero: the usual
 *      recursive-summation argument gives
 *      |s - sum a'_i c'_i| <= gamma'_D sum |a'_i c'_i| + 2 D 2^-126 (1 + gamma'_D),
 *      gamma'_n = 2nu / (1 - 2nu). Padding components are zeros: exact.
 *   4. sum |a_i c_i| <= |a||c| (Cauchy-Schwarz). Altogether
 *      |g - a.c| <= gamma |a||c| + tiny with
 *      gamma = 2 u_b + u_b^2 + gamma'_{D+2} (1 + u_b)^2,
 *      tiny = (2 D + 8) 2^-126,
 *      about 2^-7 relative: 2^17 times float32's bound, which the exact
 *      re-check absorbs where it matters.
 *
 * Layouts. Anchors: rows of dp bf16 (dp = D rounded up to even, zero
 * padded), so that one 32-bit load is a pair of components to broadcast.
 * Candidates: panels of 16 rows; panel k holds, for each pair p of
 * components, the 16 rows' pairs side by side (64 bytes, one register),
 * rows padded with zeros to a multiple of 32.
 *
 * The micro-kernel keeps an 8 x 32 block of G in 16 registers: per pair of
 * components two loads of candidates, eight broadcasts of anchor pairs and
 * sixteen vdpbf16ps.
 */
#include "core/kernel.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define TM_HAVE_BF16_KERNEL 1
#include <immintrin.h>
#endif

#define MR 8  /* anchors per register block */
#define NR 32 /* candidates per register block: two panels */

static int64_t pairs_of(int64_t dim)
{
    return (dim + 1) / 2;
}

static int64_t round_up(int64_t x, int64_t m)
{
    return (x + m - 1) / m * m;
}

static int bf16_cpu(void)
{
#ifdef TM_HAVE_BF16_KERNEL
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

static tm_kern_bound_t bf16_bound(int64_t dim)
{
    const double ub = 0x1p-8, u = 0x1p-24;
    const double nu = 2.0 * (double)(dim + 2) * u;
    const double gacc = tm_kern_gamma(nu); /* infinite past D + 2 = 2^22 */
    tm_kern_bound_t b = tm_kern_bound(dim); /* the double arithmetic's slack is the same */
    b.gamma = (2.0 * ub + ub * ub + gacc * (1.0 + ub) * (1.0 + ub)) * (1.0 + 0x1p-20);
    b.tiny = (double)(2 * dim + 8) * 0x1p-126;
    return b;
}

static int64_t bf16_bytes(tm_kside_t side, int64_t cap, int64_t dim)
{
    const int64_t rows = side == TM_KSIDE_CANDS ? round_up(cap, NR) : cap;
    return rows * pairs_of(dim) * 4;
}

/*
 * One component to bf16, rounded to nearest even; *bad set when the row
 * cannot be taken (subnormal, or rounded beyond the largest bf16).
 */
static inline uint16_t to_bf16(float x, int *bad)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    const uint32_t mag = bits & 0x7fffffffu;
    if (mag != 0 && mag < 0x00800000u)
        *bad = 1;
    const uint32_t r = bits + 0x7fffu + ((bits >> 16) & 1u);
    if ((r & 0x7f800000u) == 0x7f800000u)
        *bad = 1; /* rounded up to infinity (inputs are finite) */
    return (uint16_t)(r >> 16);
}

static void bf16_pack(tm_kpack_t *p, const float *emb, int64_t n, int64_t r0, int64_t r1)
{
    const int64_t dim = p->dim, np = pairs_of(dim);
    uint32_t *out = p->data;
    /* The range that holds the last row also writes the padding rows. */
    const int64_t pend = r1 >= n ? (p->side == TM_KSIDE_CANDS ? round_up(n, NR) : n) : r1;
    for (int64_t r = r0; r < pend; r++) {
        int bad = 0;
        uint32_t *dst;
        int64_t step;
        if (p->side == TM_KSIDE_ANCHORS) {
            dst = out + r * np;
            step = 1;
        } else {
            dst = out + (r / 16) * np * 16 + r % 16;
            step = 16;
        }
        if (r >= n) {
            for (int64_t q = 0; q < np; q++)
                dst[q * step] = 0;
            continue;
        }
        const float *x = emb + r * dim;
        for (int64_t q = 0; q < np; q++) {
            const uint16_t lo = to_bf16(x[2 * q], &bad);
            const uint16_t hi = 2 * q + 1 < dim ? to_bf16(x[2 * q + 1], &bad) : 0;
            dst[q * step] = (uint32_t)lo | (uint32_t)hi << 16;
        }
        p->bad[r + 1] = bad;
    }
}

#ifdef TM_HAVE_BF16_KERNEL

#define TM_BF16_TARGET __attribute__((target("avx512f,avx512bf16")))

/*
 * mr x 32 of G from mr anchor rows (a, row stride np pairs) and two panels
 * (b0, b1); columns beyond those masks are not stored.
 */
TM_BF16_TARGET __attribute__((always_inline)) static inline void
micro(const int mr, const uint32_t *restrict a, int64_t np, const uint32_t *restrict b0,
      const uint32_t *restrict b1, float *restrict g, int64_t ldg, __mmask16 m0, __mmask16 m1)
{
    __m512 acc[MR][2];
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
        acc[r][0] = _mm512_setzero_ps();
        acc[r][1] = _mm512_setzero_ps();
    }
    for (int64_t q = 0; q < np; q++) {
        const __m512bh v0 = (__m512bh)_mm512_load_si512(b0 + q * 16);
        const __m512bh v1 = (__m512bh)_mm512_load_si512(b1 + q * 16);
#pragma GCC unroll 8
        for (int r = 0; r < mr; r++) {
            const __m512bh w = (__m512bh)_mm512_set1_epi32((int)a[r * np + q]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], w, v0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], w, v1);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
        _mm512_mask_storeu_ps(g + r * ldg, m0, acc[r][0]);
        _mm512_mask_storeu_ps(g + r * ldg + 16, m1, acc[r][1]);
    }
}

/* The tile, for anchors [0, m) at a, panels from b, n candidates. */
TM_BF16_TARGET static void run_tile(const uint32_t *a, int64_t m, const uint32_t *b, int64_t n,
                                    int64_t np, float *G)
{
    const int64_t panel = np * 16; /* uint32 per panel */
    for (int64_t i = 0; i < m; i += MR) {
        const int64_t mr = m - i < MR ? m - i : MR;
        const uint32_t *ai = a + i * np;
        float *gi = G + i * n;
        for (int64_t j = 0; j < n; j += NR) {
            const int64_t left = n - j;
            const __mmask16 m0 = tm_kfast_lanes(left, 0), m1 = tm_kfast_lanes(left, 1);
            const uint32_t *b0 = b + (j / 16) * panel, *b1 = b0 + panel;
            switch (mr) {
            case 8: micro(8, ai, np, b0, b1, gi + j, n, m0, m1); break;
            case 7: micro(7, ai, np, b0, b1, gi + j, n, m0, m1); break;
            case 6: micro(6, ai, np, b0, b1, gi + j, n, m0, m1); break;
            case 5: micro(5, ai, np, b0, b1, gi + j, n, m0, m1); break;
            case 4: micro(4, ai, np, b0, b1, gi + j, n, m0, m1); break;
            case 3: micro(3, ai, np, b0, b1, gi + j, n, m0, m1); break;
            case 2: micro(2, ai, np, b0, b1, gi + j, n, m0, m1); break;
            default: micro(1, ai, np, b0, b1, gi + j, n, m0, m1); break;
            }
        }
    }
}

/* The bound is the dimension's (bf16_bound), whatever the rows: *b stays. */
static int bf16_tile(const tm_ktile_t *t, float *G, tm_kern_bound_t *b)
{
    (void)b;
    const int64_t np = pairs_of(t->apack->dim);
    const uint32_t *a = (const uint32_t *)t->apack->data + t->a0 * np;
    const uint32_t *pb = (const uint32_t *)t->cpack->data + (t->c0 / 16) * np * 16;
    run_tile(a, t->a1 - t->a0, pb, t->c1 - t->c0, np, G);
    return 1;
}

#else

static int bf16_tile(const tm_ktile_t *t, float *G, tm_kern_bound_t *b)
{
    (void)t, (void)G, (void)b;
    return 0;
}

#endif

/* An anchor row is np words in a row of its own. */
static void bf16_gather(tm_kpack_t *dst, const tm_kpack_t *src, const int64_t *rows, int64_t n)
{
    const int64_t np = pairs_of(src->dim);
    for (int64_t i = 0; i < n; i++)
        memcpy((uint32_t *)dst->data + i * np, (const uint32_t *)src->data + rows[i] * np,
               (size_t)np * 4);
}

const tm_kernel_t tm_kernel_bf16 = {
    .name = "bf16",
    .feature = "AVX512-BF16",
    .cpu = bf16_cpu,
    .max_dim = (1 << 22) - 3, /* the largest D with a finite bound: D + 2 < 2^22 */
    .bound = bf16_bound,
    .pack_bytes = bf16_bytes,
    .aux = 0,
    .pack = bf16_pack,
    .tile = bf16_tile,
    .gather = bf16_gather,
};
