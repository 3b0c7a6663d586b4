/*
 * test_exact_kern.c - the exact distances (exact.h) against hand-computed
 * and independent long-double values, and the float32 tiles (kern.h)
 * against the double reference and against the error bound that every
 * mining decision relies on: the exact fast-space value must lie in
 * [f - e, f + e] for f, e given by tm_kern_approx, and within the bounds
 * the float32 keys of the selection give (engines/prefilter.h).
 *
 * This file is compiled with -ffp-contract=off, so the sequential double
 * loops below round exactly as the contract in exact.h says.
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "engines/prefilter.h"
#include "tm_unit.h"
#include "core/exact.h"
#include "core/kern.h"
#include "core/kernels.h"

static const tm_metric_t metrics[3] = {TM_METRIC_SQEUCLIDEAN, TM_METRIC_EUCLIDEAN,
                                       TM_METRIC_COSINE};
static const int64_t dims[5] = {1, 3, 17, 128, 129};

/* ---- independent references -------------------------------------------- */

/* The fast-space value in long double (64-bit significand on x86-64). */
static long double ld_fast(tm_metric_t m, const float *a, const float *b, int64_t dim)
{
    if (m == TM_METRIC_COSINE) {
        long double dot = 0, na = 0, nb = 0;
        for (int64_t i = 0; i < dim; i++) {
            dot += (long double)a[i] * b[i];
            na += (long double)a[i] * a[i];
            nb += (long double)b[i] * b[i];
        }
        if (na == 0 || nb == 0)
            return 1;
        return 1 - dot / (sqrtl(na) * sqrtl(nb));
    }
    long double s = 0;
    for (int64_t i = 0; i < dim; i++) {
        long double t = (long double)a[i] - b[i];
        s += t * t;
    }
    return s;
}

/* The formulas of exact.h written out again: the same bits are expected. */
static double seq_fast(tm_metric_t m, const float *a, const float *b, int64_t dim)
{
    if (m == TM_METRIC_COSINE) {
        double dot = 0.0, na = 0.0, nb = 0.0;
        for (int64_t i = 0; i < dim; i++) {
            dot += (double)a[i] * (double)b[i];
            na += (double)a[i] * (double)a[i];
            nb += (double)b[i] * (double)b[i];
        }
        if (na == 0.0 || nb == 0.0)
            return 1.0;
        return 1.0 - dot / (sqrt(na) * sqrt(nb));
    }
    double s = 0.0;
    for (int64_t i = 0; i < dim; i++) {
        double t = (double)a[i] - (double)b[i];
        s += t * t;
    }
    return s;
}

static double seq_sqnorm(const float *a, int64_t dim)
{
    double s = 0.0;
    for (int64_t i = 0; i < dim; i++)
        s += (double)a[i] * (double)a[i];
    return s;
}

static const char *mname(tm_metric_t m)
{
    return m == TM_METRIC_COSINE ? "cosine" : m == TM_METRIC_EUCLIDEAN ? "euclidean" : "sqeuclidean";
}

static void fill_sym(tm_rng_t *r, float *v, int64_t n, double scale)
{
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)(scale * tm_rng_sym(r));
}

static int same_bits(double x, double y)
{
    return memcmp(&x, &y, sizeof x) == 0;
}

/* ---- exact distances --------------------------------------------------- */

START_TEST(test_exact_hand_values)
{
    /* a - b = (-3, -4, 0): a 3-4-5 triangle, odd D. */
    const float a[3] = {1.0f, 2.0f, 3.0f}, b[3] = {4.0f, 6.0f, 3.0f};
    ck_assert(tm_exact_fast(TM_METRIC_SQEUCLIDEAN, a, b, 3) == 25.0);
    ck_assert(tm_exact_dist(TM_METRIC_SQEUCLIDEAN, a, b, 3) == 25.0);
    ck_assert(tm_exact_fast(TM_METRIC_EUCLIDEAN, a, b, 3) == 25.0);
    ck_assert(tm_exact_dist(TM_METRIC_EUCLIDEAN, a, b, 3) == 5.0);
    /* a.b = 25, |a|^2 = 14, |b|^2 = 61. */
    long double want = 1.0L - 25.0L / sqrtl(14.0L * 61.0L);
    double got = tm_exact_dist(TM_METRIC_COSINE, a, b, 3);
    ck_assert_msg(fabsl(got - want) <= 0x1p-52L, "cosine: got %.17g, want %.17Lg", got, want);
    ck_assert(tm_exact_fast(TM_METRIC_COSINE, a, b, 3) == got);
    ck_assert(tm_exact_sqnorm(a, 3) == 14.0);
    ck_assert(tm_exact_sqnorm(b, 3) == 61.0);
}
END_TEST

/* Four at a time gives the bits of one at a time, magnitudes far apart included. */
START_TEST(test_exact_dist4_bitwise)
{
    enum { D4 = 37 };
    static float a[D4], b[4][D4];
    uint64_t x = 99;
    for (int rep = 0; rep < 200; rep++) {
        for (int i = 0; i < D4; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            const float scale = (float)ldexp(1.0, (int)(x >> 59) * 4 - 30);
            a[i] = (float)((double)(x >> 40) / 16777216.0 - 0.5) * scale;
            for (int k = 0; k < 4; k++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                const float r = (float)((double)(x >> 40) / 16777216.0 - 0.5) * scale;
                b[k][i] = k == 3 && rep % 3 == 0 ? a[i] : r; /* a duplicate now and then */
            }
        }
        const float *rows[4] = {b[0], b[1], b[2], b[3]};
        for (int m = 0; m < 3; m++) {
            double got[4];
            tm_exact_dist4((tm_metric_t)m, a, rows, D4, got);
            for (int k = 0; k < 4; k++) {
                const double want = tm_exact_dist((tm_metric_t)m, a, b[k], D4);
                ck_assert_msg(memcmp(&got[k], &want, sizeof want) == 0,
                              "metric %d, lane %d: %.17g, one at a time %.17g", m, k, got[k], want);
            }
        }
    }
}
END_TEST

