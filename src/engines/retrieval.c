/*
 * retrieval.c - the retrieval engine: what `tripminer eval` learns about
 * each query from one sweep (docs/contract.md, "tripminer eval"): R(a),
 * the R(a) nearest candidates, the nearest positive and negative, and the
 * negatives nearer than the nearest positive, all decided on exact
 * distances. It finishes into one record per query (results.h).
 *
 * Pass 1 (no float32 tiles: the positives are one label range) counts
 * R(a), the candidates with the query's label, and finds the nearest
 * positive p1 exactly, and the farthest (the R(a)-th nearest candidate is
 * no farther: the gate of pass 2 from its start). Pass 2 keeps per query
 * the R(a) nearest candidates (both labels) by (exact distance, index),
 * the nearest negative, and counts exactly the negatives nearer than p1;
 * the lists are allocated at the start of pass 2, when R(a) is known, and
 * refused there when they do not fit the budget.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/exact.h"
#include "engines/engine.h"
#include "engines/prefilter.h"
#include "tripminer/err.h"

/* One of the R(a) nearest: its distance, index, and whether it is a positive. */
typedef struct near {
    double val;
    int64_t idx;
    int64_t positive;
} near_t;

typedef struct eval_state {
    int64_t n;
    int64_t budget;     /* what the lists may take (pass 2) */
    /* Pass 1. */
    int64_t *lab;       /* the query's label */
    int64_t *r;         /* R(a) */
    tm_entry_t *pos;    /* nearest positive; idx -1 if none */
    double *pfar;       /* the farthest positive's distance: the R(a)-th nearest is no farther */
    /* Pass 2. */
    int64_t *off;       /* n + 1: the list of a is near[off[a] .. off[a + 1]) */
    near_t *near;
    int64_t *count;     /* entries held */
    tm_entry_t *neg;    /* nearest negative; idx -1 if none */
    int64_t *neg_lab;
    int64_t *before;    /* negatives nearer than pos */
} eval_state_t;

/* Per query: label, R, positive, offset, count, negative and its label, before. */
enum { PER_QUERY = 8 + 8 + 16 + 8 + 8 + 8 + 16 + 8 + 8 };

static int64_t eval_bytes(const tm_engine_args_t *a, const tm_engine_size_t *sz)
{
    (void)a;
    return tm_state_bytes(sz->anchors, PER_QUERY, 8);
}

static void eval_destroy(void *vst)
{
    eval_state_t *st = vst;
    if (st == NULL)
        return;
    free(st->lab);
    free(st->r);
    free(st->pos);
    free(st->pfar);
    free(st->off);
    free(st->near);
    free(st->count);
    free(st->neg);
    free(st->neg_lab);
    free(st->before);
    free(st);
}

static int eval_create(void **out, const tm_engine_args_t *args, const tm_engine_size_t *sz)
{
    eval_state_t *st = calloc(1, sizeof *st);
    *out = st;
    if (st == NULL)
        return TM_ENOMEM;
    const int64_t n = sz->anchors;
    const size_t cnt = (size_t)(n > 0 ? n : 1);
    st->n = n;
    /* The lists get half of what the rest leaves: the other half is the exchange's. */
    const int64_t fixed = eval_bytes(args, sz);
    st->budget = sz->budget > fixed ? (sz->budget - fixed) / 2 : 0;
    st->lab = calloc(cnt, sizeof *st->lab);
    st->r = calloc(cnt, sizeof *st->r);
    st->pos = malloc(cnt * sizeof *st->pos);
    st->pfar = calloc(cnt, sizeof *st->pfar);
    st->off = calloc(cnt + 1, sizeof *st->off);
    st->count = calloc(cnt, sizeof *st->count);
    st->neg = malloc(cnt * sizeof *st->neg);
    st->neg_lab = calloc(cnt, sizeof *st->neg_lab);
    st->before = calloc(cnt, sizeof *st->before);
    if (!st->lab || !st->r || !st->pos || !st->pfar || !st->off || !st->count || !st->neg || !st->neg_lab ||
        !st->before)
        return TM_ENOMEM;
    for (int64_t a = 0; a < n; a++) {
        st->pos[a] = (tm_entry_t){0.0, -1};
        st->neg[a] = (tm_entry_t){0.0, -1};
    }
    return 0;
}

