/*
 * psweep.h - one candidate block past the local anchors in partitioned
 * mining: the block is regrouped by partition, and an anchor block meets
 * a partition's rows only when one of its anchors probes it (the others
 * are masked out of the tile); then each anchor meets the rows of its
 * label that lie in partitions it does not probe, so that its positives
 * are all of them, each offered once.
 *
 * The anchors must be ordered so that neighbours probe alike (the driver
 * sorts them by their nearest partitions); the sweep's scratch, kernel and
 * anchor pack are the exact sweep's (run/sweep.h).
 */
#ifndef TM_RUN_PSWEEP_H
#define TM_RUN_PSWEEP_H

#include "comm/exchange.h"
#include "run/sweep.h"

typedef struct tm_pentry tm_pentry_t;

typedef struct tm_psweep {
    int64_t probe;            /* P */
    int64_t parts;            /* C */
    const int32_t *probes;    /* per anchor (in the anchors' order): P partitions */
    int64_t nblocks;
    int64_t *bstart;          /* per anchor block: its first entry; nblocks + 1 */
    tm_pentry_t *ent;         /* (partition, anchors of the block that probe it) */
    /*
     * The round regrouped by partition, each partition's rows in (label,
     * index) order from a multiple of SEG_ALIGN rows (the fast kernels take
     * candidates in groups that large); no tile covers the rows between. pack: those rows packed for the fast kernel.
     */
    int64_t cap;
    tm_kpack_t pack;
    float *emb, *kadd, *kmul;
    int64_t *labels, *gid;
    double *sqnorm, *norm;
    int64_t *fill;            /* C + 1: counts, then starts */
    int64_t nseg;
    int32_t *segq;            /* the partitions present, ascending */
    int64_t *segs, *sege;     /* nseg starts and ends */
    /* Per thread: the positives gathered for one anchor, a tile wide. */
    float **pemb, **pkadd, **pkmul, **pgram;
    int64_t **plab, **pgid;
    double **psq, **pnrm;
    uint8_t **mask;
    /*
     * Per thread, for a kernel that gathers (core/kernel.h): the anchors of
     * a block that probe one partition, packed together, their norms, and
     * where each anchor of the span finds its row of the tile.
     */
    tm_kpack_t *gpack;
    double **gnorm;
    int64_t **gidx;
    int32_t **grow;
} tm_psweep_t;

/*
 * Set up for anch (n anchors, each with probe partitions in probes) with
 * rounds of at most cap rows, over parts partitions. 0 or TM_ENOMEM. Local.
 */
int tm_psweep_init(tm_psweep_t *ps, const tm_rows_t *anch, const int32_t *probes, int64_t probe,
                   int64_t parts, int64_t cap, int nthreads, const tm_kernel_t *kernel);
void tm_psweep_free(tm_psweep_t *ps, int nthreads);

/*
 * Offer the round cand (ordered by (label, global index), with each row's
 * partition in cand->part and its keys set) to the anchors, as above.
 * Local (MPI from the main thread only: it progresses x).
 */
void tm_psweep(tm_psweep_t *ps, const tm_engine_t *engine, void *st, int pass,
               tm_metric_t metric, tm_kern_bound_t bound, const tm_rows_t *anch,
               const tm_rows_t *cand, tm_sweep_t *s, tm_exchange_t *x);

#endif
