/*
 * partition.c - the k-means partitions of partitioned mining (partition.h).
 *
 * The nearest centres of a row are found like the engines find negatives:
 * a float32 sgemm of a block of rows against every centre, an interval
 * around each approximate distance (engines/prefilter.h), and the exact
 * distance (core/exact.h) of every centre whose interval reaches below the
 * P-th smallest upper bound. The choice is on (exact distance, index).
 */
#include "run/partition.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "base/fpenv.h"
#include "comm/smallest.h"
#include "core/exact.h"
#include "core/kern.h"
#include "engines/draw.h"
#include "engines/prefilter.h"

/* Rows per block of the nearest-centre search, centres per tile of it. */
#define BLOCK 64
#define CHUNK 1024
/* k-means: at most this many iterations, on at most SAMPLE_PER rows per centre. */
#define ITERATIONS 5
#define SAMPLE_PER 16
/* The stream of the sample's draws (engines/draw.h). */
#define STREAM_SAMPLE 0x6b6d65616e73ULL

static int tm_parts_rank(MPI_Comm comm)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    return rank;
}

int64_t tm_parts_resolve(int64_t given, int64_t n)
{
    int64_t c = given;
    if (given < 0)
        c = (int64_t)llround(4.0 * sqrt((double)n));
    if (c > n)
        c = n;
    return c < 1 ? 1 : c;
}

double tm_parts_geo(tm_metric_t metric, double v)
{
    if (v <= 0.0)
        return 0.0;
    switch (metric) {
    case TM_METRIC_SQEUCLIDEAN:
        return sqrt(v);
    case TM_METRIC_COSINE:
        return sqrt(2.0 * v);
    default:
        return v;
    }
}

void tm_parts_free(tm_parts_t *pt)
{
    free(pt->cent);
    free(pt->csq);
    free(pt->cnorm);
    free(pt->own);
    free(pt->probes);
    free(pt->reach);
    tm_kpack_free(&pt->cpack);
    memset(pt, 0, sizeof *pt);
}

/* The centres' norms and pack, after they change. */
static void centre_norms(tm_parts_t *pt)
{
    tm_shard_sqnorms(pt->cent, pt->count, pt->dim, pt->csq);
    for (int64_t q = 0; q < pt->count; q++)
        pt->cnorm[q] = sqrt(pt->csq[q]);
    if (pt->cpack.data != NULL) {
        tm_kpack_rows(&pt->cpack, pt->cent, pt->count, 0, pt->count);
        tm_kpack_done(&pt->cpack);
    }
}

typedef struct scored {
    double val;
    int64_t idx;
} scored_t;

/* Whether x comes before y: by value, then by index. */
static inline int before(const scored_t *x, const scored_t *y)
{
    return x->val < y->val || (x->val == y->val && x->idx < y->idx);
}

/* The P-th smallest of v[0 .. n) (P <= n), through a sorted list of the P smallest in top. */
static double pth_smallest(const double *v, int64_t n, int64_t P, double *top)
{
    int64_t k = 0;
    for (int64_t q = 0; q < n; q++) {
        const double x = v[q];
        if (k == P && !(x < top[P - 1]))
            continue;
        int64_t i = k < P ? k++ : P - 1;
        while (i > 0 && top[i - 1] > x) {
            top[i] = top[i - 1];
            i--;
        }
        top[i] = x;
    }
    return top[P - 1];
}

/* Centres per group of the gate's first cut. */
#define GROUP 16

typedef double v4d_t __attribute__((vector_size(32), aligned(8)));
typedef long long v4l_t __attribute__((vector_size(32), aligned(8)));

/* Lane by lane a < b ? a : b (b where a is NaN); a macro, so that no vector crosses a call. */
#define VMIN4(a, b) ((v4d_t)((((v4l_t)(a)) & ((a) < (b))) | (((v4l_t)(b)) & ~((a) < (b)))))

