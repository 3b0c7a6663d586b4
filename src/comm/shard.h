/*
 * shard.h - the rows one rank owns: a contiguous block of the data set.
 */
#ifndef TRIPMINER_SHARD_H
#define TRIPMINER_SHARD_H

#include <stdint.h>

/* A rank's block of rows [lo, lo + n) of an n_global x dim data set. */
typedef struct tm_shard {
    int64_t n_global;  /* rows in the whole data set (agreed by all ranks) */
    int64_t dim;       /* D */
    int64_t lo;        /* global index of the first local row */
    int64_t n;         /* local rows; may be 0 */
    float *emb;        /* n x dim, row-major, as used for mining */
    int64_t *labels;   /* n labels, compared for equality only */
    double *sqnorm;    /* n squared norms, computed in double */
    /*
     * Optional (NULL: none): each row's partition, which travels with the
     * row through the exchange (partitioned mining; not owned by the shard).
     */
    const int32_t *part;
    /*
     * Optional, for a block regrouped by partition (comm/regroup.h; not
     * owned): each row's global index (NULL: lo + i) and every rank's row
     * count (NULL: tm_shard_range's split).
     */
    const int64_t *gid;
    const int64_t *rank_n;
} tm_shard_t;

/*
 * The block of rank `rank` of `nranks` over n_global rows: the first
 * n_global % nranks ranks get one row more. Local (every rank computes
 * every rank's range the same way).
 */
void tm_shard_range(int64_t n_global, int nranks, int rank, int64_t *lo, int64_t *n);

/* Squared norms of n rows of dim floats, in double. Local. */
void tm_shard_sqnorms(const float *emb, int64_t n, int64_t dim, double *sqnorm);

/* Release the arrays of a shard and zero it. Local. */
void tm_shard_free(tm_shard_t *s);

#endif
