/*
 * select.h - per-anchor selection state and its update from one tile.
 *
 * The float32 tile only filters: a candidate whose approximate distance,
 * widened by its error bound, could still beat (or tie) the anchor's
 * current choice is re-scored with the exact double distance, and the
 * choice is made on (exact value, global index). Since that order is total
 * and the values do not depend on how the work was split, neither does the
 * result.
 */
#ifndef TRIPMINER_SELECT_H
#define TRIPMINER_SELECT_H

#include <stdint.h>

#include "tripminer/kern.h"
#include "tripminer/opts.h"

/* A block of rows offered to the selection: anchors or candidates. */
typedef struct tm_rows {
    int64_t n;
    int64_t dim;
    const float *emb;      /* n x dim */
    const int64_t *labels; /* n */
    const int64_t *gid;    /* n global indices */
    const double *sqnorm;  /* n squared norms (double) */
    const double *norm;    /* n norms (square roots of sqnorm) */
} tm_rows_t;

/* One choice: exact distance (metric units and fast space) and index. */
typedef struct tm_best {
    double val;   /* the metric's exact value */
    double fast;  /* the exact value in fast space (see exact.h) */
    int64_t idx;  /* global index, or -1 for none yet */
} tm_best_t;

/* Batch-hard state: hardest positive and hardest negative per anchor. */
typedef struct tm_hard {
    int64_t n;
    tm_best_t *pos;
    tm_best_t *neg;
} tm_hard_t;

/* Allocate the state of n anchors, all empty. Returns 0 or TM_ENOMEM. Local. */
int tm_hard_init(tm_hard_t *st, int64_t n);

/* Release the state. Local. */
void tm_hard_free(tm_hard_t *st);

/*
 * Offer candidates [c0, c1) of cand to anchors [a0, a1) of anch. G holds
 * their float32 dot products ((a1-a0) x (c1-c0), row-major); scratch holds
 * at least c1-c0 doubles. Local; different anchor ranges may be updated by
 * different threads at once.
 */
void tm_hard_update(tm_hard_t *st, tm_metric_t metric, tm_kern_bound_t bound,
                    const tm_rows_t *anch, int64_t a0, int64_t a1,
                    const tm_rows_t *cand, int64_t c0, int64_t c1,
                    const float *G, double *scratch);

/*
 * Offer one candidate by its exact distance (no filtering): the rule
 * itself, used by the update and by tests. Local.
 */
void tm_hard_offer(tm_hard_t *st, int64_t anchor, int is_pos, double val, double fast,
                   int64_t idx);

#endif
