/*
 * test_rules.c - the selection rules beyond plain batch-hard: top-k,
 * the negative filters (--neg-min-dist, --neg-skip) and semi-hard, first
 * on hand-worked cases through the exact "offer" entry points, then on
 * random data through the float32 tiles, against a brute force written
 * here, with candidates split into blocks of random sizes in random order;
 * then every registered rule through its plan and its engine's hooks, and
 * the plans themselves.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tm_unit.h"
#include "core/exact.h"
#include "core/kern.h"
#include "engines/draw.h"
#include "engines/select.h"
#include "rules/rule.h"

/* ---- hand-worked cases ---------------------------------------------- */

static void check_triplet(const tm_triplets_t *t, int64_t k, int64_t a, int64_t p, int64_t n)
{
    ck_assert_int_gt(t->m, k);
    ck_assert_msg(t->idx[3 * k] == a && t->idx[3 * k + 1] == p && t->idx[3 * k + 2] == n,
                  "triplet %lld is (%lld, %lld, %lld), expected (%lld, %lld, %lld)", (long long)k,
                  (long long)t->idx[3 * k], (long long)t->idx[3 * k + 1],
                  (long long)t->idx[3 * k + 2], (long long)a, (long long)p, (long long)n);
}

START_TEST(topk_order_and_ties)
{
    tm_nearest_t st;
    tm_negfilter_t f = {0, 0.0, 0};
    ck_assert_int_eq(tm_nearest_init(&st, 1, 2, f), 0);
    tm_nearest_offer_neg(&st, 0, 3.0, 10);
    tm_nearest_offer_neg(&st, 0, 1.0, 11);
    tm_nearest_offer_neg(&st, 0, 2.0, 12);
    tm_nearest_offer_neg(&st, 0, 1.0, 5); /* ties 11: the smaller index first */
    tm_nearest_offer_pos(&st, 0, 4.0, 20);
    tm_nearest_offer_pos(&st, 0, 4.0, 3); /* ties 20: the smaller index wins */
    tm_nearest_offer_pos(&st, 0, 1.0, 1);
    int64_t gid = 100;
    tm_triplets_t t = {0};
    ck_assert_int_eq(tm_nearest_finish(&st, &gid, &t), 0);
    ck_assert_int_eq(t.m, 2);
    check_triplet(&t, 0, 100, 3, 5);
    check_triplet(&t, 1, 100, 3, 11);
    ck_assert(t.dap[0] == 4.0 && t.dan[0] == 1.0 && t.dan[1] == 1.0);
    ck_assert_int_eq(t.skipped, 0);
    tm_triplets_free(&t);
    tm_nearest_free(&st);
}
END_TEST

START_TEST(topk_k_larger_than_negatives)
{
    tm_nearest_t st;
    tm_negfilter_t f = {0, 0.0, 0};
    ck_assert_int_eq(tm_nearest_init(&st, 1, 5, f), 0);
    tm_nearest_offer_neg(&st, 0, 2.0, 7);
    tm_nearest_offer_neg(&st, 0, 1.0, 8);
    tm_nearest_offer_pos(&st, 0, 0.5, 9);
    int64_t gid = 0;
    tm_triplets_t t = {0};
    ck_assert_int_eq(tm_nearest_finish(&st, &gid, &t), 0);
    ck_assert_int_eq(t.m, 2);
    check_triplet(&t, 0, 0, 9, 8);
    check_triplet(&t, 1, 0, 9, 7);
    tm_triplets_free(&t);
    tm_nearest_free(&st);
}
END_TEST

START_TEST(skip_more_than_negatives)
{
    tm_nearest_t st;
    tm_negfilter_t f = {0, 0.0, 3};
    ck_assert_int_eq(tm_nearest_init(&st, 1, 1, f), 0);
    tm_nearest_offer_neg(&st, 0, 2.0, 7);
    tm_nearest_offer_neg(&st, 0, 1.0, 8);
    tm_nearest_offer_neg(&st, 0, 3.0, 6);
    tm_nearest_offer_pos(&st, 0, 0.5, 9);
    int64_t gid = 0;
    tm_triplets_t t = {0};
    ck_assert_int_eq(tm_nearest_finish(&st, &gid, &t), 0);
    ck_assert_int_eq(t.m, 0);
    ck_assert_int_eq(t.skipped, 1);
    tm_triplets_free(&t);
    tm_nearest_free(&st);
}
END_TEST

START_TEST(min_dist_removes_every_negative)
{
    tm_nearest_t st;
    tm_negfilter_t f = {1, 10.0, 0};
    ck_assert_int_eq(tm_nearest_init(&st, 1, 1, f), 0);
    tm_nearest_offer_neg(&st, 0, 9.999, 7);
    tm_nearest_offer_neg(&st, 0, 1.0, 8);
    tm_nearest_offer_pos(&st, 0, 0.5, 9);
    int64_t gid = 0;
    tm_triplets_t t = {0};
    ck_assert_int_eq(tm_nearest_finish(&st, &gid, &t), 0);
    ck_assert_int_eq(t.m, 0);
    ck_assert_int_eq(t.skipped, 1);
    tm_triplets_free(&t);
    tm_nearest_free(&st);
}
END_TEST

START_TEST(min_dist_then_skip)
{
    /* X = 1 keeps d >= 1 (1 itself included), then the nearest is skipped. */
    tm_nearest_t st;
    tm_negfilter_t f = {1, 1.0, 1};
    ck_assert_int_eq(tm_nearest_init(&st, 1, 1, f), 0);
    tm_nearest_offer_neg(&st, 0, 0.5, 1);
    tm_nearest_offer_neg(&st, 0, 3.0, 4);
    tm_nearest_offer_neg(&st, 0, 1.0, 2);
    tm_nearest_offer_neg(&st, 0, 2.0, 3);
    tm_nearest_offer_pos(&st, 0, 0.5, 9);
    int64_t gid = 0;
    tm_triplets_t t = {0};
    ck_assert_int_eq(tm_nearest_finish(&st, &gid, &t), 0);
    ck_assert_int_eq(t.m, 1);
    check_triplet(&t, 0, 0, 9, 3);
    tm_triplets_free(&t);
    tm_nearest_free(&st);
}
END_TEST

/* Semi-hard by hand: offer pass 1 (positives, negatives), then pass 2. */
typedef struct semi_case {
    int64_t kpos;
    tm_negfilter_t f;
    int npos, nneg;
    double pd[4];
    int64_t pi[4];
    double nd[5];
    int64_t ni[5];
} semi_case_t;

static void run_semi(const semi_case_t *c, tm_triplets_t *t)
{
    tm_semi_t st;
    ck_assert_int_eq(tm_semi_init(&st, 1, c->kpos, c->f, 0), 0);
    for (int i = 0; i < c->npos; i++)
        tm_semi_offer1(&st, 0, 1, c->pd[i], c->pi[i]);
    for (int i = 0; i < c->nneg; i++)
        tm_semi_offer1(&st, 0, 0, c->nd[i], c->ni[i]);
    ck_assert_int_eq(tm_semi_begin2(&st), 0);
    for (int i = c->nneg - 1; i >= 0; i--) /* another order than pass 1 */
        tm_semi_offer2(&st, 0, c->nd[i], c->ni[i]);
    int64_t gid = 50;
    ck_assert_int_eq(tm_semi_finish(&st, &gid, t), 0);
    tm_semi_free(&st);
}

