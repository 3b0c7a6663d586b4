/*
 * prefilter.c - what every engine filters with before its exact re-check:
 * the double intervals of a row of float32 dot products, the float32 keys
 * (below), and the per-anchor skeleton that picks one or the other for
 * each row of a tile.
 *
 * For one anchor a and the candidates c of a tile, the key
 *
 *     t = kadd_c + kmul_c * g        (g the float32 dot product a.c)
 *
 * is one float32 multiply-add, eight lanes at a time, and the exact
 * fast-space distance d satisfies |d - (alpha + beta t)| <= err with
 * per-anchor constants: alpha = |a|^2, beta = 1 for the euclidean metrics
 * (t = |c|^2 - 2g), alpha = 1, beta = 1/|a| for cosine (t = -g/|c|).
 *
 * err, from the bound of kern.h plus the float32 rounding of the key:
 *
 *   euclidean  |kadd - |c|^2| <= u|c|^2, |t - (kadd - 2g)| <= u(kadd + 2|g|)
 *              (-2g is exact), |g| <= |a||c|(1 + gamma) + tiny, u = 2^-24:
 *              err = 2 gamma |a| C + slack (|a|^2 + Q) + 2u(1 + u) Q
 *                    + 2u(1 + gamma) |a| C + 2 tiny (1 + u) + 3 2^-150
 *   cosine     t = -g fl(1/|c|) (1 + d2), two roundings of u, and
 *              |g|/(|a||c|) <= 1 + gamma + tiny/(|a||c|):
 *              err = gamma + slack + T + (2u + u^2)(1 + gamma + T)
 *                    + 2^-149/|a|,  T = tiny I/|a|
 *
 * with C, Q, I the largest |c|, |c|^2 and 1/|c| of the tile; both are
 * enlarged by 2^-20 relative and 2^-140 absolute for the double arithmetic
 * that evaluates them. The keys are used only while every |c|^2 and
 * |a|^2 is at most 2^120 (then no key or dot product overflows) and, for
 * cosine, every non-zero |c| is at least 2^-60; otherwise the engines fall
 * back to double intervals.
 */
#include <float.h>
#include <math.h>

#include "engines/prefilter.h"

void tm_rows_keys(tm_metric_t metric, const tm_rows_t *rows, float *kadd, float *kmul)
{
    for (int64_t j = 0; j < rows->n; j++) {
        if (metric == TM_METRIC_COSINE) {
            kadd[j] = 0.0f;
            kmul[j] = rows->norm[j] > 0.0 ? (float)(-1.0 / rows->norm[j]) : 0.0f;
        } else {
            kadd[j] = (float)rows->sqnorm[j];
            kmul[j] = -2.0f;
        }
    }
}

#define KEY_MAX_SQ 0x1p120
#define KEY_MIN_NORM 0x1p-60

void tm_tilekeys(tm_metric_t metric, const tm_rows_t *cand, int64_t c0, int64_t c1,
                 tm_tilekeys_t *tk)
{
    double mc = 0.0, mq = 0.0, mi = 0.0;
    int ok = cand->kadd != NULL;
    for (int64_t c = c0; c < c1 && ok; c++) {
        const double q = cand->sqnorm[c], r = cand->norm[c];
        mq = q > mq ? q : mq;
        mc = r > mc ? r : mc;
        if (metric == TM_METRIC_COSINE && r > 0.0) {
            if (r < KEY_MIN_NORM)
                ok = 0;
            const double i = 1.0 / r;
            mi = i > mi ? i : mi;
        }
    }
    tk->ok = ok && mq <= KEY_MAX_SQ;
    tk->max_norm = mc;
    tk->max_sq = mq;
    tk->max_inv = mi;
}

