/*
 * optrows.c - one row per option of every command (base/optwalk.h says
 * what a row holds): the parsers, the --help listings and which commands
 * take which option all come from here.
 *
 * Mine and eval fill the same options struct and share their rows: a row
 * says which of the two take it, and carries eval's help where eval words
 * it differently. Synth and inspect have rows of their own. A default
 * shown FROM_FIELD is the field's own (run/defaults.c and the
 * *_opts_default functions of opts.c), so --help cannot drift from it.
 */
#include <float.h>
#include <stddef.h>
#include <string.h>

#include "app/opts_table.h"
#include "base/log.h"
#include "core/kernels.h"
#include "rules/rule.h"
#include "tripminer/inspect.h"

/* Largest count accepted for --chunk and the K options: 2^40 rows. */
#define TM_MAX_COUNT ((int64_t)1 << 40)

/* The default --help shows: the field's own, as the *_default functions set it. */
#define FROM_FIELD NULL

/* Where a row's field is, in the struct each command fills; GIVEN is
 * where a row's given flag is (plus one: 0 is none). */
#define MINE(f) offsetof(tm_mine_cmdline_t, opts.f)
#define GIVEN(f) (offsetof(tm_mine_cmdline_t, f) + 1)
#define SYNTH(f) offsetof(tm_synth_opts_t, f)
#define INSPECT(f) offsetof(tm_inspect_opts_t, f)

/* ---- names ---------------------------------------------------------------- */

/* The strategies are the rules of the registry, the default first. */
static const char *rule_at(size_t k)
{
    const tm_rule_t *r = tm_rule_at(k);
    return r != NULL ? r->name : NULL;
}

/* The names of core/metric.c, which says "?" past the last. */
static const char *known(const char *name)
{
    return strcmp(name, "?") != 0 ? name : NULL;
}

static const char *metric_at(size_t k) { return known(tm_metric_name((tm_metric_t)k)); }
static const char *loss_at(size_t k) { return known(tm_loss_name((tm_loss_kind_t)k)); }
static const char *pos_at(size_t k) { return known(tm_pos_name((tm_pos_t)k)); }

/* A choice is stored as an int (base/optwalk.c). */
_Static_assert(sizeof(tm_metric_t) == sizeof(int) && sizeof(tm_loss_kind_t) == sizeof(int) &&
               sizeof(tm_pos_t) == sizeof(int), "an enum of a choice is not an int");

/* --kernel: auto, then the kernels of core/kernels.c from the end of its
 * table (f32 first), as tm_kernel_names lists them. */
static const char *kernel_at(size_t k)
{
    const size_t n = tm_kernel_count();
    return k == 0 ? "auto" : k <= n ? tm_kernel_at(n - k)->name : NULL;
}

static const tm_optnames_t strategies = {"strategy", rule_at};
static const tm_optnames_t kernels = {"kernel", kernel_at};
static const tm_optnames_t metrics = {"metric", metric_at};
static const tm_optnames_t losses = {"loss", loss_at};
static const tm_optnames_t positives = {"positive", pos_at};

/* ---- the few options read by a function of their own ---------------------- */

/* --threads: a count, or auto (0: the CPUs of the rank's affinity mask). */
static int parse_threads(void *field, const char *cmd, const char *name, const char *val,
                         tm_err_t *err)
{
    if (strcmp(val, "auto") == 0) {
        *(int *)field = 0;
        return 0;
    }
    int64_t t = 0;
    int rc = tm_optval_i64(cmd, name, val, 1, 4096, &t, err);
    if (rc == 0)
        *(int *)field = (int)t;
    return rc;
}

/* --partitions: a count, or auto (-1: about 4 sqrt(N)). */
static int parse_partitions(void *field, const char *cmd, const char *name, const char *val,
                            tm_err_t *err)
{
    if (strcmp(val, "auto") == 0) {
        *(int64_t *)field = -1;
        return 0;
    }
    return tm_optval_i64(cmd, name, val, 0, (int64_t)1 << 31, (int64_t *)field, err);
}

