/*
 * mine.c - the mining driver.
 *
 *   read shard -> rounds of candidate blocks -> per-anchor choices
 *   -> triplets and losses -> collective write -> summary on rank 0
 */
#include "tripminer/mine.h"

#include <cblas.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "tm_version.h"
#include "tripminer/exchange.h"
#include "tripminer/h5in.h"
#include "tripminer/h5out.h"
#include "tripminer/kern.h"
#include "tripminer/log.h"
#include "tripminer/loss.h"
#include "tripminer/select.h"

/* Tile shape: anchors x candidates per sgemm call. */
#define TM_TILE_ANCHORS 128
#define TM_TILE_CANDS 1024

/* Candidate buffers when neither --chunk nor --mem-limit says otherwise. */
#define TM_DEFAULT_BUF_BYTES ((int64_t)64 << 20)

/* Per-thread scratch of the sweep. */
typedef struct sweep_scratch {
    int nthreads;
    float **gram;      /* TM_TILE_ANCHORS x TM_TILE_CANDS each */
    double **approx;   /* TM_TILE_CANDS each */
} sweep_scratch_t;

static void scratch_free(sweep_scratch_t *s)
{
    for (int t = 0; t < s->nthreads; t++) {
        if (s->gram)
            free(s->gram[t]);
        if (s->approx)
            free(s->approx[t]);
    }
    free(s->gram);
    free(s->approx);
    memset(s, 0, sizeof *s);
}

static int scratch_init(sweep_scratch_t *s, int nthreads)
{
    memset(s, 0, sizeof *s);
    s->nthreads = nthreads;
    s->gram = calloc((size_t)nthreads, sizeof *s->gram);
    s->approx = calloc((size_t)nthreads, sizeof *s->approx);
    if (s->gram == NULL || s->approx == NULL) {
        scratch_free(s);
        return TM_ENOMEM;
    }
    for (int t = 0; t < nthreads; t++) {
        s->gram[t] = malloc((size_t)TM_TILE_ANCHORS * TM_TILE_CANDS * sizeof(float));
        s->approx[t] = malloc((size_t)TM_TILE_CANDS * sizeof(double));
        if (s->gram[t] == NULL || s->approx[t] == NULL) {
            scratch_free(s);
            return TM_ENOMEM;
        }
    }
    return 0;
}

/*
 * Offer one candidate block to every local anchor: threads share the
 * anchors in blocks; each tile is one sgemm and one selection update.
 */
static void sweep(tm_hard_t *st, tm_metric_t metric, tm_kern_bound_t bound,
                  const tm_rows_t *anch, const tm_rows_t *cand, sweep_scratch_t *scr)
{
    const int64_t nblocks = (anch->n + TM_TILE_ANCHORS - 1) / TM_TILE_ANCHORS;
    const int64_t dim = anch->dim;
#pragma omp parallel for num_threads(scr->nthreads) schedule(dynamic, 1)
    for (int64_t blk = 0; blk < nblocks; blk++) {
        const int t = omp_get_thread_num();
        const int64_t a0 = blk * TM_TILE_ANCHORS;
        const int64_t a1 = a0 + TM_TILE_ANCHORS < anch->n ? a0 + TM_TILE_ANCHORS : anch->n;
        for (int64_t c0 = 0; c0 < cand->n; c0 += TM_TILE_CANDS) {
            const int64_t c1 = c0 + TM_TILE_CANDS < cand->n ? c0 + TM_TILE_CANDS : cand->n;
            tm_kern_gram(anch->emb + a0 * dim, a1 - a0, cand->emb + c0 * dim, c1 - c0, dim,
                         scr->gram[t]);
            tm_hard_update(st, metric, bound, anch, a0, a1, cand, c0, c1, scr->gram[t],
                           scr->approx[t]);
        }
    }
}

/* Abort the job on an error inside the round loop, where ranks may diverge. */
static void fatal_in_rounds(const tm_err_t *err, MPI_Comm comm)
{
    tm_log_error(err->msg);
    MPI_Abort(comm, 1);
}

