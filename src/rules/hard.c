/*
 * select.c - batch-hard selection with exact re-checks of near-ties.
 */
#include "rules/select.h"

#include "rules/util.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tripminer/err.h"
#include "core/exact.h"

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

__attribute__((target_clones("avx2", "default")))
uint64_t tm_row_blocks(const int64_t *clab, int64_t lab, const double *lo, const double *hi,
                       int64_t n, double gate, double min_dist, double pgate)
{
    typedef double v4d __attribute__((vector_size(32)));
    typedef long long v4l __attribute__((vector_size(32)));
    const v4l vlab = {lab, lab, lab, lab};
    const v4d vgate = {gate, gate, gate, gate}, vmin = {min_dist, min_dist, min_dist, min_dist};
    const v4d vpg = {pgate, pgate, pgate, pgate};
    uint64_t mask = 0;
    int64_t j = 0;
    for (int64_t blk = 0; j + 16 <= n; blk++, j += 16) {
        v4l any = {0, 0, 0, 0};
        for (int k = 0; k < 16; k += 4) {
            v4l l4;
            v4d lo4, hi4;
            memcpy(&l4, clab + j + k, sizeof l4);
            memcpy(&lo4, lo + j + k, sizeof lo4);
            memcpy(&hi4, hi + j + k, sizeof hi4);
            const v4l neg = l4 != vlab;
            any |= (neg & (lo4 <= vgate) & (hi4 >= vmin)) | (~neg & (hi4 >= vpg));
        }
        if (any[0] | any[1] | any[2] | any[3])
            mask |= (uint64_t)1 << blk;
    }
    if (j < n) {
        /* The last, partial block is looked at closely in any case. */
        mask |= (uint64_t)1 << (j / 16);
    }
    return mask;
}

