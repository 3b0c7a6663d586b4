/*
 * gaps.c - the semi-hard engine (FaceNet; the choice of TensorFlow
 * Addons' triplet_semihard_loss) over the whole data set, in two passes.
 *
 * Pass 1 collects each anchor's positive distances (all, or the kpos
 * hardest) and the negatives --neg-skip removes. Pass 2 sorts the
 * positive distances t_0 <= ... <= t_{P-1} and splits the line into P + 1
 * gaps; each negative falls into one gap (one binary search) and the gap
 * keeps its nearest negative. The negative for t_i is then the nearest in
 * the gaps above it, or, if they are all empty, the farthest negative.
 */
#include <math.h>
#include <stdlib.h>

#include "core/exact.h"
#include "engines/engine.h"
#include "engines/prefilter.h"
#include "tripminer/err.h"

int tm_semi_init(tm_semi_t *st, int64_t n, int64_t kpos, tm_negfilter_t filter, int64_t budget)
{
    memset(st, 0, sizeof *st);
    st->n = n;
    st->kpos = kpos;
    st->filter = filter;
    st->budget = budget;
    size_t cnt = (size_t)(n > 0 ? n : 1);
    st->pos = calloc(cnt, sizeof *st->pos);
    st->npos = calloc(cnt, sizeof *st->npos);
    st->pos_cap = calloc(cnt, sizeof *st->pos_cap);
    st->slot = calloc(cnt, sizeof *st->slot);
    st->gate = malloc(cnt * sizeof *st->gate);
    st->far = malloc(cnt * sizeof *st->far);
    tm_negfilter_t set_filter = {filter.has_min_dist, filter.min_dist, 0};
    int rc = tm_nearest_init(&st->skipset, n, filter.skip, set_filter);
    if (rc != 0 || !st->pos || !st->npos || !st->pos_cap || !st->slot || !st->gate || !st->far) {
        tm_semi_free(st);
        return TM_ENOMEM;
    }
    for (int64_t a = 0; a < n; a++) {
        st->far[a] = (tm_entry_t){0.0, -1};
        st->gate[a] = INFINITY;
    }
    if (kpos > 0) {
        /* Fixed lists of kpos: charge them now. */
        if ((uint64_t)kpos > (uint64_t)INT64_MAX / 2 / sizeof(tm_entry_t) / cnt) {
            st->overflow = 1;
            return 0;
        }
        st->bytes = (int64_t)cnt * kpos * 2 * (int64_t)sizeof(tm_entry_t);
        if (budget > 0 && st->bytes > budget) {
            st->overflow = 1;
            return 0;
        }
        for (int64_t a = 0; a < n; a++) {
            st->pos[a] = malloc((size_t)kpos * sizeof(tm_entry_t));
            if (st->pos[a] == NULL) {
                tm_semi_free(st);
                return TM_ENOMEM;
            }
            st->pos_cap[a] = kpos;
        }
    }
    return 0;
}

void tm_semi_free(tm_semi_t *st)
{
    for (int64_t a = 0; a < st->n; a++) {
        if (st->pos)
            free(st->pos[a]);
        if (st->slot)
            free(st->slot[a]);
    }
    free(st->pos);
    free(st->npos);
    free(st->pos_cap);
    free(st->slot);
    free(st->gate);
    free(st->far);
    tm_nearest_free(&st->skipset);
    memset(st, 0, sizeof *st);
}

int tm_semi_pass1_needs_tiles(const tm_semi_t *st)
{
    /* All positives are scored exactly anyway; tiles only help to filter. */
    return st->kpos > 0 || st->filter.skip > 0;
}