/* --checkpoint-every: seconds, more than zero. */
static int parse_every(void *field, const char *cmd, const char *name, const char *val,
                       tm_err_t *err)
{
    double *every = field;
    int rc = tm_optval_dbl(cmd, name, val, 0.0, every, err);
    if (rc == 0 && *every <= 0.0)
        rc = tm_err_set(err, TM_EUSAGE, "%s must be positive, got %s (%s)", name, val, cmd);
    return rc;
}

/* inspect --svg: a file name, not empty. */
static int parse_svg(void *field, const char *cmd, const char *name, const char *val,
                     tm_err_t *err)
{
    if (val[0] == '\0')
        return tm_err_set(err, TM_EUSAGE, "empty file name (%s %s)", cmd, name);
    *(const char **)field = val;
    return 0;
}

/* ---- mine and eval -------------------------------------------------------- */

/* The groups of mine's --help and of eval's, in their order. */
enum { MG_IO = 1, MG_MINING, MG_CHOOSE, MG_QUERIES, MG_PARTS, MG_LOSS, MG_PERF, MG_CKPT,
       MG_TALK };
enum { EG_IO = 1, EG_EVAL, EG_PARTS, EG_RUN };

static const char *const mine_groups[] = {
    "Input/output:",
    "Mining:",
    ("Choosing positives and negatives (in this order: --neg-min-dist, --neg-margin,\n"
     "--neg-skip, --neg-pool, then the strategy):"),
    "Queries against a reference set, and given pairs:",
    "Partitions (past N^2: negatives from the partitions nearest each anchor):",
    "Loss:",
    "Performance:",
    "Checkpoints (SIGTERM or SIGUSR1: save, then exit 75):",
    "Output and logging:",
};

static const char *const eval_groups[] = {
    "Input/output:", "Evaluation:",
    "Partitions (past N^2: rank only the partitions nearest each query):", "Running:"};