/*
 * The minima of the groups of GROUP of hi[0 .. C) into ghi and of lo into
 * glo (NaN when a lower bound of the group is NaN: the group is then
 * always looked at). Which of two equal values is kept does not matter:
 * only comparisons read them.
 */
__attribute__((target_clones("avx2", "default")))
static void group_minima(const double *lo, const double *hi, int64_t C, double *glo, double *ghi)
{
    int64_t q0 = 0, g = 0;
    for (; q0 + GROUP <= C; q0 += GROUP, g++) {
        const v4d_t *l4 = (const v4d_t *)(const void *)(lo + q0);
        const v4d_t *h4 = (const v4d_t *)(const void *)(hi + q0);
        v4d_t l = VMIN4(VMIN4(l4[0], l4[1]), VMIN4(l4[2], l4[3]));
        v4d_t h = VMIN4(VMIN4(h4[0], h4[1]), VMIN4(h4[2], h4[3]));
        const v4l_t nan = (l4[0] != l4[0]) | (l4[1] != l4[1]) | (l4[2] != l4[2]) |
                          (l4[3] != l4[3]);
        double ml = l[0], mh = h[0];
        for (int u = 1; u < 4; u++) {
            ml = l[u] < ml ? l[u] : ml;
            mh = h[u] < mh ? h[u] : mh;
        }
        glo[g] = (nan[0] | nan[1] | nan[2] | nan[3]) ? NAN : ml;
        ghi[g] = mh;
    }
    if (q0 < C) {
        double l = INFINITY, h = INFINITY;
        int nan = 0;
        for (int64_t q = q0; q < C; q++) {
            h = hi[q] < h ? hi[q] : h;
            l = lo[q] < l ? lo[q] : l;
            nan |= lo[q] != lo[q];
        }
        glo[g] = nan ? NAN : l;
        ghi[g] = h;
    }
}

/*
 * The k-th smallest (1-based) of v[0 .. n) when none is NaN, by selection
 * on a copy in w (which may be v); NaN when one is (the caller then asks
 * pth_smallest).
 */
static double kth_smallest(const double *v, int64_t n, int64_t k, double *w)
{
    int nan = 0;
    for (int64_t i = 0; i < n; i++) {
        nan |= v[i] != v[i];
        w[i] = v[i]; /* v may be w itself */
    }
    if (nan)
        return NAN;
    int64_t lo = 0, hi = n - 1;
    const int64_t want = k - 1;
    while (lo < hi) {
        /* The median of three as pivot; Hoare's partition around its value. */
        const int64_t mid = lo + (hi - lo) / 2;
        double x = w[lo], y = w[mid], z = w[hi];
        const double pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (w[i] < pivot)
                i++;
            while (w[j] > pivot)
                j--;
            if (i <= j) {
                const double t = w[i];
                w[i++] = w[j];
                w[j--] = t;
            }
        }
        if (want <= j)
            hi = j;
        else if (want >= i)
            lo = i;
        else
            break; /* between j and i: every value there is the pivot */
    }
    return w[want];
}

/*
 * An upper bound on the P-th smallest of hi[0 .. C): the P-th smallest of
 * the minima ghi of its groups of GROUP (P of them are P values of hi at
 * most that large), or of hi itself when there are fewer than P groups.
 * Without NaN that value is found by selection (w: room for C); with one,
 * by pth_smallest's list, whose rule for NaN is kept.
 */
static double gate_of(const double *hi, int64_t C, int64_t P, const double *ghi, double *top,
                      double *w)
{
    const int64_t ng = (C + GROUP - 1) / GROUP;
    const double *v = ng < P ? hi : ghi;
    const int64_t n = ng < P ? C : ng;
    const double g = kth_smallest(v, n, P, w);
    return g == g ? g : pth_smallest(v, n, P, top);
}

