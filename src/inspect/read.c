/*
 * read.c - a mining output for "tripminer inspect": read through io/outread
 * (which checks that it is one and holds its attributes), the distance
 * columns in bounded pieces, the loss column streamed, and the report's
 * statistics computed. Runs on one process (rank 0).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/outread.h"
#include "inspect/report.h"

/* Rows read per call: bounds HDF5's conversion buffers and ours. */
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

int tm_report_parts(const tm_inspect_report_t *r, tm_parts_facts_t *p)
{
    static const char *const names[] = {"partitions", "probe", "check_anchors",
                                        "check_identical", "check_recall", "certified_anchors"};
    memset(p, 0, sizeof *p);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const int i = tm_field_index(names[k]);
        if (i < 0 || r->attr[i].none)
            return 0;
    }
    p->partitions = tm_report_i64(r, "partitions");
    p->probe = tm_report_i64(r, "probe");
    p->check_anchors = tm_report_i64(r, "check_anchors");
    p->check_identical = tm_report_f64(r, "check_identical");
    p->check_recall = tm_report_f64(r, "check_recall");
    p->certified_anchors = tm_report_i64(r, "certified_anchors");
    p->unit = "anchors";
    return 1;
}

/* A whole 1-D column as float32, in pieces. */
static int read_column(tm_outread_t *o, const char *name, int64_t m, float *out, tm_err_t *err)
{
    for (int64_t lo = 0; lo < m; lo += READ_ROWS) {
        int64_t n = m - lo < READ_ROWS ? m - lo : READ_ROWS;
        int rc = tm_outread_floats(o, name, lo, n, out + lo, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Stream the loss column through a bounded buffer. */
static int scan_loss(tm_outread_t *o, const char *path, tm_inspect_report_t *r, tm_err_t *err)
{
    float *buf = malloc((size_t)READ_ROWS * sizeof *buf);
    if (buf == NULL)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate the read buffer (%s)", path);
    r->loss_col_min = INFINITY;
    r->loss_col_max = -INFINITY;
    int rc = 0;
    for (int64_t lo = 0; rc == 0 && lo < r->m; lo += READ_ROWS) {
        int64_t n = r->m - lo < READ_ROWS ? r->m - lo : READ_ROWS;
        rc = tm_outread_floats(o, "loss", lo, n, buf, err);
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
static int distance_stats(tm_outread_t *o, const char *path, int bins, tm_inspect_report_t *r,
                          tm_err_t *err)
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
    int rc = read_column(o, "d_ap", r->m, r->d_ap, err);
    if (rc == 0)
        rc = read_column(o, "d_an", r->m, r->d_an, err);
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
    /* The triplets are checked, never read: nothing here needs them. */
    tm_outread_t *o = NULL;
    int rc = tm_outread_open(path, r->attr, &r->m, &o, err);
    if (rc == 0)
        rc = distance_stats(o, path, bins, r, err);
    if (rc == 0)
        rc = scan_loss(o, path, r, err);
    return tm_outread_close(o, rc, err);
}
