/*
 * batchhard.c - the plain batch-hard engine: the hardest positive and the
 * hardest negative of each anchor, with exact re-checks of near-ties.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/exact.h"
#include "engines/engine.h"
#include "engines/prefilter.h"
#include "tripminer/err.h"

int tm_hard_init(tm_hard_t *st, int64_t n)
{
    size_t cnt = (size_t)(n > 0 ? n : 1);
    st->n = n;
    st->pos = malloc(cnt * sizeof *st->pos);
    st->neg = malloc(cnt * sizeof *st->neg);
    if (st->pos == NULL || st->neg == NULL) {
        tm_hard_free(st);
        return TM_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        st->pos[i] = (tm_best_t){0.0, 0.0, -1};
        st->neg[i] = (tm_best_t){0.0, 0.0, -1};
    }
    return 0;
}

void tm_hard_free(tm_hard_t *st)
{
    free(st->pos);
    free(st->neg);
    st->pos = st->neg = NULL;
    st->n = 0;
}

void tm_hard_offer(tm_hard_t *st, int64_t a, int is_pos, double val, double fast, int64_t idx)
{
    tm_best_t *b = is_pos ? &st->pos[a] : &st->neg[a];
    int better;
    if (b->idx < 0)
        better = 1;
    else if (is_pos)
        better = val > b->val || (val == b->val && idx < b->idx);
    else
        better = val < b->val || (val == b->val && idx < b->idx);
    if (better)
        *b = (tm_best_t){val, fast, idx};
}

/*
 * Offer the nhit candidates c0 + hits[k] to anchor a, each scored exactly
 * (up to eight at a time: the same bits as one by one). A positive is one of
 * the range [p0, p1) of the tile's columns, or (p0 < 0) one of the
 * anchor's label.
 */
static void offer_hits(tm_hard_t *st, tm_metric_t metric, const tm_rows_t *anch, int64_t a,
                       const tm_rows_t *cand, int64_t c0, const int32_t *hits, int64_t nhit,
                       int64_t p0, int64_t p1)
{
    const int64_t dim = anch->dim, lab = anch->labels[a];
    const float *arow = anch->emb + a * dim;
    double fast[8];
    for (int64_t k0 = 0; k0 < nhit;) {
        const int64_t w = nhit - k0 >= 8 ? 8 : nhit - k0;
        const float *rows[8];
        for (int64_t u = 0; u < w; u++)
            rows[u] = cand->emb + (c0 + hits[k0 + u]) * dim;
        tm_exact_fastn(metric, arow, rows, (int)w, dim, fast);
        for (int64_t u = 0; u < w; u++) {
            const int64_t j = hits[k0 + u], c = c0 + j;
            const int pos = p0 >= 0 ? j >= p0 && j < p1 : cand->labels[c] == lab;
            tm_hard_offer(st, a, pos, tm_exact_from_fast(metric, fast[u]), fast[u], cand->gid[c]);
        }
        k0 += w;
    }
}

/*
 * One anchor against a row of dot products g: the hot loop of the
 * default strategy. Pass 1 is branch-free over the row (it vectorises):
 * the interval [lo, hi] of each candidate in fast space, the smallest
 * upper end over negatives and the largest lower end over positives.
 * Pass 2 re-scores exactly the few candidates whose interval reaches
 * those cuts.
 */
