/*
 * budget.h - the memory budget of a rank and what it is spent on: the
 * shard, the rule's state (charged through the rule's state_bytes) and the
 * two candidate buffers of the exchange, whose size sets --chunk auto.
 */
#ifndef TM_RUN_BUDGET_H
#define TM_RUN_BUDGET_H

#include <mpi.h>
#include <stdint.h>

#include "dist/shard.h"
#include "rules/rule.h"
#include "tripminer/err.h"
#include "tripminer/params.h"

/*
 * The memory budget per rank: --mem-limit, or half of the node's memory
 * shared by the ranks on the node. Collective over comm.
 */
int64_t tm_budget_per_rank(const tm_run_params_t *run, MPI_Comm comm);

/*
 * The rows per rank and round: --chunk, or as many as let both candidate
 * buffers take half of what the budget leaves after the shard and the
 * rule's state. -1 with err set when the shard and the state do not fit
 * the budget (with --chunk too) or leave too little for the exchange.
 * Local (the same verdict on every rank only if their shards are alike:
 * agree on it).
 */
int64_t tm_budget_chunk(const tm_run_params_t *run, const tm_mine_params_t *mine,
                        const tm_rule_t *rule, const tm_shard_t *s, int nranks, int64_t budget,
                        tm_err_t *err);

#endif
