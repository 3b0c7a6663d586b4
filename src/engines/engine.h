/*
 * engine.h - the selection engines: each is one state that tiles update,
 * behind one interface, and what every rule is made of.
 *
 * A rule (rules/rule.h) only plans: from the parameters it picks one
 * engine and the engine's arguments. The driver (run/) then calls that
 * engine's hooks and no others, the way a search loop hands its results
 * to one result handler. The engines:
 *
 *   tm_engine_batchhard  the hardest positive and negative (batchhard.c)
 *   tm_engine_nearest    the K nearest negatives past the filters, with the
 *                        hardest positive (nearest.c)
 *   tm_engine_pick       the choice of one positive and of the eligible
 *                        negatives, with what each filter removed (pick.c)
 *   tm_engine_gaps       semi-hard: per positive, the nearest negative
 *                        above it (gaps.c)
 *   tm_engine_retrieval  what eval learns about each query (retrieval.c)
 *
 * They share the float32 prefilter and the per-anchor tile skeleton
 * (prefilter.h), the states of select.h and what they finish into
 * (results.h).
 *
 * Every hook is local. update is called from several threads at once on
 * disjoint anchor ranges; the others from one thread.
 */
#ifndef TM_ENGINES_ENGINE_H
#define TM_ENGINES_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "engines/results.h"
#include "engines/select.h"
#include "tripminer/err.h"
#include "tripminer/params.h"

/* What an engine's state is sized by. */
typedef struct tm_engine_size {
    int64_t anchors;     /* local anchors: the rank's shard */
    int64_t candidates;  /* rows that stream past them: the whole data set */
    int64_t budget;      /* the rank's memory budget in bytes (--mem-limit) */
} tm_engine_size_t;

/* What a rule's plan hands its engine, besides the run's parameters. */
typedef struct tm_engine_args {
    const tm_mine_params_t *p;  /* the run's parameters */
    int64_t k;                  /* negatives per anchor: 1 for batch-hard, K for topk */
    int64_t positives;          /* gaps: positives kept per anchor, 0 for all */
    int sample;                 /* pick: the K negatives are drawn at random */
    int choosing;               /* gaps: count what the filters removed, --neg-pool */
} tm_engine_args_t;

typedef struct tm_engine {
    const char *name;  /* for tests and messages about the engine itself */

    /* Passes over every candidate: 1 or 2. */
    int passes;

    /*
     * Bytes the state may take: charged against the budget before
     * anything is allocated (INT64_MAX when it cannot be counted).
     */
    int64_t (*state_bytes)(const tm_engine_args_t *a, const tm_engine_size_t *sz);

    /* Set up the state: 0 or TM_ENOMEM. */
    int (*create)(void **st, const tm_engine_args_t *a, const tm_engine_size_t *sz);
    void (*destroy)(void *st);

    /* Whether pass needs the float32 dot products (else the tile's G is NULL). */
    int (*needs_tiles)(const void *st, int pass);

    /*
     * Optional (NULL: none): bytes of scratch each sweeping thread holds
     * for the anchor block it works on (tm_tile_t.block), from the state
     * made by create.
     */
    size_t (*block_bytes)(const void *st);

    /* Offer one tile in pass (1-based). */
    void (*update)(void *st, int pass, const tm_tile_t *t);

    /*
     * Before pass (2 or more) starts from its beginning: 0, or an error
     * with err saying what, naming rank. NULL for an engine of one pass.
     */
    int (*begin_pass)(void *st, int pass, int rank, tm_err_t *err);

    /*
     * The results of the finished state into out (anchor gid[a] for local
     * anchor a): triplets, or eval's records. 0 or TM_ENOMEM.
     */
    int (*finish)(const void *st, const int64_t *gid, tm_results_t *out);

    /*
     * The state after some rounds of pass as bytes (the checkpoint's), and
     * back into a state made by create with the same arguments: 0,
     * TM_EINPUT for bytes that do not fit, or TM_ENOMEM.
     */
    void (*save)(const void *st, int pass, tm_buf_t *b);
    int (*load)(void *st, int pass, tm_buf_t *b);

    /*
     * Optional (NULL: never known): after the last pass, the distance in
     * the metric's units beyond which no negative could have changed local
     * anchor a's result, +inf when any could. Partitioned mining certifies
     * an anchor whose unprobed partitions all lie beyond it.
     */
    double (*gate)(const void *st, int64_t a);
} tm_engine_t;

extern const tm_engine_t tm_engine_batchhard;
extern const tm_engine_t tm_engine_nearest;
extern const tm_engine_t tm_engine_pick;
extern const tm_engine_t tm_engine_gaps;
extern const tm_engine_t tm_engine_retrieval;

/* The negative filters of the parameters. */
static inline tm_negfilter_t tm_negfilter_of(const tm_mine_params_t *p)
{
    return (tm_negfilter_t){p->has_neg_min_dist, p->neg_min_dist, p->neg_skip};
}

/* a + b for counts that may be INT64_MAX ("all"): INT64_MAX when it would overflow. */
static inline int64_t tm_sat_add(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/*
 * The entries a list of the nearest negatives needs to hold want of them:
 * never more than there are candidates (a list that long keeps them all).
 */
static inline int64_t tm_list_cap(int64_t want, const tm_engine_size_t *sz)
{
    return want < sz->candidates ? want : sz->candidates;
}

/* A state's size n * per + extra without overflow: INT64_MAX when it would. */
static inline int64_t tm_state_bytes(int64_t n, int64_t per, int64_t extra)
{
    if (n < 0 || per < 0 || extra < 0)
        return INT64_MAX;
    if (n > 0 && per > (INT64_MAX - extra) / n)
        return INT64_MAX;
    return n * per + extra;
}

#endif
