/*
 * nearest.c - the nearest-list engine: the K nearest negatives per anchor
 * after the negative filters, and the hardest positive (topk; hard with
 * --neg-min-dist, --neg-skip or --pairs, with K = 1). The choice (pick.c)
 * and semi-hard's --neg-pool window keep one too.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/exact.h"
#include "engines/engine.h"
#include "engines/prefilter.h"
#include "tripminer/err.h"

int64_t tm_nearest_bytes(int64_t n, int64_t cap)
{
    if (cap < 0 || cap > INT64_MAX / 2 / (int64_t)sizeof(tm_entry_t))
        return INT64_MAX;
    return tm_state_bytes(n, cap * (int64_t)sizeof(tm_entry_t) + (int64_t)sizeof(int64_t) +
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

/* An upper bound on the metric value of a fast-space value f. */
static double metric_up(tm_metric_t metric, double f)
{
    if (metric != TM_METRIC_EUCLIDEAN)
        return f;
    return f > 0.0 ? sqrt(f) * (1.0 + 0x1p-40) : 0.0;
}

/* ---- exact scores deferred to the end of a candidate block -------------- */

/*
 * Scoring a negative exactly the moment its key reaches the list's gate
 * scores every entry the list ever holds: about cap (1 + ln(N / cap)) per
 * anchor over N candidates, most of them pushed out again soon. So while
 * one thread offers an anchor block the tiles of a candidate block, the
 * negatives the keys let through wait in the block scratch as intervals
 * [lo, hi] of their fast-space distance, and a sorted array keeps the cap
 * smallest upper bounds over the list and the waiting negatives that are
 * surely at or above the floor: cap distinct eligible candidates lie at or
 * below its top, so no farther negative can end in the list, and it is the
 * anchor's gate. When the scratch fills, the waiting negatives whose
 * interval starts beyond the gate go; at the end of the block the rest are
 * scored exactly and merged. The list is the same as scoring each at
 * once; the exact scores drop to about cap per candidate block. Anchors
 * with exclusions (--pairs) do without (an excluded candidate is not
 * eligible), as do lists too short to gain or too long for the scratch.
 */
typedef struct deferred {
    float lo, hi;  /* the fast-space distance lies in [lo, hi] */
    int32_t pos;   /* row of the candidate block */
} deferred_t;

enum { DEFER_MIN_CAP = 8, DEFER_MAX_CAP = 256 };

/*
 * Upper bounds wait behind the cap smallest until about half as many again
 * have come (at least 32): then one selection keeps the cap smallest.
 */
static int64_t defer_pending(int64_t cap)
{
    return (cap / 2 > 32 ? cap / 2 : 32) + TM_KEY_BLOCK;
}

static int64_t defer_room(int64_t cap)
{
    return 2 * cap + 64;
}

size_t tm_nearest_block_bytes(const tm_nearest_t *st)
{
    if (st->cap < DEFER_MIN_CAP || st->cap > DEFER_MAX_CAP)
        return 0;
    const size_t room = (size_t)defer_room(st->cap);
    const size_t bounds = (size_t)(st->cap + defer_pending(st->cap));
    return TM_TILE_ANCHORS * (3 * sizeof(int64_t) + sizeof(double) + (1 + bounds) * sizeof(float) +
                              room * sizeof(deferred_t));
}

/* The block scratch laid out, per anchor of the block. */
typedef struct defer {
    int64_t *count;   /* waiting negatives */
    int64_t *nbest;   /* the smallest upper bounds held, unordered */
    double *gate;     /* metric units: nothing farther can end in the list */
    int64_t *npend;   /* upper bounds waiting behind them */
    float *top;       /* cap of the held ones are at or below it (+inf: not yet) */
    float *best;      /* cap + defer_pending(cap) each */
    int64_t nb;       /* that size */
    deferred_t *e;    /* room each */
    int64_t room;
} defer_t;