/* Sort the m scored centres by (value, index): quicksort down to runs of 16, then insertion. */
static void sort_scored(scored_t *sc, int64_t m)
{
    int64_t stack[2 * 64], top = 0;
    int64_t lo = 0, hi = m - 1;
    for (;;) {
        while (hi - lo >= 16) {
            const int64_t mid = lo + (hi - lo) / 2;
            /* Median of three into sc[mid], as pivot. */
            if (before(&sc[mid], &sc[lo])) {
                const scored_t t = sc[mid]; sc[mid] = sc[lo]; sc[lo] = t;
            }
            if (before(&sc[hi], &sc[mid])) {
                const scored_t t = sc[mid]; sc[mid] = sc[hi]; sc[hi] = t;
                if (before(&sc[mid], &sc[lo])) {
                    const scored_t u = sc[mid]; sc[mid] = sc[lo]; sc[lo] = u;
                }
            }
            const scored_t pivot = sc[mid];
            int64_t i = lo, j = hi;
            while (i <= j) {
                while (before(&sc[i], &pivot))
                    i++;
                while (before(&pivot, &sc[j]))
                    j--;
                if (i <= j) {
                    const scored_t t = sc[i];
                    sc[i++] = sc[j];
                    sc[j--] = t;
                }
            }
            /* The larger side waits on the stack (at most log2 m deep); the smaller goes on. */
            if (j - lo > hi - i) {
                stack[top++] = lo;
                stack[top++] = j;
                lo = i;
            } else {
                stack[top++] = i;
                stack[top++] = hi;
                hi = j;
            }
        }
        for (int64_t x = lo + 1; x <= hi; x++) {
            const scored_t v = sc[x];
            int64_t k = x;
            while (k > lo && before(&v, &sc[k - 1])) {
                sc[k] = sc[k - 1];
                k--;
            }
            sc[k] = v;
        }
        if (top == 0)
            break;
        hi = stack[--top];
        lo = stack[--top];
    }
}

/*
 * G (rows [r0, r1) x every centre, row-major) and the bound of each chunk
 * of CHUNK centres: the fast kernel's tiles where it takes them (apack not
 * NULL: the rows are packed into it first), float32 sgemm elsewhere.
 */
static void dots(const tm_parts_t *pt, const tm_rows_t *cent, const float *emb, const double *sq,
                 const double *nrm, int64_t r0, int64_t r1, tm_kpack_t *apack, float *Gc,
                 float *G, tm_kern_bound_t *cb)
{
    const int64_t C = pt->count, dim = pt->dim, mr = r1 - r0;
    const tm_kern_bound_t f32 = tm_kern_bound(dim);
    if (apack == NULL) {
        tm_kern_gram(emb + r0 * dim, mr, pt->cent, C, dim, G);
        for (int64_t c0 = 0; c0 < C; c0 += CHUNK)
            cb[c0 / CHUNK] = f32;
        return;
    }
    const tm_rows_t rows = {.n = mr, .dim = dim, .emb = emb + r0 * dim, .sqnorm = sq + r0,
                            .norm = nrm + r0};
    tm_kpack_rows(apack, rows.emb, mr, 0, mr);
    tm_kpack_done(apack);
    for (int64_t c0 = 0; c0 < C; c0 += CHUNK) {
        const int64_t c1 = c0 + CHUNK < C ? c0 + CHUNK : C, w = c1 - c0;
        const tm_ktile_t kt = {&rows, apack, 0, mr, cent, &pt->cpack, c0, c1};
        tm_kern_bound_t b = f32;
        if (!tm_kernel_tile(pt->kernel, &kt, Gc, &b))
            tm_kernel_f32.tile(&kt, Gc, &b);
        cb[c0 / CHUNK] = b;
        for (int64_t r = 0; r < mr; r++)
            memcpy(G + r * C + c0, Gc + r * w, (size_t)w * sizeof *G);
    }
}

/*
 * For rows [0, n) of emb (squared norms sq, norms nrm): the P nearest
 * centres into out (n x P, nearest first), the exact fast-space distance of
 * the nearest into best (if not NULL) and, into low (if not NULL), the
 * exact fast-space distance of the nearest centre not chosen (+inf when
 * P = C): the (P + 1)-th by (distance, index), whatever the kernel.
 */
