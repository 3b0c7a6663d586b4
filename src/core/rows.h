/*
 * rows.h - a block of embedding rows as the numeric core and the rules see
 * it: anchors (the rank's shard) or candidates (one round's block).
 */
#ifndef TM_CORE_ROWS_H
#define TM_CORE_ROWS_H

#include <stddef.h>
#include <stdint.h>

typedef struct tm_rows {
    int64_t n;
    int64_t dim;
    const float *emb;      /* n x dim */
    const int64_t *labels; /* n */
    /*
     * n global indices. For anchors: the index each has among the
     * candidates, which it never meets as its own positive, or -1 when
     * the candidates are another set (--reference, --pairs).
     */
    const int64_t *gid;
    const double *sqnorm;  /* n squared norms (double) */
    const double *norm;    /* n norms (square roots of sqnorm) */
    /*
     * Candidates only, optional: float32 keys (see tm_rows_keys in
     * engines/select.h). When set, the rows are ordered by (label,
     * global index) and the selection filters with the keys; when NULL
     * it uses double intervals.
     */
    const float *kadd, *kmul;
    /*
     * Anchors only, optional (--pairs): anchor a never takes as a
     * negative the candidates whose global indices are in
     * xidx[xbeg[a] .. xend[a]), ascending and distinct (the other positives of its
     * query, and the query itself). NULL: no such candidates.
     */
    const int64_t *xbeg, *xend, *xidx;
    /*
     * Anchors only: the key of each anchor's random draws (its global
     * index, or its pair's row with --pairs); NULL: gid.
     */
    const int64_t *draw;
    /*
     * Candidates only, optional: the partition of each row (partitioned
     * mining, run/partition.h); NULL when the run has none.
     */
    const int32_t *part;
} tm_rows_t;

/* Whether anchor a of anch must not take candidate idx as a negative. */
static inline int tm_rows_excluded(const tm_rows_t *anch, int64_t a, int64_t idx)
{
    if (anch->xidx == NULL)
        return 0;
    int64_t lo = anch->xbeg[a], hi = anch->xend[a];
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (anch->xidx[mid] < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < anch->xend[a] && anch->xidx[lo] == idx;
}

#endif
