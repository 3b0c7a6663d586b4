/*
 * h5out.h - output files: created under a temporary name beside the
 * target, written collectively by all ranks, renamed by rank 0 only when
 * every rank succeeded, removed on any failure.
 */
#ifndef TRIPMINER_H5OUT_H
#define TRIPMINER_H5OUT_H

#include <limits.h>
#include <mpi.h>
#include <stdint.h>

#include "tripminer/err.h"
#include "io/format.h"

/*
 * Room for the temporary name, including its NUL: Linux's PATH_MAX. A
 * number of our own, because PATH_MAX is POSIX, not C17: <limits.h> has it
 * only where the includer turned the POSIX interfaces on (gcc's -fopenmp
 * does so by accident through -pthread, clang's does not), and the struct
 * must have one layout in every file that includes this header.
 */
#define TM_OUTFILE_TMP_MAX 4096

/* An output file being written. */
typedef struct tm_outfile {
    const char *path;       /* the final name */
    char tmp[TM_OUTFILE_TMP_MAX]; /* the temporary name (same directory) */
    int force;              /* replace an existing final file */
    int64_t file;           /* HDF5 file id (hid_t), or -1 */
} tm_outfile_t;


/*
 * Refuse early what would fail at the end: an existing output without
 * force, a directory that does not exist or cannot be written. Rank 0
 * looks; all ranks return its verdict. Collective over comm.
 */
int tm_outfile_check(const char *path, int force, MPI_Comm comm, tm_err_t *err);

/*
 * Create the temporary file (exclusively, never following a link) with
 * the MPI-IO driver on comm. On failure nothing is left behind.
 * Collective over comm.
 */
int tm_outfile_create(tm_outfile_t *of, const char *path, int force, MPI_Comm comm,
                      tm_err_t *err);

/* The values of a dataset: in the file little-endian, in memory native. */
typedef enum { TM_OUT_F32, TM_OUT_I64 } tm_outtype_t;

/*
 * Create dataset name of n_global rows (cols columns, or 1-D when cols is
 * 0) of type and write this rank's rows [lo, lo + n) from buf (float or
 * int64_t) with a collective write. Collective over comm.
 */
int tm_outfile_write_rows(tm_outfile_t *of, const char *name, tm_outtype_t type,
                          int64_t n_global, int64_t cols, int64_t lo, int64_t n, const void *buf,
                          MPI_Comm comm, tm_err_t *err);

/*
 * Close the file; then rank 0 reopens it alone and writes the root
 * attributes of meta (meta is read on rank 0 only; may be NULL for no
 * attributes); then rank 0 renames it to its final name. On any failure
 * of any rank the temporary file is removed and every rank returns the
 * error. Collective over comm.
 */
int tm_outfile_commit(tm_outfile_t *of, const tm_run_record_t *meta, MPI_Comm comm,
                      tm_err_t *err);

/* Give up: close (collectively) and remove the temporary file. Collective. */
void tm_outfile_abort(tm_outfile_t *of, MPI_Comm comm);

/*
 * Write a whole mining output: this rank's m triplets (m x 3 global
 * indices) with their distances and losses, at the rank's offset
 * (MPI_Exscan), plus the attributes (meta on rank 0). Collective over comm.
 */
int tm_h5out_write_triplets(const char *path, int force, int64_t m, const int64_t *triplets,
                            const float *d_ap, const float *d_an, const float *loss,
                            const tm_run_record_t *meta, MPI_Comm comm, tm_err_t *err);

#endif
