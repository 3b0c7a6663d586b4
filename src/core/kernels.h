/*
 * kernels.h - the tile kernels the program knows (a table, core/kernels.c)
 * and what every one of them shares: the choice of auto, packs of rows, and
 * a tile with its refusals. What a kernel is: core/kernel.h.
 *
 * The table lists the kernels in order of preference; auto is the first
 * this CPU runs. f32 ends it: it runs everywhere and takes every tile, so
 * a faster kernel falls back to it tile by tile (run/sweep.c) where it
 * cannot take a row or its bound is of no use.
 */
#ifndef TM_CORE_KERNELS_H
#define TM_CORE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "core/kernel.h"

/* Float32 sgemm (kf32.c): the kernel every tile can fall back to. */
extern const tm_kernel_t tm_kernel_f32;

/* The kernels, in order of preference: k < tm_kernel_count(), else NULL. */
size_t tm_kernel_count(void);
const tm_kernel_t *tm_kernel_at(size_t k);

/* The kernel --kernel calls name, or NULL (auto is no kernel). Local. */
const tm_kernel_t *tm_kernel_find(const char *name);

/*
 * The choices of --kernel for messages: "auto, f32, bf16 or int8" (auto,
 * then the table from its end, as --help lists them). Local.
 */
void tm_kernel_names(char *buf, size_t len);

/* Whether this CPU (and OS) runs kernel k. Local. */
int tm_kernel_runs(const tm_kernel_t *k);

/* The kernel auto stands for: the first of the table this CPU runs. Local. */
const tm_kernel_t *tm_kernel_auto(void);

/*
 * Whether kernel k can be of use at dimension dim (dim <= k->max_dim). A
 * run at a larger D packs nothing and computes every tile in float32. Local.
 */
int tm_kernel_takes_dim(const tm_kernel_t *k, int64_t dim);

/* ---- packs ------------------------------------------------------------------ */

/* Bytes a pack of cap rows of dim takes (for the memory budget): 0 when k packs nothing. */
int64_t tm_kpack_bytes(const tm_kernel_t *k, tm_kside_t side, int64_t cap, int64_t dim);

/* Room for cap rows (none when k packs nothing): 0 or TM_ENOMEM. Local. */
int tm_kpack_init(tm_kpack_t *p, const tm_kernel_t *k, tm_kside_t side, int64_t cap, int64_t dim);
void tm_kpack_free(tm_kpack_t *p);

/*
 * Pack rows [r0, r1) of emb (row-major, p->dim columns) into p, for a set of
 * n <= cap rows in all. Threads may pack disjoint ranges at once when r0 and
 * r1 are multiples of TM_KPACK_ALIGN (or r1 = n); then one thread calls
 * tm_kpack_done. Local.
 */
void tm_kpack_rows(tm_kpack_t *p, const float *emb, int64_t n, int64_t r0, int64_t r1);
void tm_kpack_done(tm_kpack_t *p);

/*
 * dst (the anchors' side, cap >= n) = the anchors rows[0 .. n) of src,
 * packed bytes, aux and marks, when the kernel gathers (1); 0 when it
 * packs nothing. Local.
 */
int tm_kpack_gather(tm_kpack_t *dst, const tm_kpack_t *src, const int64_t *rows, int64_t n);

/* Whether rows [r0, r1) are all rows the kernel takes (p from a kernel that packs). */
static inline int tm_kpack_clean(const tm_kpack_t *p, int64_t r0, int64_t r1)
{
    return p->bad[r1] == p->bad[r0];
}

/* ---- a tile ----------------------------------------------------------------- */

/*
 * G ((a1 - a0) x (c1 - c0), row-major) = kernel k's dot products of tile t
 * (a0 a multiple of 8, c0 of 32; packs made by k), and *b the bound they
 * meet. Returns 1, or 0 without touching G or *b when the tile is of no use
 * from k: the dimension is past k's, a row of the tile is one k cannot take,
 * k's bound at this dimension is of no use, or k's own bound for these rows
 * would be (int8). Then the caller computes the tile in float32. Local;
 * thread-safe.
 */
int tm_kernel_tile(const tm_kernel_t *k, const tm_ktile_t *t, float *G, tm_kern_bound_t *b);

#endif
