/*
 * evalcalc.h - the values of the report of `tripminer eval`: the records
 * of every rank gathered to rank 0 in query order, the means, the
 * per-class values, the suspects and the confused label pairs computed
 * there in one fixed order (so the same numbers for any rank count), then
 * written by io/evalwrite.c.
 */
#ifndef TM_RUN_EVALCALC_H
#define TM_RUN_EVALCALC_H

#include <mpi.h>

#include "engines/results.h"
#include "tripminer/mine.h"

/*
 * Gather the n local records, compute, write the report (-o, when given)
 * and fill sum (rank 0). Collective: every rank returns the same code.
 */
int tm_eval_report(const tm_eval_rec_t *rec, int64_t n, const tm_mine_params_t *mine,
                   const tm_eval_params_t *eval, const tm_run_params_t *run, int64_t candidates,
                   MPI_Comm comm, tm_eval_summary_t *sum, tm_err_t *err);

#endif
