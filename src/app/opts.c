/*
 * opts.c - table-driven parsing of the command line.
 *
 * A small parser of our own rather than getopt_long: it keeps no global
 * state (tests parse many command lines in one process) and says exactly
 * which option or value was wrong.
 */
#include "tripminer/opts.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/opts_table.h"
#include "core/kernels.h"
#include "rules/rule.h"
#include "base/log.h"

void tm_mine_opts_default(tm_mine_opts_t *o)
{
    memset(o, 0, sizeof *o);
    tm_mine_params_default(&o->mine);
    tm_run_params_default(&o->run);
    tm_talk_params_default(&o->talk);
    tm_eval_params_default(&o->eval);
}

void tm_synth_opts_default(tm_synth_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->spread = 0.9;
    o->verbosity = TM_LOG_INFO;
    o->query_positives = 1;
}

/* ---- value parsers ------------------------------------------------------- */

static int parse_i64(const char *cmd, const char *name, const char *s,
                     int64_t lo, int64_t hi, int64_t *out, tm_err_t *err)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || errno == ERANGE)
        return tm_err_set(err, TM_EUSAGE, "%s expects a whole number, got '%s' (%s)",
                          name, s, cmd);
    if (v < lo || v > hi)
        return tm_err_set(err, TM_EUSAGE, "%s must be between %lld and %lld, got %lld (%s)",
                          name, (long long)lo, (long long)hi, v, cmd);
    *out = v;
    return 0;
}

static int parse_u64(const char *cmd, const char *name, const char *s,
                     uint64_t *out, tm_err_t *err)
{
    char *end = NULL;
    errno = 0;
    if (s[0] == '-' || s[0] == '\0')
        return tm_err_set(err, TM_EUSAGE, "%s expects a non-negative whole number, got '%s' (%s)",
                          name, s, cmd);
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return tm_err_set(err, TM_EUSAGE, "%s expects a non-negative whole number, got '%s' (%s)",
                          name, s, cmd);
    *out = v;
    return 0;
}

static int parse_dbl(const char *cmd, const char *name, const char *s,
                     double lo, double *out, tm_err_t *err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (s[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v))
        return tm_err_set(err, TM_EUSAGE, "%s expects a finite number, got '%s' (%s)",
                          name, s, cmd);
    if (v < lo)
        return tm_err_set(err, TM_EUSAGE, "%s must be at least %g, got %s (%s)",
                          name, lo, s, cmd);
    *out = v;
    return 0;
}

int tm_opts_parse_bytes(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (s[0] == '\0' || s[0] == '-')
        return TM_EUSAGE;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno == ERANGE)
        return TM_EUSAGE;
    unsigned shift = 0;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: return TM_EUSAGE;
    }
    if (*end == 'i' || *end == 'B') { /* accept KiB, KB, K */
        if (*end == 'i')
            end++;
        if (*end == 'B')
            end++;
    }
    if (*end != '\0' || v == 0 || v > ((unsigned long long)INT64_MAX >> shift))
        return TM_EUSAGE;
    *out = (int64_t)(v << shift);
    return 0;
}

/* ---- mine ---------------------------------------------------------------- */

enum {
    M_INPUT, M_OUTPUT, M_EMB, M_LAB, M_STRATEGY, M_METRIC, M_NORMALIZE,
    M_MARGIN, M_LOSS, M_POSITIVES, M_NEGATIVES, M_NEG_MIN_DIST, M_NEG_SKIP,
    M_REFERENCE, M_REF_EMB, M_REF_LAB, M_PAIRS, M_POS, M_NEG_MARGIN, M_NEG_POOL, M_SEED,
    M_CHUNK, M_THREADS, M_MEM_LIMIT, M_CKPT, M_CKPT_EVERY, M_RESUME, M_STALL, M_JSON,
    M_QUIET, M_VERBOSE, M_FORCE, M_HELP, M_BY_CLASS, M_SUSPECTS, M_KERNEL
};

