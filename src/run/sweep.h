/*
 * sweep.h - one candidate block past every local anchor: the tiling, the
 * threads, and the float32 dot products of each tile, handed to the rule.
 */
#ifndef TM_RUN_SWEEP_H
#define TM_RUN_SWEEP_H

#include "core/rows.h"
#include "dist/exchange.h"
#include "rules/rule.h"

/* Per-thread scratch of the sweep. */
typedef struct tm_sweep {
    int nthreads;
    float **gram;      /* TM_TILE_ANCHORS x TM_TILE_CANDS each */
    double **approx;   /* 3 TM_TILE_CANDS each */
    void **block;      /* the rule's block scratch, block_bytes each (NULL if 0) */
} tm_sweep_t;

/*
 * Allocate the scratch of nthreads threads, with block_bytes of the rule's
 * block scratch each: 0 or TM_ENOMEM. Local.
 */
int tm_sweep_init(tm_sweep_t *s, int nthreads, size_t block_bytes);
void tm_sweep_free(tm_sweep_t *s);

/*
 * Offer the candidate block cand to every anchor of anch in pass of the
 * rule (state st): threads share the anchors in blocks of
 * TM_TILE_ANCHORS; each tile is one sgemm (when the pass needs it) and one
 * rule update. The main thread progresses the exchange x between tiles.
 * Local (MPI from the main thread only).
 */
void tm_sweep(const tm_rule_t *rule, void *st, int pass, tm_metric_t metric,
              tm_kern_bound_t bound, const tm_rows_t *anch, const tm_rows_t *cand,
              tm_sweep_t *s, tm_exchange_t *x);

#endif
