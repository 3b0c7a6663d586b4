/*
 * mine.c - the driver of `tripminer mine` and `tripminer eval`, as named
 * phases over one job:
 *
 *   prepare (output check, budget, saved checkpoint) -> read the inputs
 *   -> set up (chunk, dependencies, engine state, exchange; resume)
 *   -> mine (each pass of the engine: rounds of candidate blocks,
 *      boundaries that save checkpoints) -> finish (the engine's results,
 *      made ready by the rule's output kind: triplets and losses, or eval's
 *      records) -> write (the output file or the report; the checkpoint is
 *      done with)
 *
 * The driver never names a rule: it finds one in the registry by name, asks
 * it once for its plan (rules/rule.h), calls that engine's hooks
 * (engines/engine.h), and hands the results to the row of output.h that
 * the rule's output kind selects.
 */
#define _POSIX_C_SOURCE 200809L /* st_mtim */

#include "tripminer/mine.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fault.h"
#include "base/fpenv.h"
#include "base/log.h"
#include "base/watchdog.h"
#include "core/kernels.h"
#include "io/format.h"
#include "io/h5out.h"
#include "run/budget.h"
#include "run/job.h"
#include "run/output.h"
#include "run/parted.h"
#include "run/placement.h"
#include "tm_version.h"

/* The job (run/job.h), as this file's phases call it. */
typedef tm_job_t job_t;

/* Abort the job on an error inside the round loop, where ranks may diverge. */
static void fatal_in_rounds(const tm_err_t *err, MPI_Comm comm)
{
    tm_log_error(err->msg);
    MPI_Abort(comm, 1);
}

/* ---- prepare: the output, the budget, a saved checkpoint ------------------ */

/*
 * The tile kernel: auto is the first of the table (core/kernels.h) this
 * rank's CPU runs (ranks may differ: no output byte depends on it); a
 * kernel named by --kernel must run on every rank. Collective over comm.
 */
static int choose_kernel(job_t *j, tm_err_t *err)
{
    int rc = 0;
    /* TRIPMINER_FAULT=nocpu: this rank's CPU lacks every feature a kernel needs. */
    const int nocpu = tm_fault_nocpu(j->rank);
    const char *name = j->run->kernel;
    if (name == NULL || strcmp(name, "auto") == 0)
        j->kernel = nocpu ? &tm_kernel_f32 : tm_kernel_auto();
    else
        j->kernel = tm_kernel_find(name);
    if (j->kernel == NULL) {
        char names[160];
        tm_kernel_names(names, sizeof names);
        rc = tm_err_set(err, TM_EUSAGE, "unknown kernel '%s', expected %s (mine --kernel)", name,
                        names);
        j->kernel = &tm_kernel_f32; /* a name for the summary; the job ends here */
    } else if (!tm_kernel_runs(j->kernel) || (nocpu && j->kernel->feature != NULL)) {
        rc = tm_err_set(err, TM_EUSAGE, "--kernel %s: the CPU of rank %d cannot run it (it "
                        "lacks %s); use --kernel auto or f32", j->kernel->name, j->rank,
                        j->kernel->feature);
    }
    j->sum->kernel = j->kernel->name;
    return tm_err_agree(rc, err, j->comm);
}

static int prepare(job_t *j, tm_err_t *err)
{
    int rc = choose_kernel(j, err);
    if (rc != 0)
        return rc;
    if (j->run->output != NULL || j->out->needs_file)
        rc = tm_outfile_check(j->run->output, j->run->force, j->comm, err);
    if (rc != 0)
        return rc;
    j->budget = tm_budget_per_rank(j->run, j->comm);
    j->threads = tm_placement_threads(j->run->threads, j->comm);
    j->sum->threads = j->threads;
    j->dir = j->run->checkpoint_dir;
    j->last_save = j->t0;
    j->info.pos.pass = 1;
    if (j->dir == NULL)
        return 0;
    /* The saved state first, so a bad one fails fast. */
    if (j->run->resume)
        rc = tm_ckpt_load(j->dir, &j->info, &j->saved, j->comm, err);
    else if (tm_ckpt_exists(j->dir, j->comm))
        rc = tm_err_set(err, TM_EEXIST, "%s already holds a checkpoint: add --resume to "
                        "continue it, or remove %s/manifest to start over (--checkpoint)",
                        j->dir, j->dir);
    if (rc == 0)
        tm_ckpt_catch_signals();
    return rc;
}

