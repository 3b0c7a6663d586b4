/*
 * psweep.c - a round of partitioned mining (psweep.h).
 *
 * Each anchor block keeps, per partition one of its anchors probes, the
 * mask of those anchors and their span; a round's partitions are matched
 * against that list, and each match is one tile (or a few, a tile wide)
 * over the span, computed by the run's kernel and offered with the mask.
 */
#include "run/psweep.h"

#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "base/fpenv.h"
#include "core/exact.h"
#include "core/kern.h"
#include "core/kernels.h"
#include "tripminer/err.h"

/* A partition's rows start at a multiple of this in the regrouped round. */
#define SEG_ALIGN TM_KTILE_ALIGN_CANDS
/* An anchor block's tiles start at multiples of this. */
#define PANEL TM_KTILE_ALIGN_ANCHORS

struct tm_pentry {
    int32_t q;          /* the partition */
    int32_t lo, hi;     /* the first and last anchor of the block that probe it */
    uint64_t m[TM_TILE_ANCHORS / 64]; /* which do */
};

/*
 * The (partition, anchor) pairs v[0 .. n) (partition in the high 32 bits)
 * ordered by partition: a stable radix sort on the partition's bytes, tmp
 * as large as v, so each partition's pairs keep their order.
 */
static void sort_by_part(uint64_t *v, uint64_t *tmp, int64_t n, int64_t parts)
{
    uint64_t *from = v, *to = tmp;
    for (int shift = 32; shift < 64 && ((uint64_t)(parts - 1) >> (shift - 32)) != 0; shift += 8) {
        int64_t at[257] = {0};
        for (int64_t i = 0; i < n; i++)
            at[((from[i] >> shift) & 255) + 1]++;
        for (int d = 0; d < 256; d++)
            at[d + 1] += at[d];
        for (int64_t i = 0; i < n; i++)
            to[at[(from[i] >> shift) & 255]++] = from[i];
        uint64_t *x = from;
        from = to;
        to = x;
    }
    if (from != v)
        memcpy(v, from, (size_t)n * sizeof *v);
}

/*
 * The entries of block blk into ent (NULL: only count them); pairs: room
 * for twice its (partition, anchor) pairs (the sort's scratch after them).
 */
static int64_t block_entries(const tm_psweep_t *ps, int64_t n, int64_t blk, uint64_t *pairs,
                             tm_pentry_t *ent)
{
    const int64_t a0 = blk * TM_TILE_ANCHORS;
    const int64_t a1 = a0 + TM_TILE_ANCHORS < n ? a0 + TM_TILE_ANCHORS : n;
    int64_t np = 0;
    for (int64_t a = a0; a < a1; a++)
        for (int64_t k = 0; k < ps->probe; k++)
            pairs[np++] = (uint64_t)(uint32_t)ps->probes[a * ps->probe + k] << 32 |
                          (uint64_t)(a - a0);
    sort_by_part(pairs, pairs + np, np, ps->parts);
    int64_t ne = 0;
    for (int64_t i = 0; i < np; i++) {
        const int32_t q = (int32_t)(pairs[i] >> 32), off = (int32_t)(pairs[i] & 0xffffffffu);
        if (i == 0 || q != (int32_t)(pairs[i - 1] >> 32)) {
            if (ent != NULL) {
                memset(&ent[ne], 0, sizeof ent[ne]);
                ent[ne].q = q;
                ent[ne].lo = off;
            }
            ne++;
        }
        /* The pairs came by anchor, and the sort kept that order: off ascends. */
        if (ent != NULL) {
            ent[ne - 1].hi = off;
            ent[ne - 1].m[off / 64] |= (uint64_t)1 << (off % 64);
        }
    }
    return ne;
}

