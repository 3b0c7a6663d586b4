/*
 * kern.c - sgemm tiles and the reference loops beside them.
 */
#include "core/kern.h"

#include <cblas.h>
#include <string.h>

tm_kern_bound_t tm_kern_bound(int64_t dim)
{
    const double u = 0x1p-24;
    /* Two extra terms: rounding of the products themselves and a margin. */
    double du = (double)(dim + 2) * u;
    tm_kern_bound_t b;
    b.gamma = tm_kern_gamma(du);
    /* Each of the D products and D sums may lose up to half the smallest
     * subnormal, 2^-150, when it underflows. */
    b.tiny = (double)(dim + 2) * 0x1p-148;
    /*
     * Double sums of D terms err by at most about D 2^-53 relative; the
     * exact value and the approximation each carry a few such terms.
     */
    b.slack = (double)(dim + 8) * 0x1p-49;
    return b;
}

typedef float kv16 __attribute__((vector_size(64)));
typedef float kv8 __attribute__((vector_size(32)));
typedef float kv4 __attribute__((vector_size(16)));

/* The sum of the lanes, halves added pairwise (by pointer: a 64-byte vector argument changes ABI). */
static inline float lanes_sum(const kv16 *v)
{
    kv8 h0, h1;
    memcpy(&h0, v, sizeof h0);
    memcpy(&h1, (const char *)v + sizeof h0, sizeof h1);
    const kv8 h = h0 + h1;
    kv4 q0, q1;
    memcpy(&q0, &h, sizeof q0);
    memcpy(&q1, (const char *)&h + sizeof q0, sizeof q1);
    const kv4 q = q0 + q1;
    return (q[0] + q[2]) + (q[1] + q[3]);
}

/* a against N rows, sixteen components at a time (N a constant where inlined). */
static inline __attribute__((always_inline)) void dots_n(const int N, const float *a,
                                                         const float *const *c, int64_t dim,
                                                         float *out)
{
    kv16 acc[4] = {{0}};
    int64_t k = 0;
    for (; k + 16 <= dim; k += 16) {
        kv16 x;
        memcpy(&x, a + k, sizeof x);
        for (int r = 0; r < N; r++) {
            kv16 y;
            memcpy(&y, c[r] + k, sizeof y);
            acc[r] += x * y;
        }
    }
    for (int r = 0; r < N; r++) {
        float s = lanes_sum(&acc[r]);
        for (int64_t i = k; i < dim; i++)
            s += a[i] * c[r][i];
        out[r] = s;
    }
}

__attribute__((target_clones("avx512f", "avx2", "default")))
static void dots(const float *a, const float *const *c, int n, int64_t dim, float *out)
{
    switch (n) {
    case 4: dots_n(4, a, c, dim, out); break;
    case 3: dots_n(3, a, c, dim, out); break;
    case 2: dots_n(2, a, c, dim, out); break;
    case 1: dots_n(1, a, c, dim, out); break;
    default: break;
    }
}

/* Rows this thread's tm_kern_dots has computed. */
static _Thread_local int64_t dot_count;

void tm_kern_dots(const float *a, const float *const *c, int n, int64_t dim, float *out)
{
    dots(a, c, n, dim, out);
    dot_count += n;
}

int64_t tm_kern_dot_count(void)
{
    return dot_count;
}

void tm_kern_gram(const float *A, int64_t m, const float *C, int64_t n, int64_t dim, float *G)
{
    if (m == 0 || n == 0)
        return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)n, (blasint)dim,
                1.0f, A, (blasint)dim, C, (blasint)dim, 0.0f, G, (blasint)n);
}

void tm_kern_gram_ref(const float *A, int64_t m, const float *C, int64_t n, int64_t dim,
                      double *G)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0.0;
            for (int64_t k = 0; k < dim; k++)
                s += (double)A[i * dim + k] * (double)C[j * dim + k];
            G[i * n + j] = s;
        }
}