static int defer_of(const tm_nearest_t *st, const tm_tile_t *t, defer_t *d)
{
    if (t->block == NULL || tm_nearest_block_bytes(st) == 0 || t->cand->n > INT32_MAX ||
        t->b1 - t->b0 > TM_TILE_ANCHORS)
        return 0;
    d->room = defer_room(st->cap);
    d->count = t->block;
    d->nbest = d->count + TM_TILE_ANCHORS;
    d->gate = (double *)(d->nbest + TM_TILE_ANCHORS);
    d->npend = (int64_t *)(d->gate + TM_TILE_ANCHORS);
    d->top = (float *)(d->npend + TM_TILE_ANCHORS);
    d->best = d->top + TM_TILE_ANCHORS;
    d->nb = st->cap + defer_pending(st->cap);
    d->e = (deferred_t *)(d->best + TM_TILE_ANCHORS * d->nb);
    return 1;
}

static int defers(const tm_rows_t *anch, int64_t a)
{
    return anch->xidx == NULL || anch->xbeg[a] == anch->xend[a];
}

/* The float nearest y from below / above (y finite). */
static float round_down(double y)
{
    float f = (float)y;
    if ((double)f > y) { /* one step down: f is not the smallest float */
        uint32_t u;
        memcpy(&u, &f, sizeof u);
        u = f > 0.0f ? u - 1 : f < 0.0f ? u + 1 : 0x80000001u;
        memcpy(&f, &u, sizeof f);
    }
    return f;
}

static float round_up(double y)
{
    float f = (float)y;
    if ((double)f < y) {
        uint32_t u;
        memcpy(&u, &f, sizeof u);
        u = f > 0.0f ? u + 1 : f < 0.0f ? u - 1 : 0x00000001u;
        memcpy(&f, &u, sizeof f);
    }
    return f;
}

/* Reorder v[0 .. n) so that v[k - 1] is the k-th smallest and none before it is larger. */
static void select_kth(float *v, int64_t n, int64_t k)
{
    int64_t lo = 0, hi = n - 1;
    const int64_t want = k - 1;
    while (lo < hi) {
        const float pivot = v[lo + (hi - lo) / 2];
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                const float x = v[i];
                v[i++] = v[j];
                v[j--] = x;
            }
        }
        if (want <= j)
            hi = j;
        else if (want >= i)
            lo = i;
        else
            break;
    }
}

/* How many of v[0 .. n) are <= x (no branches: it vectorises). */
static int64_t count_le(const float *v, int64_t n, float x)
{
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++)
        c += v[i] <= x;
    return c;
}

/*
 * Anchor b's waiting upper bounds join the ones held. A gate only has to
 * have cap of them at or below it, so it is found by bisection on the
 * value with branch-free counts (a selection's comparisons mispredict),
 * and the bounds above it go; the gate follows. Should a run of equal
 * bounds keep too many, a selection keeps exactly cap.
 */
static void bounds_merge(const tm_nearest_t *st, tm_metric_t metric, defer_t *d, int64_t b)
{
    float *best = d->best + b * d->nb;
    const int64_t cap = st->cap, n = d->nbest[b] + d->npend[b];
    d->npend[b] = 0;
    d->nbest[b] = n;
    if (n < cap)
        return;
    /* Every held bound is at or below top (+inf before the first cap). */
    float lo = best[0], hi = d->top[b];
    for (int64_t i = 1; i < n; i++)
        lo = best[i] < lo ? best[i] : lo;
    if (hi == INFINITY) {
        hi = best[0];
        for (int64_t i = 1; i < n; i++)
            hi = best[i] > hi ? best[i] : hi;
    }
    /* count_le(hi) = n >= cap throughout; count_le(lo) < cap unless lo does. */
    if (count_le(best, n, lo) >= cap)
        hi = lo;
    for (int it = 0; it < 10 && lo < hi; it++) {
        const float mid = lo + (hi - lo) / 2;
        if (!(mid > lo && mid < hi))
            break;
        if (count_le(best, n, mid) >= cap)
            hi = mid;
        else
            lo = mid;
    }
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        best[m] = best[i];
        m += best[i] <= hi;
    }
    if (m > cap + (d->nb - cap - TM_KEY_BLOCK) / 2) {
        select_kth(best, m, cap);
        m = cap;
        hi = best[cap - 1];
    }
    d->nbest[b] = m;
    d->top[b] = hi;
    const double bound = metric_up(metric, hi);
    d->gate[b] = bound < d->gate[b] ? bound : d->gate[b];
}