/* ---- set up: chunk, dependencies, state, exchange ------------------------ */

/* The value of --chunk a checkpoint was made with (0 if absent). */
static int64_t deps_chunk(const char *deps)
{
    const char *p = strstr(deps, "\nchunk=");
    return p != NULL ? strtoll(p + 7, NULL, 10) : 0;
}

/* The size and modification time of a file (-1 and "-1.0..." if unknown). */
static void file_facts(const char *path, int64_t *size, char *mtime, size_t len)
{
    long long sec = -1;
    long nsec = 0;
    struct stat st;
    *size = -1;
    if (stat(path, &st) == 0) {
        *size = (int64_t)st.st_size;
        sec = (long long)st.st_mtim.tv_sec;
        nsec = st.st_mtim.tv_nsec;
    }
    snprintf(mtime, len, "%lld.%09ld", sec, nsec);
}

/* The job as the field table sees it (rank 0 looks at the input files). */
static void record_of(const job_t *j, tm_run_record_t *r)
{
    tm_run_record_init(r, j->mine, j->sum, tm_rule_choosing(j->rule, j->mine));
    if (j->rank != 0)
        return;
    file_facts(j->mine->input, &r->input_size, r->input_mtime, sizeof r->input_mtime);
    if (j->mine->reference != NULL)
        file_facts(j->mine->reference, &r->reference_size, r->reference_mtime,
                   sizeof r->reference_mtime);
}

/*
 * What the state depends on, as key=value lines: the same text on every
 * rank (rank 0's). NULL if out of memory on any rank. Collective.
 */
static char *make_deps(const job_t *j)
{
    int len = 0;
    char *text = NULL;
    if (j->rank == 0) {
        tm_run_record_t r;
        record_of(j, &r);
        text = tm_fields_deps(&r);
        len = text != NULL ? (int)strlen(text) + 1 : 0;
    }
    MPI_Bcast(&len, 1, MPI_INT, 0, j->comm);
    if (len == 0)
        return NULL;
    if (j->rank != 0)
        text = malloc((size_t)len);
    int ok = text != NULL;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, j->comm);
    if (!ok) {
        free(text);
        return NULL;
    }
    MPI_Bcast(text, len, MPI_CHAR, 0, j->comm);
    return text;
}

/* The chunk and the checkpoint's dependencies; on --resume, they must match. */
static int setup_rounds(job_t *j, tm_err_t *err)
{
    /* A resumed run keeps the rounds it was cut into (and its state must fit). */
    tm_run_params_t run = *j->run;
    if (run.resume && run.chunk == 0)
        run.chunk = deps_chunk(j->info.deps);
    const tm_shard_t *cand = tm_inputs_candidates(&j->in);
    tm_budget_need_t need = {j->in.anch.n, cand->n_global, cand->dim, j->in.held,
                             j->in.streamed, j->kernel, j->mine->partitions != 0};
    if (need.parted)
        need.held += tm_parted_bytes(j->mine, j->in.anch.n, cand->n_global, cand->dim,
                                     j->nranks);
    int64_t chunk = tm_budget_chunk(&run, j->mine, j->rule, &need, j->nranks, j->budget, err);
    int rc = chunk < 0 ? TM_ENOMEM : 0;
    j->sum->num_embeddings = j->in.num_input;
    j->sum->num_reference = j->in.num_reference;
    j->sum->num_pairs = j->in.num_pairs;
    j->sum->dim = cand->dim;
    j->sum->ranks = j->nranks;
    j->sum->chunk = chunk > 0 ? chunk : 0;
    if (j->dir == NULL)
        return rc;
    char *deps = make_deps(j);
    if (deps == NULL && rc == 0)
        rc = tm_err_set(err, TM_ENOMEM, "cannot describe the checkpoint (rank %d)", j->rank);
    char what[400];
    if (rc == 0 && j->run->resume && tm_ckpt_deps_differ(j->info.deps, deps, what, sizeof what))
        rc = tm_err_set(err, TM_EINPUT, "cannot resume from %s: it was made for another run "
                        "(%s) (--resume)", j->dir, what);
    free(j->info.deps);
    j->info.deps = deps;
    return rc;
}

