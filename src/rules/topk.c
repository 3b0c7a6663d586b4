/*
 * topk.c - the topk rule: per anchor, the K nearest negatives that pass the
 * negative filters (past the --neg-skip nearest), each with the hardest
 * positive. Its state is the nearest list of nearest.c.
 */
#include <stdlib.h>

#include "rules/rule.h"

/* The list keeps the skipped negatives and K more, at most every candidate. */
static int64_t topk_cap(const tm_mine_params_t *p, const tm_rule_size_t *sz)
{
    const int64_t want = p->negatives > INT64_MAX - p->neg_skip ? INT64_MAX
                                                                 : p->neg_skip + p->negatives;
    return tm_rule_list_cap(want, sz);
}

static int64_t topk_bytes(const tm_mine_params_t *p, const tm_rule_size_t *sz)
{
    return tm_nearest_bytes(sz->anchors, topk_cap(p, sz));
}

static int topk_create(void **out, const tm_mine_params_t *p, const tm_rule_size_t *sz)
{
    tm_nearest_t *st = calloc(1, sizeof *st);
    *out = st;
    if (st == NULL)
        return TM_ENOMEM;
    return tm_nearest_init(st, sz->anchors, topk_cap(p, sz) - p->neg_skip, tm_rule_negfilter(p));
}

static void topk_destroy(void *st)
{
    if (st == NULL)
        return;
    tm_nearest_free(st);
    free(st);
}

static int topk_needs_tiles(const void *st, int pass)
{
    (void)st, (void)pass;
    return 1;
}

static void topk_update(void *st, int pass, const tm_tile_t *t)
{
    (void)pass;
    tm_nearest_update(st, t);
}

static int topk_finish(const void *st, const int64_t *gid, tm_triplets_t *out)
{
    return tm_nearest_finish(st, gid, out);
}

static void topk_save(const void *st, int pass, tm_buf_t *b)
{
    (void)pass;
    tm_nearest_save(st, b);
}

static int topk_load(void *st, int pass, tm_buf_t *b)
{
    (void)pass;
    return tm_nearest_load(st, b);
}

const tm_rule_t tm_rule_topk = {
    .name = "topk",
    .passes = 1,
    .state_bytes = topk_bytes,
    .create = topk_create,
    .destroy = topk_destroy,
    .needs_tiles = topk_needs_tiles,
    .update = topk_update,
    .begin_pass = NULL,
    .finish = topk_finish,
    .save = topk_save,
    .load = topk_load,
};
