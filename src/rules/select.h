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

#include "core/kern.h"
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
    /*
     * Candidates only, optional: float32 keys (see tm_rows_keys). When
     * set, the rows are ordered by (label, global index) and the
     * selection filters with the keys; when NULL it uses double intervals.
     */
    const float *kadd, *kmul;
} tm_rows_t;

/*
 * The float32 keys of rows ordered by (label, global index): with the dot
 * product g of an anchor, t = kadd + kmul * g orders the candidates like
 * the distance (sqeuclidean and euclidean: kadd = |c|^2, kmul = -2;
 * cosine: kadd = 0, kmul = -1/|c|). kadd and kmul hold rows->n floats.
 * Local.
 */
void tm_rows_keys(tm_metric_t metric, const tm_rows_t *rows, float *kadd, float *kmul);

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
 * at least 3 (c1-c0) doubles (c1-c0 must be below 2^31). Local; different anchor ranges may be updated
 * by different threads at once.
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

/* ---- triplets as the rules produce them ----------------------------- */

/* A growing list of triplets with exact (double) distances. */
typedef struct tm_triplets {
    int64_t m, cap;
    int64_t *idx;      /* m x 3: anchor, positive, negative */
    double *dap, *dan; /* m exact distances */
    int64_t skipped;   /* anchors that yielded nothing */
} tm_triplets_t;

/* Append one triplet. Returns 0 or TM_ENOMEM. Local. */
int tm_triplets_push(tm_triplets_t *t, int64_t a, int64_t p, int64_t n, double dap, double dan);

/* Release the list. Local. */
void tm_triplets_free(tm_triplets_t *t);

/*
 * Batch-hard triplets of the finished state: one per anchor with both a
 * positive and a negative; anchor gid[a] for local anchor a. Local.
 */
int tm_hard_finish(const tm_hard_t *st, const int64_t *gid, tm_triplets_t *out);

/* ---- negative filters, top-k and filtered batch-hard ------------------ */

/* One candidate kept by a rule: exact distance and global index. */
typedef struct tm_entry {
    double val;
    int64_t idx;
} tm_entry_t;

/*
 * The negative filters of SPEC.md: ignore negatives with d < min_dist
 * (when has_min_dist), then the skip nearest remaining ones.
 */
typedef struct tm_negfilter {
    int has_min_dist;
    double min_dist;
    int64_t skip;
} tm_negfilter_t;

/*
 * Per anchor: the hardest positive and the cap = skip + K nearest
 * negatives that pass --neg-min-dist, ascending by (distance, index).
 * Serves topk (K = --negatives) and batch-hard with filters (K = 1).
 */
typedef struct tm_nearest {
    int64_t n, cap;
    tm_negfilter_t filter;
    tm_entry_t *neg;  /* n x cap */
    int64_t *count;   /* entries held, per anchor */
    tm_entry_t *pos;  /* hardest positive per anchor; idx -1 if none */
} tm_nearest_t;

/* Allocate for n anchors keeping k negatives after the filter. Local. */
int tm_nearest_init(tm_nearest_t *st, int64_t n, int64_t k, tm_negfilter_t filter);
void tm_nearest_free(tm_nearest_t *st);

/* Offer one negative / positive by its exact distance (the rules). Local. */
void tm_nearest_offer_neg(tm_nearest_t *st, int64_t a, double val, int64_t idx);
void tm_nearest_offer_pos(tm_nearest_t *st, int64_t a, double val, int64_t idx);

/*
 * Offer a tile, as tm_hard_update does (scratch: at least 2 (c1-c0)
 * doubles). Local; thread-safe across anchors.
 */
void tm_nearest_update(tm_nearest_t *st, tm_metric_t metric, tm_kern_bound_t bound,
                       const tm_rows_t *anch, int64_t a0, int64_t a1,
                       const tm_rows_t *cand, int64_t c0, int64_t c1, const float *G,
                       double *scratch);

/*
 * Triplets of the finished state: topk (pairs every kept negative past
 * the skipped ones with the hardest positive, ascending) or, with k = 1,
 * filtered batch-hard. Local.
 */
int tm_nearest_finish(const tm_nearest_t *st, const int64_t *gid, tm_triplets_t *out);

/* ---- semi-hard (two passes) ------------------------------------------- */

/*
 * Pass 1 keeps each anchor's positives (all, or the kpos hardest) and the
 * skip nearest negatives (the ones --neg-skip removes). Pass 2 keeps, for
 * each gap between sorted positive distances, the nearest negative in it,
 * and the farthest negative (the fallback).
 */
typedef struct tm_semi {
    int64_t n;
    int64_t kpos;          /* 0 = all positives */
    tm_negfilter_t filter;
    int64_t budget;        /* bytes the positive lists may take */
    int64_t bytes;         /* bytes they take */
    int overflow;          /* the budget was exceeded: results invalid */
    tm_entry_t **pos;      /* per anchor: positives (pass 1); sorted by begin2 */
    int64_t *npos, *pos_cap;
    tm_nearest_t skipset;  /* the skip nearest negatives (cap = skip) */
    tm_entry_t **slot;     /* per anchor: npos + 1 gap minima (pass 2) */
    double *gate;          /* per anchor: largest gap minimum, inf if a gap is empty */
    tm_entry_t *far;       /* per anchor: farthest negative */
} tm_semi_t;

int tm_semi_init(tm_semi_t *st, int64_t n, int64_t kpos, tm_negfilter_t filter, int64_t budget);
void tm_semi_free(tm_semi_t *st);

/* Whether pass 1 needs float32 tiles (else G may be NULL). Local. */
int tm_semi_pass1_needs_tiles(const tm_semi_t *st);

/* Pass 1 update from a tile (G may be NULL, see above). Local. */
void tm_semi_update1(tm_semi_t *st, tm_metric_t metric, tm_kern_bound_t bound,
                     const tm_rows_t *anch, int64_t a0, int64_t a1,
                     const tm_rows_t *cand, int64_t c0, int64_t c1, const float *G);

/* Between the passes: sort positives, set up the gaps. 0 or TM_ENOMEM. Local. */
int tm_semi_begin2(tm_semi_t *st);

/* Pass 2 update from a tile (scratch: at least c1 - c0 doubles). Local. */
void tm_semi_update2(tm_semi_t *st, tm_metric_t metric, tm_kern_bound_t bound,
                     const tm_rows_t *anch, int64_t a0, int64_t a1,
                     const tm_rows_t *cand, int64_t c0, int64_t c1, const float *G,
                     double *scratch);

/* Offer exact distances directly (the rules; used by tests). Local. */
void tm_semi_offer1(tm_semi_t *st, int64_t a, int is_pos, double val, int64_t idx);
void tm_semi_offer2(tm_semi_t *st, int64_t a, double val, int64_t idx);

/* Triplets: per anchor, hardest positive first. Local. */
int tm_semi_finish(const tm_semi_t *st, const int64_t *gid, tm_triplets_t *out);

#endif