START_TEST(test_exact_dim1)
{
    const float a[1] = {3.0f}, b[1] = {-1.0f}, c[1] = {2.0f}, d[1] = {5.0f};
    ck_assert(tm_exact_dist(TM_METRIC_SQEUCLIDEAN, a, b, 1) == 16.0);
    ck_assert(tm_exact_dist(TM_METRIC_EUCLIDEAN, a, b, 1) == 4.0);
    /* Opposite directions: 1 - (-3) / (3 * 1) = 2. */
    ck_assert(tm_exact_dist(TM_METRIC_COSINE, a, b, 1) == 2.0);
    /* Same direction: 1 - 10 / (2 * 5) = 0. */
    ck_assert(tm_exact_dist(TM_METRIC_COSINE, c, d, 1) == 0.0);
    ck_assert(tm_exact_dist(TM_METRIC_SQEUCLIDEAN, c, c, 1) == 0.0);
    ck_assert(tm_exact_sqnorm(a, 1) == 9.0);
}
END_TEST

START_TEST(test_exact_from_fast)
{
    ck_assert(tm_exact_from_fast(TM_METRIC_SQEUCLIDEAN, 6.25) == 6.25);
    ck_assert(tm_exact_from_fast(TM_METRIC_EUCLIDEAN, 6.25) == 2.5);
    ck_assert(tm_exact_from_fast(TM_METRIC_COSINE, 0.75) == 0.75);
    ck_assert(tm_exact_from_fast(TM_METRIC_EUCLIDEAN, 0.0) == 0.0);
}
END_TEST

/* Loop index: one dimension from dims[] per iteration. */
START_TEST(test_exact_vs_long_double)
{
    const int64_t dim = dims[_i];
    tm_rng_t r = tm_rng_make(100 + (uint64_t)_i);
    float *a = tm_unit_alloc((size_t)dim * sizeof *a);
    float *b = tm_unit_alloc((size_t)dim * sizeof *b);
    for (int rep = 0; rep < 50; rep++) {
        /* Vary the scale so that both small and large values are covered. */
        double scale = ldexp(1.0, (int)tm_rng_below(&r, 41) - 20);
        fill_sym(&r, a, dim, scale);
        fill_sym(&r, b, dim, scale);
        for (int k = 0; k < 3; k++) {
            tm_metric_t m = metrics[k];
            long double want_fast = ld_fast(m, a, b, dim);
            long double want = m == TM_METRIC_EUCLIDEAN ? sqrtl(want_fast) : want_fast;
            double got = tm_exact_dist(m, a, b, dim);
            /* Sums of D terms in double: relative (D + 2) 2^-52 at most. */
            long double tol = m == TM_METRIC_COSINE
                                  ? (long double)(dim + 4) * 0x1p-51L
                                  : (long double)(dim + 2) * 0x1p-52L * want;
            ck_assert_msg(fabsl(got - want) <= tol,
                          "%s dim %lld rep %d: got %.17g, long double %.20Lg (tol %.3Lg)",
                          mname(m), (long long)dim, rep, got, want, tol);
        }
    }
    free(a);
    free(b);
}
END_TEST

/* The contract of exact.h is bit for bit: compare with the same loops. */
START_TEST(test_exact_bitwise_formula)
{
    const int64_t dim = dims[_i];
    tm_rng_t r = tm_rng_make(200 + (uint64_t)_i);
    float *a = tm_unit_alloc((size_t)dim * sizeof *a);
    float *b = tm_unit_alloc((size_t)dim * sizeof *b);
    for (int rep = 0; rep < 30; rep++) {
        fill_sym(&r, a, dim, 1e3);
        fill_sym(&r, b, dim, rep % 2 ? 1e-3 : 1e3);
        for (int k = 0; k < 3; k++) {
            tm_metric_t m = metrics[k];
            double want = seq_fast(m, a, b, dim);
            double got = tm_exact_fast(m, a, b, dim);
            ck_assert_msg(same_bits(got, want), "%s dim %lld rep %d: %a != %a", mname(m),
                          (long long)dim, rep, got, want);
            double wd = m == TM_METRIC_EUCLIDEAN ? sqrt(want) : want;
            ck_assert(same_bits(tm_exact_dist(m, a, b, dim), wd));
        }
        ck_assert(same_bits(tm_exact_sqnorm(a, dim), seq_sqnorm(a, dim)));
    }
    free(a);
    free(b);
}
END_TEST