__attribute__((target_clones("avx2", "default")))
void tm_interval_row(tm_metric_t metric, tm_kern_bound_t b, double na, double ra,
                     const tm_rows_t *cand, int64_t c0, int64_t nc, const float *restrict g,
                     int metric_units, double *restrict lo, double *restrict hi)
{
    const double *restrict cnorm = cand->norm + c0, *restrict csq = cand->sqnorm + c0;
    /*
     * f is finite exactly when g is (norms of float32 rows are far from
     * overflowing a double, and so are their inverses' products), so
     * f - f != 0 flags a dot product that overflowed float32.
     */
    int bad = 0;
    if (metric == TM_METRIC_COSINE) {
        /* Zero norms: f = 1 exactly (inverse norm taken as 0). */
        const double ia = ra > 0.0 ? 1.0 / ra : 0.0;
        const double e0 = b.gamma + b.slack;
        for (int64_t j = 0; j < nc; j++) {
            const double ic = cnorm[j] > 0.0 ? 1.0 / cnorm[j] : 0.0;
            const double f = 1.0 - (double)g[j] * ia * ic;
            const double e = e0 + b.tiny * ia * ic;
            bad |= !(f - f == 0.0);
            lo[j] = f - e;
            hi[j] = f + e;
        }
    } else {
        const double k1 = 2.0 * b.gamma * ra, k0 = 2.0 * b.tiny + b.slack * na;
        for (int64_t j = 0; j < nc; j++) {
            const double f = na + csq[j] - 2.0 * (double)g[j];
            const double e = k1 * cnorm[j] + k0 + b.slack * csq[j];
            bad |= !(f - f == 0.0);
            lo[j] = f - e;
            hi[j] = f + e;
        }
    }
    if (bad)
        for (int64_t j = 0; j < nc; j++)
            if (!(g[j] <= FLT_MAX && g[j] >= -FLT_MAX)) {
                /* A dot product that overflowed float32 says nothing. */
                lo[j] = -INFINITY;
                hi[j] = INFINITY;
            }
    if (metric_units && metric == TM_METRIC_EUCLIDEAN)
        for (int64_t j = 0; j < nc; j++) {
            /* The rounded square root is monotone: the ends stay safe. */
            lo[j] = lo[j] > 0.0 ? sqrt(lo[j]) : 0.0;
            hi[j] = hi[j] > 0.0 ? sqrt(hi[j]) : 0.0;
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
    const int64_t dim = anch->dim;
    const float *arow = anch->emb + a * dim;
    for (int64_t k = 0; k < nhit; k++) {
        const int64_t c = c0 + hits[k];
        const int neg = cand->labels[c] != lab;
        double fast = tm_exact_fast(metric, arow, cand->emb + c * dim, dim);
        tm_hard_offer(st, a, !neg, tm_exact_from_fast(metric, fast), fast, cand->gid[c]);
    }
}

/*
 * The same with float32 keys (select_keys.c): one pass for the smallest
 * key over the negatives and the largest over the positives, which give
 * the cuts, and one pass for the keys that reach them. Both pass over
 * ranges: the anchor's positives are one range of the ordered tile.
 */
static void hard_row_keys(tm_hard_t *st, tm_metric_t metric, const tm_keyrow_t *kr,
                          const tm_rows_t *anch, int64_t a, const tm_rows_t *cand, int64_t c0,
                          int64_t nc, const float *g, int32_t *hits)
{
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

    int64_t nhit = 0;
    for (int q = 0; q < 4; q++)
        if (r[q][0] < r[q][1])
            nhit += tm_key_scan(g, kadd, kmul, r[q][0], r[q][1], q < 2 ? -INFINITY : tp,
                                q < 2 ? tn : INFINITY, INFINITY, hits + nhit);
    const int64_t dim = anch->dim;
    const float *arow = anch->emb + a * dim;
    for (int64_t k = 0; k < nhit; k++) {
        const int64_t j = hits[k], c = c0 + j;
        const int pos = j >= p0 && j < p1;
        double fast = tm_exact_fast(metric, arow, cand->emb + c * dim, dim);
        tm_hard_offer(st, a, pos, tm_exact_from_fast(metric, fast), fast, cand->gid[c]);
    }
}

void tm_hard_update(tm_hard_t *st, tm_metric_t metric, tm_kern_bound_t bound,
                    const tm_rows_t *anch, int64_t a0, int64_t a1,
                    const tm_rows_t *cand, int64_t c0, int64_t c1,
                    const float *G, double *scratch)
{
    const int64_t nc = c1 - c0;
    int32_t *hits = (int32_t *)(void *)(scratch + 2 * nc);
    tm_tilekeys_t tk;
    tm_tilekeys(metric, cand, c0, c1, &tk);
    for (int64_t a = a0; a < a1; a++) {
        tm_keyrow_t kr;
        if (tk.ok)
            tm_keyrow(metric, bound, &tk, anch, a, cand, c0, c1, &kr);
        if (tk.ok && kr.ok)
            hard_row_keys(st, metric, &kr, anch, a, cand, c0, nc, G + (a - a0) * nc, hits);
        else
            hard_row(st, metric, bound, anch, a, cand, c0, nc, G + (a - a0) * nc, scratch,
                     scratch + nc, hits);
    }
}

/* ---- triplet lists ---------------------------------------------------- */

int tm_triplets_push(tm_triplets_t *t, int64_t a, int64_t p, int64_t n, double dap, double dan)
{
    if (t->m == t->cap) {
        int64_t cap = t->cap > 0 ? 2 * t->cap : 1024;
        int64_t *idx = realloc(t->idx, (size_t)cap * 3 * sizeof *idx);
        if (idx != NULL)
            t->idx = idx;
        double *x = idx ? realloc(t->dap, (size_t)cap * sizeof *x) : NULL;
        if (x != NULL)
            t->dap = x;
        double *y = x ? realloc(t->dan, (size_t)cap * sizeof *y) : NULL;
        if (y == NULL)
            return TM_ENOMEM;
        t->dan = y;
        t->cap = cap;
    }
    int64_t k = t->m++;
    t->idx[3 * k + 0] = a;
    t->idx[3 * k + 1] = p;
    t->idx[3 * k + 2] = n;
    t->dap[k] = dap;
    t->dan[k] = dan;
    return 0;
}

void tm_triplets_free(tm_triplets_t *t)
{
    free(t->idx);
    free(t->dap);
    free(t->dan);
    memset(t, 0, sizeof *t);
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