/* In the order of both --help texts (each lists its own groups in turn). */
static const tm_optrow_t mine_rows[] = {
    {.lng = "input", .shrt = 'i', .kind = TM_OPT_STR, .at = MINE(mine.input),
     .in = {[TM_CMD_MINE] = MG_IO, [TM_CMD_EVAL] = EG_IO},
     .help = {"FILE", "input HDF5 file", "required"}},
    {.lng = "embeddings", .kind = TM_OPT_STR, .at = MINE(mine.emb_name),
     .in = {[TM_CMD_MINE] = MG_IO, [TM_CMD_EVAL] = EG_IO},
     .help = {"NAME", "N x D floating-point dataset", FROM_FIELD}},
    {.lng = "labels", .kind = TM_OPT_STR, .at = MINE(mine.lab_name),
     .in = {[TM_CMD_MINE] = MG_IO, [TM_CMD_EVAL] = EG_IO},
     .help = {"NAME", "N or N x 1 integer dataset", FROM_FIELD}},
    {.lng = "reference", .kind = TM_OPT_STR, .at = MINE(mine.reference),
     .in = {[TM_CMD_MINE] = MG_QUERIES, [TM_CMD_EVAL] = EG_IO},
     .help = {"FILE", "anchors are the rows of -i, positives and negatives\n"
                      "the rows of FILE; triplets index -i in column 0\n"
                      "and FILE in columns 1 and 2", "none"},
     .eval = {.text = "rank the rows of FILE instead of the other rows"}},
    {.lng = "ref-embeddings", .kind = TM_OPT_STR, .at = MINE(mine.ref_emb_name),
     .given = GIVEN(ref_names_given),
     .in = {[TM_CMD_MINE] = MG_QUERIES, [TM_CMD_EVAL] = EG_IO},
     .help = {"NAME", "its embeddings dataset", FROM_FIELD}, .eval = {.text = "its embeddings"}},
    {.lng = "ref-labels", .kind = TM_OPT_STR, .at = MINE(mine.ref_lab_name),
     .given = GIVEN(ref_names_given),
     .in = {[TM_CMD_MINE] = MG_QUERIES, [TM_CMD_EVAL] = EG_IO},
     .help = {"NAME", "its labels dataset", FROM_FIELD}, .eval = {.text = "its labels"}},
    {.lng = "output", .shrt = 'o', .kind = TM_OPT_STR, .at = MINE(run.output),
     .in = {[TM_CMD_MINE] = MG_IO, [TM_CMD_EVAL] = EG_IO},
     .help = {"FILE", "output HDF5 file, refused if it exists", "required"},
     .eval = {.text = "the report (HDF5), refused if it exists", .def = "none"}},
    {.lng = "force", .kind = TM_OPT_FLAG, .at = MINE(run.force),
     .in = {[TM_CMD_MINE] = MG_IO, [TM_CMD_EVAL] = EG_IO},
     .help = {NULL, "overwrite an existing output", "off"},
     .eval = {.text = "overwrite an existing report"}},
    {.lng = "strategy", .shrt = 's', .kind = TM_OPT_NAME, .at = MINE(mine.strategy),
     .names = &strategies, .in = {[TM_CMD_MINE] = MG_MINING},
     .help = {"S", "{names}", FROM_FIELD}},
    {.lng = "metric", .shrt = 'm', .kind = TM_OPT_CHOICE, .at = MINE(mine.metric),
     .names = &metrics, .in = {[TM_CMD_MINE] = MG_MINING, [TM_CMD_EVAL] = EG_EVAL},
     .help = {"M", "{names}", FROM_FIELD}, .eval = {.arg = "NAME", .text = "{names or}"}},
    {.lng = "normalize", .kind = TM_OPT_FLAG, .at = MINE(mine.normalize),
     .in = {[TM_CMD_MINE] = MG_MINING, [TM_CMD_EVAL] = EG_EVAL},
     .help = {NULL, "L2-normalise every embedding on read", "off"},
     .eval = {.text = "L2-normalise every row first"}},
    {.lng = "by-class", .kind = TM_OPT_FLAG, .at = MINE(eval.by_class),
     .in = {[TM_CMD_EVAL] = EG_EVAL},
     .help = {NULL, "per-label values and their unweighted mean", "off"}},
    {.lng = "suspects", .kind = TM_OPT_I64, .at = MINE(eval.suspects), .lo = 0,
     .hi = TM_MAX_COUNT, .in = {[TM_CMD_EVAL] = EG_EVAL},
     .help = {"N", "the N queries whose nearest positive is farthest\n"
                   "behind their nearest negative", FROM_FIELD}},
    {.lng = "positives", .kind = TM_OPT_I64, .at = MINE(mine.positives),
     .given = GIVEN(positives_given), .lo = 0, .hi = TM_MAX_COUNT,
     .in = {[TM_CMD_MINE] = MG_MINING},
     .help = {"K", "semihard: the K hardest positives per anchor,\n"
                   "0 for all of them", FROM_FIELD}},
    {.lng = "negatives", .kind = TM_OPT_I64, .at = MINE(mine.negatives), .lo = 1,
     .hi = TM_MAX_COUNT, .in = {[TM_CMD_MINE] = MG_MINING},
     .help = {"K", "topk: the K nearest negatives per anchor; sample:\n"
                   "K drawn at random from the eligible ones", FROM_FIELD}},
    {.lng = "neg-min-dist", .kind = TM_OPT_DBL, .at = MINE(mine.neg_min_dist),
     .given = GIVEN(opts.mine.has_neg_min_dist), .min = 0.0,
     .in = {[TM_CMD_MINE] = MG_MINING},
     .help = {"X", "ignore negatives closer than X", "none"}},
    {.lng = "neg-skip", .kind = TM_OPT_I64, .at = MINE(mine.neg_skip), .lo = 0,
     .hi = TM_MAX_COUNT, .in = {[TM_CMD_MINE] = MG_MINING},
     .help = {"R", "then ignore the R nearest negatives", FROM_FIELD}},
    {.lng = "pos", .kind = TM_OPT_CHOICE, .at = MINE(mine.pos), .given = GIVEN(pos_given),
     .names = &positives, .in = {[TM_CMD_MINE] = MG_CHOOSE},
     .help = {"P", "{names}: the one positive of\n"
                   "each anchor with hard, topk and sample", FROM_FIELD}},
    {.lng = "neg-margin", .kind = TM_OPT_DBL, .at = MINE(mine.neg_margin),
     .given = GIVEN(opts.mine.has_neg_margin), .min = -DBL_MAX,
     .in = {[TM_CMD_MINE] = MG_CHOOSE},
     .help = {"X", "ignore negatives with d(a,n) < d(a,p) + X, p the\n"
                   "anchor's positive (any real X; not with semihard).\n"
                   "With --pos hardest, every such triplet's hinge loss\n"
                   "is at most margin - X: pair it with --pos easiest\n"
                   "(or --pairs)", "none"}},
    {.lng = "neg-pool", .kind = TM_OPT_I64, .at = MINE(mine.neg_pool), .lo = 1,
     .hi = TM_MAX_COUNT, .in = {[TM_CMD_MINE] = MG_CHOOSE},
     .help = {"M", "only the M nearest negatives left are eligible\n"
                   "(with --neg-skip R: the rank window [R, R+M));\n"
                   "none: every one left", "none"}},
    {.lng = "seed", .kind = TM_OPT_U64, .at = MINE(mine.seed),
     .in = {[TM_CMD_MINE] = MG_CHOOSE, [TM_CMD_EVAL] = EG_PARTS},
     .help = {"S", "seed of -s sample, --pos random and of the\n"
                   "partitions' k-means and check, 0 to 2^64 - 1;\n"
                   "the draws depend only on it and the anchor", FROM_FIELD},
     .eval = {.text = "seed of the partitions' k-means sample and of\n"
                      "the check's queries"}},
    {.lng = "pairs", .kind = TM_OPT_STR, .at = MINE(mine.pairs),
     .in = {[TM_CMD_MINE] = MG_QUERIES},
     .help = {"NAME", "M x 2 integer dataset of -i: (query row, positive\n"
                      "row) per anchor pair, for data without labels;\n"
                      "negatives are the rows that are no positive of\n"
                      "the query in any pair (nor the query itself)\n", "none: labels decide"}},
    {.lng = "partitions", .kind = TM_OPT_CUSTOM, .at = MINE(mine.partitions),
     .parse = parse_partitions, .in = {[TM_CMD_MINE] = MG_PARTS, [TM_CMD_EVAL] = EG_PARTS},
     .help = {"C|auto", "k-means partitions of the candidates (auto: about\n"
                        "4 sqrt(N)); an anchor's negatives come from the\n"
                        "--probe partitions nearest it, its positives from\n"
                        "all rows; 0: the exact sweep", "0"},
     .eval = {.text = "k-means partitions of the candidates (auto: about\n"
                      "4 sqrt(N)); a query ranks the rows of its label\n"
                      "and of the --probe partitions nearest it; 0: all", .def = "0"}},
    {.lng = "probe", .kind = TM_OPT_I64, .at = MINE(mine.probe),
     .lo = 1, .hi = (int64_t)1 << 31, .in = {[TM_CMD_MINE] = MG_PARTS, [TM_CMD_EVAL] = EG_PARTS},
     .help = {"P", "partitions visited per anchor (raise it until the\n"
                   "check's check_identical is high enough)", FROM_FIELD},
     .eval = {.text = "partitions visited per query"}},
    {.lng = "check", .kind = TM_OPT_I64, .at = MINE(mine.check),
     .lo = 0, .hi = TM_MAX_COUNT, .in = {[TM_CMD_MINE] = MG_PARTS, [TM_CMD_EVAL] = EG_PARTS},
     .help = {"S", "anchors drawn by --seed and mined exactly too, to\n"
                   "measure what the partitions missed; 0: none", FROM_FIELD},
     .eval = {.text = "queries drawn by --seed and ranked exactly too; 0: none"}},
    {.lng = "loss", .kind = TM_OPT_CHOICE, .at = MINE(mine.loss), .names = &losses,
     .in = {[TM_CMD_MINE] = MG_LOSS}, .help = {"L", "{names}", FROM_FIELD}},
    {.lng = "margin", .kind = TM_OPT_DBL, .at = MINE(mine.margin), .min = 0.0,
     .in = {[TM_CMD_MINE] = MG_LOSS},
     .help = {"A", "margin alpha of the loss, >= 0", FROM_FIELD}},
    {.lng = "chunk", .kind = TM_OPT_I64, .at = MINE(run.chunk), .lo = 1, .hi = TM_MAX_COUNT,
     .in = {[TM_CMD_MINE] = MG_PERF, [TM_CMD_EVAL] = EG_RUN},
     .help = {"ROWS", "rows per rank in one exchange round", "auto"}},
    {.lng = "threads", .kind = TM_OPT_CUSTOM, .at = MINE(run.threads), .parse = parse_threads,
     .in = {[TM_CMD_MINE] = MG_PERF, [TM_CMD_EVAL] = EG_RUN},
     .help = {"T|auto", "compute threads per rank; auto: the CPUs the rank\n"
                        "may run on (its affinity mask)", "auto"},
     .eval = {.text = "compute threads per rank"}},
    {.lng = "mem-limit", .kind = TM_OPT_BYTES, .at = MINE(run.mem_limit),
     .in = {[TM_CMD_MINE] = MG_PERF, [TM_CMD_EVAL] = EG_RUN},
     .help = {"BYTES", "memory budget per rank, suffix K, M, G or T\n",
              "a share of the node's memory"}},
    {.lng = "checkpoint", .kind = TM_OPT_STR, .at = MINE(run.checkpoint_dir),
     .in = {[TM_CMD_MINE] = MG_CKPT, [TM_CMD_EVAL] = EG_RUN},
     .help = {"DIR", "save resumable state in DIR", "none"}},
    {.lng = "checkpoint-every", .kind = TM_OPT_CUSTOM, .at = MINE(run.checkpoint_every),
     .parse = parse_every, .in = {[TM_CMD_MINE] = MG_CKPT, [TM_CMD_EVAL] = EG_RUN},
     .help = {"S", "seconds between saves", "600"}},
    {.lng = "resume", .kind = TM_OPT_FLAG, .at = MINE(run.resume),
     .in = {[TM_CMD_MINE] = MG_CKPT, [TM_CMD_EVAL] = EG_RUN},
     .help = {NULL, "continue from the state in --checkpoint DIR", "off"}},
    {.lng = "stall-timeout", .kind = TM_OPT_DBL, .at = MINE(run.stall_timeout), .min = 0.0,
     .in = {[TM_CMD_MINE] = MG_CKPT, [TM_CMD_EVAL] = EG_RUN},
     .help = {"S", "end the job (exit 1) when a round makes no progress\n"
                   "for S seconds, e.g. a lost node; 0: never", FROM_FIELD},
     .eval = {.text = "end the job (exit 1) when a round makes no progress\n"
                      "for S seconds; 0: never"}},
    {.lng = "kernel", .kind = TM_OPT_NAME, .at = MINE(run.kernel), .names = &kernels,
     .in = {[TM_CMD_MINE] = MG_PERF, [TM_CMD_EVAL] = EG_RUN},
     .help = {"K", "the tiles' arithmetic, a filter that never changes\n"
                   "the output: {names}; auto takes the\n"
                   "fastest this CPU runs", "auto"},
     .eval = {.text = "{names}: the tiles' arithmetic,\n"
                      "never changes the report"}},
    {.lng = "json", .kind = TM_OPT_FLAG, .at = MINE(talk.json),
     .in = {[TM_CMD_MINE] = MG_TALK, [TM_CMD_EVAL] = EG_RUN},
     .help = {NULL, "print the summary as one JSON object on stdout\n", "off: a text summary"},
     .eval = {.text = "print the summary as one JSON object on stdout", .def = "off"}},
    {.lng = "quiet", .shrt = 'q', .kind = TM_OPT_CONST, .at = MINE(talk.verbosity),
     .set = TM_LOG_QUIET, .in = {[TM_CMD_MINE] = MG_TALK, [TM_CMD_EVAL] = EG_RUN},
     .help = {NULL, "only errors on stderr, no progress", "off"}},
    {.lng = "verbose", .shrt = 'v', .kind = TM_OPT_CONST, .at = MINE(talk.verbosity),
     .set = TM_LOG_DEBUG, .in = {[TM_CMD_MINE] = MG_TALK, [TM_CMD_EVAL] = EG_RUN},
     .help = {NULL, "also sizes, rounds and a time breakdown per rank\non stderr", "off"},
     .eval = {.text = "also progress and a time breakdown per rank"}},
    {.lng = "help", .shrt = 'h', .kind = TM_OPT_FLAG, .at = MINE(help),
     .in = {[TM_CMD_MINE] = MG_TALK, [TM_CMD_EVAL] = EG_RUN}, .help = {NULL, "this text", NULL}},
};