START_TEST(test_exact_cosine_zero)
{
    const int64_t dim = 5;
    float zero[5] = {0}, negzero[5], v[5] = {0.5f, -2.0f, 3.0f, 1e-3f, 7.0f};
    float tiny[5] = {0x1p-149f, 0, 0, 0, 0};
    for (int i = 0; i < 5; i++)
        negzero[i] = -0.0f;
    ck_assert(tm_exact_dist(TM_METRIC_COSINE, zero, v, dim) == 1.0);
    ck_assert(tm_exact_dist(TM_METRIC_COSINE, v, zero, dim) == 1.0);
    ck_assert(tm_exact_dist(TM_METRIC_COSINE, zero, zero, dim) == 1.0);
    ck_assert(tm_exact_dist(TM_METRIC_COSINE, negzero, v, dim) == 1.0);
    ck_assert(tm_exact_dist(TM_METRIC_COSINE, v, negzero, dim) == 1.0);
    ck_assert(tm_exact_fast(TM_METRIC_COSINE, zero, v, dim) == 1.0);
    /* The smallest subnormal is not zero: it points along axis 0. */
    ck_assert(tm_exact_dist(TM_METRIC_COSINE, tiny, tiny, dim) == 0.0);
    double d = tm_exact_dist(TM_METRIC_COSINE, tiny, v, dim);
    ck_assert_msg(fabs(d - (1.0 - 0.5 / sqrt(62.250001))) < 1e-6, "cos(tiny, v) = %.17g", d);
    /* The other metrics see the zero vector as a point like any other. */
    ck_assert(tm_exact_dist(TM_METRIC_SQEUCLIDEAN, zero, v, dim) == seq_sqnorm(v, dim));
    ck_assert(tm_exact_dist(TM_METRIC_EUCLIDEAN, zero, zero, dim) == 0.0);
}
END_TEST

START_TEST(test_exact_symmetry)
{
    tm_rng_t r = tm_rng_make(300);
    for (int rep = 0; rep < 200; rep++) {
        int64_t dim = dims[rep % 5];
        float a[129], b[129];
        fill_sym(&r, a, dim, ldexp(1.0, (int)tm_rng_below(&r, 60) - 30));
        fill_sym(&r, b, dim, ldexp(1.0, (int)tm_rng_below(&r, 60) - 30));
        for (int k = 0; k < 3; k++) {
            double ab = tm_exact_dist(metrics[k], a, b, dim);
            double ba = tm_exact_dist(metrics[k], b, a, dim);
            ck_assert_msg(same_bits(ab, ba), "%s dim %lld rep %d: d(a,b) %a != d(b,a) %a",
                          mname(metrics[k]), (long long)dim, rep, ab, ba);
        }
    }
}
END_TEST

START_TEST(test_exact_self_distance)
{
    tm_rng_t r = tm_rng_make(400);
    for (int rep = 0; rep < 50; rep++) {
        int64_t dim = dims[rep % 5];
        float a[129];
        fill_sym(&r, a, dim, 1e10);
        ck_assert(tm_exact_dist(TM_METRIC_SQEUCLIDEAN, a, a, dim) == 0.0);
        ck_assert(tm_exact_dist(TM_METRIC_EUCLIDEAN, a, a, dim) == 0.0);
        double c = tm_exact_dist(TM_METRIC_COSINE, a, a, dim);
        ck_assert_msg(fabs(c) <= 4 * DBL_EPSILON, "cosine d(a,a) = %a, dim %lld", c, (long long)dim);
    }
}
END_TEST

START_TEST(test_normalize_rows)
{
    const int64_t dim = dims[_i];
    const int64_t n = 7;
    tm_rng_t r = tm_rng_make(500 + (uint64_t)_i);
    float *e = tm_unit_alloc((size_t)(n * dim) * sizeof *e);
    float *orig = tm_unit_alloc((size_t)(n * dim) * sizeof *e);
    fill_sym(&r, e, n * dim, 1.0);
    /* Row 1 zero, row 2 negative zeros, row 3 subnormal, row 4 huge, row 5 tiny norms. */
    for (int64_t k = 0; k < dim; k++) {
        e[1 * dim + k] = 0.0f;
        e[2 * dim + k] = -0.0f;
        e[3 * dim + k] = k % 2 ? 0x1p-149f : -0x1p-140f;
        e[4 * dim + k] = k % 3 ? 3e38f : -1e38f;
        e[5 * dim + k] *= 1e-30f;
    }
    memcpy(orig, e, (size_t)(n * dim) * sizeof *e);
    tm_exact_normalize_rows(e, n, dim);
    for (int64_t i = 0; i < n; i++) {
        const float *o = orig + i * dim, *got = e + i * dim;
        double norm = sqrt(seq_sqnorm(o, dim));
        for (int64_t k = 0; k < dim; k++) {
            float want = norm > 0.0 ? (float)((double)o[k] / norm) : o[k];
            ck_assert_msg(memcmp(&want, &got[k], sizeof want) == 0,
                          "dim %lld row %lld col %lld: got %a, want %a (norm %a)",
                          (long long)dim, (long long)i, (long long)k, got[k], want, norm);
        }
        double nn = seq_sqnorm(got, dim);
        if (i == 1 || i == 2)
            ck_assert_msg(nn == 0.0, "zero row %lld changed", (long long)i);
        else
            ck_assert_msg(fabs(sqrt(nn) - 1.0) <= 0x1p-22, "row %lld: norm %.17g after normalising",
                          (long long)i, sqrt(nn));
    }
    free(e);
    free(orig);
}
END_TEST

/* ---- tiles ------------------------------------------------------------- */

