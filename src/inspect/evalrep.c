/*
 * evalrep.c - read the report of "tripminer eval" for "tripminer
 * inspect": recognise it, check every attribute and column it promises
 * (docs/contract.md, README "Evaluating an embedding"), and keep what the
 * summaries and the picture show. Runs on one process (rank 0), with
 * HDF5's default (serial) file driver.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "inspect/evalrep.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "io/h5open.h"
#include "io/h5util.h"

/* Rows read per HDF5 call when a column is streamed. */
#define CHUNK_ROWS ((int64_t)1 << 16)

/* The opening of every complaint about the file's contents. */
#define NOT_REPORT "not a tripminer eval report"

const char *const tm_evalrep_metric_names[TM_EVALREP_NMETRICS] = {
    "precision_at_1", "r_precision", "mean_average_precision_at_r", "mean_reciprocal_rank"};

/* A column of a group: its name and whether it holds float64 (else int64). */
typedef struct col {
    const char *name;
    int is_float;
} col_t;

static const col_t BY_CLASS[] = {
    {"label", 0},          {"queries", 0},     {"without_positive", 0},
    {"precision_at_1", 1}, {"r_precision", 1}, {"mean_average_precision_at_r", 1},
    {"mean_reciprocal_rank", 1},
};
enum { BC_R_PRECISION = 4, N_BY_CLASS = sizeof BY_CLASS / sizeof BY_CLASS[0] };

static const col_t SUSPECTS[] = {
    {"query", 0},    {"label", 0},          {"positive", 0},          {"negative", 0},
    {"negative_label", 0}, {"positive_distance", 1}, {"negative_distance", 1}, {"gap", 1},
};
enum { S_GAP = 7, N_SUSPECTS = sizeof SUSPECTS / sizeof SUSPECTS[0] };

static const col_t CONFUSIONS[] = {{"label", 0}, {"nearest_label", 0}, {"count", 0}};
enum { C_COUNT = 2, N_CONFUSIONS = sizeof CONFUSIONS / sizeof CONFUSIONS[0] };

#define MAX_COLS 8

/* ---- recognising a report ---------------------------------------------------- */

/* The type of the object at name (H5O_TYPE_UNKNOWN when there is none). */
static H5O_type_t object_type(hid_t loc, const char *name)
{
    H5O_info_t info;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0 ||
        H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return H5O_TYPE_UNKNOWN;
    }
    return info.type;
}

int tm_evalrep_detect(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    int yes = 0;
    if (H5Lexists(f, "triplets", H5P_DEFAULT) <= 0)
        yes = H5Aexists(f, "num_queries") > 0 ||
              object_type(f, "confusions") == H5O_TYPE_GROUP;
    H5Eclear2(H5E_DEFAULT);
    H5Fclose(f);
    return yes;
}

/* ---- root attributes ------------------------------------------------------------ */

static const char *class_phrase(H5T_class_t c)
{
    switch (c) {
    case H5T_INTEGER: return "an integer";
    case H5T_FLOAT: return "a floating-point number";
    case H5T_STRING: return "a string";
    default: return "of another type";
    }
}

/*
 * Open root attribute name, one value of class want. When it is absent:
 * with optional, returns H5I_INVALID_HID with no error; else an error.
 */