/* Append a positive to an unbounded list, within the byte budget. */
static void append_pos(tm_semi_t *st, int64_t a, tm_entry_t e)
{
    if (__atomic_load_n(&st->overflow, __ATOMIC_RELAXED))
        return;
    if (st->npos[a] == st->pos_cap[a]) {
        int64_t cap = st->pos_cap[a] > 0 ? 2 * st->pos_cap[a] : 16;
        /* Positives and, in pass 2, as many gaps: twice the entries. */
        int64_t more = (cap - st->pos_cap[a]) * 2 * (int64_t)sizeof(tm_entry_t);
        int64_t total = __atomic_add_fetch(&st->bytes, more, __ATOMIC_RELAXED);
        tm_entry_t *p = NULL;
        if (st->budget <= 0 || total <= st->budget)
            p = realloc(st->pos[a], (size_t)cap * sizeof *p);
        if (p == NULL) {
            __atomic_store_n(&st->overflow, 1, __ATOMIC_RELAXED);
            return;
        }
        st->pos[a] = p;
        st->pos_cap[a] = cap;
    }
    st->pos[a][st->npos[a]++] = e;
}

void tm_semi_offer1(tm_semi_t *st, int64_t a, int is_pos, double val, int64_t idx)
{
    tm_entry_t e = {val, idx};
    if (!is_pos)
        tm_nearest_offer_neg(&st->skipset, a, val, idx);
    else if (st->kpos > 0)
        tm_list_insert(st->pos[a], &st->npos[a], st->kpos, e, tm_entry_farther);
    else
        append_pos(st, a, e);
}

void tm_semi_update1(tm_semi_t *st, const tm_tile_t *t)
{
    const tm_metric_t metric = t->metric;
    const tm_kern_bound_t bound = t->bound;
    const tm_rows_t *anch = t->anch, *cand = t->cand;
    const int64_t a0 = t->a0, a1 = t->a1, c0 = t->c0, c1 = t->c1;
    const float *G = t->G;
    /* Over the budget: the lists are not there, the pass is refused after it. */
    if (__atomic_load_n(&st->overflow, __ATOMIC_RELAXED))
        return;
    const int64_t nc = c1 - c0, dim = anch->dim, skip = st->filter.skip;
    const int has_min = st->filter.has_min_dist;
    const double min_dist = st->filter.min_dist;
    for (int64_t a = a0; a < a1; a++) {
        if (!tm_tile_takes(t, a))
            continue;
        const float *g = G != NULL ? tm_tile_g(t, a) : NULL;
        const float *arow = anch->emb + a * dim;
        const int64_t lab = anch->labels[a], self = anch->gid[a];
        const double na = anch->sqnorm[a], ra = anch->norm[a];
        int64_t j0 = 0, j1 = nc;
        if (skip == 0 && cand->kadd != NULL) {
            /* Only positives matter, and they are one range. */
            tm_label_range(cand, c0, c1, lab, &j0, &j1);
            j0 -= c0;
            j1 -= c0;
        }
        for (int64_t j = j0; j < j1; j++) {
            const int64_t c = c0 + j;
            const int is_pos = cand->labels[c] == lab;
            if (is_pos ? cand->gid[c] == self
                       : skip == 0 || tm_rows_excluded(anch, a, cand->gid[c]))
                continue;
            if (g != NULL) {
                double lo, hi;
                tm_kern_interval(metric, bound, na, ra, cand->sqnorm[c], cand->norm[c], g[j],
                                 &lo, &hi);
                if (is_pos && st->kpos > 0 && st->npos[a] == st->kpos &&
                    hi < st->pos[a][st->kpos - 1].val)
                    continue;
                if (!is_pos) {
                    const tm_nearest_t *s = &st->skipset;
                    if (has_min && hi < min_dist)
                        continue;
                    if (s->count[a] == skip && lo > s->neg[a * skip + skip - 1].val)
                        continue;
                }
            }
            double val = tm_exact_dist(metric, arow, cand->emb + c * dim, dim);
            tm_semi_offer1(st, a, is_pos, val, cand->gid[c]);
        }
    }
}

/* Ascending distance; among equal distances the larger index first, so
 * that walking the array backwards gives the output order. */
static int cmp_pos(const void *x, const void *y)
{
    const tm_entry_t *a = x, *b = y;
    if (a->val != b->val)
        return a->val < b->val ? -1 : 1;
    return a->idx > b->idx ? -1 : a->idx < b->idx;
}

