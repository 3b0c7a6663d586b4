/*
 * nearest.c - the K nearest negatives per anchor after the negative
 * filters, and the hardest positive: the state of the topk rule, and of
 * the hard rule when --neg-min-dist or --neg-skip is given.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rules/prefilter.h"
#include "rules/rule.h"
#include "tripminer/err.h"
#include "core/exact.h"

int64_t tm_nearest_bytes(int64_t n, int64_t cap)
{
    if (cap < 0 || cap > INT64_MAX / 2 / (int64_t)sizeof(tm_entry_t))
        return INT64_MAX;
    return tm_rule_bytes(n, cap * (int64_t)sizeof(tm_entry_t) + (int64_t)sizeof(int64_t) +
                                (int64_t)sizeof(tm_entry_t), 0);
}

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
    if (val < tm_nearest_floor(st, a))
        return;
    /* tm_list_insert with the order written in (the hot path of large lists). */
    tm_entry_t *list = st->neg + a * st->cap;
    const int64_t cap = st->cap, c = st->count[a];
    const tm_entry_t e = {val, idx};
    if (cap <= 0 || (c == cap && !tm_entry_nearer(e, list[c - 1])))
        return;
    /* The first entry e is nearer than, among the ones that may move (no branches). */
    const int64_t last = c < cap ? c : cap - 1;
    int64_t lo = 0, len = last;
    while (len > 0) {
        const int64_t half = len >> 1;
        const tm_entry_t *m = &list[lo + half];
        /* e comes after m: not nearer (indices differ), as integer arithmetic. */
        const int64_t after = (m->val < e.val) | ((m->val == e.val) & (m->idx < e.idx));
        lo += after * (half + 1);
        len = half + after * (len - 2 * half - 1);
    }
    memmove(list + lo + 1, list + lo, (size_t)(last - lo) * sizeof *list);
    list[lo] = e;
    if (c < cap)
        st->count[a] = c + 1;
}

void tm_nearest_offer_pos(tm_nearest_t *st, int64_t a, double val, int64_t idx)
{
    tm_entry_t e = {val, idx};
    if (st->pos[a].idx < 0 || tm_entry_farther(e, st->pos[a]))
        st->pos[a] = e;
}

/*
 * One anchor against a row of dot products: intervals for the whole row at once
 * (vectorised), then a branch-free test per block of 16 against the gates
 * as they stand at the block's start (gates only tighten, so this lets
 * through a superset), and the exact rules only inside blocks that hold
 * a candidate.
 */
static void nearest_row(tm_nearest_t *st, tm_metric_t metric, tm_kern_bound_t bound,
                        const tm_rows_t *anch, int64_t a, const tm_rows_t *cand, int64_t c0,
                        int64_t nc, const float *g, double *lo, double *hi)
{
    const int64_t dim = anch->dim, cap = st->cap;
    const double min_dist = tm_nearest_floor(st, a);
    const float *arow = anch->emb + a * dim;
    const int64_t lab = anch->labels[a], self = anch->gid[a];
    const int64_t *clab = cand->labels + c0;
    const tm_entry_t *list = st->neg + a * cap;
    tm_interval_row(metric, bound, anch->sqnorm[a], anch->norm[a], cand, c0, nc, g, 1, lo, hi);
    uint64_t mask = 0;
    for (int64_t j0 = 0; j0 < nc; j0 += 16) {
        const int64_t j1 = j0 + 16 < nc ? j0 + 16 : nc;
        if (j0 % 1024 == 0) {
            /* Gates as they stand now: they only tighten afterwards. */
            const double gate = cap > 0 && st->count[a] == cap ? list[cap - 1].val : INFINITY;
            const double pgate = st->pos[a].idx >= 0 ? st->pos[a].val : -INFINITY;
            int64_t len = nc - j0 < 1024 ? nc - j0 : 1024;
            mask = tm_row_blocks(clab + j0, lab, lo + j0, hi + j0, len, gate, min_dist, pgate);
        }
        if (!((mask >> ((j0 % 1024) / 16)) & 1))
            continue;
        for (int64_t j = j0; j < j1; j++) {
            const int64_t c = c0 + j;
            if (clab[j] != lab) {
                double cut = cap > 0 && st->count[a] == cap ? list[cap - 1].val : INFINITY;
                if (lo[j] > cut || hi[j] < min_dist || tm_rows_excluded(anch, a, cand->gid[c]))
                    continue;
                double val = tm_exact_dist(metric, arow, cand->emb + c * dim, dim);
                tm_nearest_offer_neg(st, a, val, cand->gid[c]);
            } else if (cand->gid[c] != self && !st->negatives_only) {
                if (st->pos[a].idx >= 0 && hi[j] < st->pos[a].val)
                    continue;
                double val = tm_exact_dist(metric, arow, cand->emb + c * dim, dim);
                tm_nearest_offer_pos(st, a, val, cand->gid[c]);
            }
        }
    }
}