void tm_psweep_free(tm_psweep_t *ps, int nthreads)
{
    /* Each per-thread array may be missing after a failed init. */
    for (int t = 0; t < nthreads; t++) {
        free(ps->pemb != NULL ? ps->pemb[t] : NULL);
        free(ps->pkadd != NULL ? ps->pkadd[t] : NULL);
        free(ps->pkmul != NULL ? ps->pkmul[t] : NULL);
        free(ps->pgram != NULL ? ps->pgram[t] : NULL);
        free(ps->plab != NULL ? ps->plab[t] : NULL);
        free(ps->pgid != NULL ? ps->pgid[t] : NULL);
        free(ps->psq != NULL ? ps->psq[t] : NULL);
        free(ps->pnrm != NULL ? ps->pnrm[t] : NULL);
        free(ps->mask != NULL ? ps->mask[t] : NULL);
        if (ps->gpack != NULL)
            tm_kpack_free(&ps->gpack[t]);
        free(ps->gnorm != NULL ? ps->gnorm[t] : NULL);
        free(ps->gidx != NULL ? ps->gidx[t] : NULL);
        free(ps->grow != NULL ? ps->grow[t] : NULL);
    }
    free(ps->gpack);
    free(ps->gnorm);
    free(ps->gidx);
    free(ps->grow);
    free(ps->pemb);
    free(ps->pkadd);
    free(ps->pkmul);
    free(ps->pgram);
    free(ps->plab);
    free(ps->pgid);
    free(ps->psq);
    free(ps->pnrm);
    free(ps->mask);
    free(ps->bstart);
    free(ps->ent);
    free(ps->emb);
    free(ps->kadd);
    free(ps->kmul);
    free(ps->labels);
    free(ps->gid);
    free(ps->sqnorm);
    free(ps->norm);
    free(ps->fill);
    free(ps->segq);
    free(ps->segs);
    free(ps->sege);
    tm_kpack_free(&ps->pack);
    memset(ps, 0, sizeof *ps);
}