/* Local triplets of the finished state. */
typedef struct triplets {
    int64_t m;
    int64_t *idx; /* m x 3 */
    float *d_ap, *d_an, *loss;
} triplets_t;

static void triplets_free(triplets_t *t)
{
    free(t->idx);
    free(t->d_ap);
    free(t->d_an);
    free(t->loss);
    memset(t, 0, sizeof *t);
}

static int finish_hard(const tm_hard_t *st, const tm_mine_opts_t *o, const int64_t *gid,
                       triplets_t *out, tm_loss_stats_t *stats)
{
    size_t cap = (size_t)(st->n > 0 ? st->n : 1);
    memset(out, 0, sizeof *out);
    out->idx = malloc(cap * 3 * sizeof(int64_t));
    out->d_ap = malloc(cap * sizeof(float));
    out->d_an = malloc(cap * sizeof(float));
    out->loss = malloc(cap * sizeof(float));
    if (!out->idx || !out->d_ap || !out->d_an || !out->loss) {
        triplets_free(out);
        return TM_ENOMEM;
    }
    for (int64_t a = 0; a < st->n; a++) {
        const tm_best_t *p = &st->pos[a], *n = &st->neg[a];
        if (p->idx < 0 || n->idx < 0) {
            stats->skipped_anchors++;
            continue;
        }
        int64_t k = out->m++;
        out->idx[3 * k + 0] = gid[a];
        out->idx[3 * k + 1] = p->idx;
        out->idx[3 * k + 2] = n->idx;
        out->d_ap[k] = (float)p->val;
        out->d_an[k] = (float)n->val;
        out->loss[k] = (float)tm_loss_value(o->loss, o->margin, p->val, n->val);
        tm_loss_stats_add(stats, out->loss[k]);
    }
    return 0;
}

/* The anchors' view of the shard: global indices and norms. */
typedef struct anchors {
    tm_rows_t rows;
    int64_t *gid;
    double *norm;
} anchors_t;

static int anchors_init(anchors_t *a, const tm_shard_t *s)
{
    size_t cap = (size_t)(s->n > 0 ? s->n : 1);
    a->gid = malloc(cap * sizeof *a->gid);
    a->norm = malloc(cap * sizeof *a->norm);
    if (a->gid == NULL || a->norm == NULL)
        return TM_ENOMEM;
    for (int64_t i = 0; i < s->n; i++) {
        a->gid[i] = s->lo + i;
        a->norm[i] = sqrt(s->sqnorm[i]);
    }
    a->rows = (tm_rows_t){s->n, s->dim, s->emb, s->labels, a->gid, s->sqnorm, a->norm};
    return 0;
}

static int64_t choose_chunk(const tm_mine_opts_t *o, const tm_shard_t *s, int nranks,
                            tm_err_t *err)
{
    if (o->chunk > 0)
        return o->chunk;
    int64_t budget = TM_DEFAULT_BUF_BYTES;
    if (o->mem_limit > 0) {
        /* What is left after the shard and the per-anchor state. */
        int64_t fixed = s->n * (s->dim * 4 + 8 + 8 + 8 + 8 + 2 * (int64_t)sizeof(tm_best_t));
        budget = o->mem_limit - fixed;
        int64_t least = tm_exchange_bytes(s->n_global, s->dim, nranks, 1);
        if (budget < least) {
            tm_err_set(err, TM_ENOMEM,
                       "the memory budget of %lld bytes per rank is too small: the shard and "
                       "its state take %lld and one round at least %lld (--mem-limit)",
                       (long long)o->mem_limit, (long long)fixed, (long long)least);
            return -1;
        }
    }
    return tm_exchange_auto_chunk(s->n_global, s->dim, nranks, budget);
}

