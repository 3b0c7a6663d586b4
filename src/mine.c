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
#include <unistd.h>

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

/* The most the two candidate buffers take with --chunk auto. */
#define TM_MAX_BUF_BYTES ((int64_t)128 << 20)

/* Per-thread scratch of the sweep. */
typedef struct sweep_scratch {
    int nthreads;
    float **gram;      /* TM_TILE_ANCHORS x TM_TILE_CANDS each */
    double **approx;   /* 3 TM_TILE_CANDS each */
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
        s->approx[t] = malloc((size_t)3 * TM_TILE_CANDS * sizeof(double));
        if (s->gram[t] == NULL || s->approx[t] == NULL) {
            scratch_free(s);
            return TM_ENOMEM;
        }
    }
    return 0;
}

/* The selection state of the chosen rule. */
typedef enum { RULE_HARD, RULE_NEAREST, RULE_SEMI } rule_kind_t;

typedef struct miner {
    rule_kind_t kind;
    int pass;             /* 1, or 2 for semihard's second pass */
    tm_metric_t metric;
    tm_kern_bound_t bound;
    tm_hard_t hard;       /* plain batch-hard */
    tm_nearest_t nearest; /* topk, and batch-hard with negative filters */
    tm_semi_t semi;       /* semihard */
} miner_t;

static int miner_passes(const miner_t *mn)
{
    return mn->kind == RULE_SEMI ? 2 : 1;
}

static int miner_needs_tiles(const miner_t *mn)
{
    return !(mn->kind == RULE_SEMI && mn->pass == 1 && !tm_semi_pass1_needs_tiles(&mn->semi));
}

static void miner_update(miner_t *mn, const tm_rows_t *anch, int64_t a0, int64_t a1,
                         const tm_rows_t *cand, int64_t c0, int64_t c1, const float *G,
                         double *scratch)
{
    switch (mn->kind) {
    case RULE_HARD:
        tm_hard_update(&mn->hard, mn->metric, mn->bound, anch, a0, a1, cand, c0, c1, G, scratch);
        break;
    case RULE_NEAREST:
        tm_nearest_update(&mn->nearest, mn->metric, mn->bound, anch, a0, a1, cand, c0, c1, G,
                          scratch);
        break;
    case RULE_SEMI:
        if (mn->pass == 1)
            tm_semi_update1(&mn->semi, mn->metric, mn->bound, anch, a0, a1, cand, c0, c1, G);
        else
            tm_semi_update2(&mn->semi, mn->metric, mn->bound, anch, a0, a1, cand, c0, c1, G,
                            scratch);
        break;
    }
}

static int miner_init(miner_t *mn, const tm_mine_opts_t *o, int64_t n, int64_t dim,
                      int64_t budget)
{
    memset(mn, 0, sizeof *mn);
    mn->pass = 1;
    mn->metric = o->metric;
    mn->bound = tm_kern_bound(dim);
    tm_negfilter_t f = {o->has_neg_min_dist, o->neg_min_dist, o->neg_skip};
    if (o->strategy == TM_STRATEGY_SEMIHARD) {
        mn->kind = RULE_SEMI;
        return tm_semi_init(&mn->semi, n, o->positives, f, budget);
    }
    if (o->strategy == TM_STRATEGY_TOPK || f.has_min_dist || f.skip > 0) {
        mn->kind = RULE_NEAREST;
        return tm_nearest_init(&mn->nearest, n, o->strategy == TM_STRATEGY_TOPK ? o->negatives : 1,
                               f);
    }
    mn->kind = RULE_HARD;
    return tm_hard_init(&mn->hard, n);
}

static void miner_free(miner_t *mn)
{
    tm_hard_free(&mn->hard);
    tm_nearest_free(&mn->nearest);
    tm_semi_free(&mn->semi);
}

static int miner_finish(const miner_t *mn, const int64_t *gid, tm_triplets_t *out)
{
    switch (mn->kind) {
    case RULE_HARD: return tm_hard_finish(&mn->hard, gid, out);
    case RULE_NEAREST: return tm_nearest_finish(&mn->nearest, gid, out);
    case RULE_SEMI: return tm_semi_finish(&mn->semi, gid, out);
    }
    return TM_EINTERNAL;
}

/*
 * Offer one candidate block to every local anchor: threads share the
 * anchors in blocks; each tile is one sgemm and one selection update.
 */
