/*
 * test_loss_mpi.c - the reduction of the loss statistics to rank 0
 * (tm_loss_stats_reduce). Written for any number of ranks, registered on
 * one: rank 0 replays every rank's additions and expects the same bins.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "tm_unit_mpi.h"
#include "core/loss.h"

/* The losses of rank r: a deterministic mix of magnitudes and zeros. */
static void fill_rank(tm_loss_stats_t *s, int r, int count)
{
    tm_rng_t g = tm_rng_make(900 + (uint64_t)r);
    for (int i = 0; i < count; i++) {
        float v;
        switch (tm_rng_below(&g, 5)) {
        case 0: v = 0.0f; break;
        case 1: v = (float)ldexp(tm_rng_unit(&g), -140); break; /* This is subnormal. */
        case 2: v = (float)ldexp(1.0 + tm_rng_unit(&g), (int)tm_rng_below(&g, 60) - 30); break;
        default: v = (float)tm_rng_unit(&g); break;
        }
        tm_loss_stats_add(s, v);
    }
    s->skipped_anchors += r + 2;
}

START_TEST(test_reduce)
{
    const int rank = tm_unit_rank(), size = tm_unit_size();
    tm_loss_stats_t local, out, want;
    tm_loss_stats_init(&local);
    fill_rank(&local, rank, 500 + 37 * rank);
    memset(&out, 0x5a, sizeof out);
    int rc = tm_loss_stats_reduce(&local, &out, MPI_COMM_WORLD);
    TM_ALL_ASSERT(rc == 0, "rank %d: tm_loss_stats_reduce returned %d", rank, rc);

    /* What rank 0 must hold: every rank's additions replayed here. */
    tm_loss_stats_init(&want);
    for (int r = 0; r < size; r++)
        fill_rank(&want, r, 500 + 37 * r);
    int ok = 1;
    char why[256] = "";
    if (rank == 0) {
        if (memcmp(out.bins, want.bins, sizeof want.bins) != 0)
            snprintf(why, sizeof why, "bins differ");
        else if (out.num_triplets != want.num_triplets ||
                 out.active_triplets != want.active_triplets ||
                 out.skipped_anchors != want.skipped_anchors || out.infinite != want.infinite)
            snprintf(why, sizeof why, "counts %lld/%lld/%lld/%lld, expected %lld/%lld/%lld/%lld",
                     (long long)out.num_triplets, (long long)out.active_triplets,
                     (long long)out.skipped_anchors, (long long)out.infinite,
                     (long long)want.num_triplets, (long long)want.active_triplets,
                     (long long)want.skipped_anchors, (long long)want.infinite);
        else if (tm_loss_stats_sum(&out) != tm_loss_stats_sum(&want))
            snprintf(why, sizeof why, "sum %a, expected %a", tm_loss_stats_sum(&out),
                     tm_loss_stats_sum(&want));
        ok = why[0] == '\0';
        if (ok && size == 1)
            ok = memcmp(&out, &local, sizeof out) == 0;
    }
    TM_ALL_ASSERT(ok, "rank %d: reduced statistics wrong: %s", rank, why);
    TM_ALL_ASSERT(rank != 0 || want.active_triplets > 0, "test data has no active losses");
}
END_TEST

START_TEST(test_reduce_infinite_and_empty)
{
    const int rank = tm_unit_rank();
    tm_loss_stats_t local, out;
    tm_loss_stats_init(&local);
    /* Rank 0 sees an infinite loss, the others nothing at all. */
    if (rank == 0) {
        tm_loss_stats_add(&local, 2.0f);
        tm_loss_stats_add(&local, INFINITY);
    }
    tm_loss_stats_init(&out);
    int rc = tm_loss_stats_reduce(&local, &out, MPI_COMM_WORLD);
    TM_ALL_ASSERT(rc == 0, "rank %d: rc %d", rank, rc);
    int ok = rank != 0 || (out.infinite == 1 && out.num_triplets == 2 &&
                           out.active_triplets == 2 && tm_loss_stats_sum(&out) == INFINITY);
    TM_ALL_ASSERT(ok, "rank %d: infinite %lld, triplets %lld, sum %g", rank,
                  (long long)out.infinite, (long long)out.num_triplets, tm_loss_stats_sum(&out));
}
END_TEST

static Suite *loss_mpi_suite(void)
{
    Suite *s = suite_create("loss_mpi");
    TCase *tc = tcase_create("reduce");
    tcase_add_test(tc, test_reduce);
    tcase_add_test(tc, test_reduce_infinite_and_empty);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return tm_unit_mpi_main(loss_mpi_suite, "unit_loss_mpi", argc, argv);
}