static const tm_optdef_t mine_defs[] = {
    {"input", 'i', 1, M_INPUT},
    {"output", 'o', 1, M_OUTPUT},
    {"embeddings", 0, 1, M_EMB},
    {"labels", 0, 1, M_LAB},
    {"strategy", 's', 1, M_STRATEGY},
    {"metric", 'm', 1, M_METRIC},
    {"normalize", 0, 0, M_NORMALIZE},
    {"margin", 0, 1, M_MARGIN},
    {"loss", 0, 1, M_LOSS},
    {"positives", 0, 1, M_POSITIVES},
    {"negatives", 0, 1, M_NEGATIVES},
    {"neg-min-dist", 0, 1, M_NEG_MIN_DIST},
    {"neg-skip", 0, 1, M_NEG_SKIP},
    {"reference", 0, 1, M_REFERENCE},
    {"ref-embeddings", 0, 1, M_REF_EMB},
    {"ref-labels", 0, 1, M_REF_LAB},
    {"pairs", 0, 1, M_PAIRS},
    {"pos", 0, 1, M_POS},
    {"neg-margin", 0, 1, M_NEG_MARGIN},
    {"neg-pool", 0, 1, M_NEG_POOL},
    {"seed", 0, 1, M_SEED},
    {"chunk", 0, 1, M_CHUNK},
    {"threads", 0, 1, M_THREADS},
    {"mem-limit", 0, 1, M_MEM_LIMIT},
    {"checkpoint", 0, 1, M_CKPT},
    {"checkpoint-every", 0, 1, M_CKPT_EVERY},
    {"resume", 0, 0, M_RESUME},
    {"stall-timeout", 0, 1, M_STALL},
    {"kernel", 0, 1, M_KERNEL},
    {"json", 0, 0, M_JSON},
    {"quiet", 'q', 0, M_QUIET},
    {"verbose", 'v', 0, M_VERBOSE},
    {"force", 0, 0, M_FORCE},
    {"help", 'h', 0, M_HELP},
};

/* Largest count accepted for --chunk and the K options: 2^40 rows. */
#define TM_MAX_COUNT ((int64_t)1 << 40)

