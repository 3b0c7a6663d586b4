/*
 * loss.h - per-triplet loss and the run's loss statistics.
 *
 * The sum of the per-triplet float32 losses is accumulated exactly (each
 * float32 is an integer times a power of two; integers are summed per
 * power), so that it is the same bits for any number of ranks, then read
 * out as a double.
 */
#ifndef TRIPMINER_LOSS_H
#define TRIPMINER_LOSS_H

#include <mpi.h>
#include <stdint.h>

#include "tripminer/metric.h"

/*
 * Bins of the exact accumulator, one per power of two from 2^-172 (the
 * weight of a float32 subnormal's 24-bit mantissa) up to 2^191 (a sum of
 * 2^63 values near the float32 maximum, after carries).
 */
#define TM_LOSS_BINS 364

/* Local (then reduced) loss statistics. */
typedef struct tm_loss_stats {
    int64_t bins[TM_LOSS_BINS]; /* sum of mantissas per binary exponent */
    int64_t num_triplets;
    int64_t active_triplets;    /* triplets with float32 loss > 0 */
    int64_t skipped_anchors;
    int64_t infinite;           /* losses that were +inf */
} tm_loss_stats_t;

/* The loss of one triplet, in double, from exact distances. Local. */
double tm_loss_value(tm_loss_kind_t kind, double margin, double d_ap, double d_an);

/* Zero the statistics. Local. */
void tm_loss_stats_init(tm_loss_stats_t *s);

/* Count one triplet whose loss, rounded to float32, is loss. Local. */
void tm_loss_stats_add(tm_loss_stats_t *s, float loss);

/* The exact sum so far, as a double (deterministic). Local. */
double tm_loss_stats_sum(const tm_loss_stats_t *s);

/*
 * Sum the statistics of every rank into out on rank 0 (MPI_Reduce).
 * Returns 0 or TM_EMPI. Collective over comm.
 */
int tm_loss_stats_reduce(const tm_loss_stats_t *local, tm_loss_stats_t *out, MPI_Comm comm);

#endif
