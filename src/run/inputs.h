/*
 * inputs.h - what a mining job mines over: its anchors, which the rank
 * holds, and its candidates, which stream past them in the rounds.
 *
 *   labels          anchors and candidates are the rank's block of -i
 *                   (held once, serving as both);
 *   --reference     anchors: the block of -i; candidates: the rank's block
 *                   of the reference, read from its file a round at a time
 *                   (never held);
 *   --pairs         anchors: the rank's block of pairs, each the row of its
 *                   query with the positive's index as its label;
 *                   candidates: the rows of the reference (or of -i), read
 *                   a round at a time, each labelled with its own index, so
 *                   that an anchor's one positive is its pair's. The other
 *                   positives of its query (and the query itself, without
 *                   --reference) are excluded from its negatives.
 */
#ifndef TM_RUN_INPUTS_H
#define TM_RUN_INPUTS_H

#include <mpi.h>
#include <stdint.h>

#include "core/rows.h"
#include "comm/shard.h"
#include "io/h5in.h"
#include "io/h5rows.h"
#include "tripminer/err.h"
#include "tripminer/params.h"

typedef struct tm_inputs {
    tm_shard_t anch;          /* the anchors: lo, n, n_global count anchors (rows or pairs) */
    tm_shard_t cand;          /* the candidate block when streamed (emb NULL) */
    int streamed;             /* candidates come from reader, else they are anch */
    tm_h5in_req_t cand_req;
    tm_h5rows_t *reader;
    int64_t *out;             /* per anchor: its index in column 0 of the triplets */
    int64_t *self;            /* per anchor: itself among the candidates, or -1 */
    int64_t *draw;            /* per anchor: the key of its random draws */
    double *norm;             /* per anchor */
    int64_t *xbeg, *xend;     /* per anchor: its excluded candidates in xidx (--pairs) */
    int64_t *xidx;
    int64_t num_input;        /* rows of -i */
    int64_t num_reference;    /* rows of the reference, or 0 */
    int64_t num_pairs;        /* pairs, or 0 */
    int64_t held;             /* bytes held besides the anchors' rows (exclusions, buffers) */
} tm_inputs_t;

/*
 * Read the anchors and open the candidates of the job m: each failure is
 * agreed by every rank (one message, that of the lowest failing rank).
 * budget bounds what the anchors take. Collective over comm.
 */
int tm_inputs_read(const tm_mine_params_t *m, int64_t budget, MPI_Comm comm, tm_inputs_t *in,
                   tm_err_t *err);

/* The anchors as the rules see them. Local. */
void tm_inputs_anchors(const tm_inputs_t *in, tm_rows_t *rows);

/* The block that streams through the exchange. Local. */
const tm_shard_t *tm_inputs_candidates(const tm_inputs_t *in);

/* The exchange's fill (tm_exchange_fill_fn) of a streamed block; ctx is in. */
int tm_inputs_fill(void *ctx, int64_t first, int64_t count, float *emb, int64_t *labels,
                   tm_err_t *err);

void tm_inputs_free(tm_inputs_t *in);

#endif