static int mine_handle(void *ctx, int id, const char *name, const char *val,
                       tm_err_t *err)
{
    tm_mine_opts_t *o = ctx;
    tm_mine_params_t *m = &o->mine;
    tm_run_params_t *r = &o->run;
    const char *cmd = "mine";
    switch (id) {
    case M_INPUT: m->input = val; return 0;
    case M_OUTPUT: r->output = val; return 0;
    case M_EMB: m->emb_name = val; return 0;
    case M_LAB: m->lab_name = val; return 0;
    case M_STRATEGY: {
        const tm_rule_t *rule = tm_rule_find(val);
        if (rule != NULL) {
            m->strategy = rule->name;
            return 0;
        }
        char names[256];
        tm_rule_names(names, sizeof names);
        return tm_err_set(err, TM_EUSAGE, "unknown strategy '%s', expected %s (%s %s)", val,
                          names, cmd, name);
    }
    case M_METRIC:
        if (tm_metric_from_name(val, &m->metric) != 0)
            return tm_err_set(err, TM_EUSAGE,
                              "unknown metric '%s', expected sqeuclidean, euclidean or cosine (%s %s)",
                              val, cmd, name);
        return 0;
    case M_NORMALIZE: m->normalize = 1; return 0;
    case M_MARGIN: return parse_dbl(cmd, name, val, 0.0, &m->margin, err);
    case M_LOSS:
        if (tm_loss_from_name(val, &m->loss) != 0)
            return tm_err_set(err, TM_EUSAGE,
                              "unknown loss '%s', expected hinge or softplus (%s %s)",
                              val, cmd, name);
        return 0;
    case M_POSITIVES:
        o->positives_given = 1;
        return parse_i64(cmd, name, val, 0, TM_MAX_COUNT, &m->positives, err);
    case M_NEGATIVES: return parse_i64(cmd, name, val, 1, TM_MAX_COUNT, &m->negatives, err);
    case M_NEG_MIN_DIST:
        m->has_neg_min_dist = 1;
        return parse_dbl(cmd, name, val, 0.0, &m->neg_min_dist, err);
    case M_NEG_SKIP: return parse_i64(cmd, name, val, 0, TM_MAX_COUNT, &m->neg_skip, err);
    case M_REFERENCE: m->reference = val; return 0;
    case M_REF_EMB: m->ref_emb_name = val; o->ref_names_given = 1; return 0;
    case M_REF_LAB: m->ref_lab_name = val; o->ref_names_given = 1; return 0;
    case M_PAIRS: m->pairs = val; return 0;
    case M_POS:
        o->pos_given = 1;
        if (tm_pos_from_name(val, &m->pos) != 0)
            return tm_err_set(err, TM_EUSAGE,
                              "unknown positive '%s', expected hardest, easiest or random (%s %s)",
                              val, cmd, name);
        return 0;
    case M_NEG_MARGIN:
        m->has_neg_margin = 1;
        return parse_dbl(cmd, name, val, -DBL_MAX, &m->neg_margin, err);
    case M_NEG_POOL: return parse_i64(cmd, name, val, 1, TM_MAX_COUNT, &m->neg_pool, err);
    case M_SEED: return parse_u64(cmd, name, val, &m->seed, err);
    case M_CHUNK: return parse_i64(cmd, name, val, 1, TM_MAX_COUNT, &r->chunk, err);
    case M_THREADS: {
        if (strcmp(val, "auto") == 0) {
            r->threads = 0;
            return 0;
        }
        int64_t t = 0;
        int rc = parse_i64(cmd, name, val, 1, 4096, &t, err);
        r->threads = (int)t;
        return rc;
    }
    case M_MEM_LIMIT:
        if (tm_opts_parse_bytes(val, &r->mem_limit) != 0)
            return tm_err_set(err, TM_EUSAGE,
                              "%s expects a positive byte count such as 4G or 512M, got '%s' (%s)",
                              name, val, cmd);
        return 0;
    case M_CKPT: r->checkpoint_dir = val; return 0;
    case M_CKPT_EVERY: {
        int rc = parse_dbl(cmd, name, val, 0.0, &r->checkpoint_every, err);
        if (rc == 0 && r->checkpoint_every <= 0.0)
            rc = tm_err_set(err, TM_EUSAGE, "%s must be positive, got %s (%s)", name, val, cmd);
        return rc;
    }
    case M_RESUME: r->resume = 1; return 0;
    case M_STALL: return parse_dbl(cmd, name, val, 0.0, &r->stall_timeout, err);
    case M_KERNEL: {
        /* auto, or a kernel of the table (core/kernels.h). */
        const tm_kernel_t *k = tm_kernel_find(val);
        if (k != NULL || strcmp(val, "auto") == 0) {
            r->kernel = k != NULL ? k->name : "auto";
            return 0;
        }
        char names[160];
        tm_kernel_names(names, sizeof names);
        return tm_err_set(err, TM_EUSAGE, "unknown kernel '%s', expected %s (%s %s)", val, names,
                          cmd, name);
    }
    case M_JSON: o->talk.json = 1; return 0;
    case M_QUIET: o->talk.verbosity = TM_LOG_QUIET; return 0;
    case M_VERBOSE: o->talk.verbosity = TM_LOG_DEBUG; return 0;
    case M_FORCE: r->force = 1; return 0;
    case M_HELP: o->help = 1; return 0;
    }
    return tm_err_set(err, TM_EINTERNAL, "unhandled option %s (%s)", name, cmd);
}

