/*
 * kint8.c - the int8 tile: AVX512-VNNI's vpdpbusd on rows quantised to
 * 8-bit integers with one float32 scale per row, summed exactly in int32
 * and scaled back in float32 (core/kernel.h).
 *
 * Quantising. A row x of D float32 components with m = max |x_i| gets the
 * scale s = fl(m / 127) and q_i = x_i fl(1/s) rounded to the nearest
 * integer and clamped to [-127, 127]; x' = s q stands for x. How q is
 * chosen does not matter to the bound: the packer measures what it did.
 * Per row it keeps (rounded up to float)
 *     E2 >= ||x - x'||_2,  EI >= ||x - x'||_inf,  L1 >= ||x||_1,
 *     Q1 >= ||x'||_1,      Q2 >= ||x'||_2.
 * Each difference x_i - s q_i is exact in double: s q_i is exact (31 bits
 * at most); q_i = 0 leaves x_i; otherwise |x_i| > s/4, so with 2^e <= s
 * < 2^(e+1) both x_i and s q_i are multiples of 2^(e-25) below 2^(e+8),
 * and so is their difference, which thus has at most 34 bits. The double
 * sums of D terms are enlarged by (D + 4) 2^-52 relative. A zero row has
 * s = 0, q = 0 and all five 0. A row whose scale is not a normal float
 * (m < 127 2^-126) or exceeds 2^62, or that has a component that is not
 * finite, is marked bad. (An AVX512 packer and a plain one make the same
 * bytes.)
 *
 * The integer part. Anchors are stored as signed bytes q_a, candidates as
 * unsigned bytes q_c + 128 (vpdpbusd wants one of each; the signed one
 * is the operand that may come from a broadcast). So the instruction sums
 * q_a.(q_c + 128) = q_a.q_c + 128 sum_i q_a,i: each anchor's accumulators
 * start at -128 sum_i q_a,i. Padding components are 0 on the anchor side,
 * so they add nothing on either. All of this is arithmetic modulo 2^32
 * (vpdpbusd does not saturate), so intermediate wrap-arounds cancel and
 * the result is I = q_a.q_c exactly as long as |I| <= 127^2 D < 2^31,
 * that is D <= 133144 (larger D: the kernel is of no use, max_dim).
 *
 * Back to float32: F = fl(I), S = fl(s_a s_c), g = fl(F S). With u = 2^-24
 * (round to nearest) and eta = 2^-150 (the largest error of a result that
 * lands among the subnormals),
 *     |g - s_a s_c I| <= gamma_3 |a'.c'| + eta + [S underflows] 127^2 D (1 + u)^2 eta,
 * gamma_3 = (1 + u)^3 - 1, |a'.c'| <= ||a'|| ||c'||. S underflows only if
 * the tile's smallest non-zero scales multiply to below 2^-126, which the
 * tile checks. Packing and tiles run under MXCSR's default (round to
 * nearest, no flush to zero, no denormals-as-zero; the caller's is put
 * back after), so all of this holds whatever mode the caller runs in.
 * Scales at most 2^62 keep S finite; g itself may overflow when |a'.c'|
 * does, which the caller reads as no information (kern.h).
 *
 * The bound. a.c - a'.c' = (a - a').c' + a.(c - c'), and each of the two
 * is at most the smaller of its Cauchy-Schwarz and its l_inf l_1 form:
 *     |g - a.c| <= min(E2_a Q2_c, EI_a Q1_c) + min(|a| E2_c, L1_a EI_c)
 *                  + gamma_3 Q2_a Q2_c + tiny.
 * Over a tile, with |a|, |c| the exact norms given and the maxima taken
 * over its rows (zero rows, exact, left out), this is gamma |a||c| + tiny:
 *     gamma = (1 + 2^-20) [ min(max E2_a/|a| max Q2_c/|c|,
 *                               max EI_a/|a| max Q1_c/|c|)
 *                           + min(max E2_c/|c|, max L1_a/|a| max EI_c/|c|)
 *                           + gamma_3 max Q2_a/|a| max Q2_c/|c| ],
 *     tiny = eta (1 + [S may underflow] 16130 D),
 * the 2^-20 covering the double arithmetic of the tile's maxima and of
 * the norms. A row's ||x - x'||/|x| is near (m / |x|) sqrt(D / 12) / 127
 * and gamma about twice the largest over the tile's rows: 0.020 for a
 * tile of 128 x 1024 Gaussian rows of 128 (0.009 for uniform ones; bf16:
 * 0.0078 whatever the rows). It never exceeds about 2 sqrt(D) / 254; a
 * tile whose gamma exceeds GAMMA_MAX is refused all the same: float32.
 *
 * Layouts. Anchors: blocks of 8 rows; block k holds, for each group of 4
 * components, the 8 rows' four signed bytes side by side (32 bytes), one
 * 32-bit load being four components to broadcast; padding components and
 * rows are 0, rows padded to a multiple of 8. After the blocks, the int32
 * start of each anchor's accumulators. Candidates: panels of 16
 * rows; panel k holds, for each group of 4 components, the 16 rows' four
 * bytes side by side (64 bytes, one register); padding components and
 * rows are 128 (q = 0); rows padded to a multiple of 32. aux: six arrays
 * of cap floats, s, E2, EI, L1, Q1, Q2.
 *
 * The micro-kernel keeps an 8 x 32 block of I in 16 registers: per group
 * of four components two loads of candidates, eight broadcasts of anchor
 * words and sixteen vpdpbusd.
 */
