/*
 * h5rows.h - one rank's own reads of an input file, without MPI-IO: the
 * candidate rows of a reference streamed a round at a time, chosen rows
 * (the queries of --pairs), and the pairs themselves.
 *
 * The file is opened by this process alone (HDF5's default driver), so a
 * failure is this rank's: the caller agrees on it with the other ranks
 * (every function here is local). Values go through the same checks and
 * conversions as the collective read of h5in.h.
 */
#ifndef TM_IO_H5ROWS_H
#define TM_IO_H5ROWS_H

#include <stdint.h>

#include "io/h5in.h"
#include "tripminer/err.h"

typedef struct tm_h5rows tm_h5rows_t;

/* Rows tm_h5rows_pick reads at once, in a block the reader holds. */
#define TM_H5ROWS_SPAN 1024

/*
 * Open req->path and check its embeddings and labels (no labels when
 * req->lab_name is NULL); req must outlive the reader. 0 or an error.
 */
int tm_h5rows_open(const tm_h5in_req_t *req, tm_h5rows_t **out, tm_err_t *err);

/* Rows and columns of the embeddings. */
int64_t tm_h5rows_count(const tm_h5rows_t *r);
int64_t tm_h5rows_dim(const tm_h5rows_t *r);

/*
 * Rows [lo, lo + n): floats converted, checked finite and normalised if
 * asked; labels as exact 64-bit values, or the rows' global indices when
 * the reader has no labels (labels may be NULL to skip them). 0 or an
 * error naming the row or the read.
 */
int tm_h5rows_read(tm_h5rows_t *r, int64_t lo, int64_t n, float *emb, int64_t *labels,
                   tm_err_t *err);

/*
 * The k rows rows[0 .. k) (ascending, distinct), as tm_h5rows_read makes
 * them, into emb (k x dim). Nearby rows are read together. 0 or an error.
 */
int tm_h5rows_pick(tm_h5rows_t *r, const int64_t *rows, int64_t k, float *emb, tm_err_t *err);

void tm_h5rows_close(tm_h5rows_t *r);

/* ---- pairs (--pairs) -------------------------------------------------------- */

typedef struct tm_h5pairs tm_h5pairs_t;

/*
 * Open dataset name of path and check it is an M x 2 integer dataset.
 * 0 or an error naming the dataset and what is wrong.
 */
int tm_h5pairs_open(const char *path, const char *name, tm_h5pairs_t **out, int64_t *m,
                    tm_err_t *err);

/*
 * Pairs [lo, lo + n) into qp (n x 2: query row, positive row), each
 * checked against [0, nq) and [0, nc) (cands: what the candidates are,
 * "input" or "reference"): an error names the first pair out of range.
 */
int tm_h5pairs_read(tm_h5pairs_t *p, int64_t lo, int64_t n, int64_t nq, int64_t nc,
                    const char *cands, int64_t *qp, tm_err_t *err);

void tm_h5pairs_close(tm_h5pairs_t *p);

#endif
