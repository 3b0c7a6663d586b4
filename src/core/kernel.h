/*
 * kernel.h - what a tile kernel is: one const description per kernel (the
 * "context" of BLIS), and the types it shares with the code that runs it.
 *
 * A kernel computes the dot products of a tile, a block of anchors against
 * a block of candidates, with a rigorous bound on how far each may be from
 * the exact a.c, in the form of kern.h,
 *
 *     |g - a.c| <= gamma |a||c| + tiny        (|a|, |c| the exact norms),
 *
 * so that the rules' intervals and keys (engines/prefilter.h) take any
 * kernel's tile unchanged: a looser bound means more exact re-checks, never
 * another answer. Each kernel derives its bound next to its code.
 *
 * A kernel is one file (kf32.c, kbf16.c, kint8.c) that fills one
 * tm_kernel_t named tm_kernel_NAME, and one line in the list of
 * core/kernels.c, which runs them all: the choice of auto, the packs, the
 * refusals of a tile. Of the project's headers, a kernel's file includes
 * this one and core/kern.h only.
 */
#ifndef TM_CORE_KERNEL_H
#define TM_CORE_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/kern.h"
#include "core/rows.h"

/* Which side of a tile rows are packed for: the layouts may differ. */
typedef enum tm_kside { TM_KSIDE_ANCHORS = 0, TM_KSIDE_CANDS = 1 } tm_kside_t;

/*
 * Rows packed for a kernel: the anchors once per run, the candidates once
 * per round. A row the kernel cannot take within its bound (say, a float32
 * subnormal component for bf16) is marked in bad; a tile that holds one is
 * refused (core/kernels.h) and computed in float32.
 */
typedef struct tm_kpack {
    const struct tm_kernel *kernel;
    tm_kside_t side;
    int64_t cap, n, dim;   /* rows room is made for, rows packed, dimension */
    void *data;            /* the packed rows, 64-byte aligned */
    float *aux;            /* the kernel's aux floats per row (int8: scales), or NULL */
    int64_t *bad;          /* cap + 1: bad[i] = rows before i the kernel cannot take */
} tm_kpack_t;

/*
 * Threads may pack disjoint ranges [r0, r1) of one pack at once when r0 and
 * r1 are multiples of this (or r1 is the number of rows): a kernel's pack
 * must write nothing outside its range but for the padding after the last
 * row, which the range that holds the last row writes.
 */
#define TM_KPACK_ALIGN 64

/*
 * One tile: anchors [a0, a1) against candidates [c0, c1), as float32 rows
 * with their exact norms (anch->norm, cand->norm: indexed like the rows, not
 * from a0 and c0) and, for a kernel that packs, as the packs of those rows.
 */
/*
 * A tile's first anchor a0 is a multiple of TM_KTILE_ALIGN_ANCHORS and its
 * first candidate c0 one of TM_KTILE_ALIGN_CANDS: the fast kernels pack
 * rows in panels that large and find a tile's rows by its first panel.
 */
#define TM_KTILE_ALIGN_ANCHORS 8
#define TM_KTILE_ALIGN_CANDS 16

typedef struct tm_ktile {
    const tm_rows_t *anch;
    const tm_kpack_t *apack;  /* NULL for a kernel that packs nothing */
    int64_t a0, a1;
    const tm_rows_t *cand;
    const tm_kpack_t *cpack;
    int64_t c0, c1;
} tm_ktile_t;

/* A kernel. Every function is local and thread-safe. */
typedef struct tm_kernel {
    const char *name;     /* as --kernel and the summaries spell it */

    /*
     * The CPU feature it needs, as messages name it ("AVX512-BF16"), and
     * whether this CPU and its OS have it; both NULL when it needs none.
     */
    const char *feature;
    int (*cpu)(void);

    /* The largest dimension it takes; a run past it computes in float32. */
    int64_t max_dim;

    /*
     * The loosest bound its tiles meet at dimension dim. A tile whose
     * bound is of no use (kern.h: tm_kern_bound_useful) is refused.
     */
    tm_kern_bound_t (*bound)(int64_t dim);

    /*
     * Its packs (pack NULL: it reads the float32 rows and packs nothing).
     * pack_bytes: bytes of the packed rows of cap rows of dim for side;
     * aux: floats per row beside them. pack: pack rows [r0, r1) of emb
     * (n rows of p->dim in all; see TM_KPACK_ALIGN), setting bad[r + 1]
     * to 1 for every row r it cannot take and to 0 for the others.
     */
    int64_t (*pack_bytes)(tm_kside_t side, int64_t cap, int64_t dim);
    int aux;
    void (*pack)(tm_kpack_t *p, const float *emb, int64_t n, int64_t r0, int64_t r1);

    /*
     * G ((a1 - a0) x (c1 - c0), row-major) = the tile's dot products; a0 is
     * a multiple of 8 and c0 of 32. Called only on rows the kernel takes,
     * with *b = bound(dim), which a kernel whose bound depends on the rows
     * (int8) may tighten. Returns 1, or 0 without touching G when its own
     * bound for these rows would be of no use (then the tile is float32's).
     */
    int (*tile)(const tm_ktile_t *t, float *G, tm_kern_bound_t *b);

    /*
     * Anchors' packed rows rows[0 .. n) of src copied to rows [0, n) of dst
     * (both packed by this kernel for the anchors, of one dim; dst->cap >=
     * n): a tile over dst's rows then computes what it would over those of
     * src. Partitioned mining gathers the anchors that probe a partition.
     * aux and the marks are core/kernels.c's (tm_kpack_gather).
     */
    void (*gather)(tm_kpack_t *dst, const tm_kpack_t *src, const int64_t *rows, int64_t n);
} tm_kernel_t;

/*
 * The micro-kernels of bf16 and int8 cover 32 candidates (two panels of 16)
 * at a time: the lanes of each panel that hold one of the left candidates
 * still to store.
 */
static inline uint16_t tm_kfast_lanes(int64_t left, int panel)
{
    const int64_t k = left - 16 * panel;
    return k >= 16 ? 0xffffu : k > 0 ? (uint16_t)((1u << k) - 1) : 0u;
}

#endif