static int nearest_centres(const tm_parts_t *pt, const float *emb, const double *sq,
                           const double *nrm, int64_t n, int64_t P, int32_t *out, double *best,
                           double *low, int threads, int64_t *scored)
{
    int failed = 0;
    int64_t nscored = 0;
    const int64_t C = pt->count, dim = pt->dim;
    const tm_rows_t cent = {.n = C, .dim = dim, .emb = pt->cent, .sqnorm = pt->csq,
                            .norm = pt->cnorm};
    const int64_t nblk = (n + BLOCK - 1) / BLOCK;
#pragma omp parallel num_threads(threads) reduction(+ : nscored)
    {
        tm_fpenv_t fp;
        tm_fpenv_enter(&fp);
        float *G = malloc((size_t)BLOCK * (size_t)C * sizeof *G);
        double *lo = malloc((size_t)C * sizeof *lo), *hi = malloc((size_t)C * sizeof *hi);
        double *top = malloc((size_t)P * sizeof *top);
        double *work = malloc((size_t)C * sizeof *work);
        double *gmin = malloc((size_t)((C + GROUP - 1) / GROUP) * 2 * sizeof *gmin);
        int32_t *idx = malloc((size_t)C * sizeof *idx);
        scored_t *sc = malloc((size_t)C * sizeof *sc);
        /* The fast kernel's: the block's rows packed, a tile of G, each chunk's bound. */
        const int fast = pt->cpack.data != NULL;
        tm_kpack_t apack;
        memset(&apack, 0, sizeof apack);
        float *Gc = fast ? malloc((size_t)BLOCK * CHUNK * sizeof *Gc) : NULL;
        tm_kern_bound_t *cb = malloc((size_t)((C + CHUNK - 1) / CHUNK) * sizeof *cb);
        int ok = G && lo && hi && top && work && gmin && idx && sc && cb && (!fast || Gc != NULL);
        if (ok && fast)
            ok = tm_kpack_init(&apack, pt->kernel, TM_KSIDE_ANCHORS, BLOCK, dim) == 0;
#pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < nblk; b++) {
            if (!ok) {
#pragma omp atomic write
                failed = 1;
                continue;
            }
            const int64_t r0 = b * BLOCK, r1 = r0 + BLOCK < n ? r0 + BLOCK : n;
            dots(pt, &cent, emb, sq, nrm, r0, r1, fast ? &apack : NULL, Gc, G, cb);
            for (int64_t r = r0; r < r1; r++) {
                const float *row = emb + r * dim;
                for (int64_t c0 = 0; c0 < C; c0 += CHUNK)
                    tm_interval_row(pt->metric, cb[c0 / CHUNK], sq[r], nrm[r], &cent, c0,
                                    C - c0 < CHUNK ? C - c0 : CHUNK, G + (r - r0) * C + c0, 0,
                                    lo + c0, hi + c0);
                /*
                 * Every centre that could be among the K nearest (K = P, or
                 * P + 1 for low) is scored exactly: those whose interval
                 * starts at or below an upper bound on the K-th smallest
                 * upper bound (a looser gate only scores more). The first
                 * gate comes from the groups' minima; among the centres it
                 * lets through lie the K of smallest upper bound, so the
                 * K-th smallest of theirs is the second, tighter one.
                 */
                const int64_t K = low != NULL && P < C ? P + 1 : P;
                const int64_t ng = (C + GROUP - 1) / GROUP;
                double *glo = gmin + ng;
                group_minima(lo, hi, C, glo, gmin);
                const double gate0 = gate_of(hi, C, K, gmin, top, work);
                int64_t m = 0;
                for (int64_t g = 0; g < ng; g++) {
                    if (glo[g] > gate0)
                        continue; /* none of the group can be among them */
                    const int64_t q1 = (g + 1) * GROUP < C ? (g + 1) * GROUP : C;
                    for (int64_t q = g * GROUP; q < q1; q++) {
                        idx[m] = (int32_t)q;
                        m += !(lo[q] > gate0); /* NaN bounds are scored too */
                    }
                }
                if (m > K) {
                    for (int64_t i = 0; i < m; i++)
                        work[i] = hi[idx[i]];
                    const double g1 = kth_smallest(work, m, K, work);
                    if (g1 == g1 && g1 < gate0) {
                        int64_t k = 0;
                        for (int64_t i = 0; i < m; i++) {
                            idx[k] = idx[i];
                            k += !(lo[idx[i]] > g1);
                        }
                        m = k;
                    }
                }
                for (int64_t s = 0; s < m; s += 8) {
                    const float *bn[8];
                    double vn[8];
                    const int w = m - s < 8 ? (int)(m - s) : 8;
                    for (int u = 0; u < w; u++)
                        bn[u] = pt->cent + idx[s + u] * dim;
                    tm_exact_fastn(pt->metric, row, bn, w, dim, vn);
                    for (int u = 0; u < w; u++)
                        sc[s + u] = (scored_t){vn[u], idx[s + u]};
                }
                nscored += m;
                sort_scored(sc, m);
                for (int64_t k = 0; k < P; k++)
                    out[r * P + k] = (int32_t)sc[k].idx;
                if (best != NULL)
                    best[r] = sc[0].val;
                /* The nearest centre not chosen, exactly: the same for any kernel. */
                if (low != NULL)
                    low[r] = K > P ? sc[P].val : INFINITY;
            }
        }
        free(G);
        free(lo);
        free(hi);
        free(top);
        free(work);
        free(gmin);
        free(idx);
        free(sc);
        free(Gc);
        free(cb);
        tm_kpack_free(&apack);
        tm_fpenv_leave(&fp);
    }
    *scored += nscored;
    return failed ? TM_ENOMEM : 0;
}

