/*
 * kern.h - fast float32 distance tiles and their rigorous error bounds.
 *
 * A tile is the matrix of dot products between a block of anchors and a
 * block of candidates, computed with sgemm. From a dot product g and the
 * squared norms (computed in double) an approximate distance f in the
 * metric's fast space (see exact.h) follows, with a bound e such that the
 * exact value lies in [f - e, f + e]. The bound covers any order of
 * summation inside sgemm: |g - a.c| <= gamma_D |a||c| with
 * gamma_D = D u / (1 - D u), u = 2^-24, plus D times the smallest float32
 * for products and sums that fall below float32's normal range, plus the
 * (much smaller) rounding of the double arithmetic on both sides. A dot
 * product that overflows float32 carries no information: its interval is
 * unbounded and the candidate is always decided exactly.
 */
#ifndef TRIPMINER_KERN_H
#define TRIPMINER_KERN_H

#include <math.h>
#include <stdint.h>

#include "tripminer/metric.h"

/* Constants of the error bound for one dimension D. */
typedef struct tm_kern_bound {
    double gamma;  /* float32 dot-product bound, relative to |a||c| */
    double tiny;   /* absolute bound from products that underflow in float32 */
    double slack;  /* double-rounding bound, relative to |a|^2 + |c|^2 (or 1) */
} tm_kern_bound_t;

/*
 * gamma = nu / (1 - nu) for a sum of relative rounding errors nu, while the
 * denominator is safely positive (nu < 1/2); beyond that the dot product
 * carries no usable information and gamma is +infinity (every interval built
 * on it is then (-inf, +inf), so every candidate is decided exactly). Local.
 */
static inline double tm_kern_gamma(double nu)
{
    return nu < 0.5 ? nu / (1.0 - nu) : INFINITY;
}

/* Whether a bound says anything: a tile whose bound is not is of no use. */
static inline int tm_kern_bound_useful(tm_kern_bound_t b)
{
    return b.gamma < INFINITY && b.tiny < INFINITY && b.slack < INFINITY;
}

/*
 * The bound constants for dimension dim: finite for D + 2 < 2^23, gamma
 * infinite beyond (see tm_kern_gamma). Local.
 */
tm_kern_bound_t tm_kern_bound(int64_t dim);

/*
 * G (m x n, row-major) = A (m x dim) times C (n x dim) transposed, in
 * float32 with CBLAS sgemm. Local; thread-safe when BLAS runs one thread.
 */
void tm_kern_gram(const float *A, int64_t m, const float *C, int64_t n, int64_t dim, float *G);

/*
 * out[r] = a.c[r] for n <= 4 rows, in float32 with partial sums: any order
 * of sums is within tm_kern_bound(dim), as sgemm's is. For a second look
 * at the few candidates a fast kernel's tile cannot decide. Local.
 */
void tm_kern_dots(const float *a, const float *const *c, int n, int64_t dim, float *out);

/*
 * Rows the calling thread's tm_kern_dots has computed so far: a fast
 * kernel's tile is charged for them as for its exact re-checks when the
 * sweep weighs it against float32 (run/sweep.c). Local.
 */
int64_t tm_kern_dot_count(void);

/* The same with plain loops accumulating in double: the reference. Local. */
void tm_kern_gram_ref(const float *A, int64_t m, const float *C, int64_t n, int64_t dim,
                      double *G);

/*
 * Approximate fast-space distance and its error bound from one dot product.
 * na, nc: squared norms; ra, rc: their square roots. Local.
 */
static inline void tm_kern_approx(tm_metric_t metric, tm_kern_bound_t b, double na, double ra,
                                  double nc, double rc, float g, double *f, double *e)
{
    if (!isfinite(g) || !tm_kern_bound_useful(b)) {
        /* The float32 sums overflowed, or the dimension is beyond what the
         * bound covers: no information, decide exactly. */
        *f = 0.0;
        *e = INFINITY;
    } else if (metric == TM_METRIC_COSINE) {
        if (na == 0.0 || nc == 0.0) {
            *f = 1.0; /* the exact rule for a zero vector, no rounding */
            *e = 0.0;
        } else {
            *f = 1.0 - (double)g / (ra * rc);
            *e = b.gamma + b.tiny / (ra * rc) + b.slack;
        }
    } else {
        *f = na + nc - 2.0 * (double)g;
        *e = 2.0 * (b.gamma * ra * rc + b.tiny) + b.slack * (na + nc);
    }
}

/*
 * The interval [*lo, *hi] that surely holds the exact distance in the
 * metric's own units (not fast space): for euclidean the square roots of
 * the fast-space ends, which is safe because the rounded square root is
 * monotone. Local.
 */
static inline void tm_kern_interval(tm_metric_t metric, tm_kern_bound_t b, double na, double ra,
                                    double nc, double rc, float g, double *lo, double *hi)
{
    double f, e;
    tm_kern_approx(metric, b, na, ra, nc, rc, g, &f, &e);
    *lo = f - e;
    *hi = f + e;
    if (metric == TM_METRIC_EUCLIDEAN) {
        *lo = *lo > 0.0 ? sqrt(*lo) : 0.0;
        *hi = *hi > 0.0 ? sqrt(*hi) : 0.0;
    }
}

#endif
