/*
 * exact.h - the reference ("exact") distances: plain double loops over the
 * float32 vectors in use. Every mining decision is made on these values;
 * the fast kernels only filter candidates. The formulas, bit for bit:
 *
 *   sqeuclidean  s = sum_i ((double)a_i - (double)b_i)^2, i = 0 .. D-1 in order
 *   euclidean    sqrt(sqeuclidean)
 *   cosine       dot, |a|^2, |b|^2 summed in order in double;
 *                1 if either norm is 0, else 1 - dot / (sqrt(|a|^2) * sqrt(|b|^2))
 *
 * This file is compiled without floating-point contraction (no FMA), so
 * the values are the same on every rank and in every build.
 */
#ifndef TRIPMINER_EXACT_H
#define TRIPMINER_EXACT_H

#include <stdint.h>

#include "tripminer/metric.h"

/* Squared norm of a row in double. Local. */
double tm_exact_sqnorm(const float *a, int64_t dim);

/*
 * The metric's value in its "fast space": squared euclidean distance for
 * sqeuclidean and euclidean, the cosine distance for cosine. Local.
 */
double tm_exact_fast(tm_metric_t metric, const float *a, const float *b, int64_t dim);

/* From the fast-space value to the metric's own value. Local. */
double tm_exact_from_fast(tm_metric_t metric, double fast);

/* The metric's value: tm_exact_from_fast(tm_exact_fast(...)). Local. */
double tm_exact_dist(tm_metric_t metric, const float *a, const float *b, int64_t dim);

/*
 * L2-normalise n rows in place: each value divided by the row's norm
 * computed in double, rounded to float32; an all-zero row stays zero.
 * Local.
 */
void tm_exact_normalize_rows(float *emb, int64_t n, int64_t dim);

/*
 * How many exact distances the calling thread has computed so far (every
 * tm_exact_fast, each of tm_exact_dist4's four and tm_exact_fastn's n):
 * the sweep counts the re-checks of the fast filter with it. Local.
 */
int64_t tm_exact_count(void);

/*
 * tm_exact_fast of a against b[0 .. n), 1 <= n <= 8, bit for bit, as fast
 * as four or eight at once (the chains run side by side, so a short batch
 * costs what a full one does). Local.
 */
void tm_exact_fastn(tm_metric_t metric, const float *a, const float *const *b, int n,
                    int64_t dim, double *out);

/* tm_exact_dist of a against b[0..3], bit for bit, faster. Local. */
void tm_exact_dist4(tm_metric_t metric, const float *a, const float *const b[4], int64_t dim,
                    double out[4]);

#endif