/*
 * Offer k negatives of anchor a at once (e is scratch, reordered): those
 * at or above the floor that beat the list's last entry are sorted and
 * merged into the list from its end, which keeps the cap nearest: the
 * same list as offering them one by one, without a search per entry.
 */
static void offer_many(tm_nearest_t *st, int64_t a, tm_entry_t *e, int64_t k)
{
    tm_entry_t *list = st->neg + a * st->cap;
    const int64_t cap = st->cap, c = st->count[a];
    const double floor = tm_nearest_floor(st, a);
    if (cap <= 0)
        return;
    int64_t n = 0;
    for (int64_t i = 0; i < k; i++)
        if (!(e[i].val < floor) && (c < cap || tm_entry_nearer(e[i], list[c - 1])))
            e[n++] = e[i];
    if (n == 0)
        return;
    for (int64_t x = 1; x < n; x++) { /* insertion sort: n is a few dozen at most */
        const tm_entry_t v = e[x];
        int64_t y = x;
        for (; y > 0 && tm_entry_nearer(v, e[y - 1]); y--)
            e[y] = e[y - 1];
        e[y] = v;
    }
    const int64_t m = c + n < cap ? c + n : cap;
    int64_t i = c - 1, j = n - 1;
    /* Drop the largest of both until m remain, then merge from the back. */
    for (int64_t drop = c + n - m; drop > 0; drop--) {
        if (j < 0 || (i >= 0 && tm_entry_nearer(e[j], list[i])))
            i--;
        else
            j--;
    }
    for (int64_t w = m - 1; j >= 0; w--) {
        if (i >= 0 && tm_entry_nearer(e[j], list[i]))
            list[w] = list[i--];
        else
            list[w] = e[j--];
    }
    st->count[a] = m;
}

/* Score the hits exactly (four at a time) and offer them as negatives. */
static void offer_negatives(tm_nearest_t *st, tm_metric_t metric, const tm_rows_t *anch,
                            int64_t a, const float *arow, const tm_rows_t *cand, int64_t c0,
                            const int32_t *hits, int64_t nhit)
{
    const int64_t dim = anch->dim;
    tm_entry_t e[64];
    int64_t ne = 0;
    for (int64_t k = 0; k < nhit;) {
        double val[4];
        int64_t take = nhit - k >= 4 ? 4 : 1;
        if (take == 4) {
            const float *rows[4];
            for (int u = 0; u < 4; u++)
                rows[u] = cand->emb + (c0 + hits[k + u]) * dim;
            tm_exact_dist4(metric, arow, rows, dim, val);
        } else {
            val[0] = tm_exact_dist(metric, arow, cand->emb + (c0 + hits[k]) * dim, dim);
        }
        for (int64_t u = 0; u < take; u++) {
            const int64_t idx = cand->gid[c0 + hits[k + u]];
            if (!tm_rows_excluded(anch, a, idx))
                e[ne++] = (tm_entry_t){val[u], idx};
        }
        k += take;
        if (ne > 60 || k == nhit) {
            offer_many(st, a, e, ne);
            ne = 0;
        }
    }
}

/*
 * The same with float32 keys (prefilter.c): the hardest positive as in
 * batch-hard, then the negatives of the two ranges block by block, each
 * block against the gates as they stand at its start.
 */