int tm_psweep_init(tm_psweep_t *ps, const tm_rows_t *anch, const int32_t *probes, int64_t probe,
                   int64_t parts, int64_t cap, int nthreads, const tm_kernel_t *kernel)
{
    const int64_t dim = anch->dim;
    memset(ps, 0, sizeof *ps);
    ps->probe = probe;
    ps->parts = parts;
    ps->probes = probes;
    ps->cap = cap;
    ps->nblocks = (anch->n + TM_TILE_ANCHORS - 1) / TM_TILE_ANCHORS;
    ps->bstart = malloc((size_t)(ps->nblocks + 1) * sizeof *ps->bstart);
    uint64_t *pairs = malloc((size_t)(2 * TM_TILE_ANCHORS * probe) * sizeof *pairs);
    if (ps->bstart == NULL || pairs == NULL) {
        free(pairs);
        tm_psweep_free(ps, nthreads);
        return TM_ENOMEM;
    }
    ps->bstart[0] = 0;
    for (int64_t b = 0; b < ps->nblocks; b++)
        ps->bstart[b + 1] = ps->bstart[b] + block_entries(ps, anch->n, b, pairs, NULL);
    ps->ent = malloc((size_t)(ps->bstart[ps->nblocks] > 0 ? ps->bstart[ps->nblocks] : 1) *
                     sizeof *ps->ent);
    if (ps->ent == NULL) {
        free(pairs);
        tm_psweep_free(ps, nthreads);
        return TM_ENOMEM;
    }
    for (int64_t b = 0; b < ps->nblocks; b++)
        block_entries(ps, anch->n, b, pairs, ps->ent + ps->bstart[b]);
    free(pairs);

    /* Room for the round and the gaps before each partition. */
    const int64_t room = cap + (SEG_ALIGN - 1) * (parts < cap ? parts : cap) + 1;
    ps->cap = room;
    const size_t c = (size_t)room;
    ps->emb = malloc(c * (size_t)dim * sizeof *ps->emb);
    ps->kadd = malloc(c * sizeof *ps->kadd);
    ps->kmul = malloc(c * sizeof *ps->kmul);
    ps->labels = malloc(c * sizeof *ps->labels);
    ps->gid = malloc(c * sizeof *ps->gid);
    ps->sqnorm = malloc(c * sizeof *ps->sqnorm);
    ps->norm = malloc(c * sizeof *ps->norm);
    ps->fill = malloc((size_t)(parts + 1) * sizeof *ps->fill);
    ps->segq = malloc((size_t)parts * sizeof *ps->segq);
    ps->segs = malloc((size_t)(parts + 1) * sizeof *ps->segs);
    ps->sege = malloc((size_t)(parts + 1) * sizeof *ps->sege);
    ps->pemb = calloc((size_t)nthreads, sizeof *ps->pemb);
    ps->pkadd = calloc((size_t)nthreads, sizeof *ps->pkadd);
    ps->pkmul = calloc((size_t)nthreads, sizeof *ps->pkmul);
    ps->pgram = calloc((size_t)nthreads, sizeof *ps->pgram);
    ps->plab = calloc((size_t)nthreads, sizeof *ps->plab);
    ps->pgid = calloc((size_t)nthreads, sizeof *ps->pgid);
    ps->psq = calloc((size_t)nthreads, sizeof *ps->psq);
    ps->pnrm = calloc((size_t)nthreads, sizeof *ps->pnrm);
    ps->mask = calloc((size_t)nthreads, sizeof *ps->mask);
    int ok = ps->emb && ps->kadd && ps->kmul && ps->labels && ps->gid && ps->sqnorm &&
             ps->norm && ps->fill && ps->segq && ps->segs && ps->sege && ps->pemb && ps->pkadd &&
             ps->pkmul && ps->pgram && ps->plab && ps->pgid && ps->psq && ps->pnrm && ps->mask;
    for (int t = 0; ok && t < nthreads; t++) {
        const size_t w = TM_TILE_CANDS;
        ps->pemb[t] = malloc(w * (size_t)dim * sizeof(float));
        ps->pkadd[t] = malloc(w * sizeof(float));
        ps->pkmul[t] = malloc(w * sizeof(float));
        ps->pgram[t] = malloc(w * sizeof(float));
        ps->plab[t] = malloc(w * sizeof(int64_t));
        ps->pgid[t] = malloc(w * sizeof(int64_t));
        ps->psq[t] = malloc(w * sizeof(double));
        ps->pnrm[t] = malloc(w * sizeof(double));
        ps->mask[t] = malloc(TM_TILE_ANCHORS);
        ok = ps->pemb[t] && ps->pkadd[t] && ps->pkmul[t] && ps->pgram[t] && ps->plab[t] &&
             ps->pgid[t] && ps->psq[t] && ps->pnrm[t] && ps->mask[t];
    }
    if (ok && tm_kernel_takes_dim(kernel, dim) && kernel != &tm_kernel_f32) {
        ok = tm_kpack_init(&ps->pack, kernel, TM_KSIDE_CANDS, room, dim) == 0;
        if (ok && kernel->gather != NULL) {
            ps->gpack = calloc((size_t)nthreads, sizeof *ps->gpack);
            ps->gnorm = calloc((size_t)nthreads, sizeof *ps->gnorm);
            ps->gidx = calloc((size_t)nthreads, sizeof *ps->gidx);
            ps->grow = calloc((size_t)nthreads, sizeof *ps->grow);
            ok = ps->gpack && ps->gnorm && ps->gidx && ps->grow;
            for (int t = 0; ok && t < nthreads; t++) {
                ps->gnorm[t] = malloc(TM_TILE_ANCHORS * sizeof(double));
                ps->gidx[t] = malloc(TM_TILE_ANCHORS * sizeof(int64_t));
                ps->grow[t] = malloc(TM_TILE_ANCHORS * sizeof(int32_t));
                ok = ps->gnorm[t] && ps->gidx[t] && ps->grow[t] &&
                     tm_kpack_init(&ps->gpack[t], kernel, TM_KSIDE_ANCHORS, TM_TILE_ANCHORS,
                                   dim) == 0;
            }
        }
    }
    if (!ok) {
        tm_psweep_free(ps, nthreads);
        return TM_ENOMEM;
    }
    /* No tile covers a gap: its rows are packed, never read (zeros at first). */
    memset(ps->emb, 0, c * (size_t)dim * sizeof *ps->emb);
    memset(ps->sqnorm, 0, c * sizeof *ps->sqnorm);
    memset(ps->norm, 0, c * sizeof *ps->norm);
    memset(ps->labels, 0, c * sizeof *ps->labels);
    memset(ps->gid, 0, c * sizeof *ps->gid);
    return 0;
}

