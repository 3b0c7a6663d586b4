/*
 * test_synth.c - the row generator of synth (tripminer/synth.h): with no
 * latent dimension it gives tm_synth_row's rows bit for bit; with one, rows
 * of unit norm, the labels of the isotropic set, the same bits from any
 * generator made with the same options (also for K > D, and under a
 * caller's flush-to-zero), and refusals of a latent dimension out of range.
 */
#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "tm_unit.h"
#include "tripminer/synth.h"

/* The options of a set; the rest as tm_synth_opts_default leaves them. */
static tm_synth_opts_t opts_of(uint64_t seed, int64_t dim, int64_t classes, double spread,
                               int64_t latent)
{
    tm_synth_opts_t o;
    tm_synth_opts_default(&o);
    o.seed = seed;
    o.dim = dim;
    o.classes = classes;
    o.spread = spread;
    o.latent_dim = latent;
    return o;
}

static tm_synth_gen_t *gen_of(const tm_synth_opts_t *o)
{
    tm_synth_gen_t *g = NULL;
    tm_err_t err;
    tm_err_clear(&err);
    int rc = tm_synth_gen_create(o, &g, &err);
    ck_assert_msg(rc == 0 && g != NULL, "tm_synth_gen_create: rc %d (%s)", rc, err.msg);
    return g;
}

START_TEST(test_isotropic_is_synth_row)
{
    static const int64_t dims[3] = {1, 7, 64};
    for (int k = 0; k < 3; k++) {
        const int64_t dim = dims[k];
        tm_synth_opts_t o = opts_of(11, dim, 9, 0.5, 0);
        tm_synth_gen_t *g = gen_of(&o);
        float *a = tm_unit_alloc((size_t)dim * sizeof *a), *b = tm_unit_alloc((size_t)dim * sizeof *b);
        for (int64_t i = 0; i < 200; i += 7) {
            int64_t la = -1, lb = -2;
            tm_synth_gen_row(g, i, a, &la);
            tm_synth_row(11, i, dim, 9, 0.5, b, &lb);
            ck_assert_msg(la == lb && memcmp(a, b, (size_t)dim * sizeof *a) == 0,
                          "D %lld, row %lld: the generator's row differs from tm_synth_row's",
                          (long long)dim, (long long)i);
        }
        free(a);
        free(b);
        tm_synth_gen_free(g);
    }
}
END_TEST

/* Loop index: a (D, K) case; K > D included. */
START_TEST(test_latent_rows)
{
    static const int64_t cases[4][2] = {{64, 4}, {3, 8}, {1, 1}, {40, 130}};
    const int64_t dim = cases[_i][0], latent = cases[_i][1];
    tm_synth_opts_t o = opts_of(5, dim, 13, 0.9, latent);
    tm_synth_gen_t *g1 = gen_of(&o), *g2 = gen_of(&o);
    float *a = tm_unit_alloc((size_t)dim * sizeof *a), *b = tm_unit_alloc((size_t)dim * sizeof *b);
    float *iso = tm_unit_alloc((size_t)dim * sizeof *iso);
    int differs_from_iso = 0;
    /* Rows in another order from the second generator: no state between rows. */
    for (int64_t i = 0; i < 100; i++) {
        int64_t la = -1, lb = -2, li = -3;
        tm_synth_gen_row(g1, i, a, &la);
        tm_synth_gen_row(g2, 99 - i, b, &lb);
        tm_synth_gen_row(g2, i, b, &lb);
        tm_synth_row(5, i, dim, 13, 0.9, iso, &li);
        ck_assert_msg(la == lb && memcmp(a, b, (size_t)dim * sizeof *a) == 0,
                      "D %lld, K %lld, row %lld: two generators differ", (long long)dim,
                      (long long)latent, (long long)i);
        ck_assert_msg(la == li, "D %lld, K %lld, row %lld: label %lld, the isotropic set's %lld",
                      (long long)dim, (long long)latent, (long long)i, (long long)la,
                      (long long)li);
        double n2 = 0.0;
        for (int64_t d = 0; d < dim; d++) {
            ck_assert(isfinite(a[d]));
            n2 += (double)a[d] * a[d];
        }
        ck_assert_msg(fabs(sqrt(n2) - 1.0) < 1e-6, "D %lld, K %lld, row %lld: norm %.9g",
                      (long long)dim, (long long)latent, (long long)i, sqrt(n2));
        differs_from_iso |= memcmp(a, iso, (size_t)dim * sizeof *a) != 0;
    }
    /* In one dimension every unit row is +1 or -1, either kind. */
    ck_assert(differs_from_iso || dim == 1);
    free(a);
    free(b);
    free(iso);
    tm_synth_gen_free(g1);
    tm_synth_gen_free(g2);
}
END_TEST

