/*
 * prefilter.h - private to the engines: orders on (distance, index),
 * bounded sorted lists, the float32 prefilter (double intervals and
 * float32 keys) and the per-anchor skeleton of a tile that every engine
 * runs on.
 */
#ifndef TM_ENGINES_PREFILTER_H
#define TM_ENGINES_PREFILTER_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engines/select.h"

/*
 * Widen a threshold by a relative hair: for euclidean the decision is on
 * sqrt(fast), and two different fast values can share a square root, so a
 * candidate slightly beyond the best in fast space may still tie it.
 */
static inline double tm_widen_up(double t)
{
    return isfinite(t) ? t + fabs(t) * 0x1p-40 + DBL_MIN : t;
}

static inline double tm_widen_down(double t)
{
    return isfinite(t) ? t - fabs(t) * 0x1p-40 - DBL_MIN : t;
}

/* Nearer first: smaller distance, then smaller index. */
static inline int tm_entry_nearer(tm_entry_t a, tm_entry_t b)
{
    return a.val < b.val || (a.val == b.val && a.idx < b.idx);
}

/* Harder positive first: larger distance, then smaller index. */
static inline int tm_entry_farther(tm_entry_t a, tm_entry_t b)
{
    return a.val > b.val || (a.val == b.val && a.idx < b.idx);
}

/*
 * Keep the cap best entries of list (best first, by `better`): insert e
 * if there is room or it beats the last. Returns 1 if e was kept.
 */
static inline int tm_list_insert(tm_entry_t *list, int64_t *count, int64_t cap, tm_entry_t e,
                                 int (*better)(tm_entry_t, tm_entry_t))
{
    int64_t c = *count;
    if (cap <= 0)
        return 0;
    if (c == cap && !better(e, list[c - 1]))
        return 0;
    /* Binary search for the first entry e beats. */
    int64_t lo = 0, hi = c < cap ? c : cap - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (better(e, list[mid]))
            hi = mid;
        else
            lo = mid + 1;
    }
    int64_t last = c < cap ? c : cap - 1; /* the slot that falls off or is new */
    memmove(list + lo + 1, list + lo, (size_t)(last - lo) * sizeof *list);
    list[lo] = e;
    if (c < cap)
        *count = c + 1;
    return 1;
}

/*
 * Over n <= 1024 candidates in blocks of 16: bit k of the result is set
 * when block k may hold a candidate that passes the gates (a negative
 * with lo <= gate and hi >= min_dist, or a same-label row with
 * hi >= pgate), or when block k is the last, partial one. Local.
 */
uint64_t tm_row_blocks(const int64_t *clab, int64_t lab, const double *lo, const double *hi,
                       int64_t n, double gate, double min_dist, double pgate);

/*
 * For one anchor and a row of dot products g with candidates
 * [c0, c0 + nc): the interval [lo[j], hi[j]] that surely holds each exact
 * distance, in fast space, or in the metric's own units when metric_units
 * (see tm_kern_interval). A dot product that overflowed float32 gives
 * (-inf, +inf). Vectorised; local.
 */
void tm_interval_row(tm_metric_t metric, tm_kern_bound_t b, double na, double ra,
                     const tm_rows_t *cand, int64_t c0, int64_t nc, const float *g,
                     int metric_units, double *lo, double *hi);

/* ---- the float32 key prefilter (prefilter.c) ------------------------- */

/* What the keys of one tile [c0, c1) of candidates need. */
typedef struct tm_tilekeys {
    int ok;          /* keys usable (else: double intervals) */
    double max_norm; /* largest |c| */
    double max_sq;   /* largest |c|^2 */
    double max_inv;  /* largest 1/|c| over non-zero norms (cosine) */
} tm_tilekeys_t;

/* Survey a tile of candidates (keys must be set for ok). Local. */
void tm_tilekeys(tm_metric_t metric, const tm_rows_t *cand, int64_t c0, int64_t c1,
                 tm_tilekeys_t *tk);

/*
 * The rows [*p0, *p1) of [c0, c1) with label lab, in candidates ordered
 * by (label, global index) (keys set). Local.
 */
void tm_label_range(const tm_rows_t *cand, int64_t c0, int64_t c1, int64_t lab, int64_t *p0,
                    int64_t *p1);

/*
 * One anchor against a tile: fast-space distance d of a candidate with key
 * t lies within err of alpha + beta t. Tile-local ranges: the anchor's
 * label holds [p0, p1), the anchor itself is at self (-1 if absent).
 */
typedef struct tm_keyrow {
    int ok;
    double alpha, beta, err;
    int64_t p0, p1, self;
} tm_keyrow_t;

void tm_keyrow(tm_metric_t metric, tm_kern_bound_t b, const tm_tilekeys_t *tk,
               const tm_rows_t *anch, int64_t a, const tm_rows_t *cand, int64_t c0, int64_t c1,
               tm_keyrow_t *kr);

/* Rounding allowance of a few double operations on these magnitudes. */
static inline double tm_key_pad(double x, double y, double z)
{
    return (fabs(x) + fabs(y) + fabs(z)) * 0x1p-50;
}

