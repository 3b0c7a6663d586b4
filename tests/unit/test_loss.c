/*
 * test_loss.c - per-triplet losses and the exact loss accumulator
 * (loss.h), serially. The MPI reduction is in test_loss_mpi.c.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "tm_unit.h"
#include "core/loss.h"

/* ln 2 to more digits than a long double holds. */
#define LN2_L 0.693147180559945309417232121458176568L

static int same_bits(double x, double y)
{
    return memcmp(&x, &y, sizeof x) == 0;
}

/* ---- tm_loss_value ------------------------------------------------------ */

START_TEST(test_hinge_values)
{
    /* Dyadic inputs: every result is exact. */
    ck_assert(tm_loss_value(TM_LOSS_HINGE, 0.25, 1.0, 0.5) == 0.75);
    ck_assert(tm_loss_value(TM_LOSS_HINGE, 0.0, 2.0, 0.5) == 1.5);
    ck_assert(tm_loss_value(TM_LOSS_HINGE, 0.5, 0.25, 1.0) == 0.0);
    /* x = 0 exactly: no loss. */
    ck_assert(tm_loss_value(TM_LOSS_HINGE, 0.5, 1.0, 1.5) == 0.0);
    /* A clamped loss is +0, not -0. */
    double z = tm_loss_value(TM_LOSS_HINGE, 0.0, 0.0, 3.0);
    ck_assert(z == 0.0 && !signbit(z));
    /* The default margin: 1.0 - 0.5 + 0.2, as the formula computes it. */
    double v = tm_loss_value(TM_LOSS_HINGE, 0.2, 1.0, 0.5);
    ck_assert_msg(fabs(v - 0.7) <= 2 * DBL_EPSILON, "hinge(0.2, 1, 0.5) = %.17g", v);
    /* Large values do not overflow. */
    ck_assert(tm_loss_value(TM_LOSS_HINGE, 0.0, 1e300, -1e300) == 2e300);
}
END_TEST

START_TEST(test_softplus_log2)
{
    /* margin 0 and d_ap == d_an: log(1 + e^0) = log 2. */
    static const double d[4] = {0.0, 1.0, 0.37, 1e6};
    for (int i = 0; i < 4; i++) {
        double v = tm_loss_value(TM_LOSS_SOFTPLUS, 0.0, d[i], d[i]);
        ck_assert_msg(fabsl(v - LN2_L) <= 0x1p-53L, "softplus(0) at d = %g: %.17g", d[i], v);
    }
}
END_TEST

START_TEST(test_softplus_vs_long_double)
{
    /* x = d_ap - d_an + margin over a grid; reference log1p(exp(x)) in long double. */
    for (int k = -400; k <= 400; k++) {
        double x = k / 10.0;
        double v = tm_loss_value(TM_LOSS_SOFTPLUS, 0.0, x, 0.0);
        long double want = log1pl(expl((long double)x));
        ck_assert_msg(fabsl(v - want) <= 4 * 0x1p-53L * want, "softplus(%g) = %.17g, want %.20Lg",
                      x, v, want);
    }
    /* With a margin: softplus(1.0 - 0.5 + 0.2). */
    double v = tm_loss_value(TM_LOSS_SOFTPLUS, 0.2, 1.0, 0.5);
    long double want = log1pl(expl(0.7L));
    ck_assert_msg(fabsl(v - want) <= 1e-15L, "softplus(0.7) = %.17g", v);
}
END_TEST

START_TEST(test_softplus_large)
{
    /* exp(x) overflows a double beyond 709.78: the loss must not. */
    static const double xs[4] = {50.0, 710.0, 1000.0, 1e300};
    for (int i = 0; i < 4; i++) {
        double v = tm_loss_value(TM_LOSS_SOFTPLUS, 0.0, xs[i], 0.0);
        ck_assert_msg(isfinite(v), "softplus(%g) = %g", xs[i], v);
        /* log(1 + e^x) = x + log(1 + e^-x): x itself once e^-x < 2^-53 x. */
        ck_assert_msg(v >= xs[i] && v <= xs[i] * (1.0 + DBL_EPSILON), "softplus(%g) = %.17g",
                      xs[i], v);
    }
}
END_TEST