/* Where the candidate rows come from: the shard's memory or its reader. */
typedef struct source {
    const tm_shard_t *cand;
    tm_parts_fill_fn fill;
    void *ctx;
    float *buf;         /* STREAM rows when read */
    int64_t *lab;
} source_t;

/* Rows read a block at a time. */
#define STREAM 4096

/* Rows [first, first + count) of the shard (count <= STREAM): 0 or an error. */
static int rows_at(source_t *src, int64_t first, int64_t count, const float **rows,
                   tm_err_t *err)
{
    if (src->cand->emb != NULL) {
        *rows = src->cand->emb + first * src->cand->dim;
        return 0;
    }
    *rows = src->buf;
    return src->fill(src->ctx, first, count, src->buf, src->lab, err);
}

/* Whether global row g of the candidates is in the k-means sample. */
static int sampled(uint64_t seed, uint64_t thr, int64_t g)
{
    return thr == UINT64_MAX || tm_draw(tm_draw_key(seed, STREAM_SAMPLE, 0), g) < thr;
}

/*
 * The k-means: centres start at the C sampled rows of smallest draw, then
 * move to their members' means. Collective.
 */
static int kmeans(tm_parts_t *pt, uint64_t seed, source_t *src, int threads, MPI_Comm comm,
                  tm_err_t *err)
{
    const tm_shard_t *cand = src->cand;
    const int64_t C = pt->count, dim = pt->dim, N = cand->n_global;
    const int64_t want = C * SAMPLE_PER;
    const uint64_t thr = want >= N ? UINT64_MAX
                                   : (uint64_t)((double)want / (double)N * 0x1p64);
    const uint64_t key = tm_draw_key(seed, STREAM_SAMPLE, 0);
    /* The local sample, gathered into rows of its own. */
    int64_t m = 0;
    for (int64_t i = 0; i < cand->n; i++)
        m += sampled(seed, thr, cand->lo + i);
    float *emb = malloc((size_t)(m > 0 ? m : 1) * (size_t)dim * sizeof *emb);
    double *sq = malloc((size_t)(m > 0 ? m : 1) * sizeof *sq);
    double *nrm = malloc((size_t)(m > 0 ? m : 1) * sizeof *nrm);
    int64_t *gid = malloc((size_t)(m > 0 ? m : 1) * sizeof *gid);
    int32_t *asg = malloc((size_t)(m > 0 ? m : 1) * sizeof *asg);
    uint64_t *all = malloc((size_t)C * 2 * sizeof *all);
    int64_t *sums = malloc((size_t)(C * dim + C) * sizeof *sums);
    int ok = emb && sq && nrm && gid && asg && all && sums;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, comm);
    int rc = 0;
    if (!ok) {
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the k-means sample of %lld rows",
                        (long long)m);
        goto done;
    }
    if (src->cand->emb == NULL) {
        src->buf = malloc((size_t)STREAM * (size_t)dim * sizeof *src->buf);
        src->lab = malloc((size_t)STREAM * sizeof *src->lab);
        ok = src->buf != NULL && src->lab != NULL;
        MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, comm);
        if (!ok) {
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the k-means reader");
            goto done;
        }
    }
    m = 0;
    double maxabs = 0.0;
    for (int64_t i0 = 0; i0 < cand->n && rc == 0; i0 += STREAM) {
        const int64_t cnt = cand->n - i0 < STREAM ? cand->n - i0 : STREAM;
        int64_t any = 0;
        for (int64_t i = i0; i < i0 + cnt; i++)
            any += sampled(seed, thr, cand->lo + i);
        const float *rows = NULL;
        if (any > 0)
            rc = rows_at(src, i0, cnt, &rows, err);
        for (int64_t i = i0; any > 0 && rc == 0 && i < i0 + cnt; i++) {
            if (!sampled(seed, thr, cand->lo + i))
                continue;
            memcpy(emb + m * dim, rows + (i - i0) * dim, (size_t)dim * sizeof *emb);
            for (int64_t k = 0; k < dim; k++)
                maxabs = fmax(maxabs, fabs((double)emb[m * dim + k]));
            gid[m++] = cand->lo + i;
        }
    }
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        goto done;
    tm_shard_sqnorms(emb, m, dim, sq);
    for (int64_t i = 0; i < m; i++)
        nrm[i] = sqrt(sq[i]);
    int64_t total = m;
    MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_INT64_T, MPI_SUM, comm);
    MPI_Allreduce(MPI_IN_PLACE, &maxabs, 1, MPI_DOUBLE, MPI_MAX, comm);
    pt->sample = total;
    if (total < C) {
        /* A sample smaller than C (a tiny data set): every row is sampled. */
        rc = tm_err_set(err, TM_EINTERNAL, "the k-means sample holds %lld rows, fewer than "
                        "the %lld partitions", (long long)total, (long long)C);
        goto done;
    }

    /* The first centres: the C sampled rows of smallest draw, over all ranks. */
    uint64_t *mine = malloc((size_t)(m > 0 ? m : 1) * 2 * sizeof *mine);
    for (int64_t i = 0; mine != NULL && i < m; i++) {
        mine[2 * i] = tm_draw(key, gid[i]);
        mine[2 * i + 1] = (uint64_t)gid[i];
    }
    ok = mine != NULL;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, comm);
    if (ok && tm_smallest_pairs(mine, m, C, comm, all) != 0)
        ok = 0;
    free(mine);
    if (!ok) {
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the k-means start");
        goto done;
    }
    memset(pt->cent, 0, (size_t)(C * dim) * sizeof *pt->cent);
    for (int64_t q = 0; q < C; q++) {
        /* A sampled row of this rank: found in the sample, ascending by index. */
        const int64_t g = (int64_t)all[2 * q + 1];
        int64_t lo = 0, hi = m;
        while (lo < hi) {
            const int64_t mid = lo + (hi - lo) / 2;
            if (gid[mid] < g)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < m && gid[lo] == g)
            memcpy(pt->cent + q * dim, emb + lo * dim, (size_t)dim * sizeof *pt->cent);
    }
    /* One rank holds each row, the others zeros: the sum is that row, exactly. */
    MPI_Allreduce(MPI_IN_PLACE, pt->cent, (int)(C * dim), MPI_FLOAT, MPI_SUM, comm);
    if (pt->metric == TM_METRIC_COSINE)
        tm_exact_normalize_rows(pt->cent, C, dim);
    centre_norms(pt);

    /*
     * Fixed point: every coordinate times 2^shift rounds to an integer, and
     * the sums of up to total of them stay below 2^62.
     */
    int shift = 0;
    if (maxabs > 0.0) {
        int e = 0;
        frexp(maxabs, &e); /* maxabs < 2^e */
        int bits = 0;
        while (((int64_t)1 << bits) < total + 1)
            bits++;
        shift = 62 - bits - e;
    }
    int64_t *cnt = sums + C * dim;
    pt->iterations = 0;
    for (int it = 0; it < ITERATIONS; it++) {
        if (nearest_centres(pt, emb, sq, nrm, m, 1, asg, NULL, NULL, threads, &pt->scored) != 0)
            ok = 0;
        MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, comm);
        if (!ok) {
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the k-means scratch");
            break;
        }
        memset(sums, 0, (size_t)(C * dim + C) * sizeof *sums);
        for (int64_t i = 0; i < m; i++)
            cnt[asg[i]]++;
        /* Threads take columns: integer sums, the same in any order. */