/* The engine's state, the anchors, the scratch, the exchange; then the saved state. */
static int setup_state(job_t *j, tm_err_t *err)
{
    int rc = 0;
    const tm_engine_t *engine = j->plan.engine;
    /* Partitioned mining streams the candidates from their partitions' ranks. */
    const tm_shard_t *cand = j->parted ? &j->moved.shard : tm_inputs_candidates(&j->in);
    const tm_engine_size_t sz = {j->in.anch.n, cand->n_global, j->budget};
    if (!j->parted)
        tm_inputs_anchors(&j->in, &j->anch);
    int rc0 = engine->create(&j->state, &j->plan.args, &sz);
    if (rc0 != 0)
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the selection state of %lld anchors "
                        "(rank %d)", (long long)j->in.anch.n, j->rank);
    if (rc == 0)
        rc = tm_exchange_create(j->comm, cand, j->sum->chunk, &j->x, err);
    if (rc == 0) {
        const size_t block = engine->block_bytes != NULL ? engine->block_bytes(j->state) : 0;
        if (tm_sweep_init(&j->sweep, j->threads, block, j->kernel, &j->anch,
                          tm_exchange_capacity(j->x)) != 0 ||
            (j->parted && tm_parted_sweeps(j) != 0))
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the tiles' scratch and packed "
                            "rows of %lld anchors (rank %d)", (long long)j->in.anch.n, j->rank);
    }
    if (rc == 0 && j->in.streamed && !j->parted)
        rc = tm_exchange_stream(j->x, tm_inputs_fill, &j->in, err);
    if (rc == 0 && tm_heard_init(&j->heard, j->comm, TM_TAG_BOUNDARY) != 0)
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the round tokens (rank %d)", j->rank);
    if (rc == 0) {
        size_t cap = (size_t)tm_exchange_capacity(j->x);
        j->kadd = malloc(cap * sizeof *j->kadd);
        j->kmul = malloc(cap * sizeof *j->kmul);
        if (j->kadd == NULL || j->kmul == NULL)
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the candidate keys (rank %d)",
                            j->rank);
    }
    if (rc == 0)
        rc = tm_fault_at("alloc", j->rank, err);
    if (rc == 0 && j->run->resume) {
        j->pass = j->info.pos.pass;
        int lr = engine->load(j->state, j->pass, &j->saved);
        if (lr == 0 && j->cstate != NULL)
            lr = engine->load(j->cstate, j->pass, &j->saved);
        if (lr == 0 && tm_buf_left(&j->saved) != 0)
            lr = TM_EINPUT; /* trailing bytes: not this state */
        if (lr != 0)
            rc = tm_err_set(err, lr, "the checkpoint state of rank %d in %s does not fit this "
                            "run (--resume)", j->rank, j->dir);
    }
    tm_buf_free(&j->saved);
    return rc;
}

static int setup(job_t *j, tm_err_t *err)
{
    j->bound = tm_kern_bound(j->in.anch.dim);
    int rc = setup_rounds(j, err);
    rc = tm_err_agree(rc, err, j->comm);
    if (rc == 0 && j->mine->partitions != 0)
        rc = tm_parted_setup(j, err);
    if (rc == 0)
        rc = setup_state(j, err);
    rc = tm_err_agree(rc, err, j->comm);
    if (rc == 0)
        j->sum->rounds = tm_exchange_rounds(j->x);
    return rc;
}

/* ---- mine: passes of rounds, with checkpoints between rounds -------------- */

/*
 * Between rounds: the fault hooks, then (with checkpoints) the ranks agree
 * whether to save (the interval has passed on rank 0's clock) or to stop
 * (a signal reached any rank), and do it. Returns 0 to go on, TM_ESTOPPED
 * after a save that ends the run, or an error. Collective over comm.
 */
