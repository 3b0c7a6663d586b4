/*
 * test_kfast.c - the tile kernels (core/kernels.h: every kernel of the
 * table, f32 included) against a long double reference. Every dot product
 * g of a tile must meet the bound the tile returns,
 *
 *     |g - a.c| <= gamma |a||c| + tiny      (|a|, |c| the double norms),
 *
 * on adversarial data, partial tiles and packs filled in pieces, and what
 * the rules build on it (the intervals of kern.h, the double intervals and
 * float32 keys of engines/prefilter.h) must hold the exact distances of
 * core/exact.h. Rows a kernel cannot take are marked and their tiles
 * refused; the values of a tile do not depend on how the packs were
 * filled or where the tile lies.
 *
 * Each case runs for every kernel of the table this CPU runs and does
 * nothing for the others, so a new kernel is tested by its line in the
 * table; test_kfast_table checks the table itself and fails if the CPU
 * has AVX512-BF16 or AVX512-VNNI but the kernel that needs it says it
 * does not run, so neither is skipped silently where it could run.
 *
 * This file is compiled with -ffp-contract=off, so the float32 keys below
 * round as the library's do.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/exact.h"
#include "core/kern.h"
#include "core/kernels.h"
#include "engines/prefilter.h"
#include "tm_unit.h"

/*
 * Check's ck_assert marks its log on every pass, a write each time: over
 * millions of pairs, test plainly and go through Check only to fail.
 */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_abort_msg(__VA_ARGS__);                                                             \
    } while (0)

static const tm_metric_t metrics[3] = {TM_METRIC_SQEUCLIDEAN, TM_METRIC_EUCLIDEAN,
                                       TM_METRIC_COSINE};
enum { NDIM = 9 };
static const int64_t dims[NDIM] = {1, 2, 3, 7, 16, 100, 128, 129, 300};

/*
 * The sets: M anchors (a multiple of 8 and more than TM_KPACK_ALIGN, so that
 * packing in pieces has two), N candidates (not a multiple of 32, three
 * pieces); the packs have room for more rows than they hold.
 */
enum { M = 72, N = 150, ACAP = M + 5, CCAP = N + 10 };

static const char *mname(tm_metric_t m)
{
    return m == TM_METRIC_COSINE      ? "cosine"
           : m == TM_METRIC_EUCLIDEAN ? "euclidean"
                                      : "sqeuclidean";
}

/* Whether kind is the kernel of that name (for what one kernel alone must do). */
static int is(const tm_kernel_t *kind, const char *name)
{
    return strcmp(kind->name, name) == 0;
}

/* ---- data ------------------------------------------------------------------ */

static void fill_sym(tm_rng_t *r, float *v, int64_t n, double scale)
{
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)(scale * tm_rng_sym(r));
}

static double gauss(tm_rng_t *r)
{
    const double u1 = 1.0 - tm_rng_unit(r), u2 = tm_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static void fill_gauss(tm_rng_t *r, float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)gauss(r);
}

/* Subnormal components to zero: the bound cases hold rows every kernel takes. */
static void flush_subnormals(float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (v[i] != 0.0f && fabsf(v[i]) < FLT_MIN)
            v[i] = 0.0f;
}

/* Just above halfway between two bf16 values: rounding errs by almost 2^-8 relative. */
static float halfway(tm_rng_t *r)
{
    const float x = ldexpf(0x1.010002p0f, (int)tm_rng_below(r, 9) - 4);
    return tm_rng_next(r) & 1 ? -x : x;
}

enum { NGEN = 14 };

/* Data set `which`: A (M x dim) and C (N x dim). Returns its name. */
static const char *gen_data(int which, tm_rng_t *r, float *A, float *C, int64_t dim)
{
    const char *name = "?";
    switch (which) {
    case 0:
        name = "uniform [-1,1)";
        fill_sym(r, A, M * dim, 1.0);
        fill_sym(r, C, N * dim, 1.0);
        break;
    case 1:
        name = "uniform [0,1)";
        for (int64_t k = 0; k < M * dim; k++)
            A[k] = (float)tm_rng_unit(r);
        for (int64_t k = 0; k < N * dim; k++)
            C[k] = (float)tm_rng_unit(r);
        break;
    case 2:
        name = "L2-normalised gaussian";
        fill_gauss(r, A, M * dim);
        fill_gauss(r, C, N * dim);
        tm_exact_normalize_rows(A, M, dim);
        tm_exact_normalize_rows(C, N, dim);
        break;
    case 3:
        name = "components ~1e15";
        fill_sym(r, A, M * dim, 1e15);
        fill_sym(r, C, N * dim, 1e15);
        break;
    case 4:
        name = "components ~1e-15";
        fill_sym(r, A, M * dim, 1e-15);
        fill_sym(r, C, N * dim, 1e-15);
        break;
    case 5:
        name = "anchors ~1e15, candidates ~1e-15";
        fill_sym(r, A, M * dim, 1e15);
        fill_sym(r, C, N * dim, 1e-15);
        break;
    case 6:
        name = "row norms 1e-18 .. 1e18";
        for (int64_t i = 0; i < M; i++)
            fill_sym(r, A + i * dim, dim, pow(10.0, (double)(tm_rng_below(r, 37) - 18)));
        for (int64_t j = 0; j < N; j++)
            fill_sym(r, C + j * dim, dim, pow(10.0, (double)(tm_rng_below(r, 37) - 18)));
        /* The extremes for sure: first and last rows of both sets. */
        fill_sym(r, A, dim, 1e18);
        fill_sym(r, A + (M - 1) * dim, dim, 1e-18);
        fill_sym(r, C, dim, 1e-18);
        fill_sym(r, C + (N - 1) * dim, dim, 1e18);
        break;
    case 7:
        name = "cancellation (c = a, -a + noise, a + noise, half negated)";
        fill_sym(r, A, M * dim, 1.0);
        for (int64_t j = 0; j < N; j++) {
            const float *a = A + (j % M) * dim;
            float *c = C + j * dim;
            for (int64_t k = 0; k < dim; k++) {
                switch (j % 4) {
                case 0: c[k] = a[k]; break;
                case 1: c[k] = -a[k] + (float)(1e-7 * tm_rng_sym(r)); break;
                case 2: c[k] = a[k] + (float)(1e-7 * tm_rng_sym(r)); break;
                default: c[k] = k % 2 ? -a[k] : a[k]; break;
                }
            }
        }
        break;
    case 8:
        name = "all rows equal (candidates: the row and its negative)";
        fill_sym(r, A, dim, 1.0);
        for (int64_t i = 1; i < M; i++)
            memcpy(A + i * dim, A, (size_t)dim * sizeof *A);
        for (int64_t j = 0; j < N; j++)
            for (int64_t k = 0; k < dim; k++)
                C[j * dim + k] = j % 2 ? -A[k] : A[k];
        break;
    case 9:
        name = "duplicated rows";
        fill_sym(r, A, M * dim, 1.0);
        fill_sym(r, C, N * dim, 1.0);
        for (int64_t i = M / 2; i < M; i++)
            memcpy(A + i * dim, A + (i - M / 2) * dim, (size_t)dim * sizeof *A);
        for (int64_t j = 0; j < N; j++) {
            if (j % 3 == 0)
                memcpy(C + j * dim, A + tm_rng_below(r, M) * dim, (size_t)dim * sizeof *C);
            else if (j % 3 == 2)
                memcpy(C + j * dim, C + (j - 1) * dim, (size_t)dim * sizeof *C);
        }
        break;
    case 10:
        name = "one huge component among small ones";
        fill_sym(r, A, M * dim, 1e-3);
        fill_sym(r, C, N * dim, 1e-3);
        for (int64_t i = 0; i < M; i++)
            A[i * dim + tm_rng_below(r, dim)] = (float)(1e6 * (1.0 + 0.5 * tm_rng_sym(r)));
        for (int64_t j = 0; j < N; j++)
            C[j * dim + (j % 2 ? 0 : tm_rng_below(r, dim))] =
                (float)(-1e6 * (1.0 + 0.5 * tm_rng_sym(r)));
        break;
    case 11:
        name = "zero rows";
        fill_sym(r, A, M * dim, 1.0);
        fill_sym(r, C, N * dim, 1.0);
        for (int64_t i = 0; i < M; i += 5)
            for (int64_t k = 0; k < dim; k++)
                A[i * dim + k] = i % 10 ? 0.0f : -0.0f;
        for (int64_t j = 0; j < N; j += 7)
            memset(C + j * dim, 0, (size_t)dim * sizeof *C);
        memset(C + (N - 1) * dim, 0, (size_t)dim * sizeof *C);
        break;
    case 13:
        /*
         * Products near and below float32's normal range (2^-126): flushed
         * or rounded among the subnormals, what the bound's tiny is for.
         */
        name = "products below float32's normal range";
        for (int64_t i = 0; i < M; i++)
            for (int64_t k = 0; k < dim; k++)
                A[i * dim + k] = (float)((i % 2 ? 1e-23 : 1e-19) * (1.0 + tm_rng_unit(r)));
        for (int64_t j = 0; j < N; j++)
            for (int64_t k = 0; k < dim; k++)
                C[j * dim + k] = j % 3 == 0 ? A[(j % M) * dim + k]
                                 : (float)((j % 2 ? 1e-23 : 1e-19) * tm_rng_sym(r));
        break;
    default:
        name = "halfway to bf16 rounding (c = a, and random signs)";
        for (int64_t k = 0; k < M * dim; k++)
            A[k] = halfway(r);
        for (int64_t j = 0; j < N; j++)
            for (int64_t k = 0; k < dim; k++)
                C[j * dim + k] = j < N / 2 ? A[(j % M) * dim + k] : halfway(r);
        break;
    }
    flush_subnormals(A, M * dim);
    flush_subnormals(C, N * dim);
    return name;
}