static void sweep(miner_t *mn, const tm_rows_t *anch, const tm_rows_t *cand,
                  sweep_scratch_t *scr, tm_exchange_t *x)
{
    const int64_t nblocks = (anch->n + TM_TILE_ANCHORS - 1) / TM_TILE_ANCHORS;
    const int64_t dim = anch->dim;
    const int tiles = miner_needs_tiles(mn);
#pragma omp parallel for num_threads(scr->nthreads) schedule(dynamic, 1)
    for (int64_t blk = 0; blk < nblocks; blk++) {
        const int t = omp_get_thread_num();
        const int64_t a0 = blk * TM_TILE_ANCHORS;
        const int64_t a1 = a0 + TM_TILE_ANCHORS < anch->n ? a0 + TM_TILE_ANCHORS : anch->n;
        for (int64_t c0 = 0; c0 < cand->n; c0 += TM_TILE_CANDS) {
            const int64_t c1 = c0 + TM_TILE_CANDS < cand->n ? c0 + TM_TILE_CANDS : cand->n;
            if (tiles)
                tm_kern_gram(anch->emb + a0 * dim, a1 - a0, cand->emb + c0 * dim, c1 - c0, dim,
                             scr->gram[t]);
            miner_update(mn, anch, a0, a1, cand, c0, c1, tiles ? scr->gram[t] : NULL,
                         scr->approx[t]);
            /* MPI_THREAD_FUNNELED: only the main thread may call MPI. */
            if (t == 0)
                tm_exchange_progress(x);
        }
    }
}

/* Abort the job on an error inside the round loop, where ranks may diverge. */
static void fatal_in_rounds(const tm_err_t *err, MPI_Comm comm)
{
    tm_log_error(err->msg);
    MPI_Abort(comm, 1);
}

/* Float32 columns of the output and the loss statistics. */
typedef struct columns {
    float *d_ap, *d_an, *loss;
} columns_t;

static int make_columns(const tm_triplets_t *t, const tm_mine_opts_t *o, columns_t *col,
                        tm_loss_stats_t *stats)
{
    size_t cap = (size_t)(t->m > 0 ? t->m : 1);
    col->d_ap = malloc(cap * sizeof(float));
    col->d_an = malloc(cap * sizeof(float));
    col->loss = malloc(cap * sizeof(float));
    if (!col->d_ap || !col->d_an || !col->loss)
        return TM_ENOMEM;
    for (int64_t k = 0; k < t->m; k++) {
        col->d_ap[k] = (float)t->dap[k];
        col->d_an[k] = (float)t->dan[k];
        col->loss[k] = (float)tm_loss_value(o->loss, o->margin, t->dap[k], t->dan[k]);
        tm_loss_stats_add(stats, col->loss[k]);
    }
    stats->skipped_anchors += t->skipped;
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
    a->rows = (tm_rows_t){s->n, s->dim, s->emb, s->labels, a->gid, s->sqnorm, a->norm, NULL, NULL};
    return 0;
}

/*
 * The rows per rank and round: --chunk, or as many as let both candidate
 * buffers take half of what the budget leaves after the shard and the
 * per-anchor state, at most TM_MAX_BUF_BYTES (more rounds cost little,
 * and smaller buffers stay in cache longer).
 */
static int64_t choose_chunk(const tm_mine_opts_t *o, const tm_shard_t *s, int nranks,
                            int64_t budget, tm_err_t *err)
{
    if (o->chunk > 0)
        return o->chunk;
    int64_t fixed = s->n * (s->dim * 4 + 8 + 8 + 8 + 8 + 2 * (int64_t)sizeof(tm_best_t));
    int64_t left = (budget - fixed) / 2;
    int64_t least = tm_exchange_bytes(s->n_global, s->dim, nranks, 1);
    if (left < least) {
        tm_err_set(err, TM_ENOMEM,
                   "the memory budget of %lld bytes per rank is too small: the shard and its "
                   "state take %lld and the exchange at least %lld more (--mem-limit)",
                   (long long)budget, (long long)fixed, (long long)least);
        return -1;
    }
    if (left > TM_MAX_BUF_BYTES)
        left = TM_MAX_BUF_BYTES;
    return tm_exchange_auto_chunk(s->n_global, s->dim, nranks, left);
}

/*
 * The memory budget per rank: --mem-limit, or half of the node's memory
 * shared by the ranks on the node. Collective over comm.
 */
static int64_t mem_budget(const tm_mine_opts_t *o, MPI_Comm comm)
{
    if (o->mem_limit > 0)
        return o->mem_limit;
    MPI_Comm node;
    int local = 1;
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
        MPI_Comm_size(node, &local);
        MPI_Comm_free(&node);
    }
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0)
        return (int64_t)4 << 30;
    return (int64_t)pages * page / 2 / local;
}

/* Stream every candidate past every local anchor once. */
static void run_pass(miner_t *mn, tm_exchange_t *x, const tm_rows_t *anch, sweep_scratch_t *scr,
                     float *kadd, float *kmul, MPI_Comm comm, tm_err_t *err)
{
    const int64_t rounds = tm_exchange_rounds(x);
    if (rounds > 0 && tm_exchange_start(x, 0, err) != 0)
        fatal_in_rounds(err, comm);
    for (int64_t r = 0; r < rounds; r++) {
        tm_rows_t cand;
        if (tm_exchange_wait(x, r, &cand, err) != 0)
            fatal_in_rounds(err, comm);
        if (r + 1 < rounds && tm_exchange_start(x, r + 1, err) != 0)
            fatal_in_rounds(err, comm);
        tm_rows_keys(mn->metric, &cand, kadd, kmul);
        cand.kadd = kadd;
        cand.kmul = kmul;
        sweep(mn, anch, &cand, scr, x);
    }
}

