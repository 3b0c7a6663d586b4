/*
 * select.h - the states behind the engines (engine.h): per-anchor
 * selection states, their update from one tile, their bytes for
 * checkpoints, and the triplets they produce. The engines are made of
 * these; the tests reach them directly.
 *
 * The float32 tile only filters: a candidate whose approximate distance,
 * widened by its error bound, could still beat (or tie) the anchor's
 * current choice is re-scored with the exact double distance, and the
 * choice is made on (exact value, global index). Since that order is total
 * and the values do not depend on how the work was split, neither does the
 * result.
 */
#ifndef TM_ENGINES_SELECT_H
#define TM_ENGINES_SELECT_H

#include <math.h>
#include <stdint.h>

#include "base/buf.h"
#include "core/kern.h"
#include "core/rows.h"
#include "engines/results.h"
#include "tripminer/metric.h"

/*
 * A tile offered to an engine: anchors [a0, a1) of anch against candidates
 * [c0, c1) of cand. G holds their float32 dot products ((a1-a0) x (c1-c0),
 * row-major, or fewer rows: grow below), or NULL where the engine's pass
 * needs none; scratch holds
 * 3 (c1-c0) doubles (c1-c0 at most 1024, the tile width). Different anchor
 * ranges may be updated by different threads at once.
 */
/* Tile shape: anchors x candidates per sgemm call. */
#define TM_TILE_ANCHORS 128
#define TM_TILE_CANDS 1024

typedef struct tm_tile {
    tm_metric_t metric;
    tm_kern_bound_t bound;
    const tm_rows_t *anch;
    int64_t a0, a1;
    const tm_rows_t *cand;
    int64_t c0, c1;
    const float *G;
    double *scratch;
    /*
     * The thread's block scratch (the engine's block_bytes, NULL if none),
     * for the anchors [b0, b1) (at most TM_TILE_ANCHORS, holding [a0, a1)):
     * it lives while one thread offers them the tiles of one candidate
     * block, from the tile that begins it to the one that ends it, none of
     * another candidate block between. The exact sweep's run from c0 = 0 to
     * c1 = cand->n; a partitioned round's over the partitions the block's
     * anchors probe (run/psweep.c).
     */
    void *block;
    int64_t b0, b1;
    int begins, ends;
    /*
     * Which anchors of [a0, a1) take the tile (partitioned mining: those
     * that probe its partition): amask[a - a0] nonzero; NULL for all.
     */
    const uint8_t *amask;
    /*
     * Where in G the dot products of an anchor that takes the tile are: row
     * grow[a - a0] (partitioned mining computes only the anchors that
     * probe: G has a row for each of them); NULL: row a - a0.
     */
    const int32_t *grow;
} tm_tile_t;

/* Whether anchor a of the tile takes it. */
static inline int tm_tile_takes(const tm_tile_t *t, int64_t a)
{
    return t->amask == NULL || t->amask[a - t->a0] != 0;
}

/* Anchor a's row of dot products (G set, a takes the tile). */
static inline const float *tm_tile_g(const tm_tile_t *t, int64_t a)
{
    const int64_t row = t->grow != NULL ? t->grow[a - t->a0] : a - t->a0;
    return t->G + row * (t->c1 - t->c0);
}

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
 * The state as bytes, and back into a state set up for the same anchors
 * and options, checking every count against the bytes there: 0, or
 * TM_EINPUT / TM_ENOMEM. Likewise for the other states below. Local.
 */
void tm_hard_save(const tm_hard_t *st, tm_buf_t *b);
int tm_hard_load(tm_hard_t *st, tm_buf_t *b);

/* Offer a tile (G needed). Local. */
void tm_hard_update(tm_hard_t *st, const tm_tile_t *t);

/*
 * Offer one candidate by its exact distance (no filtering): the choice
 * itself, used by the update and by tests. Local.
 */
void tm_hard_offer(tm_hard_t *st, int64_t anchor, int is_pos, double val, double fast,
                   int64_t idx);

/*
 * Batch-hard triplets of the finished state: one per anchor with both a
 * positive and a negative; anchor gid[a] for local anchor a. Local.
 */
int tm_hard_finish(const tm_hard_t *st, const int64_t *gid, tm_triplets_t *out);

/* ---- negative filters, top-k and filtered batch-hard ------------------ */

/* One candidate kept by a state: exact distance and global index. */
typedef struct tm_entry {
    double val;
    int64_t idx;
} tm_entry_t;

/*
 * The negative filters of docs/contract.md: ignore negatives with d < min_dist
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
    /*
     * Optional, set by the owner (not saved): per anchor, negatives below
     * floor[a] are ignored instead of those below --neg-min-dist.
     */
    const double *floor;
    int negatives_only;  /* set by the owner: pos is not kept (it has its own) */
} tm_nearest_t;

