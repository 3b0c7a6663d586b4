/*
 * test_opts.c - command-line parsing (opts.h): the defaults of docs/contract.md,
 * every option in each of its spellings, the usage errors, which must
 * return TM_EUSAGE (exit status 2) with a message naming the option and
 * the command, the option rows themselves (optrows.c) and the --help
 * texts, checked against the rows the parsers walk.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */

#include <math.h>
#include <string.h>

#include "app/opts_table.h"
#include "rules/rule.h"
#include "io/format.h"
#include "tm_unit.h"
#include "base/log.h"
#include "tripminer/inspect.h"
#include "tripminer/opts.h"

#define MAX_ARGS 24

/* A NULL-terminated list of arguments as argv; returns argc. */
static int argv_of(const char *const *args, char **argv)
{
    int argc = 0;
    while (args[argc] != NULL) {
        ck_assert_int_lt(argc, MAX_ARGS);
        argv[argc] = (char *)args[argc];
        argc++;
    }
    argv[argc] = NULL;
    return argc;
}

/* Parse the arguments after the command word. */
static int parse_mine(const char *const *args, tm_mine_opts_t *o, tm_err_t *err)
{
    char *argv[MAX_ARGS + 1];
    int argc = argv_of(args, argv);
    tm_err_clear(err);
    return tm_mine_opts_parse(argc, argv, o, err);
}

static int parse_eval(const char *const *args, tm_mine_opts_t *o, tm_err_t *err)
{
    char *argv[MAX_ARGS + 1];
    int argc = argv_of(args, argv);
    tm_err_clear(err);
    return tm_eval_opts_parse(argc, argv, o, err);
}

static int parse_synth(const char *const *args, tm_synth_opts_t *o, tm_err_t *err)
{
    char *argv[MAX_ARGS + 1];
    int argc = argv_of(args, argv);
    tm_err_clear(err);
    return tm_synth_opts_parse(argc, argv, o, err);
}

static int parse_inspect(const char *const *args, tm_inspect_opts_t *o, tm_err_t *err)
{
    char *argv[MAX_ARGS + 1];
    int argc = argv_of(args, argv);
    tm_err_clear(err);
    return tm_inspect_opts_parse(argc, argv, o, err);
}

/* The command line, for messages. */
static const char *joined(const char *const *args)
{
    static char buf[512];
    buf[0] = '\0';
    for (int i = 0; args[i] != NULL; i++) {
        strncat(buf, i ? " " : "", sizeof buf - strlen(buf) - 1);
        strncat(buf, args[i][0] ? args[i] : "''", sizeof buf - strlen(buf) - 1);
    }
    return buf;
}

static int str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Every field of got equals the one of want; ctx names the command line. */
static void expect_mine(const tm_mine_opts_t *got, const tm_mine_opts_t *want, const char *ctx)
{
#define SAME_STR(f) ck_assert_msg(str_eq(got->f, want->f), "%s: " #f " is '%s', expected '%s'", \
                                  ctx, got->f ? got->f : "(null)", want->f ? want->f : "(null)")
#define SAME_NUM(f) ck_assert_msg(got->f == want->f, "%s: " #f " is %.17g, expected %.17g", ctx, \
                                  (double)got->f, (double)want->f)
    SAME_STR(mine.input);
    SAME_STR(run.output);
    SAME_STR(mine.emb_name);
    SAME_STR(mine.lab_name);
    SAME_STR(mine.strategy);
    SAME_NUM(mine.metric);
    SAME_NUM(mine.normalize);
    SAME_NUM(mine.margin);
    SAME_NUM(mine.loss);
    SAME_NUM(mine.positives);
    SAME_NUM(mine.negatives);
    SAME_NUM(mine.has_neg_min_dist);
    SAME_NUM(mine.neg_min_dist);
    SAME_NUM(mine.neg_skip);
    SAME_STR(mine.reference);
    SAME_STR(mine.ref_emb_name);
    SAME_STR(mine.ref_lab_name);
    SAME_STR(mine.pairs);
    SAME_NUM(mine.pos);
    SAME_NUM(mine.has_neg_margin);
    SAME_NUM(mine.neg_margin);
    SAME_NUM(mine.neg_pool);
    ck_assert_msg(got->mine.seed == want->mine.seed, "%s: seed differs", ctx);
    SAME_NUM(run.chunk);
    SAME_NUM(run.threads);
    SAME_NUM(run.stall_timeout);
    SAME_STR(run.kernel);
    SAME_NUM(run.mem_limit);
    SAME_STR(run.checkpoint_dir);
    SAME_NUM(run.checkpoint_every);
    SAME_NUM(run.resume);
    SAME_NUM(talk.json);
    SAME_NUM(talk.verbosity);
    SAME_NUM(run.force);
    SAME_NUM(help);
}

/* The same for eval: the fields of mine and eval's own. */
static void expect_eval(const tm_mine_opts_t *got, const tm_mine_opts_t *want, const char *ctx)
{
    expect_mine(got, want, ctx);
    SAME_NUM(eval.by_class);
    SAME_NUM(eval.suspects);
}

static void expect_inspect(const tm_inspect_opts_t *got, const tm_inspect_opts_t *want,
                           const char *ctx)
{
    SAME_STR(file);
    SAME_STR(svg);
    SAME_NUM(bins);
    SAME_NUM(json);
    SAME_NUM(force);
    SAME_NUM(verbosity);
    SAME_NUM(help);
}

static void expect_synth(const tm_synth_opts_t *got, const tm_synth_opts_t *want, const char *ctx)
{
    SAME_STR(output);
    SAME_NUM(n);
    SAME_NUM(dim);
    SAME_NUM(classes);
    SAME_NUM(seed);
    SAME_NUM(spread);
    SAME_NUM(latent_dim);
    SAME_NUM(force);
    SAME_NUM(verbosity);
    SAME_NUM(help);
#undef SAME_STR
#undef SAME_NUM
}

/* ---- defaults ----------------------------------------------------------- */

START_TEST(test_mine_defaults)
{
    tm_mine_opts_t o;
    memset(&o, 0x5a, sizeof o);
    tm_mine_opts_default(&o);
    /* The defaults column of docs/contract.md. */
    ck_assert(o.mine.input == NULL && o.run.output == NULL);
    ck_assert_str_eq(o.mine.emb_name, "embeddings");
    ck_assert_str_eq(o.mine.lab_name, "labels");
    ck_assert_str_eq(o.mine.strategy, "hard");
    ck_assert_int_eq(o.mine.metric, TM_METRIC_SQEUCLIDEAN);
    ck_assert_int_eq(o.mine.normalize, 0);
    ck_assert(o.mine.margin == 0.2);
    ck_assert_int_eq(o.mine.loss, TM_LOSS_HINGE);
    ck_assert_int_eq(o.mine.positives, 0);
    ck_assert_int_eq(o.mine.negatives, 1);
    ck_assert_int_eq(o.mine.has_neg_min_dist, 0);
    ck_assert_int_eq(o.mine.neg_skip, 0);
    /* Zero means auto for --chunk and --mem-limit (a share of the node). */
    ck_assert_int_eq(o.run.chunk, 0);
    ck_assert_int_eq(o.run.threads, 0); /* auto */
    ck_assert(o.run.stall_timeout == 300.0);
    ck_assert_int_eq(o.run.mem_limit, 0);
    ck_assert(o.run.checkpoint_dir == NULL);
    ck_assert(o.run.checkpoint_every == 600.0);
    ck_assert_int_eq(o.run.resume, 0);
    ck_assert_int_eq(o.talk.json, 0);
    ck_assert_int_eq(o.talk.verbosity, TM_LOG_INFO);
    ck_assert_int_eq(o.run.force, 0);
    ck_assert_int_eq(o.help, 0);

    /* Parsing the minimal command line gives the defaults plus -i and -o. */
    static const char *const args[] = {"-i", "in.h5", "-o", "out.h5", NULL};
    tm_mine_opts_t got, want;
    tm_err_t err;
    ck_assert_int_eq(parse_mine(args, &got, &err), 0);
    ck_assert_int_eq(err.code, 0);
    tm_mine_opts_default(&want);
    want.mine.input = "in.h5";
    want.run.output = "out.h5";
    expect_mine(&got, &want, joined(args));
}
END_TEST