int tm_mine_opts_parse(int argc, char **argv, tm_mine_opts_t *o, tm_err_t *err)
{
    tm_mine_opts_default(o);
    int rc = tm_optwalk("mine", argc, argv, mine_defs, sizeof mine_defs / sizeof mine_defs[0],
                        mine_handle, NULL, o, err);
    if (rc != 0 || o->help)
        return rc;
    if (o->mine.input == NULL)
        return tm_err_set(err, TM_EUSAGE, "missing input: give -i FILE (mine)");
    if (o->run.output == NULL)
        return tm_err_set(err, TM_EUSAGE, "missing output: give -o FILE (mine)");
    if (o->mine.input[0] == '\0' || o->run.output[0] == '\0')
        return tm_err_set(err, TM_EUSAGE, "empty file name (mine -i/-o)");
    const tm_mine_params_t *m = &o->mine;
    if (m->emb_name[0] == '\0' || m->lab_name[0] == '\0' || m->ref_emb_name[0] == '\0' ||
        m->ref_lab_name[0] == '\0' || (m->pairs != NULL && m->pairs[0] == '\0'))
        return tm_err_set(err, TM_EUSAGE, "empty dataset name (mine --embeddings/--labels/"
                          "--ref-embeddings/--ref-labels/--pairs)");
    if (m->reference != NULL && m->reference[0] == '\0')
        return tm_err_set(err, TM_EUSAGE, "empty file name (mine --reference)");
    if (m->reference == NULL && o->ref_names_given)
        return tm_err_set(err, TM_EUSAGE, "--ref-embeddings and --ref-labels name datasets of "
                          "the --reference file: give --reference FILE (mine)");
    if (m->pairs != NULL && o->positives_given)
        return tm_err_set(err, TM_EUSAGE, "--positives does not apply with --pairs: each pair "
                          "names its one positive (mine)");
    if (m->pairs != NULL && o->pos_given)
        return tm_err_set(err, TM_EUSAGE, "--pos does not apply with --pairs: each pair names "
                          "its one positive (mine)");
    rc = tm_rule_check(tm_rule_find(m->strategy), m, "mine", err);
    if (rc != 0)
        return rc;
    if (o->run.resume && o->run.checkpoint_dir == NULL)
        return tm_err_set(err, TM_EUSAGE, "--resume needs --checkpoint DIR (mine)");
    return 0;
}

/* ---- synth --------------------------------------------------------------- */

enum { S_OUTPUT, S_N, S_DIM, S_CLASSES, S_SEED, S_SPREAD, S_QUERIES, S_QPOS, S_FORCE,
       S_QUIET, S_VERBOSE, S_HELP };

static const tm_optdef_t synth_defs[] = {
    {"output", 'o', 1, S_OUTPUT},
    {"num", 'n', 1, S_N},
    {"dim", 'd', 1, S_DIM},
    {"classes", 'c', 1, S_CLASSES},
    {"seed", 0, 1, S_SEED},
    {"spread", 0, 1, S_SPREAD},
    {"queries", 0, 1, S_QUERIES},
    {"query-positives", 0, 1, S_QPOS},
    {"force", 0, 0, S_FORCE},
    {"quiet", 'q', 0, S_QUIET},
    {"verbose", 'v', 0, S_VERBOSE},
    {"help", 'h', 0, S_HELP},
};

static int synth_handle(void *ctx, int id, const char *name, const char *val,
                        tm_err_t *err)
{
    tm_synth_opts_t *o = ctx;
    const char *cmd = "synth";
    switch (id) {
    case S_OUTPUT: o->output = val; return 0;
    case S_N: return parse_i64(cmd, name, val, 1, TM_MAX_COUNT, &o->n, err);
    case S_DIM: return parse_i64(cmd, name, val, 1, 1 << 20, &o->dim, err);
    case S_CLASSES: return parse_i64(cmd, name, val, 1, TM_MAX_COUNT, &o->classes, err);
    case S_SEED: return parse_u64(cmd, name, val, &o->seed, err);
    case S_SPREAD: return parse_dbl(cmd, name, val, 0.0, &o->spread, err);
    case S_QUERIES: return parse_i64(cmd, name, val, 1, TM_MAX_COUNT, &o->queries, err);
    case S_QPOS: return parse_i64(cmd, name, val, 1, 1024, &o->query_positives, err);
    case S_FORCE: o->force = 1; return 0;
    case S_QUIET: o->verbosity = TM_LOG_QUIET; return 0;
    case S_VERBOSE: o->verbosity = TM_LOG_DEBUG; return 0;
    case S_HELP: o->help = 1; return 0;
    }
    return tm_err_set(err, TM_EINTERNAL, "unhandled option %s (%s)", name, cmd);
}

