/*
 * mine.h - the mining driver: read, stream every candidate past every
 * anchor, finish the choices, write the output, reduce the summary.
 */
#ifndef TRIPMINER_MINE_H
#define TRIPMINER_MINE_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

#include "tripminer/err.h"
#include "tripminer/opts.h"

/* What a run reports (valid on rank 0 after tm_mine_run). */
typedef struct tm_mine_summary {
    int64_t num_embeddings, dim, num_triplets, active_triplets, skipped_anchors;
    int ranks;
    int64_t chunk, rounds;
    double loss_sum, loss_mean, loss_mean_active;
    double seconds;
} tm_mine_summary_t;

/*
 * Run "tripminer mine" with parsed options over comm: on success the
 * output file exists and sum (rank 0) holds the summary. Every rank
 * returns the same code; err holds the agreed message. Collective over
 * comm.
 */
int tm_mine_run(const tm_mine_opts_t *opts, MPI_Comm comm, tm_mine_summary_t *sum,
                tm_err_t *err);

/* Print the summary as text or as one JSON object on f. Local. */
void tm_mine_print_summary(const tm_mine_opts_t *opts, const tm_mine_summary_t *sum,
                           FILE *f);

#endif