#pragma omp parallel num_threads(threads)
        {
            tm_fpenv_t fp;
            tm_fpenv_enter(&fp);
#pragma omp for schedule(static)
            for (int64_t k = 0; k < dim; k++)
                for (int64_t i = 0; i < m; i++)
                    sums[asg[i] * dim + k] += llrint(ldexp((double)emb[i * dim + k], shift));
            tm_fpenv_leave(&fp);
        }
        MPI_Allreduce(MPI_IN_PLACE, sums, (int)(C * dim + C), MPI_INT64_T, MPI_SUM, comm);
        int64_t moved = 0;
        for (int64_t q = 0; q < C; q++) {
            if (cnt[q] == 0)
                continue; /* an empty centre stays where it was */
            for (int64_t k = 0; k < dim; k++) {
                const float v = (float)(ldexp((double)sums[q * dim + k], -shift) /
                                        (double)cnt[q]);
                moved += v != pt->cent[q * dim + k];
                pt->cent[q * dim + k] = v;
            }
        }
        if (pt->metric == TM_METRIC_COSINE)
            tm_exact_normalize_rows(pt->cent, C, dim);
        centre_norms(pt);
        pt->iterations = it + 1;
        if (moved == 0)
            break; /* the same on every rank: the sums are */
    }
done:
    free(emb);
    free(sq);
    free(nrm);
    free(gid);
    free(asg);
    free(all);
    free(sums);
    return rc;
}