/* ---- eval ---------------------------------------------------------------- */

static const tm_optdef_t eval_defs[] = {
    {"input", 'i', 1, M_INPUT},
    {"output", 'o', 1, M_OUTPUT},
    {"embeddings", 0, 1, M_EMB},
    {"labels", 0, 1, M_LAB},
    {"metric", 'm', 1, M_METRIC},
    {"normalize", 0, 0, M_NORMALIZE},
    {"reference", 0, 1, M_REFERENCE},
    {"ref-embeddings", 0, 1, M_REF_EMB},
    {"ref-labels", 0, 1, M_REF_LAB},
    {"by-class", 0, 0, M_BY_CLASS},
    {"suspects", 0, 1, M_SUSPECTS},
    {"chunk", 0, 1, M_CHUNK},
    {"threads", 0, 1, M_THREADS},
    {"mem-limit", 0, 1, M_MEM_LIMIT},
    {"checkpoint", 0, 1, M_CKPT},
    {"checkpoint-every", 0, 1, M_CKPT_EVERY},
    {"resume", 0, 0, M_RESUME},
    {"stall-timeout", 0, 1, M_STALL},
    {"kernel", 0, 1, M_KERNEL},
    {"json", 0, 0, M_JSON},
    {"quiet", 'q', 0, M_QUIET},
    {"verbose", 'v', 0, M_VERBOSE},
    {"force", 0, 0, M_FORCE},
    {"help", 'h', 0, M_HELP},
};

static int eval_handle(void *ctx, int id, const char *name, const char *val, tm_err_t *err)
{
    tm_mine_opts_t *o = ctx;
    switch (id) {
    case M_BY_CLASS: o->eval.by_class = 1; return 0;
    case M_SUSPECTS: return parse_i64("eval", name, val, 0, TM_MAX_COUNT, &o->eval.suspects, err);
    default: break;
    }
    int rc = mine_handle(ctx, id, name, val, err);
    /* mine_handle names its own command in messages: say eval instead. */
    char *at = rc != 0 ? strstr(err->msg, "(mine") : NULL;
    if (at != NULL)
        memcpy(at, "(eval", 5);
    return rc;
}

int tm_eval_opts_parse(int argc, char **argv, tm_mine_opts_t *o, tm_err_t *err)
{
    tm_mine_opts_default(o);
    o->mine.strategy = "eval";
    int rc = tm_optwalk("eval", argc, argv, eval_defs, sizeof eval_defs / sizeof eval_defs[0],
                        eval_handle, NULL, o, err);
    if (rc != 0 || o->help)
        return rc;
    const tm_mine_params_t *m = &o->mine;
    if (m->input == NULL)
        return tm_err_set(err, TM_EUSAGE, "missing input: give -i FILE (eval)");
    if (m->input[0] == '\0' || (o->run.output != NULL && o->run.output[0] == '\0') ||
        (m->reference != NULL && m->reference[0] == '\0'))
        return tm_err_set(err, TM_EUSAGE, "empty file name (eval -i/-o/--reference)");
    if (m->emb_name[0] == '\0' || m->lab_name[0] == '\0' || m->ref_emb_name[0] == '\0' ||
        m->ref_lab_name[0] == '\0')
        return tm_err_set(err, TM_EUSAGE, "empty dataset name (eval --embeddings/--labels/"
                          "--ref-embeddings/--ref-labels)");
    if (m->reference == NULL && o->ref_names_given)
        return tm_err_set(err, TM_EUSAGE, "--ref-embeddings and --ref-labels name datasets of "
                          "the --reference file: give --reference FILE (eval)");
    if (o->run.force && o->run.output == NULL)
        return tm_err_set(err, TM_EUSAGE, "--force replaces the report: give -o FILE (eval)");
    if (o->run.resume && o->run.checkpoint_dir == NULL)
        return tm_err_set(err, TM_EUSAGE, "--resume needs --checkpoint DIR (eval)");
    return 0;
}

