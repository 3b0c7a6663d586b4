/*
 * mine.c - the mining driver.
 *
 *   read shard -> rounds of candidate blocks -> per-anchor choices
 *   -> triplets and losses -> collective write -> summary on rank 0
 */
#define _POSIX_C_SOURCE 200809L /* st_mtim */

#include "tripminer/mine.h"

#include <cblas.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omp.h>

#include "tm_version.h"
#include "run/ckpt.h"
#include "dist/exchange.h"
#include "base/fault.h"
#include "io/h5in.h"
#include "io/h5out.h"
#include "core/kern.h"
#include "base/log.h"
#include "core/loss.h"
#include "run/progress.h"
#include "rules/select.h"

#include "rules/miner.h"

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

/* What the round loop keeps besides the selection: checkpoints, progress, times. */
typedef struct ckctx {
    const char *dir;      /* NULL: no checkpoints */
    double every;         /* seconds between saves */
    double last;          /* when the last save (or the start) was */
    tm_ckpt_info_t info;  /* generation, position, dependencies */
    int64_t rounds_done;  /* over all passes (the fault hooks count them) */
    tm_progress_t prog;
    tm_phase_times_t times;
} ckctx_t;

/*
 * What the state depends on, as key=value lines: the same text on every
 * rank (rank 0 looks at the input file). NULL if out of memory.
 */
static char *make_deps(const tm_mine_opts_t *o, const tm_shard_t *s, int nranks, int64_t chunk,
                       MPI_Comm comm)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    int len = 0;
    char *text = NULL;
    if (rank == 0) {
        struct stat st;
        long long size = -1, sec = -1;
        long nsec = 0;
        if (stat(o->input, &st) == 0) {
            size = (long long)st.st_size;
            sec = (long long)st.st_mtim.tv_sec;
            nsec = st.st_mtim.tv_nsec;
        }
        char mind[64] = "none";
        if (o->has_neg_min_dist)
            snprintf(mind, sizeof mind, "%a", o->neg_min_dist);
        const char *fmt = "input=%s\ninput_size=%lld\ninput_mtime=%lld.%09ld\nembeddings=%s\n"
                          "labels=%s\nnum_embeddings=%lld\ndim=%lld\nranks=%d\nchunk=%lld\n"
                          "strategy=%s\nmetric=%s\nnormalize=%d\nloss=%s\nmargin=%a\n"
                          "positives=%lld\nnegatives=%lld\nneg_skip=%lld\nneg_min_dist=%s\n";
#define DEPS_ARGS                                                                                  \
    o->input, size, sec, nsec, o->emb_name, o->lab_name, (long long)s->n_global,                   \
        (long long)s->dim, nranks, (long long)chunk, tm_strategy_name(o->strategy),                \
        tm_metric_name(o->metric), o->normalize, tm_loss_name(o->loss), o->margin,                 \
        (long long)o->positives, (long long)o->negatives, (long long)o->neg_skip, mind
        len = snprintf(NULL, 0, fmt, DEPS_ARGS) + 1;
        text = malloc((size_t)len);
        if (text != NULL)
            snprintf(text, (size_t)len, fmt, DEPS_ARGS);
        else
            len = 0;
#undef DEPS_ARGS
    }
    MPI_Bcast(&len, 1, MPI_INT, 0, comm);
    if (len == 0)
        return NULL;
    if (rank != 0)
        text = malloc((size_t)len);
    int ok = text != NULL;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, comm);
    if (!ok) {
        free(text);
        return NULL;
    }
    MPI_Bcast(text, len, MPI_CHAR, 0, comm);
    return text;
}

/* The value of --chunk a checkpoint was made with (0 if absent). */
static int64_t deps_chunk(const char *deps)
{
    const char *p = strstr(deps, "\nchunk=");
    return p != NULL ? strtoll(p + 7, NULL, 10) : 0;
}

/*
 * Between rounds: the fault hooks, then (with checkpoints) the ranks agree
 * whether to save (the interval has passed on rank 0's clock) or to stop
 * (a signal reached any rank), and do it. Returns 0 to go on, TM_ESTOPPED
 * after a save that ends the run, or an error. Collective over comm.
 */