int tm_semi_begin2(tm_semi_t *st)
{
    for (int64_t a = 0; a < st->n; a++) {
        int64_t np = st->npos[a];
        if (np == 0)
            continue;
        qsort(st->pos[a], (size_t)np, sizeof(tm_entry_t), cmp_pos);
        st->slot[a] = malloc((size_t)(np + 1) * sizeof(tm_entry_t));
        if (st->slot[a] == NULL)
            return TM_ENOMEM;
        for (int64_t j = 0; j <= np; j++)
            st->slot[a][j] = (tm_entry_t){INFINITY, -1};
        st->gate[a] = INFINITY;
    }
    return 0;
}

/* Number of positive distances of anchor a below v (strictly). */
static int64_t count_below(const tm_semi_t *st, int64_t a, double v)
{
    const tm_entry_t *t = st->pos[a];
    int64_t lo = 0, hi = st->npos[a];
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (t[mid].val < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int in_skipset(const tm_semi_t *st, int64_t a, int64_t idx)
{
    const tm_nearest_t *s = &st->skipset;
    for (int64_t i = 0; i < s->count[a]; i++)
        if (s->neg[a * s->cap + i].idx == idx)
            return 1;
    return 0;
}

void tm_semi_offer2(tm_semi_t *st, int64_t a, double val, int64_t idx)
{
    tm_entry_t e = {val, idx};
    if (st->npos[a] == 0)
        return;
    if (st->filter.has_min_dist && val < st->filter.min_dist)
        return;
    if (st->filter.skip > 0 && in_skipset(st, a, idx))
        return;
    if (st->far[a].idx < 0 || tm_entry_farther(e, st->far[a]))
        st->far[a] = e;
    tm_entry_t *gap = &st->slot[a][count_below(st, a, val)];
    if (gap->idx < 0 || tm_entry_nearer(e, *gap)) {
        *gap = e;
        double g = -INFINITY;
        for (int64_t j = 0; j <= st->npos[a]; j++)
            g = fmax(g, st->slot[a][j].val); /* an empty gap holds +inf */
        st->gate[a] = g;
    }
}

/* Whether a negative in [lo, hi] could still change a gap of anchor a. */
static int may_improve_gap(const tm_semi_t *st, int64_t a, double lo, double hi)
{
    const int64_t np = st->npos[a];
    if (lo > st->pos[a][np - 1].val) {
        /* Surely above every positive: only the top gap can change. */
        const tm_entry_t *top = &st->slot[a][np];
        return top->idx < 0 || lo <= top->val;
    }
    if (lo > st->gate[a])
        return 0;
    int64_t j0 = count_below(st, a, lo), j1 = count_below(st, a, hi);
    for (int64_t j = j0; j <= j1; j++)
        if (st->slot[a][j].idx < 0 || lo <= st->slot[a][j].val)
            return 1;
    return 0;
}

/* One negative of anchor a: the interval test, then the exact rule. */
static void semi_neg(tm_semi_t *st, tm_metric_t metric, tm_kern_bound_t bound,
                     const tm_rows_t *anch, int64_t a, const tm_rows_t *cand, int64_t c, float g)
{
    const int64_t dim = anch->dim;
    if (tm_rows_excluded(anch, a, cand->gid[c]))
        return;
    double lo, hi;
    tm_kern_interval(metric, bound, anch->sqnorm[a], anch->norm[a], cand->sqnorm[c], cand->norm[c],
                     g, &lo, &hi);
    if (st->filter.has_min_dist && hi < st->filter.min_dist)
        return;
    const tm_entry_t *far = &st->far[a];
    if (!(far->idx < 0 || hi >= far->val) && !may_improve_gap(st, a, lo, hi))
        return;
    double val = tm_exact_dist(metric, anch->emb + a * dim, cand->emb + c * dim, dim);
    tm_semi_offer2(st, a, val, cand->gid[c]);
}

/*
 * Pass 2 with float32 keys (prefilter.c): a negative can only matter if
 * its exact distance is at most the farthest positive or the top gap's
 * nearest negative, whichever is farther, and not below --neg-min-dist.
 * While the top gap is empty that gate is +inf, so every negative is seen
 * and the farthest one is kept; once the top gap holds one, every
 * positive has a negative above it and the farthest is never used. The
 * keys pass a superset, block by block; each survivor then goes through
 * the interval test.
 */
static void semi_row_keys(tm_semi_t *st, tm_metric_t metric, tm_kern_bound_t bound,
                          const tm_keyrow_t *kr, const tm_rows_t *anch, int64_t a,
                          const tm_rows_t *cand, int64_t c0, int64_t nc, const float *g,
                          int32_t *hits)
{
    const float *kadd = cand->kadd + c0, *kmul = cand->kmul + c0;
    const int64_t np = st->npos[a];
    const double pmax = st->pos[a][np - 1].val;
    const float tmin = st->filter.has_min_dist
                           ? tm_key_thr_ge(kr, tm_fast_down(metric, st->filter.min_dist))
                           : -INFINITY;
    int64_t r[4][2];
    tm_keyrow_ranges(kr, nc, r);
    for (int q = 0; q < 2; q++)
        for (int64_t j0 = r[q][0]; j0 < r[q][1]; j0 += TM_KEY_BLOCK) {
            const int64_t j1 = j0 + TM_KEY_BLOCK < r[q][1] ? j0 + TM_KEY_BLOCK : r[q][1];
            const tm_entry_t *top = &st->slot[a][np];
            const double gate = top->idx < 0 ? INFINITY : fmax(pmax, top->val);
            const float le = tm_key_thr_le(kr, tm_fast_up(metric, gate));
            const int64_t nhit = tm_key_scan(g, kadd, kmul, j0, j1, tmin, le, INFINITY, hits);
            for (int64_t k = 0; k < nhit; k++)
                semi_neg(st, metric, bound, anch, a, cand, c0 + hits[k], g[hits[k]]);
        }
}

/* Without usable keys: the interval test for every negative of the row. */
static void semi_row(void *vst, const tm_rowctx_t *r)
{
    const tm_tile_t *t = r->t;
    const int64_t lab = t->anch->labels[r->a];
    for (int64_t j = 0; j < r->nc; j++)
        if (t->cand->labels[t->c0 + j] != lab)
            semi_neg(vst, t->metric, t->bound, t->anch, r->a, t->cand, t->c0 + j, r->g[j]);
}

static void semi_keys(void *st, const tm_rowctx_t *r)
{
    const tm_tile_t *t = r->t;
    semi_row_keys(st, t->metric, t->bound, r->kr, t->anch, r->a, t->cand, t->c0, r->nc, r->g,
                  r->hits);
}

/* Anchors without positives are skipped anyway. */
static int semi_no_pos(const void *st, int64_t a)
{
    return ((const tm_semi_t *)st)->npos[a] == 0;
}

void tm_semi_update2(tm_semi_t *st, const tm_tile_t *t)
{
    tm_tile_rows(t, st, semi_no_pos, semi_keys, semi_row);
}

int tm_semi_finish(const tm_semi_t *st, const int64_t *gid, tm_triplets_t *out)
{
    return tm_semi_finish_pool(st, gid, NULL, out);
}

int tm_semi_finish_pool(const tm_semi_t *st, const int64_t *gid, const tm_entry_t *last,
                        tm_triplets_t *out)
{
    for (int64_t a = 0; a < st->n; a++) {
        const int64_t np = st->npos[a];
        if (np == 0 || st->far[a].idx < 0) {
            out->skipped++;
            continue;
        }
        /* Walk positives from the hardest; keep the nearest gap above. */
        const tm_entry_t *t = st->pos[a], *gap = st->slot[a];
        tm_entry_t above = {INFINITY, -1};
        int64_t next_gap = np; /* gaps > i are folded into `above` */
        for (int64_t i = np - 1; i >= 0; i--) {
            while (next_gap > i) {
                if (gap[next_gap].idx >= 0 &&
                    (above.idx < 0 || tm_entry_nearer(gap[next_gap], above)))
                    above = gap[next_gap];
                next_gap--;
            }
            /* Gap j holds negatives with t_{j-1} < d <= t_j: exactly the
             * gaps j > i lie above t_i. */
            tm_entry_t n = above.idx >= 0 ? above : st->far[a];
            /* Past the pool: the nearest above is not eligible, the last one is. */
            if (last != NULL && last[a].idx >= 0 &&
                (above.idx < 0 || tm_entry_nearer(last[a], above)))
                n = last[a];
            if (tm_triplets_push(out, gid[a], t[i].idx, n.idx, t[i].val, n.val) != 0)
                return TM_ENOMEM;
        }
    }
    return 0;
}

void tm_semi_save(const tm_semi_t *st, tm_buf_t *b, int pass2)
{
    tm_buf_put_i64(b, st->n);
    tm_buf_put_i64(b, st->kpos);
    tm_buf_put_i64(b, pass2);
    tm_buf_put_i64(b, st->bytes);
    tm_buf_put_i64(b, st->overflow);
    tm_buf_put(b, st->npos, (size_t)st->n * sizeof *st->npos);
    for (int64_t a = 0; a < st->n; a++) {
        tm_buf_put(b, st->pos[a], (size_t)st->npos[a] * sizeof(tm_entry_t));
        if (pass2 && st->npos[a] > 0)
            tm_buf_put(b, st->slot[a], (size_t)(st->npos[a] + 1) * sizeof(tm_entry_t));
    }
    tm_buf_put(b, st->gate, (size_t)st->n * sizeof *st->gate);
    tm_buf_put(b, st->far, (size_t)st->n * sizeof *st->far);
    tm_nearest_save(&st->skipset, b);
}

int tm_semi_load(tm_semi_t *st, tm_buf_t *b, int pass2)
{
    if (tm_buf_get_i64(b) != st->n || tm_buf_get_i64(b) != st->kpos || tm_buf_get_i64(b) != pass2)
        return TM_EINPUT;
    st->bytes = tm_buf_get_i64(b);
    st->overflow = (int)tm_buf_get_i64(b);
    if (tm_buf_get_array(b, st->npos, st->n, sizeof *st->npos))
        return TM_EINPUT;
    for (int64_t a = 0; a < st->n; a++) {
        const int64_t np = st->npos[a];
        if (np < 0 || (st->kpos > 0 && np > st->kpos) ||
            (uint64_t)np > tm_buf_left(b) / sizeof(tm_entry_t))
            return TM_EINPUT;
        /* Lists of kpos were allocated by tm_semi_init; others grow here. */
        if (np > st->pos_cap[a]) {
            tm_entry_t *p = realloc(st->pos[a], (size_t)np * sizeof *p);
            if (p == NULL)
                return TM_ENOMEM;
            st->pos[a] = p;
            st->pos_cap[a] = np;
        }
        if (tm_buf_get_array(b, st->pos[a], np, sizeof(tm_entry_t)))
            return TM_EINPUT;
        if (pass2 && np > 0) {
            free(st->slot[a]);
            st->slot[a] = malloc((size_t)(np + 1) * sizeof(tm_entry_t));
            if (st->slot[a] == NULL)
                return TM_ENOMEM;
            if (tm_buf_get_array(b, st->slot[a], np + 1, sizeof(tm_entry_t)))
                return TM_EINPUT;
        }
    }
    if (tm_buf_get_array(b, st->gate, st->n, sizeof *st->gate) ||
        tm_buf_get_array(b, st->far, st->n, sizeof *st->far))
        return TM_EINPUT;
    return tm_nearest_load(&st->skipset, b);
}

/* ---- the engine ------------------------------------------------------------ */

/*
 * The engine's state: the semi-hard lists, and in a choosing run
 * (tm_engine_args_t.choosing) the counts of what the filters removed and,
 * with --neg-pool M, the window of the skip + M nearest negatives, whose
 * last one is the farthest eligible.
 */
typedef struct semi_engine {
    tm_semi_t semi;
    int choosing;
    int64_t skip, pool;
    double t1;
    double *floor;      /* t1, or +inf for an anchor without positives */
    tm_count_t cnt;
    tm_nearest_t win;   /* cap skip + pool, with --neg-pool */
} semi_engine_t;

/* The window of --neg-pool M: the skip + M nearest, at most every candidate. */
static int64_t semi_window(const tm_mine_params_t *p, const tm_engine_size_t *sz)
{
    return tm_list_cap(tm_sat_add(p->neg_skip, p->neg_pool), sz);
}

/*
 * The positive lists grow during pass 1: with all positives they may take
 * half the budget (charged up front); with --positives K they are K
 * entries per anchor, and as many gaps in pass 2.
 */
static int64_t semi_bytes(const tm_engine_args_t *a, const tm_engine_size_t *sz)
{
    const tm_mine_params_t *p = a->p;
    const int64_t n = sz->anchors, budget = sz->budget, kpos = a->positives;
    int64_t per = 4 * (int64_t)sizeof(int64_t) + (int64_t)sizeof(tm_entry_t) +
                  (int64_t)sizeof(double) + (int64_t)sizeof(tm_entry_t *);
    int64_t skipset = tm_nearest_bytes(n, p->neg_skip);
    int64_t lists = kpos == 0 ? budget / 2
                    : kpos > INT64_MAX / 4 / (int64_t)sizeof(tm_entry_t)
                        ? INT64_MAX
                        : tm_state_bytes(n, 2 * kpos * (int64_t)sizeof(tm_entry_t), 0);
    int64_t base = tm_state_bytes(n, per, 0);
    if (a->choosing) {
        int64_t win = 0;
        if (p->neg_pool >= 0)
            win = tm_nearest_bytes(n, semi_window(p, sz));
        const int64_t extra = tm_state_bytes(n, 4 * 8, 0);
        if (win == INT64_MAX || extra == INT64_MAX || base > INT64_MAX - win - extra)
            return INT64_MAX;
        base += win + extra;
    }
    if (skipset == INT64_MAX || lists == INT64_MAX || base > INT64_MAX - skipset - lists)
        return INT64_MAX;
    return base + skipset + lists;
}

static void semi_destroy(void *vst)
{
    semi_engine_t *st = vst;
    if (st == NULL)
        return;
    tm_semi_free(&st->semi);
    free(st->floor);
    tm_count_free(&st->cnt);
    tm_nearest_free(&st->win);
    free(st);
}

static int semi_create(void **out, const tm_engine_args_t *args, const tm_engine_size_t *sz)
{
    const tm_mine_params_t *p = args->p;
    const int64_t n = sz->anchors, budget = sz->budget;
    semi_engine_t *st = calloc(1, sizeof *st);
    *out = st;
    if (st == NULL)
        return TM_ENOMEM;
    /* Fixed lists were charged up front (semi_bytes); growing ones get half. */
    const int64_t kpos = args->positives;
    int rc = tm_semi_init(&st->semi, n, kpos, tm_negfilter_of(p),
                          kpos > 0 ? budget : budget / 2);
    st->choosing = args->choosing;
    if (rc != 0 || !st->choosing)
        return rc;
    st->skip = p->neg_skip;
    st->pool = p->neg_pool;
    st->t1 = p->has_neg_min_dist ? p->neg_min_dist : -INFINITY;
    st->floor = malloc((size_t)(n > 0 ? n : 1) * sizeof *st->floor);
    if (st->floor == NULL || tm_count_init(&st->cnt, n, st->t1) != 0)
        return TM_ENOMEM;
    for (int64_t a = 0; a < n; a++)
        st->floor[a] = INFINITY;
    st->cnt.t2 = st->floor;
    if (st->pool >= 0) {
        if (tm_nearest_init(&st->win, n, semi_window(p, sz) - p->neg_skip,
                            tm_negfilter_of(p)) != 0)
            return TM_ENOMEM;
        st->win.floor = st->floor;
        st->win.negatives_only = 1;
    }
    return 0;
}

static int semi_needs_tiles(const void *vst, int pass)
{
    const semi_engine_t *st = vst;
    return pass == 2 || tm_semi_pass1_needs_tiles(&st->semi);
}

static void semi_update(void *vst, int pass, const tm_tile_t *t)
{
    semi_engine_t *st = vst;
    if (pass == 1) {
        tm_semi_update1(&st->semi, t);
        return;
    }
    tm_semi_update2(&st->semi, t);
    if (st->choosing)
        tm_count_update(&st->cnt, t);
    if (st->win.cap > 0)
        tm_nearest_update(&st->win, t);
}

/* The floors of pass 2: anchors without positives have nothing to count. */
static void semi_floors(semi_engine_t *st)
{
    for (int64_t a = 0; st->choosing && a < st->semi.n; a++)
        st->floor[a] = st->semi.npos[a] > 0 ? st->t1 : INFINITY;
}

/* Between the passes: did every anchor's positives fit, then the gaps. */
static int semi_begin_pass(void *vst, int pass, int rank, tm_err_t *err)
{
    semi_engine_t *rst = vst;
    tm_semi_t *st = &rst->semi;
    (void)pass;
    if (st->overflow && st->kpos > 0)
        return tm_err_set(err, TM_ENOMEM,
                          "semihard with --positives %lld needs %lld bytes on rank %d for the "
                          "positive distances of its anchors, more than %lld; use a smaller "
                          "--positives, more ranks or a larger --mem-limit",
                          (long long)st->kpos, (long long)st->bytes, rank,
                          (long long)st->budget);
    if (st->overflow)
        return tm_err_set(err, TM_ENOMEM,
                          "semihard with all positives needs more than %lld bytes on rank %d for "
                          "the positive distances of its anchors (a class is too large); use "
                          "--positives K, more ranks or a larger --mem-limit",
                          (long long)st->budget, rank);
    if (tm_semi_begin2(st) != 0)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate the semihard gaps (rank %d)", rank);
    semi_floors(rst);
    return 0;
}

static int semi_finish(const void *vst, const int64_t *gid, tm_results_t *res)
{
    const semi_engine_t *st = vst;
    tm_triplets_t *out = &res->trip;
    if (!st->choosing)
        return tm_semi_finish(&st->semi, gid, out);
    const int64_t n = st->semi.n;
    tm_entry_t *last = malloc((size_t)(n > 0 ? n : 1) * sizeof *last);
    if (last == NULL)
        return TM_ENOMEM;
    for (int64_t a = 0; a < n; a++) {
        last[a] = (tm_entry_t){0.0, -1};
        if (st->semi.npos[a] == 0)
            continue;
        tm_filtered_t f = {0, 0, 0, 0, 0};
        const int64_t eligible = tm_filtered_add(&f, st->cnt.negs[a], st->cnt.below1[a],
                                                 st->cnt.below1[a], st->skip, st->pool);
        out->filtered.min_dist += f.min_dist;
        out->filtered.skip += f.skip;
        out->filtered.pool += f.pool;
        /*
         * Some cut by the pool: the farthest eligible one is the first of
         * the window's last run of equal distances (ties: smaller index).
         */
        if (f.pool > 0 && eligible > 0) {
            const tm_entry_t *w = st->win.neg + a * st->win.cap + st->skip;
            int64_t i = eligible - 1;
            while (i > 0 && w[i - 1].val == w[i].val)
                i--;
            last[a] = w[i];
        }
    }
    int rc = tm_semi_finish_pool(&st->semi, gid, last, out);
    free(last);
    return rc;
}

static void semi_save(const void *vst, int pass, tm_buf_t *b)
{
    const semi_engine_t *st = vst;
    tm_semi_save(&st->semi, b, pass == 2);
    if (pass == 2 && st->choosing)
        tm_count_save(&st->cnt, b);
    if (pass == 2 && st->win.cap > 0)
        tm_nearest_save(&st->win, b);
}

static int semi_load(void *vst, int pass, tm_buf_t *b)
{
    semi_engine_t *st = vst;
    int rc = tm_semi_load(&st->semi, b, pass == 2);
    if (rc != 0 || pass != 2)
        return rc;
    semi_floors(st);
    if (st->choosing && tm_count_load(&st->cnt, b) != 0)
        return TM_EINPUT;
    if (st->win.cap > 0 && tm_nearest_load(&st->win, b) != 0)
        return TM_EINPUT;
    return 0;
}

const tm_engine_t tm_engine_gaps = {
    .name = "semi-hard gaps",
    .passes = 2,
    .state_bytes = semi_bytes,
    .create = semi_create,
    .destroy = semi_destroy,
    .needs_tiles = semi_needs_tiles,
    .update = semi_update,
    .begin_pass = semi_begin_pass,
    .finish = semi_finish,
    .save = semi_save,
    .load = semi_load,
};