/* A candidate block starts: the bounds from anchor a's list. */
static void defer_start(const tm_nearest_t *st, tm_metric_t metric, defer_t *d, int64_t b,
                        int64_t a)
{
    const tm_entry_t *list = st->neg + a * st->cap;
    const int64_t n = st->count[a];
    float *best = d->best + b * d->nb;
    for (int64_t i = 0; i < n; i++)
        best[i] = round_up(tm_fast_up(metric, list[i].val));
    d->count[b] = 0;
    d->npend[b] = 0;
    d->nbest[b] = n;
    d->top[b] = n == st->cap ? best[n - 1] : INFINITY;
    d->gate[b] = n == st->cap ? metric_up(metric, best[n - 1]) : INFINITY;
}

/* Drop anchor b's waiting negatives that start beyond its gate. */
static void defer_drop(tm_metric_t metric, defer_t *d, int64_t b)
{
    if (d->gate[b] == INFINITY)
        return;
    const double cut = tm_fast_up(metric, d->gate[b]);
    deferred_t *e = d->e + b * d->room;
    int64_t m = 0;
    for (int64_t i = 0; i < d->count[b]; i++)
        if (!(e[i].lo > cut))
            e[m++] = e[i];
    d->count[b] = m;
}

/*
 * A fast kernel's waiting negatives looked at again in float32 (prefilter.h:
 * about a thousandth of int8's band). Their narrower upper bounds, with the
 * list's values, give a tighter gate (the cap-th smallest, as in
 * bounds_merge); those that start beyond it go before any exact score.
 */
static void defer_look(const tm_nearest_t *st, const tm_tile_t *t, defer_t *d, int64_t b,
                       int64_t a)
{
    const int64_t n = d->count[b], cap = st->cap;
    deferred_t *e = d->e + b * d->room;
    const double floor = tm_nearest_floor(st, a);
    const double sure = floor > -INFINITY ? tm_fast_up(t->metric, floor) : -INFINITY;
    /* The bounds: the list's values, then the waiting ones surely at or above the floor. */
    float ub[DEFER_MAX_CAP + 2 * DEFER_MAX_CAP + 64];
    int64_t nub = 0;
    const tm_entry_t *list = st->neg + a * cap;
    for (int64_t i = 0; i < st->count[a]; i++)
        ub[nub++] = round_up(tm_fast_up(t->metric, list[i].val));
    int64_t rows[TM_LOOK_ROWS];
    double lo[TM_LOOK_ROWS], hi[TM_LOOK_ROWS];
    for (int64_t k0 = 0; k0 < n; k0 += TM_LOOK_ROWS) {
        const int64_t w = n - k0 < TM_LOOK_ROWS ? n - k0 : TM_LOOK_ROWS;
        for (int64_t u = 0; u < w; u++) {
            rows[u] = e[k0 + u].pos;
            lo[u] = e[k0 + u].lo;
            hi[u] = e[k0 + u].hi;
        }
        tm_look_again(t->metric, t->anch, a, t->cand, rows, w, lo, hi);
        for (int64_t u = 0; u < w; u++) {
            e[k0 + u].lo = round_down(lo[u]);
            e[k0 + u].hi = round_up(hi[u]);
            if (e[k0 + u].lo > sure)
                ub[nub++] = e[k0 + u].hi;
        }
    }
    if (nub >= cap && cap > 0) {
        select_kth(ub, nub, cap);
        const double bound = metric_up(t->metric, ub[cap - 1]);
        d->gate[b] = bound < d->gate[b] ? bound : d->gate[b];
    }
    defer_drop(t->metric, d, b);
}