START_TEST(semihard_basic_order)
{
    semi_case_t c = {0, {0, 0.0, 0}, 2, 3, {1.0, 2.0}, {1, 2}, {0.5, 1.5, 2.5}, {10, 11, 12}};
    tm_triplets_t t = {0};
    run_semi(&c, &t);
    ck_assert_int_eq(t.m, 2);
    check_triplet(&t, 0, 50, 2, 12); /* hardest positive first */
    check_triplet(&t, 1, 50, 1, 11);
    tm_triplets_free(&t);
}
END_TEST

START_TEST(semihard_fallback_farthest)
{
    semi_case_t c = {0, {0, 0.0, 0}, 1, 3, {5.0}, {1}, {1.0, 2.0, 2.0}, {10, 12, 11}};
    tm_triplets_t t = {0};
    run_semi(&c, &t);
    ck_assert_int_eq(t.m, 1);
    check_triplet(&t, 0, 50, 1, 11); /* farthest, ties by the smaller index */
    tm_triplets_free(&t);
}
END_TEST

START_TEST(semihard_strictly_above_and_ties)
{
    /* d == d_ap is not above it; equal distances above: the smaller index. */
    semi_case_t c = {0, {0, 0.0, 0}, 2, 3, {2.0, 2.0}, {4, 3}, {2.0, 3.0, 3.0}, {7, 9, 8}};
    tm_triplets_t t = {0};
    run_semi(&c, &t);
    ck_assert_int_eq(t.m, 2);
    check_triplet(&t, 0, 50, 3, 8); /* equal positives: the smaller index first */
    check_triplet(&t, 1, 50, 4, 8);
    tm_triplets_free(&t);
}
END_TEST

START_TEST(semihard_positive_cap)
{
    semi_case_t c = {2, {0, 0.0, 0}, 3, 2, {1.0, 3.0, 2.0}, {1, 3, 2}, {1.5, 2.5}, {10, 11}};
    tm_triplets_t t = {0};
    run_semi(&c, &t);
    ck_assert_int_eq(t.m, 2);
    check_triplet(&t, 0, 50, 3, 11); /* 3.0: none above, the farthest */
    check_triplet(&t, 1, 50, 2, 11);
    tm_triplets_free(&t);
}
END_TEST

START_TEST(semihard_skip_and_min_dist)
{
    /* X = 0.4 removes 0.3; skip 1 removes 0.5; for t = 0.2 the answer is 1.5. */
    semi_case_t c = {0, {1, 0.4, 1}, 1, 4, {0.2}, {1}, {0.3, 0.5, 1.5, 2.5}, {9, 10, 11, 12}};
    tm_triplets_t t = {0};
    run_semi(&c, &t);
    ck_assert_int_eq(t.m, 1);
    check_triplet(&t, 0, 50, 1, 11);
    tm_triplets_free(&t);
}
END_TEST

START_TEST(semihard_skipped_anchors)
{
    tm_triplets_t t = {0};
    semi_case_t nopos = {0, {0, 0.0, 0}, 0, 1, {0}, {0}, {1.0}, {10}};
    run_semi(&nopos, &t);
    semi_case_t noneg = {0, {0, 0.0, 0}, 1, 0, {1.0}, {1}, {0}, {0}};
    run_semi(&noneg, &t);
    semi_case_t allskipped = {0, {0, 0.0, 2}, 1, 2, {1.0}, {1}, {1.0, 2.0}, {10, 11}};
    run_semi(&allskipped, &t);
    ck_assert_int_eq(t.m, 0);
    ck_assert_int_eq(t.skipped, 3);
    tm_triplets_free(&t);
}
END_TEST

/* ---- random data through the tiles, against a brute force ----------- */

enum { RN = 90, RD = 7 };

typedef struct dataset {
    float emb[RN * RD];
    int64_t lab[RN];
    int64_t gid[RN];
    double sq[RN], nrm[RN];
} dataset_t;

/* Rows from a small pool (exact ties) with few labels. */
static void make_data(dataset_t *d, uint64_t seed)
{
    tm_rng_t r = tm_rng_make(seed);
    float pool[20 * RD];
    for (int i = 0; i < 20 * RD; i++)
        pool[i] = (float)(tm_rng_below(&r, 7) - 3) * 0.25f;
    for (int i = 0; i < RN; i++) {
        memcpy(d->emb + i * RD, pool + tm_rng_below(&r, 20) * RD, sizeof(float) * RD);
        d->lab[i] = tm_rng_below(&r, 4);
        d->gid[i] = i;
    }
    for (int i = 0; i < RN; i++) {
        double s = 0.0;
        for (int k = 0; k < RD; k++)
            s += (double)d->emb[i * RD + k] * (double)d->emb[i * RD + k];
        d->sq[i] = s;
        d->nrm[i] = sqrt(s);
    }
}

/* The test's own distance, written out again (the same formula). */
static double dist(tm_metric_t m, const float *a, const float *b)
{
    if (m == TM_METRIC_COSINE) {
        double dot = 0.0, na = 0.0, nb = 0.0;
        for (int k = 0; k < RD; k++) {
            dot += (double)a[k] * (double)b[k];
            na += (double)a[k] * (double)a[k];
            nb += (double)b[k] * (double)b[k];
        }
        return na == 0.0 || nb == 0.0 ? 1.0 : 1.0 - dot / (sqrt(na) * sqrt(nb));
    }
    double s = 0.0;
    for (int k = 0; k < RD; k++) {
        double t = (double)a[k] - (double)b[k];
        s += t * t;
    }
    return m == TM_METRIC_EUCLIDEAN ? sqrt(s) : s;
}

static int nearer(const tm_entry_t *x, const tm_entry_t *y)
{
    return x->val < y->val || (x->val == y->val && x->idx < y->idx);
}

static int cmp_near(const void *x, const void *y)
{
    return nearer(x, y) ? -1 : nearer(y, x) ? 1 : 0;
}