/* ---- rows as the rules see them ----------------------------------------- */

/* A set of rows: norms as the library computes them, one label, and keys. */
typedef struct set {
    const float *X;
    int64_t n, dim;
    double sq[CCAP], nrm[CCAP];
    int64_t lab[CCAP], gid[CCAP];
    float kadd[CCAP], kmul[CCAP];
    tm_rows_t rows;
} set_t;

/* anchors: gid -1 (the candidates are another set). */
static void make_set(set_t *s, const float *X, int64_t n, int64_t dim, int anchors)
{
    ck_assert(n <= CCAP);
    s->X = X;
    s->n = n;
    s->dim = dim;
    for (int64_t j = 0; j < n; j++) {
        s->sq[j] = tm_exact_sqnorm(X + j * dim, dim);
        s->nrm[j] = sqrt(s->sq[j]);
        s->lab[j] = 0;
        s->gid[j] = anchors ? -1 : j;
    }
    memset(&s->rows, 0, sizeof s->rows);
    s->rows.n = n;
    s->rows.dim = dim;
    s->rows.emb = X;
    s->rows.labels = s->lab;
    s->rows.gid = s->gid;
    s->rows.sqnorm = s->sq;
    s->rows.norm = s->nrm;
}

static void set_keys(set_t *s, tm_metric_t metric)
{
    tm_rows_keys(metric, &s->rows, s->kadd, s->kmul);
    s->rows.kadd = s->kadd;
    s->rows.kmul = s->kmul;
}

/* ---- packs ---------------------------------------------------------------- */

/*
 * Pack rows X (n) for side: in one call (way 0), in ranges aligned to
 * TM_KPACK_ALIGN in the order threads might finish them (ways 1 to 3), or
 * by two threads at once (way 4, with OpenMP), then tm_kpack_done.
 */
enum { NWAYS = 5 };

static void pack_fill(tm_kpack_t *p, const float *X, int64_t n, int way)
{
    const int64_t step = way == 2 ? 2 * TM_KPACK_ALIGN : TM_KPACK_ALIGN;
    const int64_t nr = (n + step - 1) / step;
    if (way == 0 || nr <= 1) {
        tm_kpack_rows(p, X, n, 0, n);
    } else if (way == 4) {
#ifdef _OPENMP
#pragma omp parallel for num_threads(2) schedule(static, 1)
#endif
        for (int64_t k = 0; k < nr; k++)
            tm_kpack_rows(p, X, n, k * step, k * step + step < n ? k * step + step : n);
    } else {
        for (int64_t q = 0; q < nr; q++) {
            int64_t k;
            if (way == 1)
                k = nr - 1 - q; /* the last range first */
            else if (way == 2)
                k = q;
            else
                k = q < nr / 2 ? 2 * q + 1 : 2 * (q - nr / 2); /* odd ranges, then even */
            const int64_t r0 = k * step, r1 = r0 + step < n ? r0 + step : n;
            tm_kpack_rows(p, X, n, r0, r1);
        }
    }
    tm_kpack_done(p);
    ck_assert_int_eq(p->n, n);
}

/* Whether rows [r0, r1) of p are all rows its kernel takes (all, when it packs nothing). */
static int clean(const tm_kpack_t *p, int64_t r0, int64_t r1)
{
    return p->kernel->pack == NULL || tm_kpack_clean(p, r0, r1);
}

static void pack_make(tm_kpack_t *p, const tm_kernel_t *kind, tm_kside_t side, const float *X, int64_t n,
                      int64_t dim, int way)
{
    const int64_t cap = side == TM_KSIDE_ANCHORS ? ACAP : CCAP;
    ck_assert(n <= cap);
    ck_assert_int_eq(tm_kpack_init(p, kind, side, cap, dim), 0);
    pack_fill(p, X, n, way);
}

