/*
 * test_select.c - batch-hard selection (select.h).
 *
 * tm_hard_offer is checked against its rule by hand; tm_hard_update on
 * small hand-built blocks is checked against a brute-force choice made in
 * this file with plain double loops (the formulas of exact.h), whatever
 * the order and the blocking in which the candidates arrive: the choice
 * is made on (exact value, global index), so it may not depend on either.
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "tm_unit.h"
#include "core/exact.h"
#include "core/kern.h"
#include "engines/select.h"

static const tm_metric_t metrics[3] = {TM_METRIC_SQEUCLIDEAN, TM_METRIC_EUCLIDEAN,
                                       TM_METRIC_COSINE};

static const char *mname(tm_metric_t m)
{
    return m == TM_METRIC_COSINE ? "cosine" : m == TM_METRIC_EUCLIDEAN ? "euclidean" : "sqeuclidean";
}

static int same_bits(double x, double y)
{
    return memcmp(&x, &y, sizeof x) == 0;
}

/* ---- tm_hard_offer ----------------------------------------------------- */

START_TEST(test_init_empty)
{
    tm_hard_t st;
    ck_assert_int_eq(tm_hard_init(&st, 3), 0);
    ck_assert_int_eq(st.n, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(st.pos[i].idx, -1);
        ck_assert_int_eq(st.neg[i].idx, -1);
    }
    tm_hard_free(&st);
    ck_assert(st.pos == NULL && st.neg == NULL && st.n == 0);
    ck_assert_int_eq(tm_hard_init(&st, 0), 0);
    tm_hard_free(&st);
}
END_TEST

START_TEST(test_offer_positive_rule)
{
    tm_hard_t st;
    ck_assert_int_eq(tm_hard_init(&st, 2), 0);
    /* The first offer is taken whatever its value. */
    tm_hard_offer(&st, 0, 1, 1.0, 1.5, 5);
    ck_assert_int_eq(st.pos[0].idx, 5);
    ck_assert(st.pos[0].val == 1.0 && st.pos[0].fast == 1.5);
    /* Larger distance wins even with a larger index. */
    tm_hard_offer(&st, 0, 1, 2.0, 4.0, 7);
    ck_assert_int_eq(st.pos[0].idx, 7);
    /* Equal distance: the smaller index wins ... */
    tm_hard_offer(&st, 0, 1, 2.0, 4.0, 3);
    ck_assert_int_eq(st.pos[0].idx, 3);
    /* ... and a larger one does not. */
    tm_hard_offer(&st, 0, 1, 2.0, 4.0, 4);
    ck_assert_int_eq(st.pos[0].idx, 3);
    /* Smaller distance loses even with a smaller index. */
    tm_hard_offer(&st, 0, 1, 1.999999, 3.9, 0);
    ck_assert_int_eq(st.pos[0].idx, 3);
    ck_assert(st.pos[0].val == 2.0 && st.pos[0].fast == 4.0);
    /* Neither the negative nor the other anchor moved. */
    ck_assert_int_eq(st.neg[0].idx, -1);
    ck_assert_int_eq(st.pos[1].idx, -1);
    tm_hard_free(&st);
}
END_TEST

START_TEST(test_offer_negative_rule)
{
    tm_hard_t st;
    ck_assert_int_eq(tm_hard_init(&st, 2), 0);
    tm_hard_offer(&st, 1, 0, 2.0, 4.0, 5);
    ck_assert_int_eq(st.neg[1].idx, 5);
    /* Smaller distance wins even with a larger index. */
    tm_hard_offer(&st, 1, 0, 1.0, 1.0, 7);
    ck_assert_int_eq(st.neg[1].idx, 7);
    /* Equal distance: the smaller index wins, a larger one does not. */
    tm_hard_offer(&st, 1, 0, 1.0, 1.0, 3);
    ck_assert_int_eq(st.neg[1].idx, 3);
    tm_hard_offer(&st, 1, 0, 1.0, 1.0, 4);
    ck_assert_int_eq(st.neg[1].idx, 3);
    /* Larger distance loses even with index 0. */
    tm_hard_offer(&st, 1, 0, 1.0000001, 1.1, 0);
    ck_assert_int_eq(st.neg[1].idx, 3);
    ck_assert(st.neg[1].val == 1.0 && st.neg[1].fast == 1.0);
    /* A distance of 0 (a duplicate) is a valid negative. */
    tm_hard_offer(&st, 1, 0, 0.0, 0.0, 9);
    ck_assert_int_eq(st.neg[1].idx, 9);
    ck_assert_int_eq(st.pos[1].idx, -1);
    ck_assert_int_eq(st.neg[0].idx, -1);
    tm_hard_free(&st);
}
END_TEST

