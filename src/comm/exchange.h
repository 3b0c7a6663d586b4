/*
 * exchange.h - the candidate stream: allgather rounds over all ranks.
 *
 * In round r every rank contributes rows [r * chunk, (r + 1) * chunk) of
 * its shard (possibly none; a block regrouped by partition, comm/regroup.h,
 * has its own row counts and sends its rows' indices along), and every
 * rank receives all of them: one candidate block, ordered by (label,
 * global index) so that the rows of one label form one range. All ranks run the same number of rounds,
 * so no collective is ever skipped. Round r + 1 travels (non-blocking
 * allgather into the second buffer) while round r is being computed.
 */
#ifndef TRIPMINER_EXCHANGE_H
#define TRIPMINER_EXCHANGE_H

#include <mpi.h>
#include <stdint.h>

#include "tripminer/err.h"
#include "core/rows.h"
#include "comm/shard.h"

typedef struct tm_exchange tm_exchange_t;

/*
 * The chunk to use when the user gave none: as many rows as keep both
 * candidate buffers (all ranks' rows of one round, twice) within
 * buf_bytes, but no more than a quarter of the largest shard (so that
 * communication overlaps computation) unless that is below 256 rows; at
 * least 1 and at most the largest shard. Local.
 */
int64_t tm_exchange_auto_chunk(int64_t n_global, int64_t dim, int nranks, int64_t buf_bytes);

/*
 * Bytes the two candidate buffers of a given chunk take, with what the
 * miner keeps per candidate row of one round (two float keys). Local.
 */
int64_t tm_exchange_bytes(int64_t n_global, int64_t dim, int nranks, int64_t chunk);

/*
 * Set up the rounds over comm for this rank's shard (which must outlive
 * the exchange) with chunk rows per rank and round. Allocates both
 * buffers. Returns 0 or TM_ENOMEM / TM_EMPI with err filled. Local (no
 * communication; every rank must call it with the same chunk).
 */
int tm_exchange_create(MPI_Comm comm, const tm_shard_t *shard, int64_t chunk,
                       tm_exchange_t **out, tm_err_t *err);

/*
 * Where this rank's candidate rows come from when the shard given to
 * tm_exchange_create holds none in memory (emb NULL: a reference streamed
 * from its file): fill rows [first, first + count) of the rank's block,
 * counted from the block's start, with their floats and labels. 0, or an
 * error with err set.
 */
typedef int (*tm_exchange_fill_fn)(void *ctx, int64_t first, int64_t count, float *emb,
                                   int64_t *labels, tm_err_t *err);

/*
 * Stream this rank's rows through fill, a round at a time, into a send
 * buffer of one chunk (allocated here). Returns 0 or TM_ENOMEM. Local.
 */
int tm_exchange_stream(tm_exchange_t *x, tm_exchange_fill_fn fill, void *ctx, tm_err_t *err);

/* Bytes of the send buffer of a streamed block. Local. */
int64_t tm_exchange_stream_bytes(int64_t dim, int64_t chunk);

/* Number of rounds of one pass (the same on every rank). Local. */
int64_t tm_exchange_rounds(const tm_exchange_t *x);

/* The most rows one round delivers. Local. */
int64_t tm_exchange_capacity(const tm_exchange_t *x);

/*
 * Start round r (non-blocking). Rounds are started in order, and round r
 * must have been waited for before round r + 1 starts (one round travels
 * while the previous one is computed). A streamed block is read here
 * first; a failure to read it returns before the collective starts (the
 * caller aborts the job). Collective over comm.
 */
int tm_exchange_start(tm_exchange_t *x, int64_t r, tm_err_t *err);

/*
 * Wait for round r and describe its candidate block in rows, ordered by
 * (label, global index) (valid until round r + 2 is started). Collective over comm (completes the
 * non-blocking collective started by tm_exchange_start).
 */
int tm_exchange_wait(tm_exchange_t *x, int64_t r, tm_rows_t *rows, tm_err_t *err);

/*
 * Let the round in flight advance (MPI_Testall on its requests): Open MPI
 * moves non-blocking collectives forward only inside MPI calls, so the
 * compute loop calls this now and then from the main thread. Local.
 */
void tm_exchange_progress(tm_exchange_t *x);

/* Release the buffers (no pending round allowed). Local. */
void tm_exchange_free(tm_exchange_t *x);

#endif
