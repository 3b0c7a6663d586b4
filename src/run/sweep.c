/*
 * sweep.c - one candidate block past every local anchor (sweep.h).
 *
 * With a fast kernel each anchor block decides which kernel computes its
 * next tile. Outputs do not depend on it (the engines re-check exactly
 * whatever the bound leaves open); only time does. A fast tile costs about
 * a quarter of an sgemm tile, but its looser bound lets more candidates
 * through to an exact distance (tens of nanoseconds each, against under a
 * nanosecond per pair saved). So a block starts fast; a fast tile whose
 * engine re-scored more than 1/32 of its pairs is followed by a float32 tile
 * (a probe) and, if that re-scored fewer by more than 1/32 of its pairs, by
 * one more fast tile: only if that one too re-scores more than the float32
 * tile by 1/32 does the block go on in float32 (a fallback). Comparing each
 * fast tile with the float32 tile before and after it cancels the engines'
 * own trend (lists fill in the first tiles, so later tiles re-score fewer
 * whatever the kernel). A block that has decided keeps its choice for the
 * rest of the run. The engines of hard and topk look again in float32 at a
 * fast tile's candidates before scoring exactly (engines/prefilter.h); a
 * second look counts here as a re-score, so data a fast kernel cannot
 * separate still goes to float32 tiles.
 */
#include "run/sweep.h"

#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "base/fpenv.h"
#include "core/exact.h"
#include "core/kern.h"
#include "tripminer/err.h"

/* Re-scores per pair above which a fast tile is probed against float32. */
#define PROBE_SHIFT 5 /* 1/32 */

void tm_sweep_free(tm_sweep_t *s)
{
    for (int t = 0; t < s->nthreads; t++) {
        if (s->gram)
            free(s->gram[t]);
        if (s->approx)
            free(s->approx[t]);
        if (s->block)
            free(s->block[t]);
    }
    free(s->gram);
    free(s->approx);
    free(s->block);
    free(s->count);
    free(s->mode);
    free(s->probe);
    tm_kpack_free(&s->anch);
    tm_kpack_free(&s->cand);
    memset(s, 0, sizeof *s);
}

int64_t tm_sweep_pack_bytes(const tm_kernel_t *kernel, int64_t anchors, int64_t cand_cap,
                            int64_t dim)
{
    /* f32 packs nothing: tm_kpack_bytes says 0. */
    if (!tm_kernel_takes_dim(kernel, dim))
        return 0;
    return tm_kpack_bytes(kernel, TM_KSIDE_ANCHORS, anchors, dim) +
           tm_kpack_bytes(kernel, TM_KSIDE_CANDS, cand_cap, dim);
}

void tm_sweep_pack(tm_kpack_t *p, const tm_rows_t *rows, int nthreads)
{
    const int64_t step = 16 * TM_KPACK_ALIGN;
    const int64_t nblk = (rows->n + step - 1) / step;
#pragma omp parallel num_threads(nthreads)
    {
        tm_fpenv_t fp;
        tm_fpenv_enter(&fp);
#pragma omp for schedule(static)
        for (int64_t b = 0; b < nblk; b++) {
            const int64_t r0 = b * step, r1 = r0 + step < rows->n ? r0 + step : rows->n;
            tm_kpack_rows(p, rows->emb, rows->n, r0, r1);
        }
        tm_fpenv_leave(&fp);
    }
    if (rows->n == 0)
        tm_kpack_rows(p, rows->emb, 0, 0, 0);
    tm_kpack_done(p);
}

int tm_sweep_init(tm_sweep_t *s, int nthreads, size_t block_bytes, const tm_kernel_t *kernel,
                  const tm_rows_t *anch, int64_t cand_cap)
{
    memset(s, 0, sizeof *s);
    s->nthreads = nthreads;
    s->kernel = tm_kernel_takes_dim(kernel, anch->dim) ? kernel : &tm_kernel_f32;
    s->gram = calloc((size_t)nthreads, sizeof *s->gram);
    s->approx = calloc((size_t)nthreads, sizeof *s->approx);
    s->block = calloc((size_t)nthreads, sizeof *s->block);
    s->count = aligned_alloc(64, (size_t)nthreads * sizeof *s->count);
    if (s->gram == NULL || s->approx == NULL || s->block == NULL || s->count == NULL) {
        tm_sweep_free(s);
        return TM_ENOMEM;
    }
    memset(s->count, 0, (size_t)nthreads * sizeof *s->count);
    const int64_t nblocks = (anch->n + TM_TILE_ANCHORS - 1) / TM_TILE_ANCHORS;
    s->mode = calloc((size_t)(nblocks > 0 ? nblocks : 1), sizeof *s->mode);
    s->probe = calloc((size_t)(nblocks > 0 ? nblocks : 1), sizeof *s->probe);
    if (s->mode == NULL || s->probe == NULL) {
        tm_sweep_free(s);
        return TM_ENOMEM;
    }
    for (int t = 0; t < nthreads; t++) {
        s->gram[t] = malloc((size_t)TM_TILE_ANCHORS * TM_TILE_CANDS * sizeof(float));
        s->approx[t] = malloc((size_t)3 * TM_TILE_CANDS * sizeof(double));
        s->block[t] = block_bytes > 0 ? malloc(block_bytes) : NULL;
        if (s->gram[t] == NULL || s->approx[t] == NULL || (block_bytes > 0 && s->block[t] == NULL)) {
            tm_sweep_free(s);
            return TM_ENOMEM;
        }
    }
    if (s->kernel != &tm_kernel_f32) {
        if (tm_kpack_init(&s->anch, s->kernel, TM_KSIDE_ANCHORS, anch->n, anch->dim) != 0 ||
            tm_kpack_init(&s->cand, s->kernel, TM_KSIDE_CANDS, cand_cap, anch->dim) != 0) {
            tm_sweep_free(s);
            return TM_ENOMEM;
        }
        tm_sweep_pack(&s->anch, anch, nthreads);
    }
    return 0;
}