/* Regroup the round by partition (stable: each partition stays in (label, index) order). */
static void regroup(tm_psweep_t *ps, tm_metric_t metric, const tm_rows_t *cand, tm_rows_t *out)
{
    const int64_t n = cand->n, dim = cand->dim, C = ps->parts;
    int64_t *fill = ps->fill;
    memset(fill, 0, (size_t)(C + 1) * sizeof *fill);
    for (int64_t j = 0; j < n; j++)
        fill[cand->part[j] + 1]++;
    /* Each partition's start, aligned: fill[q] becomes where its next row goes. */
    ps->nseg = 0;
    int64_t at = 0;
    for (int64_t q = 0; q < C; q++) {
        const int64_t k = fill[q + 1];
        fill[q + 1] = 0;
        if (k == 0)
            continue;
        ps->segq[ps->nseg] = (int32_t)q;
        ps->segs[ps->nseg] = at;
        ps->sege[ps->nseg] = at + k;
        fill[q] = at; /* partitions are visited in order: fill[q] is free now */
        ps->nseg++;
        at = (at + k + SEG_ALIGN - 1) / SEG_ALIGN * SEG_ALIGN;
    }
    const int64_t total = ps->nseg > 0 ? ps->sege[ps->nseg - 1] : 0;
    for (int64_t j = 0; j < n; j++) {
        const int64_t at = fill[cand->part[j]]++;
        memcpy(ps->emb + at * dim, cand->emb + j * dim, (size_t)dim * sizeof *ps->emb);
        ps->labels[at] = cand->labels[j];
        ps->gid[at] = cand->gid[j];
        ps->sqnorm[at] = cand->sqnorm[j];
        ps->norm[at] = cand->norm[j];
    }
    *out = (tm_rows_t){.n = total, .dim = dim, .emb = ps->emb, .labels = ps->labels, .gid = ps->gid,
                       .sqnorm = ps->sqnorm, .norm = ps->norm};
    tm_rows_keys(metric, out, ps->kadd, ps->kmul);
    out->kadd = ps->kadd;
    out->kmul = ps->kmul;
}

/* The rows [*p0, *p1) of cand (ordered by label) with label lab. */
static void label_range(const tm_rows_t *cand, int64_t lab, int64_t *p0, int64_t *p1)
{
    int64_t lo = 0, hi = cand->n;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (cand->labels[mid] < lab)
            lo = mid + 1;
        else
            hi = mid;
    }
    *p0 = lo;
    hi = cand->n;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (cand->labels[mid] <= lab)
            lo = mid + 1;
        else
            hi = mid;
    }
    *p1 = lo;
}

static int probes_part(const tm_psweep_t *ps, int64_t a, int32_t q)
{
    const int32_t *p = ps->probes + a * ps->probe;
    for (int64_t k = 0; k < ps->probe; k++)
        if (p[k] == q)
            return 1;
    return 0;
}

/* The positives of anchor a gathered so far (m rows in thread t's scratch), offered. */
static void offer_positives(tm_psweep_t *ps, const tm_engine_t *engine, void *st, int pass,
                            tm_metric_t metric, tm_kern_bound_t bound, const tm_rows_t *anch,
                            int64_t a, int64_t m, int tiles, tm_sweep_t *s, int t)
{
    tm_rows_t rows = {.n = m, .dim = anch->dim, .emb = ps->pemb[t], .labels = ps->plab[t],
                      .gid = ps->pgid[t], .sqnorm = ps->psq[t], .norm = ps->pnrm[t]};
    tm_rows_keys(metric, &rows, ps->pkadd[t], ps->pkmul[t]);
    rows.kadd = ps->pkadd[t];
    rows.kmul = ps->pkmul[t];
    if (tiles)
        tm_kern_gram(anch->emb + a * anch->dim, 1, rows.emb, m, anch->dim, ps->pgram[t]);
    const int64_t before = tm_exact_count();
    /* No block scratch: these rows are not the round's. */
    const tm_tile_t tile = {.metric = metric, .bound = bound, .anch = anch, .a0 = a, .a1 = a + 1,
                            .cand = &rows, .c0 = 0, .c1 = m,
                            .G = tiles ? ps->pgram[t] : NULL, .scratch = s->approx[t],
                            .b0 = a, .b1 = a + 1};
    engine->update(st, pass, &tile);
    if (tiles) {
        s->count[t].pairs_f32 += m;
        s->count[t].exact_f32 += tm_exact_count() - before;
    }
}

/* The mask bits of panel g (PANEL anchors) of an entry. */
static uint64_t panel_bits(const tm_pentry_t *en, int64_t g)
{
    const int64_t bit = g * PANEL;
    return (en->m[bit / 64] >> (bit % 64)) & ((UINT64_C(1) << PANEL) - 1);
}

/* What the tiles of one anchor block in a round share. */
typedef struct pblock {
    const tm_engine_t *engine;
    void *st;
    int pass, tiles, fast, t;
    tm_metric_t metric;
    tm_kern_bound_t bound;
    const tm_rows_t *anch, *pc;
    int64_t b0, b1;  /* the block's anchors */
    int begun;       /* its block scratch has begun (tm_tile_t.block) */
    tm_sweep_t *s;
    tm_exchange_t *x;
} pblock_t;