static int eval_needs_tiles(const void *st, int pass)
{
    (void)st;
    return pass == 2;
}

static double exact(const tm_tile_t *t, int64_t a, int64_t c)
{
    const int64_t dim = t->anch->dim;
    return tm_exact_dist(t->metric, t->anch->emb + a * dim, t->cand->emb + c * dim, dim);
}

/* Pass 1: R(a) and the nearest positive, from each query's label range. */
static void update1(eval_state_t *st, const tm_tile_t *t)
{
    const tm_rows_t *anch = t->anch, *cand = t->cand;
    for (int64_t a = t->a0; a < t->a1; a++) {
        if (!tm_tile_takes(t, a))
            continue;
        const int64_t lab = anch->labels[a], self = anch->gid[a];
        st->lab[a] = lab;
        int64_t j0 = t->c0, j1 = t->c1;
        if (cand->kadd != NULL) /* ordered by label: the positives are one range */
            tm_label_range(cand, t->c0, t->c1, lab, &j0, &j1);
        for (int64_t c = j0; c < j1; c++) {
            if (cand->labels[c] != lab || cand->gid[c] == self)
                continue;
            st->r[a]++;
            const tm_entry_t e = {exact(t, a, c), cand->gid[c]};
            if (st->pos[a].idx < 0 || tm_entry_nearer(e, st->pos[a]))
                st->pos[a] = e;
            st->pfar[a] = e.val > st->pfar[a] ? e.val : st->pfar[a];
        }
    }
}

/* Keep e in a's list of its R(a) nearest. */
static void list_offer(eval_state_t *st, int64_t a, near_t e)
{
    near_t *list = st->near + st->off[a];
    const int64_t cap = st->off[a + 1] - st->off[a], c = st->count[a];
    const tm_entry_t x = {e.val, e.idx};
    if (cap == 0 || (c == cap && !tm_entry_nearer(x, (tm_entry_t){list[c - 1].val,
                                                                    list[c - 1].idx})))
        return;
    int64_t i = c < cap ? c : cap - 1;
    for (; i > 0 && tm_entry_nearer(x, (tm_entry_t){list[i - 1].val, list[i - 1].idx}); i--)
        list[i] = list[i - 1];
    list[i] = e;
    if (c < cap)
        st->count[a] = c + 1;
}

/*
 * One query against a row of the tile: double intervals for the whole row
 * (rigorous bounds on the exact distances), then blocks of 16 whose
 * smallest lower bound passes a gate are looked at one by one; a candidate
 * is scored exactly only when its interval cannot settle it.
 */