/* Score anchor a's waiting negatives exactly and merge them into its list. */
static void defer_flush(tm_nearest_t *st, const tm_tile_t *t, defer_t *d, int64_t b, int64_t a)
{
    bounds_merge(st, t->metric, d, b);
    defer_drop(t->metric, d, b);
    if (tm_looks_again(t) && d->count[b] > 0)
        defer_look(st, t, d, b, a);
    const tm_rows_t *anch = t->anch, *cand = t->cand;
    const int64_t dim = anch->dim, n = d->count[b];
    const float *arow = anch->emb + a * dim;
    const deferred_t *e = d->e + b * d->room;
    tm_entry_t got[64];
    int64_t ng = 0;
    for (int64_t u = 0; u < 8 && u < n; u++)
        for (int64_t off = 0; off < dim; off += 16)
            __builtin_prefetch(cand->emb + (int64_t)e[u].pos * dim + off);
    for (int64_t k = 0; k < n;) {
        /* The rows are anywhere in the block: ask for them two batches early. */
        for (int64_t u = k + 8; u < k + 12 && u < n; u++)
            for (int64_t off = 0; off < dim; off += 16)
                __builtin_prefetch(cand->emb + (int64_t)e[u].pos * dim + off);
        double val[4];
        const int64_t take = n - k >= 4 ? 4 : 1;
        if (take == 4) {
            const float *rows[4];
            for (int u = 0; u < 4; u++)
                rows[u] = cand->emb + (int64_t)e[k + u].pos * dim;
            tm_exact_dist4(t->metric, arow, rows, dim, val);
        } else {
            val[0] = tm_exact_dist(t->metric, arow, cand->emb + (int64_t)e[k].pos * dim, dim);
        }
        for (int64_t u = 0; u < take; u++)
            got[ng++] = (tm_entry_t){val[u], cand->gid[e[k + u].pos]};
        k += take;
        if (ng > 60 || k == n) {
            offer_many(st, a, got, ng);
            ng = 0;
        }
    }
    d->count[b] = 0;
}

/* Anchor a's negatives of the row that its keys let through, to wait. */
static void defer_row(tm_nearest_t *st, tm_metric_t metric, const tm_keyrow_t *kr,
                      const tm_tile_t *t, defer_t *d, int64_t a, const float *g,
                      const int64_t r[4][2], double floor, float tmin, int32_t *hits)
{
    const int64_t cap = st->cap, b = a - t->b0, c0 = t->c0;
    const float *kadd = t->cand->kadd + c0, *kmul = t->cand->kmul + c0;
    const tm_entry_t *list = st->neg + a * cap;
    deferred_t *e = d->e + b * d->room;
    /* Waiting negatives whose lo is above this are surely at or above the floor. */
    const double sure = floor > -INFINITY ? tm_fast_up(metric, floor) : -INFINITY;
    double gate_was = NAN;
    float tn = INFINITY, *best = d->best + b * d->nb;
    const int64_t pmax = defer_pending(cap) - TM_KEY_BLOCK;
    for (int q = 0; q < 2; q++)
        for (int64_t j0 = r[q][0]; j0 < r[q][1]; j0 += TM_KEY_BLOCK) {
            const int64_t j1 = j0 + TM_KEY_BLOCK < r[q][1] ? j0 + TM_KEY_BLOCK : r[q][1];
            double gate = st->count[a] == cap ? list[cap - 1].val : INFINITY;
            gate = d->gate[b] < gate ? d->gate[b] : gate;
            if (!(gate == gate_was)) {
                tn = tm_key_thr_le(kr, tm_widen_up(tm_fast_up(metric, gate)));
                gate_was = gate;
            }
            const int64_t nhit = tm_key_scan(g, kadd, kmul, j0, j1, tmin, tn, INFINITY, hits);
            for (int64_t k = 0; k < nhit; k++) {
                const int64_t j = hits[k];
                const float key = kadd[j] + kmul[j] * g[j];
                const float lo = round_down(tm_key_lo(kr, key));
                const float hi = round_up(tm_key_hi(kr, key));
                if (lo > sure && hi < d->top[b])
                    best[d->nbest[b] + d->npend[b]++] = hi;
                e[d->count[b]++] = (deferred_t){lo, hi, (int32_t)(c0 + j)};
                if (d->count[b] < d->room)
                    continue;
                bounds_merge(st, metric, d, b);
                defer_drop(metric, d, b);
                /* Still crowded (a band of near-equal keys): score them now. */
                if (d->count[b] > d->room - d->room / 4)
                    defer_flush(st, t, d, b, a);
            }
            /* Bounds merge a few dozen at a time: the gate lags a little. */
            if (d->npend[b] >= pmax)
                bounds_merge(st, metric, d, b);
        }
}

/*
 * The same with float32 keys (prefilter.c): the hardest positive as in
 * batch-hard, then the negatives of the two ranges block by block, each
 * block against the gates as they stand at its start.
 */
