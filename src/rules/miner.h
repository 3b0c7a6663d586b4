/*
 * miner.h - the selection state of the chosen rule (internal to mine.c).
 */
#ifndef TM_MINER_H
#define TM_MINER_H

#include "run/ckpt.h"
#include "core/kern.h"
#include "tripminer/opts.h"
#include "rules/select.h"

/* The selection state of the chosen rule. */
typedef enum { RULE_HARD, RULE_NEAREST, RULE_SEMI } rule_kind_t;

typedef struct miner {
    rule_kind_t kind;
    int pass;             /* 1, or 2 for semihard's second pass */
    tm_metric_t metric;
    tm_kern_bound_t bound;
    tm_hard_t hard;       /* plain batch-hard */
    tm_nearest_t nearest; /* topk, and batch-hard with negative filters */
    tm_semi_t semi;       /* semihard */
} miner_t;

/* Passes over the candidates the rule needs (1, or 2 for semihard). */
int miner_passes(const miner_t *mn);

/* Whether the current pass needs float32 tiles. */
int miner_needs_tiles(const miner_t *mn);

/* Offer a tile (see tm_hard_update). */
void miner_update(miner_t *mn, const tm_rows_t *anch, int64_t a0, int64_t a1,
                  const tm_rows_t *cand, int64_t c0, int64_t c1, const float *G,
                  double *scratch);

/* Set up the rule of o for n anchors; 0 or TM_ENOMEM. */
int miner_init(miner_t *mn, const tm_mine_opts_t *o, int64_t n, int64_t dim, int64_t budget);
void miner_free(miner_t *mn);

/* The triplets of the finished state. */
int miner_finish(const miner_t *mn, const int64_t *gid, tm_triplets_t *out);

/*
 * The state as bytes, and back into a state set up by miner_init with
 * the same options and mn->pass set to the saved pass (0, TM_EINPUT for
 * bytes that do not fit, or TM_ENOMEM).
 */
void miner_save(const miner_t *mn, tm_buf_t *b);
int miner_load(miner_t *mn, tm_buf_t *b);

#endif