static void eval_row(void *vst, const tm_rowctx_t *r)
{
    eval_state_t *st = vst;
    const tm_tile_t *t = r->t;
    const tm_rows_t *anch = t->anch, *cand = t->cand;
    const int64_t a = r->a, nc = r->nc, c0 = t->c0;
    const int64_t lab = anch->labels[a], self = anch->gid[a];
    const int64_t cap = st->off[a + 1] - st->off[a];
    const near_t *list = st->near + st->off[a];
    const tm_entry_t p1 = st->pos[a];
    double *lo = r->lo, *hi = r->hi;
    tm_interval_row(t->metric, t->bound, anch->sqnorm[a], anch->norm[a], cand, c0, nc, r->g, 1,
                    lo, hi);
    for (int64_t j0 = 0; j0 < nc; j0 += 16) {
        const int64_t j1 = j0 + 16 < nc ? j0 + 16 : nc;
        /* The gates as they stand: every one only tightens. */
        double gate = cap > 0 && st->count[a] == cap ? list[cap - 1].val : INFINITY;
        gate = cap > 0 && st->pfar[a] < gate ? st->pfar[a] : gate;
        const double ngate = st->neg[a].idx >= 0 ? st->neg[a].val : INFINITY;
        const double pgate = p1.idx >= 0 ? p1.val : -INFINITY;
        double g = gate > ngate ? gate : ngate;
        g = g > pgate ? g : pgate;
        double least = INFINITY;
        for (int64_t j = j0; j < j1; j++)
            least = lo[j] < least ? lo[j] : least;
        if (least > g)
            continue;
        for (int64_t j = j0; j < j1; j++) {
            const int64_t c = c0 + j, idx = cand->gid[c];
            if (idx == self)
                continue;
            const int positive = cand->labels[c] == lab;
            int need = 0, band = 0;
            if (!positive && p1.idx >= 0) {
                if (hi[j] < p1.val)
                    st->before[a]++; /* surely nearer than the nearest positive */
                else if (lo[j] <= p1.val)
                    need = band = 1;
            }
            double cut = cap > 0 && st->count[a] == cap ? list[cap - 1].val : INFINITY;
            cut = st->pfar[a] < cut ? st->pfar[a] : cut;
            if (cap > 0 && lo[j] <= cut)
                need = 1;
            if (!positive && (st->neg[a].idx < 0 || lo[j] <= st->neg[a].val))
                need = 1;
            if (!need)
                continue;
            const double d = exact(t, a, c);
            const tm_entry_t e = {d, idx};
            if (band)
                st->before[a] += tm_entry_nearer(e, p1);
            if (cap > 0)
                list_offer(st, a, (near_t){d, idx, positive});
            if (!positive && (st->neg[a].idx < 0 || tm_entry_nearer(e, st->neg[a]))) {
                st->neg[a] = e;
                st->neg_lab[a] = cand->labels[c];
            }
        }
    }
}

/* Offer candidate c of the tile, at exact distance d, to a's list and nearest negative. */
static void offer(eval_state_t *st, const tm_tile_t *t, int64_t a, int64_t c, double d)
{
    const int64_t idx = t->cand->gid[c];
    const int positive = t->cand->labels[c] == t->anch->labels[a];
    const tm_entry_t e = {d, idx};
    if (st->off[a + 1] > st->off[a])
        list_offer(st, a, (near_t){d, idx, positive});
    if (!positive && (st->neg[a].idx < 0 || tm_entry_nearer(e, st->neg[a]))) {
        st->neg[a] = e;
        st->neg_lab[a] = t->cand->labels[c];
    }
}

/*
 * The same with float32 keys (prefilter.c): the negatives surely nearer
 * than the nearest positive are counted from their keys and the band
 * around it scored; then the candidates whose keys reach a gate (the
 * list's last, or for negatives the nearest negative if farther), block
 * by block against the gates as they stand at the block's start.
 */