/* ---- the bound ------------------------------------------------------------ */

/* The tile [a0, a1) x [c0, c1) of sets A and C by kernel kind from packs pa and pc. */
static int ktile(const tm_kernel_t *kind, const set_t *A, const tm_kpack_t *pa, int64_t a0,
                 int64_t a1, const set_t *C, const tm_kpack_t *pc, int64_t c0, int64_t c1,
                 float *G, tm_kern_bound_t *b)
{
    const tm_ktile_t t = {&A->rows, pa, a0, a1, &C->rows, pc, c0, c1};
    return tm_kernel_tile(kind, &t, G, b);
}

/* Worst errors seen: error / bound, and error / (|a||c|). */
typedef struct stats {
    double ratio, rel;
    int64_t pairs;
} stats_t;

/* a.c in long double (products exact); *err: the reference's own error bound. */
static long double ref_dot(const float *a, const float *c, int64_t dim, double *err)
{
    long double s = 0, sabs = 0;
    for (int64_t k = 0; k < dim; k++) {
        const long double p = (long double)a[k] * c[k];
        s += p;
        sabs += fabsl(p);
    }
    *err = (double)(sabs * 2.0L * (long double)dim * 0x1p-64L);
    return s;
}

/*
 * Every entry of G, the tile [a0, a1) x [c0, c1) with bound b, within the
 * bound of the reference dot product. A dot product may be infinite or NaN
 * only where |a||c| is near float32's largest value (the sums overflowed,
 * which the rules treat as no information).
 */
static void check_bound(const char *what, const tm_kernel_t *kind, const set_t *A, int64_t a0, int64_t a1,
                        const set_t *C, int64_t c0, int64_t c1, const float *G, tm_kern_bound_t b,
                        stats_t *st)
{
    const int64_t dim = A->dim, nc = c1 - c0;
    CHECK(b.gamma > 0.0 && b.gamma < 1.0 && b.tiny >= 0.0 && isfinite(b.tiny) &&
              (!is(kind, "bf16") || b.tiny < 1e-30) && b.slack >= 0.0 &&
              b.slack < 1e-6,
          "%s, %s, dim %lld: bound gamma %.3g tiny %.3g slack %.3g", what,
          kind->name, (long long)dim, b.gamma, b.tiny, b.slack);
    for (int64_t i = a0; i < a1; i++)
        for (int64_t j = c0; j < c1; j++) {
            const float g = G[(i - a0) * nc + (j - c0)];
            const double ra = A->nrm[i], rc = C->nrm[j];
            double rerr;
            const long double x = ref_dot(A->X + i * dim, C->X + j * dim, dim, &rerr);
            const double bound = b.gamma * ra * rc + b.tiny;
            if (!isfinite(g)) {
                CHECK(ra * rc >= 0.5 * (double)FLT_MAX,
                      "%s, %s, dim %lld, pair (%lld,%lld): g %g though |a||c| = %.6g",
                      what, kind->name, (long long)dim, (long long)i,
                      (long long)j, (double)g, ra * rc);
                continue;
            }
            const double err = (double)fabsl((long double)g - x);
            CHECK(err <= bound + rerr,
                  "%s, %s, dim %lld, tile [%lld,%lld)x[%lld,%lld), pair (%lld,%lld): "
                  "|g - a.c| = %.6g > bound %.6g (g %.9g, a.c %.17Lg, |a| %.9g, |c| %.9g, "
                  "gamma %.6g, tiny %.3g)",
                  what, kind->name, (long long)dim, (long long)a0, (long long)a1,
                  (long long)c0, (long long)c1, (long long)i, (long long)j, err, bound,
                  (double)g, x, ra, rc, b.gamma, b.tiny);
            if (st != NULL) {
                st->pairs++;
                if (bound > 0.0 && err / bound > st->ratio)
                    st->ratio = err / bound;
                if (ra * rc > 0.0 && err / (ra * rc) > st->rel)
                    st->rel = err / (ra * rc);
            }
        }
}

/*
 * What the rules make of the tile, for metric: tm_kern_approx and
 * tm_kern_interval, tm_interval_row in both units, and the float32 keys
 * (tm_tilekeys, tm_keyrow, tm_key_lo/hi and the thresholds) must all hold
 * the exact distance. Returns the number of pairs the keys could take.
 */
static int64_t check_downstream(const char *what, const tm_kernel_t *kind, tm_metric_t metric, set_t *A,
                                int64_t a0, int64_t a1, set_t *C, int64_t c0, int64_t c1,
                                const float *G, tm_kern_bound_t b)
{
    const int64_t dim = A->dim, nc = c1 - c0;
    double lo[N], hi[N], lo2[N], hi2[N];
    int64_t keyed = 0;
    set_keys(C, metric);
    tm_tilekeys_t tk;
    tm_tilekeys(metric, &C->rows, c0, c1, &tk);
    for (int64_t i = a0; i < a1; i++) {
        const float *a = A->X + i * dim, *g = G + (i - a0) * nc;
        const double na = A->sq[i], ra = A->nrm[i];
        tm_interval_row(metric, b, na, ra, &C->rows, c0, nc, g, 0, lo, hi);
        tm_interval_row(metric, b, na, ra, &C->rows, c0, nc, g, 1, lo2, hi2);
        tm_keyrow_t kr;
        memset(&kr, 0, sizeof kr);
        if (tk.ok) {
            tm_keyrow(metric, b, &tk, &A->rows, i, &C->rows, c0, c1, &kr);
            CHECK(kr.p0 == 0 && kr.p1 == nc && kr.self == -1,
                  "%s: label range [%lld, %lld) self %lld", what, (long long)kr.p0,
                  (long long)kr.p1, (long long)kr.self);
        }
        for (int64_t j = c0; j < c1; j++) {
            const int64_t jj = j - c0;
            const float *c = C->X + j * dim;
            const double x = tm_exact_fast(metric, a, c, dim);
            const double v = tm_exact_from_fast(metric, x);
            double f, e, vlo, vhi;
            tm_kern_approx(metric, b, na, ra, C->sq[j], C->nrm[j], g[jj], &f, &e);
            CHECK(x >= f - e && x <= f + e,
                  "%s, %s, %s, dim %lld, pair (%lld,%lld): exact %.17g outside "
                  "[f - e, f + e] = [%.17g, %.17g] (g %.9g, e %.3g)",
                  what, kind->name, mname(metric), (long long)dim, (long long)i,
                  (long long)j, x, f - e, f + e, (double)g[jj], e);
            CHECK(isfinite(e) || !isfinite(g[jj]), "%s: infinite bound for g %.9g", what,
                  (double)g[jj]);
            tm_kern_interval(metric, b, na, ra, C->sq[j], C->nrm[j], g[jj], &vlo, &vhi);
            CHECK(v >= vlo && v <= vhi,
                  "%s, %s, %s, dim %lld, pair (%lld,%lld): distance %.17g outside "
                  "[%.17g, %.17g]",
                  what, kind->name, mname(metric), (long long)dim, (long long)i,
                  (long long)j, v, vlo, vhi);
            CHECK(x >= lo[jj] && x <= hi[jj] && v >= lo2[jj] && v <= hi2[jj],
                  "%s, %s, %s, dim %lld, pair (%lld,%lld): exact %.17g (%.17g) outside "
                  "the row intervals [%.17g, %.17g] ([%.17g, %.17g])",
                  what, kind->name, mname(metric), (long long)dim, (long long)i,
                  (long long)j, x, v, lo[jj], hi[jj], lo2[jj], hi2[jj]);
            if (!tk.ok || !kr.ok)
                continue;
            const float t = C->kadd[j] + C->kmul[j] * g[jj];
            CHECK(x >= tm_key_lo(&kr, t) && x <= tm_key_hi(&kr, t),
                  "%s, %s, %s, dim %lld, pair (%lld,%lld): exact %.17g outside the key "
                  "bounds [%.17g, %.17g] (t %.9g, err %.3g)",
                  what, kind->name, mname(metric), (long long)dim, (long long)i,
                  (long long)j, x, tm_key_lo(&kr, t), tm_key_hi(&kr, t), (double)t,
                  kr.err);
            CHECK(t <= tm_key_thr_le(&kr, x) && t >= tm_key_thr_ge(&kr, x),
                  "%s, %s, %s, pair (%lld,%lld): key %.9g outside its thresholds "
                  "[%.9g, %.9g]",
                  what, kind->name, mname(metric), (long long)i, (long long)j,
                  (double)t, (double)tm_key_thr_ge(&kr, x), (double)tm_key_thr_le(&kr, x));
            keyed++;
        }
    }
    C->rows.kadd = C->rows.kmul = NULL;
    return keyed;
}

