/*
 * stats.c - the statistics of "tripminer inspect": quantiles of
 * sorted values and histograms with round bins anchored at a value.
 */
#define _DEFAULT_SOURCE /* M_SQRT2 */
#include "tripminer/inspect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tripminer/err.h"

const double tm_inspect_q_levels[TM_INSPECT_NQ] = {0.0, 0.01, 0.5, 0.99, 1.0};

double tm_inspect_quantile_f64(const double *x, int64_t n, double p)
{
    if (n < 1 || !(p >= 0.0 && p <= 1.0))
        return NAN;
    double h = (double)(n - 1) * p;
    int64_t j = (int64_t)floor(h);
    if (j >= n - 1)
        return x[n - 1];
    double g = h - (double)j;
    return x[j] + g * (x[j + 1] - x[j]);
}

double tm_inspect_quantile_f32(const float *x, int64_t n, double p)
{
    if (n < 1 || !(p >= 0.0 && p <= 1.0))
        return NAN;
    double h = (double)(n - 1) * p;
    int64_t j = (int64_t)floor(h);
    if (j >= n - 1)
        return (double)x[n - 1];
    double g = h - (double)j;
    return (double)x[j] + g * ((double)x[j + 1] - (double)x[j]);
}

double tm_inspect_nice_step(double raw)
{
    static const double mult[] = {1.0, 2.0, 2.5, 5.0, 10.0};
    if (!(raw > 0.0) || !isfinite(raw))
        return 1.0;
    int e = (int)floor(log10(raw));
    /*
     * m * 10^e as one correctly rounded operation on exact operands, so
     * that 0.025 is the double nearest to 0.025 and prints as such.
     */
    double p10 = pow(10.0, (double)abs(e));
    for (int pass = 0; pass < 2; pass++, e++, p10 = e >= 0 ? p10 * 10.0 : p10 / 10.0) {
        for (size_t k = 0; k < sizeof mult / sizeof mult[0]; k++) {
            double s = e >= 0 ? mult[k] * p10 : mult[k] / p10;
            if (s >= raw && isfinite(s) && s > 0.0)
                return s;
        }
    }
    return raw; /* log10 was far off: only possible near the limits */
}

int tm_inspect_hist_layout(tm_inspect_hist_t *h, double lo, double hi, double anchor,
                           int target)
{
    memset(h, 0, sizeof *h);
    h->anchor_edge = -1;
    if (!(isfinite(lo) && isfinite(hi) && lo <= hi) || target < 1)
        return TM_EINTERNAL;
    if (!isfinite(anchor))
        anchor = 0.0;
    double span = hi - lo;
    double scale = fmax(fmax(fabs(lo), fabs(hi)), fabs(anchor));
    double raw = span > 0.0 ? span / target : (scale > 0.0 ? scale : 1.0) / target;
    /* Edges must stay distinct doubles: never finer than the values' scale allows. */
    if (raw < scale * 1e-9)
        raw = scale * 1e-9;
    /*
     * The round step nearest raw (on a log scale) rather than the next one
     * up: between about target / 1.4 and 1.4 target bins, not target / 2.
     */
    double w = tm_inspect_nice_step(raw / M_SQRT2);
    double k0 = floor((lo - anchor) / w), k1 = ceil((hi - anchor) / w);
    for (int it = 0; it < 8 && anchor + k0 * w > lo; it++)
        k0 -= 1.0;
    for (int it = 0; it < 8 && anchor + k1 * w < hi; it++)
        k1 += 1.0;
    if (k1 <= k0)
        k1 = k0 + 1.0;
    double nb = k1 - k0;
    if (!(nb >= 1.0 && nb <= 1e6))
        return TM_EINTERNAL;
    h->nbins = (int64_t)nb;
    h->width = w;
    h->edges = malloc((size_t)(h->nbins + 1) * sizeof *h->edges);
    h->counts = calloc((size_t)h->nbins, sizeof *h->counts);
    if (h->edges == NULL || h->counts == NULL) {
        tm_inspect_hist_free(h);
        return TM_ENOMEM;
    }
    for (int64_t i = 0; i <= h->nbins; i++) {
        double k = k0 + (double)i;
        double e = k == 0.0 ? anchor : anchor + k * w;
        /*
         * anchor + k w can miss zero by an ulp, and zero reads better; but
         * the anchor stays itself and the ends keep covering [lo, hi].
         */
        if (k != 0.0 && fabs(e) < w * 1e-9 && (i > 0 || lo >= 0.0) &&
            (i < h->nbins || hi <= 0.0))
            e = 0.0;
        h->edges[i] = e;
        if (k == 0.0)
            h->anchor_edge = i;
    }
    return 0;
}

int64_t tm_inspect_hist_bin(const tm_inspect_hist_t *h, double x)
{
    if (h->nbins < 1)
        return -1;
    double t = (x - h->edges[0]) / h->width;
    int64_t i = 0;
    if (t >= (double)h->nbins)
        i = h->nbins - 1;
    else if (t > 0.0) /* also false for NaN */
        i = (int64_t)t;
    /* The edges decide, not the arithmetic above. */
    while (i > 0 && x < h->edges[i])
        i--;
    while (i < h->nbins - 1 && x >= h->edges[i + 1])
        i++;
    return i;
}

void tm_inspect_hist_add(tm_inspect_hist_t *h, double x)
{
    int64_t i = tm_inspect_hist_bin(h, x);
    if (i >= 0) {
        h->counts[i]++;
        h->total++;
    }
}

void tm_inspect_hist_free(tm_inspect_hist_t *h)
{
    free(h->edges);
    free(h->counts);
    memset(h, 0, sizeof *h);
    h->anchor_edge = -1;
}