static void nearest_row_keys(tm_nearest_t *st, tm_metric_t metric, const tm_keyrow_t *kr,
                             const tm_rows_t *anch, int64_t a, const tm_rows_t *cand, int64_t c0,
                             int64_t nc, const float *g, int32_t *hits)
{
    const float *kadd = cand->kadd + c0, *kmul = cand->kmul + c0;
    const int64_t dim = anch->dim, cap = st->cap;
    const float *arow = anch->emb + a * dim;
    const tm_entry_t *list = st->neg + a * cap;
    int64_t r[4][2];
    tm_keyrow_ranges(kr, nc, r);

    float tpos = -INFINITY, mn, mx;
    for (int q = 2; q < 4 && !st->negatives_only; q++)
        if (r[q][0] < r[q][1]) {
            tm_key_minmax(g, kadd, kmul, r[q][0], r[q][1], &mn, &mx);
            tpos = mx > tpos ? mx : tpos;
        }
    if (tpos > -INFINITY) {
        double cut = tm_key_lo(kr, tpos);
        if (st->pos[a].idx >= 0) {
            const double best = tm_fast_down(metric, st->pos[a].val);
            cut = best > cut ? best : cut;
        }
        const float tp = tm_key_thr_ge(kr, tm_widen_down(cut));
        int64_t nhit = 0;
        for (int q = 2; q < 4; q++)
            if (r[q][0] < r[q][1])
                nhit += tm_key_scan(g, kadd, kmul, r[q][0], r[q][1], tp, INFINITY, INFINITY,
                                    hits + nhit);
        for (int64_t k = 0; k < nhit; k++) {
            const int64_t c = c0 + hits[k];
            double val = tm_exact_dist(metric, arow, cand->emb + c * dim, dim);
            tm_nearest_offer_pos(st, a, val, cand->gid[c]);
        }
    }

    const double floor = tm_nearest_floor(st, a);
    const float tmin = floor > -INFINITY ? tm_key_thr_ge(kr, tm_fast_down(metric, floor))
                                         : -INFINITY;
    /*
     * Hits wait in hits[0 .. pending) until a few dozen can be scored four
     * at once (tm_exact_dist4) and merged into the list together; a block
     * scanned meanwhile sees a gate that has not yet tightened for them,
     * which only lets more through.
     */
    int64_t pending = 0;
    for (int q = 0; q < 2 && floor < INFINITY; q++)
        for (int64_t j0 = r[q][0]; j0 < r[q][1]; j0 += TM_KEY_BLOCK) {
            const int64_t j1 = j0 + TM_KEY_BLOCK < r[q][1] ? j0 + TM_KEY_BLOCK : r[q][1];
            const double gate = cap > 0 && st->count[a] == cap ? list[cap - 1].val : INFINITY;
            const float tn = tm_key_thr_le(kr, tm_widen_up(tm_fast_up(metric, gate)));
            pending += tm_key_scan(g, kadd, kmul, j0, j1, tmin, tn, INFINITY, hits + pending);
            if (pending < 32)
                continue; /* merged into the list a few dozen at a time */
            const int64_t done = pending - pending % 4;
            offer_negatives(st, metric, anch, a, arow, cand, c0, hits, done);
            for (int64_t k = done; k < pending; k++)
                hits[k - done] = hits[k];
            pending -= done;
        }
    offer_negatives(st, metric, anch, a, arow, cand, c0, hits, pending);
}

static void nearest_keys(void *st, const tm_rowctx_t *r)
{
    const tm_tile_t *t = r->t;
    nearest_row_keys(st, t->metric, r->kr, t->anch, r->a, t->cand, t->c0, r->nc, r->g, r->hits);
}

static void nearest_intervals(void *st, const tm_rowctx_t *r)
{
    const tm_tile_t *t = r->t;
    nearest_row(st, t->metric, t->bound, t->anch, r->a, t->cand, t->c0, r->nc, r->g, r->lo,
                r->hi);
}

void tm_nearest_update(tm_nearest_t *st, const tm_tile_t *t)
{
    if (st->cap == 0 && st->negatives_only)
        return; /* nothing to keep (sample without a pool or a skip) */
    tm_tile_rows(t, st, NULL, nearest_keys, nearest_intervals);
}

void tm_nearest_save(const tm_nearest_t *st, tm_buf_t *b)
{
    tm_buf_put_i64(b, st->n);
    tm_buf_put_i64(b, st->cap);
    tm_buf_put(b, st->count, (size_t)st->n * sizeof *st->count);
    tm_buf_put(b, st->pos, (size_t)st->n * sizeof *st->pos);
    tm_buf_put(b, st->neg, (size_t)(st->n * st->cap) * sizeof *st->neg);
}

int tm_nearest_load(tm_nearest_t *st, tm_buf_t *b)
{
    if (tm_buf_get_i64(b) != st->n || tm_buf_get_i64(b) != st->cap)
        return TM_EINPUT;
    if (tm_buf_get_array(b, st->count, st->n, sizeof *st->count) ||
        tm_buf_get_array(b, st->pos, st->n, sizeof *st->pos) ||
        tm_buf_get_array(b, st->neg, st->n * st->cap, sizeof *st->neg))
        return TM_EINPUT;
    for (int64_t a = 0; a < st->n; a++)
        if (st->count[a] < 0 || st->count[a] > st->cap)
            return TM_EINPUT;
    return 0;
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
