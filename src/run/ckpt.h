/*
 * ckpt.h - checkpoints: the mining state saved at round boundaries, so a
 * stopped job continues later with the same result.
 *
 * A checkpoint directory holds one state file per rank,
 * state-GEN-RANK.bin (a header, the miner's bytes and a hash of both), and
 * a text manifest written last: the generation, where the run stands
 * (pass and next round), every rank's state size and hash, and the
 * "dependencies" of the state: key=value lines (input path, size and
 * modification time, N, D, ranks, chunk, every mining option) that a
 * resumed run must match. Every file is written under a temporary name,
 * flushed to disk and renamed, and the previous generation's states are
 * removed only after the new manifest is in place: a crash at any moment
 * leaves the last complete checkpoint usable.
 */
#ifndef TRIPMINER_CKPT_H
#define TRIPMINER_CKPT_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "tripminer/err.h"
#include "base/buf.h"

/* Where a run stands: pass (1 or 2) and the next round to compute. */
typedef struct tm_ckpt_pos {
    int pass;
    int64_t round;
} tm_ckpt_pos_t;

/* A checkpoint as its manifest describes it. */
typedef struct tm_ckpt_info {
    int64_t generation;
    tm_ckpt_pos_t pos;
    int nranks;
    char *deps; /* the key=value lines, NUL-terminated */
} tm_ckpt_info_t;

void tm_ckpt_info_free(tm_ckpt_info_t *info);

/*
 * Whether dir holds a manifest. Rank 0 looks; the answer is broadcast.
 * Collective over comm.
 */
int tm_ckpt_exists(const char *dir, MPI_Comm comm);

/*
 * Save generation info->generation + 1: this rank's state bytes, and (in
 * the manifest) info's position and dependencies, which must be the same
 * on every rank. Creates dir if needed. On success info->generation is
 * the new one and the previous generation is gone. Returns 0 or an
 * agreed error (the previous checkpoint then stays as it was).
 * Collective over comm.
 */
int tm_ckpt_save(const char *dir, tm_ckpt_info_t *info, const tm_buf_t *state, MPI_Comm comm,
                 tm_err_t *err);

/*
 * Read the checkpoint in dir: the manifest (rank 0 reads and checks it,
 * every rank gets it) into info, and this rank's state, checked against
 * the manifest's size and hash, into state (which must be empty). Refuses
 * a missing, truncated or corrupt manifest or state file, and a
 * checkpoint made on another number of ranks. Returns 0 or an agreed
 * error. Collective over comm.
 */
int tm_ckpt_load(const char *dir, tm_ckpt_info_t *info, tm_buf_t *state, MPI_Comm comm,
                 tm_err_t *err);

/*
 * Compare dependency lines: 0 if saved and now hold the same keys and
 * values, else 1 with a description of the first difference in what
 * (size len), e.g. "metric was cosine, is sqeuclidean". Local.
 */
int tm_ckpt_deps_differ(const char *saved, const char *now, char *what, size_t len);

/*
 * Remove the checkpoint described by info from dir (manifest first, then
 * the states), after the run it served has finished. Collective over comm.
 */
void tm_ckpt_remove(const char *dir, const tm_ckpt_info_t *info, MPI_Comm comm);

/*
 * From now on SIGTERM and SIGUSR1 only set a flag (the run saves at the
 * next round boundary and stops). Local.
 */
void tm_ckpt_catch_signals(void);

/* Whether one of those signals arrived. Local; async-signal safe. */
int tm_ckpt_signalled(void);

#endif