#include "core/kernel.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define TM_HAVE_INT8_KERNEL 1
#include <immintrin.h>
#endif

#define MR 8  /* anchors per register block */
#define NR 32 /* candidates per register block: two panels */

#define DMAX 133144        /* largest D with 127^2 D < 2^31 */
#define GAMMA_MAX 0.25     /* beyond this a tile is of no use as a filter */
#define SCALE_MAX 0x1p62f  /* keeps s_a s_c finite */

/* The aux arrays, each of cap floats. */
enum { AX_S, AX_E2, AX_EI, AX_L1, AX_Q1, AX_Q2, AX_N };

/* MXCSR's default for the duration of a pack or a tile: see the top. */
static unsigned csr_enter(void)
{
#ifdef TM_HAVE_INT8_KERNEL
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(0x1f80u);
    return csr;
#else
    return 0;
#endif
}

static void csr_leave(unsigned csr)
{
#ifdef TM_HAVE_INT8_KERNEL
    _mm_setcsr(csr);
#else
    (void)csr;
#endif
}

static int64_t groups_of(int64_t dim)
{
    return (dim + 3) / 4;
}

static int64_t round_up(int64_t x, int64_t m)
{
    return (x + m - 1) / m * m;
}

/* Where the anchors' accumulator starts follow their rows. */
static int64_t anchor_rows_bytes(int64_t cap, int64_t dim)
{
    return round_up(round_up(cap, MR) * groups_of(dim) * 4, 64);
}

