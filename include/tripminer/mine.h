/*
 * mine.h - run a mining job: read, stream every candidate past every
 * anchor, finish the rule's choices, write the output, reduce the summary.
 */
#ifndef TRIPMINER_MINE_H
#define TRIPMINER_MINE_H

#include <mpi.h>
#include <stdio.h>

#include "tripminer/err.h"
#include "tripminer/params.h"

/*
 * Run a mining job over comm: on success the output file exists and sum
 * (rank 0) holds the summary. Every rank returns the same code; err holds
 * the agreed message. Collective over comm.
 */
int tm_mine_run(const tm_mine_params_t *mine, const tm_run_params_t *run,
                const tm_talk_params_t *talk, MPI_Comm comm, tm_mine_summary_t *sum,
                tm_err_t *err);

/* Print the summary as text or (talk->json) as one JSON object on f. Local. */
void tm_mine_print_summary(const tm_mine_params_t *mine, const tm_run_params_t *run,
                           const tm_talk_params_t *talk, const tm_mine_summary_t *sum, FILE *f);

/*
 * Run tripminer eval over comm: the same reading, sharding and rounds as
 * tm_mine_run over the data mine names (its strategy and the options of
 * the choice of negatives are not used); the report (when run->output) and
 * sum (rank 0). Collective over comm.
 */
int tm_eval_run(const tm_mine_params_t *mine, const tm_eval_params_t *eval,
                const tm_run_params_t *run, const tm_talk_params_t *talk, MPI_Comm comm,
                tm_eval_summary_t *sum, tm_err_t *err);

/* Print the eval summary as text or (talk->json) JSON on f. Local. */
void tm_eval_print_summary(const tm_mine_params_t *mine, const tm_eval_params_t *eval,
                           const tm_run_params_t *run, const tm_talk_params_t *talk,
                           const tm_eval_summary_t *sum, FILE *f);

#endif
