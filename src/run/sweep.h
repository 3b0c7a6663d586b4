/*
 * sweep.h - one candidate block past every local anchor: the tiling, the
 * threads, and the dot products of each tile, handed to the engine with the
 * bound they meet: from the run's kernel (core/kernels.h), on rows packed
 * for it, tile by tile falling back to f32 (float32 sgemm) where that
 * kernel refuses the tile or its looser bound costs more exact re-checks
 * than it saves.
 */
#ifndef TM_RUN_SWEEP_H
#define TM_RUN_SWEEP_H

#include "core/kernels.h"
#include "core/rows.h"
#include "comm/exchange.h"
#include "engines/engine.h"

/* What the tiles of one thread did (a cache line each). */
typedef struct tm_sweep_count {
    int64_t pairs_fast, pairs_f32;  /* pairs of tiles computed by each kernel */
    int64_t exact_fast, exact_f32;  /* exact distances the engine computed on those tiles */
    int64_t fallback;               /* anchor blocks that went back to float32 */
    int64_t pad[3];
} tm_sweep_count_t;

/* The sweep's kernel, packs and per-thread scratch. */
typedef struct tm_sweep {
    int nthreads;
    const tm_kernel_t *kernel; /* &tm_kernel_f32, or the fast kernel of the tiles */
    tm_kpack_t anch;    /* the anchors, packed once (fast kernel) */
    tm_kpack_t cand;    /* each round's candidates (fast kernel) */
    float **gram;      /* TM_TILE_ANCHORS x TM_TILE_CANDS each */
    double **approx;   /* 3 TM_TILE_CANDS each */
    void **block;      /* the engine's block scratch, block_bytes each (NULL if 0) */
    tm_sweep_count_t *count; /* nthreads */
    int8_t *mode;      /* per anchor block: how it picks its tiles' kernel (sweep.c) */
    float *probe;      /* per anchor block: the re-score rate a probe compares with */
} tm_sweep_t;

/*
 * Bytes a sweep with kernel holds beyond its scratch: the packed anchors
 * and the packed candidates of a round of cand_cap rows. Local.
 */
int64_t tm_sweep_pack_bytes(const tm_kernel_t *kernel, int64_t anchors, int64_t cand_cap,
                            int64_t dim);

/*
 * Allocate the scratch of nthreads threads, with block_bytes of the engine's
 * block scratch each, and for a fast kernel (not f32; one that takes the
 * anchors' dimension) the packs: the anchors anch packed at once, room for
 * cand_cap candidates. 0 or TM_ENOMEM. Local.
 */
int tm_sweep_init(tm_sweep_t *s, int nthreads, size_t block_bytes, const tm_kernel_t *kernel,
                  const tm_rows_t *anch, int64_t cand_cap);
void tm_sweep_free(tm_sweep_t *s);

/* Pack the rows of rows into p (made for them), threads sharing aligned ranges. Local. */
void tm_sweep_pack(tm_kpack_t *p, const tm_rows_t *rows, int nthreads);

/* The counts of every thread added up. Local. */
tm_sweep_count_t tm_sweep_counts(const tm_sweep_t *s);

/*
 * Offer the candidate block cand to every anchor of anch in pass of the
 * engine (state st): threads share the anchors in blocks of
 * TM_TILE_ANCHORS; each tile is one kernel call (when the pass needs dot
 * products) and one engine update. bound is float32's. The main thread
 * progresses the exchange x between tiles.
 * Local (MPI from the main thread only).
 */
void tm_sweep(const tm_engine_t *engine, void *st, int pass, tm_metric_t metric,
              tm_kern_bound_t bound, const tm_rows_t *anch, const tm_rows_t *cand,
              tm_sweep_t *s, tm_exchange_t *x);

#endif
