/*
 * h5in.c - parallel read of the input embeddings and labels.
 *
 * Every metadata step (open, validation) gives the same verdict on every
 * rank, but we still agree after each step: a damaged file can fail
 * differently on different ranks, and the collective close at the end must
 * be reached by all of them.
 */
#include "io/h5in.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "io/h5util.h"
#include "base/fault.h"
#include "core/exact.h"
#include "base/log.h"

/* Open datasets and what validation learned about them. */
typedef struct input {
    hid_t file, emb, lab;
    int64_t n, dim;
    int lab_u64;         /* labels are unsigned 64-bit */
    int emb_filtered;    /* embeddings have a filter pipeline */
    int lab_filtered;    /* labels have a filter pipeline */
} input_t;

/*
 * Open the input. With comm == MPI_COMM_NULL the file is opened serially
 * (rank 0's validation pass), otherwise with the MPI-IO driver on comm.
 */
static int open_file(const tm_h5in_req_t *req, MPI_Comm comm, hid_t *file, tm_err_t *err)
{
    struct stat st;
    if (stat(req->path, &st) != 0)
        return tm_err_set(err, TM_EIO, "cannot open input: %s (%s)", strerror(errno), req->path);
    if (S_ISDIR(st.st_mode))
        return tm_err_set(err, TM_EIO, "input is a directory, not an HDF5 file (%s)", req->path);

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
            return tm_err_set(err, TM_EIO, "cannot open input: %s (%s)", strerror(errno), req->path);
        return tm_err_set(err, TM_EINPUT, "not a readable HDF5 file%s%s (%s)",
                          why[0] ? ": " : "", why, req->path);
    }
    return 0;
}