static int boundary(miner_t *mn, ckctx_t *ck, int64_t next, int64_t rounds, MPI_Comm comm,
                    tm_err_t *err)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (tm_fault_at("round", rank, err) != 0)
        fatal_in_rounds(err, comm);
    tm_fault_after_round(rank, ++ck->rounds_done);
    if (ck->dir == NULL)
        return 0;
    int want = tm_ckpt_signalled() ? 2 : 0;
    if (rank == 0 && MPI_Wtime() - ck->last >= ck->every)
        want |= 1;
    MPI_Allreduce(MPI_IN_PLACE, &want, 1, MPI_INT, MPI_BOR, comm);
    if (want == 0 || (next == rounds && mn->pass == miner_passes(mn)))
        return 0; /* nothing to do, or nothing left to save for */
    tm_buf_t state = {0, 0, 0, 0, 0};
    miner_save(mn, &state);
    ck->info.pos = (tm_ckpt_pos_t){mn->pass, next};
    int rc = tm_ckpt_save(ck->dir, &ck->info, &state, comm, err);
    tm_buf_free(&state);
    ck->last = MPI_Wtime();
    if (rc != 0 && !(want & 2)) {
        /* The previous checkpoint still stands: say so and go on. */
        if (rank == 0)
            fprintf(stderr, "tripminer: warning: checkpoint not saved, the previous one stands: "
                    "%s\n", err->msg);
        tm_err_clear(err);
        return 0;
    }
    if (rc != 0)
        return rc;
    tm_log(TM_LOG_DEBUG, "checkpoint %lld saved: pass %d, round %lld of %lld",
           (long long)ck->info.generation, mn->pass, (long long)next, (long long)rounds);
    if (want & 2)
        return tm_err_set(err, TM_ESTOPPED, "stopped by a signal after saving pass %d, round "
                          "%lld of %lld to %s; run the same command with --resume to continue",
                          mn->pass, (long long)next, (long long)rounds, ck->dir);
    return 0;
}

/*
 * Stream every candidate past every local anchor once, from round first.
 * Returns 0, TM_ESTOPPED or an error from a checkpoint (with every round
 * started also completed, so the ranks can leave together).
 */
static int run_pass(miner_t *mn, tm_exchange_t *x, const tm_rows_t *anch, sweep_scratch_t *scr,
                    float *kadd, float *kmul, ckctx_t *ck, int64_t first, MPI_Comm comm,
                    tm_err_t *err)
{
    const int64_t rounds = tm_exchange_rounds(x);
    if (first < rounds && tm_exchange_start(x, first, err) != 0)
        fatal_in_rounds(err, comm);
    for (int64_t r = first; r < rounds; r++) {
        tm_rows_t cand;
        double t0 = MPI_Wtime();
        if (tm_exchange_wait(x, r, &cand, err) != 0)
            fatal_in_rounds(err, comm);
        if (r + 1 < rounds && tm_exchange_start(x, r + 1, err) != 0)
            fatal_in_rounds(err, comm);
        double t1 = MPI_Wtime();
        tm_rows_keys(mn->metric, &cand, kadd, kmul);
        cand.kadd = kadd;
        cand.kmul = kmul;
        sweep(mn, anch, &cand, scr, x);
        ck->times.wait += t1 - t0;
        ck->times.compute += MPI_Wtime() - t1;
        tm_progress_round(&ck->prog);
        int rc = boundary(mn, ck, r + 1, rounds, comm, err);
        if (rc != 0) {
            tm_err_t ignore;
            tm_err_clear(&ignore);
            if (r + 1 < rounds && tm_exchange_wait(x, r + 1, &cand, &ignore) != 0)
                fatal_in_rounds(&ignore, comm);
            return rc;
        }
    }
    return 0;
}