START_TEST(test_synth_defaults)
{
    tm_synth_opts_t o;
    memset(&o, 0x5a, sizeof o);
    tm_synth_opts_default(&o);
    ck_assert(o.output == NULL);
    /* The defaults of 'tripminer synth --help': seed 1, spread 0.9. */
    ck_assert(o.seed == 1);
    ck_assert(o.spread == 0.9);
    ck_assert_int_eq(o.latent_dim, 0); /* the isotropic set */
    ck_assert_int_eq(o.force, 0);
    ck_assert_int_eq(o.verbosity, TM_LOG_INFO);
    ck_assert_int_eq(o.help, 0);
    static const char *const args[] = {"-o", "s.h5", "-n", "10", "-d", "3", "-c", "2", NULL};
    tm_synth_opts_t got, want;
    tm_err_t err;
    ck_assert_int_eq(parse_synth(args, &got, &err), 0);
    tm_synth_opts_default(&want);
    want.output = "s.h5";
    want.n = 10;
    want.dim = 3;
    want.classes = 2;
    expect_synth(&got, &want, joined(args));
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(tm_rule_at(0)->name, "hard");
    ck_assert_str_eq(tm_rule_at(1)->name, "semihard");
    ck_assert_str_eq(tm_rule_at(2)->name, "topk");
    ck_assert_ptr_eq(tm_rule_find("topk"), tm_rule_at(2));
    ck_assert_ptr_null(tm_rule_find("hardest"));
    ck_assert_str_eq(tm_metric_name(TM_METRIC_SQEUCLIDEAN), "sqeuclidean");
    ck_assert_str_eq(tm_metric_name(TM_METRIC_EUCLIDEAN), "euclidean");
    ck_assert_str_eq(tm_metric_name(TM_METRIC_COSINE), "cosine");
    ck_assert_str_eq(tm_loss_name(TM_LOSS_HINGE), "hinge");
    ck_assert_str_eq(tm_loss_name(TM_LOSS_SOFTPLUS), "softplus");
}
END_TEST

/* ---- every option, every spelling --------------------------------------- */

/* One option with a value (or NULL for a flag), and what it must set. */
typedef struct mine_case {
    const char *lng;
    char shrt;
    const char *val;
    const char *pre; /* an option given before it, or NULL */
    int id;
} mine_case_t;

enum {
    C_INPUT, C_OUTPUT, C_EMB, C_LAB, C_SEMIHARD, C_TOPK, C_HARD, C_COSINE, C_EUCLIDEAN,
    C_SQEUCLIDEAN, C_NORMALIZE, C_MARGIN, C_MARGIN0, C_SOFTPLUS, C_HINGE, C_POSITIVES,
    C_NEGATIVES, C_NEG_MIN_DIST, C_NEG_SKIP, C_CHUNK, C_THREADS, C_MEM_LIMIT, C_CKPT,
    C_CKPT_EVERY, C_RESUME, C_JSON, C_QUIET, C_VERBOSE, C_FORCE, C_THREADS_AUTO, C_STALL,
    C_STALL0, C_REFERENCE, C_REF_EMB, C_REF_LAB, C_PAIRS, C_POS_EASIEST, C_POS_RANDOM,
    C_POS_HARDEST, C_NEG_MARGIN, C_NEG_MARGIN_NEG, C_NEG_POOL, C_SEED, C_SAMPLE, C_KERNEL_F32,
    C_KERNEL_BF16, C_KERNEL_INT8, C_KERNEL_AUTO
};

static const mine_case_t mine_cases[] = {
    {"input", 'i', "other.h5", NULL, C_INPUT},
    {"output", 'o', "res.h5", NULL, C_OUTPUT},
    {"embeddings", 0, "grp/emb", NULL, C_EMB},
    {"labels", 0, "y", NULL, C_LAB},
    {"strategy", 's', "semihard", NULL, C_SEMIHARD},
    {"strategy", 's', "topk", NULL, C_TOPK},
    {"strategy", 's', "hard", "--strategy=topk", C_HARD},
    {"metric", 'm', "cosine", NULL, C_COSINE},
    {"metric", 'm', "euclidean", NULL, C_EUCLIDEAN},
    {"metric", 'm', "sqeuclidean", "--metric=cosine", C_SQEUCLIDEAN},
    {"normalize", 0, NULL, NULL, C_NORMALIZE},
    {"margin", 0, "0.35", NULL, C_MARGIN},
    {"margin", 0, "0", NULL, C_MARGIN0},
    {"loss", 0, "softplus", NULL, C_SOFTPLUS},
    {"loss", 0, "hinge", "--loss=softplus", C_HINGE},
    {"positives", 0, "4", NULL, C_POSITIVES},
    {"negatives", 0, "7", NULL, C_NEGATIVES},
    {"neg-min-dist", 0, "0.125", NULL, C_NEG_MIN_DIST},
    {"neg-skip", 0, "3", NULL, C_NEG_SKIP},
    {"chunk", 0, "4096", NULL, C_CHUNK},
    {"threads", 0, "8", NULL, C_THREADS},
    {"mem-limit", 0, "2G", NULL, C_MEM_LIMIT},
    {"checkpoint", 0, "ckpt.d", NULL, C_CKPT},
    {"checkpoint-every", 0, "30.5", NULL, C_CKPT_EVERY},
    {"resume", 0, NULL, "--checkpoint=ck", C_RESUME},
    {"json", 0, NULL, NULL, C_JSON},
    {"quiet", 'q', NULL, NULL, C_QUIET},
    {"verbose", 'v', NULL, NULL, C_VERBOSE},
    {"force", 0, NULL, NULL, C_FORCE},
    {"threads", 0, "auto", "--threads=3", C_THREADS_AUTO},
    {"stall-timeout", 0, "42.5", NULL, C_STALL},
    {"stall-timeout", 0, "0", NULL, C_STALL0},
    {"reference", 0, "ref.h5", NULL, C_REFERENCE},
    {"ref-embeddings", 0, "ref/emb", "--reference=r.h5", C_REF_EMB},
    {"ref-labels", 0, "ref/lab", "--reference=r.h5", C_REF_LAB},
    {"pairs", 0, "qrels", NULL, C_PAIRS},
    {"pos", 0, "easiest", NULL, C_POS_EASIEST},
    {"pos", 0, "random", NULL, C_POS_RANDOM},
    {"pos", 0, "hardest", "--pos=random", C_POS_HARDEST},
    {"neg-margin", 0, "0.05", NULL, C_NEG_MARGIN},
    {"neg-margin", 0, "-0.25", NULL, C_NEG_MARGIN_NEG},
    {"neg-pool", 0, "100", NULL, C_NEG_POOL},
    {"seed", 0, "18446744073709551615", NULL, C_SEED},
    {"strategy", 's', "sample", NULL, C_SAMPLE},
    {"kernel", 0, "f32", NULL, C_KERNEL_F32},
    {"kernel", 0, "bf16", NULL, C_KERNEL_BF16},
    {"kernel", 0, "int8", NULL, C_KERNEL_INT8},
    {"kernel", 0, "auto", "--kernel=int8", C_KERNEL_AUTO},
};