/* Open a dataset by name, saying clearly when it is missing or not a dataset. */
static hid_t open_dataset(hid_t file, const char *path, const char *name, const char *role,
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
static int shape_of(hid_t d, int *rank, hsize_t dims[2])
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
static int has_filters(hid_t d)
{
    hid_t dcpl = H5Dget_create_plist(d);
    int yes = dcpl >= 0 && H5Pget_nfilters(dcpl) > 0;
    tm_h5_close(dcpl);
    return yes;
}

static int validate(const tm_h5in_req_t *req, input_t *in, tm_err_t *err)
{
    const char *path = req->path;
    in->emb = open_dataset(in->file, path, req->emb_name, "embeddings", err);
    if (in->emb < 0)
        return err->code;
    in->lab = open_dataset(in->file, path, req->lab_name, "labels", err);
    if (in->lab < 0)
        return err->code;

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
    if (shape_of(in->emb, &r, ed) != 0)
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
    if (shape_of(in->lab, &r, ld) != 0)
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
    in->n = (int64_t)ed[0];
    in->dim = (int64_t)ed[1];

    in->emb_filtered = has_filters(in->emb);
    in->lab_filtered = has_filters(in->lab);
    return 0;
}

/*
 * The file space of dataset d with rows [lo, lo + n) selected (all
 * columns of a 2-D dataset; nothing when n == 0).
 */
static hid_t row_space(hid_t d, int64_t lo, int64_t n)
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
static int read_rows(hid_t d, hid_t mem_type, int64_t lo, int64_t n, int64_t elems,
                     int collective, void *buf, char *why, size_t whylen)
{
    static float dummy[1];
    hsize_t mdims = (hsize_t)(n > 0 ? n * elems : 1);
    hid_t fsp = row_space(d, lo, n);
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

/* Size this rank's block and allocate it. Local: no collective here. */
static int alloc_shard(const tm_h5in_req_t *req, const input_t *in, int rank, int nranks,
                       tm_shard_t *s, tm_err_t *err)
{
    s->n_global = in->n;
    s->dim = in->dim;
    tm_shard_range(in->n, nranks, rank, &s->lo, &s->n);

    /*
     * Sizes come from the file: check every product before allocating,
     * the shard's whole size n (4 dim + 16) included (its float part alone
     * can fit when the sum does not).
     */
    int64_t n = s->n, dim = s->dim;
    if (n > 0 && dim > (INT64_MAX / n - 16) / 4)
        return tm_err_set(err, TM_ENOMEM, "a shard of %lld x %lld floats overflows (%s)",
                          (long long)n, (long long)dim, req->path);
    int64_t bytes = n * dim * 4 + n * 16;
    if (req->mem_limit > 0 && bytes > req->mem_limit)
        return tm_err_set(err, TM_ENOMEM,
                          "the shard of rank %d needs %lld bytes, over the memory budget of %lld "
                          "(--mem-limit; use more ranks) (%s)",
                          rank, (long long)bytes, (long long)req->mem_limit, req->path);
    size_t alloc_n = (size_t)(n > 0 ? n : 1);
    s->emb = malloc(alloc_n * (size_t)dim * sizeof(float));
    s->labels = malloc(alloc_n * sizeof(int64_t));
    s->sqnorm = malloc(alloc_n * sizeof(double));
    if (s->emb == NULL || s->labels == NULL || s->sqnorm == NULL)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate the shard of rank %d: %lld bytes (%s)",
                          rank, (long long)bytes, req->path);
    return 0;
}

/*
 * Read the allocated block. Every rank makes every (possibly collective)
 * read call, whatever happens, and only then checks the values.
 */
static int read_shard(const tm_h5in_req_t *req, const input_t *in, int rank, tm_shard_t *s,
                      tm_err_t *err)
{
    const int64_t n = s->n, dim = s->dim;
    /*
     * Filtered (compressed) datasets are read independently: in collective
     * mode a chunk that fails to decompress on one rank leaves the other
     * ranks waiting inside HDF5. Unfiltered data is read collectively.
     * Both reads are made on every rank whatever the first one gave, so
     * that no rank skips a collective call that another one makes.
     */
    char why[256];
    int rc = 0;
    why[0] = '\0';
    if (read_rows(in->emb, H5T_NATIVE_FLOAT, s->lo, n, dim, !in->emb_filtered, s->emb, why,
                  sizeof why) != 0) {
        rc = tm_err_set(err, TM_EIO, "cannot read embeddings rows %lld..%lld: %s (%s:%s, rank %d)",
                        (long long)s->lo, (long long)(s->lo + n - 1), why[0] ? why : "read failed",
                        req->path, req->emb_name, rank);
    }
    hid_t lab_type = in->lab_u64 ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64;
    if (read_rows(in->lab, lab_type, s->lo, n, 1, !in->lab_filtered, s->labels, why,
                  sizeof why) != 0) {
        rc = tm_err_set(err, TM_EIO, "cannot read labels rows %lld..%lld: %s (%s:%s, rank %d)",
                        (long long)s->lo, (long long)(s->lo + n - 1), why[0] ? why : "read failed",
                        req->path, req->lab_name, rank);
    }
    if (rc != 0)
        return rc;

    for (int64_t i = 0; i < n; i++) {
        const float *row = s->emb + i * dim;
        for (int64_t k = 0; k < dim; k++)
            if (!isfinite(row[k]))
                return tm_err_set(err, TM_EINPUT,
                                  "embedding row %lld is not finite (%s in column %lld after "
                                  "conversion to float32) (%s:%s)",
                                  (long long)(s->lo + i), isnan(row[k]) ? "NaN" : "infinity",
                                  (long long)k, req->path, req->emb_name);
    }
    if (req->normalize)
        tm_exact_normalize_rows(s->emb, n, dim);
    tm_shard_sqnorms(s->emb, n, dim, s->sqnorm);
    return 0;
}

/* Rank 0's serial pass: open, validate, close. */
static int probe(const tm_h5in_req_t *req, input_t *in, tm_err_t *err)
{
    int rc = open_file(req, MPI_COMM_NULL, &in->file, err);
    if (rc != 0)
        return rc;
    rc = validate(req, in, err);
    tm_h5_close(in->lab);
    tm_h5_close(in->emb);
    H5Fclose(in->file);
    in->file = in->emb = in->lab = H5I_INVALID_HID;
    return rc;
}

int tm_h5in_read(const tm_h5in_req_t *req, MPI_Comm comm, tm_shard_t *shard, tm_err_t *err)
{
    int rank = 0, nranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    memset(shard, 0, sizeof *shard);
    input_t in = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID, 0, 0, 0, 0, 0};

    /*
     * Rank 0 validates the metadata alone, so that a missing, damaged or
     * ill-shaped input never gets as far as the collective open (whose
     * failure on some ranks only could not be cleaned up collectively).
     */
    int rc = rank == 0 ? probe(req, &in, err) : 0;
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        return rc;
    int64_t facts[5] = {in.n, in.dim, in.lab_u64, in.emb_filtered, in.lab_filtered};
    if (MPI_Bcast(facts, 5, MPI_INT64_T, 0, comm) != MPI_SUCCESS)
        return tm_err_set(err, TM_EMPI, "MPI_Bcast of the input shape failed (%s)", req->path);
    in.n = facts[0];
    in.dim = facts[1];
    in.lab_u64 = (int)facts[2];
    in.emb_filtered = (int)facts[3];
    in.lab_filtered = (int)facts[4];

    rc = open_file(req, comm, &in.file, err);
    int opened = in.file >= 0, opened_all = 0;
    MPI_Allreduce(&opened, &opened_all, 1, MPI_INT, MPI_SUM, comm);
    if (opened_all != 0 && opened_all != nranks) {
        /* Some ranks hold a collective file handle that cannot be closed. */
        tm_log_error("the input opened on some ranks only; aborting");
        MPI_Abort(comm, 1);
    }
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        return rc;

    in.emb = H5Dopen2(in.file, req->emb_name, H5P_DEFAULT);
    in.lab = H5Dopen2(in.file, req->lab_name, H5P_DEFAULT);
    if (in.emb < 0 || in.lab < 0)
        rc = tm_err_set(err, TM_EINPUT, "cannot open the datasets '%s' and '%s' (%s)",
                        req->emb_name, req->lab_name, req->path);
    rc = tm_err_agree(rc, err, comm);
    if (rc == 0) {
        rc = alloc_shard(req, &in, rank, nranks, shard, err);
        rc = tm_err_agree(rc, err, comm);
    }
    if (rc == 0) {
        rc = read_shard(req, &in, rank, shard, err);
        if (rc == 0)
            rc = tm_fault_at("read", rank, err);
        rc = tm_err_agree(rc, err, comm);
    }
    /* Every rank reaches the collective close, whatever happened above. */
    tm_h5_close(in.lab);
    tm_h5_close(in.emb);
    if (H5Fclose(in.file) < 0 && rc == 0)
        rc = tm_err_set(err, TM_EIO, "closing the input failed (%s)", req->path);
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        tm_shard_free(shard);
    return rc;
}