static hid_t open_attr(hid_t f, const char *path, const char *name, H5T_class_t want,
                       int optional, int *absent, hid_t *type, tm_err_t *err)
{
    *type = H5I_INVALID_HID;
    *absent = 0;
    if (H5Aexists(f, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        *absent = optional;
        if (!optional)
            tm_err_set(err, TM_EINPUT, NOT_REPORT ": root attribute '%s' is missing (%s)", name,
                       path);
        return H5I_INVALID_HID;
    }
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
    hid_t sp = a >= 0 ? H5Aget_space(a) : H5I_INVALID_HID;
    hssize_t npts = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    tm_h5_close(sp);
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    if (t < 0)
        tm_err_set(err, TM_EINPUT, "cannot read root attribute '%s' (%s)", name, path);
    else if (c != want)
        tm_err_set(err, TM_EINPUT, NOT_REPORT ": root attribute '%s' is %s, expected %s (%s)",
                   name, class_phrase(c), class_phrase(want), path);
    else if (npts != 1)
        tm_err_set(err, TM_EINPUT,
                   NOT_REPORT ": root attribute '%s' holds %lld values, expected one (%s)", name,
                   (long long)npts, path);
    else {
        *type = t;
        return a;
    }
    H5Eclear2(H5E_DEFAULT);
    tm_h5_close(t);
    tm_h5_close(a);
    return H5I_INVALID_HID;
}

/* A string attribute into *out (malloc'd); *out stays NULL when optional and absent. */
static int get_str(hid_t f, const char *path, const char *name, int optional, char **out,
                   tm_err_t *err)
{
    hid_t ft;
    int absent = 0;
    hid_t a = open_attr(f, path, name, H5T_STRING, optional, &absent, &ft, err);
    if (a < 0)
        return absent ? 0 : err->code != 0 ? err->code : TM_EINPUT;
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
        ok = *out != NULL && mt >= 0 && H5Tset_size(mt, n + 1) >= 0 &&
             H5Tset_cset(mt, H5Tget_cset(ft)) >= 0 &&
             H5Tset_strpad(mt, H5T_STR_NULLTERM) >= 0 && H5Aread(a, mt, *out) >= 0;
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

/* A number attribute (int64 or double, by want) into out; *present says whether it was there. */
static int get_num(hid_t f, const char *path, const char *name, H5T_class_t want, int optional,
                   void *out, int *present, tm_err_t *err)
{
    hid_t ft;
    int absent = 0;
    *present = 0;
    hid_t a = open_attr(f, path, name, want, optional, &absent, &ft, err);
    if (a < 0)
        return absent ? 0 : err->code != 0 ? err->code : TM_EINPUT;
    herr_t hr =
        H5Aread(a, want == H5T_INTEGER ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, out);
    tm_h5_close(ft);
    tm_h5_close(a);
    if (hr < 0) {
        H5Eclear2(H5E_DEFAULT);
        return tm_err_set(err, TM_EINPUT, "cannot read root attribute '%s' (%s)", name, path);
    }
    *present = 1;
    return 0;
}

static int read_attrs(hid_t f, const char *path, tm_evalrep_t *e, tm_err_t *err)
{
    struct {
        const char *name;
        int64_t *to;
    } ints[] = {
        {"num_queries", &e->num_queries},
        {"num_candidates", &e->num_candidates},
        {"queries_without_positive", &e->without_positive},
        {"suspects", &e->suspects_asked},
        {"normalize", &e->normalize},
    };
    int present = 0;
    int rc = get_str(f, path, "metric", 0, &e->metric, err);
    if (rc == 0)
        rc = get_str(f, path, "input", 0, &e->input, err);
    if (rc == 0)
        rc = get_str(f, path, "version", 0, &e->version, err);
    if (rc == 0)
        rc = get_str(f, path, "reference", 1, &e->reference, err);
    for (size_t k = 0; rc == 0 && k < sizeof ints / sizeof ints[0]; k++)
        rc = get_num(f, path, ints[k].name, H5T_INTEGER, 0, ints[k].to, &present, err);
    for (int k = 0; rc == 0 && k < TM_EVALREP_NMETRICS; k++)
        rc = get_num(f, path, tm_evalrep_metric_names[k], H5T_FLOAT, 0, &e->v[k], &present,
                     err);
    int navg = 0;
    for (int k = 0; rc == 0 && k < TM_EVALREP_NMETRICS; k++) {
        char name[64];
        snprintf(name, sizeof name, "avg_of_avgs_%s", tm_evalrep_metric_names[k]);
        e->avg[k] = NAN;
        rc = get_num(f, path, name, H5T_FLOAT, 1, &e->avg[k], &present, err);
        navg += present;
    }
    e->has_avg = navg == TM_EVALREP_NMETRICS;
    if (rc == 0 && (e->num_queries < 0 || e->without_positive < 0 ||
                    e->without_positive > e->num_queries))
        rc = tm_err_set(err, TM_EINPUT,
                        NOT_REPORT ": %lld queries without a positive of num_queries %lld (%s)",
                        (long long)e->without_positive, (long long)e->num_queries, path);
    return rc;
}

/* ---- the groups -------------------------------------------------------------------- */

/*
 * Open the columns of group gname (n of them, into d[]) and check each: a
 * 1-D dataset of its class, all of one length (*rows). With optional, a
 * missing group is *rows = -1 and no error.
 */
static int open_table(hid_t f, const char *path, const char *gname, const col_t *cols, int n,
                      int optional, hid_t *d, int64_t *rows, tm_err_t *err)
{
    for (int k = 0; k < n; k++)
        d[k] = H5I_INVALID_HID;
    *rows = -1;
    H5O_type_t ot = object_type(f, gname);
    if (ot == H5O_TYPE_UNKNOWN)
        return optional ? 0
                        : tm_err_set(err, TM_EINPUT, NOT_REPORT ": group '%s' is missing (%s)",
                                     gname, path);
    if (ot != H5O_TYPE_GROUP)
        return tm_err_set(err, TM_EINPUT, NOT_REPORT ": '%s' is not a group (%s)", gname, path);
    hid_t g = H5Gopen2(f, gname, H5P_DEFAULT);
    if (g < 0) {
        char why[256];
        tm_h5_last_error(why, sizeof why);
        return tm_err_set(err, TM_EINPUT, "cannot open group '%s': %s (%s)", gname, why, path);
    }
    int rc = 0;
    for (int k = 0; k < n && rc == 0; k++) {
        const char *name = cols[k].name;
        if (object_type(g, name) != H5O_TYPE_DATASET) {
            rc = tm_err_set(err, TM_EINPUT, NOT_REPORT ": dataset '%s/%s' is missing (%s)", gname,
                            name, path);
            break;
        }
        d[k] = H5Dopen2(g, name, H5P_DEFAULT);
        if (d[k] < 0) {
            char why[256];
            tm_h5_last_error(why, sizeof why);
            rc = tm_err_set(err, TM_EINPUT, "cannot open dataset '%s/%s': %s (%s)", gname, name,
                            why, path);
            break;
        }
        hid_t t = H5Dget_type(d[k]);
        hid_t sp = H5Dget_space(d[k]);
        H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
        int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
        hsize_t dim = 0;
        if (nd == 1)
            H5Sget_simple_extent_dims(sp, &dim, NULL);
        tm_h5_close(t);
        tm_h5_close(sp);
        H5T_class_t want = cols[k].is_float ? H5T_FLOAT : H5T_INTEGER;
        if (c != want)
            rc = tm_err_set(err, TM_EINPUT,
                            NOT_REPORT ": dataset '%s/%s' holds %s values, expected %s (%s)",
                            gname, name, c == H5T_FLOAT     ? "floating-point"
                                         : c == H5T_INTEGER ? "integer"
                                                            : "non-numeric",
                            cols[k].is_float ? "float64" : "int64", path);
        else if (nd != 1)
            rc = tm_err_set(err, TM_EINPUT,
                            NOT_REPORT ": dataset '%s/%s' has %d dimensions, expected 1 (%s)",
                            gname, name, nd, path);
        else if (dim > (hsize_t)INT64_MAX / 16)
            rc = tm_err_set(err, TM_EINPUT, "dataset '%s/%s' is implausibly long (%s)", gname,
                            name, path);
        else if (k > 0 && (int64_t)dim != *rows)
            rc = tm_err_set(err, TM_EINPUT,
                            NOT_REPORT ": the columns of '%s' differ in length: '%s' has %lld "
                            "rows, '%s' %lld (%s)",
                            gname, cols[0].name, (long long)*rows, name, (long long)dim, path);
        else
            *rows = (int64_t)dim;
    }
    tm_h5_close(g);
    return rc;
}

static void close_table(hid_t *d, int n)
{
    for (int k = 0; k < n; k++)
        tm_h5_close(d[k]);
}

/* Rows [lo, lo + n) of the 1-D dataset d, as mem (int64 or double). */
static int read_part(hid_t d, const char *path, const char *gname, const char *name, int64_t lo,
                     int64_t n, hid_t mem, void *buf, tm_err_t *err)
{
    char why[256];
    if (n > 0 && tm_h5_read_rows(d, mem, lo, n, 1, 0, buf, why, sizeof why) != 0) {
        return tm_err_set(err, TM_EIO, "reading dataset '%s/%s' failed: %s (%s)", gname, name,
                          why[0] ? why : "read failed", path);
    }
    return 0;
}

/* by_class: the r_precision column, its non-finite values counted and left out. */
static int read_by_class(hid_t f, const char *path, tm_evalrep_t *e, tm_err_t *err)
{
    hid_t d[MAX_COLS];
    int64_t rows = -1;
    int rc = open_table(f, path, "by_class", BY_CLASS, N_BY_CLASS, 1, d, &rows, err);
    e->class_r_min = e->class_r_max = e->class_r_mean = NAN;
    if (rc == 0 && rows >= 0) {
        e->has_by_class = 1;
        e->classes = rows;
        e->class_r_prec = malloc((size_t)(rows > 0 ? rows : 1) * sizeof *e->class_r_prec);
        if (e->class_r_prec == NULL)
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the %lld per-class values (%s)",
                            (long long)rows, path);
        if (rc == 0)
            rc = read_part(d[BC_R_PRECISION], path, "by_class", "r_precision", 0, rows,
                           H5T_NATIVE_DOUBLE, e->class_r_prec, err);
        if (rc == 0) {
            int64_t n = 0;
            double sum = 0.0;
            for (int64_t i = 0; i < rows; i++) {
                double v = e->class_r_prec[i];
                if (!isfinite(v))
                    continue;
                e->class_r_prec[n++] = v;
                sum += v;
                e->class_r_min = n == 1 ? v : fmin(e->class_r_min, v);
                e->class_r_max = n == 1 ? v : fmax(e->class_r_max, v);
            }
            e->classes_nan = rows - n;
            if (n > 0)
                e->class_r_mean = sum / (double)n;
        }
    }
    close_table(d, N_BY_CLASS);
    return rc;
}

/* suspects: the first rows in full, and every gap. */
static int read_suspects(hid_t f, const char *path, tm_evalrep_t *e, tm_err_t *err)
{
    hid_t d[MAX_COLS];
    int64_t rows = 0;
    int rc = open_table(f, path, "suspects", SUSPECTS, N_SUSPECTS, 0, d, &rows, err);
    if (rc == 0) {
        e->nsuspects = rows;
        e->gap = malloc((size_t)(rows > 0 ? rows : 1) * sizeof *e->gap);
        if (e->gap == NULL)
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the %lld suspect gaps (%s)",
                            (long long)rows, path);
    }
    if (rc == 0)
        rc = read_part(d[S_GAP], path, "suspects", "gap", 0, rows, H5T_NATIVE_DOUBLE, e->gap,
                       err);
    int64_t n = rows < TM_EVALREP_SHOWN ? rows : TM_EVALREP_SHOWN;
    int64_t iv[5][TM_EVALREP_SHOWN] = {{0}};
    double fv[3][TM_EVALREP_SHOWN] = {{0}};
    void *dst[N_SUSPECTS] = {iv[0], iv[1], iv[2], iv[3], iv[4], fv[0], fv[1], fv[2]};
    for (int k = 0; k < N_SUSPECTS && rc == 0; k++)
        rc = read_part(d[k], path, "suspects", SUSPECTS[k].name, 0, n,
                       SUSPECTS[k].is_float ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64, dst[k], err);
    for (int64_t i = 0; rc == 0 && i < n; i++) {
        tm_evalrep_suspect_t *s = &e->first_suspects[i];
        s->query = iv[0][i], s->label = iv[1][i], s->positive = iv[2][i];
        s->negative = iv[3][i], s->negative_label = iv[4][i];
        s->positive_distance = fv[0][i], s->negative_distance = fv[1][i], s->gap = fv[2][i];
    }
    close_table(d, N_SUSPECTS);
    return rc;
}

