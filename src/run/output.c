/*
 * output.c - what the results of a finished job become (output.h).
 */
#include "run/output.h"

#include <stdlib.h>

#include "core/loss.h"
#include "io/format.h"
#include "io/h5out.h"
#include "run/evalcalc.h"
#include "run/parted.h"

/* ---- triplets: their float32 columns, the loss statistics, the file ------- */

static int make_columns(tm_job_t *j, tm_loss_stats_t *stats)
{
    const tm_triplets_t *t = &j->res.trip;
    size_t cap = (size_t)(t->m > 0 ? t->m : 1);
    j->d_ap = malloc(cap * sizeof(float));
    j->d_an = malloc(cap * sizeof(float));
    j->loss = malloc(cap * sizeof(float));
    if (!j->d_ap || !j->d_an || !j->loss)
        return TM_ENOMEM;
    for (int64_t k = 0; k < t->m; k++) {
        j->d_ap[k] = (float)t->dap[k];
        j->d_an[k] = (float)t->dan[k];
        j->loss[k] = (float)tm_loss_value(j->mine->loss, j->mine->margin, t->dap[k], t->dan[k]);
        tm_loss_stats_add(stats, j->loss[k]);
    }
    stats->skipped_anchors += t->skipped;
    return 0;
}

/* The triplets, their columns and losses, reduced to rank 0's summary. */
static int triplets_finish(tm_job_t *j, tm_err_t *err)
{
    tm_loss_stats_t local, total;
    tm_loss_stats_init(&local);
    tm_loss_stats_init(&total);
    int rc = j->parted ? tm_parted_finish(j)
                       : j->plan.engine->finish(j->state, j->in.out, &j->res);
    if (rc == 0)
        rc = make_columns(j, &local);
    if (rc != 0)
        tm_err_set(err, rc, "cannot allocate the triplets of rank %d", j->rank);
    rc = tm_err_agree(rc, err, j->comm);
    if (rc != 0)
        return rc;
    if (tm_loss_stats_reduce(&local, &total, j->comm) != 0)
        return tm_err_set(err, TM_EMPI, "MPI_Reduce of the loss statistics failed");
    const tm_filtered_t *f = &j->res.trip.filtered;
    int64_t mine[5] = {f->short_anchors, f->min_dist, f->margin, f->skip, f->pool}, sums[5];
    if (MPI_Reduce(mine, sums, 5, MPI_INT64_T, MPI_SUM, 0, j->comm) != MPI_SUCCESS)
        return tm_err_set(err, TM_EMPI, "MPI_Reduce of the filter counts failed");
    if (j->rank == 0) {
        tm_mine_summary_t *s = j->sum;
        s->num_triplets = total.num_triplets;
        s->active_triplets = total.active_triplets;
        s->skipped_anchors = total.skipped_anchors;
        s->loss_sum = tm_loss_stats_sum(&total);
        s->loss_mean = total.num_triplets > 0 ? s->loss_sum / (double)total.num_triplets : 0.0;
        s->loss_mean_active =
            total.active_triplets > 0 ? s->loss_sum / (double)total.active_triplets : 0.0;
        s->short_anchors = sums[0];
        s->filtered_min_dist = sums[1];
        s->filtered_margin = sums[2];
        s->filtered_skip = sums[3];
        s->filtered_pool = sums[4];
    }
    return 0;
}

static int triplets_write(tm_job_t *j, tm_err_t *err)
{
    tm_run_record_t rec;
    tm_run_record_init(&rec, j->mine, j->sum, tm_rule_choosing(j->rule, j->mine));
    const tm_triplets_t *t = &j->res.trip;
    return tm_h5out_write_triplets(j->run->output, j->run->force, t->m, t->idx, j->d_ap,
                                   j->d_an, j->loss, &rec, j->comm, err);
}

static void triplets_summary(tm_job_t *j)
{
    const double t_end = MPI_Wtime();
    j->sum->seconds = t_end - j->t0;
    j->times.write = t_end - j->t_mine;
}

/* ---- records: the report of tripminer eval (evalcalc.c) -------------------- */

static int records_finish(tm_job_t *j, tm_err_t *err)
{
    int rc = j->parted ? tm_parted_finish(j)
                       : j->plan.engine->finish(j->state, j->in.out, &j->res);
    if (rc != 0)
        tm_err_set(err, rc, "cannot allocate the records of rank %d", j->rank);
    return tm_err_agree(rc, err, j->comm);
}

/*
 * What the partitions measured, from the mining summary the job kept
 * (tm_parted_finish filled it on every rank): the report's attributes
 * hold it, so it is copied before the report is written.
 */
static void records_parts(tm_job_t *j)
{
    tm_eval_summary_t *esum = j->esum;
    const tm_mine_summary_t *s = j->sum;
    esum->partitions = s->partitions;
    esum->probe = s->probe;
    esum->check_anchors = s->check_anchors;
    esum->check_identical = s->check_identical;
    esum->check_recall = s->check_recall;
    esum->certified_anchors = s->certified_anchors;
}

static int records_write(tm_job_t *j, tm_err_t *err)
{
    /* The candidates a query is ranked against: all but itself, unless --reference. */
    const int64_t candidates = tm_inputs_candidates(&j->in)->n_global -
                               (j->mine->reference == NULL ? 1 : 0);
    records_parts(j);
    return tm_eval_report(j->res.rec, j->res.nrec, j->mine, j->eval, j->run, candidates,
                          j->comm, j->esum, err);
}

/* eval's summary takes the run's facts from the mining summary the job kept. */
static void records_summary(tm_job_t *j)
{
    tm_eval_summary_t *esum = j->esum;
    esum->ranks = j->nranks;
    esum->threads = j->threads;
    esum->kernel = j->sum->kernel;
    esum->pairs_fast = j->sum->pairs_fast;
    esum->pairs_f32 = j->sum->pairs_f32;
    esum->rechecked_fraction = j->sum->rechecked_fraction;
    esum->seconds = MPI_Wtime() - j->t0;
}

/* ---- the kinds ------------------------------------------------------------- */

static const tm_output_t outputs[] = {
    [TM_OUTPUT_TRIPLETS] = {1, triplets_finish, triplets_write, triplets_summary},
    [TM_OUTPUT_RECORDS] = {0, records_finish, records_write, records_summary},
};

const tm_output_t *tm_output_of(tm_output_kind_t kind)
{
    return &outputs[kind];
}
