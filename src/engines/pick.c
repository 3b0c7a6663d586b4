/*
 * pick.c - the choice engine: one positive and the eligible negatives,
 * step by step as docs/contract.md orders them, with what each step
 * removed. The engine of hard and topk when an option of the choice is
 * given (--pos, --neg-margin, --neg-pool, --seed) and of sample always.
 *
 * Pass 1 (no float32 tiles: positives are one label range) chooses each
 * anchor's positive: the farthest, the nearest, or the one with the
 * smallest draw (draw.h). Pass 2 knows each anchor's floor,
 * max(--neg-min-dist, d(a,p) + --neg-margin), keeps the skip + W nearest
 * negatives at or above it (W: 1 for hard, min(K, M) for topk, M for
 * sample with --neg-pool), and counts exactly the negatives below
 * --neg-min-dist and below the floor. sample without --neg-pool keeps
 * instead the K + skip negatives with the smallest draws, and the skip
 * nearest.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/exact.h"
#include "engines/draw.h"
#include "engines/engine.h"
#include "engines/prefilter.h"
#include "tripminer/err.h"

/* A negative kept for its draw (sample without --neg-pool). */
typedef struct drawn {
    uint64_t draw;
    double val;
    int64_t idx;
} drawn_t;

typedef struct pick {
    int64_t n;
    int64_t k, skip, pool;   /* K, R, M (-1: all) */
    int sample;
    tm_pos_t pos_rule;       /* --pos */
    uint64_t seed;
    double t1;               /* --neg-min-dist, or -inf */
    int has_margin;
    double margin;
    /* Pass 1. */
    tm_entry_t *pos;         /* the chosen positive; idx -1 if none */
    uint64_t *pdraw;         /* its draw (--pos random) */
    uint64_t *nkey;          /* the key of the anchor's negative draws */
    /* Pass 2. */
    double *floor;           /* +inf: no positive, nothing to do */
    tm_nearest_t near;       /* the skip + W nearest at or above the floor */
    tm_count_t cnt;
    int64_t hcap;            /* sample without --neg-pool: K + skip by draw */
    drawn_t *hl;
    int64_t *hcount;
} pick_t;

/* The negatives the nearest list holds past the skipped ones. */
static int64_t window(const tm_mine_params_t *p, int64_t k, int sample)
{
    if (sample)
        return p->neg_pool >= 0 ? p->neg_pool : 0;
    if (k == 1)
        return 1;
    return p->neg_pool >= 0 && p->neg_pool < k ? p->neg_pool : k;
}

static int draws_all(const tm_mine_params_t *p, int sample)
{
    return sample && p->neg_pool < 0;
}

static int64_t pick_bytes(const tm_engine_args_t *a, const tm_engine_size_t *sz)
{
    const tm_mine_params_t *p = a->p;
    const int64_t k = a->k;
    const int sample = a->sample;
    const int64_t cap = tm_list_cap(tm_sat_add(p->neg_skip, window(p, k, sample)), sz);
    int64_t total = tm_nearest_bytes(sz->anchors, cap);
    const int64_t per = (int64_t)sizeof(tm_entry_t) + 8 + 8 + 8 + 3 * 8;
    total = tm_sat_add(total, tm_state_bytes(sz->anchors, per, 0));
    if (draws_all(p, sample)) {
        const int64_t hcap = tm_list_cap(tm_sat_add(k, p->neg_skip), sz);
        const int64_t per_draws = hcap * (int64_t)sizeof(drawn_t) + 8;
        total = tm_sat_add(total, tm_state_bytes(sz->anchors, per_draws, 0));
    }
    return total;
}

static void pick_destroy(void *vst)
{
    pick_t *st = vst;
    if (st == NULL)
        return;
    free(st->pos);
    free(st->pdraw);
    free(st->nkey);
    free(st->floor);
    tm_nearest_free(&st->near);
    tm_count_free(&st->cnt);
    free(st->hl);
    free(st->hcount);
    free(st);
}

