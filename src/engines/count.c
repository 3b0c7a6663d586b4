/*
 * count.c - how many negatives each filter removes, counted exactly: the
 * float32 keys (or double intervals) settle most candidates against a
 * threshold, and the exact double distance settles the few near it.
 *
 * A negative is below a threshold T when d(a,n) < T in the metric's units.
 * With the fast-space bounds of tm_fast_down / tm_fast_up: a key below
 * tm_key_thr_ge(F_down) is surely below T, a key above tm_key_thr_le(F_up)
 * surely not, and the band between is decided on the exact distance.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/exact.h"
#include "engines/prefilter.h"
#include "tripminer/err.h"

int tm_count_init(tm_count_t *c, int64_t n, double t1)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    c->t1 = t1;
    const size_t cnt = (size_t)(n > 0 ? n : 1);
    c->negs = calloc(cnt, sizeof *c->negs);
    c->below1 = calloc(cnt, sizeof *c->below1);
    c->below2 = calloc(cnt, sizeof *c->below2);
    if (c->negs == NULL || c->below1 == NULL || c->below2 == NULL) {
        tm_count_free(c);
        return TM_ENOMEM;
    }
    return 0;
}

void tm_count_free(tm_count_t *c)
{
    free(c->negs);
    free(c->below1);
    free(c->below2);
    c->negs = c->below1 = c->below2 = NULL;
}

void tm_count_save(const tm_count_t *c, tm_buf_t *b)
{
    tm_buf_put_i64(b, c->n);
    tm_buf_put(b, c->negs, (size_t)c->n * sizeof *c->negs);
    tm_buf_put(b, c->below1, (size_t)c->n * sizeof *c->below1);
    tm_buf_put(b, c->below2, (size_t)c->n * sizeof *c->below2);
}

int tm_count_load(tm_count_t *c, tm_buf_t *b)
{
    if (tm_buf_get_i64(b) != c->n || tm_buf_get_array(b, c->negs, c->n, sizeof *c->negs) ||
        tm_buf_get_array(b, c->below1, c->n, sizeof *c->below1) ||
        tm_buf_get_array(b, c->below2, c->n, sizeof *c->below2))
        return TM_EINPUT;
    return 0;
}

static double floor_of(const tm_count_t *c, int64_t a)
{
    return c->t2 != NULL ? c->t2[a] : c->t1;
}

/* Nothing is below either threshold: the negatives are counted by label alone. */
static int count_plain(const tm_count_t *c, int64_t a)
{
    return c->t1 == -INFINITY && floor_of(c, a) == -INFINITY;
}

static int count_skip(const void *vc, int64_t a)
{
    return floor_of(vc, a) == INFINITY || count_plain(vc, a);
}

/* The exact distance of anchor a and candidate c of the tile. */
static double exact(const tm_tile_t *t, int64_t a, int64_t c)
{
    const int64_t dim = t->anch->dim;
    return tm_exact_dist(t->metric, t->anch->emb + a * dim, t->cand->emb + c * dim, dim);
}

/*
 * The candidates anchor a excludes (--pairs) that are in this tile: they
 * were counted as negatives by label; take them out again.
 */
static void uncount_excluded(tm_count_t *c, const tm_tile_t *t, int64_t a)
{
    const tm_rows_t *an = t->anch;
    if (an->xidx == NULL)
        return;
    const double t2 = floor_of(c, a);
    for (int64_t k = an->xbeg[a]; k < an->xend[a]; k++) {
        const int64_t x = an->xidx[k];
        if (x == an->labels[a])
            continue; /* the pair's own positive: no negative */
        /* Ordered rows (keys set) are found by label (= index with --pairs). */
        int64_t q0 = t->c1, q1 = t->c1;
        if (t->cand->kadd != NULL) {
            tm_label_range(t->cand, t->c0, t->c1, x, &q0, &q1);
        } else {
            for (int64_t c = t->c0; c < t->c1 && q0 == t->c1; c++)
                if (t->cand->gid[c] == x)
                    q0 = c, q1 = c + 1;
        }
        if (q0 >= q1 || t->cand->gid[q0] != x)
            continue;
        const double d = exact(t, a, q0);
        c->negs[a]--;
        c->below1[a] -= d < c->t1;
        c->below2[a] -= d < t2;
    }
}