int tm_mine_run(const tm_mine_opts_t *o, MPI_Comm comm, tm_mine_summary_t *sum, tm_err_t *err)
{
    double t0 = MPI_Wtime();
    int rank = 0, nranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    memset(sum, 0, sizeof *sum);

    if (o->checkpoint_dir != NULL)
        return tm_err_set(err, TM_ENOTSUP,
                          "--checkpoint is not available in this version (mine --checkpoint)");

    int rc = tm_outfile_check(o->output, o->force, comm, err);
    if (rc != 0)
        return rc;
    const int64_t budget = mem_budget(o, comm);

    /* Threads come from our own loop; BLAS inside each thread runs alone. */
    openblas_set_num_threads(1);

    tm_shard_t shard;
    tm_h5in_req_t req = {o->input, o->emb_name, o->lab_name, o->normalize, o->mem_limit};
    rc = tm_h5in_read(&req, comm, &shard, err);
    if (rc != 0)
        return rc;
    double t_read = MPI_Wtime();

    miner_t mn;
    memset(&mn, 0, sizeof mn);
    anchors_t anch = {{0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL}, NULL, NULL};
    sweep_scratch_t scr = {0, NULL, NULL};
    tm_exchange_t *x = NULL;
    tm_triplets_t trip = {0, 0, NULL, NULL, NULL, 0};
    columns_t col = {NULL, NULL, NULL};
    float *kadd = NULL, *kmul = NULL;

    int64_t chunk = choose_chunk(o, &shard, nranks, budget, err);
    rc = chunk < 0 ? TM_ENOMEM : 0;
    if (rc == 0 && (miner_init(&mn, o, shard.n, shard.dim, budget / 2) != 0 ||
                    anchors_init(&anch, &shard) != 0 || scratch_init(&scr, o->threads) != 0))
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the selection state of %lld anchors "
                        "(rank %d)", (long long)shard.n, rank);
    if (rc == 0)
        rc = tm_exchange_create(comm, &shard, chunk, &x, err);
    if (rc == 0) {
        size_t cap = (size_t)tm_exchange_capacity(x);
        kadd = malloc(cap * sizeof *kadd);
        kmul = malloc(cap * sizeof *kmul);
        if (kadd == NULL || kmul == NULL)
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the candidate keys (rank %d)", rank);
    }
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        goto done;

    tm_log(TM_LOG_DEBUG, "%lld x %lld embeddings on %d ranks; chunk %lld rows, %lld rounds "
           "x %d passes, %d threads per rank", (long long)shard.n_global, (long long)shard.dim,
           nranks, (long long)chunk, (long long)tm_exchange_rounds(x), miner_passes(&mn),
           o->threads);

    for (mn.pass = 1; mn.pass <= miner_passes(&mn); mn.pass++) {
        if (mn.pass == 2) {
            /* Between the passes of semihard: every rank's positives fit? */
            if (mn.semi.overflow)
                rc = tm_err_set(err, TM_ENOMEM,
                                "semihard with all positives needs more than %lld bytes on rank "
                                "%d for the positive distances of its anchors (a class is too "
                                "large); use --positives K, more ranks or a larger --mem-limit",
                                (long long)(budget / 2), rank);
            else if (tm_semi_begin2(&mn.semi) != 0)
                rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the semihard gaps (rank %d)",
                                rank);
            rc = tm_err_agree(rc, err, comm);
            if (rc != 0)
                goto done;
        }
        run_pass(&mn, x, &anch.rows, &scr, kadd, kmul, comm, err);
    }
    double t_mine = MPI_Wtime();

    tm_loss_stats_t local, total;
    tm_loss_stats_init(&local);
    tm_loss_stats_init(&total);
    rc = miner_finish(&mn, anch.gid, &trip);
    if (rc == 0)
        rc = make_columns(&trip, o, &col, &local);
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
        sum->rounds = tm_exchange_rounds(x);
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
    rc = tm_h5out_write_triplets(o->output, o->force, trip.m, trip.idx, col.d_ap, col.d_an,
                                 col.loss, &meta, comm, err);
    double t_end = MPI_Wtime();
    sum->seconds = t_end - t0;
    tm_log(TM_LOG_DEBUG, "read %.3f s, mine %.3f s, write %.3f s", t_read - t0, t_mine - t_read,
           t_end - t_mine);

done:
    free(kadd);
    free(kmul);
    free(col.d_ap);
    free(col.d_an);
    free(col.loss);
    tm_triplets_free(&trip);
    tm_exchange_free(x);
    scratch_free(&scr);
    free(anch.gid);
    free(anch.norm);
    miner_free(&mn);
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