const tm_optdef_t *tm_opts_table(const char *cmd, size_t *count)
{
    if (strcmp(cmd, "mine") == 0) {
        *count = sizeof mine_defs / sizeof mine_defs[0];
        return mine_defs;
    }
    if (strcmp(cmd, "synth") == 0) {
        *count = sizeof synth_defs / sizeof synth_defs[0];
        return synth_defs;
    }
    if (strcmp(cmd, "eval") == 0) {
        *count = sizeof eval_defs / sizeof eval_defs[0];
        return eval_defs;
    }
    *count = 0;
    return NULL;
}

int tm_synth_opts_parse(int argc, char **argv, tm_synth_opts_t *o, tm_err_t *err)
{
    tm_synth_opts_default(o);
    int rc = tm_optwalk("synth", argc, argv, synth_defs, sizeof synth_defs / sizeof synth_defs[0],
                        synth_handle, NULL, o, err);
    if (rc != 0 || o->help)
        return rc;
    if (o->output == NULL)
        return tm_err_set(err, TM_EUSAGE, "missing output: give -o FILE (synth)");
    if (o->n == 0)
        return tm_err_set(err, TM_EUSAGE, "missing row count: give -n N (synth)");
    if (o->dim == 0)
        return tm_err_set(err, TM_EUSAGE, "missing dimension: give -d D (synth)");
    if (o->classes == 0)
        return tm_err_set(err, TM_EUSAGE, "missing class count: give -c CLASSES (synth)");
    return 0;
}


/* ---- help texts ---------------------------------------------------------- */

/*
 * One entry per option of the tables above, in groups, each with its default
 * in brackets (test_opts checks both against the tables), and one example.
 */

void tm_usage_main(FILE *f)
{
    fputs(
"usage: tripminer COMMAND [options]\n"
"       tripminer --help | --version\n"
"\n"
"Mine triplets for triplet-loss training from labelled embeddings in HDF5,\n"
"exactly, on many MPI ranks.\n"
"\n"
"Commands:\n"
"  mine      mine triplets (run under mpirun or srun; also works alone)\n"
"  eval      exact retrieval metrics and data-quality findings (mpirun/srun)\n"
"  synth     write a synthetic labelled embedding set\n"
"  inspect   summarise a mining output\n"
"\n"
"Options:\n"
"  -h, --help      this text; 'tripminer COMMAND --help' lists the options\n"
"                  of one command, with their defaults\n"
"      --version   print 'tripminer VERSION (git REVISION)': the release and\n"
"                  the commit it was built from ('-dirty' if the tree had\n"
"                  uncommitted changes, 'unknown' outside a git checkout)\n"
"\n"
"Example:\n"
"  tripminer synth -o sample.h5 -n 20000 -d 128 -c 500\n"
"  mpirun -n 2 tripminer mine -i sample.h5 -o triplets.h5\n", f);
}