static int cmp_far(const void *x, const void *y)
{
    const tm_entry_t *a = x, *b = y;
    if (a->val != b->val)
        return a->val > b->val ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The rules the brute force knows. */
typedef enum { BRUTE_HARD, BRUTE_SEMIHARD, BRUTE_TOPK, BRUTE_SAMPLE } brute_rule_t;

/* The positive --pos chooses among P (np > 0), as the contract says. */
static tm_entry_t brute_positive(const tm_entry_t *P, int np, const tm_mine_params_t *p,
                                 int64_t key)
{
    tm_entry_t best = P[0];
    const uint64_t dk = tm_draw_key(p->seed, TM_DRAW_POSITIVE, key);
    for (int i = 1; i < np; i++) {
        int better;
        if (p->pos == TM_POS_HARDEST)
            better = cmp_far(&P[i], &best) < 0;
        else if (p->pos == TM_POS_EASIEST)
            better = nearer(&P[i], &best);
        else
            better = tm_draw(dk, P[i].idx) < tm_draw(dk, best.idx) ||
                     (tm_draw(dk, P[i].idx) == tm_draw(dk, best.idx) && P[i].idx < best.idx);
        if (better)
            best = P[i];
    }
    return best;
}

/*
 * The rule's choice for one anchor (output index a, draws keyed by key)
 * from its positives P and every negative N (unsorted; sorted here),
 * straight from the steps of docs/contract.md.
 */
static void brute_one(int64_t a, int64_t key, tm_entry_t *P, int np, tm_entry_t *N, int nn,
                      brute_rule_t s, const tm_mine_params_t *p, tm_triplets_t *out)
{
    const int choose = tm_rule_choosing(tm_rule_find(p->strategy), p);
    if (np == 0) {
        out->skipped++;
        return;
    }
    qsort(P, (size_t)np, sizeof *P, cmp_far);
    const tm_entry_t pos = choose && s != BRUTE_SEMIHARD ? brute_positive(P, np, p, key) : P[0];
    const double fl1 = p->has_neg_min_dist ? p->neg_min_dist : -INFINITY;
    double fl2 = fl1;
    if (p->has_neg_margin && s != BRUTE_SEMIHARD && pos.val + p->neg_margin > fl2)
        fl2 = pos.val + p->neg_margin;
    int b1 = 0, b2 = 0, m = 0;
    for (int j = 0; j < nn; j++) {
        if (N[j].val < fl1)
            b1++;
        if (N[j].val < fl2)
            b2++;
        else
            N[m++] = N[j];
    }
    qsort(N, (size_t)m, sizeof *N, cmp_near);
    const int skip = (int)(p->neg_skip < m ? p->neg_skip : m);
    const int after = m - skip;
    const int ne = p->neg_pool >= 0 && p->neg_pool < after ? (int)p->neg_pool : after;
    if (choose) {
        out->filtered.min_dist += b1;
        out->filtered.margin += b2 - b1;
        out->filtered.skip += skip;
        out->filtered.pool += after - ne;
    }
    const tm_entry_t *neg = N + skip;
    if (ne == 0) {
        out->skipped++;
        return;
    }
    const int64_t k = p->negatives;
    if (s == BRUTE_HARD) {
        tm_triplets_push(out, a, pos.idx, neg[0].idx, pos.val, neg[0].val);
    } else if (s == BRUTE_TOPK || s == BRUTE_SAMPLE) {
        const int take = k < ne ? (int)k : ne;
        if (choose && take < k)
            out->filtered.short_anchors++;
        const uint64_t dk = tm_draw_key(p->seed, TM_DRAW_NEGATIVE, key);
        for (int i = 0; i < ne; i++) {
            /* sample: the take of smallest (draw, index), here by counting. */
            int before = 0;
            for (int j = 0; s == BRUTE_SAMPLE && j < ne; j++) {
                const uint64_t hj = tm_draw(dk, neg[j].idx), hi = tm_draw(dk, neg[i].idx);
                before += hj < hi || (hj == hi && neg[j].idx < neg[i].idx);
            }
            if (s == BRUTE_SAMPLE ? before < take : i < take)
                tm_triplets_push(out, a, pos.idx, neg[i].idx, pos.val, neg[i].val);
        }
    } else {
        const int use = p->positives > 0 && p->positives < np ? (int)p->positives : np;
        for (int i = 0; i < use; i++) {
            const tm_entry_t *best = NULL;
            for (int j = 0; j < ne; j++)
                if (neg[j].val > P[i].val && (best == NULL || nearer(&neg[j], best)))
                    best = &neg[j];
            if (best == NULL) {
                best = &neg[0];
                for (int j = 1; j < ne; j++)
                    if (cmp_far(&neg[j], best) < 0)
                        best = &neg[j];
            }
            tm_triplets_push(out, a, P[i].idx, best->idx, P[i].val, best->val);
        }
    }
}

/* Brute force of every rule, straight from docs/contract.md. */
static void brute(const dataset_t *d, brute_rule_t s, const tm_mine_params_t *p,
                  tm_triplets_t *out)
{
    for (int a = 0; a < RN; a++) {
        tm_entry_t P[RN], N[RN];
        int np = 0, nn = 0;
        for (int c = 0; c < RN; c++) {
            double v = dist(p->metric, d->emb + a * RD, d->emb + c * RD);
            if (d->lab[c] == d->lab[a]) {
                if (c != a)
                    P[np++] = (tm_entry_t){v, c};
            } else {
                N[nn++] = (tm_entry_t){v, c};
            }
        }
        brute_one(a, a, P, np, N, nn, s, p, out);
    }
}

/* Given pairs (--pairs): anchor pair j is (pq[j], pp[j]) over the rows of d. */
enum { NPAIRS = 70 };

static int paired(const int64_t *pq, const int64_t *pp, int64_t q, int64_t c)
{
    for (int j = 0; j < NPAIRS; j++)
        if (pq[j] == q && pp[j] == c)
            return 1;
    return 0;
}

/* The brute force of pairs: P = {p}; N = rows no pair gives q, nor q itself. */
static void brute_pairs(const dataset_t *d, const int64_t *pq, const int64_t *pp, brute_rule_t s,
                        const tm_mine_params_t *p, tm_triplets_t *out)
{
    for (int j = 0; j < NPAIRS; j++) {
        tm_entry_t P[1], N[RN];
        const float *q = d->emb + pq[j] * RD;
        P[0] = (tm_entry_t){dist(p->metric, q, d->emb + pp[j] * RD), pp[j]};
        int nn = 0;
        for (int c = 0; c < RN; c++)
            if (c != pq[j] && !paired(pq, pp, pq[j], c))
                N[nn++] = (tm_entry_t){dist(p->metric, q, d->emb + c * RD), c};
        brute_one(pq[j], j, P, 1, N, nn, s, p, out);
    }
}

/* Candidates in a permuted order, offered in blocks of random sizes. */
typedef void (*update_fn)(void *st, int pass, tm_metric_t m, tm_kern_bound_t b,
                          const tm_rows_t *anch, int64_t a0, int64_t a1, const tm_rows_t *cand,
                          int64_t c0, int64_t c1, const float *G);

/* Order positions by (label, global index) of the data set being streamed. */
static const dataset_t *sort_src;
static int cmp_label_gid(const void *x, const void *y)
{
    const int64_t i = *(const int64_t *)x, j = *(const int64_t *)y;
    const int64_t li = sort_src->lab[i], lj = sort_src->lab[j];
    if (li != lj)
        return li < lj ? -1 : 1;
    return (sort_src->gid[i] > sort_src->gid[j]) - (sort_src->gid[i] < sort_src->gid[j]);
}

/* Anchors other than the rows themselves (--pairs), or NULL. */
static const tm_rows_t *stream_anch;

/*
 * keyed: the candidates ordered by (label, index) with float32 keys, as the
 * exchange delivers a round (then blocks split label ranges at random);
 * else in a random order without keys.
 */
static void stream(const dataset_t *d, tm_metric_t m, tm_rng_t *r, void *st, int pass,
                   update_fn fn, int keyed)
{
    static dataset_t perm;
    static float kadd[RN], kmul[RN];
    int64_t order[RN];
    for (int i = 0; i < RN; i++)
        order[i] = i;
    tm_rng_shuffle(r, order, RN);
    if (keyed) {
        sort_src = d;
        qsort(order, RN, sizeof *order, cmp_label_gid);
    }
    for (int i = 0; i < RN; i++) {
        memcpy(perm.emb + i * RD, d->emb + order[i] * RD, sizeof(float) * RD);
        perm.lab[i] = d->lab[order[i]];
        perm.gid[i] = order[i];
        perm.sq[i] = d->sq[order[i]];
        perm.nrm[i] = d->nrm[order[i]];
    }
    tm_rows_t anch = {RN, RD, d->emb, d->lab, d->gid, d->sq, d->nrm, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    if (stream_anch != NULL)
        anch = *stream_anch;
    tm_rows_t cand = {RN, RD, perm.emb, perm.lab, perm.gid, perm.sq, perm.nrm, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    if (keyed) {
        tm_rows_keys(m, &cand, kadd, kmul);
        cand.kadd = kadd;
        cand.kmul = kmul;
    }
    tm_kern_bound_t b = tm_kern_bound(RD);
    _Static_assert((int)NPAIRS <= (int)RN, "G holds RN anchors");
    static float G[RN * RN];
    /* As the sweep goes: an anchor block meets every tile, first to last. */
    for (int64_t a0 = 0; a0 < anch.n;) {
        int64_t a1 = a0 + 1 + tm_rng_below(r, 40);
        if (a1 > anch.n)
            a1 = anch.n;
        for (int64_t c0 = 0; c0 < RN;) {
            int64_t c1 = c0 + 1 + tm_rng_below(r, 30);
            if (c1 > RN)
                c1 = RN;
            tm_kern_gram(anch.emb + a0 * RD, a1 - a0, cand.emb + c0 * RD, c1 - c0, RD, G);
            fn(st, pass, m, b, &anch, a0, a1, &cand, c0, c1, G);
            c0 = c1;
        }
        a0 = a1;
    }
}

/* The block scratch of the sweeping thread (the engine's block_bytes), or NULL. */
static void *test_block(size_t bytes)
{
    static _Alignas(64) unsigned char block[4 << 20];
    ck_assert_uint_le(bytes, sizeof block);
    return bytes > 0 ? block : NULL;
}

static void upd_nearest(void *st, int pass, tm_metric_t m, tm_kern_bound_t b,
                        const tm_rows_t *anch, int64_t a0, int64_t a1, const tm_rows_t *cand,
                        int64_t c0, int64_t c1, const float *G)
{
    (void)pass;
    static double scratch[3 * RN];
    const tm_tile_t t = {.metric = m, .bound = b, .anch = anch, .a0 = a0, .a1 = a1, .cand = cand,
                         .c0 = c0, .c1 = c1, .G = G, .scratch = scratch,
                         .block = test_block(tm_nearest_block_bytes(st)), .b0 = a0, .b1 = a1,
                         .begins = c0 == 0, .ends = c1 == cand->n};
    tm_nearest_update(st, &t);
}

static void upd_semi(void *st, int pass, tm_metric_t m, tm_kern_bound_t b, const tm_rows_t *anch,
                     int64_t a0, int64_t a1, const tm_rows_t *cand, int64_t c0, int64_t c1,
                     const float *G)
{
    static double scratch[3 * RN];
    const tm_tile_t t = {.metric = m, .bound = b, .anch = anch, .a0 = a0, .a1 = a1, .cand = cand,
                         .c0 = c0, .c1 = c1,
                         .G = pass == 2 || tm_semi_pass1_needs_tiles(st) ? G : NULL,
                         .scratch = scratch, .b0 = a0, .b1 = a1};
    if (pass == 1)
        tm_semi_update1(st, &t);
    else
        tm_semi_update2(st, &t);
}

static void compare(const tm_triplets_t *want, const tm_triplets_t *got, const char *what)
{
    ck_assert_msg(want->m == got->m, "%s: %lld triplets, expected %lld", what, (long long)got->m,
                  (long long)want->m);
    ck_assert_int_eq(want->skipped, got->skipped);
    ck_assert_msg(memcmp(&want->filtered, &got->filtered, sizeof want->filtered) == 0,
                  "%s: filtered short %lld min %lld margin %lld skip %lld pool %lld, expected "
                  "%lld %lld %lld %lld %lld", what, (long long)got->filtered.short_anchors,
                  (long long)got->filtered.min_dist, (long long)got->filtered.margin,
                  (long long)got->filtered.skip, (long long)got->filtered.pool,
                  (long long)want->filtered.short_anchors, (long long)want->filtered.min_dist,
                  (long long)want->filtered.margin, (long long)want->filtered.skip,
                  (long long)want->filtered.pool);
    for (int64_t i = 0; i < want->m; i++) {
        ck_assert_msg(memcmp(want->idx + 3 * i, got->idx + 3 * i, 3 * sizeof(int64_t)) == 0,
                      "%s: triplet %lld is (%lld, %lld, %lld), expected (%lld, %lld, %lld)", what,
                      (long long)i, (long long)got->idx[3 * i], (long long)got->idx[3 * i + 1],
                      (long long)got->idx[3 * i + 2], (long long)want->idx[3 * i],
                      (long long)want->idx[3 * i + 1], (long long)want->idx[3 * i + 2]);
        ck_assert(want->dap[i] == got->dap[i] && want->dan[i] == got->dan[i]);
    }
}

static const tm_metric_t metrics[3] = {TM_METRIC_SQEUCLIDEAN, TM_METRIC_EUCLIDEAN,
                                       TM_METRIC_COSINE};

/* The parameters of a plain run (no option of the choice). */
static tm_mine_params_t plain_params(tm_metric_t m, int64_t k, int64_t kpos, tm_negfilter_t f)
{
    tm_mine_params_t p;
    tm_mine_params_default(&p);
    p.metric = m;
    p.negatives = k;
    p.positives = kpos;
    p.has_neg_min_dist = f.has_min_dist;
    p.neg_min_dist = f.min_dist;
    p.neg_skip = f.skip;
    return p;
}

START_TEST(random_topk_and_filtered_hard)
{
    static dataset_t d;
    make_data(&d, 100 + (uint64_t)_i);
    tm_rng_t r = tm_rng_make(7 + (uint64_t)_i);
    tm_metric_t m = metrics[_i % 3];
    const tm_negfilter_t filters[4] = {{0, 0.0, 0}, {0, 0.0, 2}, {1, 0.6, 0}, {1, 0.3, 3}};
    for (int fi = 0; fi < 8; fi++) {
        const int keyed = fi >= 4;
        /* 12: a list long enough to defer its exact scores (nearest.c). */
        static const int ks[] = {1, 4, 12};
        for (int ki = 0; ki < 3; ki++) {
            const int k = ks[ki];
            tm_triplets_t want = {0}, got = {0};
            brute_rule_t s = k == 1 ? BRUTE_HARD : BRUTE_TOPK;
            const tm_mine_params_t pp = plain_params(m, k, 0, filters[fi % 4]);
            brute(&d, s, &pp, &want);
            tm_nearest_t st;
            ck_assert_int_eq(tm_nearest_init(&st, RN, k, filters[fi % 4]), 0);
            stream(&d, m, &r, &st, 1, upd_nearest, keyed);
            ck_assert_int_eq(tm_nearest_finish(&st, d.gid, &got), 0);
            compare(&want, &got, k == 1 ? (keyed ? "filtered hard, keyed" : "filtered hard")
                                        : (keyed ? "topk, keyed" : "topk"));
            tm_nearest_free(&st);
            tm_triplets_free(&want);
            tm_triplets_free(&got);
        }
    }
}
END_TEST

/*
 * Deferred exact scores (nearest.c) with more negatives inside the gate
 * than the scratch holds: rows from two points only, so every negative of
 * an anchor ties with all the others, and a list long enough to defer.
 */
START_TEST(deferred_band_of_ties)
{
    static dataset_t d;
    make_data(&d, 300 + (uint64_t)_i);
    for (int i = 0; i < RN; i++) {
        for (int k = 0; k < RD; k++)
            d.emb[i * RD + k] = i % 9 == 0 ? 0.5f * (float)(k + 1) : 0.25f;
        d.lab[i] = i < 3 ? 0 : 1 + i % 2;
        double sq = 0.0;
        for (int k = 0; k < RD; k++)
            sq += (double)d.emb[i * RD + k] * (double)d.emb[i * RD + k];
        d.sq[i] = sq;
        d.nrm[i] = sqrt(sq);
    }
    tm_rng_t r = tm_rng_make(11 + (uint64_t)_i);
    const tm_metric_t m = metrics[_i % 3];
    const tm_negfilter_t f = {_i >= 3, 0.01, _i % 2};
    for (int k = 8; k <= 20; k += 12) {
        tm_triplets_t want = {0}, got = {0};
        const tm_mine_params_t pp = plain_params(m, k, 0, f);
        brute(&d, BRUTE_TOPK, &pp, &want);
        tm_nearest_t st;
        ck_assert_int_eq(tm_nearest_init(&st, RN, k, f), 0);
        ck_assert_uint_gt(tm_nearest_block_bytes(&st), 0);
        stream(&d, m, &r, &st, 1, upd_nearest, 1);
        ck_assert_int_eq(tm_nearest_finish(&st, d.gid, &got), 0);
        compare(&want, &got, "topk over a band of ties");
        tm_nearest_free(&st);
        tm_triplets_free(&want);
        tm_triplets_free(&got);
    }
}
END_TEST

START_TEST(random_semihard)
{
    static dataset_t d;
    make_data(&d, 200 + (uint64_t)_i);
    tm_rng_t r = tm_rng_make(9 + (uint64_t)_i);
    tm_metric_t m = metrics[_i % 3];
    const tm_negfilter_t filters[3] = {{0, 0.0, 0}, {0, 0.0, 2}, {1, 0.5, 1}};
    for (int fi = 0; fi < 6; fi++) {
        const int keyed = fi >= 3;
        for (int64_t kpos = 0; kpos <= 3; kpos += 3) {
            tm_triplets_t want = {0}, got = {0};
            const tm_mine_params_t pp = plain_params(m, 1, kpos, filters[fi % 3]);
            brute(&d, BRUTE_SEMIHARD, &pp, &want);
            tm_semi_t st;
            ck_assert_int_eq(tm_semi_init(&st, RN, kpos, filters[fi % 3], 0), 0);
            stream(&d, m, &r, &st, 1, upd_semi, keyed);
            ck_assert_int_eq(tm_semi_begin2(&st), 0);
            stream(&d, m, &r, &st, 2, upd_semi, keyed);
            ck_assert_int_eq(tm_semi_finish(&st, d.gid, &got), 0);
            compare(&want, &got, keyed ? "semihard, keyed" : "semihard");
            tm_semi_free(&st);
            tm_triplets_free(&want);
            tm_triplets_free(&got);
        }
    }
}
END_TEST

START_TEST(semihard_budget_overflow)
{
    tm_semi_t st;
    tm_negfilter_t f = {0, 0.0, 0};
    ck_assert_int_eq(tm_semi_init(&st, 1, 0, f, 64), 0);
    for (int i = 0; i < 1000 && !st.overflow; i++)
        tm_semi_offer1(&st, 0, 1, (double)i, i);
    ck_assert_msg(st.overflow, "a 64-byte budget must overflow");
    tm_semi_free(&st);
}
END_TEST

/* ---- every registered rule through its plan and its engine --------------- */

/*
 * One row per registered rule: the brute force that defines it. A rule
 * added to the registry without a row here fails registry_has_rows.
 */
static const struct {
    const char *name;
    brute_rule_t brute;
} rule_rows[] = {
    {"hard", BRUTE_HARD},
    {"semihard", BRUTE_SEMIHARD},
    {"topk", BRUTE_TOPK},
    {"sample", BRUTE_SAMPLE},
};
#define NRULE_ROWS (sizeof rule_rows / sizeof rule_rows[0])

/* Every hook the driver calls is there (begin_pass where there is a pass 2). */
static void check_engine(const tm_engine_t *e, const char *rule)
{
    ck_assert_msg(e != NULL, "rule '%s' plans no engine", rule);
    ck_assert_msg(e->passes == 1 || e->passes == 2, "engine '%s': %d passes", e->name,
                  e->passes);
    ck_assert_msg(e->state_bytes && e->create && e->destroy && e->needs_tiles && e->update &&
                      e->finish && e->save && e->load && (e->passes == 1 || e->begin_pass),
                  "engine '%s' lacks a hook", e->name);
}

START_TEST(registry_has_rows)
{
    ck_assert_uint_eq(tm_rule_count(), NRULE_ROWS);
    for (size_t k = 0; k < NRULE_ROWS; k++) {
        const tm_rule_t *rule = tm_rule_find(rule_rows[k].name);
        ck_assert_msg(rule != NULL, "no rule '%s' in the registry", rule_rows[k].name);
        ck_assert_ptr_eq(tm_rule_at(k), rule);
        ck_assert_ptr_eq(tm_rule_lookup(rule->name), rule);
        ck_assert_msg(rule->plan != NULL, "rule '%s' has no plan", rule->name);
        ck_assert_int_eq(rule->output, TM_OUTPUT_TRIPLETS);
        tm_mine_params_t p;
        tm_mine_params_default(&p);
        p.strategy = rule->name;
        check_engine(rule->plan(&p).engine, rule->name);
    }
}
END_TEST

/*
 * eval's rule is registered but is no mining strategy: --strategy and its
 * messages do not know it, tripminer eval finds it by name.
 */
START_TEST(eval_is_no_strategy)
{
    ck_assert_ptr_null(tm_rule_find("eval"));
    const tm_rule_t *eval = tm_rule_lookup("eval");
    ck_assert_ptr_nonnull(eval);
    ck_assert_str_eq(eval->name, "eval");
    ck_assert_int_eq(eval->output, TM_OUTPUT_RECORDS);
    tm_mine_params_t p;
    tm_mine_params_default(&p);
    const tm_plan_t plan = eval->plan(&p);
    ck_assert_ptr_eq(plan.engine, &tm_engine_retrieval);
    check_engine(plan.engine, "eval");
    for (size_t k = 0; k < tm_rule_count(); k++)
        ck_assert_ptr_ne(tm_rule_at(k), eval);
    char names[128];
    tm_rule_names(names, sizeof names);
    ck_assert_str_eq(names, "hard, semihard, topk or sample");
    ck_assert_ptr_null(tm_rule_lookup("hardest"));
}
END_TEST

/*
 * The plans, one row per case: the rule, a change to the default
 * parameters, and the engine with the arguments it must get.
 */
typedef enum { P_NONE, P_MIN_DIST, P_SKIP, P_PAIRS, P_POS, P_SEED, P_POOL, P_MARGIN } tweak_t;

static const struct {
    const char *rule;
    tweak_t tweak;
    const tm_engine_t *engine;
    int64_t k, positives;  /* -1: the parameter's own (--negatives, --positives) */
    int sample, choosing;
} plan_rows[] = {
    {"hard", P_NONE, &tm_engine_batchhard, 0, 0, 0, 0},
    {"hard", P_MIN_DIST, &tm_engine_nearest, 1, 0, 0, 0},
    {"hard", P_SKIP, &tm_engine_nearest, 1, 0, 0, 0},
    {"hard", P_PAIRS, &tm_engine_nearest, 1, 0, 0, 0},
    {"hard", P_POS, &tm_engine_pick, 1, 0, 0, 0},
    {"hard", P_MARGIN, &tm_engine_pick, 1, 0, 0, 0},
    {"topk", P_NONE, &tm_engine_nearest, -1, 0, 0, 0},
    {"topk", P_SKIP, &tm_engine_nearest, -1, 0, 0, 0},
    {"topk", P_SEED, &tm_engine_pick, -1, 0, 0, 0},
    {"topk", P_POOL, &tm_engine_pick, -1, 0, 0, 0},
    {"sample", P_NONE, &tm_engine_pick, -1, 0, 1, 0},
    {"semihard", P_NONE, &tm_engine_gaps, 0, -1, 0, 0},
    {"semihard", P_PAIRS, &tm_engine_gaps, 0, 1, 0, 0},
    {"semihard", P_POOL, &tm_engine_gaps, 0, -1, 0, 1},
    {"semihard", P_SEED, &tm_engine_gaps, 0, -1, 0, 1},
};

START_TEST(plans)
{
    for (size_t k = 0; k < sizeof plan_rows / sizeof plan_rows[0]; k++) {
        tm_mine_params_t p;
        tm_mine_params_default(&p);
        p.strategy = plan_rows[k].rule;
        p.negatives = 7;
        p.positives = 3;
        switch (plan_rows[k].tweak) {
        case P_NONE: break;
        case P_MIN_DIST: p.has_neg_min_dist = 1, p.neg_min_dist = 0.5; break;
        case P_SKIP: p.neg_skip = 2; break;
        case P_PAIRS: p.pairs = "pairs"; break;
        case P_POS: p.pos = TM_POS_EASIEST; break;
        case P_SEED: p.seed = 9; break;
        case P_POOL: p.neg_pool = 4; break;
        case P_MARGIN: p.has_neg_margin = 1, p.neg_margin = 0.1; break;
        }
        const tm_plan_t plan = tm_rule_find(p.strategy)->plan(&p);
        const int64_t k_want = plan_rows[k].k < 0 ? p.negatives : plan_rows[k].k;
        const int64_t pos_want = plan_rows[k].positives < 0 ? p.positives
                                                            : plan_rows[k].positives;
        ck_assert_msg(plan.engine == plan_rows[k].engine, "row %zu (%s): engine '%s'", k,
                      p.strategy, plan.engine->name);
        ck_assert_ptr_eq(plan.args.p, &p);
        ck_assert_msg(plan.args.k == k_want && plan.args.positives == pos_want &&
                          plan.args.sample == plan_rows[k].sample &&
                          plan.args.choosing == plan_rows[k].choosing,
                      "row %zu (%s): arguments k %lld, positives %lld, sample %d, choosing %d",
                      k, p.strategy, (long long)plan.args.k, (long long)plan.args.positives,
                      plan.args.sample, plan.args.choosing);
        ck_assert_int_eq(tm_rule_state_bytes(tm_rule_find(p.strategy), &p,
                                             &(tm_engine_size_t){10, 100, 1 << 20}),
                         plan.engine->state_bytes(&plan.args,
                                                  &(tm_engine_size_t){10, 100, 1 << 20}));
    }
}
END_TEST

static const tm_engine_t *cur_engine;

static void upd_engine(void *st, int pass, tm_metric_t m, tm_kern_bound_t b,
                       const tm_rows_t *anch, int64_t a0, int64_t a1, const tm_rows_t *cand,
                       int64_t c0, int64_t c1, const float *G)
{
    static double scratch[3 * RN];
    const size_t bytes = cur_engine->block_bytes != NULL ? cur_engine->block_bytes(st) : 0;
    const tm_tile_t t = {.metric = m, .bound = b, .anch = anch, .a0 = a0, .a1 = a1, .cand = cand,
                         .c0 = c0, .c1 = c1, .G = cur_engine->needs_tiles(st, pass) ? G : NULL,
                         .scratch = scratch, .block = test_block(bytes), .b0 = a0, .b1 = a1,
                         .begins = c0 == 0, .ends = c1 == cand->n};
    cur_engine->update(st, pass, &t);
}

/* Save the state and load it into a fresh one: what a resumed run does. */
static void *reload(const tm_plan_t *plan, void *st, int pass, const tm_engine_size_t *sz)
{
    const tm_engine_t *e = plan->engine;
    tm_buf_t b = {0};
    e->save(st, pass, &b);
    ck_assert_int_eq(b.bad, 0);
    e->destroy(st);
    void *fresh = NULL;
    ck_assert_int_eq(e->create(&fresh, &plan->args, sz), 0);
    ck_assert_int_eq(e->load(fresh, pass, &b), 0);
    ck_assert_uint_eq(tm_buf_left(&b), 0);
    tm_buf_free(&b);
    return fresh;
}

/*
 * Each rule of the registry, by its plan's engine's hooks alone, as the
 * driver runs it (with a save and load after every pass), against its
 * brute force.
 */
START_TEST(every_rule_through_its_hooks)
{
    static dataset_t d;
    make_data(&d, 300 + (uint64_t)_i);
    tm_rng_t r = tm_rng_make(11 + (uint64_t)_i);
    const tm_metric_t m = metrics[_i % 3];
    const tm_negfilter_t filters[3] = {{0, 0.0, 0}, {0, 0.0, 2}, {1, 0.4, 1}};
    for (size_t k = 0; k < NRULE_ROWS; k++) {
        const tm_rule_t *rule = tm_rule_find(rule_rows[k].name);
        for (int fi = 0; fi < 14; fi++) {
            tm_negfilter_t f = filters[fi % 3];
            tm_mine_params_t p;
            tm_mine_params_default(&p);
            p.strategy = rule->name;
            p.metric = m;
            /* 6: more negatives wanted than there are rows; 7: all skipped. */
            p.negatives = fi == 6 ? RN + 7 : 1 + fi % 3;
            p.positives = fi % 2 ? 2 : 0;
            if (fi == 7)
                f.skip = RN + 3;
            p.has_neg_min_dist = f.has_min_dist;
            p.neg_min_dist = f.min_dist;
            p.neg_skip = f.skip;
            /* 8 and up: the choice of positives and negatives. */
            if (fi >= 8) {
                p.pos = (tm_pos_t)(fi % 3);
                p.seed = (uint64_t)fi * 977;
                p.neg_pool = fi % 4 == 0 ? -1 : fi % 4 == 1 ? 1 : 4 + fi;
                p.negatives = fi == 12 ? 2 * RN : p.negatives + 1;
                if (fi % 2 == 0 && rule_rows[k].brute != BRUTE_SEMIHARD) {
                    p.has_neg_margin = 1;
                    p.neg_margin = fi == 10 ? -0.3 : 0.25;
                }
            }
            const tm_plan_t plan = rule->plan(&p);
            const tm_engine_t *e = cur_engine = plan.engine;
            const tm_engine_size_t sz = {RN, RN, (int64_t)1 << 30};
            ck_assert_int_lt(e->state_bytes(&plan.args, &sz), INT64_MAX);
            tm_triplets_t want = {0};
            tm_results_t got = {0};
            brute(&d, rule_rows[k].brute, &p, &want);
            void *st = NULL;
            ck_assert_int_eq(e->create(&st, &plan.args, &sz), 0);
            for (int pass = 1; pass <= e->passes; pass++) {
                tm_err_t err;
                tm_err_clear(&err);
                if (pass > 1)
                    ck_assert_int_eq(e->begin_pass(st, pass, 0, &err), 0);
                stream(&d, m, &r, st, pass, upd_engine, fi >= 3);
                st = reload(&plan, st, pass, &sz);
            }
            ck_assert_int_eq(e->finish(st, d.gid, &got), 0);
            char what[64];
            snprintf(what, sizeof what, "%s, case %d", rule->name, fi);
            compare(&want, &got.trip, what);
            e->destroy(st);
            tm_triplets_free(&want);
            tm_results_free(&got);
        }
    }
}
END_TEST

/* Compare int64 values (qsort). */
static int cmp_i64(const void *x, const void *y)
{
    const int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/*
 * Each rule with given pairs, as --pairs runs it: candidates labelled with
 * their own index, each anchor pair labelled with its positive, the other
 * positives of its query and the query itself excluded; against the brute
 * force of pairs. Queries repeat (a third of the rows), pairs may repeat
 * and a pair may be (q, q).
 */
START_TEST(every_rule_with_pairs)
{
    static dataset_t d, c;
    make_data(&d, 700 + (uint64_t)_i);
    tm_rng_t r = tm_rng_make(23 + (uint64_t)_i);
    const tm_metric_t m = metrics[_i % 3];
    int64_t pq[NPAIRS], pp[NPAIRS], self[NPAIRS], xbeg[NPAIRS], xend[NPAIRS];
    static int64_t xidx[NPAIRS * (NPAIRS + 1)];
    static float emb[NPAIRS * RD];
    double sq[NPAIRS], nrm[NPAIRS];
    for (int j = 0; j < NPAIRS; j++) {
        pq[j] = tm_rng_below(&r, RN / 3);
        pp[j] = j % 9 == 0 ? pq[j] : tm_rng_below(&r, RN);
    }
    /* Candidates: the rows, each labelled with its own index. */
    c = d;
    for (int i = 0; i < RN; i++)
        c.lab[i] = i;
    int64_t nx = 0;
    for (int j = 0; j < NPAIRS; j++) {
        memcpy(emb + j * RD, d.emb + pq[j] * RD, sizeof(float) * RD);
        sq[j] = d.sq[pq[j]];
        nrm[j] = d.nrm[pq[j]];
        self[j] = -1;
        xbeg[j] = nx;
        xidx[nx++] = pq[j];
        for (int i = 0; i < NPAIRS; i++)
            if (pq[i] == pq[j])
                xidx[nx++] = pp[i];
        qsort(xidx + xbeg[j], (size_t)(nx - xbeg[j]), sizeof *xidx, cmp_i64);
        int64_t u = xbeg[j]; /* distinct, as run/inputs.c makes them */
        for (int64_t i = xbeg[j]; i < nx; i++)
            if (i == xbeg[j] || xidx[i] != xidx[u - 1])
                xidx[u++] = xidx[i];
        nx = u;
        xend[j] = nx;
    }
    int64_t rowkey[NPAIRS];
    for (int j = 0; j < NPAIRS; j++)
        rowkey[j] = j;
    const tm_rows_t anch = {NPAIRS, RD, emb, pp, self, sq, nrm, NULL, NULL, xbeg, xend, xidx,
                            rowkey, NULL};
    const tm_negfilter_t filters[3] = {{0, 0.0, 0}, {0, 0.0, 2}, {1, 0.4, 1}};
    for (size_t k = 0; k < NRULE_ROWS; k++) {
        const tm_rule_t *rule = tm_rule_find(rule_rows[k].name);
        for (int fi = 0; fi < 9; fi++) {
            tm_negfilter_t f = filters[fi % 3];
            tm_mine_params_t p;
            tm_mine_params_default(&p);
            p.strategy = rule->name;
            p.metric = m;
            p.pairs = "pairs";
            p.negatives = 1 + fi % 3;
            p.has_neg_min_dist = f.has_min_dist;
            p.neg_min_dist = f.min_dist;
            p.neg_skip = f.skip;
            if (fi >= 6) { /* the choice: pool, seed, margin (not semihard) */
                p.neg_pool = fi == 6 ? 3 : -1;
                p.seed = 31 + (uint64_t)fi;
                if (rule_rows[k].brute != BRUTE_SEMIHARD) {
                    p.has_neg_margin = 1;
                    p.neg_margin = fi == 8 ? -0.2 : 0.1;
                }
            }
            const tm_plan_t plan = rule->plan(&p);
            const tm_engine_t *e = cur_engine = plan.engine;
            const tm_engine_size_t sz = {NPAIRS, RN, (int64_t)1 << 30};
            tm_triplets_t want = {0};
            tm_results_t got = {0};
            brute_pairs(&d, pq, pp, rule_rows[k].brute, &p, &want);
            void *st = NULL;
            ck_assert_int_eq(e->create(&st, &plan.args, &sz), 0);
            stream_anch = &anch;
            for (int pass = 1; pass <= e->passes; pass++) {
                tm_err_t err;
                tm_err_clear(&err);
                if (pass > 1)
                    ck_assert_int_eq(e->begin_pass(st, pass, 0, &err), 0);
                stream(&c, m, &r, st, pass, upd_engine, fi >= 3);
            }
            stream_anch = NULL;
            ck_assert_int_eq(e->finish(st, pq, &got), 0);
            char what[64];
            snprintf(what, sizeof what, "%s with pairs, case %d", rule->name, fi);
            compare(&want, &got.trip, what);
            e->destroy(st);
            tm_triplets_free(&want);
            tm_results_free(&got);
        }
    }
}
END_TEST

/*
 * sample draws uniformly from the pool: 4000 anchors (distinct draw keys)
 * at 0 against one positive and 20 negatives at distances 1..20, with
 * --neg-skip 3 --neg-pool 10, so the eligible ones are at ranks 3..12. Over
 * the anchors, each rank is drawn K/10 of the time: a chi-square test with
 * a fixed seed (so it cannot flake) at the 0.1 % level; and another seed
 * gives other draws.
 */
enum { UA = 4000, UC = 21 };

static void sample_counts(int64_t k, uint64_t seed, int64_t counts[UC], int64_t *first)
{
    static float aemb[UA], cemb[UC], G[UA * UC];
    static int64_t alab[UA], agid[UA], aself[UA], clab[UC], cgid[UC];
    static double asq[UA], anrm[UA], csq[UC], cnrm[UC], scratch[3 * UC];
    for (int i = 0; i < UA; i++)
        aemb[i] = 0.0f, alab[i] = 0, agid[i] = i, aself[i] = -1, asq[i] = anrm[i] = 0.0;
    for (int c = 0; c < UC; c++) {
        cemb[c] = (float)c;
        clab[c] = c == 0 ? 0 : 1;
        cgid[c] = c;
        csq[c] = (double)c * c;
        cnrm[c] = c;
    }
    const tm_rows_t anch = {UA, 1, aemb, alab, aself, asq, anrm, NULL, NULL, NULL, NULL, NULL,
                            agid, NULL};
    const tm_rows_t cand = {UC, 1, cemb, clab, cgid, csq, cnrm, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    tm_mine_params_t p;
    tm_mine_params_default(&p);
    p.strategy = "sample";
    p.negatives = k;
    p.neg_skip = 3;
    p.neg_pool = 10;
    p.seed = seed;
    const tm_plan_t plan = tm_rule_find("sample")->plan(&p);
    const tm_engine_t *e = plan.engine;
    const tm_engine_size_t sz = {UA, UC, (int64_t)1 << 30};
    void *st = NULL;
    ck_assert_int_eq(e->create(&st, &plan.args, &sz), 0);
    tm_kern_gram(aemb, UA, cemb, UC, 1, G);
    tm_err_t err;
    tm_err_clear(&err);
    for (int pass = 1; pass <= 2; pass++) {
        if (pass == 2)
            ck_assert_int_eq(e->begin_pass(st, 2, 0, &err), 0);
        const size_t bytes = e->block_bytes != NULL ? e->block_bytes(st) : 0;
        const tm_tile_t t = {.metric = TM_METRIC_SQEUCLIDEAN, .bound = tm_kern_bound(1),
                             .anch = &anch, .a0 = 0, .a1 = UA, .cand = &cand, .c0 = 0, .c1 = UC,
                             .G = e->needs_tiles(st, pass) ? G : NULL, .scratch = scratch,
                             .block = test_block(bytes), .b0 = 0, .b1 = UA, .begins = 1,
                             .ends = 1};
        e->update(st, pass, &t);
    }
    tm_results_t res = {0};
    ck_assert_int_eq(e->finish(st, agid, &res), 0);
    const tm_triplets_t out = res.trip;
    ck_assert_int_eq(out.m, UA * k);
    for (int c = 0; c < UC; c++)
        counts[c] = 0;
    for (int64_t i = 0; i < out.m; i++) {
        ck_assert(i % k == 0 || out.idx[3 * i + 2] > out.idx[3 * (i - 1) + 2]); /* nearest first */
        counts[out.idx[3 * i + 2]]++;
        if (i % k == 0)
            first[i / k] = out.idx[3 * i + 2];
    }
    ck_assert_int_eq(out.filtered.skip, 3 * UA);
    ck_assert_int_eq(out.filtered.pool, 7 * UA);
    tm_results_free(&res);
    e->destroy(st);
}

START_TEST(sample_is_uniform_over_the_pool)
{
    static int64_t first[UA], other[UA];
    for (int64_t k = 1; k <= 3; k += 2) {
        int64_t counts[UC];
        sample_counts(k, 12345, counts, first);
        const double expect = (double)UA * (double)k / 10.0;
        double chi2 = 0.0;
        for (int c = 1; c < UC; c++) {
            const int eligible = c >= 4 && c <= 13; /* ranks 3..12 of the negatives 1..20 */
            ck_assert_msg(eligible || counts[c] == 0, "negative %d drawn but not eligible", c);
            if (eligible)
                chi2 += ((double)counts[c] - expect) * ((double)counts[c] - expect) / expect;
        }
        /* 9 degrees of freedom: P(chi2 > 27.88) = 0.001. */
        ck_assert_msg(chi2 < 27.88, "K = %lld: chi-square %.2f over the pool", (long long)k, chi2);
        int64_t counts2[UC], same = 0;
        sample_counts(k, 54321, counts2, other);
        for (int i = 0; i < UA; i++)
            same += first[i] == other[i];
        ck_assert_msg(same < UA / 2, "another seed gave the same first draw for %lld of %d anchors",
                      (long long)same, UA);
    }
}
END_TEST

static Suite *rules_suite(void)
{
    Suite *s = suite_create("rules");
    TCase *hand = tcase_create("hand");
    tcase_add_test(hand, topk_order_and_ties);
    tcase_add_test(hand, topk_k_larger_than_negatives);
    tcase_add_test(hand, skip_more_than_negatives);
    tcase_add_test(hand, min_dist_removes_every_negative);
    tcase_add_test(hand, min_dist_then_skip);
    tcase_add_test(hand, semihard_basic_order);
    tcase_add_test(hand, semihard_fallback_farthest);
    tcase_add_test(hand, semihard_strictly_above_and_ties);
    tcase_add_test(hand, semihard_positive_cap);
    tcase_add_test(hand, semihard_skip_and_min_dist);
    tcase_add_test(hand, semihard_skipped_anchors);
    tcase_add_test(hand, semihard_budget_overflow);
    tcase_add_test(hand, registry_has_rows);
    tcase_add_test(hand, eval_is_no_strategy);
    tcase_add_test(hand, plans);
    suite_add_tcase(s, hand);
    TCase *rnd = tcase_create("random");
    tcase_set_timeout(rnd, 60);
    tcase_add_loop_test(rnd, random_topk_and_filtered_hard, 0, 6);
    tcase_add_loop_test(rnd, deferred_band_of_ties, 0, 6);
    tcase_add_loop_test(rnd, random_semihard, 0, 6);
    tcase_add_loop_test(rnd, every_rule_through_its_hooks, 0, 3);
    tcase_add_loop_test(rnd, every_rule_with_pairs, 0, 6);
    tcase_add_test(rnd, sample_is_uniform_over_the_pool);
    suite_add_tcase(s, rnd);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    return tm_unit_run(rules_suite(), "unit_rules", argv[0], 0);
}
