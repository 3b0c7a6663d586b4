/*
 * results.h - what a finished engine hands on (engine.h, finish): the
 * triplets of a mining rule with what its filters removed, or one record
 * per query of eval. The rule's output kind (rules/rule.h) says which the
 * driver takes.
 */
#ifndef TM_ENGINES_RESULTS_H
#define TM_ENGINES_RESULTS_H

#include <stdint.h>

/* ---- triplets as the mining engines produce them ---------------------- */

/* What the filters removed over the anchors, and the anchors short of K. */
typedef struct tm_filtered {
    int64_t short_anchors, min_dist, margin, skip, pool;
} tm_filtered_t;

/* A growing list of triplets with exact (double) distances. */
typedef struct tm_triplets {
    int64_t m, cap;
    int64_t *idx;      /* m x 3: anchor, positive, negative */
    double *dap, *dan; /* m exact distances */
    int64_t skipped;   /* anchors that yielded nothing */
    tm_filtered_t filtered; /* what the filters removed (choosing runs only) */
} tm_triplets_t;

/* Append one triplet. Returns 0 or TM_ENOMEM. Local. */
int tm_triplets_push(tm_triplets_t *t, int64_t a, int64_t p, int64_t n, double dap, double dan);

/* Release the list. Local. */
void tm_triplets_free(tm_triplets_t *t);

/* ---- eval's records (retrieval.c) --------------------------------------- */

/* One query's findings, what the report is made of. */
typedef struct tm_eval_rec {
    int64_t query;          /* global row of -i */
    int64_t label;
    int64_t r;              /* R(a); the four values are NaN when 0 */
    double p_at_1, r_prec, ap_at_r, rr;
    int64_t pos;            /* nearest positive, -1 if none */
    double pos_val;
    int64_t neg;            /* nearest negative, -1 if none */
    double neg_val;
    int64_t neg_label;
    int64_t nn_label;       /* the nearest candidate's label (valid when nn_known) */
    int64_t nn_known;
} tm_eval_rec_t;

/* ---- either ----------------------------------------------------------- */

typedef struct tm_results {
    tm_triplets_t trip;   /* a mining engine's */
    tm_eval_rec_t *rec;   /* the retrieval engine's: nrec, one per local query (malloc'd) */
    int64_t nrec;
} tm_results_t;

/* Release both. Local. */
void tm_results_free(tm_results_t *r);

#endif