static int pick_create(void **out, const tm_engine_args_t *a, const tm_engine_size_t *sz)
{
    const tm_mine_params_t *p = a->p;
    const int64_t k = a->k;
    const int sample = a->sample;
    pick_t *st = calloc(1, sizeof *st);
    *out = st;
    if (st == NULL)
        return TM_ENOMEM;
    const int64_t n = sz->anchors;
    st->n = n;
    st->k = k;
    st->skip = p->neg_skip;
    st->pool = p->neg_pool;
    st->sample = sample;
    st->pos_rule = p->pos;
    st->seed = p->seed;
    st->t1 = p->has_neg_min_dist ? p->neg_min_dist : -INFINITY;
    st->has_margin = p->has_neg_margin;
    st->margin = p->neg_margin;
    const size_t cnt = (size_t)(n > 0 ? n : 1);
    st->pos = malloc(cnt * sizeof *st->pos);
    st->pdraw = calloc(cnt, sizeof *st->pdraw);
    st->nkey = calloc(cnt, sizeof *st->nkey);
    st->floor = malloc(cnt * sizeof *st->floor);
    if (st->pos == NULL || st->pdraw == NULL || st->nkey == NULL || st->floor == NULL)
        return TM_ENOMEM;
    for (int64_t a = 0; a < n; a++) {
        st->pos[a] = (tm_entry_t){0.0, -1};
        st->floor[a] = INFINITY;
    }
    const int64_t cap = tm_list_cap(tm_sat_add(p->neg_skip, window(p, k, sample)), sz);
    if (tm_nearest_init(&st->near, n, cap - p->neg_skip, tm_negfilter_of(p)) != 0 ||
        tm_count_init(&st->cnt, n, st->t1) != 0)
        return TM_ENOMEM;
    st->near.floor = st->floor;
    st->near.negatives_only = 1; /* pass 1 chose the positive */
    st->cnt.t2 = st->floor;
    if (draws_all(p, sample)) {
        st->hcap = tm_list_cap(tm_sat_add(k, p->neg_skip), sz);
        if (st->hcap > 0 && cnt > SIZE_MAX / sizeof(drawn_t) / (size_t)st->hcap)
            return TM_ENOMEM;
        st->hl = malloc(cnt * (size_t)(st->hcap > 0 ? st->hcap : 1) * sizeof *st->hl);
        st->hcount = calloc(cnt, sizeof *st->hcount);
        if (st->hl == NULL || st->hcount == NULL)
            return TM_ENOMEM;
    }
    return 0;
}

static int pick_needs_tiles(const void *st, int pass)
{
    (void)st;
    return pass == 2;
}

static size_t pick_block_bytes(const void *vst)
{
    const pick_t *st = vst;
    return tm_nearest_block_bytes(&st->near);
}

/* ---- pass 1: the positive ------------------------------------------------------ */

static double exact(const tm_tile_t *t, int64_t a, int64_t c)
{
    const int64_t dim = t->anch->dim;
    return tm_exact_dist(t->metric, t->anch->emb + a * dim, t->cand->emb + c * dim, dim);
}

/* The farthest or the nearest positive so far (--pos hardest, easiest). */
static void offer_distance(pick_t *st, int64_t a, tm_entry_t e)
{
    tm_entry_t *best = &st->pos[a];
    if (best->idx < 0 || (st->pos_rule == TM_POS_HARDEST ? tm_entry_farther(e, *best)
                                                     : tm_entry_nearer(e, *best)))
        *best = e;
}

/* The positive of smallest draw so far (--pos random). */
static void offer_positive(pick_t *st, const tm_tile_t *t, int64_t a, int64_t c,
                           uint64_t pkey)
{
    tm_entry_t *best = &st->pos[a];
    const int64_t idx = t->cand->gid[c];
    const uint64_t h = tm_draw(pkey, idx);
    if (best->idx >= 0 && (h > st->pdraw[a] || (h == st->pdraw[a] && idx > best->idx)))
        return;
    /* Only a new winner needs its distance. */
    *best = (tm_entry_t){exact(t, a, c), idx};
    st->pdraw[a] = h;
}

static void update1(pick_t *st, const tm_tile_t *t)
{
    const tm_rows_t *anch = t->anch, *cand = t->cand;
    for (int64_t a = t->a0; a < t->a1; a++) {
        if (!tm_tile_takes(t, a))
            continue;
        const int64_t key = anch->draw != NULL ? anch->draw[a] : anch->gid[a];
        const uint64_t pkey = tm_draw_key(st->seed, TM_DRAW_POSITIVE, key);
        st->nkey[a] = tm_draw_key(st->seed, TM_DRAW_NEGATIVE, key);
        const int64_t lab = anch->labels[a], self = anch->gid[a];
        int64_t j0 = t->c0, j1 = t->c1;
        if (cand->kadd != NULL) /* ordered by label: the positives are one range */
            tm_label_range(cand, t->c0, t->c1, lab, &j0, &j1);
        if (st->pos_rule == TM_POS_RANDOM) {
            for (int64_t c = j0; c < j1; c++)
                if (cand->labels[c] == lab && cand->gid[c] != self)
                    offer_positive(st, t, a, c, pkey);
            continue;
        }
        /* The farthest or nearest: every positive's distance, four at a time. */
        int64_t batch[4];
        int nb = 0;
        for (int64_t c = j0; c <= j1; c++) {
            if (c < j1 && cand->labels[c] == lab && cand->gid[c] != self)
                batch[nb++] = c;
            if (nb == 4 || (c == j1 && nb > 0)) {
                double val[4];
                if (nb == 4) {
                    const float *rows[4];
                    for (int q = 0; q < 4; q++)
                        rows[q] = cand->emb + batch[q] * anch->dim;
                    tm_exact_dist4(t->metric, anch->emb + a * anch->dim, rows, anch->dim, val);
                } else {
                    for (int q = 0; q < nb; q++)
                        val[q] = exact(t, a, batch[q]);
                }
                for (int q = 0; q < nb; q++)
                    offer_distance(st, a, (tm_entry_t){val[q], cand->gid[batch[q]]});
                nb = 0;
            }
        }
    }
}

