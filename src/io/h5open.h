/*
 * h5open.h - private to io/: opening and validating the input datasets,
 * and reading blocks of their rows, shared by the collective shard read
 * (h5in.c) and the per-rank streams (h5rows.c).
 */
#ifndef TM_IO_H5OPEN_H
#define TM_IO_H5OPEN_H

#include <hdf5.h>
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "io/h5in.h"
#include "tripminer/err.h"

/* Open datasets and what validation learned about them. */
typedef struct tm_h5input {
    hid_t file, emb, lab;
    int64_t n, dim;
    int lab_u64;         /* labels are unsigned 64-bit */
    int emb_filtered;    /* embeddings have a filter pipeline */
    int lab_filtered;    /* labels have a filter pipeline */
} tm_h5input_t;

/*
 * Open the input. With comm == MPI_COMM_NULL the file is opened serially
 * (by this process alone), otherwise with the MPI-IO driver on comm.
 */
int tm_h5_open_file(const tm_h5in_req_t *req, MPI_Comm comm, hid_t *file, tm_err_t *err);

/* Open a dataset by name, saying clearly when it is missing or not a dataset. */
hid_t tm_h5_open_dataset(hid_t file, const char *path, const char *name, const char *role,
                         tm_err_t *err);

/* Rank and dimensions of a dataset; rank > 2 is reported as is. */
int tm_h5_shape_of(hid_t d, int *rank, hsize_t dims[2]);

/* Whether a dataset's data pass through filters (compression, checksums). */
int tm_h5_has_filters(hid_t d);

/*
 * Open and check the embeddings (and the labels, unless req->lab_name is
 * NULL) of the open file in->file: types, shapes, sizes.
 */
int tm_h5_validate(const tm_h5in_req_t *req, tm_h5input_t *in, tm_err_t *err);

/* The file space of d with rows [lo, lo + n) selected (all columns). */
hid_t tm_h5_row_space(hid_t d, int64_t lo, int64_t n);

/*
 * Read rows [lo, lo + n) of d into buf as `elems` values of mem_type per
 * row, collectively or independently (a file opened without MPI-IO reads
 * serially either way); why gets HDF5's reason on failure.
 */
int tm_h5_read_rows(hid_t d, hid_t mem_type, int64_t lo, int64_t n, int64_t elems,
                    int collective, void *buf, char *why, size_t whylen);

/*
 * n rows of dim floats just read, global rows row[i] (or lo + i when row
 * is NULL): check that every value is finite (TM_EINPUT naming the first
 * row that is not), then L2-normalise them if asked. 0 or TM_EINPUT.
 */
int tm_h5_finish_rows(const tm_h5in_req_t *req, float *emb, int64_t lo, const int64_t *row,
                      int64_t n, int64_t dim, tm_err_t *err);

#endif