START_TEST(test_gram_vs_ref)
{
    static const int64_t sizes[4] = {1, 2, 7, 33};
    const int64_t dim = dims[_i];
    tm_rng_t r = tm_rng_make(600 + (uint64_t)_i);
    for (int si = 0; si < 4; si++)
        for (int sj = 0; sj < 4; sj++) {
            const int64_t m = sizes[si], n = sizes[(sj + si) % 4];
            float *A = tm_unit_alloc((size_t)(m * dim) * sizeof *A);
            float *C = tm_unit_alloc((size_t)(n * dim) * sizeof *C);
            float *G = tm_unit_alloc((size_t)(m * n + 1) * sizeof *G);
            double *R = tm_unit_alloc((size_t)(m * n) * sizeof *R);
            fill_sym(&r, A, m * dim, 10.0);
            fill_sym(&r, C, n * dim, 0.1);
            /* A sentinel just past the tile must survive the call. */
            G[m * n] = 1234.5f;
            tm_kern_gram(A, m, C, n, dim, G);
            tm_kern_gram_ref(A, m, C, n, dim, R);
            ck_assert_msg(G[m * n] == 1234.5f, "tm_kern_gram wrote past %lld x %lld", (long long)m,
                          (long long)n);
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < n; j++) {
                    double dot = 0.0, absdot = 0.0;
                    for (int64_t k = 0; k < dim; k++) {
                        double p = (double)A[i * dim + k] * (double)C[j * dim + k];
                        dot += p;
                        absdot += fabs(p);
                    }
                    /* The reference is the plain double loop, bit for bit. */
                    ck_assert_msg(same_bits(R[i * n + j], dot), "gram_ref (%lld,%lld) dim %lld",
                                  (long long)i, (long long)j, (long long)dim);
                    /* Float32 sums of D products: |err| <= gamma_D sum |a_k c_k|. */
                    double gd = (double)(dim + 1) * 0x1p-24;
                    double tol = gd / (1.0 - gd) * absdot + dim * (double)FLT_MIN;
                    ck_assert_msg(fabs((double)G[i * n + j] - dot) <= tol,
                                  "m %lld n %lld dim %lld at (%lld,%lld): sgemm %.9g, ref %.17g, "
                                  "tol %.3g", (long long)m, (long long)n, (long long)dim,
                                  (long long)i, (long long)j, G[i * n + j], dot, tol);
                }
            free(A);
            free(C);
            free(G);
            free(R);
        }
}
END_TEST

START_TEST(test_gram_empty)
{
    float A[3] = {1, 2, 3}, G[2] = {7.0f, 7.0f};
    double R[2] = {7.0, 7.0};
    tm_kern_gram(A, 0, A, 1, 3, G);
    tm_kern_gram(A, 1, A, 0, 3, G);
    tm_kern_gram_ref(A, 0, A, 1, 3, R);
    tm_kern_gram_ref(A, 1, A, 0, 3, R);
    ck_assert(G[0] == 7.0f && G[1] == 7.0f);
    ck_assert(R[0] == 7.0 && R[1] == 7.0);
}
END_TEST

START_TEST(test_bound_constants)
{
    double prev = 0.0;
    for (int64_t dim = 1; dim <= 1 << 20; dim *= 2) {
        tm_kern_bound_t b = tm_kern_bound(dim);
        /* At least the textbook gamma_D = D u / (1 - D u) ... */
        double du = (double)dim * 0x1p-24;
        ck_assert_msg(b.gamma >= du / (1.0 - du), "dim %lld: gamma %.3g too small", (long long)dim,
                      b.gamma);
        /* ... and not so loose that the filter stops filtering. */
        ck_assert_msg(b.gamma <= 4.0 * du + 0x1p-20, "dim %lld: gamma %.3g too large",
                      (long long)dim, b.gamma);
        ck_assert_msg(b.slack >= (double)dim * 0x1p-53 && b.slack < 1e-6,
                      "dim %lld: slack %.3g", (long long)dim, b.slack);
        ck_assert(b.gamma > prev);
        prev = b.gamma;
    }
}
END_TEST

START_TEST(test_approx_formula)
{
    tm_kern_bound_t b = tm_kern_bound(16);
    double f = 0, e = 0;
    /* |a|^2 = 4, |c|^2 = 9, a.c = 3: |a - c|^2 = 4 + 9 - 6 = 7. */
    tm_kern_approx(TM_METRIC_SQEUCLIDEAN, b, 4.0, 2.0, 9.0, 3.0, 3.0f, &f, &e);
    ck_assert(f == 7.0);
    ck_assert(e > 0.0 && e == 2.0 * b.gamma * 6.0 + b.slack * 13.0);
    tm_kern_approx(TM_METRIC_EUCLIDEAN, b, 4.0, 2.0, 9.0, 3.0, 3.0f, &f, &e);
    /* Euclidean works in fast space too: f is the squared distance. */
    ck_assert(f == 7.0);
    tm_kern_approx(TM_METRIC_COSINE, b, 4.0, 2.0, 9.0, 3.0, 3.0f, &f, &e);
    ck_assert(f == 0.5 && e == b.gamma + b.slack);
    /* A zero vector: cosine distance exactly 1, nothing to widen. */
    tm_kern_approx(TM_METRIC_COSINE, b, 0.0, 0.0, 9.0, 3.0, 0.0f, &f, &e);
    ck_assert(f == 1.0 && e == 0.0);
    tm_kern_approx(TM_METRIC_COSINE, b, 4.0, 2.0, 0.0, 0.0, 0.0f, &f, &e);
    ck_assert(f == 1.0 && e == 0.0);
}
END_TEST