int tm_mine_run(const tm_mine_opts_t *o, MPI_Comm comm, tm_mine_summary_t *sum, tm_err_t *err)
{
    double t0 = MPI_Wtime();
    int rank = 0, nranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    memset(sum, 0, sizeof *sum);

    if (o->strategy != TM_STRATEGY_HARD)
        return tm_err_set(err, TM_ENOTSUP,
                          "strategy '%s' is not available in this version; use hard (mine -s)",
                          tm_strategy_name(o->strategy));
    if (o->checkpoint_dir != NULL)
        return tm_err_set(err, TM_ENOTSUP,
                          "--checkpoint is not available in this version (mine --checkpoint)");

    int rc = tm_outfile_check(o->output, o->force, comm, err);
    if (rc != 0)
        return rc;

    /* Threads come from our own loop; BLAS inside each thread runs alone. */
    openblas_set_num_threads(1);

    tm_shard_t shard;
    tm_h5in_req_t req = {o->input, o->emb_name, o->lab_name, o->normalize, o->mem_limit};
    rc = tm_h5in_read(&req, comm, &shard, err);
    if (rc != 0)
        return rc;
    double t_read = MPI_Wtime();

    tm_hard_t state = {0, NULL, NULL};
    anchors_t anch = {{0, 0, NULL, NULL, NULL, NULL, NULL}, NULL, NULL};
    sweep_scratch_t scr = {0, NULL, NULL};
    tm_exchange_t *x = NULL;
    triplets_t trip = {0, NULL, NULL, NULL, NULL};

    int64_t chunk = choose_chunk(o, &shard, nranks, err);
    rc = chunk < 0 ? TM_ENOMEM : 0;
    if (rc == 0 && (tm_hard_init(&state, shard.n) != 0 || anchors_init(&anch, &shard) != 0 ||
                    scratch_init(&scr, o->threads) != 0))
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the selection state of %lld anchors "
                        "(rank %d)", (long long)shard.n, rank);
    if (rc == 0)
        rc = tm_exchange_create(comm, &shard, chunk, &x, err);
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        goto done;

    const int64_t rounds = tm_exchange_rounds(x);
    const tm_kern_bound_t bound = tm_kern_bound(shard.dim);
    tm_log(TM_LOG_DEBUG, "%lld x %lld embeddings on %d ranks; chunk %lld rows, %lld rounds, "
           "%d threads per rank", (long long)shard.n_global, (long long)shard.dim, nranks,
           (long long)chunk, (long long)rounds, o->threads);

    if (rounds > 0 && tm_exchange_start(x, 0, err) != 0)
        fatal_in_rounds(err, comm);
    for (int64_t r = 0; r < rounds; r++) {
        tm_rows_t cand;
        if (tm_exchange_wait(x, r, &cand, err) != 0)
            fatal_in_rounds(err, comm);
        if (r + 1 < rounds && tm_exchange_start(x, r + 1, err) != 0)
            fatal_in_rounds(err, comm);
        sweep(&state, o->metric, bound, &anch.rows, &cand, &scr);
    }
    double t_mine = MPI_Wtime();

    tm_loss_stats_t local, total;
    tm_loss_stats_init(&local);
    tm_loss_stats_init(&total);
    rc = finish_hard(&state, o, anch.gid, &trip, &local);
    if (rc != 0)
        tm_err_set(err, rc, "cannot allocate the triplets of rank %d", rank);
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        goto done;
    if (tm_loss_stats_reduce(&local, &total, comm) != 0) {
        rc = tm_err_set(err, TM_EMPI, "MPI_Reduce of the loss statistics failed");
        goto done;
    }

    if (rank == 0) {
        sum->num_embeddings = shard.n_global;
        sum->dim = shard.dim;
        sum->ranks = nranks;
        sum->chunk = chunk;
        sum->rounds = rounds;
        sum->num_triplets = total.num_triplets;
        sum->active_triplets = total.active_triplets;
        sum->skipped_anchors = total.skipped_anchors;
        sum->loss_sum = tm_loss_stats_sum(&total);
        sum->loss_mean = total.num_triplets > 0 ? sum->loss_sum / (double)total.num_triplets : 0.0;
        sum->loss_mean_active =
            total.active_triplets > 0 ? sum->loss_sum / (double)total.active_triplets : 0.0;
    }
    tm_out_meta_t meta = {
        tm_strategy_name(o->strategy), tm_metric_name(o->metric), tm_loss_name(o->loss),
        o->input, TM_VERSION, o->margin, sum->loss_sum, sum->loss_mean, sum->loss_mean_active,
        o->normalize, sum->num_embeddings, sum->dim, sum->num_triplets, sum->active_triplets,
        sum->skipped_anchors, nranks};
    rc = tm_h5out_write_triplets(o->output, o->force, trip.m, trip.idx, trip.d_ap, trip.d_an,
                                 trip.loss, &meta, comm, err);
    double t_end = MPI_Wtime();
    sum->seconds = t_end - t0;
    tm_log(TM_LOG_DEBUG, "read %.3f s, mine %.3f s, write %.3f s", t_read - t0, t_mine - t_read,
           t_end - t_mine);

