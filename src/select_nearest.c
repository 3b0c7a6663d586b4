/*
 * select_nearest.c - the K nearest negatives per anchor after the
 * negative filters, and the hardest positive: top-k mining, and batch-hard
 * mining when --neg-min-dist or --neg-skip is given.
 */
#include <math.h>
#include <stdlib.h>

#include "select_util.h"
#include "tripminer/err.h"
#include "tripminer/exact.h"

int tm_nearest_init(tm_nearest_t *st, int64_t n, int64_t k, tm_negfilter_t filter)
{
    memset(st, 0, sizeof *st);
    st->n = n;
    st->cap = filter.skip + k;
    st->filter = filter;
    size_t cnt = (size_t)(n > 0 ? n : 1);
    if (st->cap > 0 && cnt > SIZE_MAX / sizeof(tm_entry_t) / (size_t)st->cap)
        return TM_ENOMEM;
    st->neg = malloc(cnt * (size_t)(st->cap > 0 ? st->cap : 1) * sizeof *st->neg);
    st->count = calloc(cnt, sizeof *st->count);
    st->pos = malloc(cnt * sizeof *st->pos);
    if (st->neg == NULL || st->count == NULL || st->pos == NULL) {
        tm_nearest_free(st);
        return TM_ENOMEM;
    }
    for (int64_t a = 0; a < n; a++)
        st->pos[a] = (tm_entry_t){0.0, -1};
    return 0;
}

void tm_nearest_free(tm_nearest_t *st)
{
    free(st->neg);
    free(st->count);
    free(st->pos);
    memset(st, 0, sizeof *st);
}

void tm_nearest_offer_neg(tm_nearest_t *st, int64_t a, double val, int64_t idx)
{
    if (st->filter.has_min_dist && val < st->filter.min_dist)
        return;
    tm_list_insert(st->neg + a * st->cap, &st->count[a], st->cap, (tm_entry_t){val, idx},
                   tm_entry_nearer);
}

void tm_nearest_offer_pos(tm_nearest_t *st, int64_t a, double val, int64_t idx)
{
    tm_entry_t e = {val, idx};
    if (st->pos[a].idx < 0 || tm_entry_farther(e, st->pos[a]))
        st->pos[a] = e;
}

void tm_nearest_update(tm_nearest_t *st, tm_metric_t metric, tm_kern_bound_t bound,
                       const tm_rows_t *anch, int64_t a0, int64_t a1,
                       const tm_rows_t *cand, int64_t c0, int64_t c1, const float *G)
{
    const int64_t nc = c1 - c0, dim = anch->dim, cap = st->cap;
    const int has_min = st->filter.has_min_dist;
    const double min_dist = st->filter.min_dist;
    for (int64_t a = a0; a < a1; a++) {
        const float *g = G + (a - a0) * nc;
        const float *arow = anch->emb + a * dim;
        const int64_t lab = anch->labels[a], self = anch->gid[a];
        const double na = anch->sqnorm[a], ra = anch->norm[a];
        const tm_entry_t *list = st->neg + a * cap;
        /* A negative beyond the cap-th nearest so far cannot enter. */
        double gate = st->count[a] == cap ? list[cap - 1].val : INFINITY;
        for (int64_t j = 0; j < nc; j++) {
            const int64_t c = c0 + j;
            const int is_neg = cand->labels[c] != lab;
            if (!is_neg && cand->gid[c] == self)
                continue;
            double lo, hi;
            tm_kern_interval(metric, bound, na, ra, cand->sqnorm[c], cand->norm[c], g[j], &lo, &hi);
            if (is_neg) {
                if (lo > gate || (has_min && hi < min_dist))
                    continue;
                double val = tm_exact_dist(metric, arow, cand->emb + c * dim, dim);
                tm_nearest_offer_neg(st, a, val, cand->gid[c]);
                gate = st->count[a] == cap ? list[cap - 1].val : INFINITY;
            } else {
                if (st->pos[a].idx >= 0 && hi < st->pos[a].val)
                    continue;
                double val = tm_exact_dist(metric, arow, cand->emb + c * dim, dim);
                tm_nearest_offer_pos(st, a, val, cand->gid[c]);
            }
        }
    }
}

int tm_nearest_finish(const tm_nearest_t *st, const int64_t *gid, tm_triplets_t *out)
{
    const int64_t skip = st->filter.skip;
    for (int64_t a = 0; a < st->n; a++) {
        const tm_entry_t *p = &st->pos[a];
        const tm_entry_t *list = st->neg + a * st->cap;
        if (p->idx < 0 || st->count[a] <= skip) {
            out->skipped++;
            continue;
        }
        for (int64_t i = skip; i < st->count[a]; i++)
            if (tm_triplets_push(out, gid[a], p->idx, list[i].idx, p->val, list[i].val) != 0)
                return TM_ENOMEM;
    }
    return 0;
}