/* Bounds on the fast-space distance of a candidate with key t. */
static inline double tm_key_hi(const tm_keyrow_t *kr, float t)
{
    const double bt = kr->beta * (double)t;
    return kr->alpha + bt + kr->err + tm_key_pad(kr->alpha, bt, kr->err);
}

static inline double tm_key_lo(const tm_keyrow_t *kr, float t)
{
    const double bt = kr->beta * (double)t;
    return kr->alpha + bt - kr->err - tm_key_pad(kr->alpha, bt, kr->err);
}

/* A key threshold: every candidate whose fast distance is <= d (>= d)
 * has t <= the result (t >= the result). */
float tm_key_thr_le(const tm_keyrow_t *kr, double d);
float tm_key_thr_ge(const tm_keyrow_t *kr, double d);

/*
 * From the metric's value to fast space, rounded outwards: every value
 * whose metric value is <= v has fast value <= tm_fast_up(v), and
 * >= v gives >= tm_fast_down(v).
 */
double tm_fast_up(tm_metric_t metric, double v);
double tm_fast_down(tm_metric_t metric, double v);

/* Smallest and largest key over [j0, j1) (+inf / -inf if empty). */
void tm_key_minmax(const float *g, const float *kadd, const float *kmul, int64_t j0, int64_t j1,
                   float *tmin, float *tmax);

/*
 * Append to hits the j in [j0, j1) whose key has lo <= t <= hi or t >= ge
 * (keys are finite: ge = +inf selects none that way); returns the count.
 */
int64_t tm_key_scan(const float *g, const float *kadd, const float *kmul, int64_t j0, int64_t j1,
                    float lo, float hi, float ge, int32_t *hits);

/*
 * Over [j0, j1): the number of keys t < below, and in hits (appended; the
 * count in *nhit) the j whose key has below <= t <= hi. Local.
 */
int64_t tm_key_count(const float *g, const float *kadd, const float *kmul, int64_t j0, int64_t j1,
                     float below, float hi, int32_t *hits, int64_t *nhit);

/*
 * A second look at n hits of anchor a's row of keys in tile t (g: its dot
 * products, kr: its keys; hit k is column hits[k]): the fast-space
 * interval of each, in lo[k] and hi[k]. From the key alone when the tile
 * is float32's; from a fast kernel's tile (a bound far looser than
 * float32's), each dot product is computed again in float32 (tm_kern_dot)
 * and bounded as a float32 tile's would be, which leaves about a
 * thousandth of int8's band to score exactly. Returns whether it did.
 * Local.
 */
int tm_hits_intervals(const tm_tile_t *t, int64_t a, const tm_keyrow_t *kr, const float *g,
                      const int32_t *hits, int64_t n, double *lo, double *hi);

/* Whether a second look pays for tile t: a bound far looser than float32's. Local. */
int tm_looks_again(const tm_tile_t *t);

/*
 * The second look itself, for anchor a and n rows of cand (rows[k], fetched
 * ahead, four dot products at a time): each interval [lo[k], hi[k]] (fast
 * space) narrowed to what the row's float32 dot product gives. Local.
 * TM_LOOK_ROWS: the batch its callers gather rows into on the stack.
 */
#define TM_LOOK_ROWS 64
void tm_look_again(tm_metric_t metric, const tm_rows_t *anch, int64_t a, const tm_rows_t *cand,
                   const int64_t *rows, int64_t n, double *lo, double *hi);

/* Key ranges of a row: negatives [0, p0) and [p1, nc), positives [p0, p1) less self. */
static inline void tm_keyrow_ranges(const tm_keyrow_t *kr, int64_t nc, int64_t r[4][2])
{
    const int64_t s = kr->self;
    r[0][0] = 0, r[0][1] = kr->p0;
    r[1][0] = kr->p1, r[1][1] = nc;
    r[2][0] = kr->p0, r[2][1] = s >= 0 ? s : kr->p1;
    r[3][0] = s >= 0 ? s + 1 : kr->p1, r[3][1] = kr->p1;
}

/* Negatives are taken in blocks of this many, the gates renewed between. */
#define TM_KEY_BLOCK 128

/* ---- the per-anchor skeleton of a tile ------------------------------------ */

/*
 * One anchor's row of a tile: its dot products g with the nc candidates
 * and the scratch of the row (lo and hi: nc doubles each, hits: nc
 * indices). kr is set when the float32 keys can filter the row; when it
 * is NULL the row is filtered by double intervals.
 */
typedef struct tm_rowctx {
    const tm_tile_t *t;
    int64_t a, nc;
    const float *g;
    const tm_keyrow_t *kr;
    double *lo, *hi;
    int32_t *hits;
} tm_rowctx_t;

typedef void (*tm_row_fn)(void *st, const tm_rowctx_t *r);
typedef int (*tm_row_skip_fn)(const void *st, int64_t a);

/*
 * Every anchor of the tile in turn, less those skip (if given) says need
 * nothing: keys(st, row) where the tile's keys are usable for that anchor,
 * intervals(st, row) otherwise. Local; the engines' tile updates.
 */
void tm_tile_rows(const tm_tile_t *t, void *st, tm_row_skip_fn skip, tm_row_fn keys,
                  tm_row_fn intervals);

#endif