/* ---- pass 2: the negatives ----------------------------------------------------- */

static int drawn_before(const drawn_t *x, const drawn_t *y)
{
    return x->draw < y->draw || (x->draw == y->draw && x->idx < y->idx);
}

/* Keep the hcap negatives of smallest draw at or above the floor. */
static void update_draws(pick_t *st, const tm_tile_t *t)
{
    const tm_rows_t *anch = t->anch, *cand = t->cand;
    for (int64_t a = t->a0; a < t->a1; a++) {
        if (!tm_tile_takes(t, a) || st->floor[a] == INFINITY || st->hcap == 0)
            continue;
        const int64_t lab = anch->labels[a];
        drawn_t *list = st->hl + a * st->hcap;
        int64_t *count = &st->hcount[a];
        for (int64_t c = t->c0; c < t->c1; c++) {
            if (cand->labels[c] == lab)
                continue;
            const drawn_t e = {tm_draw(st->nkey[a], cand->gid[c]), 0.0, cand->gid[c]};
            if (*count == st->hcap && !drawn_before(&e, &list[*count - 1]))
                continue;
            if (tm_rows_excluded(anch, a, e.idx))
                continue;
            const double d = exact(t, a, c);
            if (d < st->floor[a])
                continue;
            /* Insert in draw order. */
            int64_t i = *count < st->hcap ? *count : st->hcap - 1;
            while (i > 0 && drawn_before(&e, &list[i - 1])) {
                list[i] = list[i - 1];
                i--;
            }
            list[i] = (drawn_t){e.draw, d, e.idx};
            if (*count < st->hcap)
                (*count)++;
        }
    }
}

static void pick_update(void *vst, int pass, const tm_tile_t *t)
{
    pick_t *st = vst;
    if (pass == 1) {
        update1(st, t);
        return;
    }
    tm_nearest_update(&st->near, t);
    tm_count_update(&st->cnt, t);
    if (st->hl != NULL)
        update_draws(st, t);
}

/* The floors of pass 2, from the positives of pass 1. */
static void set_floors(pick_t *st)
{
    for (int64_t a = 0; a < st->n; a++) {
        double f = INFINITY;
        if (st->pos[a].idx >= 0) {
            f = st->t1;
            if (st->has_margin) {
                const double m = st->pos[a].val + st->margin;
                f = m > f ? m : f;
            }
        }
        st->floor[a] = f;
    }
}

static int pick_begin_pass(void *st, int pass, int rank, tm_err_t *err)
{
    (void)pass, (void)rank, (void)err;
    set_floors(st);
    return 0;
}

/* ---- the triplets ------------------------------------------------------------- */

static int cmp_nearer(const void *x, const void *y)
{
    const tm_entry_t *a = x, *b = y;
    return tm_entry_nearer(*a, *b) ? -1 : tm_entry_nearer(*b, *a) ? 1 : 0;
}

/*
 * The chosen negatives of anchor a, ascending by (distance, index), into
 * sel; returns how many: the first take eligible ones, or take of them by
 * draw (sample).
 */
static int64_t chosen(const pick_t *st, int64_t a, int64_t eligible, tm_entry_t *sel,
                      drawn_t *tmp)
{
    const tm_entry_t *list = st->near.neg + a * st->near.cap;
    const int64_t take = st->k < eligible ? st->k : eligible;
    const int64_t held = st->near.count[a];
    const int64_t skipped = st->skip < held ? st->skip : held;
    if (!st->sample) {
        memcpy(sel, list + skipped, (size_t)take * sizeof *sel);
        return take;
    }
    int64_t m = 0;
    if (st->hl == NULL) {
        /* The pool: the eligible ones are in the list, past the skipped. */
        for (int64_t i = 0; i < eligible; i++) {
            const tm_entry_t *e = &list[skipped + i];
            tmp[m++] = (drawn_t){tm_draw(st->nkey[a], e->idx), e->val, e->idx};
        }
    } else {
        /* Every negative left: those of smallest draw, less the skipped. */
        const drawn_t *hl = st->hl + a * st->hcap;
        for (int64_t i = 0; i < st->hcount[a]; i++) {
            int gone = 0;
            for (int64_t s = 0; s < skipped && !gone; s++)
                gone = list[s].idx == hl[i].idx;
            if (!gone)
                tmp[m++] = hl[i];
        }
    }
    /* The take of smallest draw (a selection sort: take is small). */
    for (int64_t i = 0; i < take && i < m; i++) {
        int64_t best = i;
        for (int64_t j = i + 1; j < m; j++)
            if (drawn_before(&tmp[j], &tmp[best]))
                best = j;
        const drawn_t x = tmp[i];
        tmp[i] = tmp[best];
        tmp[best] = x;
        sel[i] = (tm_entry_t){tmp[i].val, tmp[i].idx};
    }
    const int64_t got = take < m ? take : m;
    qsort(sel, (size_t)got, sizeof *sel, cmp_nearer);
    return got;
}

