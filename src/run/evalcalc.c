/*
 * evalcalc.c - the values of the report of tripminer eval (evalcalc.h).
 *
 * Every value is computed on rank 0 from the records in query order, with
 * sums taken in that order: the same bits for any rank count, chunk and
 * thread count. Rank 0 holds one record per query (about 100 bytes). The
 * metrics are the rows of io/evalfmt.c's table that say so, each read from
 * the records where its row says.
 */
#include "run/evalcalc.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/evalfmt.h"
#include "io/evalwrite.h"

/* Everything the report holds. */
typedef struct report {
    int64_t nq, without;
    double v[TM_EVAL_NMETRICS];   /* the metrics' means, in table order */
    tm_eval_class_t *cls;
    int64_t ncls, cls_used;
    double avg[TM_EVAL_NMETRICS];
    tm_eval_suspect_t *sus;
    int64_t nsus;
    tm_eval_pair_t *conf;
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
    const tm_eval_suspect_t *a = x, *b = y;
    if (a->gap != b->gap)
        return a->gap > b->gap ? -1 : 1;
    return (a->query > b->query) - (a->query < b->query);
}

static int by_pair(const void *x, const void *y)
{
    const tm_eval_pair_t *a = x, *b = y;
    if (a->label != b->label)
        return a->label < b->label ? -1 : 1;
    return (a->nearest_label > b->nearest_label) - (a->nearest_label < b->nearest_label);
}

static int by_count(const void *x, const void *y)
{
    const tm_eval_pair_t *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return by_pair(x, y);
}

/* The metrics of one query, in table order (metric: their rows). */
static void rec_values(const tm_eval_field_t *const *metric, const tm_eval_rec_t *r,
                       double v[TM_EVAL_NMETRICS])
{
    for (int k = 0; k < TM_EVAL_NMETRICS; k++)
        v[k] = tm_eval_rec_value(metric[k], r);
}

/* Rank 0: every value of the report from the records in query order. */
static int compute(const tm_eval_rec_t *rec, int64_t n, const tm_eval_params_t *eval,
                   report_t *rp)
{
    memset(rp, 0, sizeof *rp);
    rp->nq = n;
    const tm_eval_field_t *metric[TM_EVAL_NMETRICS];
    for (int k = 0; k < TM_EVAL_NMETRICS; k++)
        metric[k] = tm_eval_metric(k);
    double sum[TM_EVAL_NMETRICS] = {0};
    int64_t used = 0;
    for (int64_t i = 0; i < n; i++) {
        if (rec[i].r == 0) {
            rp->without++;
            continue;
        }
        double v[TM_EVAL_NMETRICS];
        rec_values(metric, &rec[i], v);
        for (int k = 0; k < TM_EVAL_NMETRICS; k++)
            sum[k] += v[k];
        used++;
    }
    for (int k = 0; k < TM_EVAL_NMETRICS; k++)
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
        double asum[TM_EVAL_NMETRICS] = {0};
        for (int64_t i = 0; i < n;) {
            tm_eval_class_t *c = &rp->cls[rp->ncls++];
            memset(c, 0, sizeof *c);
            c->label = labs[order[i]];
            double s[TM_EVAL_NMETRICS] = {0};
            for (; i < n && labs[order[i]] == c->label; i++) {
                const tm_eval_rec_t *r = &rec[order[i]];
                if (r->r == 0) {
                    c->without++;
                    continue;
                }
                double v[TM_EVAL_NMETRICS];
                rec_values(metric, r, v);
                for (int k = 0; k < TM_EVAL_NMETRICS; k++)
                    s[k] += v[k];
                c->queries++;
            }
            for (int k = 0; k < TM_EVAL_NMETRICS; k++)
                c->v[k] = c->queries > 0 ? s[k] / (double)c->queries : NAN;
            if (c->queries > 0) {
                for (int k = 0; k < TM_EVAL_NMETRICS; k++)
                    asum[k] += c->v[k];
                rp->cls_used++;
            }
        }
        for (int k = 0; k < TM_EVAL_NMETRICS; k++)
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
            rp->sus[rp->nsus++] = (tm_eval_suspect_t){
                .query = r->query, .label = r->label, .positive = r->pos,
                .positive_distance = r->pos_val, .negative = r->neg,
                .negative_label = r->neg_label, .negative_distance = r->neg_val,
                .gap = r->pos_val - r->neg_val};
    }
    qsort(rp->sus, (size_t)rp->nsus, sizeof *rp->sus, by_gap);
    if (rp->nsus > eval->suspects)
        rp->nsus = eval->suspects;

    /* Confusions: (label, the nearest candidate's label) where they differ. */
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (rec[i].nn_known && rec[i].nn_label != rec[i].label)
            rp->conf[m++] = (tm_eval_pair_t){rec[i].label, rec[i].nn_label, 1};
    qsort(rp->conf, (size_t)m, sizeof *rp->conf, by_pair);
    for (int64_t i = 0; i < m;) {
        tm_eval_pair_t p = rp->conf[i];
        int64_t j = i + 1;
        while (j < m && rp->conf[j].label == p.label &&
               rp->conf[j].nearest_label == p.nearest_label)
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

/* Rank 0: the summary of the report rp. */
static void fill_summary(const report_t *rp, int64_t candidates, tm_eval_summary_t *sum)
{
    sum->num_queries = rp->nq;
    sum->num_candidates = candidates;
    sum->without_positive = rp->without;
    for (int k = 0; k < TM_EVAL_NMETRICS; k++)
        tm_eval_set_mean(sum, k, rp->v[k]);
    sum->classes = rp->cls_used;
    memcpy(sum->avg, rp->avg, sizeof sum->avg);
    sum->num_suspects = rp->nsus;
    sum->num_confusions = rp->nconf;
    for (int64_t i = 0; i < rp->nsus && i < TM_EVAL_SHOWN; i++) {
        const tm_eval_suspect_t *s = &rp->sus[i];
        sum->suspect[i].query = s->query, sum->suspect[i].label = s->label;
        sum->suspect[i].pos = s->positive, sum->suspect[i].neg = s->negative;
        sum->suspect[i].neg_label = s->negative_label;
        sum->suspect[i].pos_val = s->positive_distance;
        sum->suspect[i].neg_val = s->negative_distance, sum->suspect[i].gap = s->gap;
    }
    for (int64_t i = 0; i < rp->nconf && i < TM_EVAL_SHOWN; i++) {
        sum->confusion[i].label = rp->conf[i].label;
        sum->confusion[i].nearest_label = rp->conf[i].nearest_label;
        sum->confusion[i].count = rp->conf[i].count;
    }
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
        if (rc == 0)
            fill_summary(&rp, candidates, sum);
        if (rc == 0 && run->output != NULL) {
            tm_eval_sources_t src;
            tm_eval_sources_init(&src, mine, eval, run, sum);
            tm_eval_tables_t t;
            t.rows[TM_EVAL_BY_CLASS] = rp.cls, t.n[TM_EVAL_BY_CLASS] = rp.ncls;
            t.rows[TM_EVAL_SUSPECTS] = rp.sus, t.n[TM_EVAL_SUSPECTS] = rp.nsus;
            t.rows[TM_EVAL_CONFUSIONS] = rp.conf, t.n[TM_EVAL_CONFUSIONS] = rp.nconf;
            rc = tm_eval_write(&src, &t, err);
        }
    }
    report_free(&rp);
    free(all);
    return tm_err_agree(rc, err, comm);
}