/* ---- cases ---------------------------------------------------------------- */

/*
 * The table: names found again, a feature named exactly when checked, f32
 * last and running everywhere, auto the first that runs, each kernel's
 * bound finite and sane up to its largest dimension (bf16's stops just past
 * it), the order of preference (--kernel's message lists it from the end),
 * and the kernels whose CPU feature this CPU has running.
 */
START_TEST(test_kfast_table)
{
    ck_assert(tm_kernel_count() >= 1 && tm_kernel_at(tm_kernel_count()) == NULL);
    const tm_kernel_t *first = NULL;
    for (size_t k = 0; k < tm_kernel_count(); k++) {
        const tm_kernel_t *kind = tm_kernel_at(k);
        ck_assert(tm_kernel_find(kind->name) == kind);
        ck_assert_msg((kind->feature == NULL) == (kind->cpu == NULL),
                      "%s: a feature is named exactly when it is checked", kind->name);
        ck_assert_msg((kind->pack == NULL) == (kind->pack_bytes == NULL) && kind->tile != NULL &&
                          kind->bound != NULL && kind->max_dim >= 1,
                      "%s: an incomplete description", kind->name);
        if (first == NULL && tm_kernel_runs(kind))
            first = kind;
        /* The bound at the largest dimension it takes (or at 2^20) is some use. */
        const int64_t dim = kind->max_dim < (1 << 20) ? kind->max_dim : (1 << 20);
        const tm_kern_bound_t b = kind->bound(dim);
        ck_assert_msg(tm_kern_bound_useful(b) && b.gamma > 0.0 && b.gamma < 1.0 &&
                          b.tiny >= 0.0 && b.slack >= 0.0,
                      "%s: bound at D = %lld: gamma %g tiny %g slack %g", kind->name,
                      (long long)dim, b.gamma, b.tiny, b.slack);
        ck_assert(tm_kernel_takes_dim(kind, kind->max_dim));
        ck_assert(kind->max_dim == INT64_MAX || !tm_kernel_takes_dim(kind, kind->max_dim + 1));
    }
    ck_assert(tm_kernel_at(tm_kernel_count() - 1) == &tm_kernel_f32);
    ck_assert(tm_kernel_runs(&tm_kernel_f32) && tm_kernel_f32.feature == NULL);
    ck_assert(tm_kernel_auto() == first);
    ck_assert(tm_kernel_find("auto") == NULL && tm_kernel_find("fp16") == NULL);
    const tm_kernel_t *bf16 = tm_kernel_find("bf16");
    ck_assert(bf16 != NULL && !tm_kern_bound_useful(bf16->bound(bf16->max_dim + 1)));
    /* The order of preference, as the message lists it (kernels.sh checks it too). */
    char names[64];
    tm_kernel_names(names, sizeof names);
    ck_assert_str_eq(names, "auto, f32, bf16 or int8");
    tm_kernel_names(names, 9);
    ck_assert_str_eq(names, "auto, f3");
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    /* The CPU has the feature: the kernel must run, or every case below skips it. */
    CHECK(!__builtin_cpu_supports("avx512bf16") || tm_kernel_runs(tm_kernel_find("bf16")),
          "the CPU has avx512bf16 but bf16 does not run");
    CHECK(!(__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw")) ||
              tm_kernel_runs(tm_kernel_find("int8")),
          "the CPU has avx512vnni but int8 does not run");
#endif
}
END_TEST

/*
 * The bound on every data set at every dimension, full tiles of packs
 * filled in pieces, and what the rules build on it for each metric.
 * _i: kind x dimension.
 */
START_TEST(test_kfast_bound_data)
{
    const tm_kernel_t *kind = tm_kernel_at(_i / NDIM);
    const int64_t dim = dims[_i % NDIM];
    if (!tm_kernel_runs(kind))
        return;
    tm_rng_t r = tm_rng_make(4100 + (uint64_t)_i);
    float *A = tm_unit_alloc((size_t)(M * dim) * sizeof *A);
    float *C = tm_unit_alloc((size_t)(N * dim) * sizeof *C);
    float *G = tm_unit_alloc((size_t)(M * N) * sizeof *G);
    static set_t as, cs;
    for (int which = 0; which < NGEN; which++) {
        const char *what = gen_data(which, &r, A, C, dim);
        make_set(&as, A, M, dim, 1);
        make_set(&cs, C, N, dim, 0);
        tm_kpack_t pa, pc;
        pack_make(&pa, kind, TM_KSIDE_ANCHORS, A, M, dim, which % NWAYS);
        pack_make(&pc, kind, TM_KSIDE_CANDS, C, N, dim, (which + 1) % NWAYS);
        CHECK(clean(&pa, 0, M) && clean(&pc, 0, N),
              "%s, %s, dim %lld: rows marked", what, kind->name, (long long)dim);
        tm_kern_bound_t b;
        memset(&b, 0, sizeof b);
        CHECK(ktile(kind, &as, &pa, 0, M, &cs, &pc, 0, N, G, &b) == 1,
              "%s, %s, dim %lld: clean tile refused", what, kind->name,
              (long long)dim);
        stats_t st = {0, 0, 0};
        check_bound(what, kind, &as, 0, M, &cs, 0, N, G, b, &st);
        for (int k = 0; k < 3; k++) {
            const int64_t keyed = check_downstream(what, kind, metrics[k], &as, 0, M, &cs, 0, N,
                                                   G, b);
            /* Ordinary data must go through the keys, or that part is void. */
            if (which == 0)
                ck_assert_int_eq(keyed, M * N);
        }
        tm_kpack_free(&pa);
        tm_kpack_free(&pc);
    }
    free(A);
    free(C);
    free(G);
}
END_TEST

/* The tiles of test_kfast_partial: [a0, a1) x [c0, c1) of the M x N sets. */
static const int64_t subtiles[][4] = {
    {0, M, 0, N},    {8, 21, 32, 77},  {16, 29, 64, N},  {64, M, 128, N}, {8, M, 32, 33},
    {16, 17, 64, 96}, {0, 1, 0, 1},    {56, M, 96, 128}, {0, 8, 0, 32},   {40, 53, 0, N},
    {24, 25, 128, 129}, {64, 71, 32, 64},
};

/*
 * Partial tiles (m not a multiple of 8, n not a multiple of 32, the last
 * rows of the packs) and the independence of G from the packing and the
 * tile's position: every way of filling the packs gives the same bits, and
 * (but for f32) a sub-tile the same bits as that part of the full tile.
 * _i: kind x dim.
 */
START_TEST(test_kfast_partial)
{
    const tm_kernel_t *kind = tm_kernel_at(_i / NDIM);
    const int64_t dim = dims[_i % NDIM];
    if (!tm_kernel_runs(kind))
        return;
    tm_rng_t r = tm_rng_make(4300 + (uint64_t)_i);
    float *A = tm_unit_alloc((size_t)(M * dim) * sizeof *A);
    float *C = tm_unit_alloc((size_t)(N * dim) * sizeof *C);
    float *G0 = tm_unit_alloc((size_t)(M * N) * sizeof *G0);
    float *G = tm_unit_alloc((size_t)(M * N) * sizeof *G);
    static set_t as, cs;
    static const int gens[3] = {0, 6, 13};
    for (int q = 0; q < 3; q++) {
        const char *what = gen_data(gens[q], &r, A, C, dim);
        make_set(&as, A, M, dim, 1);
        make_set(&cs, C, N, dim, 0);
        tm_kpack_t pa0, pc0;
        pack_make(&pa0, kind, TM_KSIDE_ANCHORS, A, M, dim, 0);
        pack_make(&pc0, kind, TM_KSIDE_CANDS, C, N, dim, 0);
        tm_kern_bound_t b0;
        ck_assert(ktile(kind, &as, &pa0, 0, M, &cs, &pc0, 0, N, G0, &b0) == 1);
        check_bound(what, kind, &as, 0, M, &cs, 0, N, G0, b0, NULL);
        for (int way = 1; way < NWAYS; way++) {
            tm_kpack_t pa, pc;
            pack_make(&pa, kind, TM_KSIDE_ANCHORS, A, M, dim, way);
            pack_make(&pc, kind, TM_KSIDE_CANDS, C, N, dim, NWAYS - way);
            ck_assert(kind->pack == NULL ||
                      memcmp(pa.bad, pa0.bad, (ACAP + 1) * sizeof *pa.bad) == 0);
            ck_assert(kind->pack == NULL ||
                      memcmp(pc.bad, pc0.bad, (CCAP + 1) * sizeof *pc.bad) == 0);
            tm_kern_bound_t b;
            ck_assert(ktile(kind, &as, &pa, 0, M, &cs, &pc, 0, N, G, &b) == 1);
            CHECK(memcmp(G, G0, (size_t)(M * N) * sizeof *G) == 0,
                  "%s, %s, dim %lld: G differs when the packs are filled in pieces "
                  "(way %d)",
                  what, kind->name, (long long)dim, way);
            tm_kpack_free(&pa);
            tm_kpack_free(&pc);
        }
        for (size_t s = 0; s < sizeof subtiles / sizeof subtiles[0]; s++) {
            const int64_t a0 = subtiles[s][0], a1 = subtiles[s][1];
            const int64_t c0 = subtiles[s][2], c1 = subtiles[s][3];
            const int64_t nc = c1 - c0;
            tm_kern_bound_t b;
            ck_assert(ktile(kind, &as, &pa0, a0, a1, &cs, &pc0, c0, c1, G, &b) == 1);
            /* sgemm may block a tile by its shape: f32's need only meet the bound. */
            for (int64_t i = a0; i < a1 && kind != &tm_kernel_f32; i++)
                CHECK(memcmp(G + (i - a0) * nc, G0 + i * N + c0,
                             (size_t)nc * sizeof *G) == 0,
                      "%s, %s, dim %lld: tile [%lld,%lld)x[%lld,%lld), row %lld differs "
                      "from the full tile",
                      what, kind->name, (long long)dim, (long long)a0,
                      (long long)a1, (long long)c0, (long long)c1, (long long)i);
            check_bound(what, kind, &as, a0, a1, &cs, c0, c1, G, b, NULL);
            check_downstream(what, kind, metrics[s % 3], &as, a0, a1, &cs, c0, c1, G, b);
        }
        tm_kpack_free(&pa0);
        tm_kpack_free(&pc0);
    }
    free(A);
    free(C);
    free(G0);
    free(G);
}
END_TEST

/*
 * Gathering anchors (partitioned mining): a tile over rows gathered from
 * the anchors' pack, in any order and with repeats, gives each gathered
 * row the bits that row has in the full tile, the gathered marks are the
 * rows' own, and a gathered marked row makes the tile refused. A kernel
 * that packs nothing gathers nothing. _i: kind x dim.
 */
START_TEST(test_kfast_gather)
{
    const tm_kernel_t *kind = tm_kernel_at(_i / NDIM);
    const int64_t dim = dims[_i % NDIM];
    if (!tm_kernel_runs(kind))
        return;
    tm_rng_t r = tm_rng_make(4700 + (uint64_t)_i);
    float *A = tm_unit_alloc((size_t)(M * dim) * sizeof *A);
    float *C = tm_unit_alloc((size_t)(N * dim) * sizeof *C);
    float *G0 = tm_unit_alloc((size_t)(M * N) * sizeof *G0);
    float *G = tm_unit_alloc((size_t)(M * N) * sizeof *G);
    static set_t as, cs;
    const char *what = gen_data(6, &r, A, C, dim);
    /* One row bf16 cannot take (a subnormal component): marked for bf16 only. */
    const uint32_t sub = 0x000116c2u;
    memcpy(&A[41 * dim], &sub, sizeof sub);
    make_set(&as, A, M, dim, 1);
    make_set(&cs, C, N, dim, 0);
    tm_kpack_t pa, pc, pg;
    pack_make(&pa, kind, TM_KSIDE_ANCHORS, A, M, dim, 0);
    pack_make(&pc, kind, TM_KSIDE_CANDS, C, N, dim, 0);
    ck_assert_int_eq(tm_kpack_init(&pg, kind, TM_KSIDE_ANCHORS, 16, dim), 0);
    static const int64_t lists[][16] = {
        {3, 9, 10, 17, 71, 40, 40, 0, 8, 64, 65, 66, 67, 68, 69, 70},
        {71, 70, 5, 2, 1, 33, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21},
        {41, 7, 8, 9, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61},
    };
    static const int64_t lens[] = {16, 11, 3};
    for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
        const int64_t n = lens[l], *rows = lists[l];
        const int got = tm_kpack_gather(&pg, &pa, rows, n);
        if (kind->pack == NULL) {
            ck_assert_int_eq(got, 0);
            continue;
        }
        CHECK(got == 1, "%s: a packing kernel must gather", kind->name);
        int marked = 0;
        for (int64_t i = 0; i < n; i++) {
            const int64_t mk = pa.bad[rows[i] + 1] - pa.bad[rows[i]];
            CHECK(pg.bad[i + 1] - pg.bad[i] == mk, "%s: gathered row %lld has the wrong mark",
                  kind->name, (long long)i);
            marked |= mk != 0;
        }
        tm_kern_bound_t b0;
        static double gnorm[16];
        for (int64_t i = 0; i < n; i++)
            gnorm[i] = as.nrm[rows[i]];
        tm_rows_t grows = {.n = n, .dim = dim, .norm = gnorm};
        const tm_ktile_t kt = {&grows, &pg, 0, n, &cs.rows, &pc, 0, N};
        tm_kern_bound_t b;
        const int took = tm_kernel_tile(kind, &kt, G, &b);
        if (marked) {
            CHECK(!took, "%s, dim %lld: a gathered marked row must refuse the tile", kind->name,
                  (long long)dim);
            continue;
        }
        CHECK(took, "%s, dim %lld, %s: the gathered tile was refused", kind->name,
              (long long)dim, what);
        /* Each row against the full width, in a tile from its panel's start to it. */
        for (int64_t i = 0; i < n; i++) {
            const int64_t a0 = rows[i] / 8 * 8, a1 = rows[i] + 1;
            ck_assert(ktile(kind, &as, &pa, a0, a1, &cs, &pc, 0, N, G0, &b0) == 1);
            CHECK(memcmp(G + i * N, G0 + (rows[i] - a0) * N, (size_t)N * sizeof *G) == 0,
                  "%s, dim %lld: gathered row %lld (anchor %lld) differs from the full tile's",
                  kind->name, (long long)dim, (long long)i, (long long)rows[i]);
        }
        /* And the gathered tile's own bound holds for its rows. */
        static set_t gset;
        float *GA = tm_unit_alloc((size_t)(n * dim) * sizeof *GA);
        for (int64_t i = 0; i < n; i++)
            memcpy(GA + i * dim, A + rows[i] * dim, (size_t)dim * sizeof *GA);
        make_set(&gset, GA, n, dim, 1);
        check_bound(what, kind, &gset, 0, n, &cs, 0, N, G, b, NULL);
        free(GA);
    }
    tm_kpack_free(&pa);
    tm_kpack_free(&pc);
    tm_kpack_free(&pg);
    free(A);
    free(C);
    free(G0);
    free(G);
}
END_TEST

