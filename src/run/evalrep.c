/*
 * evalrep.c - the report of tripminer eval (evalrep.h).
 *
 * Every value is computed on rank 0 from the records in query order, with
 * sums taken in that order: the same bits for any rank count, chunk and
 * thread count. Rank 0 holds one record per query (about 100 bytes).
 */
#include "run/evalrep.h"

#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/outpath.h"
#include "base/publish.h"
#include "io/h5util.h"
#include "tm_version.h"

typedef struct suspect {
    int64_t query, label, pos, neg, neg_label;
    double pos_val, neg_val, gap;
} suspect_t;

typedef struct pair {
    int64_t a, b, count;
} pair_t;

typedef struct klass {
    int64_t label, queries, without;
    double v[4];
} klass_t;

/* Everything the report holds. */
typedef struct report {
    int64_t nq, without;
    double v[4];         /* p@1, R-precision, MAP@R, MRR */
    klass_t *cls;
    int64_t ncls, cls_used;
    double avg[4];
    suspect_t *sus;
    int64_t nsus;
    pair_t *conf;
    int64_t nconf;
} report_t;

static int by_query(const void *x, const void *y)
{
    const tm_eval_rec_t *a = x, *b = y;
    return (a->query > b->query) - (a->query < b->query);
}

/* Gather every rank's records to rank 0 (*all, *nall there). */
static int gather(const tm_eval_rec_t *rec, int64_t n, MPI_Comm comm, tm_eval_rec_t **all,
                  int64_t *nall, tm_err_t *err)
{
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int rc = n > INT_MAX / (int64_t)sizeof *rec ? TM_ENOMEM : 0;
    if (rc != 0)
        tm_err_set(err, rc, "too many queries on rank %d for one message", rank);
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        return rc;
    const int bytes = (int)(n * (int64_t)sizeof *rec);
    int *counts = NULL, *displs = NULL;
    *all = NULL;
    *nall = 0;
    if (rank == 0) {
        counts = calloc((size_t)size, sizeof *counts);
        displs = calloc((size_t)size, sizeof *displs);
        if (counts == NULL || displs == NULL)
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the gather of the records");
    }
    /* Every rank learns of a failure on rank 0 before any rank enters the gather. */
    rc = tm_err_agree(rc, err, comm);
    if (rc == 0 && MPI_Gather(&bytes, 1, MPI_INT, counts, 1, MPI_INT, 0, comm) != MPI_SUCCESS)
        rc = tm_err_set(err, TM_EMPI, "MPI_Gather of the record counts failed");
    if (rc == 0 && rank == 0) {
        int64_t total = 0;
        for (int r = 0; rc == 0 && r < size; r++) {
            displs[r] = (int)total;
            total += counts[r];
            if (total > INT_MAX)
                rc = tm_err_set(err, TM_ENOMEM, "too many queries for one report message: "
                                "split the queries into several runs");
        }
        *nall = total / (int64_t)sizeof *rec;
        if (rc == 0 && (*all = malloc((size_t)(total > 0 ? total : 1))) == NULL)
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the %lld records on rank 0",
                            (long long)*nall);
    }
    rc = tm_err_agree(rc, err, comm);
    if (rc == 0 && MPI_Gatherv(rec, bytes, MPI_BYTE, *all, counts, displs, MPI_BYTE, 0, comm) !=
                       MPI_SUCCESS)
        rc = tm_err_set(err, TM_EMPI, "MPI_Gatherv of the records failed");
    free(counts);
    free(displs);
    if (rc == 0 && rank == 0)
        qsort(*all, (size_t)*nall, sizeof **all, by_query);
    return tm_err_agree(rc, err, comm);
}

static const int64_t *sort_lab_src;
static int by_label(const void *x, const void *y)
{
    const int64_t i = *(const int64_t *)x, j = *(const int64_t *)y;
    const int64_t li = sort_lab_src[i], lj = sort_lab_src[j];
    if (li != lj)
        return li < lj ? -1 : 1;
    return (i > j) - (i < j);
}

static int by_gap(const void *x, const void *y)
{
    const suspect_t *a = x, *b = y;
    if (a->gap != b->gap)
        return a->gap > b->gap ? -1 : 1;
    return (a->query > b->query) - (a->query < b->query);
}

