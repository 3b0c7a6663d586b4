/*
 * evalread.c - read the report of "tripminer eval" for "tripminer
 * inspect" (evalread.h): recognise it, check every attribute and column
 * that io/evalfmt.c's tables promise, and keep what the summaries and the
 * picture show. Runs on one process (rank 0), with HDF5's default
 * (serial) file driver.
 */
#include "io/evalread.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/h5open.h"
#include "io/h5util.h"

/* Rows read per HDF5 call when a column is streamed. */
#define CHUNK_ROWS ((int64_t)1 << 16)

/* The opening of every complaint about the file's contents. */
#define NOT_REPORT "not a tripminer eval report"

/* The most columns a group has. */
#define MAX_COLS 16

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

/* The field the reader keeps at offset at of tm_evalrep_t. */
static const tm_eval_field_t *field_at(size_t at)
{
    for (size_t i = 0; i < tm_eval_nfields; i++)
        if ((tm_eval_fields[i].flags & TM_EVAL_ATTR) && tm_eval_fields[i].at == at)
            return &tm_eval_fields[i];
    return NULL;
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
    /* A mining output has triplets; a report the count of its queries or its confusions. */
    int yes = 0;
    if (H5Lexists(f, tm_out_datasets[0].name, H5P_DEFAULT) <= 0)
        yes = H5Aexists(f, field_at(offsetof(tm_evalrep_t, num_queries))->name) > 0 ||
              object_type(f, tm_eval_groups[TM_EVAL_CONFUSIONS].name) == H5O_TYPE_GROUP;
    H5Eclear2(H5E_DEFAULT);
    H5Fclose(f);
    return yes;
}

/* ---- root attributes ------------------------------------------------------------ */

/* One attribute into the member of e at offset at. */
static int read_attr(hid_t f, const tm_h5_reader_t *rd, const char *name, tm_ftype_t type,
                     int optional, tm_evalrep_t *e, size_t at, int *present, tm_err_t *err)
{
    tm_value_t v;
    memset(&v, 0, sizeof v);
    v.type = type;
    int rc = tm_h5_attr_read(f, name, optional, rd, &v, err);
    char *to = (char *)e + at;
    *present = rc == 0 && !v.none;
    if (!*present)
        return rc;
    if (type == TM_FT_STR)
        memcpy(to, &v.s, sizeof v.s); /* owned by e from here */
    else if (type == TM_FT_F64)
        memcpy(to, &v.f, sizeof v.f);
    else if (type == TM_FT_U64)
        memcpy(to, &v.u, sizeof v.u);
    else
        memcpy(to, &v.i, sizeof v.i);
    return 0;
}

/*
 * Every attribute row of the table, in its order; those of an option may be
 * absent, but a partitioned run's come together.
 */
static int read_attrs(hid_t f, const tm_h5_reader_t *rd, tm_evalrep_t *e, tm_err_t *err)
{
    int rc = 0, present = 0, k = 0, nparts = 0, parts_seen = 0;
    const char *parts_missing = NULL;
    for (size_t i = 0; rc == 0 && i < tm_eval_nfields; i++) {
        const tm_eval_field_t *fd = &tm_eval_fields[i];
        if (!(fd->flags & TM_EVAL_ATTR))
            continue;
        if (fd->flags & TM_EVAL_AVGS) {
            int navg = 0;
            for (int m = 0; rc == 0 && m < TM_EVAL_NMETRICS; m++) {
                char name[64];
                tm_eval_avg_name(fd, m, name, sizeof name);
                e->avg[m] = NAN;
                rc = read_attr(f, rd, name, TM_FT_F64, (fd->flags & TM_EVAL_OPTIONAL) != 0, e,
                               fd->at + (size_t)m * sizeof(double), &present, err);
                navg += present;
            }
            e->has_avg = navg == TM_EVAL_NMETRICS;
            continue;
        }
        size_t at = fd->at;
        if (fd->flags & TM_EVAL_METRIC)
            at += (size_t)k++ * sizeof(double);
        rc = read_attr(f, rd, fd->name, fd->type, (fd->flags & TM_EVAL_OPTIONAL) != 0, e, at,
                       &present, err);
        if (fd->flags & TM_EVAL_WITH_PARTS) {
            nparts++;
            parts_seen += present;
            if (!present && parts_missing == NULL)
                parts_missing = fd->name;
        }
    }
    e->has_parts = nparts > 0 && parts_seen == nparts;
    if (rc == 0 && parts_seen > 0 && parts_missing != NULL)
        rc = tm_err_set(err, TM_EINPUT,
                        NOT_REPORT ": root attribute '%s' is missing beside the other %d of a "
                        "partitioned run (%s)",
                        parts_missing, parts_seen, rd->path);
    if (rc == 0 && (e->num_queries < 0 || e->without_positive < 0 ||
                    e->without_positive > e->num_queries))
        rc = tm_err_set(err, TM_EINPUT,
                        NOT_REPORT ": %lld queries without a positive of num_queries %lld (%s)",
                        (long long)e->without_positive, (long long)e->num_queries, rd->path);
    return rc;
}

