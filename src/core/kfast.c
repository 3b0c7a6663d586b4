/*
 * kfast.c - the fast kernels behind one interface (kfast.h): which this CPU
 * runs, their packs, and a tile with its bound.
 */
#include "core/kfast.h"

#include <stdlib.h>
#include <string.h>

#include "tripminer/err.h"

const char *tm_kernel_name(tm_kernel_t k)
{
    switch (k) {
    case TM_KERNEL_F32: return "f32";
    case TM_KERNEL_BF16: return "bf16";
    case TM_KERNEL_INT8: return "int8";
    default: return "auto";
    }
}

int tm_kernel_supported(tm_kernel_t k)
{
    switch (k) {
    case TM_KERNEL_BF16: return tm_kbf16_supported();
    case TM_KERNEL_INT8: return tm_kint8_supported();
    default: return 1;
    }
}

tm_kernel_t tm_kernel_resolve(tm_kernel_t k)
{
    if (k != TM_KERNEL_AUTO)
        return k;
    /*
     * int8 runs at about twice bf16's rate with a bound about 2.5 times
     * looser; end to end it won for every rule measured but sample with a
     * pool of 100 (README, Performance).
     */
    if (tm_kint8_supported())
        return TM_KERNEL_INT8;
    return tm_kbf16_supported() ? TM_KERNEL_BF16 : TM_KERNEL_F32;
}

int tm_kernel_takes_dim(tm_kernel_t k, int64_t dim)
{
    switch (k) {
    case TM_KERNEL_BF16: return tm_kern_bound_useful(tm_kbf16_bound(dim));
    case TM_KERNEL_INT8: return dim <= tm_kint8_max_dim();
    default: return 1;
    }
}

static int64_t data_bytes(tm_kernel_t kind, tm_kside_t side, int64_t cap, int64_t dim)
{
    return kind == TM_KERNEL_INT8 ? tm_kint8_bytes(side, cap, dim)
                                  : tm_kbf16_bytes(side, cap, dim);
}

static int64_t aux_floats(tm_kernel_t kind, int64_t cap, int64_t dim)
{
    return kind == TM_KERNEL_INT8 ? cap * tm_kint8_aux(dim) : 0;
}

int64_t tm_kpack_bytes(tm_kernel_t kind, tm_kside_t side, int64_t cap, int64_t dim)
{
    return data_bytes(kind, side, cap, dim) + 64 + aux_floats(kind, cap, dim) * 4 +
           (cap + 1) * 8;
}

int tm_kpack_init(tm_kpack_t *p, tm_kernel_t kind, tm_kside_t side, int64_t cap, int64_t dim)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->side = side;
    p->cap = cap;
    p->dim = dim;
    /* aligned_alloc wants a multiple of the alignment; keep one row of slack. */
    size_t bytes = (size_t)data_bytes(kind, side, cap > 0 ? cap : 1, dim);
    bytes = (bytes + 63) / 64 * 64;
    p->data = aligned_alloc(64, bytes);
    const int64_t naux = aux_floats(kind, cap, dim);
    p->aux = naux > 0 ? malloc((size_t)naux * sizeof *p->aux) : NULL;
    p->bad = calloc((size_t)cap + 1, sizeof *p->bad);
    if (p->data == NULL || p->bad == NULL || (naux > 0 && p->aux == NULL)) {
        tm_kpack_free(p);
        return TM_ENOMEM;
    }
    return 0;
}

void tm_kpack_free(tm_kpack_t *p)
{
    free(p->data);
    free(p->aux);
    free(p->bad);
    memset(p, 0, sizeof *p);
}

void tm_kpack_rows(tm_kpack_t *p, const float *emb, int64_t n, int64_t r0, int64_t r1)
{
    /* Each kernel's pack sets the mark bad[r + 1] of every row r it packs. */
    if (p->kind == TM_KERNEL_INT8)
        tm_kint8_pack(p, emb, n, r0, r1);
    else
        tm_kbf16_pack(p, emb, n, r0, r1);
    if (r1 >= n)
        p->n = n;
}

void tm_kpack_done(tm_kpack_t *p)
{
    /* bad[r + 1] holds row r's mark: make it the count of marked rows before r + 1. */
    p->bad[0] = 0;
    for (int64_t r = 1; r <= p->n; r++)
        p->bad[r] += p->bad[r - 1];
    for (int64_t r = p->n + 1; r <= p->cap; r++)
        p->bad[r] = p->bad[p->n];
}

int tm_kfast_tile(const tm_kpack_t *A, int64_t a0, int64_t a1, const tm_kpack_t *C, int64_t c0,
                  int64_t c1, const double *anorm, const double *cnorm, float *G,
                  tm_kern_bound_t *b)
{
    if (!tm_kpack_clean(A, a0, a1) || !tm_kpack_clean(C, c0, c1))
        return 0;
    if (A->kind == TM_KERNEL_INT8) {
        return tm_kint8_tile(A, a0, a1, C, c0, c1, anorm, cnorm, G, b);
    } else {
        /* Past the dimension its bound covers, bf16 is of no use. */
        const tm_kern_bound_t bb = tm_kbf16_bound(A->dim);
        if (!tm_kern_bound_useful(bb))
            return 0;
        tm_kbf16_tile(A, a0, a1, C, c0, c1, G);
        *b = bb;
    }
    return 1;
}