/* First index in [lo, hi) whose value is not below v (ascending arrays). */
static int64_t lower_bound(const int64_t *x, int64_t lo, int64_t hi, int64_t v)
{
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (x[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* First index in [lo, hi) whose value is above v. */
static int64_t upper_bound(const int64_t *x, int64_t lo, int64_t hi, int64_t v)
{
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (x[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void tm_label_range(const tm_rows_t *cand, int64_t c0, int64_t c1, int64_t lab, int64_t *p0,
                    int64_t *p1)
{
    *p0 = lower_bound(cand->labels, c0, c1, lab);
    *p1 = upper_bound(cand->labels, *p0, c1, lab);
}

void tm_keyrow(tm_metric_t metric, tm_kern_bound_t b, const tm_tilekeys_t *tk,
               const tm_rows_t *anch, int64_t a, const tm_rows_t *cand, int64_t c0, int64_t c1,
               tm_keyrow_t *kr)
{
    const double u = 0x1p-24;
    const double na = anch->sqnorm[a], ra = anch->norm[a];
    const int64_t lab = anch->labels[a], self = anch->gid[a];
    kr->ok = tk->ok && na <= KEY_MAX_SQ;
    double err;
    if (metric == TM_METRIC_COSINE) {
        const double ia = ra > 0.0 ? 1.0 / ra : 0.0;
        const double T = b.tiny * ia * tk->max_inv;
        err = b.gamma + b.slack + T + (2.0 * u + u * u) * (1.0 + b.gamma + T) + 0x1p-149 * ia;
        kr->alpha = 1.0;
        kr->beta = ia;
    } else {
        const double C = tk->max_norm, Q = tk->max_sq;
        err = 2.0 * b.gamma * ra * C + b.slack * (na + Q) + 2.0 * u * (1.0 + u) * Q +
              2.0 * u * (1.0 + b.gamma) * ra * C + 2.0 * b.tiny * (1.0 + u) + 3.0 * 0x1p-150;
        kr->alpha = na;
        kr->beta = 1.0;
    }
    kr->err = err * (1.0 + 0x1p-20) + 0x1p-140;
    if (!(kr->err < INFINITY))
        kr->ok = 0; /* no usable bound (huge D): the double intervals say so */

    int64_t p0, p1;
    tm_label_range(cand, c0, c1, lab, &p0, &p1);
    kr->p0 = p0 - c0;
    kr->p1 = p1 - c0;
    const int64_t s = lower_bound(cand->gid, p0, p1, self);
    kr->self = s < p1 && cand->gid[s] == self ? s - c0 : -1;
}

static inline float float_up(double y)
{
    if (isnan(y))
        return INFINITY;
    float f = (float)y;
    return (double)f < y ? nextafterf(f, INFINITY) : f;
}

static inline float float_down(double y)
{
    if (isnan(y))
        return -INFINITY;
    float f = (float)y;
    return (double)f > y ? nextafterf(f, -INFINITY) : f;
}

float tm_key_thr_le(const tm_keyrow_t *kr, double d)
{
    if (d == INFINITY)
        return INFINITY;
    double x = d - kr->alpha + kr->err;
    x += tm_key_pad(d, kr->alpha, kr->err);
    if (kr->beta == 0.0)
        return x >= 0.0 ? INFINITY : -INFINITY;
    double y = x / kr->beta;
    return float_up(y + fabs(y) * 0x1p-50);
}

float tm_key_thr_ge(const tm_keyrow_t *kr, double d)
{
    if (d == -INFINITY)
        return -INFINITY;
    double x = d - kr->alpha - kr->err;
    x -= tm_key_pad(d, kr->alpha, kr->err);
    if (kr->beta == 0.0)
        return x <= 0.0 ? -INFINITY : INFINITY;
    double y = x / kr->beta;
    return float_down(y - fabs(y) * 0x1p-50);
}

double tm_fast_up(tm_metric_t metric, double v)
{
    if (metric != TM_METRIC_EUCLIDEAN || !(v > 0.0))
        return v;
    return v * v * (1.0 + 0x1p-48);
}

double tm_fast_down(tm_metric_t metric, double v)
{
    if (metric != TM_METRIC_EUCLIDEAN)
        return v;
    if (!(v > 0.0))
        return -INFINITY; /* every euclidean distance is >= 0 >= v */
    return v * v * (1.0 - 0x1p-48);
}

typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

__attribute__((target_clones("avx2", "default")))
static void key_minmax(const float *g, const float *kadd, const float *kmul, int64_t j0, int64_t j1,
                       float *tmin, float *tmax)
{
    const v8f pinf = {INFINITY, INFINITY, INFINITY, INFINITY,
                      INFINITY, INFINITY, INFINITY, INFINITY};
    v8f vmin = pinf, vmax = -pinf;
    int64_t j = j0;
    for (; j + 8 <= j1; j += 8) {
        v8f g8, a8, m8;
        memcpy(&g8, g + j, sizeof g8);
        memcpy(&a8, kadd + j, sizeof a8);
        memcpy(&m8, kmul + j, sizeof m8);
        const v8f t = a8 + m8 * g8;
        const v8i lt = t < vmin, gt = t > vmax;
        vmin = (v8f)(((v8i)t & lt) | ((v8i)vmin & ~lt));
        vmax = (v8f)(((v8i)t & gt) | ((v8i)vmax & ~gt));
    }
    float mn = INFINITY, mx = -INFINITY;
    for (int k = 0; k < 8; k++) {
        mn = vmin[k] < mn ? vmin[k] : mn;
        mx = vmax[k] > mx ? vmax[k] : mx;
    }
    for (; j < j1; j++) {
        const float t = kadd[j] + kmul[j] * g[j];
        mn = t < mn ? t : mn;
        mx = t > mx ? t : mx;
    }
    *tmin = mn;
    *tmax = mx;
}

__attribute__((target_clones("avx2", "default")))
static int64_t key_scan(const float *g, const float *kadd, const float *kmul, int64_t j0,
                        int64_t j1, float lo, float hi, float ge, int32_t *hits)
{
    const v8f vlo = {lo, lo, lo, lo, lo, lo, lo, lo}, vhi = {hi, hi, hi, hi, hi, hi, hi, hi};
    const v8f vge = {ge, ge, ge, ge, ge, ge, ge, ge};
    int64_t n = 0, j = j0;
    for (; j + 32 <= j1; j += 32) {
        v8i m[4], any = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int q = 0; q < 4; q++) {
            v8f g8, a8, m8;
            memcpy(&g8, g + j + 8 * q, sizeof g8);
            memcpy(&a8, kadd + j + 8 * q, sizeof a8);
            memcpy(&m8, kmul + j + 8 * q, sizeof m8);
            const v8f t = a8 + m8 * g8;
            m[q] = ((t >= vlo) & (t <= vhi)) | (t >= vge);
            any |= m[q];
        }
        uint64_t w[4];
        memcpy(w, &any, sizeof w);
        if ((w[0] | w[1] | w[2] | w[3]) == 0)
            continue;
        for (int q = 0; q < 4; q++)
            for (int k = 0; k < 8; k++)
                if (m[q][k])
                    hits[n++] = (int32_t)(j + 8 * q + k);
    }
    for (; j < j1; j++) {
        const float t = kadd[j] + kmul[j] * g[j];
        if ((t >= lo && t <= hi) || t >= ge)
            hits[n++] = (int32_t)j;
    }
    return n;
}

__attribute__((target_clones("avx2", "default")))
static int64_t key_count(const float *g, const float *kadd, const float *kmul, int64_t j0,
                         int64_t j1, float below, float hi, int32_t *hits, int64_t *nhit)
{
    const v8f vb = {below, below, below, below, below, below, below, below};
    const v8f vh = {hi, hi, hi, hi, hi, hi, hi, hi};
    v8i acc = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t n = *nhit, j = j0;
    for (; j + 8 <= j1; j += 8) {
        v8f g8, a8, m8;
        memcpy(&g8, g + j, sizeof g8);
        memcpy(&a8, kadd + j, sizeof a8);
        memcpy(&m8, kmul + j, sizeof m8);
        const v8f t = a8 + m8 * g8;
        const v8i lt = t < vb, band = (t >= vb) & (t <= vh);
        acc -= lt; /* a true lane is -1 */
        uint64_t w[4];
        memcpy(w, &band, sizeof w);
        if ((w[0] | w[1] | w[2] | w[3]) == 0)
            continue;
        for (int k = 0; k < 8; k++)
            if (band[k])
                hits[n++] = (int32_t)(j + k);
    }
    int64_t count = 0;
    for (int k = 0; k < 8; k++)
        count += acc[k];
    for (; j < j1; j++) {
        const float t = kadd[j] + kmul[j] * g[j];
        if (t < below)
            count++;
        else if (t <= hi)
            hits[n++] = (int32_t)j;
    }
    *nhit = n;
    return count;
}

/* ---- double intervals ---------------------------------------------------- */

__attribute__((target_clones("avx2", "default")))
static uint64_t row_blocks(const int64_t *clab, int64_t lab, const double *lo, const double *hi,
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

__attribute__((target_clones("avx512f", "avx2", "default")))
static void interval_row(tm_metric_t metric, tm_kern_bound_t b, double na, double ra,
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
    if (!tm_kern_bound_useful(b)) {
        /* No usable bound (a dimension beyond it): every candidate open. */
        for (int64_t j = 0; j < nc; j++) {
            lo[j] = metric_units && metric == TM_METRIC_EUCLIDEAN ? 0.0 : -INFINITY;
            hi[j] = INFINITY;
        }
        return;
    }
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
 * The exported entry points of the functions cloned for AVX2 above: clang
 * gives a target_clones function no symbol that other files can link to,
 * so each is static here and called through one of these.
 */
void tm_key_minmax(const float *g, const float *kadd, const float *kmul, int64_t j0, int64_t j1,
                   float *tmin, float *tmax)
{
    key_minmax(g, kadd, kmul, j0, j1, tmin, tmax);
}

int64_t tm_key_scan(const float *g, const float *kadd, const float *kmul, int64_t j0, int64_t j1,
                    float lo, float hi, float ge, int32_t *hits)
{
    return key_scan(g, kadd, kmul, j0, j1, lo, hi, ge, hits);
}

int64_t tm_key_count(const float *g, const float *kadd, const float *kmul, int64_t j0, int64_t j1,
                     float below, float hi, int32_t *hits, int64_t *nhit)
{
    return key_count(g, kadd, kmul, j0, j1, below, hi, hits, nhit);
}

uint64_t tm_row_blocks(const int64_t *clab, int64_t lab, const double *lo, const double *hi,
                       int64_t n, double gate, double min_dist, double pgate)
{
    return row_blocks(clab, lab, lo, hi, n, gate, min_dist, pgate);
}

void tm_interval_row(tm_metric_t metric, tm_kern_bound_t b, double na, double ra,
                     const tm_rows_t *cand, int64_t c0, int64_t nc, const float *g,
                     int metric_units, double *lo, double *hi)
{
    interval_row(metric, b, na, ra, cand, c0, nc, g, metric_units, lo, hi);
}

int tm_looks_again(const tm_tile_t *t)
{
    return t->bound.gamma > 4.0 * tm_kern_bound(t->anch->dim).gamma;
}

void tm_look_again(tm_metric_t metric, const tm_rows_t *anch, int64_t a, const tm_rows_t *cand,
                   const int64_t *rows, int64_t n, double *lo, double *hi)
{
    const int64_t dim = anch->dim;
    const tm_kern_bound_t b = tm_kern_bound(dim);
    /* The rows are anywhere in the block: ask for them two batches early. */
    for (int64_t k = 0; k < n && k < 8; k++)
        for (int64_t off = 0; off < dim; off += 16)
            __builtin_prefetch(cand->emb + rows[k] * dim + off);
    for (int64_t k0 = 0; k0 < n; k0 += 4) {
        for (int64_t k = k0 + 8; k < k0 + 12 && k < n; k++)
            for (int64_t off = 0; off < dim; off += 16)
                __builtin_prefetch(cand->emb + rows[k] * dim + off);
        const int w = n - k0 >= 4 ? 4 : (int)(n - k0);
        const float *crow[4];
        float g[4];
        for (int u = 0; u < w; u++)
            crow[u] = cand->emb + rows[k0 + u] * dim;
        tm_kern_dots(anch->emb + a * dim, crow, w, dim, g);
        for (int u = 0; u < w; u++) {
            const int64_t k = k0 + u, r = rows[k];
            double f, e;
            tm_kern_approx(metric, b, anch->sqnorm[a], anch->norm[a], cand->sqnorm[r],
                           cand->norm[r], g[u], &f, &e);
            lo[k] = f - e > lo[k] ? f - e : lo[k];
            hi[k] = f + e < hi[k] ? f + e : hi[k];
        }
    }
}

int tm_hits_intervals(const tm_tile_t *t, int64_t a, const tm_keyrow_t *kr, const float *g,
                      const int32_t *hits, int64_t n, double *lo, double *hi)
{
    const tm_rows_t *cand = t->cand;
    const int64_t c0 = t->c0;
    const float *kadd = cand->kadd + c0, *kmul = cand->kmul + c0;
    for (int64_t k = 0; k < n; k++) {
        const int64_t j = hits[k];
        const float key = kadd[j] + kmul[j] * g[j];
        lo[k] = tm_key_lo(kr, key);
        hi[k] = tm_key_hi(kr, key);
    }
    if (!tm_looks_again(t))
        return 0;
    int64_t rows[TM_LOOK_ROWS];
    for (int64_t k0 = 0; k0 < n; k0 += TM_LOOK_ROWS) {
        const int64_t w = n - k0 < TM_LOOK_ROWS ? n - k0 : TM_LOOK_ROWS;
        for (int64_t u = 0; u < w; u++)
            rows[u] = c0 + hits[k0 + u];
        tm_look_again(t->metric, t->anch, a, cand, rows, w, lo + k0, hi + k0);
    }
    return 1;
}

/* ---- the per-anchor skeleton of a tile ------------------------------------ */

void tm_tile_rows(const tm_tile_t *t, void *st, tm_row_skip_fn skip, tm_row_fn keys,
                  tm_row_fn intervals)
{
    const int64_t nc = t->c1 - t->c0;
    tm_rowctx_t r;
    r.t = t;
    r.nc = nc;
    r.lo = t->scratch;
    r.hi = t->scratch + nc;
    r.hits = (int32_t *)(void *)(t->scratch + 2 * nc);
    tm_tilekeys_t tk;
    tm_tilekeys(t->metric, t->cand, t->c0, t->c1, &tk);
    for (int64_t a = t->a0; a < t->a1; a++) {
        if (!tm_tile_takes(t, a) || (skip != NULL && skip(st, a)))
            continue;
        tm_keyrow_t kr;
        if (tk.ok)
            tm_keyrow(t->metric, t->bound, &tk, t->anch, a, t->cand, t->c0, t->c1, &kr);
        r.a = a;
        r.g = t->G != NULL ? tm_tile_g(t, a) : NULL;
        r.kr = tk.ok && kr.ok ? &kr : NULL;
        (r.kr != NULL ? keys : intervals)(st, &r);
    }
}