#define N_MINE_CASES ((int)(sizeof mine_cases / sizeof mine_cases[0]))

/* What case id must change in the defaults. */
static void mine_patch(tm_mine_opts_t *w, int id)
{
    switch (id) {
    case C_INPUT: w->mine.input = "other.h5"; break;
    case C_OUTPUT: w->run.output = "res.h5"; break;
    case C_EMB: w->mine.emb_name = "grp/emb"; break;
    case C_LAB: w->mine.lab_name = "y"; break;
    case C_SEMIHARD: w->mine.strategy = "semihard"; break;
    case C_TOPK: w->mine.strategy = "topk"; break;
    case C_HARD: w->mine.strategy = "hard"; break;
    case C_COSINE: w->mine.metric = TM_METRIC_COSINE; break;
    case C_EUCLIDEAN: w->mine.metric = TM_METRIC_EUCLIDEAN; break;
    case C_SQEUCLIDEAN: w->mine.metric = TM_METRIC_SQEUCLIDEAN; break;
    case C_NORMALIZE: w->mine.normalize = 1; break;
    case C_MARGIN: w->mine.margin = 0.35; break;
    case C_MARGIN0: w->mine.margin = 0.0; break;
    case C_SOFTPLUS: w->mine.loss = TM_LOSS_SOFTPLUS; break;
    case C_HINGE: w->mine.loss = TM_LOSS_HINGE; break;
    case C_POSITIVES: w->mine.positives = 4; break;
    case C_NEGATIVES: w->mine.negatives = 7; break;
    case C_NEG_MIN_DIST: w->mine.has_neg_min_dist = 1; w->mine.neg_min_dist = 0.125; break;
    case C_NEG_SKIP: w->mine.neg_skip = 3; break;
    case C_CHUNK: w->run.chunk = 4096; break;
    case C_THREADS: w->run.threads = 8; break;
    case C_MEM_LIMIT: w->run.mem_limit = (int64_t)2 << 30; break;
    case C_CKPT: w->run.checkpoint_dir = "ckpt.d"; break;
    case C_CKPT_EVERY: w->run.checkpoint_every = 30.5; break;
    case C_RESUME: w->run.resume = 1; w->run.checkpoint_dir = "ck"; break;
    case C_JSON: w->talk.json = 1; break;
    case C_QUIET: w->talk.verbosity = TM_LOG_QUIET; break;
    case C_VERBOSE: w->talk.verbosity = TM_LOG_DEBUG; break;
    case C_FORCE: w->run.force = 1; break;
    case C_THREADS_AUTO: w->run.threads = 0; break;
    case C_STALL: w->run.stall_timeout = 42.5; break;
    case C_STALL0: w->run.stall_timeout = 0.0; break;
    case C_REFERENCE: w->mine.reference = "ref.h5"; break;
    case C_REF_EMB:
        w->mine.reference = "r.h5";
        w->mine.ref_emb_name = "ref/emb";
        break;
    case C_REF_LAB:
        w->mine.reference = "r.h5";
        w->mine.ref_lab_name = "ref/lab";
        break;
    case C_PAIRS: w->mine.pairs = "qrels"; break;
    case C_POS_EASIEST: w->mine.pos = TM_POS_EASIEST; break;
    case C_POS_RANDOM: w->mine.pos = TM_POS_RANDOM; break;
    case C_POS_HARDEST: w->mine.pos = TM_POS_HARDEST; break;
    case C_NEG_MARGIN: w->mine.has_neg_margin = 1; w->mine.neg_margin = 0.05; break;
    case C_NEG_MARGIN_NEG: w->mine.has_neg_margin = 1; w->mine.neg_margin = -0.25; break;
    case C_NEG_POOL: w->mine.neg_pool = 100; break;
    case C_SEED: w->mine.seed = UINT64_MAX; break;
    case C_SAMPLE: w->mine.strategy = "sample"; break;
    case C_KERNEL_F32: w->run.kernel = "f32"; break;
    case C_KERNEL_BF16: w->run.kernel = "bf16"; break;
    case C_KERNEL_INT8: w->run.kernel = "int8"; break;
    case C_KERNEL_AUTO: w->run.kernel = "auto"; break;
    default: ck_abort_msg("no patch for case %d", id);
    }
}

/* Loop index: one entry of mine_cases, in every spelling it has. */
START_TEST(test_mine_option_forms)
{
    const mine_case_t *c = &mine_cases[_i];
    char lng[64], eq[128], shrt[3] = {'-', c->shrt, '\0'};
    snprintf(lng, sizeof lng, "--%s", c->lng);
    snprintf(eq, sizeof eq, "--%s=%s", c->lng, c->val ? c->val : "");
    for (int form = 0; form < 3; form++) {
        /* Form 0: --name value; 1: --name=value; 2: -x value. */
        if (form == 1 && c->val == NULL)
            continue;
        if (form == 2 && c->shrt == 0)
            continue;
        const char *args[MAX_ARGS];
        int n = 0;
        args[n++] = "-i";
        args[n++] = "in.h5";
        args[n++] = "-o";
        args[n++] = "out.h5";
        if (c->pre != NULL)
            args[n++] = c->pre;
        args[n++] = form == 0 ? lng : form == 1 ? eq : shrt;
        if (form != 1 && c->val != NULL)
            args[n++] = c->val;
        args[n] = NULL;
        tm_mine_opts_t got, want;
        tm_err_t err;
        int rc = parse_mine(args, &got, &err);
        ck_assert_msg(rc == 0, "mine %s: rc %d (%s)", joined(args), rc, err.msg);
        tm_mine_opts_default(&want);
        want.mine.input = "in.h5";
        want.run.output = "out.h5";
        mine_patch(&want, c->id);
        expect_mine(&got, &want, joined(args));
    }
}
END_TEST

/* The checkpoint dependencies of a run with these parameters. */
static char *deps_of(const tm_mine_params_t *p)
{
    static const tm_mine_summary_t sum;
    tm_run_record_t r = {p, &sum, "test", -1, "-1.000000000", -1, "-1.000000000",
                         tm_rule_choosing(tm_rule_find(p->strategy), p)};
    char *d = tm_fields_deps(&r);
    ck_assert_ptr_nonnull(d);
    return d;
}

/*
 * Every option that changes what is mined changes the checkpoint
 * dependencies (so --resume cannot accept another run), and no other
 * option does: a parameter without its row in io/format.c fails here.
 */
START_TEST(test_mine_params_are_deps)
{
    const char *base_args[] = {"-i", "in.h5", "-o", "out.h5", NULL, NULL};
    tm_err_t err;
    for (int k = 0; k < N_MINE_CASES; k++) {
        const mine_case_t *c = &mine_cases[k];
        /* The base has the option given before, if any: the case's own effect counts. */
        tm_mine_opts_t base;
        base_args[4] = c->pre;
        ck_assert_int_eq(parse_mine(base_args, &base, &err), 0);
        char *base_deps = deps_of(&base.mine);
        char opt[64];
        snprintf(opt, sizeof opt, c->val ? "--%s=%s" : "--%s", c->lng, c->val ? c->val : "");
        const char *args[] = {base_args[0], base_args[1], base_args[2], base_args[3],
                              c->pre ? c->pre : opt, c->pre ? opt : NULL, NULL};
        tm_mine_opts_t got;
        ck_assert_int_eq(parse_mine(args, &got, &err), 0);
        char *deps = deps_of(&got.mine);
        const int params_changed = memcmp(&got.mine, &base.mine, sizeof got.mine) != 0;
        const int deps_changed = strcmp(deps, base_deps) != 0;
        ck_assert_msg(params_changed == deps_changed,
                      "%s: the mining parameters %s but the checkpoint dependencies %s",
                      joined(args), params_changed ? "changed" : "did not change",
                      deps_changed ? "did" : "did not");
        free(deps);
        free(base_deps);
    }
}
END_TEST