static void eval_row_keys(void *vst, const tm_rowctx_t *r)
{
    eval_state_t *st = vst;
    const tm_tile_t *t = r->t;
    const tm_metric_t metric = t->metric;
    const tm_keyrow_t *kr = r->kr;
    const int64_t a = r->a, c0 = t->c0;
    const float *kadd = t->cand->kadd + c0, *kmul = t->cand->kmul + c0, *g = r->g;
    const int64_t cap = st->off[a + 1] - st->off[a];
    const near_t *list = st->near + st->off[a];
    const tm_entry_t p1 = st->pos[a];
    int64_t rg[4][2];
    tm_keyrow_ranges(kr, r->nc, rg);
    if (p1.idx >= 0) {
        const float below = tm_key_thr_ge(kr, tm_fast_down(metric, p1.val));
        const float hi = tm_key_thr_le(kr, tm_widen_up(tm_fast_up(metric, p1.val)));
        int64_t nhit = 0;
        for (int q = 0; q < 2; q++)
            if (rg[q][0] < rg[q][1])
                st->before[a] += tm_key_count(g, kadd, kmul, rg[q][0], rg[q][1], below, hi,
                                              r->hits, &nhit);
        for (int64_t k = 0; k < nhit; k++) {
            const int64_t c = c0 + r->hits[k];
            const tm_entry_t e = {exact(t, a, c), t->cand->gid[c]};
            st->before[a] += tm_entry_nearer(e, p1);
        }
    }
    for (int q = 0; q < 4; q++) {
        const int negatives = q < 2;
        for (int64_t j0 = rg[q][0]; j0 < rg[q][1]; j0 += TM_KEY_BLOCK) {
            const int64_t j1 = j0 + TM_KEY_BLOCK < rg[q][1] ? j0 + TM_KEY_BLOCK : rg[q][1];
            double gate = cap > 0 && st->count[a] == cap ? list[cap - 1].val : INFINITY;
            gate = st->pfar[a] < gate ? st->pfar[a] : gate; /* R positives lie within */
            if (cap == 0)
                gate = -INFINITY;
            if (negatives) {
                const double ngate = st->neg[a].idx >= 0 ? st->neg[a].val : INFINITY;
                gate = ngate > gate ? ngate : gate;
            }
            if (gate == -INFINITY)
                break;
            const float tn = tm_key_thr_le(kr, tm_widen_up(tm_fast_up(metric, gate)));
            const int64_t nhit = tm_key_scan(g, kadd, kmul, j0, j1, -INFINITY, tn, INFINITY,
                                             r->hits);
            /* Four exact scores at once where there are four (the same bits). */
            int64_t k = 0;
            for (; k + 4 <= nhit; k += 4) {
                const float *rows[4];
                double val[4];
                for (int u = 0; u < 4; u++)
                    rows[u] = t->cand->emb + (c0 + r->hits[k + u]) * t->anch->dim;
                tm_exact_dist4(metric, t->anch->emb + a * t->anch->dim, rows, t->anch->dim, val);
                for (int u = 0; u < 4; u++)
                    offer(st, t, a, c0 + r->hits[k + u], val[u]);
            }
            for (; k < nhit; k++)
                offer(st, t, a, c0 + r->hits[k], exact(t, a, c0 + r->hits[k]));
        }
    }
}

static void eval_update(void *vst, int pass, const tm_tile_t *t)
{
    eval_state_t *st = vst;
    if (pass == 1)
        update1(st, t);
    else
        tm_tile_rows(t, st, NULL, eval_row_keys, eval_row);
}

/* The offsets of the lists from R(a): 0, or the bytes they would need (> budget). */
static int64_t lay_out(eval_state_t *st, int64_t *largest)
{
    int64_t total = 0;
    *largest = 0;
    for (int64_t a = 0; a < st->n; a++) {
        st->off[a] = total;
        total += st->r[a];
        *largest = st->r[a] > *largest ? st->r[a] : *largest;
    }
    st->off[st->n] = total;
    const int64_t bytes = total > INT64_MAX / (int64_t)sizeof(near_t)
                              ? INT64_MAX
                              : total * (int64_t)sizeof(near_t);
    return bytes > st->budget ? bytes : 0;
}

static int eval_begin_pass(void *vst, int pass, int rank, tm_err_t *err)
{
    eval_state_t *st = vst;
    (void)pass;
    int64_t largest = 0;
    const int64_t need = lay_out(st, &largest);
    if (need > 0)
        return tm_err_set(err, TM_ENOMEM,
                          "the R nearest candidates of each query do not fit the memory budget "
                          "on rank %d: its largest class holds R = %lld candidates and its %lld "
                          "queries need %lld bytes, %lld are left of the budget (--mem-limit): "
                          "raise --mem-limit or use more ranks", rank, (long long)largest,
                          (long long)st->n, (long long)need, (long long)st->budget);
    free(st->near);
    const size_t total = (size_t)st->off[st->n];
    st->near = malloc((total > 0 ? total : 1) * sizeof *st->near);
    if (st->near == NULL)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate the nearest lists (rank %d)", rank);
    return 0;
}