static int boundary(job_t *j, int64_t next, int64_t rounds, tm_err_t *err)
{
    if (tm_fault_at("round", j->rank, err) != 0)
        fatal_in_rounds(err, j->comm);
    tm_fault_after_round(j->rank, ++j->rounds_done);
    if (j->dir == NULL)
        return 0;
    int want = tm_ckpt_signalled() ? 2 : 0;
    if (j->rank == 0 && MPI_Wtime() - j->last_save >= j->run->checkpoint_every)
        want |= 1;
    /* Watched: a rank that never gets here is named (comm/heard.h). */
    MPI_Request req;
    tm_heard_arrive(&j->heard, j->rounds_done);
    MPI_Iallreduce(MPI_IN_PLACE, &want, 1, MPI_INT, MPI_BOR, j->comm, &req);
    tm_watchdog_enter("the boundary after round %lld of %lld (pass %d)", (long long)next,
                      (long long)rounds, j->pass);
    tm_heard_wait(&j->heard, 1, &req);
    tm_watchdog_leave();
    if (want == 0 || (next == rounds && j->pass == j->plan.engine->passes))
        return 0; /* nothing to do, or nothing left to save for */
    tm_buf_t state = {0, 0, 0, 0, 0};
    j->plan.engine->save(j->state, j->pass, &state);
    if (j->cstate != NULL)
        j->plan.engine->save(j->cstate, j->pass, &state);
    j->info.pos = (tm_ckpt_pos_t){j->pass, next};
    tm_watchdog_enter("the checkpoint after round %lld of %lld (pass %d)", (long long)next,
                      (long long)rounds, j->pass);
    int rc = tm_ckpt_save(j->dir, &j->info, &state, j->comm, err);
    tm_watchdog_leave();
    tm_buf_free(&state);
    j->last_save = MPI_Wtime();
    if (rc != 0 && !(want & 2)) {
        /* The previous checkpoint still stands: say so and go on. */
        if (j->rank == 0)
            tm_log_warning("checkpoint not saved, the previous one stands: %s", err->msg);
        tm_err_clear(err);
        return 0;
    }
    if (rc != 0)
        return rc;
    tm_log(TM_LOG_DEBUG, "checkpoint %lld saved: pass %d, round %lld of %lld",
           (long long)j->info.generation, j->pass, (long long)next, (long long)rounds);
    if (want & 2)
        return tm_err_set(err, TM_ESTOPPED, "stopped by a signal after saving pass %d, round "
                          "%lld of %lld to %s; run the same command with --resume to continue",
                          j->pass, (long long)next, (long long)rounds, j->dir);
    return 0;
}

/*
 * Stream every candidate past every local anchor once, from round first.
 * Returns 0, TM_ESTOPPED or an error from a checkpoint (with every round
 * started also completed, so the ranks can leave together).
 */
static int run_pass(job_t *j, int64_t first, tm_err_t *err)
{
    const int64_t rounds = tm_exchange_rounds(j->x);
    if (first < rounds && tm_exchange_start(j->x, first, err) != 0)
        fatal_in_rounds(err, j->comm);
    for (int64_t r = first; r < rounds; r++) {
        tm_rows_t cand;
        double t0 = MPI_Wtime();
        if (tm_exchange_wait(j->x, r, &cand, err) != 0)
            fatal_in_rounds(err, j->comm);
        if (r + 1 < rounds && tm_exchange_start(j->x, r + 1, err) != 0)
            fatal_in_rounds(err, j->comm);
        double t1 = MPI_Wtime();
        tm_rows_keys(j->mine->metric, &cand, j->kadd, j->kmul);
        cand.kadd = j->kadd;
        cand.kmul = j->kmul;
        if (j->parted)
            tm_parted_round(j, &cand);
        else
            tm_sweep(j->plan.engine, j->state, j->pass, j->mine->metric, j->bound, &j->anch,
                     &cand, &j->sweep, j->x);
        j->times.wait += t1 - t0;
        j->times.compute += MPI_Wtime() - t1;
        tm_progress_round(&j->prog);
        int rc = boundary(j, r + 1, rounds, err);
        if (rc != 0) {
            tm_err_t ignore;
            tm_err_clear(&ignore);
            if (r + 1 < rounds && tm_exchange_wait(j->x, r + 1, &cand, &ignore) != 0)
                fatal_in_rounds(&ignore, j->comm);
            return rc;
        }
    }
    return 0;
}