START_TEST(test_softplus_large_negative)
{
    /* log(1 + e^x) ~ e^x: tiny and positive, not 0, while e^x is a normal double. */
    static const double xs[4] = {-20.0, -50.0, -300.0, -700.0};
    for (int i = 0; i < 4; i++) {
        double v = tm_loss_value(TM_LOSS_SOFTPLUS, 0.0, 0.0, -xs[i]);
        long double want = log1pl(expl((long double)xs[i]));
        ck_assert_msg(v > 0.0, "softplus(%g) = %g, expected > 0", xs[i], v);
        ck_assert_msg(fabsl(v - want) <= 1e-12L * want, "softplus(%g) = %.17g, want %.17Lg",
                      xs[i], v, want);
    }
    /* Far below: 0 or a subnormal, never negative or NaN. */
    double v = tm_loss_value(TM_LOSS_SOFTPLUS, 0.0, 0.0, 1e300);
    ck_assert(v >= 0.0 && v < 1e-300);
}
END_TEST

/* ---- the exact accumulator --------------------------------------------- */

START_TEST(test_stats_init_and_zero)
{
    tm_loss_stats_t s;
    memset(&s, 0x5a, sizeof s);
    tm_loss_stats_init(&s);
    ck_assert_int_eq(s.num_triplets, 0);
    ck_assert_int_eq(s.active_triplets, 0);
    ck_assert_int_eq(s.skipped_anchors, 0);
    ck_assert_int_eq(s.infinite, 0);
    ck_assert(tm_loss_stats_sum(&s) == 0.0);
    /* Zero losses count as triplets, not as active ones. */
    tm_loss_stats_add(&s, 0.0f);
    tm_loss_stats_add(&s, -0.0f);
    ck_assert_int_eq(s.num_triplets, 2);
    ck_assert_int_eq(s.active_triplets, 0);
    ck_assert(tm_loss_stats_sum(&s) == 0.0);
    for (int i = 0; i < TM_LOSS_BINS; i++)
        ck_assert_int_eq(s.bins[i], 0);
}
END_TEST

START_TEST(test_stats_simple_sums)
{
    tm_loss_stats_t s;
    tm_loss_stats_init(&s);
    tm_loss_stats_add(&s, 1.0f);
    tm_loss_stats_add(&s, 2.0f);
    tm_loss_stats_add(&s, 0.0f);
    tm_loss_stats_add(&s, 0.5f);
    tm_loss_stats_add(&s, 0.1f);
    ck_assert_int_eq(s.num_triplets, 5);
    ck_assert_int_eq(s.active_triplets, 4);
    ck_assert_int_eq(s.skipped_anchors, 0);
    /* 3.5 + (double)0.1f is exact in double. */
    ck_assert(tm_loss_stats_sum(&s) == 3.5 + (double)0.1f);
}
END_TEST

/*
 * Whether long double arithmetic has its 64-bit significand when the test
 * runs: valgrind emulates the x87 unit with 53 bits, and the references
 * below are exact only with the full 64.
 */
static int long_double_is_extended(void)
{
    volatile long double one = 1.0L, tiny = 0x1p-63L;
    return one + tiny != one;
}

/* Sums compared with an exact long-double reference. */
START_TEST(test_stats_vs_long_double)
{
    if (!long_double_is_extended()) {
        fprintf(stderr, "test_stats_vs_long_double: skipped, long double has no 64-bit "
                        "significand here (valgrind?)\n");
        return;
    }
    /* 1 + 3 * 2^-24 + 2^-30 * 1.5 + 2^-40: exact in double. */
    static const float a[6] = {1.0f, 0x1p-24f, 0x1p-24f, 0x1p-24f, 0x1.8p-30f, 0x1p-40f};
    tm_loss_stats_t s;
    tm_loss_stats_init(&s);
    long double ref = 0;
    for (int i = 0; i < 6; i++) {
        tm_loss_stats_add(&s, a[i]);
        ref += a[i];
    }
    ck_assert_msg(tm_loss_stats_sum(&s) == (double)ref, "sum %a, long double %La",
                  tm_loss_stats_sum(&s), ref);
    /*
     * Random float32 values from 2^-20 to 2^13 (lowest bit 2^-43), 300 of
     * them (total below 2^22): the exact total has at most 64 significant
     * bits, so the long-double sum is exact and its rounding to double is
     * the correctly rounded total.
     */
    tm_rng_t r = tm_rng_make(42);
    for (int rep = 0; rep < 200; rep++) {
        tm_loss_stats_init(&s);
        ref = 0;
        for (int i = 0; i < 300; i++) {
            float v = (float)ldexp(1.0 + tm_rng_unit(&r), (int)tm_rng_below(&r, 33) - 20);
            tm_loss_stats_add(&s, v);
            ref += v;
        }
        ck_assert_msg(tm_loss_stats_sum(&s) == (double)ref, "rep %d: sum %a, exact %La", rep,
                      tm_loss_stats_sum(&s), ref);
    }
}
END_TEST

