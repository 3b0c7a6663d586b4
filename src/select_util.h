/*
 * select_util.h - private helpers of the selection rules: orders on
 * (distance, index) and bounded sorted lists.
 */
#ifndef TM_SELECT_UTIL_H
#define TM_SELECT_UTIL_H

#include <stdint.h>
#include <string.h>

#include "tripminer/select.h"

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
 * (see tm_kern_interval). Unless finite (see tm_tile_finite), a dot
 * product that overflowed float32 gives (-inf, +inf). Vectorised; local.
 */
void tm_interval_row(tm_metric_t metric, tm_kern_bound_t b, double na, double ra,
                     const tm_rows_t *cand, int64_t c0, int64_t nc, const float *g, int finite,
                     int metric_units, double *lo, double *hi);

/* Whether all count values of a tile are finite. Local. */
int tm_tile_finite(const float *G, int64_t count);

#endif
