/*
 * sample.c - the sample rule: per anchor, K distinct negatives drawn
 * uniformly from the eligible ones (all of them if fewer), written in
 * ascending (distance, index) order, each with the anchor's one positive
 * (--pos). Its state is the choice of pick.h: the draws are the K
 * eligible negatives of smallest tm_draw, a uniform K-subset that does not
 * depend on how the work was split.
 */
#include "rules/pick.h"
#include "rules/rule.h"

static int sample_passes(const tm_mine_params_t *p)
{
    (void)p;
    return 2;
}

static int64_t sample_bytes(const tm_mine_params_t *p, const tm_rule_size_t *sz)
{
    return tm_pick_bytes(p, sz, p->negatives, 1);
}

static int sample_create(void **out, const tm_mine_params_t *p, const tm_rule_size_t *sz)
{
    tm_pick_t *st = NULL;
    int rc = tm_pick_create(&st, p, sz, p->negatives, 1);
    *out = st;
    return rc;
}

static void sample_destroy(void *st)
{
    tm_pick_destroy(st);
}

static int sample_needs_tiles(const void *st, int pass)
{
    return tm_pick_needs_tiles(st, pass);
}

static size_t sample_block_bytes(const void *st)
{
    return tm_pick_block_bytes(st);
}

static void sample_update(void *st, int pass, const tm_tile_t *t)
{
    tm_pick_update(st, pass, t);
}

static int sample_begin_pass(void *st, int pass, int rank, tm_err_t *err)
{
    (void)pass;
    if (tm_pick_begin2(st) != 0)
        return tm_err_set(err, TM_ENOMEM, "cannot start pass 2 (rank %d)", rank);
    return 0;
}

static int sample_finish(const void *st, const int64_t *gid, tm_triplets_t *out)
{
    return tm_pick_finish(st, gid, out);
}

static void sample_save(const void *st, int pass, tm_buf_t *b)
{
    tm_pick_save(st, pass, b);
}

static int sample_load(void *st, int pass, tm_buf_t *b)
{
    return tm_pick_load(st, pass, b);
}

const tm_rule_t tm_rule_sample = {
    .name = "sample",
    .choosing = 1,
    .passes = sample_passes,
    .state_bytes = sample_bytes,
    .create = sample_create,
    .destroy = sample_destroy,
    .needs_tiles = sample_needs_tiles,
    .block_bytes = sample_block_bytes,
    .update = sample_update,
    .begin_pass = sample_begin_pass,
    .finish = sample_finish,
    .save = sample_save,
    .load = sample_load,
};
