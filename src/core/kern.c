/*
 * kern.c - sgemm tiles and the reference loops beside them.
 */
#include "core/kern.h"

#include <cblas.h>

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