START_TEST(test_mine_help)
{
    static const char *const forms[3][4] = {{"--help", NULL}, {"-h", NULL},
                                            {"-o", "x.h5", "--help", NULL}};
    for (int f = 0; f < 3; f++) {
        tm_mine_opts_t got, want;
        tm_err_t err;
        /* --help needs neither -i nor -o. */
        ck_assert_int_eq(parse_mine(forms[f], &got, &err), 0);
        tm_mine_opts_default(&want);
        want.help = 1;
        if (f == 2)
            want.run.output = "x.h5";
        expect_mine(&got, &want, joined(forms[f]));
    }
    tm_synth_opts_t s;
    tm_err_t err;
    static const char *const sh[] = {"-h", NULL};
    ck_assert_int_eq(parse_synth(sh, &s, &err), 0);
    ck_assert_int_eq(s.help, 1);
}
END_TEST

START_TEST(test_synth_option_forms)
{
    static const char *const forms[][MAX_ARGS] = {
        {"-o", "a.h5", "-n", "100", "-d", "8", "-c", "5", "--seed", "7", "--spread", "0.25",
         "--latent-dim", "12", "--force", "-q", NULL},
        {"--output", "a.h5", "--num", "100", "--dim", "8", "--classes", "5", "--seed=7",
         "--spread=0.25", "--latent-dim=12", "--force", "--quiet", NULL},
        {"--output=a.h5", "--num=100", "--dim=8", "--classes=5", "--seed", "7", "--spread",
         "0.25", "--force", "--verbose", "--latent-dim", "12", "--quiet", NULL},
    };
    for (int f = 0; f < 3; f++) {
        tm_synth_opts_t got, want;
        tm_err_t err;
        int rc = parse_synth(forms[f], &got, &err);
        ck_assert_msg(rc == 0, "synth %s: rc %d (%s)", joined(forms[f]), rc, err.msg);
        tm_synth_opts_default(&want);
        want.output = "a.h5";
        want.n = 100;
        want.dim = 8;
        want.classes = 5;
        want.seed = 7;
        want.spread = 0.25;
        want.latent_dim = 12;
        want.force = 1;
        want.verbosity = TM_LOG_QUIET;
        expect_synth(&got, &want, joined(forms[f]));
    }
    /* The whole 64-bit seed range. */
    static const char *const big[] = {"-o", "a", "-n", "1", "-d", "1", "-c", "1", "--seed",
                                      "18446744073709551615", "-v", NULL};
    tm_synth_opts_t got;
    tm_err_t err;
    ck_assert_int_eq(parse_synth(big, &got, &err), 0);
    ck_assert(got.seed == UINT64_MAX);
    ck_assert_int_eq(got.verbosity, TM_LOG_DEBUG);
}
END_TEST

/* ---- usage errors -------------------------------------------------------- */

/* A bad command line and what its message must contain. */
typedef struct bad {
    const char *args[MAX_ARGS];
    const char *needle;  /* names the option */
    const char *needle2; /* the offending value, or NULL */
} bad_t;

static const bad_t mine_bad[] = {
    {{"-i", "a", "-o", "b", "--bogus", NULL}, "--bogus", NULL},
    {{"-i", "a", "-o", "b", "--bogus=1", NULL}, "--bogus", NULL},
    {{"-i", "a", "-o", "b", "-x", NULL}, "-x", NULL},
    {{"-i", "a", "-o", "b", "-s", "fast", NULL}, "--strategy", "fast"},
    {{"-i", "a", "-o", "b", "--strategy=Hard", NULL}, "--strategy", "Hard"},
    {{"-i", "a", "-o", "b", "-m", "manhattan", NULL}, "--metric", "manhattan"},
    {{"-i", "a", "-o", "b", "--loss", "l2", NULL}, "--loss", "l2"},
    {{"-i", "a", "-o", "b", "--margin", "-0.1", NULL}, "--margin", "-0.1"},
    {{"-i", "a", "-o", "b", "--margin", "x", NULL}, "--margin", "x"},
    {{"-i", "a", "-o", "b", "--margin", "nan", NULL}, "--margin", NULL},
    {{"-i", "a", "-o", "b", "--margin", "inf", NULL}, "--margin", NULL},
    {{"-i", "a", "-o", "b", "--margin=", NULL}, "--margin", NULL},
    {{"-i", "a", "-o", "b", "--margin", "0.2x", NULL}, "--margin", "0.2x"},
    {{"-i", "a", "-o", "b", "--chunk", "0", NULL}, "--chunk", NULL},
    {{"-i", "a", "-o", "b", "--chunk", "abc", NULL}, "--chunk", "abc"},
    {{"-i", "a", "-o", "b", "--chunk", "-5", NULL}, "--chunk", NULL},
    {{"-i", "a", "-o", "b", "--chunk", "1.5", NULL}, "--chunk", "1.5"},
    {{"-i", "a", "-o", "b", "--chunk", "99999999999999999999", NULL}, "--chunk", NULL},
    {{"-i", "a", "-o", "b", "--threads", "0", NULL}, "--threads", NULL},
    {{"-i", "a", "-o", "b", "--threads", "-2", NULL}, "--threads", NULL},
    {{"-i", "a", "-o", "b", "--threads", "Auto", NULL}, "--threads", "Auto"},
    {{"-i", "a", "-o", "b", "--stall-timeout", "-1", NULL}, "--stall-timeout", NULL},
    {{"-i", "a", "-o", "b", "--stall-timeout", "soon", NULL}, "--stall-timeout", "soon"},
    {{"-i", "a", "-o", "b", "--kernel", "fp16", NULL}, "--kernel", "fp16"},
    {{"-i", "a", "-o", "b", "--kernel", "", NULL}, "--kernel", NULL},
    {{"-i", "a", "-o", "b", "--negatives", "0", NULL}, "--negatives", NULL},
    {{"-i", "a", "-o", "b", "--negatives=-3", NULL}, "--negatives", NULL},
    {{"-i", "a", "-o", "b", "--positives", "-1", NULL}, "--positives", NULL},
    {{"-i", "a", "-o", "b", "--neg-skip", "-1", NULL}, "--neg-skip", NULL},
    {{"-i", "a", "-o", "b", "--neg-min-dist", "-0.5", NULL}, "--neg-min-dist", NULL},
    {{"-i", "a", "-o", "b", "--mem-limit", "5X", NULL}, "--mem-limit", "5X"},
    {{"-i", "a", "-o", "b", "--mem-limit", "0", NULL}, "--mem-limit", NULL},
    {{"-i", "a", "-o", "b", "--checkpoint-every", "0", NULL}, "--checkpoint-every", NULL},
    {{"-i", "a", "-o", "b", "--checkpoint-every", "-5", NULL}, "--checkpoint-every", NULL},
    {{"-i", "a", "-o", "b", "--margin", NULL}, "--margin", NULL},
    {{"-o", "b", "-i", NULL}, "input", NULL},
    {{"-i", "a", "-o", "b", "-s", NULL}, "strategy", NULL},
    {{"-i", "a", "-o", "b", "--force=yes", NULL}, "--force", NULL},
    {{"-o", "b", NULL}, "-i", NULL},
    {{"-i", "a", NULL}, "-o", NULL},
    {{NULL}, "-i", NULL},
    {{"-i", "a", "-o", "b", "extra.h5", NULL}, "extra.h5", NULL},
    {{"in.h5", "-o", "b", NULL}, "in.h5", NULL},
    {{"-i", "a", "-o", "b", "--resume", NULL}, "--resume", "--checkpoint"},
    {{"-i", "", "-o", "b", NULL}, "-i", NULL},
    {{"-i", "a", "-o", "b", "--neg-pool", "0", NULL}, "--neg-pool", NULL},
    {{"-i", "a", "-o", "b", "--ref-labels", "y", NULL}, "--reference", NULL},
    {{"-i", "a", "-o", "b", "-s", "sample", "--negatives", "0", NULL}, "--negatives", NULL},
    {{"-i", "a", "-o", "b", "-s", "semihard", "--neg-margin", "0.1", NULL}, "--neg-margin",
     "semihard"},
    {{"-i", "a", "-o", "b", "--pairs", "p", "--pos", "easiest", NULL}, "--pos", "--pairs"},
    {{"-i", "a", "-o", "b", "--pairs", "p", "--positives", "2", NULL}, "--positives", "--pairs"},
    {{"-i", "a", "-o", "b", "--pos", "middle", NULL}, "--pos", "middle"},
    {{"-i", "a", "-o", "b", "--seed", "-1", NULL}, "--seed", NULL},
    {{"-i", "a", "-o", "b", "--neg-margin", "nan", NULL}, "--neg-margin", NULL},
};