/* ---- the groups -------------------------------------------------------------------- */

/*
 * Open the columns of group g (into d[MAX_COLS]) and check each: a 1-D dataset of
 * its class, all of one length (*rows). With optional, a missing group is
 * *rows = -1 and no error.
 */
static int open_table(hid_t f, const char *path, const tm_eval_group_t *g, int optional,
                      hid_t *d, int64_t *rows, tm_err_t *err)
{
    const int n = tm_eval_ncols(g);
    for (int k = 0; k < MAX_COLS; k++)
        d[k] = H5I_INVALID_HID;
    *rows = -1;
    if (n > MAX_COLS)
        return tm_err_set(err, TM_EINTERNAL, "group '%s' has more than %d columns", g->name,
                          MAX_COLS);
    H5O_type_t ot = object_type(f, g->name);
    if (ot == H5O_TYPE_UNKNOWN)
        return optional ? 0
                        : tm_err_set(err, TM_EINPUT, NOT_REPORT ": group '%s' is missing (%s)",
                                     g->name, path);
    if (ot != H5O_TYPE_GROUP)
        return tm_err_set(err, TM_EINPUT, NOT_REPORT ": '%s' is not a group (%s)", g->name, path);
    hid_t h = H5Gopen2(f, g->name, H5P_DEFAULT);
    if (h < 0) {
        char why[256];
        tm_h5_last_error(why, sizeof why);
        return tm_err_set(err, TM_EINPUT, "cannot open group '%s': %s (%s)", g->name, why, path);
    }
    int rc = 0;
    for (int k = 0; k < n && rc == 0; k++) {
        const tm_eval_column_t c = tm_eval_col(g, k);
        if (object_type(h, c.name) != H5O_TYPE_DATASET) {
            rc = tm_err_set(err, TM_EINPUT, NOT_REPORT ": dataset '%s/%s' is missing (%s)",
                            g->name, c.name, path);
            break;
        }
        d[k] = H5Dopen2(h, c.name, H5P_DEFAULT);
        if (d[k] < 0) {
            char why[256];
            tm_h5_last_error(why, sizeof why);
            rc = tm_err_set(err, TM_EINPUT, "cannot open dataset '%s/%s': %s (%s)", g->name,
                            c.name, why, path);
            break;
        }
        hid_t t = H5Dget_type(d[k]);
        hid_t sp = H5Dget_space(d[k]);
        H5T_class_t cl = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
        int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
        hsize_t dim = 0;
        if (nd == 1)
            H5Sget_simple_extent_dims(sp, &dim, NULL);
        tm_h5_close(t);
        tm_h5_close(sp);
        H5T_class_t want = c.is_float ? H5T_FLOAT : H5T_INTEGER;
        if (cl != want)
            rc = tm_err_set(err, TM_EINPUT,
                            NOT_REPORT ": dataset '%s/%s' holds %s values, expected %s (%s)",
                            g->name, c.name, cl == H5T_FLOAT     ? "floating-point"
                                             : cl == H5T_INTEGER ? "integer"
                                                                 : "non-numeric",
                            c.is_float ? "float64" : "int64", path);
        else if (nd != 1)
            rc = tm_err_set(err, TM_EINPUT,
                            NOT_REPORT ": dataset '%s/%s' has %d dimensions, expected 1 (%s)",
                            g->name, c.name, nd, path);
        else if (dim > (hsize_t)INT64_MAX / 16)
            rc = tm_err_set(err, TM_EINPUT, "dataset '%s/%s' is implausibly long (%s)", g->name,
                            c.name, path);
        else if (k > 0 && (int64_t)dim != *rows)
            rc = tm_err_set(err, TM_EINPUT,
                            NOT_REPORT ": the columns of '%s' differ in length: '%s' has %lld "
                            "rows, '%s' %lld (%s)",
                            g->name, tm_eval_col(g, 0).name, (long long)*rows, c.name,
                            (long long)dim, path);
        else
            *rows = (int64_t)dim;
    }
    tm_h5_close(h);
    return rc;
}