__attribute__((target_clones("avx2", "default")))
static void hard_row(tm_hard_t *st, tm_metric_t metric, tm_kern_bound_t b,
                     const tm_rows_t *anch, int64_t a, const tm_rows_t *cand, int64_t c0,
                     int64_t nc, const float *restrict g, double *restrict lo,
                     double *restrict hi, int32_t *restrict hits)
{
    const int64_t lab = anch->labels[a];
    const double na = anch->sqnorm[a], ra = anch->norm[a];
    const int64_t *restrict clab = cand->labels + c0;
    double neg_cut = INFINITY, pos_cut = -INFINITY;
    tm_interval_row(metric, b, na, ra, cand, c0, nc, g, 0, lo, hi);
    const int64_t self = anch->gid[a];
    const int64_t *restrict cgid = cand->gid + c0;
    /*
     * The masked min and max over the row, four lanes at a time with GCC
     * vector extensions (plain C leaves these floating-point reductions
     * scalar): lanes that do not qualify hold +inf / -inf.
     */
    typedef double v4d __attribute__((vector_size(32)));
    typedef long long v4l __attribute__((vector_size(32)));
    const v4d pinf = {INFINITY, INFINITY, INFINITY, INFINITY};
    const v4d minf = -pinf;
    const v4l vlab = {lab, lab, lab, lab}, vself = {self, self, self, self};
    v4d vneg = pinf, vpos = minf;
    int64_t j = 0;
    for (; j + 4 <= nc; j += 4) {
        v4l l4, g4;
        v4d lo4, hi4;
        memcpy(&l4, clab + j, sizeof l4);
        memcpy(&g4, cgid + j, sizeof g4);
        memcpy(&lo4, lo + j, sizeof lo4);
        memcpy(&hi4, hi + j, sizeof hi4);
        const v4l neg = l4 != vlab, pos = ~neg & (g4 != vself);
        const v4d h = (v4d)(((v4l)hi4 & neg) | ((v4l)pinf & ~neg));
        const v4d l = (v4d)(((v4l)lo4 & pos) | ((v4l)minf & ~pos));
        const v4l hless = h < vneg, lmore = l > vpos;
        vneg = (v4d)(((v4l)h & hless) | ((v4l)vneg & ~hless));
        vpos = (v4d)(((v4l)l & lmore) | ((v4l)vpos & ~lmore));
    }
    for (int u = 0; u < 4; u++) {
        neg_cut = vneg[u] < neg_cut ? vneg[u] : neg_cut;
        pos_cut = vpos[u] > pos_cut ? vpos[u] : pos_cut;
    }
    for (; j < nc; j++) {
        const int neg = clab[j] != lab, pos = !neg && cgid[j] != self;
        const double h = neg ? hi[j] : INFINITY;
        const double l = pos ? lo[j] : -INFINITY;
        neg_cut = h < neg_cut ? h : neg_cut;
        pos_cut = l > pos_cut ? l : pos_cut;
    }

    const tm_best_t *bp = &st->pos[a], *bn = &st->neg[a];
    if (bn->idx >= 0 && bn->fast < neg_cut)
        neg_cut = bn->fast;
    if (bp->idx >= 0 && bp->fast > pos_cut)
        pos_cut = bp->fast;
    neg_cut = tm_widen_up(neg_cut);
    pos_cut = tm_widen_down(pos_cut);

    /*
     * Find the survivors: a branch-free test over blocks of 16 (it
     * vectorises), then a closer look only inside the rare blocks that
     * hold one.
     */
    int64_t nhit = 0;
    for (int64_t j0 = 0; j0 < nc; j0 += 16) {
        const int64_t j1 = j0 + 16 < nc ? j0 + 16 : nc;
        int any = 0;
        for (int64_t j = j0; j < j1; j++) {
            const int neg = clab[j] != lab;
            any |= (neg & (lo[j] <= neg_cut)) | (!neg & (hi[j] >= pos_cut));
        }
        if (!any)
            continue;
        for (int64_t j = j0; j < j1; j++) {
            const int neg = clab[j] != lab;
            if (neg ? lo[j] <= neg_cut : hi[j] >= pos_cut && cgid[j] != self)
                hits[nhit++] = (int32_t)j;
        }
    }
    offer_hits(st, metric, anch, a, cand, c0, hits, nhit, -1, -1);
}

/*
 * The same with float32 keys (prefilter.c): one pass for the smallest
 * key over the negatives and the largest over the positives, which give
 * the cuts, and one pass for the keys that reach them. Both pass over
 * ranges: the anchor's positives are one range of the ordered tile.
 */
static void hard_row_keys(tm_hard_t *st, const tm_tile_t *t, const tm_keyrow_t *kr, int64_t a,
                          int64_t nc, const float *g, int32_t *hits, double *lo, double *hi)
{
    const tm_metric_t metric = t->metric;
    const tm_rows_t *anch = t->anch, *cand = t->cand;
    const int64_t c0 = t->c0;
    const float *kadd = cand->kadd + c0, *kmul = cand->kmul + c0;
    const int64_t p0 = kr->p0, p1 = kr->p1;
    int64_t r[4][2];
    tm_keyrow_ranges(kr, nc, r);
    float tneg = INFINITY, tpos = -INFINITY, mn, mx;
    for (int q = 0; q < 4; q++) {
        if (r[q][0] >= r[q][1])
            continue;
        tm_key_minmax(g, kadd, kmul, r[q][0], r[q][1], &mn, &mx);
        if (q < 2)
            tneg = mn < tneg ? mn : tneg;
        else
            tpos = mx > tpos ? mx : tpos;
    }
    double neg_cut = tneg < INFINITY ? tm_key_hi(kr, tneg) : INFINITY;
    double pos_cut = tpos > -INFINITY ? tm_key_lo(kr, tpos) : -INFINITY;
    const tm_best_t *bp = &st->pos[a], *bn = &st->neg[a];
    if (bn->idx >= 0 && bn->fast < neg_cut)
        neg_cut = bn->fast;
    if (bp->idx >= 0 && bp->fast > pos_cut)
        pos_cut = bp->fast;
    const float tn = tm_key_thr_le(kr, tm_widen_up(neg_cut));
    const float tp = tm_key_thr_ge(kr, tm_widen_down(pos_cut));

    int64_t nhit = 0, nneg = 0;
    for (int q = 0; q < 4; q++) {
        if (r[q][0] < r[q][1])
            nhit += tm_key_scan(g, kadd, kmul, r[q][0], r[q][1], q < 2 ? -INFINITY : tp,
                                q < 2 ? tn : INFINITY, INFINITY, hits + nhit);
        if (q == 1)
            nneg = nhit;
    }
    /*
     * A fast kernel's hits looked at again in float32: the cuts tighten to
     * the nearest negative's and the farthest positive's float32 bounds,
     * and only the hits that still reach them are scored exactly.
     */
    if (nhit > 1 && tm_hits_intervals(t, a, kr, g, hits, nhit, lo, hi)) {
        for (int64_t k = 0; k < nneg; k++)
            neg_cut = hi[k] < neg_cut ? hi[k] : neg_cut;
        for (int64_t k = nneg; k < nhit; k++)
            pos_cut = lo[k] > pos_cut ? lo[k] : pos_cut;
        const double nc_w = tm_widen_up(neg_cut), pc_w = tm_widen_down(pos_cut);
        int64_t m = 0;
        for (int64_t k = 0; k < nhit; k++)
            if (k < nneg ? lo[k] <= nc_w : hi[k] >= pc_w)
                hits[m++] = hits[k];
        nhit = m;
    }
    offer_hits(st, metric, anch, a, cand, c0, hits, nhit, p0, p1);
}