/* The records of the finished state, one per local query (gid[a] its global row). */
static int eval_finish(const void *vst, const int64_t *gid, tm_results_t *out)
{
    const eval_state_t *st = vst;
    tm_eval_rec_t *rec = malloc((size_t)(st->n > 0 ? st->n : 1) * sizeof *rec);
    out->rec = rec;
    out->nrec = st->n;
    if (rec == NULL)
        return TM_ENOMEM;
    for (int64_t a = 0; a < st->n; a++) {
        tm_eval_rec_t *x = &rec[a];
        const int64_t r = st->r[a];
        memset(x, 0, sizeof *x);
        x->query = gid[a];
        x->label = st->lab[a];
        x->r = r;
        x->pos = st->pos[a].idx;
        x->pos_val = st->pos[a].val;
        x->neg = st->neg[a].idx;
        x->neg_val = st->neg[a].val;
        x->neg_label = st->neg_lab[a];
        x->p_at_1 = x->r_prec = x->ap_at_r = x->rr = NAN;
        if (r > 0) {
            const near_t *list = st->near + st->off[a];
            int64_t hits = 0;
            double sum = 0.0;
            for (int64_t i = 0; i < r; i++)
                if (list[i].positive) {
                    hits++;
                    sum += (double)hits / (double)(i + 1);
                }
            x->p_at_1 = list[0].positive ? 1.0 : 0.0;
            x->r_prec = (double)hits / (double)r;
            x->ap_at_r = sum / (double)r;
            x->rr = 1.0 / (double)(1 + st->before[a]);
            x->nn_known = 1;
            x->nn_label = list[0].positive ? st->lab[a] : st->neg_lab[a];
        } else if (x->neg >= 0) {
            x->nn_known = 1;
            x->nn_label = x->neg_label;
        }
    }
    return 0;
}

static void eval_save(const void *vst, int pass, tm_buf_t *b)
{
    const eval_state_t *st = vst;
    const size_t n = (size_t)st->n;
    tm_buf_put_i64(b, st->n);
    tm_buf_put(b, st->lab, n * sizeof *st->lab);
    tm_buf_put(b, st->r, n * sizeof *st->r);
    tm_buf_put(b, st->pos, n * sizeof *st->pos);
    tm_buf_put(b, st->pfar, n * sizeof *st->pfar);
    if (pass < 2)
        return;
    tm_buf_put(b, st->count, n * sizeof *st->count);
    tm_buf_put(b, st->neg, n * sizeof *st->neg);
    tm_buf_put(b, st->neg_lab, n * sizeof *st->neg_lab);
    tm_buf_put(b, st->before, n * sizeof *st->before);
    tm_buf_put(b, st->near, (size_t)st->off[st->n] * sizeof *st->near);
}

static int eval_load(void *vst, int pass, tm_buf_t *b)
{
    eval_state_t *st = vst;
    if (tm_buf_get_i64(b) != st->n || tm_buf_get_array(b, st->lab, st->n, sizeof *st->lab) ||
        tm_buf_get_array(b, st->r, st->n, sizeof *st->r) ||
        tm_buf_get_array(b, st->pos, st->n, sizeof *st->pos) ||
        tm_buf_get_array(b, st->pfar, st->n, sizeof *st->pfar))
        return TM_EINPUT;
    for (int64_t a = 0; a < st->n; a++)
        if (st->r[a] < 0)
            return TM_EINPUT;
    if (pass < 2)
        return 0;
    tm_err_t err;
    tm_err_clear(&err);
    if (eval_begin_pass(st, 2, 0, &err) != 0)
        return TM_ENOMEM;
    if (tm_buf_get_array(b, st->count, st->n, sizeof *st->count) ||
        tm_buf_get_array(b, st->neg, st->n, sizeof *st->neg) ||
        tm_buf_get_array(b, st->neg_lab, st->n, sizeof *st->neg_lab) ||
        tm_buf_get_array(b, st->before, st->n, sizeof *st->before) ||
        tm_buf_get_array(b, st->near, st->off[st->n], sizeof *st->near))
        return TM_EINPUT;
    for (int64_t a = 0; a < st->n; a++)
        if (st->count[a] < 0 || st->count[a] > st->r[a])
            return TM_EINPUT;
    return 0;
}

const tm_engine_t tm_engine_retrieval = {
    .name = "retrieval",
    .passes = 2,
    .state_bytes = eval_bytes,
    .create = eval_create,
    .destroy = eval_destroy,
    .needs_tiles = eval_needs_tiles,
    .update = eval_update,
    .begin_pass = eval_begin_pass,
    .finish = eval_finish,
    .save = eval_save,
    .load = eval_load,
};
