/*
 * outread.h - a mining output read back for "tripminer inspect": opened
 * and checked against the format tables (io/format.h), its root attributes
 * read, its columns read in pieces. One process (rank 0), with HDF5's
 * default (serial) file driver. Private to the library.
 */
#ifndef TM_IO_OUTREAD_H
#define TM_IO_OUTREAD_H

#include <stdint.h>

#include "io/format.h"
#include "tripminer/err.h"

/* An output open for reading. */
typedef struct tm_outread tm_outread_t;

/*
 * Open the mining output at path and check that it is one: the datasets
 * of tm_out_datasets with their classes and shapes and one length (*rows),
 * every root attribute of tm_fields of its class (those of an option the
 * run did not use may be absent: none), num_triplets equal to the length.
 * attr[k] gets the attribute of row k of tm_fields; its strings are
 * malloc'd and the caller frees them, whatever the outcome. Returns 0 and
 * *o, or TM_EIO, TM_EINPUT, TM_ENOMEM with err saying what and where (and
 * *o NULL). Local.
 */
int tm_outread_open(const char *path, tm_value_t attr[TM_FIELDS_MAX], int64_t *rows,
                    tm_outread_t **o, tm_err_t *err);

/*
 * Rows [lo, lo + n) of the 1-D dataset called name (one of
 * tm_out_datasets) into buf as float32. 0, or TM_EIO with err. Local.
 */
int tm_outread_floats(tm_outread_t *o, const char *name, int64_t lo, int64_t n, float *buf,
                      tm_err_t *err);

/*
 * Close o (NULL is nothing to close). Returns rc; when rc is 0, a failure
 * to close is TM_EIO with err filled. Local.
 */
int tm_outread_close(tm_outread_t *o, int rc, tm_err_t *err);

#endif