static void hard_keys(void *st, const tm_rowctx_t *r)
{
    const tm_tile_t *t = r->t;
    hard_row_keys(st, t, r->kr, r->a, r->nc, r->g, r->hits, r->lo, r->hi);
}

static void hard_intervals(void *st, const tm_rowctx_t *r)
{
    const tm_tile_t *t = r->t;
    hard_row(st, t->metric, t->bound, t->anch, r->a, t->cand, t->c0, r->nc, r->g, r->lo, r->hi,
             r->hits);
}

void tm_hard_update(tm_hard_t *st, const tm_tile_t *t)
{
    tm_tile_rows(t, st, NULL, hard_keys, hard_intervals);
}

void tm_hard_save(const tm_hard_t *st, tm_buf_t *b)
{
    tm_buf_put_i64(b, st->n);
    tm_buf_put(b, st->pos, (size_t)st->n * sizeof *st->pos);
    tm_buf_put(b, st->neg, (size_t)st->n * sizeof *st->neg);
}

int tm_hard_load(tm_hard_t *st, tm_buf_t *b)
{
    if (tm_buf_get_i64(b) != st->n)
        return TM_EINPUT;
    if (tm_buf_get_array(b, st->pos, st->n, sizeof *st->pos) ||
        tm_buf_get_array(b, st->neg, st->n, sizeof *st->neg))
        return TM_EINPUT;
    return 0;
}

int tm_hard_finish(const tm_hard_t *st, const int64_t *gid, tm_triplets_t *out)
{
    for (int64_t a = 0; a < st->n; a++) {
        const tm_best_t *p = &st->pos[a], *n = &st->neg[a];
        if (p->idx < 0 || n->idx < 0) {
            out->skipped++;
            continue;
        }
        if (tm_triplets_push(out, gid[a], p->idx, n->idx, p->val, n->val) != 0)
            return TM_ENOMEM;
    }
    return 0;
}

/* ---- the engine ------------------------------------------------------------ */

static int64_t batchhard_bytes(const tm_engine_args_t *a, const tm_engine_size_t *sz)
{
    (void)a;
    return tm_state_bytes(sz->anchors, 2 * (int64_t)sizeof(tm_best_t), 0);
}

static int batchhard_create(void **out, const tm_engine_args_t *a, const tm_engine_size_t *sz)
{
    tm_hard_t *st = calloc(1, sizeof *st);
    (void)a;
    *out = st;
    return st != NULL ? tm_hard_init(st, sz->anchors) : TM_ENOMEM;
}

static void batchhard_destroy(void *st)
{
    if (st != NULL)
        tm_hard_free(st);
    free(st);
}

static int batchhard_needs_tiles(const void *st, int pass)
{
    (void)st, (void)pass;
    return 1;
}

static void batchhard_update(void *st, int pass, const tm_tile_t *t)
{
    (void)pass;
    tm_hard_update(st, t);
}

static int batchhard_finish(const void *st, const int64_t *gid, tm_results_t *out)
{
    return tm_hard_finish(st, gid, &out->trip);
}

static void batchhard_save(const void *st, int pass, tm_buf_t *b)
{
    (void)pass;
    tm_hard_save(st, b);
}

static int batchhard_load(void *st, int pass, tm_buf_t *b)
{
    (void)pass;
    return tm_hard_load(st, b);
}

/* Any negative farther than the hardest one cannot displace it. */
static double batchhard_gate(const void *vst, int64_t a)
{
    const tm_hard_t *st = vst;
    return st->neg[a].idx >= 0 ? st->neg[a].val : INFINITY;
}

const tm_engine_t tm_engine_batchhard = {
    .name = "batch-hard",
    .passes = 1,
    .state_bytes = batchhard_bytes,
    .create = batchhard_create,
    .destroy = batchhard_destroy,
    .needs_tiles = batchhard_needs_tiles,
    .update = batchhard_update,
    .finish = batchhard_finish,
    .save = batchhard_save,
    .load = batchhard_load,
    .gate = batchhard_gate,
};