/* ---- synth ---------------------------------------------------------------- */

enum { SG_OUTPUT = 1, SG_DATA, SG_QUERIES, SG_LOG };

static const char *const synth_groups[] = {
    "Output:",
    "Data:",
    "Queries (a retrieval set beside the corpus of N rows):",
    "Logging:",
};

static const tm_optrow_t synth_rows[] = {
    {.lng = "output", .shrt = 'o', .kind = TM_OPT_STR, .at = SYNTH(output),
     .in = {[TM_CMD_SYNTH] = SG_OUTPUT},
     .help = {"FILE", "output HDF5 file, refused if it exists", "required"}},
    {.lng = "force", .kind = TM_OPT_FLAG, .at = SYNTH(force), .in = {[TM_CMD_SYNTH] = SG_OUTPUT},
     .help = {NULL, "overwrite an existing output", "off"}},
    {.lng = "num", .shrt = 'n', .kind = TM_OPT_I64, .at = SYNTH(n), .lo = 1, .hi = TM_MAX_COUNT,
     .in = {[TM_CMD_SYNTH] = SG_DATA}, .help = {"N", "number of rows", "required"}},
    {.lng = "dim", .shrt = 'd', .kind = TM_OPT_I64, .at = SYNTH(dim), .lo = 1, .hi = 1 << 20,
     .in = {[TM_CMD_SYNTH] = SG_DATA}, .help = {"D", "dimension of a row", "required"}},
    {.lng = "classes", .shrt = 'c', .kind = TM_OPT_I64, .at = SYNTH(classes), .lo = 1,
     .hi = TM_MAX_COUNT, .in = {[TM_CMD_SYNTH] = SG_DATA},
     .help = {"C", "number of classes", "required"}},
    {.lng = "seed", .kind = TM_OPT_U64, .at = SYNTH(seed), .in = {[TM_CMD_SYNTH] = SG_DATA},
     .help = {"S", "random seed, 0 to 2^64 - 1", FROM_FIELD}},
    {.lng = "spread", .kind = TM_OPT_DBL, .at = SYNTH(spread), .min = 0.0,
     .in = {[TM_CMD_SYNTH] = SG_DATA},
     .help = {"X", "noise norm relative to the unit centres (with\n"
                   "--latent-dim: of the latent noise)", FROM_FIELD}},
    {.lng = "latent-dim", .kind = TM_OPT_I64, .at = SYNTH(latent_dim), .lo = 1,
     .hi = TM_SYNTH_LATENT_DIM_MAX, .in = {[TM_CMD_SYNTH] = SG_DATA},
     .help = {"K", "1 to 4096: rows on a smooth K-dimensional surface\n"
                   "in R^D, as described above", "none"}},
    {.lng = "queries", .kind = TM_OPT_I64, .at = SYNTH(queries), .lo = 1, .hi = TM_MAX_COUNT,
     .in = {[TM_CMD_SYNTH] = SG_QUERIES},
     .help = {"Q", "also write Q queries: 'queries' (Q x D), their\n"
                   "'query_labels' and 'pairs' (query row, corpus row),\n"
                   "each query near its positives", "none"}},
    {.lng = "query-positives", .kind = TM_OPT_I64, .at = SYNTH(query_positives), .lo = 1,
     .hi = 1024, .in = {[TM_CMD_SYNTH] = SG_QUERIES},
     .help = {"P", "corpus rows paired with each query: drawn\n"
                   "uniformly, the first one giving the label", FROM_FIELD}},
    {.lng = "quiet", .shrt = 'q', .kind = TM_OPT_CONST, .at = SYNTH(verbosity),
     .set = TM_LOG_QUIET, .in = {[TM_CMD_SYNTH] = SG_LOG},
     .help = {NULL, "only errors on stderr", "off"}},
    {.lng = "verbose", .shrt = 'v', .kind = TM_OPT_CONST, .at = SYNTH(verbosity),
     .set = TM_LOG_DEBUG, .in = {[TM_CMD_SYNTH] = SG_LOG},
     .help = {NULL, "more on stderr", "off"}},
    {.lng = "help", .shrt = 'h', .kind = TM_OPT_FLAG, .at = SYNTH(help),
     .in = {[TM_CMD_SYNTH] = SG_LOG}, .help = {NULL, "this text", NULL}},
};