/*
 * Anchors [a0, a1) of the block against the rows [s0, s1) of one
 * partition, a tile wide at a time, mask[a - a0] saying which take it.
 * With gathered (the anchors that take it, packed together: a kernel's
 * gather), the fast kernel computes those rows only and the engine finds
 * each anchor's row through grow; else the span. Float32 computes the span
 * when the fast kernel refuses. last: the block's last tiles of the round.
 */
static void offer_tiles(tm_psweep_t *ps, pblock_t *pb, int64_t a0, int64_t a1,
                        const uint8_t *mask, const tm_ktile_t *gathered, const int32_t *grow,
                        int64_t s0, int64_t s1, int last)
{
    tm_sweep_t *s = pb->s;
    const int t = pb->t;
    tm_sweep_count_t *cnt = &s->count[t];
    for (int64_t c0 = s0; c0 < s1; c0 += TM_TILE_CANDS) {
        const int64_t c1 = c0 + TM_TILE_CANDS < s1 ? c0 + TM_TILE_CANDS : s1;
        const tm_ktile_t kt = {pb->anch, &s->anch, a0, a1, pb->pc, &ps->pack, c0, c1};
        tm_ktile_t kf = kt;
        if (gathered != NULL) {
            kf = *gathered;
            kf.c0 = c0;
            kf.c1 = c1;
        }
        tm_kern_bound_t b = pb->bound;
        const int by_fast = pb->fast && tm_kernel_tile(s->kernel, &kf, s->gram[t], &b);
        if (pb->tiles && !by_fast)
            tm_kernel_f32.tile(&kt, s->gram[t], &b);
        const int64_t before = tm_exact_count();
        const tm_tile_t tile = {.metric = pb->metric, .bound = b, .anch = pb->anch, .a0 = a0,
                                .a1 = a1, .cand = pb->pc, .c0 = c0, .c1 = c1,
                                .G = pb->tiles ? s->gram[t] : NULL, .scratch = s->approx[t],
                                .block = s->block[t], .b0 = pb->b0, .b1 = pb->b1,
                                .begins = !pb->begun, .ends = last && c1 == s1, .amask = mask,
                                .grow = by_fast && gathered != NULL ? grow : NULL};
        pb->begun = 1;
        pb->engine->update(pb->st, pb->pass, &tile);
        const int64_t exact = tm_exact_count() - before;
        if (by_fast) {
            cnt->pairs_fast += (kf.a1 - kf.a0) * (c1 - c0);
            cnt->exact_fast += exact;
        } else if (pb->tiles) {
            cnt->pairs_f32 += (a1 - a0) * (c1 - c0);
            cnt->exact_f32 += exact;
        }
        if (t == 0)
            tm_exchange_progress(pb->x);
    }
}

/*
 * From entry *e of block blk and segment *k on, the next entry whose
 * partition the round holds, at segment *k (both lists ascend); 0 if none.
 */
static int next_match(const tm_psweep_t *ps, int64_t blk, int64_t *e, int64_t *k)
{
    for (; *e < ps->bstart[blk + 1]; ++*e) {
        const int32_t q = ps->ent[*e].q;
        while (*k < ps->nseg && ps->segq[*k] < q)
            ++*k;
        if (*k == ps->nseg)
            return 0;
        if (ps->segq[*k] == q)
            return 1;
    }
    return 0;
}

/* mask[i - off] for the block's anchors [off, end): whether each probes the entry. */
static void entry_mask(const tm_pentry_t *en, int64_t off, int64_t end, uint8_t *mask)
{
    for (int64_t i = off; i < end; i++)
        mask[i - off] = (uint8_t)((en->m[i / 64] >> (i % 64)) & 1);
}

/*
 * The block's tiles of one entry. With a kernel that gathers, the anchors
 * that probe the partition are packed together and meet its rows in one
 * tile over the entry's span; else the runs of kernel panels (core/kernel.h)
 * that hold such an anchor, one tile each.
 */
