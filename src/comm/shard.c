/*
 * shard.c - block partition of the rows and per-row norms.
 */
#include "comm/shard.h"

#include <stdlib.h>
#include <string.h>

#include "core/exact.h"

void tm_shard_range(int64_t n_global, int nranks, int rank, int64_t *lo, int64_t *n)
{
    int64_t base = n_global / nranks;
    int64_t extra = n_global % nranks;
    *lo = rank * base + (rank < extra ? rank : extra);
    *n = base + (rank < extra ? 1 : 0);
}

void tm_shard_sqnorms(const float *emb, int64_t n, int64_t dim, double *sqnorm)
{
    for (int64_t i = 0; i < n; i++)
        sqnorm[i] = tm_exact_sqnorm(emb + i * dim, dim);
}

void tm_shard_free(tm_shard_t *s)
{
    free(s->emb);
    free(s->labels);
    free(s->sqnorm);
    memset(s, 0, sizeof *s);
}
