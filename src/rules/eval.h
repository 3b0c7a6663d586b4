/*
 * eval.h - the eval rule: what `tripminer eval` learns about each query
 * from one sweep of the engine (docs/contract.md, "tripminer eval").
 *
 * Pass 1 (no float32 tiles: the positives are one label range) counts
 * R(a), the candidates with the query's label, and finds the nearest
 * positive p1 exactly, and the farthest (the R(a)-th nearest candidate is
 * no farther: the gate of pass 2 from its start). Pass 2 keeps per query the R(a) nearest candidates
 * (both labels) by (exact distance, index), the nearest negative, and
 * counts exactly the negatives nearer than p1; the lists are allocated at
 * the start of pass 2, when R(a) is known, and refused there when they do
 * not fit the budget.
 */
#ifndef TM_RULES_EVAL_H
#define TM_RULES_EVAL_H

#include <stdint.h>

#include "rules/rule.h"

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

extern const tm_rule_t tm_rule_eval;

/*
 * The records of the finished state, one per local query (gid[a] its
 * global row), into *out (malloc'd, n of them): 0 or TM_ENOMEM. Local.
 */
int tm_eval_records(const void *st, const int64_t *gid, tm_eval_rec_t **out, int64_t *n);

#endif