/* ---- inspect -------------------------------------------------------------- */

static const char *const inspect_groups[] = {"options:"};

static const tm_optrow_t inspect_rows[] = {
    /* Its default reads better inside the text. */
    {.lng = "svg", .kind = TM_OPT_CUSTOM, .at = INSPECT(svg), .parse = parse_svg,
     .in = {[TM_CMD_INSPECT] = 1},
     .help = {"FILE", "also draw the distributions as an SVG picture [none];\n"
                      "refused if FILE exists", NULL}},
    {.lng = "force", .kind = TM_OPT_FLAG, .at = INSPECT(force), .in = {[TM_CMD_INSPECT] = 1},
     .help = {NULL, "overwrite an existing --svg FILE", "off"}},
    {.lng = "bins", .kind = TM_OPT_INT, .at = INSPECT(bins), .lo = 1, .hi = 1000,
     .in = {[TM_CMD_INSPECT] = 1},
     .help = {"N", "histogram bins aimed at, 1 to 1000; bins have a round\n"
                   "width and an edge at the margin", FROM_FIELD}},
    {.lng = "json", .kind = TM_OPT_FLAG, .at = INSPECT(json), .in = {[TM_CMD_INSPECT] = 1},
     .help = {NULL, "print the numbers as one JSON object on stdout", "off"}},
    {.lng = "quiet", .shrt = 'q', .kind = TM_OPT_CONST, .at = INSPECT(verbosity),
     .set = TM_LOG_QUIET, .in = {[TM_CMD_INSPECT] = 1},
     .help = {NULL, "less on stderr", "off"}},
    {.lng = "verbose", .shrt = 'v', .kind = TM_OPT_CONST, .at = INSPECT(verbosity),
     .set = TM_LOG_DEBUG, .in = {[TM_CMD_INSPECT] = 1},
     .help = {NULL, "more on stderr", "off"}},
    {.lng = "help", .shrt = 'h', .kind = TM_OPT_FLAG, .at = INSPECT(help),
     .in = {[TM_CMD_INSPECT] = 1}, .help = {NULL, "this text", NULL}},
};

/* ---- the commands --------------------------------------------------------- */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const tm_optcmd_t commands[] = {
    {TM_CMD_MINE, "mine", mine_rows, COUNT(mine_rows), mine_groups, COUNT(mine_groups), 28},
    {TM_CMD_EVAL, "eval", mine_rows, COUNT(mine_rows), eval_groups, COUNT(eval_groups), 28},
    {TM_CMD_SYNTH, "synth", synth_rows, COUNT(synth_rows), synth_groups, COUNT(synth_groups),
     24},
    {TM_CMD_INSPECT, "inspect", inspect_rows, COUNT(inspect_rows), inspect_groups,
     COUNT(inspect_groups), 20},
};

const tm_optcmd_t *tm_opts_table(const char *cmd)
{
    for (size_t k = 0; k < COUNT(commands); k++)
        if (strcmp(commands[k].name, cmd) == 0)
            return &commands[k];
    return NULL;
}