static int int8_cpu(void)
{
#ifdef TM_HAVE_INT8_KERNEL
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

static int64_t int8_bytes(tm_kside_t side, int64_t cap, int64_t dim)
{
    if (side == TM_KSIDE_CANDS)
        return round_up(cap, NR) * groups_of(dim) * 4;
    return anchor_rows_bytes(cap, dim) + cap * 4;
}

/* The smallest float at least v (v >= 0, finite). */
static float up_float(double v)
{
    float f = (float)v;
    if ((double)f < v)
        f = nextafterf(f, INFINITY);
    return f;
}

/* What the packer keeps of one row besides its bytes. */
typedef struct row_num {
    float v[AX_N];
    int64_t qsum;
} row_num_t;

/* The sums over one row's components (any order: the bound allows it). */
typedef struct row_sums {
    double e2, ei, l1;   /* sum (x - x')^2, max |x - x'|, sum |x| */
    int64_t q1, q2, qs;  /* sum |q|, sum q^2, sum q */
} row_sums_t;

/* max |x_i|; *bad when a component is not finite. */
static float row_max(const float *x, int64_t dim, int *bad)
{
    float m = 0.0f;
    int nf = 0;
    for (int64_t k = 0; k < dim; k++) {
        const float ax = fabsf(x[k]);
        nf |= !(ax <= FLT_MAX); /* inf or NaN */
        m = ax > m ? ax : m;
    }
    *bad = nf;
    return m;
}

/*
 * q = rint(x / s) (as x inv) clamped to [-127, 127]; component k goes to
 * dst[(k / 4) * gstride + k % 4] as q + bias, and so do the padding
 * components up to a multiple of 4, as bias.
 */
static void row_quantise(const float *x, int64_t dim, float s, float inv, uint8_t *dst,
                         int64_t gstride, int bias, row_sums_t *o)
{
    const int64_t dq = 4 * groups_of(dim);
    double e2[4] = {0}, ei[4] = {0}, l1[4] = {0};
    int64_t q1 = 0, q2 = 0, qs = 0;
    for (int64_t k0 = 0; k0 < dq; k0 += 4) {
        uint8_t b[4];
        for (int l = 0; l < 4; l++) {
            const int64_t k = k0 + l;
            const float xk = k < dim ? x[k] : 0.0f;
            /* Adding and taking away 1.5 2^23 rounds |t| < 2^22 to an integer. */
            float t = (xk * inv + 12582912.0f) - 12582912.0f;
            t = t > 127.0f ? 127.0f : t < -127.0f ? -127.0f : t;
            const int qi = (int)t;
            const double d = (double)xk - (double)s * (double)qi; /* exact */
            e2[l] += d * d;
            ei[l] = fabs(d) > ei[l] ? fabs(d) : ei[l];
            l1[l] += fabs((double)xk);
            q1 += abs(qi);
            q2 += qi * qi;
            qs += qi;
            b[l] = (uint8_t)(qi + bias);
        }
        memcpy(dst + (k0 / 4) * gstride, b, 4);
    }
    o->e2 = (e2[0] + e2[1]) + (e2[2] + e2[3]);
    o->ei = fmax(fmax(ei[0], ei[1]), fmax(ei[2], ei[3]));
    o->l1 = (l1[0] + l1[1]) + (l1[2] + l1[3]);
    o->q1 = q1;
    o->q2 = q2;
    o->qs = qs;
}

#ifdef TM_HAVE_INT8_KERNEL

#define TM_INT8_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

/* The same two, sixteen components at a time (the same q and bytes). */
TM_INT8_TARGET static float row_max_v(const float *x, int64_t dim, int *bad)
{
    __m512 m = _mm512_setzero_ps();
    __mmask16 nf = 0;
    for (int64_t k0 = 0; k0 < dim; k0 += 16) {
        const __mmask16 mk = dim - k0 >= 16 ? 0xffff : (__mmask16)((1u << (dim - k0)) - 1);
        const __m512 ax = _mm512_abs_ps(_mm512_maskz_loadu_ps(mk, x + k0));
        nf |= _mm512_cmp_ps_mask(ax, _mm512_set1_ps(FLT_MAX), _CMP_NLE_UQ);
        m = _mm512_max_ps(m, ax);
    }
    *bad = nf != 0;
    return _mm512_reduce_max_ps(m);
}

TM_INT8_TARGET static void row_quantise_v(const float *x, int64_t dim, float s, float inv,
                                          uint8_t *dst, int64_t gstride, int bias,
                                          row_sums_t *o)
{
    const int64_t dq = 4 * groups_of(dim);
    const __m512 vinv = _mm512_set1_ps(inv), hi = _mm512_set1_ps(127.0f),
                 lo = _mm512_set1_ps(-127.0f);
    const __m512d vs = _mm512_set1_pd((double)s);
    const __m128i vb = _mm_set1_epi8((char)bias);
    __m512d e2 = _mm512_setzero_pd(), ei = e2, l1 = e2;
    __m512i q1 = _mm512_setzero_si512(), q2 = q1, qs = q1;
    for (int64_t k0 = 0; k0 < dq; k0 += 16) {
        /* dq - dim < 4, so k0 < dim. */
        const __mmask16 mk = dim - k0 >= 16 ? 0xffff : (__mmask16)((1u << (dim - k0)) - 1);
        const __m512 xv = _mm512_maskz_loadu_ps(mk, x + k0);
        __m512 t = _mm512_roundscale_ps(_mm512_mul_ps(xv, vinv),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        t = _mm512_min_ps(_mm512_max_ps(t, lo), hi);
        const __m512i qi = _mm512_cvtps_epi32(t); /* exact: t is an integer */
        uint32_t w[4];
        _mm_storeu_si128((__m128i *)w, _mm_add_epi8(_mm512_cvtepi32_epi8(qi), vb));
        const int64_t ng = (dq - k0) / 4 < 4 ? (dq - k0) / 4 : 4;
        for (int64_t g = 0; g < ng; g++)
            memcpy(dst + (k0 / 4 + g) * gstride, &w[g], 4);
        const __m256 xh[2] = {_mm512_castps512_ps256(xv),
                              _mm256_castsi256_ps(
                                  _mm512_extracti64x4_epi64(_mm512_castps_si512(xv), 1))};
        const __m256 th[2] = {_mm512_castps512_ps256(t),
                              _mm256_castsi256_ps(
                                  _mm512_extracti64x4_epi64(_mm512_castps_si512(t), 1))};
        for (int h = 0; h < 2; h++) {
            const __m512d xd = _mm512_cvtps_pd(xh[h]);
            const __m512d d = _mm512_sub_pd(xd, _mm512_mul_pd(vs, _mm512_cvtps_pd(th[h])));
            e2 = _mm512_fmadd_pd(d, d, e2);
            ei = _mm512_max_pd(ei, _mm512_abs_pd(d));
            l1 = _mm512_add_pd(l1, _mm512_abs_pd(xd));
        }
        q1 = _mm512_add_epi32(q1, _mm512_abs_epi32(qi));
        q2 = _mm512_add_epi32(q2, _mm512_mullo_epi32(qi, qi)); /* lanes < 2^31 */
        qs = _mm512_add_epi32(qs, qi);
    }
    o->e2 = _mm512_reduce_add_pd(e2);
    o->ei = _mm512_reduce_max_pd(ei);
    o->l1 = _mm512_reduce_add_pd(l1);
    const __m512i q1w = _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(q1)),
                                         _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(q1, 1)));
    const __m512i q2w = _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(q2)),
                                         _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(q2, 1)));
    const __m512i qsw = _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(qs)),
                                         _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(qs, 1)));
    o->q1 = _mm512_reduce_add_epi64(q1w);
    o->q2 = _mm512_reduce_add_epi64(q2w);
    o->qs = _mm512_reduce_add_epi64(qsw);
}

