/*
 * h5open.c - opening and validating the input datasets, and reading blocks
 * of their rows (h5open.h).
 */
#include "io/h5open.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/exact.h"
#include "io/h5util.h"

/*
 * Open the input. With comm == MPI_COMM_NULL the file is opened serially
 * (rank 0's validation pass), otherwise with the MPI-IO driver on comm.
 */
int tm_h5_open_file(const tm_h5in_req_t *req, MPI_Comm comm, hid_t *file, tm_err_t *err)
{
    struct stat st;
    if (stat(req->path, &st) != 0)
        return tm_err_set(err, TM_EIO, "cannot open %s: %s (%s)", req->what, strerror(errno),
                          req->path);
    if (S_ISDIR(st.st_mode))
        return tm_err_set(err, TM_EIO, "%s is a directory, not an HDF5 file (%s)", req->what,
                          req->path);

    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || (comm != MPI_COMM_NULL && H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0)) {
        tm_h5_close(fapl);
        return tm_err_set(err, TM_EIO, "cannot set up MPI-IO for the input (%s)", req->path);
    }
    *file = H5Fopen(req->path, H5F_ACC_RDONLY, fapl);
    char why[256] = "";
    if (*file < 0)
        tm_h5_last_error(why, sizeof why); /* before H5Pclose clears it */
    H5Pclose(fapl);
    if (*file < 0) {
        if (access(req->path, R_OK) != 0)
            return tm_err_set(err, TM_EIO, "cannot open %s: %s (%s)", req->what, strerror(errno),
                              req->path);
        return tm_err_set(err, TM_EINPUT, "not a readable HDF5 file%s%s (%s)",
                          why[0] ? ": " : "", why, req->path);
    }
    return 0;
}

/* Open a dataset by name, saying clearly when it is missing or not a dataset. */
hid_t tm_h5_open_dataset(hid_t file, const char *path, const char *name, const char *role,
                          tm_err_t *err)
{
    H5O_info_t info;
    htri_t ok = H5Lexists(file, name, H5P_DEFAULT);
    if (ok <= 0 || H5Oget_info_by_name2(file, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
        H5Eclear2(H5E_DEFAULT);
        tm_err_set(err, TM_EINPUT, "%s dataset '%s' not found (%s)", role, name, path);
        return H5I_INVALID_HID;
    }
    if (info.type != H5O_TYPE_DATASET) {
        tm_err_set(err, TM_EINPUT, "'%s' is a %s, not a dataset; expected the %s (%s)", name,
                   info.type == H5O_TYPE_GROUP ? "group" : "named datatype", role, path);
        return H5I_INVALID_HID;
    }
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0) {
        char why[256];
        tm_h5_last_error(why, sizeof why);
        tm_err_set(err, TM_EINPUT, "cannot open dataset '%s': %s (%s)", name, why, path);
    }
    return d;
}

/* Rank and dimensions of a dataset; rank > 2 is reported as is. */
int tm_h5_shape_of(hid_t d, int *rank, hsize_t dims[2])
{
    hid_t sp = H5Dget_space(d);
    if (sp < 0)
        return -1;
    int r = H5Sget_simple_extent_ndims(sp);
    hsize_t all[H5S_MAX_RANK];
    if (r >= 0 && r <= H5S_MAX_RANK)
        H5Sget_simple_extent_dims(sp, all, NULL);
    H5Sclose(sp);
    if (r < 0)
        return -1;
    *rank = r;
    dims[0] = r > 0 ? all[0] : 1;
    dims[1] = r > 1 ? all[1] : 1;
    return 0;
}

/* Whether a dataset's data pass through filters (compression, checksums). */
int tm_h5_has_filters(hid_t d)
{
    hid_t dcpl = H5Dget_create_plist(d);
    int yes = dcpl >= 0 && H5Pget_nfilters(dcpl) > 0;
    tm_h5_close(dcpl);
    return yes;
}