done:
    triplets_free(&trip);
    tm_exchange_free(x);
    scratch_free(&scr);
    free(anch.gid);
    free(anch.norm);
    tm_hard_free(&state);
    tm_shard_free(&shard);
    return rc;
}

/* Write v with the fewest digits that read back as the same double. */
static void json_num(FILE *f, double v)
{
    char buf[40];
    if (!isfinite(v)) {
        fputs("null", f); /* JSON has no infinity */
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, f);
}

/* Write s as a JSON string literal. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void tm_mine_print_summary(const tm_mine_opts_t *o, const tm_mine_summary_t *s, FILE *f)
{
    if (o->json) {
        fprintf(f, "{\"strategy\": ");
        json_str(f, tm_strategy_name(o->strategy));
        fprintf(f, ", \"metric\": ");
        json_str(f, tm_metric_name(o->metric));
        fprintf(f, ", \"loss\": ");
        json_str(f, tm_loss_name(o->loss));
        fprintf(f, ", \"input\": ");
        json_str(f, o->input);
        fprintf(f, ", \"version\": ");
        json_str(f, TM_VERSION);
        fprintf(f, ", \"margin\": ");
        json_num(f, o->margin);
        fprintf(f, ", \"loss_sum\": ");
        json_num(f, s->loss_sum);
        fprintf(f, ", \"loss_mean\": ");
        json_num(f, s->loss_mean);
        fprintf(f, ", \"loss_mean_active\": ");
        json_num(f, s->loss_mean_active);
        fprintf(f, ", \"normalize\": %d, \"num_embeddings\": %" PRId64 ", \"dim\": %" PRId64
                   ", \"num_triplets\": %" PRId64 ", \"active_triplets\": %" PRId64
                   ", \"skipped_anchors\": %" PRId64 ", \"ranks\": %d, \"seconds\": ",
                o->normalize, s->num_embeddings, s->dim, s->num_triplets, s->active_triplets,
                s->skipped_anchors, s->ranks);
        json_num(f, s->seconds);
        fputs("}\n", f);
    } else {
        fprintf(f, "tripminer mine: %s triplets, %s distance, %s loss (margin %g)%s\n",
                tm_strategy_name(o->strategy), tm_metric_name(o->metric), tm_loss_name(o->loss),
                o->margin, o->normalize ? ", normalized" : "");
        fprintf(f, "  embeddings       %" PRId64 " x %" PRId64 " on %d rank%s, %d thread%s each\n",
                s->num_embeddings, s->dim, s->ranks, s->ranks == 1 ? "" : "s", o->threads,
                o->threads == 1 ? "" : "s");
        fprintf(f, "  triplets         %" PRId64 " (%" PRId64 " active, loss > 0)\n",
                s->num_triplets, s->active_triplets);
        fprintf(f, "  skipped anchors  %" PRId64 " (no positive or no negative)\n",
                s->skipped_anchors);
        fprintf(f, "  loss             sum %.6g, mean %.6g, mean over active %.6g\n", s->loss_sum,
                s->loss_mean, s->loss_mean_active);
        fprintf(f, "  output           %s\n", o->output);
        fprintf(f, "  time             %.3f s\n", s->seconds);
    }
    fflush(f);
}
