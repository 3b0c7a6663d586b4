/*
 * h5in.h - read the input: open with the MPI-IO driver, validate the
 * datasets, and read one rank's block of rows with a collective hyperslab.
 */
#ifndef TRIPMINER_H5IN_H
#define TRIPMINER_H5IN_H

#include <mpi.h>

#include "tripminer/err.h"
#include "comm/shard.h"

/* What to read and how. */
typedef struct tm_h5in_req {
    const char *path;      /* input file */
    const char *emb_name;  /* N x D floating-point dataset */
    const char *lab_name;  /* N or N x 1 integer dataset */
    int normalize;         /* L2-normalise rows after conversion */
    int64_t mem_limit;     /* bytes a shard may take; 0 = no limit */
    const char *what;      /* the file's role in messages: "input" or "reference" */
} tm_h5in_req_t;

/*
 * Validate the input and read this rank's block of rows into shard (out):
 * embeddings converted to float32 (then normalised if asked), labels as
 * exact 64-bit values (unsigned 64-bit labels keep their bit pattern),
 * squared norms. Errors (missing file or dataset, wrong type or shape,
 * a value that is not finite, a read failure on any one rank) are agreed
 * by all ranks: every rank returns the same code and err holds the message
 * of the lowest failing rank. Collective over comm.
 */
int tm_h5in_read(const tm_h5in_req_t *req, MPI_Comm comm, tm_shard_t *shard,
                 tm_err_t *err);

#endif
