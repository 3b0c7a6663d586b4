/*
 * kernels.c - the tile kernels the program knows, and what every one of
 * them shares (kernels.h): the choice of auto, packs, a tile's refusals.
 * Nothing here names a kernel but the list.
 */
#include "core/kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tripminer/err.h"

/*
 * The kernels, one line each, in order of preference: auto takes the first
 * this CPU runs. KERNEL(NAME) stands for the tm_kernel_t tm_kernel_NAME of
 * core/kNAME.c, whose name is "NAME". int8 runs at about twice bf16's rate
 * with a bound about 2.5 times looser; end to end it won for every rule
 * measured but sample with a pool of 100 (README, Performance). f32 runs
 * everywhere and takes every tile: it ends the list.
 */
#define TM_KERNELS(KERNEL) \
    KERNEL(int8)           \
    KERNEL(bf16)           \
    KERNEL(f32)            \
    /* end of the list */

#define DECLARE(name) extern const tm_kernel_t tm_kernel_##name;
#define ENTRY(name) &tm_kernel_##name,
TM_KERNELS(DECLARE)
static const tm_kernel_t *const table[] = {TM_KERNELS(ENTRY)};

#define NKERNELS (sizeof table / sizeof table[0])

size_t tm_kernel_count(void)
{
    return NKERNELS;
}

const tm_kernel_t *tm_kernel_at(size_t k)
{
    return k < NKERNELS ? table[k] : NULL;
}

const tm_kernel_t *tm_kernel_find(const char *name)
{
    for (size_t k = 0; k < NKERNELS; k++)
        if (strcmp(table[k]->name, name) == 0)
            return table[k];
    return NULL;
}

void tm_kernel_names(char *buf, size_t len)
{
    if (len == 0)
        return;
    int used = snprintf(buf, len, "auto");
    for (size_t k = NKERNELS; k-- > 0 && used >= 0 && (size_t)used < len;) {
        const int w = snprintf(buf + used, len - (size_t)used, "%s%s", k == 0 ? " or " : ", ",
                               table[k]->name);
        used = w < 0 ? w : used + w;
    }
}

int tm_kernel_runs(const tm_kernel_t *k)
{
    return k->cpu == NULL || k->cpu();
}

const tm_kernel_t *tm_kernel_auto(void)
{
    /* The last, f32, runs everywhere. */
    size_t k = 0;
    while (k + 1 < NKERNELS && !tm_kernel_runs(table[k]))
        k++;
    return table[k];
}

int tm_kernel_takes_dim(const tm_kernel_t *k, int64_t dim)
{
    return dim <= k->max_dim;
}

/* ---- packs ------------------------------------------------------------------ */

int64_t tm_kpack_bytes(const tm_kernel_t *k, tm_kside_t side, int64_t cap, int64_t dim)
{
    if (k->pack == NULL)
        return 0;
    return k->pack_bytes(side, cap, dim) + 64 + cap * k->aux * 4 + (cap + 1) * 8;
}

int tm_kpack_init(tm_kpack_t *p, const tm_kernel_t *k, tm_kside_t side, int64_t cap, int64_t dim)
{
    memset(p, 0, sizeof *p);
    p->kernel = k;
    p->side = side;
    p->cap = cap;
    p->dim = dim;
    if (k->pack == NULL)
        return 0;
    /* aligned_alloc wants a multiple of the alignment; keep one row of slack. */
    size_t bytes = (size_t)k->pack_bytes(side, cap > 0 ? cap : 1, dim);
    bytes = (bytes + 63) / 64 * 64;
    p->data = aligned_alloc(64, bytes);
    const int64_t naux = cap * k->aux;
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
    /* The kernel's pack sets the mark bad[r + 1] of every row r it packs. */
    if (p->kernel->pack != NULL)
        p->kernel->pack(p, emb, n, r0, r1);
    if (r1 >= n)
        p->n = n;
}

void tm_kpack_done(tm_kpack_t *p)
{
    if (p->bad == NULL)
        return;
    /* bad[r + 1] holds row r's mark: make it the count of marked rows before r + 1. */
    p->bad[0] = 0;
    for (int64_t r = 1; r <= p->n; r++)
        p->bad[r] += p->bad[r - 1];
    for (int64_t r = p->n + 1; r <= p->cap; r++)
        p->bad[r] = p->bad[p->n];
}

int tm_kpack_gather(tm_kpack_t *dst, const tm_kpack_t *src, const int64_t *rows, int64_t n)
{
    const tm_kernel_t *k = src->kernel;
    if (k->pack == NULL || k->gather == NULL)
        return 0;
    k->gather(dst, src, rows, n);
    for (int a = 0; a < k->aux; a++)
        for (int64_t i = 0; i < n; i++)
            dst->aux[a * dst->cap + i] = src->aux[a * src->cap + rows[i]];
    dst->bad[0] = 0;
    for (int64_t i = 0; i < n; i++)
        dst->bad[i + 1] = dst->bad[i] + (src->bad[rows[i] + 1] - src->bad[rows[i]]);
    for (int64_t i = n + 1; i <= dst->cap; i++)
        dst->bad[i] = dst->bad[n];
    dst->n = n;
    return 1;
}

/* ---- a tile ----------------------------------------------------------------- */

int tm_kernel_tile(const tm_kernel_t *k, const tm_ktile_t *t, float *G, tm_kern_bound_t *b)
{
    const int64_t dim = t->anch->dim;
    if (dim > k->max_dim)
        return 0;
    if (k->pack != NULL &&
        (!tm_kpack_clean(t->apack, t->a0, t->a1) || !tm_kpack_clean(t->cpack, t->c0, t->c1)))
        return 0;
    /* Past the dimension its bound covers, a kernel is of no use. */
    tm_kern_bound_t kb = k->bound(dim);
    if (!tm_kern_bound_useful(kb) || !k->tile(t, G, &kb))
        return 0;
    *b = kb;
    return 1;
}
