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

double tm_exact_fast(tm_metric_t metric, const float *a, const float *b, int64_t dim)
{
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
