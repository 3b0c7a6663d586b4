/*
 * sweep.c - one candidate block past every local anchor (sweep.h).
 */
#include "run/sweep.h"

#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "core/kern.h"
#include "tripminer/err.h"

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
    memset(s, 0, sizeof *s);
}

int tm_sweep_init(tm_sweep_t *s, int nthreads, size_t block_bytes)
{
    memset(s, 0, sizeof *s);
    s->nthreads = nthreads;
    s->gram = calloc((size_t)nthreads, sizeof *s->gram);
    s->approx = calloc((size_t)nthreads, sizeof *s->approx);
    s->block = calloc((size_t)nthreads, sizeof *s->block);
    if (s->gram == NULL || s->approx == NULL || s->block == NULL) {
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
    return 0;
}

void tm_sweep(const tm_rule_t *rule, void *st, int pass, tm_metric_t metric,
              tm_kern_bound_t bound, const tm_rows_t *anch, const tm_rows_t *cand,
              tm_sweep_t *s, tm_exchange_t *x)
{
    const int64_t nblocks = (anch->n + TM_TILE_ANCHORS - 1) / TM_TILE_ANCHORS;
    const int64_t dim = anch->dim;
    const int tiles = rule->needs_tiles(st, pass);
#pragma omp parallel for num_threads(s->nthreads) schedule(dynamic, 1)
    for (int64_t blk = 0; blk < nblocks; blk++) {
        const int t = omp_get_thread_num();
        const int64_t a0 = blk * TM_TILE_ANCHORS;
        const int64_t a1 = a0 + TM_TILE_ANCHORS < anch->n ? a0 + TM_TILE_ANCHORS : anch->n;
        for (int64_t c0 = 0; c0 < cand->n; c0 += TM_TILE_CANDS) {
            const int64_t c1 = c0 + TM_TILE_CANDS < cand->n ? c0 + TM_TILE_CANDS : cand->n;
            if (tiles)
                tm_kern_gram(anch->emb + a0 * dim, a1 - a0, cand->emb + c0 * dim, c1 - c0, dim,
                             s->gram[t]);
            const tm_tile_t tile = {metric, bound, anch, a0, a1, cand, c0, c1,
                                    tiles ? s->gram[t] : NULL, s->approx[t], s->block[t]};
            rule->update(st, pass, &tile);
            /* MPI_THREAD_FUNNELED: only the main thread may call MPI. */
            if (t == 0)
                tm_exchange_progress(x);
        }
    }
}