/*
 * The exact total 1 + 2^-53 + 2^-60 lies above the midpoint between 1 and
 * the next double, so the double nearest to it is 1 + 2^-52.
 */
START_TEST(test_stats_sum_correctly_rounded)
{
    tm_loss_stats_t s;
    tm_loss_stats_init(&s);
    tm_loss_stats_add(&s, 1.0f);
    tm_loss_stats_add(&s, 0x1p-53f);
    tm_loss_stats_add(&s, 0x1p-60f);
    long double exact = 1.0L + 0x1p-53L + 0x1p-60L;
    ck_assert_msg(tm_loss_stats_sum(&s) == (double)exact,
                  "sum of {1, 2^-53, 2^-60}: got %a, the nearest double is %a",
                  tm_loss_stats_sum(&s), (double)exact);
}
END_TEST

START_TEST(test_stats_subnormals_and_extremes)
{
    tm_loss_stats_t s;
    tm_loss_stats_init(&s);
    /* Seven copies of the smallest subnormal and one of the largest subnormal. */
    for (int i = 0; i < 7; i++)
        tm_loss_stats_add(&s, 0x1p-149f);
    tm_loss_stats_add(&s, 0x1.fffffcp-127f);
    ck_assert_int_eq(s.active_triplets, 8);
    ck_assert(tm_loss_stats_sum(&s) == 7 * 0x1p-149 + 0x1.fffffcp-127);
    /* The largest float, many times over: its multiples are exact in double. */
    tm_loss_stats_init(&s);
    for (int i = 0; i < 100000; i++)
        tm_loss_stats_add(&s, FLT_MAX);
    ck_assert_msg(tm_loss_stats_sum(&s) == 100000.0 * (double)FLT_MAX, "sum %a", tm_loss_stats_sum(&s));
    /* Subnormals next to 1 vanish in rounding, as they should. */
    tm_loss_stats_add(&s, 0x1p-149f);
    ck_assert(tm_loss_stats_sum(&s) == 100000.0 * (double)FLT_MAX);
    ck_assert_int_eq(s.num_triplets, 100001);
}
END_TEST

START_TEST(test_stats_infinite)
{
    tm_loss_stats_t s;
    tm_loss_stats_init(&s);
    tm_loss_stats_add(&s, 1.0f);
    tm_loss_stats_add(&s, INFINITY);
    ck_assert_int_eq(s.num_triplets, 2);
    ck_assert_int_eq(s.active_triplets, 2);
    ck_assert_int_eq(s.infinite, 1);
    ck_assert(tm_loss_stats_sum(&s) == INFINITY);
}
END_TEST

/* Values of every magnitude, subnormals and zeros included. */
static float wild_value(tm_rng_t *r)
{
    switch (tm_rng_below(r, 8)) {
    case 0: return 0.0f;
    case 1: return (float)ldexp(tm_rng_unit(r), -130); /* This is subnormal. */
    case 2: return (float)ldexp(1.0 + tm_rng_unit(r), (int)tm_rng_below(r, 200) - 100);
    case 3: return (float)ldexp(1.0 + tm_rng_unit(r), 100 + (int)tm_rng_below(r, 27));
    default: return (float)tm_rng_unit(r);
    }
}

