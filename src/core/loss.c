/*
 * loss.c - hinge and softplus losses; exact, rank-invariant sums.
 */
#include "core/loss.h"

#include <math.h>
#include <string.h>

#include "tripminer/err.h"

/* Bin 0 holds multiples of 2^TM_LOSS_EXP0 (24-bit mantissas of subnormals). */
#define TM_LOSS_EXP0 (-172)

double tm_loss_value(tm_loss_kind_t kind, double margin, double d_ap, double d_an)
{
    double x = d_ap - d_an + margin;
    if (kind == TM_LOSS_HINGE)
        return x > 0.0 ? x : 0.0;
    /* log(1 + exp(x)), without overflow for large x. */
    return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

void tm_loss_stats_init(tm_loss_stats_t *s)
{
    memset(s, 0, sizeof *s);
}

void tm_loss_stats_add(tm_loss_stats_t *s, float loss)
{
    s->num_triplets++;
    if (loss > 0.0f)
        s->active_triplets++;
    if (!(loss > 0.0f))
        return; /* zero (losses are never negative) */
    if (isinf(loss)) {
        s->infinite++;
        return;
    }
    int e = 0;
    float m = frexpf(loss, &e); /* loss = m 2^e, m in [0.5, 1) */
    int64_t k = (int64_t)ldexpf(m, 24);
    int bin = e - 24 - TM_LOSS_EXP0;
    s->bins[bin] += k;
}

double tm_loss_stats_sum(const tm_loss_stats_t *s)
{
    if (s->infinite > 0)
        return INFINITY;
    /*
     * Bin i + 1 weighs twice bin i: propagate carries until every bin is
     * 0 or 1, so that the exact total is written in binary, then round
     * its top 53 bits to nearest, ties to even.
     */
    int64_t b[TM_LOSS_BINS];
    memcpy(b, s->bins, sizeof b);
    for (int i = 0; i + 1 < TM_LOSS_BINS; i++) {
        b[i + 1] += b[i] >> 1;
        b[i] &= 1;
    }
    int top = TM_LOSS_BINS - 1;
    while (top >= 0 && b[top] == 0)
        top--;
    if (top < 0)
        return 0.0;
    int low = top - 52 > 0 ? top - 52 : 0; /* lowest bit kept */
    uint64_t mant = 0;
    for (int i = top; i >= low; i--)
        mant = (mant << 1) | (uint64_t)b[i];
    if (low > 0) {
        int guard = (int)b[low - 1], sticky = 0;
        for (int i = low - 2; i >= 0 && !sticky; i--)
            sticky = b[i] != 0;
        if (guard && (sticky || (mant & 1)))
            mant++; /* may carry to 2^53: still exact in double */
    }
    return ldexp((double)mant, low + TM_LOSS_EXP0);
}

int tm_loss_stats_reduce(const tm_loss_stats_t *local, tm_loss_stats_t *out, MPI_Comm comm)
{
    int64_t buf[TM_LOSS_BINS + 4], res[TM_LOSS_BINS + 4];
    memcpy(buf, local->bins, sizeof local->bins);
    buf[TM_LOSS_BINS + 0] = local->num_triplets;
    buf[TM_LOSS_BINS + 1] = local->active_triplets;
    buf[TM_LOSS_BINS + 2] = local->skipped_anchors;
    buf[TM_LOSS_BINS + 3] = local->infinite;
    if (MPI_Reduce(buf, res, TM_LOSS_BINS + 4, MPI_INT64_T, MPI_SUM, 0, comm) != MPI_SUCCESS)
        return TM_EMPI;
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) {
        memcpy(out->bins, res, sizeof out->bins);
        out->num_triplets = res[TM_LOSS_BINS + 0];
        out->active_triplets = res[TM_LOSS_BINS + 1];
        out->skipped_anchors = res[TM_LOSS_BINS + 2];
        out->infinite = res[TM_LOSS_BINS + 3];
    }
    return 0;
}
