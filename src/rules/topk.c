/*
 * topk.c - the topk rule: per anchor, the K nearest negatives that pass the
 * negative filters (past the --neg-skip nearest), each with the hardest
 * positive. Its state is the nearest list of nearest.c, or the choice of
 * pick.h when an option of the choice is given.
 */
#include <stdlib.h>

#include "rules/pick.h"
#include "rules/rule.h"

typedef struct topk_rule {
    tm_nearest_t near;
    tm_pick_t *pick;
} topk_rule_t;

/* The list keeps the skipped negatives and K more, at most every candidate. */
static int64_t topk_cap(const tm_mine_params_t *p, const tm_rule_size_t *sz)
{
    const int64_t want = p->negatives > INT64_MAX - p->neg_skip ? INT64_MAX
                                                                 : p->neg_skip + p->negatives;
    return tm_rule_list_cap(want, sz);
}

extern const tm_rule_t tm_rule_topk; /* below */

static int topk_passes(const tm_mine_params_t *p)
{
    return tm_rule_choosing(&tm_rule_topk, p) ? 2 : 1;
}

static int64_t topk_bytes(const tm_mine_params_t *p, const tm_rule_size_t *sz)
{
    if (tm_rule_choosing(&tm_rule_topk, p))
        return tm_pick_bytes(p, sz, p->negatives, 0);
    return tm_nearest_bytes(sz->anchors, topk_cap(p, sz));
}

static int topk_create(void **out, const tm_mine_params_t *p, const tm_rule_size_t *sz)
{
    topk_rule_t *st = calloc(1, sizeof *st);
    *out = st;
    if (st == NULL)
        return TM_ENOMEM;
    if (tm_rule_choosing(&tm_rule_topk, p))
        return tm_pick_create(&st->pick, p, sz, p->negatives, 0);
    return tm_nearest_init(&st->near, sz->anchors, topk_cap(p, sz) - p->neg_skip,
                           tm_rule_negfilter(p));
}

static void topk_destroy(void *vst)
{
    topk_rule_t *st = vst;
    if (st == NULL)
        return;
    tm_nearest_free(&st->near);
    tm_pick_destroy(st->pick);
    free(st);
}

static size_t topk_block_bytes(const void *vst)
{
    const topk_rule_t *st = vst;
    return st->pick != NULL ? tm_pick_block_bytes(st->pick) : tm_nearest_block_bytes(&st->near);
}

static int topk_needs_tiles(const void *vst, int pass)
{
    const topk_rule_t *st = vst;
    return st->pick != NULL ? tm_pick_needs_tiles(st->pick, pass) : 1;
}

static void topk_update(void *vst, int pass, const tm_tile_t *t)
{
    topk_rule_t *st = vst;
    if (st->pick != NULL)
        tm_pick_update(st->pick, pass, t);
    else
        tm_nearest_update(&st->near, t);
}

static int topk_begin_pass(void *vst, int pass, int rank, tm_err_t *err)
{
    topk_rule_t *st = vst;
    (void)pass;
    if (st->pick != NULL && tm_pick_begin2(st->pick) != 0)
        return tm_err_set(err, TM_ENOMEM, "cannot start pass 2 (rank %d)", rank);
    return 0;
}

static int topk_finish(const void *vst, const int64_t *gid, tm_triplets_t *out)
{
    const topk_rule_t *st = vst;
    return st->pick != NULL ? tm_pick_finish(st->pick, gid, out)
                            : tm_nearest_finish(&st->near, gid, out);
}

static void topk_save(const void *vst, int pass, tm_buf_t *b)
{
    const topk_rule_t *st = vst;
    if (st->pick != NULL)
        tm_pick_save(st->pick, pass, b);
    else
        tm_nearest_save(&st->near, b);
}

static int topk_load(void *vst, int pass, tm_buf_t *b)
{
    topk_rule_t *st = vst;
    return st->pick != NULL ? tm_pick_load(st->pick, pass, b) : tm_nearest_load(&st->near, b);
}

const tm_rule_t tm_rule_topk = {
    .name = "topk",
    .passes = topk_passes,
    .state_bytes = topk_bytes,
    .create = topk_create,
    .destroy = topk_destroy,
    .needs_tiles = topk_needs_tiles,
    .block_bytes = topk_block_bytes,
    .update = topk_update,
    .begin_pass = topk_begin_pass,
    .finish = topk_finish,
    .save = topk_save,
    .load = topk_load,
};