int tm_mine_run(const tm_mine_opts_t *o, MPI_Comm comm, tm_mine_summary_t *sum, tm_err_t *err)
{
    double t0 = MPI_Wtime();
    int rank = 0, nranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    memset(sum, 0, sizeof *sum);

    int rc = tm_outfile_check(o->output, o->force, comm, err);
    if (rc != 0)
        return rc;
    const int64_t budget = mem_budget(o, comm);

    /* Checkpoints: the saved state first, so a bad one fails fast. */
    ckctx_t ck;
    memset(&ck, 0, sizeof ck);
    ck.dir = o->checkpoint_dir;
    ck.every = o->checkpoint_every;
    ck.last = t0;
    ck.info.pos.pass = 1;
    tm_buf_t saved = {0, 0, 0, 0, 0};
    if (ck.dir != NULL) {
        if (o->resume) {
            rc = tm_ckpt_load(ck.dir, &ck.info, &saved, comm, err);
        } else if (tm_ckpt_exists(ck.dir, comm)) {
            rc = tm_err_set(err, TM_EEXIST, "%s already holds a checkpoint: add --resume to "
                            "continue it, or remove %s/manifest to start over (--checkpoint)",
                            ck.dir, ck.dir);
        }
        if (rc != 0)
            return rc;
        tm_ckpt_catch_signals();
    }

    /* Threads come from our own loop; BLAS inside each thread runs alone. */
    openblas_set_num_threads(1);

    tm_shard_t shard;
    /* The shard alone must fit the budget (--mem-limit or the default). */
    tm_h5in_req_t req = {o->input, o->emb_name, o->lab_name, o->normalize, budget};
    rc = tm_h5in_read(&req, comm, &shard, err);
    if (rc != 0) {
        tm_ckpt_info_free(&ck.info);
        tm_buf_free(&saved);
        return rc;
    }
    double t_read = MPI_Wtime();

    miner_t mn;
    memset(&mn, 0, sizeof mn);
    anchors_t anch = {{0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL}, NULL, NULL};
    sweep_scratch_t scr = {0, NULL, NULL};
    tm_exchange_t *x = NULL;
    tm_triplets_t trip = {0, 0, NULL, NULL, NULL, 0};
    columns_t col = {NULL, NULL, NULL};
    float *kadd = NULL, *kmul = NULL;

    /* A resumed run keeps the rounds it was cut into. */
    int64_t chunk = o->resume && o->chunk == 0 ? deps_chunk(ck.info.deps)
                                               : choose_chunk(o, &shard, nranks, budget, err);
    rc = chunk < 0 ? TM_ENOMEM : 0;
    char *deps = NULL;
    if (ck.dir != NULL) {
        deps = make_deps(o, &shard, nranks, chunk > 0 ? chunk : 0, comm);
        if (deps == NULL && rc == 0)
            rc = tm_err_set(err, TM_ENOMEM, "cannot describe the checkpoint (rank %d)", rank);
    }
    if (rc == 0 && o->resume) {
        char what[400];
        if (tm_ckpt_deps_differ(ck.info.deps, deps, what, sizeof what))
            rc = tm_err_set(err, TM_EINPUT, "cannot resume from %s: it was made for another run "
                            "(%s) (--resume)", ck.dir, what);
    }
    if (ck.dir != NULL) {
        free(ck.info.deps);
        ck.info.deps = deps;
    }
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
    if (rc == 0)
        rc = tm_fault_at("alloc", rank, err);
    if (rc == 0 && o->resume) {
        mn.pass = ck.info.pos.pass;
        int lr = miner_load(&mn, &saved);
        if (lr != 0)
            rc = tm_err_set(err, lr, "the checkpoint state of rank %d in %s does not fit this "
                            "run (--resume)", rank, ck.dir);
    }
    tm_buf_free(&saved);
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        goto done;

    tm_log(TM_LOG_DEBUG, "%lld x %lld embeddings on %d ranks; chunk %lld rows, %lld rounds "
           "x %d passes, %d threads per rank", (long long)shard.n_global, (long long)shard.dim,
           nranks, (long long)chunk, (long long)tm_exchange_rounds(x), miner_passes(&mn),
           o->threads);

    const int first_pass = o->resume ? ck.info.pos.pass : 1;
    const int64_t rounds = tm_exchange_rounds(x);
    tm_progress_start(&ck.prog, rank, o->verbosity, rounds, miner_passes(&mn), shard.n_global,
                      shard.dim);
    if (o->resume)
        tm_progress_skip(&ck.prog, (first_pass - 1) * rounds + ck.info.pos.round);
    for (mn.pass = first_pass; mn.pass <= miner_passes(&mn); mn.pass++) {
        const int resumed = o->resume && mn.pass == first_pass;
        if (mn.pass == 2 && !resumed) {
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
        rc = run_pass(&mn, x, &anch.rows, &scr, kadd, kmul, &ck, resumed ? ck.info.pos.round : 0,
                      comm, err);
        if (rc != 0)
            goto done;
    }
    tm_progress_end(&ck.prog);
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
    ck.times.read = t_read - t0;
    ck.times.write = t_end - t_mine;
    if (o->verbosity >= TM_LOG_DEBUG)
        tm_phase_times_report(&ck.times, comm);
    /* The output is in place: the checkpoint has served its purpose. */
    if (rc == 0 && ck.dir != NULL && ck.info.generation > 0)
        tm_ckpt_remove(ck.dir, &ck.info, comm);

done:
    tm_progress_end(&ck.prog);
    tm_ckpt_info_free(&ck.info);
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