/* The decision is on val; fast only travels along (euclidean: val = sqrt(fast)). */
START_TEST(test_offer_decides_on_val)
{
    tm_hard_t st;
    ck_assert_int_eq(tm_hard_init(&st, 1), 0);
    tm_hard_offer(&st, 0, 0, 1.0, 1.0 + 0x1p-52, 8);
    tm_hard_offer(&st, 0, 0, 1.0, 1.0, 9);
    ck_assert_int_eq(st.neg[0].idx, 8);
    ck_assert(st.neg[0].fast == 1.0 + 0x1p-52);
    tm_hard_offer(&st, 0, 1, 1.0, 1.0, 9);
    tm_hard_offer(&st, 0, 1, 1.0, 1.0 + 0x1p-52, 8);
    ck_assert_int_eq(st.pos[0].idx, 8);
    tm_hard_free(&st);
}
END_TEST

/* ---- a small data set, its brute-force choice and the blocked updates -- */

typedef struct dset {
    int64_t n, dim;
    float *emb;
    int64_t *labels, *gid;
    double *sqnorm, *norm;
} dset_t;

static void dset_alloc(dset_t *s, int64_t n, int64_t dim)
{
    s->n = n;
    s->dim = dim;
    s->emb = tm_unit_alloc((size_t)(n * dim) * sizeof *s->emb);
    s->labels = tm_unit_alloc((size_t)n * sizeof *s->labels);
    s->gid = tm_unit_alloc((size_t)n * sizeof *s->gid);
    s->sqnorm = tm_unit_alloc((size_t)n * sizeof *s->sqnorm);
    s->norm = tm_unit_alloc((size_t)n * sizeof *s->norm);
}

static void dset_free(dset_t *s)
{
    free(s->emb);
    free(s->labels);
    free(s->gid);
    free(s->sqnorm);
    free(s->norm);
    memset(s, 0, sizeof *s);
}

/* Norms as the library computes them for its rows: double, then sqrt. */
static void dset_norms(dset_t *s)
{
    for (int64_t i = 0; i < s->n; i++) {
        double q = 0.0;
        for (int64_t k = 0; k < s->dim; k++)
            q += (double)s->emb[i * s->dim + k] * (double)s->emb[i * s->dim + k];
        s->sqnorm[i] = q;
        s->norm[i] = sqrt(q);
    }
}

/* out = rows idx[0 .. k) of src, in that order. */
static void dset_gather(dset_t *out, const dset_t *src, const int64_t *idx, int64_t k)
{
    dset_alloc(out, k, src->dim);
    for (int64_t i = 0; i < k; i++) {
        int64_t r = idx[i];
        memcpy(out->emb + i * src->dim, src->emb + r * src->dim, (size_t)src->dim * sizeof(float));
        out->labels[i] = src->labels[r];
        out->gid[i] = src->gid[r];
        out->sqnorm[i] = src->sqnorm[r];
        out->norm[i] = src->norm[r];
    }
}