/*
 * The key property: for every pair of rows of A (m x dim) and C (n x dim),
 * the exact fast-space value lies in [f - e, f + e] with g from the float32
 * tile and the squared norms from tm_exact_sqnorm. Also checks that e is
 * a usable bound, not an infinite one.
 */
/* Rows of A or C as the selection sees them (one label, indices 0..n-1). */
typedef struct rowset {
    tm_rows_t rows;
    int64_t lab[64], gid[64];
    double sq[64], nrm[64];
    float kadd[64], kmul[64];
} rowset_t;

static void make_rowset(rowset_t *s, tm_metric_t metric, const float *X, int64_t n, int64_t dim)
{
    ck_assert(n <= 64);
    for (int64_t j = 0; j < n; j++) {
        s->lab[j] = 0;
        s->gid[j] = j;
        s->sq[j] = tm_exact_sqnorm(X + j * dim, dim);
        s->nrm[j] = sqrt(s->sq[j]);
    }
    s->rows = (tm_rows_t){n, dim, X, s->lab, s->gid, s->sq, s->nrm, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    tm_rows_keys(metric, &s->rows, s->kadd, s->kmul);
    s->rows.kadd = s->kadd;
    s->rows.kmul = s->kmul;
}

/* Pairs checked through the float32 keys, over the whole suite. */
static int64_t key_pairs;

/*
 * The key of every pair: the exact fast value lies in [tm_key_lo,
 * tm_key_hi], and the thresholds made from it let the key through.
 */
static void check_keys(const char *what, tm_metric_t metric, const rowset_t *as, int64_t i,
                       const rowset_t *cs, const float *g, int64_t n, tm_kern_bound_t b)
{
    tm_tilekeys_t tk;
    tm_tilekeys(metric, &cs->rows, 0, n, &tk);
    tm_keyrow_t kr;
    tm_keyrow(metric, b, &tk, &as->rows, i, &cs->rows, 0, n, &kr);
    if (!tk.ok || !kr.ok)
        return;
    ck_assert_msg(kr.p0 == 0 && kr.p1 == n && kr.self == (i < n ? i : -1),
                  "%s: label range [%lld, %lld) self %lld", what, (long long)kr.p0,
                  (long long)kr.p1, (long long)kr.self);
    for (int64_t j = 0; j < n; j++) {
        const float *a = as->rows.emb + i * as->rows.dim, *c = cs->rows.emb + j * cs->rows.dim;
        const float t = cs->kadd[j] + cs->kmul[j] * g[j];
        const double x = tm_exact_fast(metric, a, c, as->rows.dim);
        ck_assert_msg(x >= tm_key_lo(&kr, t) && x <= tm_key_hi(&kr, t),
                      "%s, %s, pair (%lld,%lld): exact %.17g outside the key bounds "
                      "[%.17g, %.17g] (t %.9g, err %.3g)", what, mname(metric), (long long)i,
                      (long long)j, x, tm_key_lo(&kr, t), tm_key_hi(&kr, t), (double)t, kr.err);
        ck_assert_msg(t <= tm_key_thr_le(&kr, x) && t >= tm_key_thr_ge(&kr, x),
                      "%s, %s, pair (%lld,%lld): key %.9g outside its thresholds [%.9g, %.9g]",
                      what, mname(metric), (long long)i, (long long)j, (double)t,
                      (double)tm_key_thr_ge(&kr, x), (double)tm_key_thr_le(&kr, x));
        /* Through the metric's own value, as top-k and semihard gate. */
        const double v = tm_exact_from_fast(metric, x);
        ck_assert(x <= tm_fast_up(metric, v) && x >= tm_fast_down(metric, v));
        key_pairs++;
    }
}

static void check_bound_tile(const char *what, tm_metric_t metric, const float *A, int64_t m,
                             const float *C, int64_t n, int64_t dim)
{
    float *G = tm_unit_alloc((size_t)(m * n) * sizeof *G);
    tm_kern_gram(A, m, C, n, dim, G);
    tm_kern_bound_t b = tm_kern_bound(dim);
    static rowset_t as, cs;
    make_rowset(&as, metric, A, m, dim);
    make_rowset(&cs, metric, C, n, dim);
    for (int64_t i = 0; i < m; i++) {
        const float *a = A + i * dim;
        double na = tm_exact_sqnorm(a, dim);
        check_keys(what, metric, &as, i, &cs, G + i * n, n, b);
        for (int64_t j = 0; j < n; j++) {
            const float *c = C + j * dim;
            double nc = tm_exact_sqnorm(c, dim);
            double f = NAN, e = NAN;
            tm_kern_approx(metric, b, na, sqrt(na), nc, sqrt(nc), G[i * n + j], &f, &e);
            double x = tm_exact_fast(metric, a, c, dim);
            ck_assert_msg(x >= f - e && x <= f + e,
                          "%s, %s, dim %lld, pair (%lld,%lld): exact %.17g outside [f - e, f + e] "
                          "= [%.17g, %.17g] (f %.17g, e %.3g, g %.9g, |a|^2 %.6g, |c|^2 %.6g)",
                          what, mname(metric), (long long)dim, (long long)i, (long long)j, x,
                          f - e, f + e, f, e, (double)G[i * n + j], na, nc);
            /*
             * Usable: relative terms as small as the float32 analysis gives,
             * plus an absolute term of a few subnormals per product for
             * underflow; a dot product that overflowed float32 carries no
             * information and may have an infinite bound.
             */
            double under = 4.0 * (double)(dim + 2) * 0x1p-148;
            double useful = metric == TM_METRIC_COSINE
                                ? 4.0 * (double)(dim + 2) * 0x1p-24 +
                                      (na > 0.0 && nc > 0.0 ? under / sqrt(na * nc) : 0.0)
                                : 4.0 * (double)(dim + 2) * 0x1p-24 * sqrt(na) * sqrt(nc) +
                                      1e-9 * (na + nc) + under;
            if (!isfinite(G[i * n + j]))
                useful = INFINITY;
            ck_assert_msg(e <= useful, "%s, %s, dim %lld: bound %.3g is looser than %.3g", what,
                          mname(metric), (long long)dim, e, useful);
        }
    }
    free(G);
}

/* Run check_bound_tile for all three metrics. */
static void check_bound_all(const char *what, const float *A, int64_t m, const float *C,
                            int64_t n, int64_t dim)
{
    for (int k = 0; k < 3; k++)
        check_bound_tile(what, metrics[k], A, m, C, n, dim);
}

enum { BM = 8, BN = 16 };

START_TEST(test_bound_random)
{
    key_pairs = 0;
    const int64_t dim = dims[_i];
    tm_rng_t r = tm_rng_make(700 + (uint64_t)_i);
    float *A = tm_unit_alloc((size_t)(BM * dim) * sizeof *A);
    float *C = tm_unit_alloc((size_t)(BN * dim) * sizeof *C);
    for (int rep = 0; rep < 10; rep++) {
        fill_sym(&r, A, BM * dim, 1.0);
        fill_sym(&r, C, BN * dim, 1.0);
        check_bound_all("uniform [-1,1)", A, BM, C, BN, dim);
        /* All components positive: the dot product is as large as it gets. */
        for (int64_t k = 0; k < BM * dim; k++)
            A[k] = fabsf(A[k]);
        for (int64_t k = 0; k < BN * dim; k++)
            C[k] = fabsf(C[k]);
        check_bound_all("uniform [0,1)", A, BM, C, BN, dim);
    }
    free(A);
    free(C);
    /* Ordinary data must go through the keys, or the check above is void. */
    ck_assert_int_eq(key_pairs, 10 * 2 * 3 * BM * BN);
}
END_TEST

START_TEST(test_bound_large_magnitudes)
{
    const int64_t dim = dims[_i];
    tm_rng_t r = tm_rng_make(800 + (uint64_t)_i);
    float *A = tm_unit_alloc((size_t)(BM * dim) * sizeof *A);
    float *C = tm_unit_alloc((size_t)(BN * dim) * sizeof *C);
    /* As large as float32 dot products of D <= 129 terms allow: 1e17^2 * 129 < FLT_MAX. */
    static const double scales[4] = {1e4, 1e9, 1e15, 1e17};
    for (int s = 0; s < 4; s++) {
        fill_sym(&r, A, BM * dim, scales[s]);
        fill_sym(&r, C, BN * dim, scales[s]);
        char what[64];
        snprintf(what, sizeof what, "random, scale %.0e", scales[s]);
        check_bound_all(what, A, BM, C, BN, dim);
        /* A large common offset: distances tiny against the norms. */
        for (int64_t k = 0; k < BM * dim; k++)
            A[k] = (float)(scales[s] * (1.0 + 1e-3 * tm_rng_sym(&r)));
        for (int64_t k = 0; k < BN * dim; k++)
            C[k] = (float)(scales[s] * (1.0 + 1e-3 * tm_rng_sym(&r)));
        snprintf(what, sizeof what, "offset cluster, scale %.0e", scales[s]);
        check_bound_all(what, A, BM, C, BN, dim);
    }
    free(A);
    free(C);
}
END_TEST

START_TEST(test_bound_cancellation)
{
    const int64_t dim = dims[_i];
    tm_rng_t r = tm_rng_make(900 + (uint64_t)_i);
    float *A = tm_unit_alloc((size_t)(BM * dim) * sizeof *A);
    float *C = tm_unit_alloc((size_t)(BN * dim) * sizeof *C);
    for (int rep = 0; rep < 4; rep++) {
        double scale = rep == 0 ? 1.0 : rep == 1 ? 1e6 : rep == 2 ? 1e-6 : 3e12;
        fill_sym(&r, A, BM * dim, scale);
        /*
         * Candidates derived from the anchors: identical, one ulp apart in
         * some components, scaled by 1 + 2^-20, negated in half the
         * components (dot product near zero from large terms), and
         * mirrored (cosine distance near 2).
         */
        for (int64_t j = 0; j < BN; j++) {
            const float *a = A + (j % BM) * dim;
            float *c = C + j * dim;
            for (int64_t k = 0; k < dim; k++) {
                switch (j % 5) {
                case 0: c[k] = a[k]; break;
                case 1: c[k] = k % 3 == 0 ? nextafterf(a[k], INFINITY) : a[k]; break;
                case 2: c[k] = (float)((double)a[k] * (1.0 + 0x1p-20)); break;
                case 3: c[k] = k % 2 ? -a[k] : a[k]; break;
                default: c[k] = -nextafterf(a[k], 0.0f); break;
                }
            }
        }
        check_bound_all("near-equal and cancelling", A, BM, C, BN, dim);
    }
    free(A);
    free(C);
}
END_TEST

START_TEST(test_bound_different_norms)
{
    const int64_t dim = dims[_i];
    tm_rng_t r = tm_rng_make(1000 + (uint64_t)_i);
    float *A = tm_unit_alloc((size_t)(BM * dim) * sizeof *A);
    float *C = tm_unit_alloc((size_t)(BN * dim) * sizeof *C);
    /* Pairs of scales whose products stay in float32's normal range. */
    static const double sa[4] = {1e-6, 1e6, 1e-12, 1e12};
    static const double sc[4] = {1e6, 1e-6, 1.0, 1e-3};
    for (int s = 0; s < 4; s++) {
        fill_sym(&r, A, BM * dim, sa[s]);
        fill_sym(&r, C, BN * dim, sc[s]);
        check_bound_all("very different norms", A, BM, C, BN, dim);
    }
    /* Components of very different magnitude inside each vector. */
    for (int64_t k = 0; k < BM * dim; k++)
        A[k] = (float)(tm_rng_sym(&r) * pow(10.0, (double)tm_rng_below(&r, 17) - 8));
    for (int64_t k = 0; k < BN * dim; k++)
        C[k] = (float)(tm_rng_sym(&r) * pow(10.0, (double)tm_rng_below(&r, 17) - 8));
    check_bound_all("mixed component magnitudes", A, BM, C, BN, dim);
    free(A);
    free(C);
}
END_TEST

START_TEST(test_bound_cosine_zero)
{
    const int64_t dim = dims[_i];
    tm_rng_t r = tm_rng_make(1100 + (uint64_t)_i);
    float *A = tm_unit_alloc((size_t)(BM * dim) * sizeof *A);
    float *C = tm_unit_alloc((size_t)(BN * dim) * sizeof *C);
    fill_sym(&r, A, BM * dim, 1.0);
    fill_sym(&r, C, BN * dim, 1.0);
    /* Zero rows among anchors and candidates, one of them all -0.0. */
    memset(A + 2 * dim, 0, (size_t)dim * sizeof *A);
    memset(C + 5 * dim, 0, (size_t)dim * sizeof *C);
    for (int64_t k = 0; k < dim; k++)
        C[9 * dim + k] = -0.0f;
    check_bound_tile("zero rows", TM_METRIC_COSINE, A, BM, C, BN, dim);
    check_bound_tile("zero rows", TM_METRIC_SQEUCLIDEAN, A, BM, C, BN, dim);
    /* And the cosine approximation of a zero row is the exact rule itself. */
    float g = 0.0f;
    tm_kern_gram(A + 2 * dim, 1, C, 1, dim, &g);
    double f = 0, e = 1;
    tm_kern_approx(TM_METRIC_COSINE, tm_kern_bound(dim), 0.0, 0.0, tm_exact_sqnorm(C, dim),
                   sqrt(tm_exact_sqnorm(C, dim)), g, &f, &e);
    ck_assert(f == 1.0 && e == 0.0);
    free(A);
    free(C);
}
END_TEST

/*
 * Inputs are any finite float32 values (docs/contract.md). Components near 1e-23
 * make every float32 product underflow to zero, so the float32 dot product
 * is 0 while the exact one is not; the bound must still hold (or the
 * kernel must not be trusted for such rows).
 */
START_TEST(test_bound_float32_underflow)
{
    const int64_t dim = dims[_i];
    tm_rng_t r = tm_rng_make(1200 + (uint64_t)_i);
    float *A = tm_unit_alloc((size_t)(BM * dim) * sizeof *A);
    float *C = tm_unit_alloc((size_t)(BN * dim) * sizeof *C);
    for (int64_t k = 0; k < BM * dim; k++)
        A[k] = (float)(1e-23 * (1.0 + tm_rng_unit(&r)));
    for (int64_t j = 0; j < BN; j++)
        for (int64_t k = 0; k < dim; k++)
            C[j * dim + k] = j % 2 ? A[(j % BM) * dim + k] : (float)(1e-23 * tm_rng_unit(&r));
    check_bound_all("components near 1e-23", A, BM, C, BN, dim);
    free(A);
    free(C);
}
END_TEST

/*
 * Components near 1e19 in D = 4: every value is a finite float32 but the
 * dot products exceed FLT_MAX in float32. The exact distances are finite.
 */
START_TEST(test_bound_float32_overflow)
{
    const int64_t dim = 4;
    tm_rng_t r = tm_rng_make(1300);
    float A[BM * 4], C[BN * 4];
    for (int64_t k = 0; k < BM * dim; k++)
        A[k] = (float)(1e19 * (1.0 + 0.1 * tm_rng_unit(&r)));
    for (int64_t k = 0; k < BN * dim; k++)
        C[k] = (float)(1e19 * (1.0 + 0.1 * tm_rng_unit(&r)));
    check_bound_all("components near 1e19", A, BM, C, BN, dim);
}
END_TEST

/*
 * The dimension where each bound stops being finite: float32's gamma is
 * finite while (D + 2) 2^-24 < 1/2, bf16's while 2 (D + 2) 2^-24 < 1/2,
 * int8 takes D <= 133144. Past them every interval built on the bound is
 * (-inf, +inf) - never NaN (a zero norm times an infinite gamma), never
 * empty (a gamma gone negative) - and the keys are not used.
 */
START_TEST(test_bound_dimension_edges)
{
    ck_assert(isfinite(tm_kern_bound(8388605).gamma) && tm_kern_bound(8388605).gamma > 0.0);
    ck_assert(tm_kern_bound(8388606).gamma == INFINITY);
    ck_assert(tm_kern_bound(16777215).gamma == INFINITY);
    ck_assert(tm_kern_bound(INT32_MAX).gamma == INFINITY);
    const tm_kernel_t *bf16 = tm_kernel_find("bf16"), *int8 = tm_kernel_find("int8");
    ck_assert(bf16 != NULL && int8 != NULL);
    ck_assert(tm_kern_bound_useful(bf16->bound(4194301)));
    ck_assert(!tm_kern_bound_useful(bf16->bound(4194302)));
    ck_assert(!tm_kern_bound_useful(bf16->bound(8388607)));
    ck_assert(tm_kernel_takes_dim(bf16, 4194301));
    ck_assert(!tm_kernel_takes_dim(bf16, 4194302));
    ck_assert(tm_kernel_takes_dim(int8, 133144));
    ck_assert(!tm_kernel_takes_dim(int8, 133145));
    ck_assert(tm_kernel_takes_dim(&tm_kernel_f32, INT32_MAX));

    const tm_kern_bound_t b = tm_kern_bound(16777215);
    const tm_metric_t metrics[] = {TM_METRIC_SQEUCLIDEAN, TM_METRIC_EUCLIDEAN, TM_METRIC_COSINE};
    for (int m = 0; m < 3; m++) {
        /* Zero and non-zero norms on either side. */
        const double sq[] = {0.0, 4.0}, rt[] = {0.0, 2.0};
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                double lo = 0, hi = 0;
                tm_kern_interval(metrics[m], b, sq[i], rt[i], sq[j], rt[j], 1.0f, &lo, &hi);
                ck_assert_msg(!isnan(lo) && !isnan(hi) && lo <= 0.0 && hi == INFINITY,
                              "metric %d, norms %g %g: [%g, %g]", m, rt[i], rt[j], lo, hi);
            }
        /* A row of a tile, and the keys of an anchor, over the same norms. */
        const float emb[2] = {0.0f, 0.0f};
        const double csq[2] = {0.0, 4.0}, cn[2] = {0.0, 2.0};
        const int64_t lab[2] = {0, 1}, gid[2] = {0, 1};
        const float kadd[2] = {0.0f, 4.0f}, kmul[2] = {-2.0f, -2.0f};
        const tm_rows_t rows = {.n = 2, .dim = 1, .emb = emb, .labels = lab, .gid = gid,
                                .sqnorm = csq, .norm = cn, .kadd = kadd, .kmul = kmul};
        const float g[2] = {0.0f, 1.0f};
        double lo[2], hi[2];
        for (int units = 0; units < 2; units++)
            for (int a = 0; a < 2; a++) {
                tm_interval_row(metrics[m], b, csq[a], cn[a], &rows, 0, 2, g, units, lo, hi);
                for (int j = 0; j < 2; j++)
                    ck_assert_msg(!isnan(lo[j]) && lo[j] <= 0.0 && hi[j] == INFINITY,
                                  "metric %d, row: [%g, %g]", m, lo[j], hi[j]);
            }
        tm_tilekeys_t tk;
        tm_tilekeys(metrics[m], &rows, 0, 2, &tk);
        ck_assert(tk.ok);
        tm_keyrow_t kr;
        tm_keyrow(metrics[m], b, &tk, &rows, 1, &rows, 0, 2, &kr);
        ck_assert_msg(!kr.ok, "metric %d: keys used under an infinite bound", m);
    }
}
END_TEST