/*
 * The float32 second look (tm_kern_dots): one to four rows at once, every
 * dimension, within tm_kern_bound(dim) of the exact dot product, and the
 * same value whichever batch a row is in. _i: dim.
 */
START_TEST(test_kfast_dots)
{
    const int64_t dim = dims[_i];
    tm_rng_t r = tm_rng_make(4800 + (uint64_t)_i);
    float *A = tm_unit_alloc((size_t)(M * dim) * sizeof *A);
    float *C = tm_unit_alloc((size_t)(N * dim) * sizeof *C);
    const tm_kern_bound_t b = tm_kern_bound(dim);
    double worst = 0.0;
    for (int q = 0; q < NGEN; q++) {
        const char *what = gen_data(q, &r, A, C, dim);
        for (int64_t a = 0; a < 8; a++) {
            const float *arow = A + a * dim;
            const double na = sqrt(tm_exact_sqnorm(arow, dim));
            for (int64_t c = 0; c + 4 <= N; c += 4) {
                const float *rows[4] = {C + c * dim, C + (c + 1) * dim, C + (c + 2) * dim,
                                        C + (c + 3) * dim};
                float four[4], one;
                const int w = 1 + (int)((a + c) % 4);
                tm_kern_dots(arow, rows, w, dim, four);
                for (int u = 0; u < w; u++) {
                    tm_kern_dots(arow, rows + u, 1, dim, &one);
                    CHECK(memcmp(&one, &four[u], sizeof one) == 0,
                          "%s, dim %lld: a row's dot depends on its batch", what,
                          (long long)dim);
                    double err;
                    const long double ref = ref_dot(arow, rows[u], dim, &err);
                    const double nc = sqrt(tm_exact_sqnorm(rows[u], dim));
                    const double bound = b.gamma * na * nc + b.tiny + err;
                    const double e = fabsl((long double)one - ref);
                    if (!isfinite(one))
                        continue; /* overflow: the engines take it as no information */
                    CHECK(e <= bound, "%s, dim %lld: |dot - a.c| = %.6g > bound %.6g", what,
                          (long long)dim, e, bound);
                    if (na * nc > 0.0 && e / (na * nc) > worst)
                        worst = e / (na * nc);
                }
            }
        }
    }
    /* Not vacuous: float32 sums do err. */
    CHECK(dim < 16 || worst > 0.0, "dim %lld: no error at all seen", (long long)dim);
    free(A);
    free(C);
}
END_TEST