#endif

/*
 * Quantise row x (dim components) into dst (see row_quantise) and fill num;
 * vec: with AVX512. Returns 1 when the row is bad (then its bytes are bias
 * and num is zero).
 */
static int quantise(const float *x, int64_t dim, uint8_t *dst, int64_t gstride, int bias,
                    row_num_t *num, int vec)
{
    memset(num, 0, sizeof *num);
    int bad;
#ifdef TM_HAVE_INT8_KERNEL
    const float m = vec ? row_max_v(x, dim, &bad) : row_max(x, dim, &bad);
#else
    const float m = row_max(x, dim, &bad);
#endif
    const float s = m / 127.0f;
    if (bad || m == 0.0f || !(s >= FLT_MIN && s <= SCALE_MAX)) {
        /* Bad, or a zero row: s = 0, q = 0, exact. */
        for (int64_t k = 0; k < 4 * groups_of(dim); k++)
            dst[(k / 4) * gstride + k % 4] = (uint8_t)bias;
        return bad || m != 0.0f;
    }
    const float inv = 1.0f / s;
    row_sums_t o;
#ifdef TM_HAVE_INT8_KERNEL
    if (vec)
        row_quantise_v(x, dim, s, inv, dst, gstride, bias, &o);
    else
        row_quantise(x, dim, s, inv, dst, gstride, bias, &o);
#else
    (void)vec;
    row_quantise(x, dim, s, inv, dst, gstride, bias, &o);
#endif
    /* Sums of D terms in double, a square root and a product: 2^-52 (D + 4). */
    const double grow = 1.0 + (double)(dim + 4) * 0x1p-52;
    num->v[AX_S] = s;
    num->v[AX_E2] = up_float(sqrt(o.e2) * grow);
    num->v[AX_EI] = up_float(o.ei);
    num->v[AX_L1] = up_float(o.l1 * grow);
    num->v[AX_Q1] = up_float((double)s * (double)o.q1 * (1.0 + 0x1p-50));
    num->v[AX_Q2] = up_float((double)s * sqrt((double)o.q2) * (1.0 + 0x1p-50));
    num->qsum = o.qs;
    return 0;
}

