/*
 * test_shard.c - the block partition of the rows (shard.h): every row
 * owned by exactly one rank, in rank order, block sizes within one of
 * each other, the larger blocks first; and the per-row norms.
 */
#include <math.h>
#include <string.h>

#include "tm_unit.h"
#include "comm/shard.h"

static void check_partition(int64_t n_global, int nranks)
{
    int64_t next = 0, smallest = INT64_MAX, largest = -1, prev_n = INT64_MAX;
    for (int r = 0; r < nranks; r++) {
        int64_t lo = -99, n = -99;
        tm_shard_range(n_global, nranks, r, &lo, &n);
        /* Contiguous and in rank order: rows [0, N) covered once each. */
        ck_assert_msg(lo == next, "N %lld, %d ranks, rank %d: lo %lld, expected %lld",
                      (long long)n_global, nranks, r, (long long)lo, (long long)next);
        ck_assert_msg(n >= 0, "N %lld, %d ranks, rank %d: n %lld", (long long)n_global, nranks, r,
                      (long long)n);
        /* The first N % nranks ranks get the extra row: sizes never grow. */
        ck_assert_msg(n <= prev_n, "N %lld, %d ranks: rank %d has %lld rows, rank %d %lld",
                      (long long)n_global, nranks, r, (long long)n, r - 1, (long long)prev_n);
        ck_assert_int_eq(n, n_global / nranks + (r < n_global % nranks ? 1 : 0));
        next = lo + n;
        prev_n = n;
        smallest = n < smallest ? n : smallest;
        largest = n > largest ? n : largest;
    }
    ck_assert_msg(next == n_global, "N %lld, %d ranks: the blocks end at %lld",
                  (long long)n_global, nranks, (long long)next);
    ck_assert_msg(largest - smallest <= 1, "N %lld, %d ranks: sizes from %lld to %lld",
                  (long long)n_global, nranks, (long long)smallest, (long long)largest);
}

/* Loop index: the rank count, 1 .. 8. */
START_TEST(test_range_covers_once)
{
    static const int64_t ns[6] = {0, 1, 2, 3, 7, 100};
    for (int k = 0; k < 6; k++)
        check_partition(ns[k], _i);
}
END_TEST

START_TEST(test_range_fewer_rows_than_ranks)
{
    /* N = 3 on 8 ranks: ranks 0..2 one row each, the rest none, lo at the end. */
    for (int r = 0; r < 8; r++) {
        int64_t lo = -1, n = -1;
        tm_shard_range(3, 8, r, &lo, &n);
        ck_assert_int_eq(n, r < 3 ? 1 : 0);
        ck_assert_int_eq(lo, r < 3 ? r : 3);
    }
    int64_t lo = -1, n = -1;
    tm_shard_range(0, 4, 3, &lo, &n);
    ck_assert(lo == 0 && n == 0);
}
END_TEST

START_TEST(test_range_large)
{
    /* Row counts beyond 32 bits, rank counts of a big job. */
    check_partition(((int64_t)1 << 40) + 3, 7);
    check_partition(((int64_t)1 << 33) - 1, 4096);
    int64_t lo = 0, n = 0;
    tm_shard_range(((int64_t)1 << 40) + 3, 7, 6, &lo, &n);
    ck_assert_int_eq(lo + n, ((int64_t)1 << 40) + 3);
}
END_TEST

START_TEST(test_sqnorms)
{
    const float emb[3 * 3] = {3, 4, 0, 0, 0, 0, 0x1p-149f, -1e19f, 0.1f};
    double out[4] = {-1, -1, -1, -7};
    tm_shard_sqnorms(emb, 3, 3, out);
    ck_assert(out[0] == 25.0);
    ck_assert(out[1] == 0.0);
    /* Row 2 mixes a subnormal and a value whose square overflows float32. */
    double want = 0.0;
    want += (double)emb[6] * (double)emb[6];
    want += (double)emb[7] * (double)emb[7];
    want += (double)emb[8] * (double)emb[8];
    ck_assert_msg(out[2] == want, "%a != %a", out[2], want);
    ck_assert(isfinite(out[2]));
    /* Nothing is written past n rows. */
    ck_assert(out[3] == -7);
}
END_TEST

START_TEST(test_free_zeroes)
{
    tm_shard_t s;
    memset(&s, 0, sizeof s);
    s.n_global = 10;
    s.n = 2;
    s.dim = 3;
    s.emb = tm_unit_alloc(6 * sizeof(float));
    s.labels = tm_unit_alloc(2 * sizeof(int64_t));
    s.sqnorm = tm_unit_alloc(2 * sizeof(double));
    tm_shard_free(&s);
    ck_assert(s.emb == NULL && s.labels == NULL && s.sqnorm == NULL);
    ck_assert(s.n == 0 && s.n_global == 0 && s.dim == 0);
    /* Freeing an empty shard again is harmless. */
    tm_shard_free(&s);
}
END_TEST

static Suite *shard_suite(void)
{
    Suite *s = suite_create("shard");
    TCase *tc = tcase_create("range");
    tcase_add_loop_test(tc, test_range_covers_once, 1, 9);
    tcase_add_test(tc, test_range_fewer_rows_than_ranks);
    tcase_add_test(tc, test_range_large);
    suite_add_tcase(s, tc);
    tc = tcase_create("rows");
    tcase_add_test(tc, test_sqnorms);
    tcase_add_test(tc, test_free_zeroes);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    return tm_unit_run(shard_suite(), "unit_shard", argv[0], 0);
}
