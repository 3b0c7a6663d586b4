/*
 * h5out.c - collective output with temporary name and atomic rename.
 */
#define _POSIX_C_SOURCE 200809L
#include "io/h5out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "io/format.h"
#include "io/h5util.h"
#include "base/outpath.h"
#include "base/publish.h"
#include "base/fault.h"
#include "base/log.h"

static int check_local(const char *path, int force, tm_err_t *err)
{
    return tm_outpath_check(path, force, "output", err);
}

int tm_outfile_check(const char *path, int force, MPI_Comm comm, tm_err_t *err)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    int rc = rank == 0 ? check_local(path, force, err) : 0;
    return tm_err_agree(rc, err, comm);
}

int tm_outfile_create(tm_outfile_t *of, const char *path, int force, MPI_Comm comm,
                      tm_err_t *err)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    memset(of, 0, sizeof *of);
    of->path = path;
    of->force = force;
    of->file = -1;

    int rc = 0;
    if (rank == 0 && tm_publish_tmpname(path, of->tmp, sizeof of->tmp) != 0)
        rc = tm_err_set(err, TM_EIO, "output path is too long (%s)", path);
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        return rc;
    if (MPI_Bcast(of->tmp, (int)sizeof of->tmp, MPI_CHAR, 0, comm) != MPI_SUCCESS)
        return tm_err_set(err, TM_EMPI, "MPI_Bcast of the temporary name failed (%s)", path);

    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
        rc = tm_err_set(err, TM_EIO, "cannot set up MPI-IO for the output (%s)", path);
    } else {
        /* EXCL: never clobber or follow anything already at that name. */
        hid_t f = H5Fcreate(of->tmp, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
        if (f < 0) {
            char why[256];
            tm_h5_last_error(why, sizeof why);
            rc = tm_err_set(err, TM_EIO, "cannot create the output file %s: %s (%s)", of->tmp,
                            why[0] ? why : "create failed", path);
        }
        of->file = f;
    }
    tm_h5_close(fapl);
    /* If creation failed anywhere, the file is not usable anywhere. */
    int ok = of->file >= 0, all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_SUM, comm);
    int nranks = 1;
    MPI_Comm_size(comm, &nranks);
    if (all != 0 && all != nranks) {
        tm_log_errorf("the output was created on some ranks only (%s)", path);
        MPI_Abort(comm, 1);
    }
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0 && rank == 0 && all == nranks)
        unlink(of->tmp);
    return rc;
}

int tm_outfile_write_rows(tm_outfile_t *of, const char *name, tm_outtype_t type,
                          int64_t n_global, int64_t cols, int64_t lo, int64_t n, const void *buf,
                          MPI_Comm comm, tm_err_t *err)
{
    const hid_t file_type = type == TM_OUT_I64 ? H5T_STD_I64LE : H5T_IEEE_F32LE;
    const hid_t mem_type = type == TM_OUT_I64 ? H5T_NATIVE_INT64 : H5T_NATIVE_FLOAT;
    int rank_dims = cols > 0 ? 2 : 1;
    hsize_t dims[2] = {(hsize_t)n_global, (hsize_t)(cols > 0 ? cols : 1)};
    hid_t fsp = H5Screate_simple(rank_dims, dims, NULL);
    /* No modification times: the same run gives the same bytes. */
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl >= 0)
        H5Pset_obj_track_times(dcpl, 0);
    hid_t dset = fsp >= 0 && dcpl >= 0
                     ? H5Dcreate2((hid_t)of->file, name, file_type, fsp, H5P_DEFAULT, dcpl,
                                  H5P_DEFAULT)
                     : H5I_INVALID_HID;
    tm_h5_close(dcpl);
    int rc = 0;
    if (dset < 0)
        rc = tm_err_set(err, TM_EIO, "cannot create dataset '%s' (%s)", name, of->path);
    /* All ranks know n_global: an empty dataset needs no write at all. */
    if (rc == 0 && n_global > 0) {
        hsize_t start[2] = {(hsize_t)lo, 0};
        hsize_t count[2] = {(hsize_t)n, dims[1]};
        hsize_t mdim = (hsize_t)(n > 0 ? n * (int64_t)dims[1] : 1);
        hid_t msp = H5Screate_simple(1, &mdim, NULL);
        hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
        herr_t hr = msp >= 0 && dxpl >= 0 ? 0 : -1;
        if (hr >= 0)
            hr = n > 0 ? H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL)
                       : H5Sselect_none(fsp);
        if (hr >= 0 && n == 0)
            hr = H5Sselect_none(msp);
        if (hr >= 0)
            hr = H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
        static const int64_t dummy[3];
        if (hr >= 0)
            hr = H5Dwrite(dset, mem_type, msp, fsp, dxpl, n > 0 ? buf : (const void *)dummy);
        if (hr < 0) {
            char why[256];
            tm_h5_last_error(why, sizeof why);
            rc = tm_err_set(err, TM_EIO, "writing dataset '%s' failed: %s (%s)", name,
                            why[0] ? why : "write failed", of->path);
        }
        tm_h5_close(dxpl);
        tm_h5_close(msp);
    }
    tm_h5_close(dset);
    tm_h5_close(fsp);
    if (rc == 0) {
        int rank = 0;
        MPI_Comm_rank(comm, &rank);
        rc = tm_fault_at("write", rank, err);
    }
    return tm_err_agree(rc, err, comm);
}