static int by_pair(const void *x, const void *y)
{
    const pair_t *a = x, *b = y;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

static int by_count(const void *x, const void *y)
{
    const pair_t *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return by_pair(x, y);
}

static void rec_values(const tm_eval_rec_t *r, double v[4])
{
    v[0] = r->p_at_1, v[1] = r->r_prec, v[2] = r->ap_at_r, v[3] = r->rr;
}

/* Rank 0: every value of the report from the records in query order. */
static int compute(const tm_eval_rec_t *rec, int64_t n, const tm_eval_params_t *eval,
                   report_t *rp)
{
    memset(rp, 0, sizeof *rp);
    rp->nq = n;
    double sum[4] = {0, 0, 0, 0};
    int64_t used = 0;
    for (int64_t i = 0; i < n; i++) {
        if (rec[i].r == 0) {
            rp->without++;
            continue;
        }
        double v[4];
        rec_values(&rec[i], v);
        for (int k = 0; k < 4; k++)
            sum[k] += v[k];
        used++;
    }
    for (int k = 0; k < 4; k++)
        rp->v[k] = used > 0 ? sum[k] / (double)used : 0.0;

    /* Per label: the queries of each label in query order. */
    if (eval->by_class) {
        int64_t *order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
        int64_t *labs = malloc((size_t)(n > 0 ? n : 1) * sizeof *labs);
        rp->cls = malloc((size_t)(n > 0 ? n : 1) * sizeof *rp->cls);
        if (order == NULL || labs == NULL || rp->cls == NULL) {
            free(order);
            free(labs);
            return TM_ENOMEM;
        }
        for (int64_t i = 0; i < n; i++)
            order[i] = i, labs[i] = rec[i].label;
        sort_lab_src = labs;
        qsort(order, (size_t)n, sizeof *order, by_label);
        double asum[4] = {0, 0, 0, 0};
        for (int64_t i = 0; i < n;) {
            klass_t *c = &rp->cls[rp->ncls++];
            memset(c, 0, sizeof *c);
            c->label = labs[order[i]];
            double s[4] = {0, 0, 0, 0};
            for (; i < n && labs[order[i]] == c->label; i++) {
                const tm_eval_rec_t *r = &rec[order[i]];
                if (r->r == 0) {
                    c->without++;
                    continue;
                }
                double v[4];
                rec_values(r, v);
                for (int k = 0; k < 4; k++)
                    s[k] += v[k];
                c->queries++;
            }
            for (int k = 0; k < 4; k++)
                c->v[k] = c->queries > 0 ? s[k] / (double)c->queries : NAN;
            if (c->queries > 0) {
                for (int k = 0; k < 4; k++)
                    asum[k] += c->v[k];
                rp->cls_used++;
            }
        }
        for (int k = 0; k < 4; k++)
            rp->avg[k] = rp->cls_used > 0 ? asum[k] / (double)rp->cls_used : 0.0;
        free(order);
        free(labs);
    }

    /* Suspects: the largest d(nearest positive) - d(nearest negative). */
    rp->sus = malloc((size_t)(n > 0 ? n : 1) * sizeof *rp->sus);
    rp->conf = malloc((size_t)(n > 0 ? n : 1) * sizeof *rp->conf);
    if (rp->sus == NULL || rp->conf == NULL)
        return TM_ENOMEM;
    for (int64_t i = 0; i < n; i++) {
        const tm_eval_rec_t *r = &rec[i];
        if (r->pos >= 0 && r->neg >= 0)
            rp->sus[rp->nsus++] = (suspect_t){r->query, r->label, r->pos, r->neg, r->neg_label,
                                              r->pos_val, r->neg_val, r->pos_val - r->neg_val};
    }
    qsort(rp->sus, (size_t)rp->nsus, sizeof *rp->sus, by_gap);
    if (rp->nsus > eval->suspects)
        rp->nsus = eval->suspects;

    /* Confusions: (label, the nearest candidate's label) where they differ. */
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (rec[i].nn_known && rec[i].nn_label != rec[i].label)
            rp->conf[m++] = (pair_t){rec[i].label, rec[i].nn_label, 1};
    qsort(rp->conf, (size_t)m, sizeof *rp->conf, by_pair);
    for (int64_t i = 0; i < m;) {
        pair_t p = rp->conf[i];
        int64_t j = i + 1;
        while (j < m && rp->conf[j].a == p.a && rp->conf[j].b == p.b)
            j++;
        p.count = j - i;
        rp->conf[rp->nconf++] = p;
        i = j;
    }
    qsort(rp->conf, (size_t)rp->nconf, sizeof *rp->conf, by_count);
    return 0;
}

static void report_free(report_t *rp)
{
    free(rp->cls);
    free(rp->sus);
    free(rp->conf);
}

/* ---- REPORT.h5 ----------------------------------------------------------- */

/* A 1-D dataset of n values at stride bytes from base (int64 when !f64). */
static int column(hid_t g, const char *name, const void *base, size_t stride, int64_t n, int f64)
{
    const size_t cnt = (size_t)(n > 0 ? n : 1);
    unsigned char *buf = malloc(cnt * 8);
    if (buf == NULL)
        return -1;
    for (int64_t i = 0; i < n; i++)
        memcpy(buf + i * 8, (const unsigned char *)base + (size_t)i * stride, 8);
    hsize_t dims[1] = {(hsize_t)n};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0); /* no times: the same report is the same bytes */
    hid_t d = H5Dcreate2(g, name, f64 ? H5T_IEEE_F64LE : H5T_STD_I64LE, sp, H5P_DEFAULT, dcpl,
                         H5P_DEFAULT);
    tm_h5_close(dcpl);
    int rc = d >= 0 ? 0 : -1;
    if (rc == 0 && n > 0 &&
        H5Dwrite(d, f64 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                 buf) < 0)
        rc = -1;
    tm_h5_close(d);
    tm_h5_close(sp);
    free(buf);
    return rc;
}