/*
 * Every candidate row's own partition, and the exact distance to its
 * centre into best, a block of rows at a time (read when streamed).
 */
static int assign_rows(tm_parts_t *pt, source_t *src, double *best, int threads, tm_err_t *err)
{
    const tm_shard_t *cand = src->cand;
    const int64_t dim = pt->dim;
    double *sq = malloc((size_t)STREAM * sizeof *sq), *nrm = malloc((size_t)STREAM * sizeof *nrm);
    int rc = sq != NULL && nrm != NULL ? 0 : tm_err_set(err, TM_ENOMEM, "cannot allocate the "
                                                        "partitions' norms");
    for (int64_t i0 = 0; i0 < cand->n && rc == 0; i0 += STREAM) {
        const int64_t cnt = cand->n - i0 < STREAM ? cand->n - i0 : STREAM;
        const float *rows = NULL;
        rc = rows_at(src, i0, cnt, &rows, err);
        if (rc != 0)
            break;
        tm_shard_sqnorms(rows, cnt, dim, sq);
        for (int64_t i = 0; i < cnt; i++)
            nrm[i] = sqrt(sq[i]);
        if (nearest_centres(pt, rows, sq, nrm, cnt, 1, pt->own + i0, best + i0, NULL, threads,
                            &pt->scored) != 0)
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the partitions' scratch");
    }
    free(sq);
    free(nrm);
    return rc;
}