static Suite *exact_kern_suite(void)
{
    Suite *s = suite_create("exact_kern");
    TCase *tc = tcase_create("exact");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_exact_hand_values);
    tcase_add_test(tc, test_exact_dist4_bitwise);
    tcase_add_test(tc, test_exact_dim1);
    tcase_add_test(tc, test_exact_from_fast);
    tcase_add_loop_test(tc, test_exact_vs_long_double, 0, 5);
    tcase_add_loop_test(tc, test_exact_bitwise_formula, 0, 5);
    tcase_add_test(tc, test_exact_cosine_zero);
    tcase_add_test(tc, test_exact_symmetry);
    tcase_add_test(tc, test_exact_self_distance);
    tcase_add_loop_test(tc, test_normalize_rows, 0, 5);
    suite_add_tcase(s, tc);

    tc = tcase_create("kern");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_gram_vs_ref, 0, 5);
    tcase_add_test(tc, test_gram_empty);
    tcase_add_test(tc, test_bound_constants);
    tcase_add_test(tc, test_approx_formula);
    tcase_add_test(tc, test_bound_dimension_edges);
    suite_add_tcase(s, tc);

    tc = tcase_create("bound");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_bound_random, 0, 5);
    tcase_add_loop_test(tc, test_bound_large_magnitudes, 0, 5);
    tcase_add_loop_test(tc, test_bound_cancellation, 0, 5);
    tcase_add_loop_test(tc, test_bound_different_norms, 0, 5);
    tcase_add_loop_test(tc, test_bound_cosine_zero, 0, 5);
    suite_add_tcase(s, tc);

    tc = tcase_create("bound_range");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_bound_float32_underflow, 0, 5);
    tcase_add_test(tc, test_bound_float32_overflow);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    /* One BLAS thread: the library runs sgemm that way, and forks stay simple. */
    openblas_set_num_threads(1);
    return tm_unit_run(exact_kern_suite(), "unit_exact_kern", argv[0], 0);
}