static int pick_finish(const void *vst, const int64_t *gid, tm_results_t *res)
{
    const pick_t *st = vst;
    tm_triplets_t *out = &res->trip;
    const int64_t room = st->near.cap > st->hcap ? st->near.cap : st->hcap;
    tm_entry_t *sel = malloc((size_t)(room > 0 ? room : 1) * sizeof *sel);
    drawn_t *tmp = malloc((size_t)(room > 0 ? room : 1) * sizeof *tmp);
    int rc = sel != NULL && tmp != NULL ? 0 : TM_ENOMEM;
    for (int64_t a = 0; rc == 0 && a < st->n; a++) {
        const tm_entry_t *p = &st->pos[a];
        if (p->idx < 0) {
            out->skipped++;
            continue;
        }
        const int64_t eligible = tm_filtered_add(&out->filtered, st->cnt.negs[a],
                                                 st->cnt.below1[a], st->cnt.below2[a], st->skip,
                                                 st->pool);
        const int64_t got = eligible > 0 ? chosen(st, a, eligible, sel, tmp) : 0;
        if (got == 0) {
            out->skipped++;
            continue;
        }
        if (got < st->k)
            out->filtered.short_anchors++;
        for (int64_t i = 0; i < got && rc == 0; i++)
            rc = tm_triplets_push(out, gid[a], p->idx, sel[i].idx, p->val, sel[i].val);
    }
    free(sel);
    free(tmp);
    return rc;
}

/* ---- checkpoints ------------------------------------------------------------- */

static void pick_save(const void *vst, int pass, tm_buf_t *b)
{
    const pick_t *st = vst;
    const size_t n = (size_t)st->n;
    tm_buf_put_i64(b, st->n);
    tm_buf_put(b, st->pos, n * sizeof *st->pos);
    tm_buf_put(b, st->pdraw, n * sizeof *st->pdraw);
    tm_buf_put(b, st->nkey, n * sizeof *st->nkey);
    if (pass < 2)
        return;
    tm_nearest_save(&st->near, b);
    tm_count_save(&st->cnt, b);
    if (st->hl != NULL) {
        tm_buf_put(b, st->hcount, n * sizeof *st->hcount);
        tm_buf_put(b, st->hl, n * (size_t)st->hcap * sizeof *st->hl);
    }
}

static int pick_load(void *vst, int pass, tm_buf_t *b)
{
    pick_t *st = vst;
    if (tm_buf_get_i64(b) != st->n || tm_buf_get_array(b, st->pos, st->n, sizeof *st->pos) ||
        tm_buf_get_array(b, st->pdraw, st->n, sizeof *st->pdraw) ||
        tm_buf_get_array(b, st->nkey, st->n, sizeof *st->nkey))
        return TM_EINPUT;
    if (pass < 2)
        return 0;
    set_floors(st); /* the floors follow from the positives */
    if (tm_nearest_load(&st->near, b) != 0 || tm_count_load(&st->cnt, b) != 0)
        return TM_EINPUT;
    if (st->hl != NULL) {
        if (tm_buf_get_array(b, st->hcount, st->n, sizeof *st->hcount) ||
            tm_buf_get_array(b, st->hl, st->n * st->hcap, sizeof *st->hl))
            return TM_EINPUT;
        for (int64_t a = 0; a < st->n; a++)
            if (st->hcount[a] < 0 || st->hcount[a] > st->hcap)
                return TM_EINPUT;
    }
    return 0;
}

const tm_engine_t tm_engine_pick = {
    .name = "choice",
    .passes = 2,
    .state_bytes = pick_bytes,
    .create = pick_create,
    .destroy = pick_destroy,
    .needs_tiles = pick_needs_tiles,
    .block_bytes = pick_block_bytes,
    .update = pick_update,
    .begin_pass = pick_begin_pass,
    .finish = pick_finish,
    .save = pick_save,
    .load = pick_load,
};
