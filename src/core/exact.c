/*
 * exact.c - reference distances in double. Compiled with
 * -ffp-contract=off (see CMakeLists.txt): keep every operation as written.
 */
#include "core/exact.h"

#include <math.h>

double tm_exact_sqnorm(const float *a, int64_t dim)
{
    double s = 0.0;
    for (int64_t i = 0; i < dim; i++)
        s += (double)a[i] * (double)a[i];
    return s;
}

/* Exact distances this thread has computed (tm_exact_count). */
static _Thread_local int64_t exact_count;

int64_t tm_exact_count(void)
{
    return exact_count;
}

double tm_exact_fast(tm_metric_t metric, const float *a, const float *b, int64_t dim)
{
    exact_count++;
    if (metric == TM_METRIC_COSINE) {
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

double tm_exact_from_fast(tm_metric_t metric, double fast)
{
    return metric == TM_METRIC_EUCLIDEAN ? sqrt(fast) : fast;
}

double tm_exact_dist(tm_metric_t metric, const float *a, const float *b, int64_t dim)
{
    return tm_exact_from_fast(metric, tm_exact_fast(metric, a, b, dim));
}

/*
 * Four distances at once, each the same operations in the same order as
 * tm_exact_dist (so the same bits): the four chains of additions share the
 * lanes of a vector instead of waiting on each other.
 */
__attribute__((target_clones("avx2", "default")))
static void sqdist4(const float *a, const float *const b[4], int64_t dim, double out[4])
{
    typedef double v4d __attribute__((vector_size(32)));
    v4d s = {0.0, 0.0, 0.0, 0.0};
    for (int64_t i = 0; i < dim; i++) {
        const double x = (double)a[i];
        const v4d y = {(double)b[0][i], (double)b[1][i], (double)b[2][i], (double)b[3][i]};
        const v4d t = x - y;
        s += t * t;
    }
    for (int k = 0; k < 4; k++)
        out[k] = s[k];
}

/* Eight at once: two vectors of four chains, so that each add waits on neither. */
__attribute__((target_clones("avx2", "default")))
static void sqdist8(const float *a, const float *const b[8], int64_t dim, double out[8])
{
    typedef double v4d __attribute__((vector_size(32)));
    v4d s = {0.0, 0.0, 0.0, 0.0}, u = {0.0, 0.0, 0.0, 0.0};
    for (int64_t i = 0; i < dim; i++) {
        const double x = (double)a[i];
        const v4d y = {(double)b[0][i], (double)b[1][i], (double)b[2][i], (double)b[3][i]};
        const v4d z = {(double)b[4][i], (double)b[5][i], (double)b[6][i], (double)b[7][i]};
        const v4d t = x - y, w = x - z;
        s += t * t;
        u += w * w;
    }
    for (int k = 0; k < 4; k++) {
        out[k] = s[k];
        out[4 + k] = u[k];
    }
}

void tm_exact_fastn(tm_metric_t metric, const float *a, const float *const *b, int n,
                    int64_t dim, double *out)
{
    if (metric == TM_METRIC_COSINE || n == 1) {
        for (int k = 0; k < n; k++)
            out[k] = tm_exact_fast(metric, a, b[k], dim);
        return;
    }
    /* The short batch padded with its last row; only n are counted. */
    const float *rows[8];
    double v[8];
    const int w = n > 4 ? 8 : 4;
    for (int k = 0; k < w; k++)
        rows[k] = b[k < n ? k : n - 1];
    if (w == 8)
        sqdist8(a, rows, dim, v);
    else
        sqdist4(a, rows, dim, v);
    exact_count += n;
    for (int k = 0; k < n; k++)
        out[k] = v[k];
}

void tm_exact_dist4(tm_metric_t metric, const float *a, const float *const b[4], int64_t dim,
                    double out[4])
{
    tm_exact_fastn(metric, a, b, 4, dim, out);
    for (int k = 0; k < 4; k++)
        out[k] = tm_exact_from_fast(metric, out[k]);
}

void tm_exact_normalize_rows(float *emb, int64_t n, int64_t dim)
{
    for (int64_t r = 0; r < n; r++) {
        float *row = emb + r * dim;
        double norm = sqrt(tm_exact_sqnorm(row, dim));
        if (norm > 0.0)
            for (int64_t i = 0; i < dim; i++)
                row[i] = (float)((double)row[i] / norm);
    }
}
