/*
 * miner.c - the selection state of the chosen rule, behind one interface
 * for the driver: init, tile updates, finish, and bytes for checkpoints.
 */
#include "rules/miner.h"

#include <string.h>

#include "rules/state_io.h"
#include "tripminer/err.h"

int miner_passes(const miner_t *mn)
{
    return mn->kind == RULE_SEMI ? 2 : 1;
}

int miner_needs_tiles(const miner_t *mn)
{
    return !(mn->kind == RULE_SEMI && mn->pass == 1 && !tm_semi_pass1_needs_tiles(&mn->semi));
}

void miner_update(miner_t *mn, const tm_rows_t *anch, int64_t a0, int64_t a1,
                         const tm_rows_t *cand, int64_t c0, int64_t c1, const float *G,
                         double *scratch)
{
    switch (mn->kind) {
    case RULE_HARD:
        tm_hard_update(&mn->hard, mn->metric, mn->bound, anch, a0, a1, cand, c0, c1, G, scratch);
        break;
    case RULE_NEAREST:
        tm_nearest_update(&mn->nearest, mn->metric, mn->bound, anch, a0, a1, cand, c0, c1, G,
                          scratch);
        break;
    case RULE_SEMI:
        if (mn->pass == 1)
            tm_semi_update1(&mn->semi, mn->metric, mn->bound, anch, a0, a1, cand, c0, c1, G);
        else
            tm_semi_update2(&mn->semi, mn->metric, mn->bound, anch, a0, a1, cand, c0, c1, G,
                            scratch);
        break;
    }
}

int miner_init(miner_t *mn, const tm_mine_opts_t *o, int64_t n, int64_t dim,
                      int64_t budget)
{
    memset(mn, 0, sizeof *mn);
    mn->pass = 1;
    mn->metric = o->metric;
    mn->bound = tm_kern_bound(dim);
    tm_negfilter_t f = {o->has_neg_min_dist, o->neg_min_dist, o->neg_skip};
    if (o->strategy == TM_STRATEGY_SEMIHARD) {
        mn->kind = RULE_SEMI;
        return tm_semi_init(&mn->semi, n, o->positives, f, budget);
    }
    if (o->strategy == TM_STRATEGY_TOPK || f.has_min_dist || f.skip > 0) {
        mn->kind = RULE_NEAREST;
        return tm_nearest_init(&mn->nearest, n, o->strategy == TM_STRATEGY_TOPK ? o->negatives : 1,
                               f);
    }
    mn->kind = RULE_HARD;
    return tm_hard_init(&mn->hard, n);
}

void miner_free(miner_t *mn)
{
    tm_hard_free(&mn->hard);
    tm_nearest_free(&mn->nearest);
    tm_semi_free(&mn->semi);
}

int miner_finish(const miner_t *mn, const int64_t *gid, tm_triplets_t *out)
{
    switch (mn->kind) {
    case RULE_HARD: return tm_hard_finish(&mn->hard, gid, out);
    case RULE_NEAREST: return tm_nearest_finish(&mn->nearest, gid, out);
    case RULE_SEMI: return tm_semi_finish(&mn->semi, gid, out);
    }
    return TM_EINTERNAL;
}


void miner_save(const miner_t *mn, tm_buf_t *b)
{
    switch (mn->kind) {
    case RULE_HARD: tm_state_put_hard(b, &mn->hard); break;
    case RULE_NEAREST: tm_state_put_nearest(b, &mn->nearest); break;
    case RULE_SEMI: tm_state_put_semi(b, &mn->semi, mn->pass == 2); break;
    }
}

int miner_load(miner_t *mn, tm_buf_t *b)
{
    int rc = TM_EINTERNAL;
    switch (mn->kind) {
    case RULE_HARD: rc = tm_state_get_hard(b, &mn->hard); break;
    case RULE_NEAREST: rc = tm_state_get_nearest(b, &mn->nearest); break;
    case RULE_SEMI: rc = tm_state_get_semi(b, &mn->semi, mn->pass == 2); break;
    }
    if (rc == 0 && tm_buf_left(b) != 0)
        rc = TM_EINPUT; /* trailing bytes: not this state */
    return rc;
}