#define N_MINE_BAD ((int)(sizeof mine_bad / sizeof mine_bad[0]))

static void expect_usage_error(int rc, const tm_err_t *err, const bad_t *b, const char *cmd)
{
    ck_assert_msg(rc == TM_EUSAGE, "%s %s: rc %d, expected TM_EUSAGE (%d); message '%s'", cmd,
                  joined(b->args), rc, TM_EUSAGE, err->msg);
    ck_assert_msg(err->code == TM_EUSAGE, "%s %s: err.code %d", cmd, joined(b->args), err->code);
    ck_assert_int_eq(tm_err_exit_status(rc), 2);
    ck_assert_msg(strstr(err->msg, b->needle) != NULL, "%s %s: message '%s' does not name '%s'",
                  cmd, joined(b->args), err->msg, b->needle);
    ck_assert_msg(b->needle2 == NULL || strstr(err->msg, b->needle2) != NULL,
                  "%s %s: message '%s' does not contain '%s'", cmd, joined(b->args), err->msg,
                  b->needle2);
    ck_assert_msg(strchr(err->msg, '\n') == NULL, "%s %s: message is not one line: '%s'", cmd,
                  joined(b->args), err->msg);
}

START_TEST(test_mine_usage_errors)
{
    const bad_t *b = &mine_bad[_i];
    tm_mine_opts_t o;
    tm_err_t err;
    int rc = parse_mine(b->args, &o, &err);
    expect_usage_error(rc, &err, b, "mine");
}
END_TEST

static const bad_t synth_bad[] = {
    {{"-n", "10", "-d", "3", "-c", "2", NULL}, "-o", NULL},
    {{"-o", "s", "-d", "3", "-c", "2", NULL}, "-n", NULL},
    {{"-o", "s", "-n", "10", "-c", "2", NULL}, "-d", NULL},
    {{"-o", "s", "-n", "10", "-d", "3", NULL}, "-c", NULL},
    {{"-o", "s", "-n", "0", "-d", "3", "-c", "2", NULL}, "--num", NULL},
    {{"-o", "s", "-n", "10", "-d", "0", "-c", "2", NULL}, "--dim", NULL},
    {{"-o", "s", "-n", "10", "-d", "3", "-c", "0", NULL}, "--classes", NULL},
    {{"-o", "s", "-n", "ten", "-d", "3", "-c", "2", NULL}, "--num", "ten"},
    {{"-o", "s", "-n", "10", "-d", "3", "-c", "2", "--seed", "-1", NULL}, "--seed", NULL},
    {{"-o", "s", "-n", "10", "-d", "3", "-c", "2", "--seed", "18446744073709551616", NULL},
     "--seed", NULL},
    {{"-o", "s", "-n", "10", "-d", "3", "-c", "2", "--spread", "-1", NULL}, "--spread", NULL},
    /* --latent-dim: 1 to 4096; without it the isotropic set, so 0 is no value. */
    {{"-o", "s", "-n", "10", "-d", "3", "-c", "2", "--latent-dim", "0", NULL}, "--latent-dim",
     "4096"},
    {{"-o", "s", "-n", "10", "-d", "3", "-c", "2", "--latent-dim", "-1", NULL}, "--latent-dim",
     "-1"},
    {{"-o", "s", "-n", "10", "-d", "3", "-c", "2", "--latent-dim", "4097", NULL},
     "--latent-dim", "4097"},
    {{"-o", "s", "-n", "10", "-d", "3", "-c", "2", "--latent-dim", "x", NULL}, "--latent-dim",
     "'x'"},
    {{"-o", "s", "-n", "10", "-d", "3", "-c", "2", "--latent-dim", NULL}, "latent-dim", NULL},
    {{"-o", "s", "-n", "10", "-d", "3", "-c", "2", "--bogus", NULL}, "--bogus", NULL},
    {{"-o", "s", "-n", "10", "-d", "3", "-c", "2", "-m", "cosine", NULL}, "-m", NULL},
    {{"-o", "s", "-n", "10", "-d", "3", "-c", NULL}, "classes", NULL},
    {{"-o", "s", "-n", "10", "-d", "3", "-c", "2", "x", NULL}, "'x'", NULL},
};

#define N_SYNTH_BAD ((int)(sizeof synth_bad / sizeof synth_bad[0]))

START_TEST(test_synth_usage_errors)
{
    const bad_t *b = &synth_bad[_i];
    tm_synth_opts_t o;
    tm_err_t err;
    int rc = parse_synth(b->args, &o, &err);
    expect_usage_error(rc, &err, b, "synth");
}
END_TEST

/* ---- eval ---------------------------------------------------------------- */

/* eval takes the options of mine that apply, and its own, in every spelling. */
START_TEST(test_eval_options)
{
    static const char *const forms[][MAX_ARGS] = {
        {"-i", "in.h5", "-o", "r.h5", "--by-class", "--suspects", "7", "-m", "cosine",
         "--normalize", "--reference", "ref.h5", "--ref-labels", "y", "--chunk", "64",
         "--threads", "3", "--kernel", "f32", "--json", "-q", "--force", NULL},
        {"--input=in.h5", "--output=r.h5", "--by-class", "--suspects=7", "--metric=cosine",
         "--normalize", "--reference=ref.h5", "--ref-labels=y", "--chunk=64", "--threads=3",
         "--kernel=f32", "--json", "--quiet", "--force", NULL},
    };
    for (int f = 0; f < 2; f++) {
        tm_mine_opts_t got, want;
        tm_err_t err;
        int rc = parse_eval(forms[f], &got, &err);
        ck_assert_msg(rc == 0, "eval %s: rc %d (%s)", joined(forms[f]), rc, err.msg);
        tm_mine_opts_default(&want);
        want.mine.strategy = "eval";
        want.mine.input = "in.h5";
        want.run.output = "r.h5";
        want.eval.by_class = 1;
        want.eval.suspects = 7;
        want.mine.metric = TM_METRIC_COSINE;
        want.mine.normalize = 1;
        want.mine.reference = "ref.h5";
        want.mine.ref_lab_name = "y";
        want.run.chunk = 64;
        want.run.threads = 3;
        want.run.kernel = "f32";
        want.talk.json = 1;
        want.talk.verbosity = TM_LOG_QUIET;
        want.run.force = 1;
        expect_eval(&got, &want, joined(forms[f]));
    }
    /* The defaults: no report, 100 suspects, the eval rule. */
    static const char *const least[] = {"-i", "in.h5", NULL};
    tm_mine_opts_t got, want;
    tm_err_t err;
    ck_assert_int_eq(parse_eval(least, &got, &err), 0);
    tm_mine_opts_default(&want);
    want.mine.strategy = "eval";
    want.mine.input = "in.h5";
    expect_eval(&got, &want, joined(least));
    ck_assert_int_eq(got.eval.suspects, 100);
    static const char *const help[] = {"--help", NULL};
    ck_assert_int_eq(parse_eval(help, &got, &err), 0);
    ck_assert_int_eq(got.help, 1);
}
END_TEST