/* Rows marked in test_kfast_marking, and what bf16 must make of them. */
typedef struct mark {
    int64_t row, comp; /* comp: index into the row, taken modulo dim */
    uint32_t bits;     /* the component's float32 bits */
    int bf16_bad;
} mark_t;

static const mark_t amarks[] = {
    {5, 0, 0x00000000u, 0},  /* zero (the row is half zeros anyway) */
    {13, 3, 0x000116c2u, 1}, /* 1e-40f: subnormal */
    {30, 1, 0x00800000u, 0}, /* FLT_MIN: normal */
    {31, 2, 0x7f7f0000u, 0}, /* bf16's largest value */
    {32, 0, 0xff7f7fffu, 0}, /* rounds down to it */
    {33, 1, 0x7f7f8000u, 1}, /* halfway to infinity: rounds to even, up */
    {40, 4, 0x80000001u, 1}, /* smallest subnormal, negative */
    {41, 0, 0x007fffffu, 1}, /* largest subnormal */
    {70, 0, 0x7f7fc99eu, 1}, /* 3.4e38f */
    {71, 5, 0x80000000u, 0}, /* -0.0 */
};

static const mark_t cmarks[] = {
    {0, 0, 0x00000000u, 0},   {40, 3, 0x000116c2u, 1}, /* 1e-40f */
    {63, 1, 0x00800001u, 0},  {64, 2, 0x00800000u, 0}, /* FLT_MIN */
    {100, 0, 0x80000000u, 0}, {127, 6, 0x807fffffu, 1},
    {128, 0, 0x7f7fffffu, 1}, /* FLT_MAX */
    {149, 2, 0xff7fc99eu, 1}, /* -3.4e38f, the last row */
};