int tm_h5_validate(const tm_h5in_req_t *req, tm_h5input_t *in, tm_err_t *err)
{
    const char *path = req->path;
    /* A reference's datasets say so in every message about them. */
    const int ref = strcmp(req->what, "input") != 0;
    in->emb = tm_h5_open_dataset(in->file, path, req->emb_name,
                                 ref ? "reference embeddings" : "embeddings", err);
    if (in->emb < 0)
        return err->code;
    if (req->lab_name != NULL) {
        in->lab = tm_h5_open_dataset(in->file, path, req->lab_name,
                                     ref ? "reference labels" : "labels", err);
        if (in->lab < 0)
            return err->code;
    }

    /* Embeddings: floating point, N x D. */
    hid_t t = H5Dget_type(in->emb);
    H5T_class_t cls = H5Tget_class(t);
    H5Tclose(t);
    if (cls != H5T_FLOAT)
        return tm_err_set(err, TM_EINPUT, "embeddings '%s' must be floating point, found %s (%s)",
                          req->emb_name, cls == H5T_INTEGER ? "an integer type" : "a non-numeric type",
                          path);
    int r = 0;
    hsize_t ed[2];
    if (tm_h5_shape_of(in->emb, &r, ed) != 0)
        return tm_err_set(err, TM_EINPUT, "cannot read the shape of '%s' (%s)", req->emb_name, path);
    if (r != 2)
        return tm_err_set(err, TM_EINPUT, "embeddings '%s' must be 2-D (N x D), found %d-D (%s)",
                          req->emb_name, r, path);
    if (ed[0] == 0 || ed[1] == 0)
        return tm_err_set(err, TM_EINPUT,
                          "embeddings '%s' are empty (%llu x %llu); need N >= 1 and D >= 1 (%s)",
                          req->emb_name, (unsigned long long)ed[0], (unsigned long long)ed[1], path);
    if (ed[0] > (hsize_t)INT64_MAX / 8 || ed[1] > (hsize_t)INT32_MAX)
        return tm_err_set(err, TM_EINPUT, "embeddings '%s' are too large (%llu x %llu) (%s)",
                          req->emb_name, (unsigned long long)ed[0], (unsigned long long)ed[1], path);

    in->n = (int64_t)ed[0];
    in->dim = (int64_t)ed[1];
    in->emb_filtered = tm_h5_has_filters(in->emb);
    if (req->lab_name == NULL)
        return 0;

    /* Labels: integer, N or N x 1. */
    t = H5Dget_type(in->lab);
    cls = H5Tget_class(t);
    if (cls == H5T_INTEGER)
        in->lab_u64 = H5Tget_sign(t) == H5T_SGN_NONE && H5Tget_size(t) >= 8;
    H5Tclose(t);
    if (cls != H5T_INTEGER)
        return tm_err_set(err, TM_EINPUT, "labels '%s' must be of an integer type, found %s (%s)",
                          req->lab_name, cls == H5T_FLOAT ? "floating point" : "a non-integer type",
                          path);
    hsize_t ld[2];
    if (tm_h5_shape_of(in->lab, &r, ld) != 0)
        return tm_err_set(err, TM_EINPUT, "cannot read the shape of '%s' (%s)", req->lab_name, path);
    if (!(r == 1 || (r == 2 && ld[1] == 1)))
        return tm_err_set(err, TM_EINPUT,
                          "labels '%s' must have shape (N) or (N, 1), found %d-D%s (%s)",
                          req->lab_name, r, r == 2 ? " with more than one column" : "", path);
    if (ld[0] != ed[0])
        return tm_err_set(err, TM_EINPUT,
                          "embeddings '%s' have %llu rows but labels '%s' have %llu (%s)",
                          req->emb_name, (unsigned long long)ed[0], req->lab_name,
                          (unsigned long long)ld[0], path);
    in->lab_filtered = tm_h5_has_filters(in->lab);
    return 0;
}

/*
 * The file space of dataset d with rows [lo, lo + n) selected (all
 * columns of a 2-D dataset; nothing when n == 0).
 */
hid_t tm_h5_row_space(hid_t d, int64_t lo, int64_t n)
{
    hid_t sp = H5Dget_space(d);
    if (sp < 0)
        return sp;
    int r = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[2] = {0, 1};
    herr_t rc = r == 1 || r == 2 ? H5Sget_simple_extent_dims(sp, dims, NULL) : -1;
    if (rc >= 0) {
        hsize_t start[2] = {(hsize_t)lo, 0};
        hsize_t count[2] = {(hsize_t)n, dims[1]};
        rc = n == 0 ? H5Sselect_none(sp)
                    : H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, count, NULL);
    }
    if (rc < 0) {
        H5Sclose(sp);
        return H5I_INVALID_HID;
    }
    return sp;
}

/*
 * Read rows [lo, lo + n) of dataset d into buf as `elems` values of
 * mem_type per row, collectively or independently. A rank with no rows
 * still takes part, with empty selections.
 */
int tm_h5_read_rows(hid_t d, hid_t mem_type, int64_t lo, int64_t n, int64_t elems,
                     int collective, void *buf, char *why, size_t whylen)
{
    static float dummy[1];
    hsize_t mdims = (hsize_t)(n > 0 ? n * elems : 1);
    hid_t fsp = tm_h5_row_space(d, lo, n);
    hid_t msp = H5Screate_simple(1, &mdims, NULL);
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    int rc = -1;
    if (fsp >= 0 && msp >= 0 && dxpl >= 0 && (n > 0 || H5Sselect_none(msp) >= 0) &&
        H5Pset_dxpl_mpio(dxpl, collective ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT) >= 0)
        rc = H5Dread(d, mem_type, msp, fsp, dxpl, n > 0 ? buf : (void *)dummy) < 0 ? -1 : 0;
    /* Take HDF5's reason before the next call clears it. */
    if (rc != 0)
        tm_h5_last_error(why, whylen);
    tm_h5_close(dxpl);
    tm_h5_close(msp);
    tm_h5_close(fsp);
    return rc;
}

int tm_h5_finish_rows(const tm_h5in_req_t *req, float *emb, int64_t lo, const int64_t *row,
                      int64_t n, int64_t dim, tm_err_t *err)
{
    for (int64_t i = 0; i < n; i++) {
        const float *x = emb + i * dim;
        for (int64_t k = 0; k < dim; k++)
            if (!isfinite(x[k]))
                return tm_err_set(err, TM_EINPUT,
                                  "%sembedding row %lld is not finite (%s in column %lld after "
                                  "conversion to float32) (%s:%s)",
                                  strcmp(req->what, "input") != 0 ? "reference " : "",
                                  (long long)(row != NULL ? row[i] : lo + i),
                                  isnan(x[k]) ? "NaN" : "infinity", (long long)k, req->path,
                                  req->emb_name);
    }
    if (req->normalize)
        tm_exact_normalize_rows(emb, n, dim);
    return 0;
}