static tm_rows_t dset_rows(const dset_t *s)
{
    tm_rows_t r = {s->n, s->dim, s->emb, s->labels, s->gid, s->sqnorm, s->norm, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    return r;
}

/* The fast-space value of exact.h, written out independently. */
static double ref_fast(tm_metric_t m, const float *a, const float *b, int64_t dim)
{
    if (m == TM_METRIC_COSINE) {
        double dot = 0.0, na = 0.0, nb = 0.0;
        for (int64_t i = 0; i < dim; i++) {
            dot += (double)a[i] * (double)b[i];
            na += (double)a[i] * (double)a[i];
            nb += (double)b[i] * (double)b[i];
        }
        if (na == 0.0 || nb == 0.0)
            return 1.0;
        return 1.0 - dot / (sqrt(na) * sqrt(nb));
    }
    double s = 0.0;
    for (int64_t i = 0; i < dim; i++) {
        double t = (double)a[i] - (double)b[i];
        s += t * t;
    }
    return s;
}

/* Brute force over every row of all: hardest positive and negative of row a. */
static void brute(tm_metric_t m, const dset_t *all, int64_t a, tm_best_t *pos, tm_best_t *neg)
{
    *pos = (tm_best_t){0.0, 0.0, -1};
    *neg = (tm_best_t){0.0, 0.0, -1};
    const float *av = all->emb + a * all->dim;
    for (int64_t c = 0; c < all->n; c++) {
        double fast = ref_fast(m, av, all->emb + c * all->dim, all->dim);
        double val = m == TM_METRIC_EUCLIDEAN ? sqrt(fast) : fast;
        int64_t g = all->gid[c];
        if (all->labels[c] == all->labels[a]) {
            if (g == all->gid[a])
                continue;
            if (pos->idx < 0 || val > pos->val || (val == pos->val && g < pos->idx))
                *pos = (tm_best_t){val, fast, g};
        } else {
            if (neg->idx < 0 || val < neg->val || (val == neg->val && g < neg->idx))
                *neg = (tm_best_t){val, fast, g};
        }
    }
}

/* How the candidates are offered. */
typedef enum {
    FEED_ONE_BLOCK,     /* natural order, one block, all anchors at once */
    FEED_SINGLES,       /* reversed order, one candidate per block */
    FEED_RANDOM_BLOCKS, /* permuted, blocks of random size, anchors in two ranges */
    FEED_SUBRANGES,     /* permuted into one row set, offered by [c0, c1) ranges */
    FEED_KEYED,         /* random blocks ordered by (label, index), with float32 keys */
    FEED_COUNT
} feed_t;

static const char *feed_name(feed_t f)
{
    static const char *names[FEED_COUNT] = {"one block", "single candidates",
                                            "random blocks", "subranges", "keyed blocks"};
    return names[f];
}

/* One tm_hard_update over anchors [a0, a1) and candidates [c0, c1) of cand. */
static void update(tm_hard_t *st, tm_metric_t m, const dset_t *anch, int64_t a0, int64_t a1,
                   const dset_t *cand, int64_t c0, int64_t c1, int keyed)
{
    const int64_t dim = anch->dim, na = a1 - a0, nc = c1 - c0;
    float *G = tm_unit_alloc((size_t)(na * nc) * sizeof *G);
    double *scratch = tm_unit_alloc((size_t)(3 * nc) * sizeof *scratch);
    float *kadd = tm_unit_alloc((size_t)cand->n * sizeof *kadd);
    float *kmul = tm_unit_alloc((size_t)cand->n * sizeof *kmul);
    tm_kern_gram(anch->emb + a0 * dim, na, cand->emb + c0 * dim, nc, dim, G);
    tm_rows_t ar = dset_rows(anch), cr = dset_rows(cand);
    if (keyed) {
        /* As the exchange delivers a round: ordered, with keys. */
        for (int64_t i = 1; i < cand->n; i++)
            ck_assert(cand->labels[i - 1] < cand->labels[i] ||
                      (cand->labels[i - 1] == cand->labels[i] && cand->gid[i - 1] < cand->gid[i]));
        tm_rows_keys(m, &cr, kadd, kmul);
        cr.kadd = kadd;
        cr.kmul = kmul;
    }
    const tm_tile_t tile = {.metric = m, .bound = tm_kern_bound(dim), .anch = &ar, .a0 = a0, .a1 = a1,
                            .cand = &cr, .c0 = c0, .c1 = c1, .G = G, .scratch = scratch,
                            .b0 = a0, .b1 = a1};
    tm_hard_update(st, &tile);
    free(G);
    free(scratch);
    free(kadd);
    free(kmul);
}

/* Sort positions by (label, global index) of rows of s. */
static const dset_t *sort_src;
static int cmp_label_gid(const void *x, const void *y)
{
    const int64_t i = *(const int64_t *)x, j = *(const int64_t *)y;
    const int64_t li = sort_src->labels[i], lj = sort_src->labels[j];
    if (li != lj)
        return li < lj ? -1 : 1;
    return (sort_src->gid[i] > sort_src->gid[j]) - (sort_src->gid[i] < sort_src->gid[j]);
}

/* Offer every row of all to every anchor (all rows are anchors) in the order of feed. */
static void run_feed(tm_hard_t *st, tm_metric_t m, const dset_t *all, feed_t feed, tm_rng_t *r)
{
    const int64_t n = all->n;
    int64_t *order = tm_unit_alloc((size_t)n * sizeof *order);
    for (int64_t i = 0; i < n; i++)
        order[i] = feed == FEED_SINGLES ? n - 1 - i : i;
    if (feed == FEED_RANDOM_BLOCKS || feed == FEED_SUBRANGES || feed == FEED_KEYED)
        tm_rng_shuffle(r, order, n);
    dset_t perm;
    dset_gather(&perm, all, order, n);
    int64_t split = n / 3;
    for (int64_t c0 = 0; c0 < n;) {
        int64_t len = feed == FEED_ONE_BLOCK ? n : feed == FEED_SINGLES ? 1 : 1 + tm_rng_below(r, 12);
        int64_t c1 = c0 + len < n ? c0 + len : n;
        if (feed == FEED_SUBRANGES) {
            update(st, m, all, 0, n, &perm, c0, c1, 0);
        } else {
            dset_t blk;
            int64_t *idx = tm_unit_alloc((size_t)(c1 - c0) * sizeof *idx);
            for (int64_t i = c0; i < c1; i++)
                idx[i - c0] = i;
            if (feed == FEED_KEYED) {
                sort_src = &perm;
                qsort(idx, (size_t)(c1 - c0), sizeof *idx, cmp_label_gid);
            }
            dset_gather(&blk, &perm, idx, c1 - c0);
            if (feed == FEED_RANDOM_BLOCKS || feed == FEED_KEYED) {
                /* Keyed: the block in two tiles, [0, half) and [half, n). */
                int64_t half = feed == FEED_KEYED ? blk.n / 2 : blk.n;
                int keyed = feed == FEED_KEYED;
                update(st, m, all, 0, split, &blk, 0, half, keyed);
                update(st, m, all, split, n, &blk, 0, half, keyed);
                if (half < blk.n) {
                    update(st, m, all, 0, split, &blk, half, blk.n, keyed);
                    update(st, m, all, split, n, &blk, half, blk.n, keyed);
                }
            } else {
                update(st, m, all, 0, n, &blk, 0, blk.n, 0);
            }
            free(idx);
            dset_free(&blk);
        }
        c0 = c1;
    }
    dset_free(&perm);
    free(order);
}

/* Every feed must give the brute-force choice, bit for bit. */
static void check_all_feeds(const char *what, tm_metric_t m, const dset_t *all, uint64_t seed)
{
    tm_rng_t r = tm_rng_make(seed);
    for (int f = 0; f < FEED_COUNT; f++) {
        tm_hard_t st;
        ck_assert_int_eq(tm_hard_init(&st, all->n), 0);
        run_feed(&st, m, all, (feed_t)f, &r);
        for (int64_t a = 0; a < all->n; a++) {
            tm_best_t bp, bn;
            brute(m, all, a, &bp, &bn);
            ck_assert_msg(st.pos[a].idx == bp.idx && (bp.idx < 0 || (same_bits(st.pos[a].val, bp.val) &&
                                                                     same_bits(st.pos[a].fast, bp.fast))),
                          "%s, %s, feed '%s', anchor row %lld (gid %lld): positive %lld (%.17g), "
                          "brute force %lld (%.17g)", what, mname(m), feed_name((feed_t)f),
                          (long long)a, (long long)all->gid[a], (long long)st.pos[a].idx,
                          st.pos[a].val, (long long)bp.idx, bp.val);
            ck_assert_msg(st.neg[a].idx == bn.idx && (bn.idx < 0 || (same_bits(st.neg[a].val, bn.val) &&
                                                                     same_bits(st.neg[a].fast, bn.fast))),
                          "%s, %s, feed '%s', anchor row %lld (gid %lld): negative %lld (%.17g), "
                          "brute force %lld (%.17g)", what, mname(m), feed_name((feed_t)f),
                          (long long)a, (long long)all->gid[a], (long long)st.neg[a].idx,
                          st.neg[a].val, (long long)bn.idx, bn.val);
        }
        tm_hard_free(&st);
    }
}

/* Global indices: a random permutation of 7 + 3 k, so position != index. */
static void random_gids(dset_t *s, tm_rng_t *r)
{
    int64_t *p = tm_unit_alloc((size_t)s->n * sizeof *p);
    for (int64_t i = 0; i < s->n; i++)
        p[i] = i;
    tm_rng_shuffle(r, p, s->n);
    for (int64_t i = 0; i < s->n; i++)
        s->gid[i] = 7 + 3 * p[i];
    free(p);
}

START_TEST(test_update_hand)
{
    /* On a line: anchor 0 at x = 0 (label 1); positives at 1 and 3, negatives at 2 and 5. */
    static const float xs[6] = {0, 1, 3, 2, 5, 4};
    static const int64_t labs[6] = {1, 1, 1, 2, 2, 3};
    dset_t s;
    dset_alloc(&s, 6, 2);
    for (int i = 0; i < 6; i++) {
        s.emb[2 * i] = xs[i];
        s.emb[2 * i + 1] = 0.0f;
        s.labels[i] = labs[i];
        s.gid[i] = 100 + i;
    }
    dset_norms(&s);
    tm_hard_t st;
    ck_assert_int_eq(tm_hard_init(&st, 6), 0);
    update(&st, TM_METRIC_SQEUCLIDEAN, &s, 0, 6, &s, 0, 6, 0);
    ck_assert_int_eq(st.pos[0].idx, 102);
    ck_assert(st.pos[0].val == 9.0);
    ck_assert_int_eq(st.neg[0].idx, 103);
    ck_assert(st.neg[0].val == 4.0);
    /* Row 5 (x = 4) is alone in its class: no positive, nearest negative at 3 or 5. */
    ck_assert_int_eq(st.pos[5].idx, -1);
    ck_assert_int_eq(st.neg[5].idx, 102);
    ck_assert(st.neg[5].val == 1.0);
    /* Row 4 (x = 5): positive 3 at distance 9, negative 4 at distance 1. */
    ck_assert_int_eq(st.pos[4].idx, 103);
    ck_assert_int_eq(st.neg[4].idx, 105);
    tm_hard_free(&st);
    dset_free(&s);
}
END_TEST

/* Data sets for the randomised comparisons. */
typedef enum { DATA_PLAIN, DATA_DUPLICATES, DATA_FAR, DATA_COUNT } data_t;

static void make_data(dset_t *s, data_t kind, int64_t n, int64_t dim, int64_t nlab, tm_rng_t *r)
{
    dset_alloc(s, n, dim);
    for (int64_t i = 0; i < n; i++) {
        /* Labels may be negative. */
        s->labels[i] = tm_rng_below(r, nlab) * 1000 - 2000;
        for (int64_t k = 0; k < dim; k++)
            s->emb[i * dim + k] = tm_rng_sym(r);
    }
    if (kind == DATA_DUPLICATES) {
        /*
         * Half the rows copy an earlier row, some scaled by a power of two
         * (the same cosine distance to everything, bit for bit); a zero row.
         */
        for (int64_t i = 1; i < n; i++) {
            if (tm_rng_below(r, 2) == 0)
                continue;
            int64_t src = tm_rng_below(r, i);
            float sc = tm_rng_below(r, 3) == 0 ? 2.0f : 1.0f;
            for (int64_t k = 0; k < dim; k++)
                s->emb[i * dim + k] = sc * s->emb[src * dim + k];
        }
        memset(s->emb + (n / 2) * dim, 0, (size_t)dim * sizeof(float));
    } else if (kind == DATA_FAR) {
        /* Far from the origin and close together: float32 cannot tell them apart. */
        for (int64_t i = 0; i < n; i++)
            for (int64_t k = 0; k < dim; k++)
                s->emb[i * dim + k] = 3000.0f + 1e-3f * s->emb[i * dim + k];
    }
    random_gids(s, r);
    dset_norms(s);
}

/* Loop index: metric x data kind x dimension. */
START_TEST(test_update_random)
{
    static const int64_t dims[3] = {1, 3, 17};
    const tm_metric_t m = metrics[_i % 3];
    const data_t kind = (data_t)(_i / 3 % DATA_COUNT);
    const int64_t dim = dims[_i / (3 * DATA_COUNT)];
    static const char *kinds[DATA_COUNT] = {"random", "duplicates", "far cluster"};
    char what[96];
    snprintf(what, sizeof what, "%s data, dim %lld", kinds[kind], (long long)dim);
    tm_rng_t r = tm_rng_make(2000 + (uint64_t)_i);
    for (int rep = 0; rep < 3; rep++) {
        dset_t s;
        make_data(&s, kind, 40, dim, rep == 2 ? 2 : 5, &r);
        check_all_feeds(what, m, &s, 3000 + (uint64_t)(_i * 10 + rep));
        dset_free(&s);
    }
}
END_TEST

/* Exact duplicates everywhere: every choice is decided by the smallest index. */
START_TEST(test_update_duplicate_ties)
{
    const tm_metric_t m = metrics[_i];
    const int64_t dim = 3, n = 12;
    /* Rows: the anchor class (label 5) and the other class (label 9). */
    static const float base[3][3] = {{1, 2, 3}, {-2, 0.5f, 1}, {4, -1, 0.25f}};
    dset_t s;
    dset_alloc(&s, n, dim);
    for (int64_t i = 0; i < n; i++) {
        int64_t which = i < 2 ? 0 : i < 7 ? 1 : 2;
        float sc = (m == TM_METRIC_COSINE && i % 2) ? 4.0f : 1.0f;
        for (int64_t k = 0; k < dim; k++)
            s.emb[i * dim + k] = sc * base[which][k];
        s.labels[i] = i < 7 ? 5 : 9;
        /* Global indices decrease with the row. */
        s.gid[i] = 50 - 3 * i;
    }
    dset_norms(&s);
    check_all_feeds("duplicates", m, &s, 4000 + (uint64_t)_i);
    /* And by hand: anchor row 0; its class copies rows 2..6 of base 1; negatives copy base 2. */
    tm_hard_t st;
    ck_assert_int_eq(tm_hard_init(&st, n), 0);
    update(&st, m, &s, 0, n, &s, 0, n, 0);
    ck_assert_int_eq(st.pos[0].idx, s.gid[6]);
    ck_assert_int_eq(st.neg[0].idx, s.gid[11]);
    tm_hard_free(&st);
    dset_free(&s);
}
END_TEST

START_TEST(test_update_self_never_positive)
{
    const tm_metric_t m = metrics[_i];
    dset_t s;
    dset_alloc(&s, 4, 2);
    /* Row 0 alone in label 1; rows 1 and 2 identical in label 2; row 3 in label 3. */
    static const float v[4][2] = {{1, 1}, {2, 0}, {2, 0}, {0, 3}};
    static const int64_t labs[4] = {1, 2, 2, 3};
    for (int i = 0; i < 4; i++) {
        s.emb[2 * i] = v[i][0];
        s.emb[2 * i + 1] = v[i][1];
        s.labels[i] = labs[i];
        s.gid[i] = 10 + i;
    }
    dset_norms(&s);
    tm_hard_t st;
    ck_assert_int_eq(tm_hard_init(&st, 4), 0);
    update(&st, m, &s, 0, 4, &s, 0, 4, 0);
    ck_assert_int_eq(st.pos[0].idx, -1);
    ck_assert_int_eq(st.pos[3].idx, -1);
    /* The duplicate with another index is a positive at distance 0. */
    ck_assert_int_eq(st.pos[1].idx, 12);
    ck_assert_int_eq(st.pos[2].idx, 11);
    ck_assert(st.pos[1].val == 0.0 && st.pos[2].val == 0.0);
    tm_hard_free(&st);
    check_all_feeds("self and its duplicate", m, &s, 4500 + (uint64_t)_i);
    dset_free(&s);
    /* Only the anchor itself, offered alone: still no positive. */
    dset_alloc(&s, 1, 2);
    s.emb[0] = 1.0f;
    s.labels[0] = 4;
    s.gid[0] = 0;
    dset_norms(&s);
    ck_assert_int_eq(tm_hard_init(&st, 1), 0);
    update(&st, m, &s, 0, 1, &s, 0, 1, 0);
    ck_assert_int_eq(st.pos[0].idx, -1);
    ck_assert_int_eq(st.neg[0].idx, -1);
    tm_hard_free(&st);
    dset_free(&s);
}
END_TEST

START_TEST(test_update_no_negatives)
{
    const tm_metric_t m = metrics[_i];
    tm_rng_t r = tm_rng_make(5000 + (uint64_t)_i);
    dset_t s;
    dset_alloc(&s, 9, 4);
    for (int64_t i = 0; i < 9; i++) {
        for (int64_t k = 0; k < 4; k++)
            s.emb[i * 4 + k] = tm_rng_sym(&r);
        /* One class, with an extreme label value. */
        s.labels[i] = INT64_MIN;
    }
    random_gids(&s, &r);
    dset_norms(&s);
    check_all_feeds("one class", m, &s, 5100 + (uint64_t)_i);
    tm_hard_t st;
    ck_assert_int_eq(tm_hard_init(&st, 9), 0);
    update(&st, m, &s, 0, 9, &s, 0, 9, 0);
    for (int a = 0; a < 9; a++) {
        ck_assert_int_eq(st.neg[a].idx, -1);
        ck_assert_int_ge(st.pos[a].idx, 0);
        ck_assert_int_ne(st.pos[a].idx, s.gid[a]);
    }
    tm_hard_free(&st);
    dset_free(&s);
}
END_TEST

/*
 * Euclidean: the fast values 1 and 1 + 2^-52 share the square root 1, so
 * the two candidates tie in the metric's own units and the smaller index
 * must win, in whichever order they come; in sqeuclidean they do not tie.
 */
START_TEST(test_update_euclidean_sqrt_tie)
{
    /* The premise of the test. */
    ck_assert(sqrt(1.0 + 0x1p-52) == 1.0);
    dset_t s;
    dset_alloc(&s, 5, 2);
    /* Row 0 is the anchor at the origin (label 0). */
    static const float v[5][2] = {{0, 0}, {1, 0}, {1, 0x1p-26f}, {1, 0}, {1, 0x1p-26f}};
    static const int64_t labs[5] = {0, 1, 1, 0, 0};
    static const int64_t gids[5] = {0, 7, 3, 30, 70};
    for (int i = 0; i < 5; i++) {
        s.emb[2 * i] = v[i][0];
        s.emb[2 * i + 1] = v[i][1];
        s.labels[i] = labs[i];
        s.gid[i] = gids[i];
    }
    dset_norms(&s);
    for (int k = 0; k < 2; k++) {
        tm_metric_t m = k == 0 ? TM_METRIC_EUCLIDEAN : TM_METRIC_SQEUCLIDEAN;
        check_all_feeds("sqrt tie", m, &s, 6000 + (uint64_t)k);
        for (int rev = 0; rev < 2; rev++) {
            tm_hard_t st;
            ck_assert_int_eq(tm_hard_init(&st, 5), 0);
            for (int i = 0; i < 5; i++) {
                int c = rev ? 4 - i : i;
                update(&st, m, &s, 0, 1, &s, c, c + 1, 0);
            }
            if (m == TM_METRIC_EUCLIDEAN) {
                ck_assert_int_eq(st.neg[0].idx, 3);
                ck_assert_int_eq(st.pos[0].idx, 30);
                ck_assert(st.neg[0].val == 1.0 && st.pos[0].val == 1.0);
            } else {
                ck_assert_int_eq(st.neg[0].idx, 7);
                ck_assert_int_eq(st.pos[0].idx, 70);
            }
            tm_hard_free(&st);
        }
    }
    dset_free(&s);
}
END_TEST

/*
 * Inputs may be any finite float32 values. Tiny rows (products underflow
 * in float32) and huge rows (dot products overflow float32) must still
 * give the exact choice.
 */
START_TEST(test_update_tiny_magnitudes)
{
    const tm_metric_t m = metrics[_i];
    tm_rng_t r = tm_rng_make(7000 + (uint64_t)_i);
    dset_t s;
    make_data(&s, DATA_DUPLICATES, 30, 3, 3, &r);
    for (int64_t k = 0; k < s.n * s.dim; k++)
        s.emb[k] *= 1e-23f;
    dset_norms(&s);
    check_all_feeds("components near 1e-23", m, &s, 7100 + (uint64_t)_i);
    dset_free(&s);
}
END_TEST

START_TEST(test_update_huge_magnitudes)
{
    const tm_metric_t m = metrics[_i];
    tm_rng_t r = tm_rng_make(8000 + (uint64_t)_i);
    dset_t s;
    make_data(&s, DATA_PLAIN, 30, 4, 3, &r);
    for (int64_t k = 0; k < s.n * s.dim; k++)
        s.emb[k] = 1e19f * (1.5f + 0.5f * s.emb[k]);
    dset_norms(&s);
    check_all_feeds("components near 1e19", m, &s, 8100 + (uint64_t)_i);
    dset_free(&s);
}
END_TEST

static Suite *select_suite(void)
{
    Suite *s = suite_create("select");
    TCase *tc = tcase_create("offer");
    tcase_add_test(tc, test_init_empty);
    tcase_add_test(tc, test_offer_positive_rule);
    tcase_add_test(tc, test_offer_negative_rule);
    tcase_add_test(tc, test_offer_decides_on_val);
    suite_add_tcase(s, tc);

    tc = tcase_create("update");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_update_hand);
    tcase_add_loop_test(tc, test_update_random, 0, 3 * DATA_COUNT * 3);
    tcase_add_loop_test(tc, test_update_duplicate_ties, 0, 3);
    tcase_add_loop_test(tc, test_update_self_never_positive, 0, 3);
    tcase_add_loop_test(tc, test_update_no_negatives, 0, 3);
    tcase_add_test(tc, test_update_euclidean_sqrt_tie);
    suite_add_tcase(s, tc);

    tc = tcase_create("update_range");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_update_tiny_magnitudes, 0, 3);
    tcase_add_loop_test(tc, test_update_huge_magnitudes, 0, 3);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    openblas_set_num_threads(1);
    return tm_unit_run(select_suite(), "unit_select", argv[0], 0);
}