/*
 * What the tiles of every rank did, on rank 0: the summary's counts and,
 * with -v, one line. Collective over comm.
 */
static void kernel_counts(job_t *j)
{
    const tm_sweep_count_t c = tm_sweep_counts(&j->sweep);
    int64_t v[5] = {c.pairs_fast, c.pairs_f32, c.exact_fast, c.exact_f32, c.fallback};
    MPI_Reduce(j->rank == 0 ? MPI_IN_PLACE : v, v, 5, MPI_INT64_T, MPI_SUM, 0, j->comm);
    if (j->rank != 0)
        return;
    tm_mine_summary_t *s = j->sum;
    s->pairs_fast = v[0];
    s->pairs_f32 = v[1];
    s->rechecked = v[2] + v[3];
    const int64_t pairs = v[0] + v[1];
    s->rechecked_fraction = pairs > 0 ? (double)s->rechecked / (double)pairs : 0.0;
    if (pairs == 0)
        return;
    if (j->kernel == &tm_kernel_f32) {
        tm_log(TM_LOG_DEBUG, "tiles: f32 kernel (sgemm) on %lld pairs; %.4g %% re-checked "
               "exactly", (long long)pairs, 100.0 * s->rechecked_fraction);
        return;
    }
    tm_log(TM_LOG_DEBUG, "tiles: %s kernel on %.4g %% of %lld pairs, f32 on the rest (%lld "
           "anchor blocks fell back); %.4g %% re-checked exactly (%s tiles %.4g %%, f32 tiles "
           "%.4g %%)", j->kernel->name, 100.0 * (double)v[0] / (double)pairs,
           (long long)pairs, (long long)v[4], 100.0 * s->rechecked_fraction,
           j->kernel->name, v[0] > 0 ? 100.0 * (double)v[2] / (double)v[0] : 0.0,
           v[1] > 0 ? 100.0 * (double)v[3] / (double)v[1] : 0.0);
}

static int mine_passes(job_t *j, tm_err_t *err)
{
    const int passes = j->plan.engine->passes;
    const int first_pass = j->run->resume ? j->info.pos.pass : 1;
    const int64_t rounds = tm_exchange_rounds(j->x);
    const tm_shard_t *cand = tm_inputs_candidates(&j->in);
    tm_log(TM_LOG_DEBUG, "%lld anchors x %lld candidates of %lld dimensions on %d ranks; chunk "
           "%lld rows, %lld rounds x %d passes, %d threads per rank",
           (long long)j->in.anch.n_global, (long long)cand->n_global, (long long)cand->dim,
           j->nranks, (long long)j->sum->chunk, (long long)rounds,
           passes, j->threads);
    tm_progress_start(&j->prog, j->rank, j->talk->verbosity, rounds, passes,
                      j->in.anch.n_global, cand->n_global, cand->dim);
    if (j->run->resume)
        tm_progress_skip(&j->prog, (first_pass - 1) * rounds + j->info.pos.round);
    tm_watchdog_start(j->run->stall_timeout, j->rank, j->comm);
    for (j->pass = first_pass; j->pass <= passes; j->pass++) {
        const int resumed = j->run->resume && j->pass == first_pass;
        if (j->pass > 1 && !resumed) {
            int rc = j->plan.engine->begin_pass(j->state, j->pass, j->rank, err);
            if (rc == 0 && j->cstate != NULL)
                rc = j->plan.engine->begin_pass(j->cstate, j->pass, j->rank, err);
            tm_watchdog_enter("the start of pass %d", j->pass);
            rc = tm_err_agree(rc, err, j->comm);
            tm_watchdog_leave();
            if (rc != 0)
                return rc;
        }
        int rc = run_pass(j, resumed ? j->info.pos.round : 0, err);
        if (rc != 0)
            return rc;
    }
    tm_progress_end(&j->prog);
    kernel_counts(j);
    return 0;
}

/* ---- finish and write: what the results become (output.c) ---------------- */

static int finish_and_write(job_t *j, tm_err_t *err)
{
    int rc = j->out->finish(j, err);
    if (rc != 0)
        return rc;
    rc = j->out->write(j, err);
    j->out->summary(j);
    if (j->talk->verbosity >= TM_LOG_DEBUG)
        tm_phase_times_report(&j->times, j->comm);
    /* The output is in place: the checkpoint has served its purpose. */
    if (rc == 0 && j->dir != NULL && j->info.generation > 0)
        tm_ckpt_remove(j->dir, &j->info, j->comm);
    return rc;
}