/* eval's errors name eval, and the options of mine alone are unknown to it. */
static const bad_t eval_bad[] = {
    {{"-i", "a", "-s", "hard", NULL}, "'-s'", "(eval;"},
    {{"-i", "a", "--strategy=hard", NULL}, "'--strategy'", "(eval;"},
    {{"-i", "a", "--pairs", "p", NULL}, "'--pairs'", "(eval;"},
    {{"-i", "a", "--margin", "0.1", NULL}, "'--margin'", "(eval;"},
    {{"-i", "a", "--chunk", "0", NULL}, "--chunk", "(eval)"},
    {{"-i", "a", "--chunk", "(mine", NULL}, "'(mine'", "(eval)"},
    {{"-i", "a", "--metric", "l1", NULL}, "--metric", "(eval --metric)"},
    {{"-i", "a", "--kernel", "x", NULL}, "--kernel", "(eval --kernel)"},
    {{"-i", "a", "--threads", "0", NULL}, "--threads", "(eval)"},
    {{"-i", "a", "--mem-limit", "5X", NULL}, "--mem-limit", "(eval)"},
    {{"-i", "a", "--checkpoint-every", "0", NULL}, "--checkpoint-every", "(eval)"},
    {{"-i", "a", "--suspects", "-1", NULL}, "--suspects", "(eval)"},
    {{"-i", "a", "--by-class=1", NULL}, "--by-class", "(eval)"},
    {{"-i", "a", "--suspects", NULL}, "--suspects", "(eval)"},
    {{"-i", "a", "--force", NULL}, "--force", "-o FILE (eval)"},
    {{"-i", "a", "--resume", NULL}, "--resume", "--checkpoint DIR (eval)"},
    {{"-i", "a", "--ref-labels", "y", NULL}, "--reference", "(eval)"},
    {{"-o", "r", NULL}, "-i", "(eval)"},
    {{"-i", "", NULL}, "-i", "(eval"},
    {{"-i", "a", "--embeddings", "", NULL}, "--embeddings", "(eval"},
    {{"-i", "a", "extra", NULL}, "'extra'", "(eval;"},
};

#define N_EVAL_BAD ((int)(sizeof eval_bad / sizeof eval_bad[0]))

START_TEST(test_eval_usage_errors)
{
    const bad_t *b = &eval_bad[_i];
    tm_mine_opts_t o;
    tm_err_t err;
    int rc = parse_eval(b->args, &o, &err);
    expect_usage_error(rc, &err, b, "eval");
}
END_TEST

/* Good values at the edges of each range. */
START_TEST(test_mine_edge_values)
{
    static const char *const args[] = {"-i", "a", "-o", "b", "--margin", "1e3",
                                       "--neg-min-dist", "0", "--positives", "0",
                                       "--neg-skip", "0", "--threads", "1", "--chunk", "1", NULL};
    tm_mine_opts_t o;
    tm_err_t err;
    ck_assert_int_eq(parse_mine(args, &o, &err), 0);
    ck_assert(o.mine.margin == 1000.0);
    ck_assert(o.mine.has_neg_min_dist == 1 && o.mine.neg_min_dist == 0.0);
    ck_assert_int_eq(o.run.chunk, 1);
    ck_assert_int_eq(o.run.threads, 1);
}
END_TEST

/* ---- byte counts --------------------------------------------------------- */

START_TEST(test_parse_bytes_good)
{
    static const struct {
        const char *s;
        int64_t want;
    } good[] = {
        {"512", 512},
        {"1", 1},
        {"4K", 4096},
        {"1M", (int64_t)1 << 20},
        {"2G", (int64_t)2 << 30},
        {"1T", (int64_t)1 << 40},
        {"3KiB", 3072},
        {"5MiB", (int64_t)5 << 20},
        {"8388607T", (int64_t)8388607 << 40},
        {"9223372036854775807", INT64_MAX},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t out = -7;
        int rc = tm_opts_parse_bytes(good[i].s, &out);
        ck_assert_msg(rc == 0 && out == good[i].want, "'%s': rc %d, got %lld, want %lld",
                      good[i].s, rc, (long long)out, (long long)good[i].want);
    }
}
END_TEST

START_TEST(test_parse_bytes_bad)
{
    static const char *const bad[] = {
        "0", "-1", "5X", "", "99999999999T", "K", "1.5G", "4 K", "4KiBx", "0K",
        "8388608T", "9223372036854775808", "18446744073709551616", "-0", "4iB",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t out = -7;
        int rc = tm_opts_parse_bytes(bad[i], &out);
        ck_assert_msg(rc == TM_EUSAGE, "'%s': rc %d (value %lld), expected TM_EUSAGE", bad[i], rc,
                      (long long)out);
    }
}
END_TEST

/* ---- help texts ----------------------------------------------------------- */

/*
 * The --help of each command is checked against the rows its parser walks
 * (opts_table.h): every option accepted is listed once, with its short form,
 * its value and a default in [brackets]; nothing else is listed; and each
 * default that is a plain value, given explicitly, changes nothing.
 */

/* The commands, with their --help and how many plain defaults it shows. */
static const struct help_cmd {
    const char *name;
    void (*usage)(FILE *f);
    int plain_defaults; /* at least */
    /*
     * Whether the text keeps to 80 columns and one "Example:": eval's
     * --reference line is 82 columns and inspect writes "example:", as
     * they always have.
     */
    int layout;
} help_cmds[] = {
    {"mine", tm_usage_mine, 10, 1},
    {"eval", tm_usage_eval, 5, 0},
    {"synth", tm_usage_synth, 2, 1},
    {"inspect", tm_usage_inspect, 1, 0},
};

#define N_HELP_CMDS ((int)(sizeof help_cmds / sizeof help_cmds[0]))
#define MAX_ENTRIES 64

/* The text that usage prints, NUL-terminated; free() it. */
static char *usage_text(void (*usage)(FILE *f))
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert(f != NULL);
    usage(f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert(text != NULL && len > 0);
    return text;
}

/* The line after the one at p (or the end of the text). */
static const char *next_line(const char *p)
{
    const char *eol = strchr(p, '\n');
    return eol != NULL ? eol + 1 : p + strlen(p);
}

/* One option entry of a help text. */
typedef struct entry {
    char shrt;         /* 'x' for "-x, --name", or 0 */
    char lng[64];      /* the long name, without the dashes */
    int has_value;     /* a metavariable follows the name: "--name VALUE" */
    const char *start; /* the entry's first line */
    const char *end;   /* just past its last continuation line */
} entry_t;

/*
 * If the line at p is an option entry, "  -x, --name ..." or
 * "      --name ...", fill e and return 1; otherwise return 0. The lines
 * indented by 8 spaces or more that follow it belong to the entry.
 */
