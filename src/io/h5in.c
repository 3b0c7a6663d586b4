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

#include "io/h5open.h"
#include "io/h5util.h"
#include "base/fault.h"
#include "core/exact.h"
#include "base/log.h"

/* Size this rank's block and allocate it. Local: no collective here. */
static int alloc_shard(const tm_h5in_req_t *req, const tm_h5input_t *in, int rank, int nranks,
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
static int read_shard(const tm_h5in_req_t *req, const tm_h5input_t *in, int rank, tm_shard_t *s,
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
    if (tm_h5_read_rows(in->emb, H5T_NATIVE_FLOAT, s->lo, n, dim, !in->emb_filtered, s->emb, why,
                  sizeof why) != 0) {
        rc = tm_err_set(err, TM_EIO, "cannot read embeddings rows %lld..%lld: %s (%s:%s, rank %d)",
                        (long long)s->lo, (long long)(s->lo + n - 1), why[0] ? why : "read failed",
                        req->path, req->emb_name, rank);
    }
    hid_t lab_type = in->lab_u64 ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64;
    if (tm_h5_read_rows(in->lab, lab_type, s->lo, n, 1, !in->lab_filtered, s->labels, why,
                  sizeof why) != 0) {
        rc = tm_err_set(err, TM_EIO, "cannot read labels rows %lld..%lld: %s (%s:%s, rank %d)",
                        (long long)s->lo, (long long)(s->lo + n - 1), why[0] ? why : "read failed",
                        req->path, req->lab_name, rank);
    }
    if (rc != 0)
        return rc;

    rc = tm_h5_finish_rows(req, s->emb, s->lo, NULL, n, dim, err);
    if (rc != 0)
        return rc;
    tm_shard_sqnorms(s->emb, n, dim, s->sqnorm);
    return 0;
}

/* Rank 0's serial pass: open, validate, close. */
static int probe(const tm_h5in_req_t *req, tm_h5input_t *in, tm_err_t *err)
{
    int rc = tm_h5_open_file(req, MPI_COMM_NULL, &in->file, err);
    if (rc != 0)
        return rc;
    rc = tm_h5_validate(req, in, err);
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
    tm_h5input_t in = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID, 0, 0, 0, 0, 0};

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

    rc = tm_h5_open_file(req, comm, &in.file, err);
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
