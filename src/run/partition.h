/*
 * partition.h - the partitions of partitioned mining (--partitions): a
 * k-means on a seeded sample of the candidates, every candidate's own
 * partition (its nearest centre) and each anchor's probe list (its P
 * nearest centres), all by exact distances with ties to the smaller
 * index, so that the same centres and lists come out for any rank count,
 * chunk, thread count and kernel (docs/contract.md, "Partitions").
 *
 * The centres' sums are kept in 64-bit fixed point, whose additions are
 * exact and so independent of order: a rank count cannot change a bit.
 */
#ifndef TM_RUN_PARTITION_H
#define TM_RUN_PARTITION_H

#include <mpi.h>
#include <stdint.h>

#include "comm/shard.h"
#include "core/kernels.h"
#include "core/rows.h"
#include "tripminer/err.h"
#include "tripminer/params.h"

typedef struct tm_parts {
    int64_t count;      /* partitions C (resolved from auto, at most the candidates) */
    int64_t probe;      /* partitions per anchor P (at most C) */
    int64_t dim;
    tm_metric_t metric;
    int iterations;     /* k-means iterations run */
    int64_t sample;     /* rows of the k-means sample, over all ranks */
    int64_t scored;     /* exact distances to centres this rank computed */
    double t_kmeans, t_probes; /* seconds this rank spent on them (-v) */
    float *cent;        /* count x dim: the centres */
    double *csq, *cnorm;
    int32_t *own;       /* per candidate row of this rank's shard: its partition */
    int32_t *probes;    /* per local anchor: its P partitions, nearest first */
    /*
     * Per local anchor: a lower bound on the distance, in geometric units
     * (tm_parts_geo), from the anchor to every row of a partition it does
     * not probe (+inf when it probes them all): the exact distance to the
     * nearest centre it does not probe, less the largest radius.
     */
    double *reach;
    double radius;      /* the largest geometric distance of a row to its centre */
    /* The kernel of the distances to the centres, and the centres packed for it. */
    const tm_kernel_t *kernel;
    tm_kpack_t cpack;
} tm_parts_t;

/* The partitions a run uses: given (-1: auto, about 4 sqrt(n)), at most n, at least 1. */
int64_t tm_parts_resolve(int64_t given, int64_t n);

/* Rows [first, first + count) of a shard not held in memory (run/inputs.h's reader). */
typedef int (*tm_parts_fill_fn)(void *ctx, int64_t first, int64_t count, float *emb,
                                int64_t *labels, tm_err_t *err);

/*
 * Build the partitions of the candidates cand (the rank's shard: in
 * memory, or read through fill with ctx when cand->emb is NULL) for the
 * anchors anch: anchors_are_cand says the anchors are the
 * shard's own rows, in order (then the probe lists give the own
 * partitions). threads compute, the dot products with the centres by
 * kernel (float32 where it refuses; no bit of the result depends on it).
 * 0, or an error agreed by every rank.
 * Collective over comm.
 */
int tm_parts_build(tm_parts_t *pt, const tm_mine_params_t *mine, const tm_shard_t *cand,
                   tm_parts_fill_fn fill, void *ctx, const tm_rows_t *anch, int anchors_are_cand,
                   const tm_kernel_t *kernel, int threads, MPI_Comm comm, tm_err_t *err);

void tm_parts_free(tm_parts_t *pt);

/*
 * A value of the metric as a distance in the space where the partitions'
 * triangle inequality holds: euclidean between the rows (sqeuclidean,
 * euclidean) or between their directions (cosine). Local.
 */
double tm_parts_geo(tm_metric_t metric, double value);

#endif