/* ---- attributes, written by rank 0 alone -------------------------------- */

/* The root attributes: the ATTR rows of the field table, in its order. */
static int write_meta(const char *tmp, const tm_run_record_t *r)
{
    hid_t f = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0)
        return -1;
    int bad = 0;
    for (size_t k = 0; k < tm_nfields; k++) {
        if (!(tm_fields[k].flags & TM_FIELD_ATTR) || !tm_field_present(&tm_fields[k], r))
            continue;
        tm_value_t v;
        tm_field_get(&tm_fields[k], r, &v);
        bad |= tm_h5_attr_write(f, tm_fields[k].name, &v);
    }
    if (H5Fclose(f) < 0)
        bad = -1;
    return bad ? -1 : 0;
}

int tm_outfile_commit(tm_outfile_t *of, const tm_run_record_t *meta, MPI_Comm comm,
                      tm_err_t *err)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    int rc = 0;
    if (H5Fclose((hid_t)of->file) < 0)
        rc = tm_err_set(err, TM_EIO, "closing the output failed (%s)", of->path);
    of->file = -1;
    if (rc == 0)
        rc = tm_fault_at("commit", rank, err);
    rc = tm_err_agree(rc, err, comm);
    if (rc == 0 && rank == 0) {
        if (meta != NULL && write_meta(of->tmp, meta) != 0) {
            char why[256];
            tm_h5_last_error(why, sizeof why);
            rc = tm_err_set(err, TM_EIO, "writing the attributes failed: %s (%s)",
                            why[0] ? why : "write failed", of->path);
        }
        if (rc == 0)
            rc = tm_publish(of->tmp, of->path, of->force, "output", err);
    }
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0 && rank == 0)
        unlink(of->tmp);
    return rc;
}

void tm_outfile_abort(tm_outfile_t *of, MPI_Comm comm)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (of->file >= 0)
        H5Fclose((hid_t)of->file);
    of->file = -1;
    if (rank == 0 && of->tmp[0] != '\0')
        unlink(of->tmp);
}

int tm_h5out_write_triplets(const char *path, int force, int64_t m, const int64_t *triplets,
                            const float *d_ap, const float *d_an, const float *loss,
                            const tm_run_record_t *meta, MPI_Comm comm, tm_err_t *err)
{
    int64_t lo = 0, total = 0;
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (MPI_Exscan(&m, &lo, 1, MPI_INT64_T, MPI_SUM, comm) != MPI_SUCCESS ||
        MPI_Allreduce(&m, &total, 1, MPI_INT64_T, MPI_SUM, comm) != MPI_SUCCESS)
        return tm_err_set(err, TM_EMPI, "computing the output offsets failed (%s)", path);
    if (rank == 0)
        lo = 0; /* MPI_Exscan leaves rank 0's result undefined */

    tm_outfile_t of;
    int rc = tm_outfile_create(&of, path, force, comm, err);
    if (rc != 0)
        return rc;
    const void *cols[TM_OUT_NDATASETS] = {triplets, d_ap, d_an, loss};
    for (int k = 0; k < TM_OUT_NDATASETS && rc == 0; k++) {
        const tm_dataset_def_t *d = &tm_out_datasets[k];
        rc = tm_outfile_write_rows(&of, d->name, d->is_int ? TM_OUT_I64 : TM_OUT_F32, total,
                                   d->cols, lo, m, cols[k], comm, err);
    }
    if (rc != 0) {
        tm_outfile_abort(&of, comm);
        return rc;
    }
    return tm_outfile_commit(&of, meta, comm, err);
}
