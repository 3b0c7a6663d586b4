/*
 * budget.c - the memory budget of a rank (budget.h).
 */
#include "run/budget.h"

#include <stdio.h>
#include <unistd.h>

#include "comm/exchange.h"
#include "run/sweep.h"

/* The most the two candidate buffers take with --chunk auto. */
#define TM_MAX_BUF_BYTES ((int64_t)128 << 20)

int64_t tm_budget_per_rank(const tm_run_params_t *run, MPI_Comm comm)
{
    if (run->mem_limit > 0)
        return run->mem_limit;
    MPI_Comm node;
    int local = 1;
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
        MPI_Comm_size(node, &local);
        MPI_Comm_free(&node);
    }
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0)
        return (int64_t)4 << 30;
    return (int64_t)pages * page / 2 / local;
}

int64_t tm_budget_chunk(const tm_run_params_t *run, const tm_mine_params_t *mine,
                        const tm_rule_t *rule, const tm_budget_need_t *need, int nranks,
                        int64_t budget, tm_err_t *err)
{
    /* The anchors: rows, labels, norms, indices and their roots. */
    const int64_t apack = tm_sweep_pack_bytes(need->kernel, need->anchors, 0, need->dim);
    const int64_t shard = tm_state_bytes(need->anchors, need->dim * 4 + 8 + 8 + 8 + 8,
                                         need->held + apack);
    /* A fast kernel packs each round's rows: bytes per 1024 rows of a round. */
    const int64_t cpack = tm_sweep_pack_bytes(need->kernel, 0, 1024, need->dim);
    const tm_engine_size_t sz = {need->anchors, need->candidates, budget};
    const int64_t state = tm_rule_state_bytes(rule, mine, &sz);
    const int64_t fixed = state > INT64_MAX - shard ? INT64_MAX : shard + state;
    /* A pool of M per anchor is what usually does not fit: say so. */
    char pool[160] = "";
    if (mine->neg_pool >= 0)
        snprintf(pool, sizeof pool, "; --neg-pool %lld keeps that many negatives per anchor: "
                 "lower it or use more ranks", (long long)mine->neg_pool);
    if (run->chunk > 0) {
        if (fixed <= budget)
            return run->chunk;
        tm_err_set(err, TM_ENOMEM,
                   "the memory budget of %lld bytes per rank is too small: the shard and the "
                   "state of the %s rule take %s%lld (--mem-limit%s)",
                   (long long)budget, rule->name, fixed == INT64_MAX ? "more than " : "",
                   (long long)fixed, pool);
        return -1;
    }
    int64_t left = fixed >= budget ? -1 : (budget - fixed) / 2;
    int64_t least = tm_exchange_bytes(need->candidates, need->dim, nranks, 1);
    if (need->streamed)
        least += tm_exchange_stream_bytes(need->dim, 1);
    if (left < least) {
        tm_err_set(err, TM_ENOMEM,
                   "the memory budget of %lld bytes per rank is too small: the shard and its "
                   "state take %lld and the exchange at least %lld more (--mem-limit%s)",
                   (long long)budget, (long long)fixed, (long long)least, pool);
        return -1;
    }
    if (left > TM_MAX_BUF_BYTES)
        left = TM_MAX_BUF_BYTES;
    /* A streamed block also needs one chunk to send from: leave it its share. */
    if (need->streamed)
        left -= left / (2 * (int64_t)nranks + 1);
    /* The packed rows of a round grow with the chunk as the buffers do: share. */
    const int64_t unit = tm_exchange_bytes(need->candidates, need->dim, nranks, 1);
    const double packed_unit = (double)cpack * (double)nranks / 1024.0;
    left = (int64_t)((double)left * (double)unit / ((double)unit + packed_unit));
    int64_t chunk = tm_exchange_auto_chunk(need->candidates, need->dim, nranks, left);
    if (need->parted) {
        /*
         * Partitioned mining also regroups each round by partition (a copy,
         * packed again): the same rounds while all of it fits what the
         * budget leaves (larger rounds cut fewer partitions), else smaller.
         */
        const double regrouped = (double)nranks * (double)(need->dim * 4 + 48 + cpack / 1024);
        const double per_row = (double)unit + packed_unit + regrouped;
        const double room = (double)(budget - fixed);
        if ((double)chunk * per_row > room)
            chunk = room / per_row >= 1.0 ? (int64_t)(room / per_row) : 1;
    }
    return chunk;
}