static void close_table(hid_t *d)
{
    for (int k = 0; k < MAX_COLS; k++)
        tm_h5_close(d[k]);
}

/* Rows [lo, lo + n) of column k of group g (open as d[k]) into buf, in its own type. */
static int read_part(const hid_t *d, const char *path, const tm_eval_group_t *g, int k,
                     int64_t lo, int64_t n, void *buf, tm_err_t *err)
{
    const tm_eval_column_t c = tm_eval_col(g, k);
    char why[256];
    if (n > 0 && tm_h5_read_rows(d[k], c.is_float ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64, lo, n,
                                 1, 0, buf, why, sizeof why) != 0)
        return tm_err_set(err, TM_EIO, "reading dataset '%s/%s' failed: %s (%s)", g->name,
                          c.name, why[0] ? why : "read failed", path);
    return 0;
}

/* The first n <= TM_EVALREP_TOP rows of every column of group g into rows (its row structs). */
static int read_first(const hid_t *d, const char *path, const tm_eval_group_t *g, int64_t n,
                      void *rows, tm_err_t *err)
{
    uint64_t col[TM_EVALREP_TOP]; /* 8 bytes a value, of either type */
    int rc = 0;
    for (int k = 0; rc == 0 && k < tm_eval_ncols(g); k++) {
        rc = read_part(d, path, g, k, 0, n, col, err);
        for (int64_t i = 0; rc == 0 && i < n; i++)
            memcpy((char *)rows + (size_t)i * g->row_bytes + tm_eval_col(g, k).off, &col[i], 8);
    }
    return rc;
}

/*
 * by_class: the column of the metric inspect spreads over classes, its
 * non-finite values counted and left out.
 */
static int read_by_class(hid_t f, const char *path, tm_evalrep_t *e, tm_err_t *err)
{
    const tm_eval_group_t *g = &tm_eval_groups[TM_EVAL_BY_CLASS];
    hid_t d[MAX_COLS];
    int64_t rows = -1;
    int rc = open_table(f, path, g, (g->flags & TM_EVAL_OPTIONAL) != 0, d, &rows, err);
    e->class_r_min = e->class_r_max = e->class_r_mean = NAN;
    for (int k = 0; k < TM_EVAL_NMETRICS; k++)
        if (tm_eval_metric(k)->flags & TM_EVAL_PER_CLASS)
            e->per_class = k;
    const int col = tm_eval_col_at(g, g->metrics_off + (size_t)e->per_class * sizeof(double));
    if (rc == 0 && rows >= 0) {
        e->has_by_class = 1;
        e->classes = rows;
        e->class_r_prec = malloc((size_t)(rows > 0 ? rows : 1) * sizeof *e->class_r_prec);
        if (e->class_r_prec == NULL)
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the %lld per-class values (%s)",
                            (long long)rows, path);
        if (rc == 0)
            rc = read_part(d, path, g, col, 0, rows, e->class_r_prec, err);
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
    close_table(d);
    return rc;
}

