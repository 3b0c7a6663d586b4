/*
 * kfast.h - tiles faster than float32 can be: the dot products of a tile in
 * a lower precision (bf16, int8) with a rigorous bound on how far each may
 * be from the exact a.c, in the form of kern.h,
 *
 *     |g - a.c| <= gamma |a||c| + tiny        (|a|, |c| the exact norms)
 *
 * so that the rules' intervals and keys (rules/prefilter.h) take the tile
 * unchanged, with a looser bound: a fast tile only filters, the exact
 * re-check decides. Each kernel derives its bound next to its code.
 *
 * Rows are packed once into the kernel's layout: the anchors once per run,
 * the candidates once per round. A row the kernel cannot represent within
 * its bound (say, a float32 subnormal component for bf16) is marked; a tile
 * that holds one is not computed here and the caller uses float32 sgemm.
 */
#ifndef TM_CORE_KFAST_H
#define TM_CORE_KFAST_H

#include <stddef.h>
#include <stdint.h>

#include "core/kern.h"
#include "tripminer/params.h"

/* The kernel's name as --kernel spells it. Local. */
const char *tm_kernel_name(tm_kernel_t k);

/* Whether this CPU (and OS) runs kernel k; f32 and auto always. Local. */
int tm_kernel_supported(tm_kernel_t k);

/* The kernel auto stands for on this CPU (others: themselves). Local. */
tm_kernel_t tm_kernel_resolve(tm_kernel_t k);

/*
 * Whether kernel k can be of use at dimension dim (bf16: while its bound is
 * finite, D + 2 < 2^22; int8: while its int32 sums cannot wrap, D <= 133144).
 * A run at a larger D packs nothing and computes every tile in float32. Local.
 */
int tm_kernel_takes_dim(tm_kernel_t k, int64_t dim);

/* Which side of a tile rows are packed for: the layouts differ. */
typedef enum tm_kside { TM_KSIDE_ANCHORS = 0, TM_KSIDE_CANDS = 1 } tm_kside_t;

/* Rows packed for a fast kernel. */
typedef struct tm_kpack {
    tm_kernel_t kind;      /* TM_KERNEL_BF16 or TM_KERNEL_INT8 */
    tm_kside_t side;
    int64_t cap, n, dim;   /* rows room is made for, rows packed, dimension */
    void *data;            /* the packed rows, 64-byte aligned */
    float *aux;            /* per-row numbers of the kind (int8: scales), or NULL */
    int64_t *bad;          /* cap + 1: bad[i] = rows before i the kernel cannot take */
} tm_kpack_t;

/* Bytes a pack of cap rows of dim takes (for the memory budget). Local. */
int64_t tm_kpack_bytes(tm_kernel_t kind, tm_kside_t side, int64_t cap, int64_t dim);

/* Room for cap rows: 0 or TM_ENOMEM. Local. */
int tm_kpack_init(tm_kpack_t *p, tm_kernel_t kind, tm_kside_t side, int64_t cap, int64_t dim);
void tm_kpack_free(tm_kpack_t *p);

/*
 * Pack rows [r0, r1) of emb (row-major, p->dim columns) into p, for a set of
 * n <= cap rows in all. Threads may pack disjoint ranges at once when r0 and
 * r1 are multiples of TM_KPACK_ALIGN (or r1 = n); then one thread calls
 * tm_kpack_done. Local.
 */
#define TM_KPACK_ALIGN 64
void tm_kpack_rows(tm_kpack_t *p, const float *emb, int64_t n, int64_t r0, int64_t r1);
void tm_kpack_done(tm_kpack_t *p);

/* Whether rows [r0, r1) are all rows the kernel takes. */
static inline int tm_kpack_clean(const tm_kpack_t *p, int64_t r0, int64_t r1)
{
    return p->bad[r1] == p->bad[r0];
}

/*
 * G ((a1-a0) x (c1-c0), row-major) = the kernel's dot products of packed
 * anchors [a0, a1) (a0 a multiple of 8) and packed candidates [c0, c1) (c0 a
 * multiple of 32), and *b the bound they meet. anorm and cnorm are the exact
 * norms of the float32 rows of the whole packs (indexed like the packs, not
 * from a0 and c0). Returns 1, or 0 without touching G when a row of the tile
 * is one the kernel cannot take, or (int8) when the tile's bound would be of
 * no use as a filter: then the caller computes the tile in float32. Both
 * packs of one kind. Local; thread-safe.
 */
int tm_kfast_tile(const tm_kpack_t *A, int64_t a0, int64_t a1, const tm_kpack_t *C, int64_t c0,
                  int64_t c1, const double *anorm, const double *cnorm, float *G,
                  tm_kern_bound_t *b);

/* ---- the kernels (kbf16.c, kint8.c), reached through the above ------------ */

/*
 * Both micro-kernels cover 32 candidates (two panels of 16) at a time: the
 * lanes of each panel that hold one of the left candidates still to store.
 */
static inline uint16_t tm_kfast_lanes(int64_t left, int panel)
{
    const int64_t k = left - 16 * panel;
    return k >= 16 ? 0xffffu : k > 0 ? (uint16_t)((1u << k) - 1) : 0u;
}


int tm_kbf16_supported(void);
tm_kern_bound_t tm_kbf16_bound(int64_t dim);
int64_t tm_kbf16_bytes(tm_kside_t side, int64_t cap, int64_t dim);
void tm_kbf16_pack(tm_kpack_t *p, const float *emb, int64_t n, int64_t r0, int64_t r1);
void tm_kbf16_tile(const tm_kpack_t *A, int64_t a0, int64_t a1, const tm_kpack_t *C, int64_t c0,
                   int64_t c1, float *G);

int tm_kint8_supported(void);
int64_t tm_kint8_bytes(tm_kside_t side, int64_t cap, int64_t dim);
int64_t tm_kint8_aux(int64_t dim);  /* floats of aux per row */
int64_t tm_kint8_max_dim(void);     /* the largest D whose int32 sums cannot wrap */
void tm_kint8_pack(tm_kpack_t *p, const float *emb, int64_t n, int64_t r0, int64_t r1);
int tm_kint8_tile(const tm_kpack_t *A, int64_t a0, int64_t a1, const tm_kpack_t *C, int64_t c0,
                  int64_t c1, const double *anorm, const double *cnorm, float *G,
                  tm_kern_bound_t *b);

#endif