/* Add b's bins and counts into a: the merge that the reduction performs. */
static void merge(tm_loss_stats_t *a, const tm_loss_stats_t *b)
{
    for (int i = 0; i < TM_LOSS_BINS; i++)
        a->bins[i] += b->bins[i];
    a->num_triplets += b->num_triplets;
    a->active_triplets += b->active_triplets;
    a->skipped_anchors += b->skipped_anchors;
    a->infinite += b->infinite;
}

START_TEST(test_stats_order_and_partition_invariant)
{
    enum { N = 3000, PARTS = 7 };
    tm_rng_t r = tm_rng_make(7 + (uint64_t)_i);
    float *v = tm_unit_alloc(N * sizeof *v);
    int64_t *idx = tm_unit_alloc(N * sizeof *idx);
    int64_t active = 0;
    for (int i = 0; i < N; i++) {
        v[i] = wild_value(&r);
        active += v[i] > 0.0f;
        idx[i] = i;
    }
    tm_loss_stats_t fwd, bwd, shuf, merged;
    tm_loss_stats_init(&fwd);
    tm_loss_stats_init(&bwd);
    tm_loss_stats_init(&shuf);
    for (int i = 0; i < N; i++) {
        tm_loss_stats_add(&fwd, v[i]);
        tm_loss_stats_add(&bwd, v[N - 1 - i]);
    }
    tm_rng_shuffle(&r, idx, N);
    for (int i = 0; i < N; i++)
        tm_loss_stats_add(&shuf, v[idx[i]]);

    /* Uneven partitions of the shuffled order, merged in reverse. */
    tm_loss_stats_t part[PARTS];
    for (int p = 0; p < PARTS; p++)
        tm_loss_stats_init(&part[p]);
    for (int i = 0; i < N; i++)
        tm_loss_stats_add(&part[(i * i + 3 * i) % PARTS], v[idx[i]]);
    tm_loss_stats_init(&merged);
    for (int p = PARTS - 1; p >= 0; p--)
        merge(&merged, &part[p]);

    double sf = tm_loss_stats_sum(&fwd);
    ck_assert_msg(isfinite(sf) && sf > 0.0, "sum %g", sf);
    ck_assert_msg(same_bits(sf, tm_loss_stats_sum(&bwd)), "reversed: %a vs %a", sf,
                  tm_loss_stats_sum(&bwd));
    ck_assert_msg(same_bits(sf, tm_loss_stats_sum(&shuf)), "shuffled: %a vs %a", sf,
                  tm_loss_stats_sum(&shuf));
    ck_assert_msg(same_bits(sf, tm_loss_stats_sum(&merged)), "partitioned: %a vs %a", sf,
                  tm_loss_stats_sum(&merged));
    ck_assert_int_eq(merged.num_triplets, N);
    ck_assert_int_eq(merged.active_triplets, active);
    ck_assert_int_eq(fwd.active_triplets, active);
    /* And the total is the right one (the long-double sum is close, not exact, here). */
    long double ref = 0;
    for (int i = 0; i < N; i++)
        ref += v[i];
    ck_assert_msg(fabsl(sf - ref) <= 1e-15L * ref, "sum %.17g, long double %.17Lg", sf, ref);
    free(v);
    free(idx);
}
END_TEST

static Suite *loss_suite(void)
{
    Suite *s = suite_create("loss");
    TCase *tc = tcase_create("value");
    tcase_add_test(tc, test_hinge_values);
    tcase_add_test(tc, test_softplus_log2);
    tcase_add_test(tc, test_softplus_vs_long_double);
    tcase_add_test(tc, test_softplus_large);
    tcase_add_test(tc, test_softplus_large_negative);
    suite_add_tcase(s, tc);

    tc = tcase_create("stats");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_stats_init_and_zero);
    tcase_add_test(tc, test_stats_simple_sums);
    tcase_add_test(tc, test_stats_vs_long_double);
    tcase_add_test(tc, test_stats_sum_correctly_rounded);
    tcase_add_test(tc, test_stats_subnormals_and_extremes);
    tcase_add_test(tc, test_stats_infinite);
    tcase_add_loop_test(tc, test_stats_order_and_partition_invariant, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    return tm_unit_run(loss_suite(), "unit_loss", argv[0], 0);
}