/* The smallest distance a negative of anchor a may have to be kept. */
static inline double tm_nearest_floor(const tm_nearest_t *st, int64_t a)
{
    if (st->floor != NULL)
        return st->floor[a];
    return st->filter.has_min_dist ? st->filter.min_dist : -INFINITY;
}

/* Bytes of the state of n anchors keeping cap entries (INT64_MAX if huge). */
int64_t tm_nearest_bytes(int64_t n, int64_t cap);

/* Allocate for n anchors keeping k negatives after the filter. Local. */
int tm_nearest_init(tm_nearest_t *st, int64_t n, int64_t k, tm_negfilter_t filter);
void tm_nearest_free(tm_nearest_t *st);
void tm_nearest_save(const tm_nearest_t *st, tm_buf_t *b);
int tm_nearest_load(tm_nearest_t *st, tm_buf_t *b);

/* Offer one negative / positive by its exact distance (the choice itself). Local. */
void tm_nearest_offer_neg(tm_nearest_t *st, int64_t a, double val, int64_t idx);
void tm_nearest_offer_pos(tm_nearest_t *st, int64_t a, double val, int64_t idx);

/*
 * The block scratch tm_nearest_update can use to defer exact scores to the
 * end of a candidate block (0: it does without). An engine that keeps one
 * nearest list hands this on as its block_bytes. Local.
 */
size_t tm_nearest_block_bytes(const tm_nearest_t *st);

/* Offer a tile (G needed). Local. */
void tm_nearest_update(tm_nearest_t *st, const tm_tile_t *t);

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
/* pass2: whether the gaps of pass 2 exist (after tm_semi_begin2). */
void tm_semi_save(const tm_semi_t *st, tm_buf_t *b, int pass2);
int tm_semi_load(tm_semi_t *st, tm_buf_t *b, int pass2);

/* Whether pass 1 needs float32 tiles (else G may be NULL). Local. */
int tm_semi_pass1_needs_tiles(const tm_semi_t *st);

/* Pass 1 update from a tile (G may be NULL, see above). Local. */
void tm_semi_update1(tm_semi_t *st, const tm_tile_t *t);

/* Between the passes: sort positives, set up the gaps. 0 or TM_ENOMEM. Local. */
int tm_semi_begin2(tm_semi_t *st);

/* Pass 2 update from a tile (G needed). Local. */
void tm_semi_update2(tm_semi_t *st, const tm_tile_t *t);

/* Offer exact distances directly (the choice itself; used by tests). Local. */
void tm_semi_offer1(tm_semi_t *st, int64_t a, int is_pos, double val, int64_t idx);
void tm_semi_offer2(tm_semi_t *st, int64_t a, double val, int64_t idx);

/* Triplets: per anchor, hardest positive first. Local. */
int tm_semi_finish(const tm_semi_t *st, const int64_t *gid, tm_triplets_t *out);

/*
 * The same within a pool (--neg-pool): where last[a] has an index, it is
 * the farthest eligible negative of anchor a, and a nearest negative above
 * a positive that lies beyond it gives way to it. Local.
 */
int tm_semi_finish_pool(const tm_semi_t *st, const int64_t *gid, const tm_entry_t *last,
                        tm_triplets_t *out);

/* ---- what the negative filters remove (counts) ------------------------- */

/*
 * Per anchor, exactly: the negatives seen, and how many of them lie below
 * t1 (--neg-min-dist, or -inf) and below t2[a] (the floor of the anchor:
 * t1 raised by --neg-margin; NULL: t1). Anchors whose t2 is +inf (no
 * positive) are passed over. Excluded candidates (--pairs) are no
 * negatives.
 */
typedef struct tm_count {
    int64_t n;
    double t1;
    const double *t2;      /* set by the owner, not saved */
    int64_t *negs, *below1, *below2;
} tm_count_t;

int tm_count_init(tm_count_t *c, int64_t n, double t1);
void tm_count_free(tm_count_t *c);
void tm_count_save(const tm_count_t *c, tm_buf_t *b);
int tm_count_load(tm_count_t *c, tm_buf_t *b);

/* Count a tile (G needed). Local. */
void tm_count_update(tm_count_t *c, const tm_tile_t *t);

/* ---- the filters' counts and short anchors, as a run reports them ------- */

/*
 * The steps of the contract for one anchor with a positive: of its negs
 * negatives, below1 fall to --neg-min-dist and below2 - below1 to
 * --neg-margin, then skip (R) and pool (M, -1 for all) cut what is left.
 * Adds to f and returns the number of eligible negatives.
 */
int64_t tm_filtered_add(tm_filtered_t *f, int64_t negs, int64_t below1, int64_t below2,
                        int64_t skip, int64_t pool);

#endif