/* suspects: the first rows in full, and every gap. */
static int read_suspects(hid_t f, const char *path, tm_evalrep_t *e, tm_err_t *err)
{
    const tm_eval_group_t *g = &tm_eval_groups[TM_EVAL_SUSPECTS];
    hid_t d[MAX_COLS];
    int64_t rows = 0;
    int rc = open_table(f, path, g, (g->flags & TM_EVAL_OPTIONAL) != 0, d, &rows, err);
    if (rc == 0) {
        e->nsuspects = rows;
        e->gap = malloc((size_t)(rows > 0 ? rows : 1) * sizeof *e->gap);
        if (e->gap == NULL)
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the %lld suspect gaps (%s)",
                            (long long)rows, path);
    }
    if (rc == 0)
        rc = read_part(d, path, g, tm_eval_col_at(g, offsetof(tm_eval_suspect_t, gap)), 0, rows,
                       e->gap, err);
    if (rc == 0)
        rc = read_first(d, path, g, rows < TM_EVAL_SHOWN ? rows : TM_EVAL_SHOWN,
                        e->first_suspects, err);
    close_table(d);
    return rc;
}

/* confusions: the first rows in full, and the sum of the count column. */
static int read_confusions(hid_t f, const char *path, tm_evalrep_t *e, tm_err_t *err)
{
    const tm_eval_group_t *g = &tm_eval_groups[TM_EVAL_CONFUSIONS];
    const int count = tm_eval_col_at(g, offsetof(tm_eval_pair_t, count));
    hid_t d[MAX_COLS];
    int64_t rows = 0;
    int rc = open_table(f, path, g, (g->flags & TM_EVAL_OPTIONAL) != 0, d, &rows, err);
    if (rc == 0)
        e->npairs = rows;
    int64_t n = rows < TM_EVALREP_TOP ? rows : TM_EVALREP_TOP;
    if (rc == 0)
        rc = read_first(d, path, g, n, e->top, err);
    if (rc == 0)
        e->ntop = n;
    int64_t *buf = NULL;
    if (rc == 0 && rows > 0 && (buf = malloc((size_t)CHUNK_ROWS * sizeof *buf)) == NULL)
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the read buffer (%s)", path);
    for (int64_t lo = 0; rc == 0 && lo < rows; lo += CHUNK_ROWS) {
        int64_t m = rows - lo < CHUNK_ROWS ? rows - lo : CHUNK_ROWS;
        rc = read_part(d, path, g, count, lo, m, buf, err);
        for (int64_t i = 0; rc == 0 && i < m; i++) {
            if (buf[i] < 0 || buf[i] > INT64_MAX - e->confused_queries)
                rc = tm_err_set(err, TM_EINPUT,
                                NOT_REPORT ": %s/%s holds %lld at row %lld (%s)", g->name,
                                tm_eval_col(g, count).name, (long long)buf[i],
                                (long long)(lo + i), path);
            else
                e->confused_queries += buf[i];
        }
    }
    free(buf);
    close_table(d);
    return rc;
}

/* ---- the report ------------------------------------------------------------------- */

tm_value_t tm_evalrep_attr(const tm_evalrep_t *e, const tm_eval_field_t *fd)
{
    const char *at = (const char *)e + fd->at;
    tm_value_t v;
    memset(&v, 0, sizeof v);
    v.type = fd->type;
    if (fd->type == TM_FT_STR)
        memcpy(&v.s, at, sizeof v.s);
    else if (fd->type == TM_FT_F64)
        memcpy(&v.f, at, sizeof v.f);
    else if (fd->type == TM_FT_U64)
        memcpy(&v.u, at, sizeof v.u);
    else
        memcpy(&v.i, at, sizeof v.i);
    v.none = (fd->type == TM_FT_STR && v.s == NULL) ||
             ((fd->flags & TM_EVAL_WITH_PARTS) && !e->has_parts);
    return v;
}

int tm_evalrep_parts(const tm_evalrep_t *e, tm_parts_facts_t *p)
{
    memset(p, 0, sizeof *p);
    if (!e->has_parts)
        return 0;
    p->partitions = e->partitions;
    p->probe = e->probe;
    p->check_anchors = e->check_anchors;
    p->check_identical = e->check_identical;
    p->check_recall = e->check_recall;
    p->certified_anchors = e->certified_anchors;
    p->unit = "queries";
    return 1;
}

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
    const tm_h5_reader_t rd = {.path = path, .complaint = NOT_REPORT, .names_compound = 0};
    int rc = read_attrs(f, &rd, e, err);
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