/* A group without times. */
static hid_t group(hid_t f, const char *name)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    tm_h5_close(gcpl);
    return g;
}

static const char *const NAMES[4] = {"precision_at_1", "r_precision",
                                     "mean_average_precision_at_r", "mean_reciprocal_rank"};

static int write_file(hid_t f, const report_t *rp, const tm_mine_params_t *mine,
                      const tm_eval_params_t *eval, int64_t candidates)
{
    int bad = 0;
    bad |= tm_h5_attr_str(f, "version", TM_VERSION);
    bad |= tm_h5_attr_str(f, "metric", tm_metric_name(mine->metric));
    bad |= tm_h5_attr_i64(f, "normalize", mine->normalize);
    bad |= tm_h5_attr_str(f, "input", mine->input);
    if (mine->reference != NULL)
        bad |= tm_h5_attr_str(f, "reference", mine->reference);
    bad |= tm_h5_attr_i64(f, "num_queries", rp->nq);
    bad |= tm_h5_attr_i64(f, "num_candidates", candidates);
    bad |= tm_h5_attr_i64(f, "queries_without_positive", rp->without);
    for (int k = 0; k < 4; k++)
        bad |= tm_h5_attr_f64(f, NAMES[k], rp->v[k]);
    bad |= tm_h5_attr_i64(f, "suspects", eval->suspects);
    if (eval->by_class) {
        char name[64];
        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof name, "avg_of_avgs_%s", NAMES[k]);
            bad |= tm_h5_attr_f64(f, name, rp->avg[k]);
        }
        hid_t g = group(f, "by_class");
        const klass_t *c = rp->cls;
        bad |= g < 0;
        bad |= column(g, "label", &c->label, sizeof *c, rp->ncls, 0);
        bad |= column(g, "queries", &c->queries, sizeof *c, rp->ncls, 0);
        bad |= column(g, "without_positive", &c->without, sizeof *c, rp->ncls, 0);
        for (int k = 0; k < 4; k++)
            bad |= column(g, NAMES[k], &c->v[k], sizeof *c, rp->ncls, 1);
        tm_h5_close(g);
    }
    hid_t g = group(f, "suspects");
    const suspect_t *s = rp->sus;
    bad |= g < 0;
    bad |= column(g, "query", &s->query, sizeof *s, rp->nsus, 0);
    bad |= column(g, "label", &s->label, sizeof *s, rp->nsus, 0);
    bad |= column(g, "positive", &s->pos, sizeof *s, rp->nsus, 0);
    bad |= column(g, "positive_distance", &s->pos_val, sizeof *s, rp->nsus, 1);
    bad |= column(g, "negative", &s->neg, sizeof *s, rp->nsus, 0);
    bad |= column(g, "negative_label", &s->neg_label, sizeof *s, rp->nsus, 0);
    bad |= column(g, "negative_distance", &s->neg_val, sizeof *s, rp->nsus, 1);
    bad |= column(g, "gap", &s->gap, sizeof *s, rp->nsus, 1);
    tm_h5_close(g);
    g = group(f, "confusions");
    const pair_t *p = rp->conf;
    bad |= g < 0;
    bad |= column(g, "label", &p->a, sizeof *p, rp->nconf, 0);
    bad |= column(g, "nearest_label", &p->b, sizeof *p, rp->nconf, 0);
    bad |= column(g, "count", &p->count, sizeof *p, rp->nconf, 0);
    tm_h5_close(g);
    return bad ? -1 : 0;
}