/* confusions: the first rows in full, and the sum of the count column. */
static int read_confusions(hid_t f, const char *path, tm_evalrep_t *e, tm_err_t *err)
{
    hid_t d[MAX_COLS];
    int64_t rows = 0;
    int rc = open_table(f, path, "confusions", CONFUSIONS, N_CONFUSIONS, 0, d, &rows, err);
    if (rc == 0)
        e->npairs = rows;
    int64_t n = rows < TM_EVALREP_TOP ? rows : TM_EVALREP_TOP;
    int64_t v[N_CONFUSIONS][TM_EVALREP_TOP] = {{0}};
    for (int k = 0; k < N_CONFUSIONS && rc == 0; k++)
        rc = read_part(d[k], path, "confusions", CONFUSIONS[k].name, 0, n, H5T_NATIVE_INT64,
                       v[k], err);
    for (int64_t i = 0; rc == 0 && i < n; i++)
        e->top[i] = (tm_evalrep_pair_t){v[0][i], v[1][i], v[2][i]};
    if (rc == 0)
        e->ntop = n;
    int64_t *buf = NULL;
    if (rc == 0 && rows > 0 && (buf = malloc((size_t)CHUNK_ROWS * sizeof *buf)) == NULL)
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the read buffer (%s)", path);
    for (int64_t lo = 0; rc == 0 && lo < rows; lo += CHUNK_ROWS) {
        int64_t m = rows - lo < CHUNK_ROWS ? rows - lo : CHUNK_ROWS;
        rc = read_part(d[C_COUNT], path, "confusions", "count", lo, m, H5T_NATIVE_INT64, buf,
                       err);
        for (int64_t i = 0; rc == 0 && i < m; i++) {
            if (buf[i] < 0 || buf[i] > INT64_MAX - e->confused_queries)
                rc = tm_err_set(err, TM_EINPUT,
                                NOT_REPORT ": confusions/count holds %lld at row %lld (%s)",
                                (long long)buf[i], (long long)(lo + i), path);
            else
                e->confused_queries += buf[i];
        }
    }
    free(buf);
    close_table(d, N_CONFUSIONS);
    return rc;
}