static int parse_entry(const char *p, entry_t *e)
{
    const char *q = p;
    memset(e, 0, sizeof *e);
    e->start = p;
    while (*q == ' ')
        q++;
    size_t indent = (size_t)(q - p);
    if (indent < 2 || indent > 6 || q[0] != '-')
        return 0;
    if (q[1] != '-') {
        if (q[1] == '\0' || q[2] != ',' || q[3] != ' ')
            return 0;
        e->shrt = q[1];
        q += 4;
    }
    if (q[0] != '-' || q[1] != '-')
        return 0;
    q += 2;
    size_t n = 0;
    while ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-') {
        ck_assert(n + 1 < sizeof e->lng);
        e->lng[n++] = *q++;
    }
    e->lng[n] = '\0';
    if (n == 0 || (*q != ' ' && *q != '\n'))
        return 0;
    /* One space and a capital: a metavariable; more spaces: the description. */
    e->has_value = q[0] == ' ' && q[1] >= 'A' && q[1] <= 'Z';
    e->end = next_line(q);
    while (strncmp(e->end, "        ", 8) == 0)
        e->end = next_line(e->end);
    return 1;
}

/* The entries of text, in order; returns how many. */
static int entries_of(const char *text, entry_t *out)
{
    int n = 0;
    const char *p = text;
    while (*p != '\0') {
        entry_t e;
        if (parse_entry(p, &e)) {
            ck_assert_int_lt(n, MAX_ENTRIES);
            out[n++] = e;
            p = e.end;
        } else {
            p = next_line(p);
        }
    }
    return n;
}

/* The entry of --lng, or NULL; fails if there are several. */
static const entry_t *find_entry(const char *cmd, const entry_t *ent, int n, const char *lng)
{
    const entry_t *found = NULL;
    for (int j = 0; j < n; j++) {
        if (strcmp(ent[j].lng, lng) == 0) {
            ck_assert_msg(found == NULL, "%s --help lists --%s twice", cmd, lng);
            found = &ent[j];
        }
    }
    return found;
}

/* Copy the content of the entry's last "[...]" to buf; 0 if it has none. */
static int entry_default(const entry_t *e, char *buf, size_t size)
{
    const char *open = NULL;
    for (const char *p = e->start; p < e->end; p++)
        if (*p == '[')
            open = p;
    if (open == NULL)
        return 0;
    const char *close = memchr(open, ']', (size_t)(e->end - open));
    if (close == NULL || (size_t)(close - open) > size)
        return 0;
    memcpy(buf, open + 1, (size_t)(close - open - 1));
    buf[close - open - 1] = '\0';
    return 1;
}

/* At most 80 columns of ASCII, and one example. */
static void check_layout(const char *cmd, const char *text)
{
    int line = 1;
    for (const char *p = text; *p != '\0'; line++) {
        const char *q = next_line(p);
        size_t len = (size_t)(q - p) - (q[-1] == '\n');
        ck_assert_msg(len <= 80, "%s --help: line %d is %zu columns wide, more than 80", cmd,
                      line, len);
        for (const char *c = p; c < q; c++)
            ck_assert_msg((unsigned char)*c < 0x80, "%s --help: line %d is not ASCII", cmd, line);
        p = q;
    }
    ck_assert_msg(text[strlen(text) - 1] == '\n', "%s --help: no final newline", cmd);
    const char *ex = strstr(text, "\nExample:\n");
    ck_assert_msg(ex != NULL && strstr(ex + 1, "\nExample:\n") == NULL,
                  "%s --help: needs one 'Example:' section", cmd);
}

/* "-x", or "no short form". */
static const char *short_name(char c, char buf[3])
{
    if (c == 0)
        return "no short form";
    buf[0] = '-';
    buf[1] = c;
    buf[2] = '\0';
    return buf;
}

/* Loop index: one command of help_cmds. */
START_TEST(test_usage_lists_every_option)
{
    const struct help_cmd *c = &help_cmds[_i];
    const tm_optcmd_t *cmd = tm_opts_table(c->name);
    ck_assert_msg(cmd != NULL, "no option rows for %s", c->name);
    char *text = usage_text(c->usage);
    entry_t ent[MAX_ENTRIES];
    int nent = entries_of(text, ent);

    for (size_t k = 0; k < cmd->nrows; k++) {
        const tm_optrow_t *d = &cmd->rows[k];
        if (!d->in[cmd->id])
            continue;
        const entry_t *e = find_entry(c->name, ent, nent, d->lng);
        ck_assert_msg(e != NULL, "%s --help does not list --%s, which its parser accepts",
                      c->name, d->lng);
        char s1[3], s2[3], def[128];
        const int has_value = tm_optrow_has_value(d);
        ck_assert_msg(e->shrt == d->shrt, "%s --help lists --%s with %s, the parser has %s",
                      c->name, d->lng, short_name(e->shrt, s1), short_name(d->shrt, s2));
        ck_assert_msg(e->has_value == has_value,
                      "%s --help lists --%s %s a value, the parser takes %s", c->name, d->lng,
                      e->has_value ? "with" : "without", has_value ? "one" : "none");
        ck_assert_msg(strcmp(d->lng, "help") == 0 || entry_default(e, def, sizeof def),
                      "%s --help gives no default in [brackets] for --%s", c->name, d->lng);
    }
    for (int j = 0; j < nent; j++) {
        int known = 0;
        for (size_t k = 0; k < cmd->nrows; k++)
            known |= cmd->rows[k].in[cmd->id] && strcmp(ent[j].lng, cmd->rows[k].lng) == 0;
        ck_assert_msg(known, "%s --help lists --%s, which its parser does not accept", c->name,
                      ent[j].lng);
    }
    if (c->layout)
        check_layout(c->name, text);
    free(text);
}
END_TEST

/*
 * Parse base and args (base and one option) with the command's parser:
 * both must be accepted and give the same options. ctx names the case.
 */
static void expect_no_change(const char *cmd, const char *const *base, const char *const *args,
                             const char *ctx)
{
    tm_err_t err;
    int rc;
    if (strcmp(cmd, "mine") == 0 || strcmp(cmd, "eval") == 0) {
        int (*parse)(const char *const *, tm_mine_opts_t *, tm_err_t *) =
            cmd[0] == 'm' ? parse_mine : parse_eval;
        tm_mine_opts_t got, want;
        ck_assert_int_eq(parse(base, &want, &err), 0);
        rc = parse(args, &got, &err);
        ck_assert_msg(rc == 0, "%s, which the parser refuses: %s", ctx, err.msg);
        expect_eval(&got, &want, ctx);
    } else if (strcmp(cmd, "synth") == 0) {
        tm_synth_opts_t got, want;
        ck_assert_int_eq(parse_synth(base, &want, &err), 0);
        rc = parse_synth(args, &got, &err);
        ck_assert_msg(rc == 0, "%s, which the parser refuses: %s", ctx, err.msg);
        expect_synth(&got, &want, ctx);
    } else {
        tm_inspect_opts_t got, want;
        ck_assert_int_eq(parse_inspect(base, &want, &err), 0);
        rc = parse_inspect(args, &got, &err);
        ck_assert_msg(rc == 0, "%s, which the parser refuses: %s", ctx, err.msg);
        expect_inspect(&got, &want, ctx);
    }
}

/*
 * Loop index: one command of help_cmds. A default that is one plain value
 * ("[0.2]", "[hard]"), given on the command line, must leave the options as
 * the defaults set them; words such as [required], [auto] or [none] and
 * descriptions are not values.
 */
