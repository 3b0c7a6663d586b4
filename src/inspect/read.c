/*
 * read.c - read a mining output for "tripminer inspect": check
 * that it is one (datasets, shapes, classes, attributes, lengths), read
 * the distance columns in bounded pieces, stream the loss column, and
 * compute the report's statistics. Runs on one process (rank 0), with
 * HDF5's default (serial) file driver.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "io/h5open.h"
#include "io/h5util.h"
#include "inspect/report.h"

/* Rows read per HDF5 call: bounds HDF5's conversion buffers and ours. */
#define READ_ROWS ((int64_t)1 << 16)

void tm_inspect_report_free(tm_inspect_report_t *r)
{
    for (size_t k = 0; k < tm_nfields; k++)
        if (r->attr[k].type == TM_FT_STR)
            free((char *)r->attr[k].s);
    free(r->d_ap);
    free(r->d_an);
    free(r->diff);
    tm_inspect_hist_free(&r->hist);
    memset(r, 0, sizeof *r);
}

static int open_file(const char *path, hid_t *file, tm_err_t *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return tm_err_set(err, TM_EIO, "cannot open the file: %s (%s)", strerror(errno), path);
    if (S_ISDIR(st.st_mode))
        return tm_err_set(err, TM_EIO, "a directory, not a tripminer output (%s)", path);
    *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*file < 0) {
        char why[256];
        tm_h5_last_error(why, sizeof why);
        if (access(path, R_OK) != 0)
            return tm_err_set(err, TM_EIO, "cannot open the file: %s (%s)", strerror(errno), path);
        return tm_err_set(err, TM_EINPUT,
                          "not a tripminer output: not a readable HDF5 file%s%s (%s)",
                          why[0] ? ": " : "", why, path);
    }
    return 0;
}

/* A type class in words, for messages: "holds integer values". */
static const char *class_words(H5T_class_t c)
{
    switch (c) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "floating-point";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ARRAY: return "array";
    default: return "non-numeric";
    }
}

/* The same with an article: "attribute X is a string". */
static const char *class_phrase(H5T_class_t c)
{
    switch (c) {
    case H5T_INTEGER: return "an integer";
    case H5T_FLOAT: return "a floating-point number";
    case H5T_STRING: return "a string";
    case H5T_COMPOUND: return "a compound";
    case H5T_ARRAY: return "an array";
    default: return "of another type";
    }
}

/* Whether a link of that name exists and is a dataset (1), something else (0). */
static int is_dataset(hid_t file, const char *name, int *exists)
{
    H5O_info_t info;
    *exists = 0;
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0 ||
        H5Oget_info_by_name2(file, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    *exists = 1;
    return info.type == H5O_TYPE_DATASET;
}

/*
 * Open one dataset of the output and check its class and shape: 1-D of
 * want_class, or (triplets) 2-D with 3 columns. *rows gets its length.
 */
static int open_column(hid_t file, const char *path, const char *name, H5T_class_t want_class,
                       int is_triplets, hid_t *dset, int64_t *rows, tm_err_t *err)
{
    int exists = 0;
    *dset = H5I_INVALID_HID;
    if (!is_dataset(file, name, &exists)) {
        int dummy = 0;
        if (exists)
            return tm_err_set(err, TM_EINPUT,
                              "not a tripminer output: '%s' is not a dataset (%s)", name, path);
        if (is_triplets && is_dataset(file, "embeddings", &dummy))
            return tm_err_set(err, TM_EINPUT,
                              "not a tripminer output: dataset '%s' is missing; this looks like "
                              "an input embedding set (%s)", name, path);
        return tm_err_set(err, TM_EINPUT, "not a tripminer output: dataset '%s' is missing (%s)",
                          name, path);
    }
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0) {
        char why[256];
        tm_h5_last_error(why, sizeof why);
        return tm_err_set(err, TM_EINPUT, "cannot open dataset '%s': %s (%s)", name, why, path);
    }
    hid_t t = H5Dget_type(d);
    hid_t sp = H5Dget_space(d);
    int rc = 0;
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    hsize_t dims[H5S_MAX_RANK];
    if (nd >= 0 && nd <= H5S_MAX_RANK)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    if (c != want_class) {
        rc = tm_err_set(err, TM_EINPUT,
                        "not a tripminer output: dataset '%s' holds %s values, expected %s (%s)",
                        name, class_words(c), want_class == H5T_INTEGER ? "int64" : "float32",
                        path);
    } else if (nd < 0 || nd > H5S_MAX_RANK) {
        rc = tm_err_set(err, TM_EINPUT, "cannot read the shape of dataset '%s' (%s)", name, path);
    } else if (is_triplets ? (nd != 2 || dims[1] != 3) : nd != 1) {
        char shape[96] = "(";
        for (int i = 0; i < nd && strlen(shape) < sizeof shape - 24; i++)
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%llu",
                     i ? ", " : "", (unsigned long long)dims[i]);
        strcat(shape, ")");
        rc = tm_err_set(err, TM_EINPUT,
                        "not a tripminer output: dataset '%s' has shape %s, expected %s (%s)",
                        name, nd == 0 ? "scalar" : shape, is_triplets ? "(M, 3)" : "(M)", path);
    } else if (dims[0] > (hsize_t)INT64_MAX / 32) {
        rc = tm_err_set(err, TM_EINPUT, "dataset '%s' is implausibly long (%s)", name, path);
    }
    tm_h5_close(t);
    tm_h5_close(sp);
    if (rc != 0) {
        H5Dclose(d);
        return rc;
    }
    *rows = (int64_t)dims[0];
    *dset = d;
    return 0;
}