/* ---- the report ------------------------------------------------------------------- */

void tm_evalrep_free(tm_evalrep_t *e)
{
    free(e->metric);
    free(e->input);
    free(e->version);
    free(e->reference);
    free(e->class_r_prec);
    free(e->gap);
    memset(e, 0, sizeof *e);
}

int tm_evalrep_load(const char *path, tm_evalrep_t *e, tm_err_t *err)
{
    memset(e, 0, sizeof *e);
    e->path = path;
    e->class_r_min = e->class_r_max = e->class_r_mean = NAN;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        char why[256];
        tm_h5_last_error(why, sizeof why);
        if (access(path, R_OK) != 0)
            return tm_err_set(err, TM_EIO, "cannot open the file: %s (%s)", strerror(errno),
                              path);
        return tm_err_set(err, TM_EINPUT, NOT_REPORT ": not a readable HDF5 file%s%s (%s)",
                          why[0] ? ": " : "", why, path);
    }
    int rc = read_attrs(f, path, e, err);
    if (rc == 0)
        rc = read_by_class(f, path, e, err);
    if (rc == 0)
        rc = read_suspects(f, path, e, err);
    if (rc == 0)
        rc = read_confusions(f, path, e, err);
    if (H5Fclose(f) < 0 && rc == 0)
        rc = tm_err_set(err, TM_EIO, "closing the file failed (%s)", path);
    return rc;
}