/* Rows of one class are nearer each other than rows of two classes. */
START_TEST(test_latent_classes)
{
    enum { N = 400, D = 32 };
    tm_synth_opts_t o = opts_of(3, D, 8, 0.9, 4);
    tm_synth_gen_t *g = gen_of(&o);
    float *x = tm_unit_alloc((size_t)N * D * sizeof *x);
    int64_t lab[N];
    for (int64_t i = 0; i < N; i++)
        tm_synth_gen_row(g, i, x + i * D, &lab[i]);
    double same = 0.0, other = 0.0;
    int64_t ns = 0, no = 0;
    for (int64_t i = 0; i < N; i++)
        for (int64_t j = i + 1; j < N; j++) {
            double s = 0.0;
            for (int64_t d = 0; d < D; d++) {
                const double t = (double)x[i * D + d] - x[j * D + d];
                s += t * t;
            }
            if (lab[i] == lab[j]) {
                same += sqrt(s);
                ns++;
            } else {
                other += sqrt(s);
                no++;
            }
        }
    ck_assert(ns > 0 && no > 0);
    ck_assert_msg(same / (double)ns < 0.75 * other / (double)no,
                  "mean distance within a class %.4f, between classes %.4f", same / (double)ns,
                  other / (double)no);
    free(x);
    tm_synth_gen_free(g);
}
END_TEST

/* A caller in flush-to-zero mode gets the same bits, and its mode back. */
START_TEST(test_latent_fpenv)
{
#if defined(__x86_64__)
    enum { D = 24 };
    tm_synth_opts_t o = opts_of(9, D, 5, 0.9, 6);
    tm_synth_gen_t *g = gen_of(&o);
    float a[D], b[D];
    int64_t la, lb;
    tm_synth_gen_row(g, 17, a, &la);
    tm_synth_gen_free(g);
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8040u); /* FTZ and DAZ */
    /* The caller's mode as the CPU took it (valgrind keeps MXCSR at its default). */
    const unsigned mode = _mm_getcsr();
    g = gen_of(&o);
    tm_synth_gen_row(g, 17, b, &lb);
    const unsigned after = _mm_getcsr();
    _mm_setcsr(saved);
    tm_synth_gen_free(g);
    ck_assert_msg(after == mode, "MXCSR %#x after the calls, the caller's %#x", after, mode);
    ck_assert(la == lb && memcmp(a, b, sizeof a) == 0);
#endif
}
END_TEST

/* Loop index: a latent dimension out of 0..TM_SYNTH_LATENT_DIM_MAX. */
START_TEST(test_latent_refused)
{
    static const int64_t bad[3] = {-1, TM_SYNTH_LATENT_DIM_MAX + 1, INT64_MAX};
    tm_synth_opts_t o = opts_of(1, 8, 3, 0.9, bad[_i]);
    tm_synth_gen_t *g = (tm_synth_gen_t *)&o; /* must come back NULL */
    tm_err_t err;
    tm_err_clear(&err);
    int rc = tm_synth_gen_create(&o, &g, &err);
    ck_assert_int_eq(rc, TM_EUSAGE);
    ck_assert_ptr_null(g);
    ck_assert_msg(strstr(err.msg, "--latent-dim") != NULL && strchr(err.msg, '\n') == NULL,
                  "message '%s'", err.msg);
    tm_synth_gen_free(NULL);
}
END_TEST

static Suite *synth_suite(void)
{
    Suite *s = suite_create("synth");
    TCase *tc = tcase_create("gen");
    tcase_add_test(tc, test_isotropic_is_synth_row);
    tcase_add_loop_test(tc, test_latent_rows, 0, 4);
    tcase_add_test(tc, test_latent_classes);
    tcase_add_test(tc, test_latent_fpenv);
    tcase_add_loop_test(tc, test_latent_refused, 0, 3);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    return tm_unit_run(synth_suite(), "unit_synth", argv[0], 0);
}
