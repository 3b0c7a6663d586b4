/*
 * rows.h - a block of embedding rows as the numeric core and the rules see
 * it: anchors (the rank's shard) or candidates (one round's block).
 */
#ifndef TM_CORE_ROWS_H
#define TM_CORE_ROWS_H

#include <stdint.h>

typedef struct tm_rows {
    int64_t n;
    int64_t dim;
    const float *emb;      /* n x dim */
    const int64_t *labels; /* n */
    const int64_t *gid;    /* n global indices */
    const double *sqnorm;  /* n squared norms (double) */
    const double *norm;    /* n norms (square roots of sqnorm) */
    /*
     * Candidates only, optional: float32 keys (see tm_rows_keys in
     * rules/select.h). When set, the rows are ordered by (label,
     * global index) and the selection filters with the keys; when NULL
     * it uses double intervals.
     */
    const float *kadd, *kmul;
} tm_rows_t;

#endif