START_TEST(test_usage_defaults)
{
    static const char *const mine_base[] = {"-i", "in.h5", "-o", "out.h5", NULL};
    static const char *const eval_base[] = {"-i", "in.h5", NULL};
    static const char *const synth_base[] = {"-o", "s.h5", "-n", "10", "-d", "3", "-c", "2", NULL};
    static const char *const inspect_base[] = {"t.h5", NULL};
    static const char *const words[] = {"required", "auto", "none", "off"};
    const struct help_cmd *c = &help_cmds[_i];
    const char *const *base = strcmp(c->name, "mine") == 0    ? mine_base
                              : strcmp(c->name, "eval") == 0  ? eval_base
                              : strcmp(c->name, "synth") == 0 ? synth_base
                                                              : inspect_base;
    const tm_optcmd_t *cmd = tm_opts_table(c->name);
    ck_assert(cmd != NULL);
    char *text = usage_text(c->usage);
    entry_t ent[MAX_ENTRIES];
    int nent = entries_of(text, ent);
    int checked = 0;

    for (size_t k = 0; k < cmd->nrows; k++) {
        const tm_optrow_t *d = &cmd->rows[k];
        const entry_t *e = find_entry(c->name, ent, nent, d->lng);
        char def[128];
        if (!d->in[cmd->id] || !tm_optrow_has_value(d) || e == NULL ||
            !entry_default(e, def, sizeof def))
            continue; /* test_usage_lists_every_option reports these */
        int plain = def[0] != '\0' && strchr(def, ' ') == NULL;
        for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
            plain = plain && strcmp(def, words[w]) != 0;
        if (!plain)
            continue;
        char name[80], ctx[256];
        snprintf(name, sizeof name, "--%s", d->lng);
        snprintf(ctx, sizeof ctx, "%s --help says [%s] for %s", c->name, def, name);
        const char *args[MAX_ARGS + 1], *base2[MAX_ARGS + 1];
        int n = 0;
        while (base[n] != NULL) {
            args[n] = base2[n] = base[n];
            n++;
        }
        /* The datasets of the reference need a reference. */
        if (strncmp(d->lng, "ref-", 4) == 0) {
            args[n] = base2[n] = "--reference=r.h5";
            n++;
        }
        base2[n] = NULL;
        args[n++] = name;
        args[n++] = def;
        args[n] = NULL;
        expect_no_change(c->name, base2, args, ctx);
        checked++;
    }
    /* Not vacuous: mine has a dozen such defaults, inspect one. */
    ck_assert_int_ge(checked, c->plain_defaults);
    free(text);
}
END_TEST

/*
 * The rows of every command are well formed: each option taken once under
 * each of its names, in a group its --help has, with what its kind needs;
 * a value shown in --help exactly when the option takes one; every row
 * taken by some command and every group holding some option.
 */
START_TEST(test_rows)
{
    static const char *const names[] = {"mine", "eval", "synth", "inspect"};
    ck_assert_ptr_null(tm_opts_table("bogus"));
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const tm_optcmd_t *c = tm_opts_table(names[i]);
        ck_assert_msg(c != NULL && strcmp(c->name, names[i]) == 0, "no rows for %s", names[i]);
        ck_assert(c->id >= 0 && c->id < TM_NCMDS && c->ngroups > 0 && c->width > 0);
        int group_used[16] = {0};
        ck_assert_int_le(c->ngroups, 15);
        for (size_t k = 0; k < c->nrows; k++) {
            const tm_optrow_t *r = &c->rows[k];
            int taken = 0;
            for (int j = 0; j < TM_NCMDS; j++)
                taken |= r->in[j] != 0;
            ck_assert_msg(taken, "--%s: no command takes it", r->lng);
            if (!r->in[c->id])
                continue;
            ck_assert_msg(r->in[c->id] <= c->ngroups, "%s --%s: group %d of %zu", c->name,
                          r->lng, r->in[c->id], c->ngroups);
            group_used[r->in[c->id]] = 1;
            const int named = r->kind == TM_OPT_CHOICE || r->kind == TM_OPT_NAME;
            ck_assert_msg(named == (r->names != NULL), "%s --%s: names and kind disagree",
                          c->name, r->lng);
            ck_assert_msg((r->kind == TM_OPT_CUSTOM) == (r->parse != NULL),
                          "%s --%s: parse function and kind disagree", c->name, r->lng);
            const char *arg = c->id == TM_CMD_EVAL && r->eval.arg ? r->eval.arg : r->help.arg;
            ck_assert_msg((arg != NULL) == tm_optrow_has_value(r),
                          "%s --%s: a placeholder in --help exactly when it takes a value",
                          c->name, r->lng);
            ck_assert_msg(r->help.text != NULL, "%s --%s: no help text", c->name, r->lng);
            for (size_t j = 0; j < k; j++) {
                const tm_optrow_t *o = &c->rows[j];
                if (!o->in[c->id])
                    continue;
                ck_assert_msg(strcmp(o->lng, r->lng) != 0, "%s takes --%s twice", c->name,
                              r->lng);
                ck_assert_msg(r->shrt == 0 || o->shrt != r->shrt, "%s takes -%c twice",
                              c->name, r->shrt);
            }
        }
        for (size_t g = 1; g <= c->ngroups; g++)
            ck_assert_msg(group_used[g], "%s: group '%s' lists nothing", c->name,
                          c->groups[g - 1]);
    }
}
END_TEST

/* tripminer --help: its two options, the commands and the layout. */
START_TEST(test_usage_main)
{
    char *text = usage_text(tm_usage_main);
    entry_t ent[MAX_ENTRIES];
    int nent = entries_of(text, ent);
    const entry_t *help = find_entry("tripminer", ent, nent, "help");
    const entry_t *version = find_entry("tripminer", ent, nent, "version");
    ck_assert_msg(help != NULL && help->shrt == 'h', "tripminer --help does not list -h, --help");
    ck_assert_msg(version != NULL, "tripminer --help does not list --version");
    ck_assert_int_eq(nent, 2);
    static const char *const cmds[] = {"\n  mine ", "\n  synth ", "\n  inspect "};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        ck_assert_msg(strstr(text, cmds[i]) != NULL, "tripminer --help does not list '%s'",
                      cmds[i] + 3);
    check_layout("tripminer", text);
    free(text);
}
END_TEST

static Suite *opts_suite(void)
{
    Suite *s = suite_create("opts");
    TCase *tc = tcase_create("defaults");
    tcase_add_test(tc, test_mine_defaults);
    tcase_add_test(tc, test_synth_defaults);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("forms");
    tcase_add_loop_test(tc, test_mine_option_forms, 0, N_MINE_CASES);
    tcase_add_test(tc, test_mine_help);
    tcase_add_test(tc, test_mine_params_are_deps);
    tcase_add_test(tc, test_synth_option_forms);
    tcase_add_test(tc, test_mine_edge_values);
    tcase_add_test(tc, test_eval_options);
    suite_add_tcase(s, tc);

    tc = tcase_create("help");
    tcase_add_loop_test(tc, test_usage_lists_every_option, 0, N_HELP_CMDS);
    tcase_add_loop_test(tc, test_usage_defaults, 0, N_HELP_CMDS);
    tcase_add_test(tc, test_usage_main);
    tcase_add_test(tc, test_rows);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_mine_usage_errors, 0, N_MINE_BAD);
    tcase_add_loop_test(tc, test_synth_usage_errors, 0, N_SYNTH_BAD);
    tcase_add_loop_test(tc, test_eval_usage_errors, 0, N_EVAL_BAD);
    suite_add_tcase(s, tc);

    tc = tcase_create("bytes");
    tcase_add_test(tc, test_parse_bytes_good);
    tcase_add_test(tc, test_parse_bytes_bad);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    return tm_unit_run(opts_suite(), "unit_opts", argv[0], 0);
}