/* Open a root attribute holding one value of class want; say what is wrong. */
static hid_t open_attr(hid_t file, const char *path, const char *name, H5T_class_t want,
                       hid_t *type, tm_err_t *err)
{
    *type = H5I_INVALID_HID;
    if (H5Aexists(file, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        tm_err_set(err, TM_EINPUT, "not a tripminer output: root attribute '%s' is missing (%s)",
                   name, path);
        return H5I_INVALID_HID;
    }
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
    hid_t sp = a >= 0 ? H5Aget_space(a) : H5I_INVALID_HID;
    hssize_t npts = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    tm_h5_close(sp);
    if (t < 0) {
        tm_h5_close(a);
        tm_err_set(err, TM_EINPUT, "cannot read root attribute '%s' (%s)", name, path);
        return H5I_INVALID_HID;
    }
    H5T_class_t c = H5Tget_class(t);
    if (c != want) {
        tm_err_set(err, TM_EINPUT,
                   "not a tripminer output: root attribute '%s' is %s, expected %s (%s)", name,
                   class_phrase(c), class_phrase(want), path);
    } else if (npts != 1) {
        tm_err_set(err, TM_EINPUT,
                   "not a tripminer output: root attribute '%s' holds %lld values, expected one "
                   "(%s)", name, (long long)npts, path);
    } else {
        *type = t;
        return a;
    }
    tm_h5_close(t);
    tm_h5_close(a);
    return H5I_INVALID_HID;
}

static int attr_str(hid_t file, const char *path, const char *name, char **out, tm_err_t *err)
{
    hid_t ft;
    hid_t a = open_attr(file, path, name, H5T_STRING, &ft, err);
    if (a < 0)
        return err->code != 0 ? err->code : TM_EINPUT;
    int ok = 0;
    hid_t mt = H5Tcopy(H5T_C_S1);
    if (H5Tis_variable_str(ft) > 0) {
        char *p = NULL;
        if (mt >= 0 && H5Tset_size(mt, H5T_VARIABLE) >= 0 &&
            H5Tset_cset(mt, H5Tget_cset(ft)) >= 0 && H5Aread(a, mt, &p) >= 0) {
            *out = strdup(p != NULL ? p : "");
            ok = *out != NULL;
            H5free_memory(p);
        }
    } else {
        size_t n = H5Tget_size(ft);
        *out = calloc(n + 2, 1);
        if (*out != NULL && mt >= 0 && H5Tset_size(mt, n + 1) >= 0 &&
            H5Tset_cset(mt, H5Tget_cset(ft)) >= 0 && H5Tset_strpad(mt, H5T_STR_NULLTERM) >= 0 &&
            H5Aread(a, mt, *out) >= 0)
            ok = 1;
    }
    tm_h5_close(mt);
    tm_h5_close(ft);
    tm_h5_close(a);
    if (!ok) {
        H5Eclear2(H5E_DEFAULT);
        return tm_err_set(err, TM_EINPUT, "cannot read root attribute '%s' (%s)", name, path);
    }
    return 0;
}

static int attr_num(hid_t file, const char *path, const char *name, H5T_class_t want,
                    int unsigned_, void *out, tm_err_t *err)
{
    hid_t ft;
    hid_t a = open_attr(file, path, name, want, &ft, err);
    if (a < 0)
        return err->code != 0 ? err->code : TM_EINPUT;
    hid_t mem = want == H5T_INTEGER ? (unsigned_ ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64)
                                    : H5T_NATIVE_DOUBLE;
    herr_t hr = H5Aread(a, mem, out);
    tm_h5_close(ft);
    tm_h5_close(a);
    if (hr < 0) {
        H5Eclear2(H5E_DEFAULT);
        return tm_err_set(err, TM_EINPUT, "cannot read root attribute '%s' (%s)", name, path);
    }
    return 0;
}

/* Every attribute row of the field table, in its order. */
static int read_attrs(hid_t f, const char *path, tm_inspect_report_t *r, tm_err_t *err)
{
    int rc = 0;
    for (size_t k = 0; k < tm_nfields && rc == 0; k++) {
        const tm_field_t *fd = &tm_fields[k];
        if (!(fd->flags & TM_FIELD_ATTR))
            continue;
        tm_value_t *v = &r->attr[k];
        v->type = fd->type;
        if ((fd->flags & TM_FIELD_OPTIONAL) && H5Aexists(f, fd->name) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            v->none = 1; /* an option the run did not use */
            continue;
        }
        if (fd->type == TM_FT_STR) {
            char *s = NULL;
            rc = attr_str(f, path, fd->name, &s, err);
            v->s = s;
        } else if (fd->type == TM_FT_F64) {
            rc = attr_num(f, path, fd->name, H5T_FLOAT, 0, &v->f, err);
        } else if (fd->type == TM_FT_U64) {
            rc = attr_num(f, path, fd->name, H5T_INTEGER, 1, &v->u, err);
        } else {
            rc = attr_num(f, path, fd->name, H5T_INTEGER, 0, &v->i, err);
        }
    }
    return rc;
}

static const tm_value_t *attr_of(const tm_inspect_report_t *r, const char *name)
{
    static const tm_value_t none = {TM_FT_STR, 1, "", 0.0, 0, 0};
    int k = tm_field_index(name);
    return k >= 0 ? &r->attr[k] : &none;
}

const char *tm_report_str(const tm_inspect_report_t *r, const char *name)
{
    const char *s = attr_of(r, name)->s;
    return s != NULL ? s : "";
}

double tm_report_f64(const tm_inspect_report_t *r, const char *name)
{
    return attr_of(r, name)->f;
}

int64_t tm_report_i64(const tm_inspect_report_t *r, const char *name)
{
    return attr_of(r, name)->i;
}

/* Read rows [lo, lo + n) of a 1-D dataset as float32. */
static int read_rows(hid_t d, const char *path, const char *name, int64_t lo, int64_t n,
                     float *buf, tm_err_t *err)
{
    char why[256];
    if (tm_h5_read_rows(d, H5T_NATIVE_FLOAT, lo, n, 1, 0, buf, why, sizeof why) != 0) {
        return tm_err_set(err, TM_EIO, "reading dataset '%s' failed: %s (%s)", name,
                          why[0] ? why : "read failed", path);
    }
    return 0;
}

static int read_column(hid_t d, const char *path, const char *name, int64_t m, float *out,
                       tm_err_t *err)
{
    for (int64_t lo = 0; lo < m; lo += READ_ROWS) {
        int64_t n = m - lo < READ_ROWS ? m - lo : READ_ROWS;
        int rc = read_rows(d, path, name, lo, n, out + lo, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Stream the loss column through a bounded buffer. */
static int scan_loss(hid_t d, const char *path, tm_inspect_report_t *r, tm_err_t *err)
{
    float *buf = malloc((size_t)READ_ROWS * sizeof *buf);
    if (buf == NULL)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate the read buffer (%s)", path);
    r->loss_col_min = INFINITY;
    r->loss_col_max = -INFINITY;
    int rc = 0;
    for (int64_t lo = 0; rc == 0 && lo < r->m; lo += READ_ROWS) {
        int64_t n = r->m - lo < READ_ROWS ? r->m - lo : READ_ROWS;
        rc = read_rows(d, path, "loss", lo, n, buf, err);
        for (int64_t i = 0; rc == 0 && i < n; i++) {
            double v = buf[i];
            if (!isfinite(v)) {
                r->loss_nonfinite++;
                continue;
            }
            r->loss_col_sum += v;
            r->loss_active += v > 0.0;
            r->loss_col_min = fmin(r->loss_col_min, v);
            r->loss_col_max = fmax(r->loss_col_max, v);
        }
    }
    free(buf);
    if (r->loss_col_min > r->loss_col_max) {
        r->loss_col_min = NAN; /* no finite value at all */
        r->loss_col_max = NAN;
    }
    return rc;
}

static int cmp_f32(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int cmp_f64(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Read d_ap and d_an, keep the rows where both are finite, sort, summarise. */
static int distance_stats(hid_t dap, hid_t dan, const char *path, int bins,
                          tm_inspect_report_t *r, tm_err_t *err)
{
    if (r->m == 0)
        return 0;
    size_t m = (size_t)r->m;
    r->d_ap = malloc(m * sizeof *r->d_ap);
    r->d_an = malloc(m * sizeof *r->d_an);
    r->diff = malloc(m * sizeof *r->diff);
    if (r->d_ap == NULL || r->d_an == NULL || r->diff == NULL)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate %.0f MiB for the distances (%s)",
                          (double)m * 16.0 / 1048576.0, path);
    int rc = read_column(dap, path, "d_ap", r->m, r->d_ap, err);
    if (rc == 0)
        rc = read_column(dan, path, "d_an", r->m, r->d_an, err);
    if (rc != 0)
        return rc;
    double margin = tm_report_f64(r, "margin");
    int64_t n = 0;
    for (int64_t i = 0; i < r->m; i++) {
        float ap = r->d_ap[i], an = r->d_an[i];
        if (!isfinite(ap) || !isfinite(an)) {
            r->nonfinite++;
            continue;
        }
        r->d_ap[n] = ap;
        r->d_an[n] = an;
        /* Exact: both are float32, their difference fits a double. */
        r->diff[n] = (double)an - (double)ap;
        r->below_margin += r->diff[n] < margin;
        n++;
    }
    r->n = n;
    if (n == 0)
        return 0;
    qsort(r->d_ap, (size_t)n, sizeof *r->d_ap, cmp_f32);
    qsort(r->d_an, (size_t)n, sizeof *r->d_an, cmp_f32);
    qsort(r->diff, (size_t)n, sizeof *r->diff, cmp_f64);
    for (int k = 0; k < TM_INSPECT_NQ; k++) {
        r->q_ap[k] = tm_inspect_quantile_f32(r->d_ap, n, tm_inspect_q_levels[k]);
        r->q_an[k] = tm_inspect_quantile_f32(r->d_an, n, tm_inspect_q_levels[k]);
        r->q_diff[k] = tm_inspect_quantile_f64(r->diff, n, tm_inspect_q_levels[k]);
    }
    rc = tm_inspect_hist_layout(&r->hist, r->diff[0], r->diff[n - 1], margin, bins);
    if (rc == TM_ENOMEM)
        return tm_err_set(err, rc, "cannot allocate the histogram (%s)", path);
    if (rc != 0)
        return tm_err_set(err, rc, "cannot lay out the histogram of d_an - d_ap over [%g, %g] (%s)",
                          r->diff[0], r->diff[n - 1], path);
    if (!isfinite(margin))
        r->hist.anchor_edge = -1; /* the layout anchored at 0 instead */
    for (int64_t i = 0; i < n; i++)
        tm_inspect_hist_add(&r->hist, r->diff[i]);
    return 0;
}

int tm_inspect_report_load(const char *path, int bins, tm_inspect_report_t *r, tm_err_t *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->hist.anchor_edge = -1;
    hid_t file = H5I_INVALID_HID, trip = H5I_INVALID_HID, dap = H5I_INVALID_HID,
          dan = H5I_INVALID_HID, loss = H5I_INVALID_HID;
    int64_t m_trip = 0, m_ap = 0, m_an = 0, m_loss = 0;
    int rc = open_file(path, &file, err);
    /* The triplets are checked, never read: nothing here needs them. */
    hid_t *dset[TM_OUT_NDATASETS] = {&trip, &dap, &dan, &loss};
    int64_t *rows[TM_OUT_NDATASETS] = {&m_trip, &m_ap, &m_an, &m_loss};
    for (int k = 0; k < TM_OUT_NDATASETS && rc == 0; k++) {
        const tm_dataset_def_t *d = &tm_out_datasets[k];
        rc = open_column(file, path, d->name, d->is_int ? H5T_INTEGER : H5T_FLOAT, d->cols > 0,
                         dset[k], rows[k], err);
    }
    if (rc == 0 && (m_ap != m_trip || m_an != m_trip || m_loss != m_trip))
        rc = tm_err_set(err, TM_EINPUT,
                        "not a tripminer output: the datasets differ in length: triplets %lld, "
                        "d_ap %lld, d_an %lld, loss %lld rows (%s)",
                        (long long)m_trip, (long long)m_ap, (long long)m_an, (long long)m_loss,
                        path);
    r->m = m_trip;
    if (rc == 0)
        rc = read_attrs(file, path, r, err);
    if (rc == 0 && tm_report_i64(r, "num_triplets") != r->m)
        rc = tm_err_set(err, TM_EINPUT,
                        "not a tripminer output: attribute num_triplets is %lld but the datasets "
                        "hold %lld rows (%s)",
                        (long long)tm_report_i64(r, "num_triplets"), (long long)r->m, path);
    if (rc == 0)
        rc = distance_stats(dap, dan, path, bins, r, err);
    if (rc == 0)
        rc = scan_loss(loss, path, r, err);
    tm_h5_close(loss);
    tm_h5_close(dan);
    tm_h5_close(dap);
    tm_h5_close(trip);
    if (file >= 0 && H5Fclose(file) < 0 && rc == 0)
        rc = tm_err_set(err, TM_EIO, "closing the file failed (%s)", path);
    return rc;
}