static void offer_entry(tm_psweep_t *ps, pblock_t *pb, const tm_pentry_t *en, int64_t k,
                        int last)
{
    const int t = pb->t;
    const int64_t base = pb->b0, s0 = ps->segs[k], s1 = ps->sege[k];
    uint8_t *mask = ps->mask[t];
    if (pb->fast && ps->gpack != NULL) {
        int32_t *grow = ps->grow[t];
        int64_t *idx = ps->gidx[t];
        double *gnorm = ps->gnorm[t];
        const int64_t off = en->lo / PANEL * PANEL;
        entry_mask(en, off, en->hi + 1, mask);
        int64_t n = 0;
        for (int64_t i = off; i <= en->hi; i++) {
            grow[i - off] = mask[i - off] ? (int32_t)n : -1;
            if (mask[i - off]) {
                idx[n] = base + i;
                gnorm[n] = pb->anch->norm[base + i];
                n++;
            }
        }
        tm_kpack_gather(&ps->gpack[t], &pb->s->anch, idx, n);
        const tm_rows_t ga = {.n = n, .dim = pb->anch->dim, .norm = gnorm};
        const tm_ktile_t kg = {&ga, &ps->gpack[t], 0, n, pb->pc, &ps->pack, s0, s0};
        offer_tiles(ps, pb, base + off, base + en->hi + 1, mask, &kg, grow, s0, s1, last);
        return;
    }
    const int64_t g0 = en->lo / PANEL, g1 = en->hi / PANEL;
    for (int64_t g = g0; g <= g1;) {
        int64_t h = g;
        while (h <= g1 && panel_bits(en, h) != 0)
            h++;
        if (h == g) {
            g++;
            continue;
        }
        const int64_t lo = g * PANEL;
        const int64_t hi = h * PANEL - 1 < en->hi ? h * PANEL - 1 : en->hi;
        entry_mask(en, lo, hi + 1, mask);
        /* The last run holds en->hi. */
        offer_tiles(ps, pb, base + lo, base + hi + 1, mask, NULL, NULL, s0, s1,
                    last && hi == en->hi);
        g = h;
    }
}

void tm_psweep(tm_psweep_t *ps, const tm_engine_t *engine, void *st, int pass,
               tm_metric_t metric, tm_kern_bound_t bound, const tm_rows_t *anch,
               const tm_rows_t *cand, tm_sweep_t *s, tm_exchange_t *x)
{
    tm_rows_t pc;
    regroup(ps, metric, cand, &pc);
    const int tiles = engine->needs_tiles(st, pass);
    const int fast = tiles && s->kernel != &tm_kernel_f32;
    if (fast)
        tm_sweep_pack(&ps->pack, &pc, s->nthreads);
    const int64_t dim = anch->dim;
#pragma omp parallel num_threads(s->nthreads)
    {
        tm_fpenv_t fp;
        tm_fpenv_enter(&fp);
        const int t = omp_get_thread_num();
#pragma omp for schedule(dynamic, 1)
        for (int64_t blk = 0; blk < ps->nblocks; blk++) {
            const int64_t base = blk * TM_TILE_ANCHORS;
            const int64_t end = base + TM_TILE_ANCHORS < anch->n ? base + TM_TILE_ANCHORS : anch->n;
            /* The partitions of the round the block probes, the last one known ahead. */
            pblock_t pb = {engine, st, pass, tiles, fast, t, metric, bound, anch, &pc,
                           base, end, 0, s, x};
            int64_t e = ps->bstart[blk], k = 0;
            int more = next_match(ps, blk, &e, &k);
            while (more) {
                const int64_t e_now = e, k_now = k;
                e++;
                more = next_match(ps, blk, &e, &k);
                offer_entry(ps, &pb, &ps->ent[e_now], k_now, !more);
            }
            /* Each anchor's positives in the partitions it does not probe. */
            for (int64_t a = base; a < end; a++) {
                int64_t p0, p1, m = 0;
                label_range(cand, anch->labels[a], &p0, &p1);
                for (int64_t j = p0; j < p1; j++) {
                    if (probes_part(ps, a, cand->part[j]))
                        continue;
                    memcpy(ps->pemb[t] + m * dim, cand->emb + j * dim, (size_t)dim * sizeof(float));
                    ps->plab[t][m] = cand->labels[j];
                    ps->pgid[t][m] = cand->gid[j];
                    ps->psq[t][m] = cand->sqnorm[j];
                    ps->pnrm[t][m] = cand->norm[j];
                    if (++m == TM_TILE_CANDS) {
                        offer_positives(ps, engine, st, pass, metric, bound, anch, a, m, tiles, s,
                                        t);
                        m = 0;
                    }
                }
                if (m > 0)
                    offer_positives(ps, engine, st, pass, metric, bound, anch, a, m, tiles, s, t);
            }
            if (t == 0)
                tm_exchange_progress(x);
        }
        tm_fpenv_leave(&fp);
    }
}