void tm_usage_mine(FILE *f)
{
    fputs(
"usage: tripminer mine -i IN.h5 -o OUT.h5 [options]\n"
"\n"
"Mine triplets (anchor, positive, negative) over the whole data set, on\n"
"every rank of the MPI job. Defaults are in [brackets].\n"
"\n"
"Input/output:\n"
"  -i, --input FILE          input HDF5 file [required]\n"
"      --embeddings NAME     N x D floating-point dataset [embeddings]\n"
"      --labels NAME         N or N x 1 integer dataset [labels]\n"
"  -o, --output FILE         output HDF5 file, refused if it exists [required]\n"
"      --force               overwrite an existing output [off]\n"
"\n"
"Mining:\n", f);
    /* The strategies are the rules of the registry, the first the default. */
    fputs("  -s, --strategy S          ", f);
    for (size_t k = 0; k < tm_rule_count(); k++)
        fprintf(f, "%s%s", k ? " | " : "", tm_rule_at(k)->name);
    fprintf(f, " [%s]\n", tm_rule_at(0)->name);
    fputs(
"  -m, --metric M            sqeuclidean | euclidean | cosine [sqeuclidean]\n"
"      --normalize           L2-normalise every embedding on read [off]\n"
"      --positives K         semihard: the K hardest positives per anchor,\n"
"                            0 for all of them [0]\n"
"      --negatives K         topk: the K nearest negatives per anchor; sample:\n"
"                            K drawn at random from the eligible ones [1]\n"
"      --neg-min-dist X      ignore negatives closer than X [none]\n"
"      --neg-skip R          then ignore the R nearest negatives [0]\n"
"\n"
"Choosing positives and negatives (in this order: --neg-min-dist, --neg-margin,\n"
"--neg-skip, --neg-pool, then the strategy):\n"
"      --pos P               hardest | easiest | random: the one positive of\n"
"                            each anchor with hard, topk and sample [hardest]\n"
"      --neg-margin X        ignore negatives with d(a,n) < d(a,p) + X, p the\n"
"                            anchor's positive (any real X; not with semihard).\n"
"                            With --pos hardest, every such triplet's hinge loss\n"
"                            is at most margin - X: pair it with --pos easiest\n"
"                            (or --pairs) [none]\n"
"      --neg-pool M          only the M nearest negatives left are eligible\n"
"                            (with --neg-skip R: the rank window [R, R+M));\n"
"                            none: every one left [none]\n"
"      --seed S              seed of -s sample and --pos random, 0 to 2^64 - 1;\n"
"                            the draws depend only on it and the anchor [0]\n"
"\n"
"Queries against a reference set, and given pairs:\n"
"      --reference FILE      anchors are the rows of -i, positives and negatives\n"
"                            the rows of FILE; triplets index -i in column 0\n"
"                            and FILE in columns 1 and 2 [none]\n"
"      --ref-embeddings NAME its embeddings dataset [embeddings]\n"
"      --ref-labels NAME     its labels dataset [labels]\n"
"      --pairs NAME          M x 2 integer dataset of -i: (query row, positive\n"
"                            row) per anchor pair, for data without labels;\n"
"                            negatives are the rows that are no positive of\n"
"                            the query in any pair (nor the query itself)\n"
"                            [none: labels decide]\n"
"\n"
"Loss:\n"
"      --loss L              hinge | softplus [hinge]\n"
"      --margin A            margin alpha of the loss, >= 0 [0.2]\n"
"\n"
"Performance:\n"
"      --chunk ROWS          rows per rank in one exchange round [auto]\n"
"      --threads T|auto      compute threads per rank; auto: the CPUs the rank\n"
"                            may run on (its affinity mask) [auto]\n"
"      --mem-limit BYTES     memory budget per rank, suffix K, M, G or T\n"
"                            [a share of the node's memory]\n"
"      --kernel K            the tiles' arithmetic, a filter that never changes\n"
"                            the output: auto | f32 | bf16 | int8; auto takes the\n"
"                            fastest this CPU runs [auto]\n"
"\n"
"Checkpoints (SIGTERM or SIGUSR1: save, then exit 75):\n"
"      --checkpoint DIR      save resumable state in DIR [none]\n"
"      --checkpoint-every S  seconds between saves [600]\n"
"      --resume              continue from the state in --checkpoint DIR [off]\n"
"      --stall-timeout S     end the job (exit 1) when a round makes no progress\n"
"                            for S seconds, e.g. a lost node; 0: never [300]\n"
"\n"
"Output and logging:\n"
"      --json                print the summary as one JSON object on stdout\n"
"                            [off: a text summary]\n"
"  -q, --quiet               only errors on stderr, no progress [off]\n"
"  -v, --verbose             also sizes, rounds and a time breakdown per rank\n"
"                            on stderr [off]\n"
"  -h, --help                this text\n"
"\n"
"Example:\n"
"  mpirun -n 4 tripminer mine -i emb.h5 -o triplets.h5 -m cosine --margin 0.3\n", f);
}