int tm_parts_build(tm_parts_t *pt, const tm_mine_params_t *mine, const tm_shard_t *cand,
                   tm_parts_fill_fn fill, void *ctx, const tm_rows_t *anch, int anchors_are_cand,
                   const tm_kernel_t *kernel, int threads, MPI_Comm comm, tm_err_t *err)
{
    source_t src = {cand, fill, ctx, NULL, NULL};
    memset(pt, 0, sizeof *pt);
    pt->count = tm_parts_resolve(mine->partitions, cand->n_global);
    pt->probe = mine->probe < pt->count ? mine->probe : pt->count;
    pt->dim = cand->dim;
    pt->metric = mine->metric;
    const int64_t C = pt->count, P = pt->probe, dim = pt->dim;
    pt->cent = malloc((size_t)(C * dim) * sizeof *pt->cent);
    pt->csq = malloc((size_t)C * sizeof *pt->csq);
    pt->cnorm = malloc((size_t)C * sizeof *pt->cnorm);
    pt->own = malloc((size_t)(cand->n > 0 ? cand->n : 1) * sizeof *pt->own);
    pt->probes = malloc((size_t)(anch->n > 0 ? anch->n * P : 1) * sizeof *pt->probes);
    pt->reach = malloc((size_t)(anch->n > 0 ? anch->n : 1) * sizeof *pt->reach);
    double *best = malloc((size_t)(cand->n > 0 ? cand->n : 1) * sizeof *best);
    int ok = pt->cent && pt->csq && pt->cnorm && pt->own && pt->probes && pt->reach && best;
    pt->kernel = kernel;
    if (ok && kernel != &tm_kernel_f32 && kernel->pack != NULL && tm_kernel_takes_dim(kernel, dim))
        ok = tm_kpack_init(&pt->cpack, kernel, TM_KSIDE_CANDS, C, dim) == 0;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, comm);
    int rc = 0;
    if (!ok)
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate %lld partitions", (long long)C);
    const double t0 = MPI_Wtime();
    if (rc == 0)
        rc = kmeans(pt, mine->seed, &src, threads, comm, err);
    pt->t_kmeans = MPI_Wtime() - t0;
    if (rc == 0) {
        /* The anchors' probes (and, for anchors that are the candidates, their own partitions). */
        int bad = nearest_centres(pt, anch->emb, anch->sqnorm, anch->norm, anch->n, P,
                                  pt->probes, anchors_are_cand ? best : NULL, pt->reach, threads,
                                  &pt->scored);
        if (bad)
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the partitions' scratch (rank %d)",
                            tm_parts_rank(comm));
        if (anchors_are_cand) {
            for (int64_t i = 0; i < cand->n; i++)
                pt->own[i] = pt->probes[i * P];
        } else if (rc == 0) {
            rc = assign_rows(pt, &src, best, threads, err);
        }
        rc = tm_err_agree(rc, err, comm);
        /* The radius, rounded up a hair: every row is within it of its centre. */
        double r = 0.0;
        for (int64_t i = 0; i < cand->n; i++)
            r = fmax(r, tm_parts_geo(pt->metric, tm_exact_from_fast(pt->metric, best[i])));
        MPI_Allreduce(MPI_IN_PLACE, &r, 1, MPI_DOUBLE, MPI_MAX, comm);
        pt->radius = r * (1.0 + 0x1p-40) + 0x1p-1000;
        for (int64_t a = 0; a < anch->n; a++) {
            const double low = pt->reach[a];
            const double g = low == INFINITY ? INFINITY
                                             : tm_parts_geo(pt->metric,
                                                            tm_exact_from_fast(pt->metric, low));
            pt->reach[a] = P == C ? INFINITY : g * (1.0 - 0x1p-40) - pt->radius;
        }
    }
    pt->t_probes = MPI_Wtime() - t0 - pt->t_kmeans;
    free(best);
    free(src.buf);
    free(src.lab);
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        tm_parts_free(pt);
    return rc;
}
