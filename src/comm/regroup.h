/*
 * regroup.h - rows moved, once, to the rank that owns their partition
 * (partitioned mining): rank q receives every row of partitions
 * [first[q], first[q + 1]), with its global index and label, so that the
 * rounds of the exchange deliver whole partitions and each rank holds
 * about N / ranks rows.
 *
 * The partitions are given to the ranks in order, a partition to the
 * rank whose share of the rows (tm_shard_range over the partitions'
 * running row counts) holds the partition's first row; a rank may own
 * none. A rank's rows are ordered by (partition, label, global index),
 * whatever the order in which they arrived.
 */
#ifndef TM_COMM_REGROUP_H
#define TM_COMM_REGROUP_H

#include <mpi.h>
#include <stdint.h>

#include "comm/exchange.h"
#include "comm/shard.h"
#include "tripminer/err.h"

typedef struct tm_regrouped {
    tm_shard_t shard;     /* what the exchange streams: emb, labels, sqnorm, and: */
    int64_t *gid;         /* per row: its global index */
    int32_t *part;        /* per row: its partition */
    int64_t *rank_n;      /* per rank: its rows */
    int64_t *first;       /* per rank + 1: its first partition */
} tm_regrouped_t;

/*
 * Move the rows of src (in memory, or read through fill with ctx when
 * src->emb is NULL), row i of which lies in partition part[i] of parts,
 * to their owners, piece rows per rank at a time. 0, or an error agreed
 * by every rank (out is then freed). Collective over comm.
 */
int tm_regroup(MPI_Comm comm, const tm_shard_t *src, tm_exchange_fill_fn fill, void *ctx,
               const int32_t *part, int64_t parts, int64_t piece, tm_regrouped_t *out,
               tm_err_t *err);

/* Bytes a rank holds for about rows regrouped rows of dim floats. Local. */
int64_t tm_regroup_bytes(int64_t rows, int64_t dim);

void tm_regrouped_free(tm_regrouped_t *g);

#endif