tm_sweep_count_t tm_sweep_counts(const tm_sweep_t *s)
{
    tm_sweep_count_t c;
    memset(&c, 0, sizeof c);
    for (int t = 0; t < s->nthreads; t++) {
        c.pairs_fast += s->count[t].pairs_fast;
        c.pairs_f32 += s->count[t].pairs_f32;
        c.exact_fast += s->count[t].exact_fast;
        c.exact_f32 += s->count[t].exact_f32;
        c.fallback += s->count[t].fallback;
    }
    return c;
}

/* How an anchor block chooses its next tile's kernel (see the top). */
enum { USE_FAST = 0, USE_PROBE_F32, USE_PROBE_FAST, USE_FAST_SURE, USE_F32 };

/* The next choice of a block after a tile that re-scored rate of its pairs. */
static int next_use(int use, int by_fast, double rate, float *probe, int64_t *fallback)
{
    const double step = 1.0 / (1 << PROBE_SHIFT);
    switch (use) {
    case USE_FAST:
        if (by_fast && rate > step) {
            *probe = (float)rate;
            return USE_PROBE_F32;
        }
        return USE_FAST;
    case USE_PROBE_F32:
        /* *probe: the fast tile before; rate: this float32 tile. */
        if ((double)*probe - rate > step) {
            *probe = (float)rate;
            return USE_PROBE_FAST;
        }
        return USE_FAST_SURE;
    case USE_PROBE_FAST:
        /* *probe: the float32 tile before; rate: this fast tile. */
        if (by_fast && rate - (double)*probe > step) {
            (*fallback)++;
            return USE_F32;
        }
        return USE_FAST_SURE;
    default:
        return use;
    }
}

void tm_sweep(const tm_engine_t *engine, void *st, int pass, tm_metric_t metric,
              tm_kern_bound_t bound, const tm_rows_t *anch, const tm_rows_t *cand,
              tm_sweep_t *s, tm_exchange_t *x)
{
    const int64_t nblocks = (anch->n + TM_TILE_ANCHORS - 1) / TM_TILE_ANCHORS;
    const int tiles = engine->needs_tiles(st, pass);
    const int fast = tiles && s->kernel != &tm_kernel_f32;
    if (fast)
        tm_sweep_pack(&s->cand, cand, s->nthreads);
#pragma omp parallel num_threads(s->nthreads)
    {
        /* Every thread computes in the default environment (base/fpenv.h). */
        tm_fpenv_t fp;
        tm_fpenv_enter(&fp);
#pragma omp for schedule(dynamic, 1)
        for (int64_t blk = 0; blk < nblocks; blk++) {
            const int t = omp_get_thread_num();
            tm_sweep_count_t *cnt = &s->count[t];
            const int64_t a0 = blk * TM_TILE_ANCHORS;
            const int64_t a1 = a0 + TM_TILE_ANCHORS < anch->n ? a0 + TM_TILE_ANCHORS : anch->n;
            int use = fast ? s->mode[blk] : USE_F32;
            for (int64_t c0 = 0; c0 < cand->n; c0 += TM_TILE_CANDS) {
                const int64_t c1 = c0 + TM_TILE_CANDS < cand->n ? c0 + TM_TILE_CANDS : cand->n;
                const int64_t pairs = (a1 - a0) * (c1 - c0);
                const tm_ktile_t kt = {anch, &s->anch, a0, a1, cand, &s->cand, c0, c1};
                tm_kern_bound_t b = bound;
                int by_fast = 0;
                if (tiles && use != USE_F32 && use != USE_PROBE_F32)
                    by_fast = tm_kernel_tile(s->kernel, &kt, s->gram[t], &b);
                /* The fast kernel's tile, else f32's (which takes every tile). */
                if (tiles && !by_fast)
                    tm_kernel_f32.tile(&kt, s->gram[t], &b);
                const int64_t before = tm_exact_count(), looks = tm_kern_dot_count();
                const tm_tile_t tile = {.metric = metric, .bound = b, .anch = anch, .a0 = a0,
                                        .a1 = a1, .cand = cand, .c0 = c0, .c1 = c1,
                                        .G = tiles ? s->gram[t] : NULL, .scratch = s->approx[t],
                                        .block = s->block[t], .b0 = a0, .b1 = a1,
                                        .begins = c0 == 0, .ends = c1 == cand->n};
                engine->update(st, pass, &tile);
                const int64_t exact = tm_exact_count() - before;
                if (tiles) {
                    if (by_fast) {
                        cnt->pairs_fast += pairs;
                        cnt->exact_fast += exact;
                    } else {
                        cnt->pairs_f32 += pairs;
                        cnt->exact_f32 += exact;
                    }
                }
                /* A second look in float32 (engines/prefilter.h) weighs as a re-check. */
                const int64_t again = exact + tm_kern_dot_count() - looks;
                if (fast && pairs > 0)
                    use = next_use(use, by_fast, (double)again / (double)pairs, &s->probe[blk],
                                   &cnt->fallback);
                /* MPI_THREAD_FUNNELED: only the main thread may call MPI. */
                if (t == 0)
                    tm_exchange_progress(x);
            }
            if (fast)
                s->mode[blk] = (int8_t)use;
        }
        tm_fpenv_leave(&fp);
    }
}