static void int8_pack(tm_kpack_t *p, const float *emb, int64_t n, int64_t r0, int64_t r1)
{
    const int64_t dim = p->dim, nq = groups_of(dim), dq = 4 * nq, cap = p->cap;
    const int cands = p->side == TM_KSIDE_CANDS;
    uint8_t *data = p->data;
    const int64_t gstride = cands ? 64 : 4 * MR, bias = cands ? 128 : 0;
    const int vec = int8_cpu();
    const unsigned csr = csr_enter();
    /* The range that holds the last row also writes the padding rows. */
    const int64_t pend = r1 >= n ? round_up(n, cands ? NR : MR) : r1;
    for (int64_t r = r0; r < pend; r++) {
        uint8_t *dst = cands ? data + (r / 16) * nq * 64 + (r % 16) * 4
                             : data + (r / MR) * nq * 4 * MR + (r % MR) * 4;
        if (r >= n) { /* q = 0 */
            for (int64_t k = 0; k < dq; k++)
                dst[(k / 4) * gstride + k % 4] = (uint8_t)bias;
            continue;
        }
        row_num_t num;
        p->bad[r + 1] = quantise(emb + r * dim, dim, dst, gstride, (int)bias, &num, vec);
        for (int f = 0; f < AX_N; f++)
            p->aux[f * cap + r] = num.v[f];
        if (!cands) {
            /* The accumulators' start, -128 sum q, modulo 2^32. */
            uint32_t *start = (uint32_t *)(data + anchor_rows_bytes(cap, dim));
            start[r] = (uint32_t)(-128 * num.qsum);
        }
    }
    csr_leave(csr);
}

#ifdef TM_HAVE_INT8_KERNEL

/*
 * acc + the sums of four products of unsigned bytes of v and signed bytes
 * of w. GCC 12 copies the accumulator around _mm512_dpbusd_epi32 (two
 * register moves per instruction); tied asm operands keep it in place.
 */
TM_INT8_TARGET __attribute__((always_inline)) static inline __m512i dpbusd(__m512i acc,
                                                                           __m512i v, __m512i w)
{
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(v), "v"(w));
    return acc;
}

/*
 * mr x 32 of G from mr anchor rows (a: their block; start: their
 * accumulators' starts; sa: their scales) and two panels (b0, b1; sc: the
 * 32 candidates' scales); columns beyond the masks are neither read nor
 * stored.
 */
TM_INT8_TARGET __attribute__((always_inline)) static inline void
micro(const int mr, const uint32_t *restrict a, int64_t nq, const uint32_t *restrict start,
      const float *restrict sa, const uint32_t *restrict b0, const uint32_t *restrict b1,
      const float *restrict sc, float *restrict g, int64_t ldg, __mmask16 m0, __mmask16 m1)
{
    __m512i acc[MR][2];
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
        acc[r][0] = _mm512_set1_epi32((int)start[r]);
        acc[r][1] = acc[r][0];
    }
    for (int64_t q = 0; q < nq; q++) {
        const __m512i v0 = _mm512_load_si512(b0 + q * 16);
        const __m512i v1 = _mm512_load_si512(b1 + q * 16);
#pragma GCC unroll 8
        for (int r = 0; r < mr; r++) {
            const __m512i w = _mm512_set1_epi32((int)a[q * MR + r]);
            acc[r][0] = dpbusd(acc[r][0], v0, w);
            acc[r][1] = dpbusd(acc[r][1], v1, w);
        }
    }
    const __m512 sc0 = _mm512_maskz_loadu_ps(m0, sc), sc1 = _mm512_maskz_loadu_ps(m1, sc + 16);
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
        const __m512 s = _mm512_set1_ps(sa[r]);
        /* g = fl(fl(I) fl(s_a s_c)), as the bound has it. */
        const __m512 g0 = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[r][0]), _mm512_mul_ps(s, sc0));
        const __m512 g1 = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[r][1]), _mm512_mul_ps(s, sc1));
        _mm512_mask_storeu_ps(g + r * ldg, m0, g0);
        _mm512_mask_storeu_ps(g + r * ldg + 16, m1, g1);
    }
}