/* Rank 0: REPORT.h5 through a temporary name. */
static int write_report(const report_t *rp, const tm_mine_params_t *mine,
                        const tm_eval_params_t *eval, const tm_run_params_t *run,
                        int64_t candidates, tm_err_t *err)
{
    char tmp[4096];
    if (tm_publish_tmpname(run->output, tmp, sizeof tmp) != 0)
        return tm_err_set(err, TM_EIO, "report path is too long (%s)", run->output);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_obj_track_times(fcpl, 0); /* no times: the same report is the same bytes */
    hid_t f = H5Fcreate(tmp, H5F_ACC_EXCL, fcpl, H5P_DEFAULT);
    tm_h5_close(fcpl);
    if (f < 0)
        return tm_err_set(err, TM_EIO, "cannot create the report %s", tmp);
    int bad = write_file(f, rp, mine, eval, candidates);
    bad |= H5Fclose(f) < 0;
    if (bad) {
        unlink(tmp);
        return tm_err_set(err, TM_EIO, "cannot write the report (%s)", run->output);
    }
    int rc = tm_publish(tmp, run->output, run->force, "report", err);
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int tm_eval_report(const tm_eval_rec_t *rec, int64_t n, const tm_mine_params_t *mine,
                   const tm_eval_params_t *eval, const tm_run_params_t *run, int64_t candidates,
                   MPI_Comm comm, tm_eval_summary_t *sum, tm_err_t *err)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    tm_eval_rec_t *all = NULL;
    int64_t nall = 0;
    int rc = gather(rec, n, comm, &all, &nall, err);
    if (rc != 0)
        return rc;
    report_t rp;
    memset(&rp, 0, sizeof rp);
    if (rank == 0) {
        rc = compute(all, nall, eval, &rp);
        if (rc != 0)
            tm_err_set(err, rc, "cannot allocate the report of %lld queries on rank 0",
                       (long long)nall);
        if (rc == 0 && run->output != NULL)
            rc = write_report(&rp, mine, eval, run, candidates, err);
        if (rc == 0) {
            sum->num_queries = rp.nq;
            sum->num_candidates = candidates;
            sum->without_positive = rp.without;
            sum->p_at_1 = rp.v[0], sum->r_prec = rp.v[1];
            sum->map_at_r = rp.v[2], sum->mrr = rp.v[3];
            sum->classes = rp.cls_used;
            memcpy(sum->avg, rp.avg, sizeof sum->avg);
            sum->num_suspects = rp.nsus;
            sum->num_confusions = rp.nconf;
            for (int64_t i = 0; i < rp.nsus && i < TM_EVAL_SHOWN; i++) {
                const suspect_t *s = &rp.sus[i];
                sum->suspect[i].query = s->query, sum->suspect[i].label = s->label;
                sum->suspect[i].pos = s->pos, sum->suspect[i].neg = s->neg;
                sum->suspect[i].neg_label = s->neg_label, sum->suspect[i].pos_val = s->pos_val;
                sum->suspect[i].neg_val = s->neg_val, sum->suspect[i].gap = s->gap;
            }
            for (int64_t i = 0; i < rp.nconf && i < TM_EVAL_SHOWN; i++) {
                sum->confusion[i].label = rp.conf[i].a;
                sum->confusion[i].nearest_label = rp.conf[i].b;
                sum->confusion[i].count = rp.conf[i].count;
            }
        }
    }
    report_free(&rp);
    free(all);
    return tm_err_agree(rc, err, comm);
}
