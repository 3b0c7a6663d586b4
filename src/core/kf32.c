/*
 * kf32.c - the float32 kernel: CBLAS sgemm on the rows as they are
 * (kern.c), with kern.h's bound, gamma = (D + 2) 2^-24 / (1 - (D + 2) 2^-24).
 * It needs no CPU feature, packs nothing and takes every row and every
 * dimension (past D + 2 = 2^23 its bound is infinite: every candidate is
 * then decided exactly), so every other kernel falls back to it tile by
 * tile (run/sweep.c).
 */
#include "core/kernel.h"

static int tile(const tm_ktile_t *t, float *G, tm_kern_bound_t *b)
{
    (void)b; /* the dimension's bound, whatever the rows */
    const int64_t dim = t->anch->dim;
    tm_kern_gram(t->anch->emb + t->a0 * dim, t->a1 - t->a0, t->cand->emb + t->c0 * dim,
                 t->c1 - t->c0, dim, G);
    return 1;
}

const tm_kernel_t tm_kernel_f32 = {
    .name = "f32",
    .feature = NULL,
    .cpu = NULL,
    .max_dim = INT64_MAX,
    .bound = tm_kern_bound,
    .pack_bytes = NULL,
    .aux = 0,
    .pack = NULL,
    .tile = tile,
};