/* The tile: anchors [0, m) (words a, starts, scales sa), panels from b, n candidates. */
TM_INT8_TARGET static void run_tile(const uint32_t *a, const uint32_t *start, const float *sa,
                                    int64_t m, const uint32_t *b, const float *sc, int64_t n,
                                    int64_t nq, float *G)
{
    const int64_t panel = nq * 16; /* words per panel */
    for (int64_t i = 0; i < m; i += MR) {
        const int64_t mr = m - i < MR ? m - i : MR;
        const uint32_t *ai = a + i * nq; /* block i / MR */
        for (int64_t j = 0; j < n; j += NR) {
            const int64_t left = n - j;
            const __mmask16 m0 = tm_kfast_lanes(left, 0), m1 = tm_kfast_lanes(left, 1);
            const uint32_t *b0 = b + (j / 16) * panel, *b1 = b0 + panel;
            float *g = G + i * n + j;
            switch (mr) {
            case 8: micro(8, ai, nq, start + i, sa + i, b0, b1, sc + j, g, n, m0, m1); break;
            case 7: micro(7, ai, nq, start + i, sa + i, b0, b1, sc + j, g, n, m0, m1); break;
            case 6: micro(6, ai, nq, start + i, sa + i, b0, b1, sc + j, g, n, m0, m1); break;
            case 5: micro(5, ai, nq, start + i, sa + i, b0, b1, sc + j, g, n, m0, m1); break;
            case 4: micro(4, ai, nq, start + i, sa + i, b0, b1, sc + j, g, n, m0, m1); break;
            case 3: micro(3, ai, nq, start + i, sa + i, b0, b1, sc + j, g, n, m0, m1); break;
            case 2: micro(2, ai, nq, start + i, sa + i, b0, b1, sc + j, g, n, m0, m1); break;
            default: micro(1, ai, nq, start + i, sa + i, b0, b1, sc + j, g, n, m0, m1); break;
            }
        }
    }
}

/* Maxima over rows [r0, r1) of a pack's numbers relative to the norms. */
typedef struct side_max {
    double e2, ei, l1, q1, q2; /* E2/|x| and so on */
    double smin;               /* smallest non-zero scale (INFINITY: none) */
} side_max_t;

/*
 * The maxima of rows [r0, r1) (norms: the whole array), eight rows at a
 * time in double. 0 when a non-zero row has a norm that is not positive
 * (the norms do not fit the rows).
 */
TM_INT8_TARGET static int survey(const tm_kpack_t *p, int64_t r0, int64_t r1,
                                 const double *norm, side_max_t *mx)
{
    const float *aux = p->aux;
    const int64_t cap = p->cap;
    const __m512d zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0);
    __m512d m[AX_N]; /* m[AX_S]: the smallest non-zero scale */
    for (int f = 0; f < AX_N; f++)
        m[f] = zero;
    m[AX_S] = _mm512_set1_pd(INFINITY);
    for (int64_t r = r0; r < r1; r += 8) {
        const __mmask8 in = r1 - r >= 8 ? 0xff : (__mmask8)((1u << (r1 - r)) - 1);
        const __m512d sv = _mm512_cvtps_pd(
            _mm512_castps512_ps256(_mm512_maskz_loadu_ps(in, aux + AX_S * cap + r)));
        const __m512d nr = _mm512_maskz_loadu_pd(in, norm + r);
        const __mmask8 live = _mm512_cmp_pd_mask(sv, zero, _CMP_NEQ_UQ) & in;
        const __mmask8 pos = _mm512_cmp_pd_mask(nr, zero, _CMP_GT_OQ);
        if (live & ~pos)
            return 0;
        const __m512d inv = _mm512_maskz_div_pd(live, one, nr);
        m[AX_S] = _mm512_mask_min_pd(m[AX_S], live, m[AX_S], sv);
        for (int f = AX_E2; f < AX_N; f++) {
            const __m512d v = _mm512_cvtps_pd(
                _mm512_castps512_ps256(_mm512_maskz_loadu_ps(live, aux + f * cap + r)));
            m[f] = _mm512_max_pd(m[f], _mm512_mul_pd(v, inv));
        }
    }
    mx->smin = _mm512_reduce_min_pd(m[AX_S]);
    mx->e2 = _mm512_reduce_max_pd(m[AX_E2]);
    mx->ei = _mm512_reduce_max_pd(m[AX_EI]);
    mx->l1 = _mm512_reduce_max_pd(m[AX_L1]);
    mx->q1 = _mm512_reduce_max_pd(m[AX_Q1]);
    mx->q2 = _mm512_reduce_max_pd(m[AX_Q2]);
    return 1;
}

