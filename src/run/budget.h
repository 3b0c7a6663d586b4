/*
 * budget.h - the memory budget of a rank and what it is spent on: the
 * shard, the rule's state (charged through the rule's state_bytes) and the
 * two candidate buffers of the exchange, whose size sets --chunk auto.
 */
#ifndef TM_RUN_BUDGET_H
#define TM_RUN_BUDGET_H

#include <mpi.h>
#include <stdint.h>

#include "core/kernel.h"
#include "rules/rule.h"
#include "tripminer/err.h"
#include "tripminer/params.h"

/*
 * The memory budget per rank: --mem-limit, or half of the node's memory
 * shared by the ranks on the node. Collective over comm.
 */
int64_t tm_budget_per_rank(const tm_run_params_t *run, MPI_Comm comm);

/* What a rank holds through the rounds, besides the rule's state. */
typedef struct tm_budget_need {
    int64_t anchors;     /* local anchors */
    int64_t candidates;  /* candidate rows of the whole job */
    int64_t dim;
    int64_t held;        /* other bytes held (exclusion lists, readers) */
    int streamed;        /* candidates are read a round at a time (a send buffer) */
    const tm_kernel_t *kernel; /* the tile kernel: a fast one holds packed rows (run/sweep.h) */
    int parted;          /* partitioned: each round is also regrouped (run/psweep.h) */
} tm_budget_need_t;

/*
 * The rows per rank and round: --chunk, or as many as let the candidate
 * buffers take half of what the budget leaves after the anchors, what
 * else is held and the rule's state. -1 with err set when those do not
 * fit the budget (with --chunk too) or leave too little for the exchange.
 * Local (the same verdict on every rank only if their shards are alike:
 * agree on it).
 */
int64_t tm_budget_chunk(const tm_run_params_t *run, const tm_mine_params_t *mine,
                        const tm_rule_t *rule, const tm_budget_need_t *need, int nranks,
                        int64_t budget, tm_err_t *err);

#endif