static void nearest_row_keys(tm_nearest_t *st, tm_metric_t metric, const tm_keyrow_t *kr,
                             const tm_tile_t *t, int64_t a, int64_t nc, const float *g,
                             int32_t *hits)
{
    const tm_rows_t *anch = t->anch, *cand = t->cand;
    const int64_t c0 = t->c0;
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
    defer_t d;
    if (floor < INFINITY && defer_of(st, t, &d) && defers(anch, a)) {
        defer_row(st, metric, kr, t, &d, a, g, r, floor, tmin, hits);
        return;
    }
    int64_t pending = 0;
    double gate_was = NAN;
    float tn = INFINITY;
    for (int q = 0; q < 2 && floor < INFINITY; q++)
        for (int64_t j0 = r[q][0]; j0 < r[q][1]; j0 += TM_KEY_BLOCK) {
            const int64_t j1 = j0 + TM_KEY_BLOCK < r[q][1] ? j0 + TM_KEY_BLOCK : r[q][1];
            const double gate = cap > 0 && st->count[a] == cap ? list[cap - 1].val : INFINITY;
            if (!(gate == gate_was)) { /* the threshold only when the gate moved */
                tn = tm_key_thr_le(kr, tm_widen_up(tm_fast_up(metric, gate)));
                gate_was = gate;
            }
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
    nearest_row_keys(st, t->metric, r->kr, t, r->a, r->nc, r->g, r->hits);
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
    defer_t d;
    const int defer = defer_of(st, t, &d);
    if (defer && t->begins)
        for (int64_t a = t->b0; a < t->b1; a++)
            defer_start(st, t->metric, &d, a - t->b0, a);
    tm_tile_rows(t, st, NULL, nearest_keys, nearest_intervals);
    if (defer && t->ends)
        for (int64_t a = t->b0; a < t->b1; a++)
            defer_flush(st, t, &d, a - t->b0, a);
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

/* ---- the engine ------------------------------------------------------------ */

/* The list keeps the skipped negatives and K more, at most every candidate. */
static int64_t list_cap(const tm_engine_args_t *a, const tm_engine_size_t *sz)
{
    return tm_list_cap(tm_sat_add(a->p->neg_skip, a->k), sz);
}

static int64_t nearest_bytes(const tm_engine_args_t *a, const tm_engine_size_t *sz)
{
    return tm_nearest_bytes(sz->anchors, list_cap(a, sz));
}

static int nearest_create(void **out, const tm_engine_args_t *a, const tm_engine_size_t *sz)
{
    tm_nearest_t *st = calloc(1, sizeof *st);
    *out = st;
    if (st == NULL)
        return TM_ENOMEM;
    return tm_nearest_init(st, sz->anchors, list_cap(a, sz) - a->p->neg_skip,
                           tm_negfilter_of(a->p));
}

static void nearest_destroy(void *st)
{
    if (st != NULL)
        tm_nearest_free(st);
    free(st);
}

static int nearest_needs_tiles(const void *st, int pass)
{
    (void)st, (void)pass;
    return 1;
}

static size_t nearest_block_bytes(const void *st)
{
    return tm_nearest_block_bytes(st);
}

static void nearest_update(void *st, int pass, const tm_tile_t *t)
{
    (void)pass;
    tm_nearest_update(st, t);
}

static int nearest_finish(const void *st, const int64_t *gid, tm_results_t *out)
{
    return tm_nearest_finish(st, gid, &out->trip);
}

static void nearest_save(const void *st, int pass, tm_buf_t *b)
{
    (void)pass;
    tm_nearest_save(st, b);
}

static int nearest_load(void *st, int pass, tm_buf_t *b)
{
    (void)pass;
    return tm_nearest_load(st, b);
}

/* Once the list is full, a negative farther than its last cannot enter it. */
static double nearest_gate(const void *vst, int64_t a)
{
    const tm_nearest_t *st = vst;
    if (st->cap == 0 || st->count[a] < st->cap)
        return INFINITY;
    return st->neg[a * st->cap + st->cap - 1].val;
}

const tm_engine_t tm_engine_nearest = {
    .name = "nearest list",
    .passes = 1,
    .state_bytes = nearest_bytes,
    .create = nearest_create,
    .destroy = nearest_destroy,
    .needs_tiles = nearest_needs_tiles,
    .block_bytes = nearest_block_bytes,
    .update = nearest_update,
    .finish = nearest_finish,
    .save = nearest_save,
    .load = nearest_load,
    .gate = nearest_gate,
};