/* *b comes as int8_bound(dim); the rows of the tile give its gamma and tiny. */
static int int8_tile(const tm_ktile_t *t, float *G, tm_kern_bound_t *b)
{
    const tm_kpack_t *A = t->apack, *C = t->cpack;
    const int64_t a0 = t->a0, a1 = t->a1, c0 = t->c0, c1 = t->c1;
    const int64_t dim = A->dim, nq = groups_of(dim);
    const unsigned csr = csr_enter();
    side_max_t ma, mc;
    if (!survey(A, a0, a1, t->anch->norm, &ma) || !survey(C, c0, c1, t->cand->norm, &mc)) {
        csr_leave(csr);
        return 0;
    }
    const double u = 0x1p-24, eta = 0x1p-150; /* under MXCSR's default */
    const double g3 = (1.0 + u) * (1.0 + u) * (1.0 + u) - 1.0;
    const double t1 = fmin(ma.e2 * mc.q2, ma.ei * mc.q1);
    const double t2 = fmin(mc.e2, ma.l1 * mc.ei);
    const double gamma = (t1 + t2 + g3 * ma.q2 * mc.q2) * (1.0 + 0x1p-20);
    if (!(gamma <= GAMMA_MAX)) {
        csr_leave(csr);
        return 0;
    }
    const int under = ma.smin * mc.smin < 0x1p-126; /* INFINITY products: no */
    const float *sa = A->aux + AX_S * A->cap, *sc = C->aux + AX_S * C->cap;
    const uint32_t *a = (const uint32_t *)A->data + a0 * nq;
    const uint32_t *start =
        (const uint32_t *)((const uint8_t *)A->data + anchor_rows_bytes(A->cap, dim));
    const uint32_t *bp = (const uint32_t *)C->data + (c0 / 16) * nq * 16;
    run_tile(a, start + a0, sa + a0, a1 - a0, bp, sc + c0, c1 - c0, nq, G);
    csr_leave(csr);
    b->gamma = gamma;
    b->tiny = eta * (1.0 + (under ? 16130.0 * (double)dim : 0.0));
    return 1;
}

#else

static int int8_tile(const tm_ktile_t *t, float *G, tm_kern_bound_t *b)
{
    (void)t, (void)G, (void)b;
    return 0;
}

#endif

/* An anchor row's words sit at one word in MR of its block: copy them one by one. */
static void int8_gather(tm_kpack_t *dst, const tm_kpack_t *src, const int64_t *rows, int64_t n)
{
    const int64_t nq = groups_of(src->dim);
    const uint32_t *from = src->data;
    uint32_t *to = dst->data;
    const uint32_t *sstart = (const uint32_t *)((const uint8_t *)src->data +
                                                anchor_rows_bytes(src->cap, src->dim));
    uint32_t *dstart = (uint32_t *)((uint8_t *)dst->data + anchor_rows_bytes(dst->cap, dst->dim));
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = rows[i];
        const uint32_t *w = from + (r / MR) * nq * MR + r % MR;
        uint32_t *v = to + (i / MR) * nq * MR + i % MR;
        for (int64_t q = 0; q < nq; q++)
            v[q * MR] = w[q * MR];
        dstart[i] = sstart[r];
    }
}

/*
 * The loosest bound of a tile at dim: gamma at most GAMMA_MAX (a looser
 * tile is refused), tiny with S's underflow; the double arithmetic's slack
 * is float32's.
 */
static tm_kern_bound_t int8_bound(int64_t dim)
{
    tm_kern_bound_t b = tm_kern_bound(dim);
    b.gamma = GAMMA_MAX;
    b.tiny = 0x1p-150 * (1.0 + 16130.0 * (double)dim);
    return b;
}

const tm_kernel_t tm_kernel_int8 = {
    .name = "int8",
    .feature = "AVX512-VNNI",
    .cpu = int8_cpu,
    .max_dim = DMAX,
    .bound = int8_bound,
    .pack_bytes = int8_bytes,
    .aux = AX_N,
    .pack = int8_pack,
    .tile = int8_tile,
    .gather = int8_gather,
};