/* Negatives of the row below T: the keys, then the band exactly. */
static int64_t below_keys(const tm_rowctx_t *r, const int64_t rg[2][2], double T)
{
    const tm_tile_t *t = r->t;
    if (T == -INFINITY)
        return 0;
    const float below = tm_key_thr_ge(r->kr, tm_fast_down(t->metric, T));
    const float hi = tm_key_thr_le(r->kr, tm_fast_up(t->metric, T));
    const float *kadd = t->cand->kadd + t->c0, *kmul = t->cand->kmul + t->c0;
    int64_t n = 0, nhit = 0;
    for (int q = 0; q < 2; q++)
        if (rg[q][0] < rg[q][1])
            n += tm_key_count(r->g, kadd, kmul, rg[q][0], rg[q][1], below, hi, r->hits, &nhit);
    for (int64_t k = 0; k < nhit; k++)
        n += exact(t, r->a, t->c0 + r->hits[k]) < T;
    return n;
}

static void count_keys(void *vc, const tm_rowctx_t *r)
{
    tm_count_t *c = vc;
    const int64_t a = r->a;
    int64_t rg[4][2];
    tm_keyrow_ranges(r->kr, r->nc, rg);
    c->negs[a] += (rg[0][1] - rg[0][0]) + (rg[1][1] - rg[1][0]);
    const double t2 = floor_of(c, a);
    const int64_t b1 = below_keys(r, rg, c->t1);
    c->below1[a] += b1;
    c->below2[a] += t2 == c->t1 ? b1 : below_keys(r, rg, t2);
    uncount_excluded(c, r->t, a);
}

static void count_intervals(void *vc, const tm_rowctx_t *r)
{
    tm_count_t *c = vc;
    const tm_tile_t *t = r->t;
    const int64_t a = r->a, lab = t->anch->labels[a];
    const int64_t *clab = t->cand->labels + t->c0;
    tm_interval_row(t->metric, t->bound, t->anch->sqnorm[a], t->anch->norm[a], t->cand, t->c0,
                    r->nc, r->g, 0, r->lo, r->hi);
    const double T[2] = {c->t1, floor_of(c, a)};
    double dn[2], up[2];
    for (int i = 0; i < 2; i++) {
        dn[i] = T[i] == -INFINITY ? -INFINITY : tm_fast_down(t->metric, T[i]);
        up[i] = T[i] == -INFINITY ? -INFINITY : tm_fast_up(t->metric, T[i]);
    }
    int64_t negs = 0, b[2] = {0, 0};
    for (int64_t j = 0; j < r->nc; j++) {
        if (clab[j] == lab)
            continue;
        negs++;
        double d = NAN;
        for (int i = 0; i < 2; i++) {
            if (r->hi[j] < dn[i]) {
                b[i]++;
            } else if (r->lo[j] <= up[i]) {
                if (isnan(d))
                    d = exact(t, a, t->c0 + j);
                b[i] += d < T[i];
            }
        }
    }
    c->negs[a] += negs;
    c->below1[a] += b[0];
    c->below2[a] += b[1];
    uncount_excluded(c, t, a);
}

void tm_count_update(tm_count_t *c, const tm_tile_t *t)
{
    const tm_rows_t *cand = t->cand;
    for (int64_t a = t->a0; a < t->a1; a++) {
        if (!tm_tile_takes(t, a) || !count_plain(c, a))
            continue;
        const int64_t lab = t->anch->labels[a];
        int64_t p0 = t->c0, p1 = t->c0;
        if (cand->kadd != NULL) { /* ordered by label: one range */
            tm_label_range(cand, t->c0, t->c1, lab, &p0, &p1);
        } else {
            for (int64_t j = t->c0; j < t->c1; j++)
                p1 += cand->labels[j] == lab;
        }
        c->negs[a] += (t->c1 - t->c0) - (p1 - p0);
        uncount_excluded(c, t, a);
    }
    tm_tile_rows(t, c, count_skip, count_keys, count_intervals);
}

int64_t tm_filtered_add(tm_filtered_t *f, int64_t negs, int64_t below1, int64_t below2,
                        int64_t skip, int64_t pool)
{
    const int64_t left = negs - below2;
    const int64_t skipped = skip < left ? skip : left;
    const int64_t after = left - skipped;
    const int64_t eligible = pool >= 0 && pool < after ? pool : after;
    f->min_dist += below1;
    f->margin += below2 - below1;
    f->skip += skipped;
    f->pool += after - eligible;
    return eligible;
}