void tm_usage_synth(FILE *f)
{
    fputs(
"usage: tripminer synth -o OUT.h5 -n N -d D -c CLASSES [options]\n"
"\n"
"Write a synthetic labelled embedding set: CLASSES class centres drawn\n"
"uniformly on the unit sphere, each row a centre plus Gaussian noise of\n"
"expected norm SPREAD, projected back onto the unit sphere; labels drawn\n"
"uniformly. The same seed gives the same file, on any number of ranks.\n"
"Defaults are in [brackets].\n"
"\n"
"Output:\n"
"  -o, --output FILE     output HDF5 file, refused if it exists [required]\n"
"      --force           overwrite an existing output [off]\n"
"\n"
"Data:\n"
"  -n, --num N           number of rows [required]\n"
"  -d, --dim D           dimension of a row [required]\n"
"  -c, --classes C       number of classes [required]\n"
"      --seed S          random seed, 0 to 2^64 - 1 [1]\n"
"      --spread X        noise norm relative to the unit centres [0.9]\n"
"\n"
"Queries (a retrieval set beside the corpus of N rows):\n"
"      --queries Q       also write Q queries: 'queries' (Q x D), their\n"
"                        'query_labels' and 'pairs' (query row, corpus row),\n"
"                        each query near its positives [none]\n"
"      --query-positives P  corpus rows paired with each query: drawn\n"
"                        uniformly, the first one giving the label [1]\n"
"\n"
"Logging:\n"
"  -q, --quiet           only errors on stderr [off]\n"
"  -v, --verbose         more on stderr [off]\n"
"  -h, --help            this text\n"
"\n"
"Example:\n"
"  tripminer synth -o sample.h5 -n 20000 -d 128 -c 500 --seed 7\n"
"  tripminer synth -o corpus.h5 -n 100000 -d 128 -c 1000 --queries 2000\n"
"  (then mine the queries against the corpus: see the README, Retrieval)\n", f);
}

void tm_usage_eval(FILE *f)
{
    fputs(
"usage: tripminer eval -i IN.h5 [-o REPORT.h5] [options]\n"
"\n"
"Exact retrieval metrics of an embedding over the whole set, and the\n"
"items and classes that look mislabelled, on every rank of the MPI job:\n"
"every row of -i is a query against the other rows (or the reference),\n"
"ranked by (exact distance, index). Defaults are in [brackets].\n"
"\n"
"Input/output:\n"
"  -i, --input FILE          input HDF5 file [required]\n"
"      --embeddings NAME     N x D floating-point dataset [embeddings]\n"
"      --labels NAME         N or N x 1 integer dataset [labels]\n"
"      --reference FILE      rank the rows of FILE instead of the other rows [none]\n"
"      --ref-embeddings NAME its embeddings [embeddings]\n"
"      --ref-labels NAME     its labels [labels]\n"
"  -o, --output FILE         the report (HDF5), refused if it exists [none]\n"
"      --force               overwrite an existing report [off]\n"
"\n"
"Evaluation:\n"
"  -m, --metric NAME         sqeuclidean, euclidean or cosine [sqeuclidean]\n"
"      --normalize           L2-normalise every row first [off]\n"
"      --by-class            per-label values and their unweighted mean [off]\n"
"      --suspects N          the N queries whose nearest positive is farthest\n"
"                            behind their nearest negative [100]\n"
"\n"
"Running:\n"
"      --chunk ROWS          rows per rank in one exchange round [auto]\n"
"      --threads T|auto      compute threads per rank [auto]\n"
"      --mem-limit BYTES     memory budget per rank, suffix K, M, G or T\n"
"                            [a share of the node's memory]\n"
"      --checkpoint DIR      save resumable state in DIR [none]\n"
"      --checkpoint-every S  seconds between saves [600]\n"
"      --resume              continue from the state in --checkpoint DIR [off]\n"
"      --stall-timeout S     end the job (exit 1) when a round makes no progress\n"
"                            for S seconds; 0: never [300]\n"
"      --kernel K            auto | f32 | bf16 | int8: the tiles' arithmetic,\n"
"                            never changes the report [auto]\n"
"      --json                print the summary as one JSON object on stdout [off]\n"
"  -q, --quiet               only errors on stderr, no progress [off]\n"
"  -v, --verbose             also progress and a time breakdown per rank [off]\n"
"  -h, --help                this text\n"
"\n"
"Example:\n"
"  mpirun -n 4 tripminer eval -i val.h5 -o report.h5 --by-class\n", f);
}