static void job_free(job_t *j)
{
    tm_watchdog_stop();
    tm_progress_end(&j->prog);
    tm_ckpt_info_free(&j->info);
    tm_buf_free(&j->saved);
    free(j->kadd);
    free(j->kmul);
    free(j->d_ap);
    free(j->d_an);
    free(j->loss);
    tm_results_free(&j->res);
    tm_exchange_free(j->x);
    tm_heard_free(&j->heard);
    tm_sweep_free(&j->sweep);
    tm_parted_free(j);
    if (j->plan.engine != NULL)
        j->plan.engine->destroy(j->state);
    tm_inputs_free(&j->in);
}

/*
 * One job of rule: eval and esum for tripminer eval (else NULL). Collective
 * over comm.
 */
static int run_job(const tm_rule_t *rule, const tm_mine_params_t *mine,
                   const tm_eval_params_t *eval, const tm_run_params_t *run,
                   const tm_talk_params_t *talk, MPI_Comm comm, tm_mine_summary_t *sum,
                   tm_eval_summary_t *esum, tm_err_t *err)
{
    job_t j;
    memset(&j, 0, sizeof j);
    memset(sum, 0, sizeof *sum);
    j.mine = mine, j.eval = eval, j.run = run, j.talk = talk, j.comm = comm, j.sum = sum;
    j.esum = esum;
    j.t0 = MPI_Wtime();
    MPI_Comm_rank(comm, &j.rank);
    MPI_Comm_size(comm, &j.nranks);
    j.rule = rule;
    j.plan = rule->plan(mine);
    j.out = tm_output_of(rule->output);

    int rc = prepare(&j, err);
    if (rc != 0) {
        job_free(&j);
        return rc;
    }
    /* Threads come from our own loop; BLAS inside each thread runs alone. */
    openblas_set_num_threads(1);
    /* The anchors alone must fit the budget (--mem-limit or the default). */
    rc = tm_inputs_read(mine, j.budget, comm, &j.in, err);
    if (rc != 0) {
        job_free(&j);
        return rc;
    }
    j.times.read = MPI_Wtime() - j.t0;
    rc = setup(&j, err);
    if (rc == 0)
        rc = mine_passes(&j, err);
    j.t_mine = MPI_Wtime();
    if (rc == 0)
        rc = finish_and_write(&j, err);
    job_free(&j);
    return rc;
}

int tm_mine_run(const tm_mine_params_t *mine, const tm_run_params_t *run,
                const tm_talk_params_t *talk, MPI_Comm comm, tm_mine_summary_t *sum,
                tm_err_t *err)
{
    const tm_rule_t *rule = tm_rule_find(mine->strategy);
    if (rule == NULL)
        return tm_err_set(err, TM_EUSAGE, "unknown strategy '%s' (mine --strategy)",
                          mine->strategy);
    tm_fpenv_t fp;
    tm_fpenv_enter(&fp);
    const int rc = run_job(rule, mine, NULL, run, talk, comm, sum, NULL, err);
    tm_fpenv_leave(&fp);
    return rc;
}

int tm_eval_run(const tm_mine_params_t *mine, const tm_eval_params_t *eval,
                const tm_run_params_t *run, const tm_talk_params_t *talk, MPI_Comm comm,
                tm_eval_summary_t *sum, tm_err_t *err)
{
    /* eval's rule is registered but no mining strategy: found by its name. */
    const tm_rule_t *rule = tm_rule_lookup("eval");
    if (rule == NULL)
        return tm_err_set(err, TM_EUSAGE, "no rule 'eval' in the registry (eval)");
    tm_mine_params_t p = *mine;
    p.strategy = rule->name;
    tm_mine_summary_t msum;
    memset(sum, 0, sizeof *sum);
    tm_fpenv_t fp;
    tm_fpenv_enter(&fp);
    const int rc = run_job(rule, &p, eval, run, talk, comm, &msum, sum, err);
    tm_fpenv_leave(&fp);
    return rc;
}