static void put_marks(float *X, int64_t dim, const mark_t *mk, size_t nm)
{
    for (size_t q = 0; q < nm; q++) {
        float v;
        memcpy(&v, &mk[q].bits, sizeof v);
        X[mk[q].row * dim + mk[q].comp % dim] = v;
    }
}

/* Whether rows [r0, r1) hold a marked row, by the single rows' marks. */
static int any_marked(const int *marked, int64_t r0, int64_t r1)
{
    for (int64_t r = r0; r < r1; r++)
        if (marked[r])
            return 1;
    return 0;
}

/*
 * Marking: rows with components bf16 cannot hold within its bound are
 * marked (and no others); for every kind, a tile is refused exactly when
 * it holds a marked row, without touching G, and computed within its bound
 * otherwise. Repacking a round of fewer, clean rows into the same pack
 * clears the old marks. _i: kind x {7, 129}.
 */
START_TEST(test_kfast_marking)
{
    const tm_kernel_t *kind = tm_kernel_at(_i / 2);
    const int64_t dim = _i % 2 ? 129 : 7;
    if (!tm_kernel_runs(kind))
        return;
    tm_rng_t r = tm_rng_make(4500 + (uint64_t)_i);
    float *A = tm_unit_alloc((size_t)(M * dim) * sizeof *A);
    float *C = tm_unit_alloc((size_t)(N * dim) * sizeof *C);
    float *G = tm_unit_alloc((size_t)(M * N) * sizeof *G);
    float *Gs = tm_unit_alloc((size_t)(M * N) * sizeof *Gs);
    static set_t as, cs;
    fill_sym(&r, A, M * dim, 1.0);
    fill_sym(&r, C, N * dim, 1.0);
    for (int64_t k = 0; k < dim; k += 2)
        A[5 * dim + k] = 0.0f;
    memset(C + 100 * dim, 0, (size_t)dim * sizeof *C);
    put_marks(A, dim, amarks, sizeof amarks / sizeof amarks[0]);
    put_marks(C, dim, cmarks, sizeof cmarks / sizeof cmarks[0]);
    make_set(&as, A, M, dim, 1);
    make_set(&cs, C, N, dim, 0);
    tm_kpack_t pa, pc;
    pack_make(&pa, kind, TM_KSIDE_ANCHORS, A, M, dim, 3);
    pack_make(&pc, kind, TM_KSIDE_CANDS, C, N, dim, 1);

    /* The marks of single rows; for bf16 exactly those of the table. */
    int amarked[M], cmarked[N];
    for (int64_t i = 0; i < M; i++)
        amarked[i] = !clean(&pa, i, i + 1);
    for (int64_t j = 0; j < N; j++)
        cmarked[j] = !clean(&pc, j, j + 1);
    if (is(kind, "bf16")) {
        int aexp[M] = {0}, cexp[N] = {0};
        for (size_t q = 0; q < sizeof amarks / sizeof amarks[0]; q++)
            aexp[amarks[q].row] = amarks[q].bf16_bad;
        for (size_t q = 0; q < sizeof cmarks / sizeof cmarks[0]; q++)
            cexp[cmarks[q].row] = cmarks[q].bf16_bad;
        for (int64_t i = 0; i < M; i++)
            CHECK(amarked[i] == aexp[i], "bf16, dim %lld: anchor %lld marked %d, want %d",
                  (long long)dim, (long long)i, amarked[i], aexp[i]);
        for (int64_t j = 0; j < N; j++)
            CHECK(cmarked[j] == cexp[j],
                  "bf16, dim %lld: candidate %lld marked %d, want %d", (long long)dim,
                  (long long)j, cmarked[j], cexp[j]);
    }
    /* The packs' counts agree with the single rows' marks over any range. */
    for (int64_t r0 = 0; r0 <= M; r0 += 3)
        for (int64_t r1 = r0; r1 <= M; r1 += 5)
            CHECK(clean(&pa, r0, r1) == !any_marked(amarked, r0, r1),
                  "anchors [%lld, %lld): clean %d", (long long)r0, (long long)r1,
                  clean(&pa, r0, r1));
    for (int64_t r0 = 0; r0 <= N; r0 += 3)
        for (int64_t r1 = r0; r1 <= N; r1 += 7)
            CHECK(clean(&pc, r0, r1) == !any_marked(cmarked, r0, r1),
                  "candidates [%lld, %lld): clean %d", (long long)r0, (long long)r1,
                  clean(&pc, r0, r1));

    /* Tiles: refused exactly when they hold a marked row. */
    int64_t took = 0, refused = 0;
    static const int64_t alen[3] = {1, 13, M}, clen[3] = {1, 45, N};
    for (int64_t a0 = 0; a0 < M; a0 += 8)
        for (int ai = 0; ai < 3; ai++)
            for (int64_t c0 = 0; c0 < N; c0 += 32)
                for (int ci = 0; ci < 3; ci++) {
                    const int64_t a1 = a0 + alen[ai] < M ? a0 + alen[ai] : M;
                    const int64_t c1 = c0 + clen[ci] < N ? c0 + clen[ci] : N;
                    const int want = !any_marked(amarked, a0, a1) && !any_marked(cmarked, c0, c1);
                    for (int64_t k = 0; k < M * N; k++)
                        G[k] = -7.0f;
                    memcpy(Gs, G, (size_t)(M * N) * sizeof *G);
                    tm_kern_bound_t b;
                    memset(&b, 0, sizeof b);
                    const int got = ktile(kind, &as, &pa, a0, a1, &cs, &pc, c0, c1, G, &b);
                    CHECK(got == want,
                          "%s, dim %lld: tile [%lld,%lld)x[%lld,%lld) returned %d, want %d",
                          kind->name, (long long)dim, (long long)a0,
                          (long long)a1, (long long)c0, (long long)c1, got, want);
                    if (got) {
                        took++;
                        check_bound("marked sets", kind, &as, a0, a1, &cs, c0, c1, G, b, NULL);
                    } else {
                        refused++;
                        CHECK(memcmp(G, Gs, (size_t)(M * N) * sizeof *G) == 0,
                              "%s: a refused tile wrote G", kind->name);
                    }
                }
    ck_assert(took > 0);
    if (is(kind, "bf16"))
        ck_assert(refused > 0);

    /*
     * The next round: 37 clean rows into the same candidate pack, then 150
     * clean ones; tiles are taken and equal those of a fresh pack.
     */
    static const int64_t nround[2] = {37, N};
    for (int round = 0; round < 2; round++) {
        const int64_t n2 = nround[round];
        fill_sym(&r, C, n2 * dim, 1.0);
        make_set(&cs, C, n2, dim, 0);
        pack_fill(&pc, C, n2, 2 - round);
        tm_kpack_t fresh;
        pack_make(&fresh, kind, TM_KSIDE_CANDS, C, n2, dim, 0);
        ck_assert(clean(&pc, 0, n2));
        ck_assert(clean(&pc, 0, CCAP));
        tm_kern_bound_t b;
        const int64_t a0 = 48, a1 = 61; /* no marked anchor */
        const int want = !any_marked(amarked, a0, a1);
        for (int64_t c0 = 0; c0 < n2; c0 += 32) {
            const int64_t c1 = n2;
            const int got = ktile(kind, &as, &pa, a0, a1, &cs, &pc, c0, c1, G, &b);
            CHECK(got == want, "%s, round %d: tile [%lld,%lld) returned %d",
                  kind->name, round, (long long)c0, (long long)c1, got);
            if (!got)
                continue;
            check_bound("repacked", kind, &as, a0, a1, &cs, c0, c1, G, b, NULL);
            ck_assert(ktile(kind, &as, &pa, a0, a1, &cs, &fresh, c0, c1, Gs, &b) == 1);
            CHECK(memcmp(G, Gs, (size_t)((a1 - a0) * (c1 - c0)) * sizeof *G) == 0,
                  "%s, round %d: repacked tile differs from a fresh pack",
                  kind->name, round);
        }
        tm_kpack_free(&fresh);
    }
    tm_kpack_free(&pa);
    tm_kpack_free(&pc);
    free(A);
    free(C);
    free(G);
    free(Gs);
}
END_TEST

