/*
 * h5rows.c - one rank's own reads of an input file (h5rows.h).
 */
#include "io/h5rows.h"

#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "io/h5open.h"
#include "io/h5util.h"

struct tm_h5rows {
    const tm_h5in_req_t *req;
    tm_h5input_t in;
    float *spare;  /* the block of nearby rows of tm_h5rows_pick */
};

/* The gap between chosen rows that tm_h5rows_pick reads over. */
#define PICK_GAP 64
#define PICK_SPAN TM_H5ROWS_SPAN

int tm_h5rows_open(const tm_h5in_req_t *req, tm_h5rows_t **out, tm_err_t *err)
{
    *out = NULL;
    tm_h5rows_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate a reader (%s)", req->path);
    r->req = req;
    r->in.file = r->in.emb = r->in.lab = H5I_INVALID_HID;
    int rc = tm_h5_open_file(req, MPI_COMM_NULL, &r->in.file, err);
    if (rc == 0)
        rc = tm_h5_validate(req, &r->in, err);
    if (rc != 0) {
        tm_h5rows_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int64_t tm_h5rows_count(const tm_h5rows_t *r)
{
    return r->in.n;
}

int64_t tm_h5rows_dim(const tm_h5rows_t *r)
{
    return r->in.dim;
}

/* Rows [lo, lo + n) as float32, unchecked. */
static int read_floats(tm_h5rows_t *r, int64_t lo, int64_t n, float *emb, tm_err_t *err)
{
    char why[256] = "";
    if (tm_h5_read_rows(r->in.emb, H5T_NATIVE_FLOAT, lo, n, r->in.dim, 0, emb, why,
                        sizeof why) != 0)
        return tm_err_set(err, TM_EIO, "cannot read embeddings rows %lld..%lld: %s (%s:%s)",
                          (long long)lo, (long long)(lo + n - 1), why[0] ? why : "read failed",
                          r->req->path, r->req->emb_name);
    return 0;
}

int tm_h5rows_read(tm_h5rows_t *r, int64_t lo, int64_t n, float *emb, int64_t *labels,
                   tm_err_t *err)
{
    int rc = read_floats(r, lo, n, emb, err);
    if (rc == 0)
        rc = tm_h5_finish_rows(r->req, emb, lo, NULL, n, r->in.dim, err);
    if (rc != 0 || labels == NULL)
        return rc;
    if (r->req->lab_name == NULL) {
        for (int64_t i = 0; i < n; i++)
            labels[i] = lo + i;
        return 0;
    }
    char why[256] = "";
    hid_t type = r->in.lab_u64 ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64;
    if (tm_h5_read_rows(r->in.lab, type, lo, n, 1, 0, labels, why, sizeof why) != 0)
        return tm_err_set(err, TM_EIO, "cannot read labels rows %lld..%lld: %s (%s:%s)",
                          (long long)lo, (long long)(lo + n - 1), why[0] ? why : "read failed",
                          r->req->path, r->req->lab_name);
    return 0;
}

int tm_h5rows_pick(tm_h5rows_t *r, const int64_t *rows, int64_t k, float *emb, tm_err_t *err)
{
    const int64_t dim = r->in.dim;
    if (r->spare == NULL && k > 0) {
        r->spare = malloc((size_t)PICK_SPAN * (size_t)dim * sizeof(float));
        if (r->spare == NULL)
            return tm_err_set(err, TM_ENOMEM, "cannot allocate a block of %d rows (%s)",
                              PICK_SPAN, r->req->path);
    }
    /* Runs of rows close together, at most PICK_SPAN rows from first to last. */
    for (int64_t i = 0; i < k;) {
        int64_t j = i + 1;
        while (j < k && rows[j] - rows[j - 1] <= PICK_GAP && rows[j] - rows[i] < PICK_SPAN)
            j++;
        const int64_t lo = rows[i], n = rows[j - 1] - lo + 1;
        int rc = read_floats(r, lo, n, r->spare, err);
        if (rc != 0)
            return rc;
        for (int64_t t = i; t < j; t++)
            memcpy(emb + t * dim, r->spare + (rows[t] - lo) * dim, (size_t)dim * sizeof(float));
        i = j;
    }
    return tm_h5_finish_rows(r->req, emb, 0, rows, k, dim, err);
}

void tm_h5rows_close(tm_h5rows_t *r)
{
    if (r == NULL)
        return;
    tm_h5_close(r->in.lab);
    tm_h5_close(r->in.emb);
    tm_h5_close(r->in.file);
    free(r->spare);
    free(r);
}

/* ---- pairs --------------------------------------------------------------------- */

struct tm_h5pairs {
    const char *path, *name;
    hid_t file, d;
    int64_t m;
};

void tm_h5pairs_close(tm_h5pairs_t *p)
{
    if (p == NULL)
        return;
    tm_h5_close(p->d);
    tm_h5_close(p->file);
    free(p);
}

/* The shape and type of the pairs dataset: 0 or an error. */
static int check_pairs(tm_h5pairs_t *p, tm_err_t *err)
{
    hid_t t = H5Dget_type(p->d);
    H5T_class_t cls = H5Tget_class(t);
    tm_h5_close(t);
    if (cls != H5T_INTEGER)
        return tm_err_set(err, TM_EINPUT, "pairs '%s' must be of an integer type, found %s "
                          "(%s, --pairs)", p->name,
                          cls == H5T_FLOAT ? "floating point" : "a non-integer type", p->path);
    int rank = 0;
    hsize_t dims[2];
    if (tm_h5_shape_of(p->d, &rank, dims) != 0)
        return tm_err_set(err, TM_EINPUT, "cannot read the shape of '%s' (%s)", p->name, p->path);
    if (rank != 2 || dims[1] != 2)
        return tm_err_set(err, TM_EINPUT, "pairs '%s' must have shape (M, 2), one (query row, "
                          "positive row) per pair; found %d-D%s (%s, --pairs)", p->name, rank,
                          rank == 2 ? " with another number of columns" : "", p->path);
    if (dims[0] > (hsize_t)INT64_MAX / 16)
        return tm_err_set(err, TM_EINPUT, "pairs '%s' are too many (%llu) (%s)", p->name,
                          (unsigned long long)dims[0], p->path);
    p->m = (int64_t)dims[0];
    return 0;
}

int tm_h5pairs_open(const char *path, const char *name, tm_h5pairs_t **out, int64_t *m,
                    tm_err_t *err)
{
    *out = NULL;
    *m = 0;
    tm_h5pairs_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate a reader (%s)", path);
    p->path = path;
    p->name = name;
    p->file = p->d = H5I_INVALID_HID;
    /* The embeddings' names do not matter to open the file. */
    const tm_h5in_req_t req = {path, "", NULL, 0, 0, "input"};
    int rc = tm_h5_open_file(&req, MPI_COMM_NULL, &p->file, err);
    if (rc == 0) {
        p->d = tm_h5_open_dataset(p->file, path, name, "pairs", err);
        rc = p->d < 0 ? err->code : check_pairs(p, err);
    }
    if (rc != 0) {
        tm_h5pairs_close(p);
        return rc;
    }
    *m = p->m;
    *out = p;
    return 0;
}

int tm_h5pairs_read(tm_h5pairs_t *p, int64_t lo, int64_t n, int64_t nq, int64_t nc,
                    const char *cands, int64_t *qp, tm_err_t *err)
{
    if (n == 0)
        return 0;
    char why[256] = "";
    if (tm_h5_read_rows(p->d, H5T_NATIVE_INT64, lo, n, 2, 0, qp, why, sizeof why) != 0)
        return tm_err_set(err, TM_EIO, "cannot read pairs %lld..%lld: %s (%s:%s)", (long long)lo,
                          (long long)(lo + n - 1), why[0] ? why : "read failed", p->path,
                          p->name);
    for (int64_t i = 0; i < n; i++) {
        const int64_t q = qp[2 * i], c = qp[2 * i + 1];
        if (q < 0 || q >= nq)
            return tm_err_set(err, TM_EINPUT, "pair %lld has query row %lld, out of range: the "
                              "input has %lld rows (%s:%s)", (long long)(lo + i), (long long)q,
                              (long long)nq, p->path, p->name);
        if (c < 0 || c >= nc)
            return tm_err_set(err, TM_EINPUT, "pair %lld has positive row %lld, out of range: "
                              "the %s has %lld rows (%s:%s)", (long long)(lo + i), (long long)c,
                              cands, (long long)nc, p->path, p->name);
    }
    return 0;
}