/*
 * The bound is useful: bf16's gamma at D = 128 is at most 2^-6 (and not
 * below the nearly 2^-7 that rounding both rows to bf16 can cost, which the
 * halfway rows come within 1% of); the errors seen are not absurdly below
 * it. Each kind's gamma and worst errors on
 * gaussian rows are reported. _i: kind.
 */
START_TEST(test_kfast_useful)
{
    const tm_kernel_t *kind = tm_kernel_at(_i);
    if (!tm_kernel_runs(kind))
        return;
    const int64_t dim = 128;
    tm_rng_t r = tm_rng_make(4700 + (uint64_t)_i);
    float *A = tm_unit_alloc((size_t)(M * dim) * sizeof *A);
    float *C = tm_unit_alloc((size_t)(N * dim) * sizeof *C);
    float *G = tm_unit_alloc((size_t)(M * N) * sizeof *G);
    static set_t as, cs;
    static const int gens[3] = {-1, 0, 12}; /* gaussian, uniform, halfway */
    for (int q = 0; q < 3; q++) {
        const char *what = "gaussian";
        if (gens[q] < 0) {
            fill_gauss(&r, A, M * dim);
            fill_gauss(&r, C, N * dim);
        } else {
            what = gen_data(gens[q], &r, A, C, dim);
        }
        make_set(&as, A, M, dim, 1);
        make_set(&cs, C, N, dim, 0);
        tm_kpack_t pa, pc;
        pack_make(&pa, kind, TM_KSIDE_ANCHORS, A, M, dim, 0);
        pack_make(&pc, kind, TM_KSIDE_CANDS, C, N, dim, 0);
        double gmin = INFINITY, gmax = 0.0;
        stats_t st = {0, 0, 0};
        /* Tiles of 8 x 32 as the miner might cut them, each with its own bound. */
        for (int64_t a0 = 0; a0 < M; a0 += 8)
            for (int64_t c0 = 0; c0 < N; c0 += 32) {
                const int64_t a1 = a0 + 8 < M ? a0 + 8 : M, c1 = c0 + 32 < N ? c0 + 32 : N;
                tm_kern_bound_t b;
                ck_assert(ktile(kind, &as, &pa, a0, a1, &cs, &pc, c0, c1, G, &b) == 1);
                check_bound(what, kind, &as, a0, a1, &cs, c0, c1, G, b, &st);
                gmin = b.gamma < gmin ? b.gamma : gmin;
                gmax = b.gamma > gmax ? b.gamma : gmax;
                if (is(kind, "bf16")) {
                    CHECK(b.gamma <= 0x1p-6, "bf16 gamma %.6g > 2^-6 at D = 128",
                          b.gamma);
                    CHECK(b.gamma >= 0x1p-7 * (1.0 - 0x1p-6),
                          "bf16 gamma %.6g below what rounding both rows can cost", b.gamma);
                }
            }
        printf("kfast: %s, D = 128, %s rows: gamma %.4g .. %.4g (2^%.2f), worst |g - a.c| = "
               "%.4g |a||c| = %.4g of the bound, over %lld pairs\n",
               kind->name, what, gmin, gmax, log2(gmax), st.rel, st.ratio,
               (long long)st.pairs);
        /* Not vacuous: a reference equal to g, or a bound far too loose, fails here. */
        CHECK(st.rel > gmax / 1000.0,
              "%s, %s rows: worst error %.3g |a||c| is below gamma / 1000 = %.3g",
              kind->name, what, st.rel, gmax / 1000.0);
        tm_kpack_free(&pa);
        tm_kpack_free(&pc);
    }
    free(A);
    free(C);
    free(G);
}
END_TEST

static Suite *kfast_suite(void)
{
    Suite *s = suite_create("kfast");
    TCase *tc = tcase_create("kfast");
    tcase_set_timeout(tc, 30);
    const int nk = (int)tm_kernel_count();
    tcase_add_test(tc, test_kfast_table);
    tcase_add_loop_test(tc, test_kfast_bound_data, 0, nk * NDIM);
    tcase_add_loop_test(tc, test_kfast_partial, 0, nk * NDIM);
    tcase_add_loop_test(tc, test_kfast_marking, 0, nk * 2);
    tcase_add_loop_test(tc, test_kfast_useful, 0, nk);
    tcase_add_loop_test(tc, test_kfast_gather, 0, nk * NDIM);
    tcase_add_loop_test(tc, test_kfast_dots, 0, NDIM);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    return tm_unit_run(kfast_suite(), "unit_kfast", argv[0], 0);
}
