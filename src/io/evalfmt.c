/*
 * evalfmt.c - the table of an eval run's values and of its report's
 * groups (evalfmt.h), and the `eval --json` summary made from it. The
 * report's writer (evalwrite.c) and reader (evalread.c), the computation
 * (run/evalcalc.c) and the summaries (app/summary.c, inspect) read the
 * same table.
 */
#include "io/evalfmt.h"

#include <inttypes.h>
#include <string.h>

#include "base/json.h"
#include "io/evalread.h"
#include "tm_version.h"

#define A TM_EVAL_ATTR
#define J TM_EVAL_JSON
#define REF TM_EVAL_WITH_REFERENCE
#define BC TM_EVAL_WITH_BY_CLASS
#define PT TM_EVAL_WITH_PARTS
#define SRC(member, keep) TM_EVAL_FROM_SOURCES, keep, offsetof(tm_eval_sources_t, member)
#define MINE(member, keep) TM_EVAL_FROM_MINE, keep, offsetof(tm_mine_params_t, member)
#define EVAL(member, keep) TM_EVAL_FROM_EVAL, keep, offsetof(tm_eval_params_t, member)
#define RUN(member, keep) TM_EVAL_FROM_RUN, keep, offsetof(tm_run_params_t, member)
#define SUM(member, keep) TM_EVAL_FROM_SUMMARY, keep, offsetof(tm_eval_summary_t, member)
/* Where inspect's reader keeps it; a value it does not read. */
#define AT(member) offsetof(tm_evalrep_t, member), 0
#define UNREAD 0, 0
/* A metric: its mean in the summary, its place in the reader, its value per query. */
#define METRIC(name, mean, per_query, more, meaning)                                          \
    {name, TM_FT_F64, A | J | TM_EVAL_METRIC | (more), SUM(mean, TM_KEEP_F64),                 \
     offsetof(tm_evalrep_t, v), offsetof(tm_eval_rec_t, per_query), 0, meaning}

/*
 * Table order is the order of the report's root attributes and of the
 * --json keys; `shown` orders inspect's list of the run (its own order,
 * kept from before the table).
 */
const tm_eval_field_t tm_eval_fields[] = {
    {"command", TM_FT_STR, J, SRC(command, TM_KEEP_STR), UNREAD, 0, "the command: eval"},
    {"version", TM_FT_STR, A | J, SRC(version, TM_KEEP_STR), AT(version), 4,
     "the version of tripminer"},
    {"metric", TM_FT_STR, A | J, MINE(metric, TM_KEEP_METRIC), AT(metric), 1, "the distance"},
    {"normalize", TM_FT_I64, A, MINE(normalize, TM_KEEP_INT), AT(normalize), 5,
     "1 if rows were L2-normalised on reading"},
    {"input", TM_FT_STR, A | J, MINE(input, TM_KEEP_STR), AT(input), 2,
     "the queries' file (-i), as given"},
    {"reference", TM_FT_STR, A | J | REF, MINE(reference, TM_KEEP_STR), AT(reference), 3,
     "the candidates' file (--reference), as given"},
    {"num_queries", TM_FT_I64, A | J, SUM(num_queries, TM_KEEP_I64), AT(num_queries), 6,
     "queries: the rows of the input"},
    {"num_candidates", TM_FT_I64, A | J, SUM(num_candidates, TM_KEEP_I64), AT(num_candidates), 7,
     "candidates of each query"},
    {"queries_without_positive", TM_FT_I64, A | J | TM_EVAL_UNDER_METRICS,
     SUM(without_positive, TM_KEEP_I64), AT(without_positive), 8,
     "queries with no candidate of their label, left out of every mean"},
    METRIC("precision_at_1", p_at_1, p_at_1, 0, "the nearest candidate has the query's label"),
    METRIC("r_precision", r_prec, r_prec, TM_EVAL_PER_CLASS,
           "the fraction of the R nearest candidates with the query's label (R: how many have it)"),
    METRIC("mean_average_precision_at_r", map_at_r, ap_at_r, 0,
           "the mean over those of the precision at each rank up to R"),
    METRIC("mean_reciprocal_rank", mrr, rr, 0,
           "1 / the rank of the nearest candidate with the query's label"),
    {"suspects", TM_FT_I64, A, EVAL(suspects, TM_KEEP_I64), AT(suspects_asked), 9,
     "the rows of the group suspects asked for (--suspects)"},
    {"classes", TM_FT_I64, J | BC, SUM(classes, TM_KEEP_I64), UNREAD, 0,
     "labels with a query that has a positive"},
    {"avg_of_avgs", TM_FT_F64, A | J | BC | TM_EVAL_AVGS, SUM(avg, TM_KEEP_F64),
     offsetof(tm_evalrep_t, avg), 0, 0, "each metric's unweighted mean over those labels"},
    {"num_suspects", TM_FT_I64, J, SUM(num_suspects, TM_KEEP_I64), UNREAD, 0,
     "rows of the group suspects"},
    {"num_confused_pairs", TM_FT_I64, J, SUM(num_confusions, TM_KEEP_I64), UNREAD, 0,
     "rows of the group confusions"},
    {"ranks", TM_FT_I64, J, SUM(ranks, TM_KEEP_I64), UNREAD, 0, "MPI ranks of the run"},
    {"threads", TM_FT_I64, J, SUM(threads, TM_KEEP_I64), UNREAD, 0,
     "compute threads of rank 0"},
    {"output", TM_FT_STR, J, RUN(output, TM_KEEP_STR), UNREAD, 0,
     "the report (-o), as given; null without one"},
    {"seconds", TM_FT_F64, J, SUM(seconds, TM_KEEP_F64), UNREAD, 0, "wall time of the run"},
    {"kernel", TM_FT_STR, J, SUM(kernel, TM_KEEP_STR), UNREAD, 0,
     "the tile kernel (--kernel, resolved)"},
    {"pairs_fast", TM_FT_I64, J, SUM(pairs_fast, TM_KEEP_I64), UNREAD, 0,
     "pairs whose dot products the fast kernel computed"},
    {"pairs_f32", TM_FT_I64, J, SUM(pairs_f32, TM_KEEP_I64), UNREAD, 0,
     "pairs whose dot products float32 sgemm computed"},
    {"rechecked", TM_FT_F64, J, SUM(rechecked_fraction, TM_KEEP_F64), UNREAD, 0,
     "the fraction of those pairs re-scored exactly"},
    /* The names and meanings of the mining output's rows (io/format.c). */
    {"partitions", TM_FT_I64, A | J | PT, SUM(partitions, TM_KEEP_I64), AT(partitions), 10,
     "k-means partitions of the candidates (--partitions, resolved)"},
    {"probe", TM_FT_I64, A | J | PT, SUM(probe, TM_KEEP_I64), AT(probe), 11,
     "partitions each query is ranked against (--probe, at most partitions)"},
    {"partition_seed", TM_FT_U64, A | J | PT, MINE(seed, TM_KEEP_U64), AT(partition_seed), 12,
     "the seed of the k-means sample and of the check's queries"},
    {"check_anchors", TM_FT_I64, A | J | PT, SUM(check_anchors, TM_KEEP_I64), AT(check_anchors),
     13, "queries ranked exactly too (--check)"},
    {"check_identical", TM_FT_F64, A | J | PT, SUM(check_identical, TM_KEEP_F64),
     AT(check_identical), 14, "the fraction of them whose record equals the exact one (NaN: none)"},
    {"check_recall", TM_FT_F64, A | J | PT, SUM(check_recall, TM_KEEP_F64), AT(check_recall), 15,
     "the fraction of them whose nearest negative is the exact one (NaN: none)"},
    {"certified_anchors", TM_FT_I64, A | J | PT, SUM(certified_anchors, TM_KEEP_I64),
     AT(certified_anchors), 16, "queries proven exact: those that probe every partition"},
};

const size_t tm_eval_nfields = sizeof tm_eval_fields / sizeof tm_eval_fields[0];

/* Every metric has its place in the arrays of the summary and of the report. */
_Static_assert(sizeof ((tm_eval_summary_t *)0)->avg == TM_EVAL_NMETRICS * sizeof(double),
               "tm_eval_summary_t.avg needs a place per metric");

static const tm_eval_column_t class_cols[] = {
    {"label", 0, offsetof(tm_eval_class_t, label)},
    {"queries", 0, offsetof(tm_eval_class_t, queries)},
    {"without_positive", 0, offsetof(tm_eval_class_t, without)},
};

static const tm_eval_column_t suspect_cols[] = {
    {"query", 0, offsetof(tm_eval_suspect_t, query)},
    {"label", 0, offsetof(tm_eval_suspect_t, label)},
    {"positive", 0, offsetof(tm_eval_suspect_t, positive)},
    {"positive_distance", 1, offsetof(tm_eval_suspect_t, positive_distance)},
    {"negative", 0, offsetof(tm_eval_suspect_t, negative)},
    {"negative_label", 0, offsetof(tm_eval_suspect_t, negative_label)},
    {"negative_distance", 1, offsetof(tm_eval_suspect_t, negative_distance)},
    {"gap", 1, offsetof(tm_eval_suspect_t, gap)},
};

static const tm_eval_column_t pair_cols[] = {
    {"label", 0, offsetof(tm_eval_pair_t, label)},
    {"nearest_label", 0, offsetof(tm_eval_pair_t, nearest_label)},
    {"count", 0, offsetof(tm_eval_pair_t, count)},
};

#define COLS(c) c, (int)(sizeof c / sizeof c[0])

const tm_eval_group_t tm_eval_groups[TM_EVAL_NGROUPS] = {
    [TM_EVAL_BY_CLASS] = {"by_class", BC, sizeof(tm_eval_class_t), COLS(class_cols), 1,
                          offsetof(tm_eval_class_t, v)},
    [TM_EVAL_SUSPECTS] = {"suspects", 0, sizeof(tm_eval_suspect_t), COLS(suspect_cols), 0, 0},
    [TM_EVAL_CONFUSIONS] = {"confusions", 0, sizeof(tm_eval_pair_t), COLS(pair_cols), 0, 0},
};

const tm_eval_field_t *tm_eval_metric(int k)
{
    for (size_t i = 0; i < tm_eval_nfields; i++)
        if ((tm_eval_fields[i].flags & TM_EVAL_METRIC) && k-- == 0)
            return &tm_eval_fields[i];
    return NULL;
}

void tm_eval_sources_init(tm_eval_sources_t *s, const tm_mine_params_t *mine,
                          const tm_eval_params_t *eval, const tm_run_params_t *run,
                          const tm_eval_summary_t *sum)
{
    memset(s, 0, sizeof *s);
    s->command = "eval";
    s->version = TM_VERSION;
    s->mine = mine;
    s->eval = eval;
    s->run = run;
    s->sum = sum;
}

int tm_eval_field_present(const tm_eval_field_t *f, const tm_eval_sources_t *s)
{
    if ((f->flags & TM_EVAL_WITH_REFERENCE) && s->mine->reference == NULL)
        return 0;
    if ((f->flags & TM_EVAL_WITH_BY_CLASS) && !s->eval->by_class)
        return 0;
    if ((f->flags & TM_EVAL_WITH_PARTS) && s->mine->partitions == 0)
        return 0;
    return 1;
}

void tm_eval_field_get(const tm_eval_field_t *f, int k, const tm_eval_sources_t *s,
                       tm_value_t *v)
{
    const void *base = f->src == TM_EVAL_FROM_MINE      ? (const void *)s->mine
                       : f->src == TM_EVAL_FROM_EVAL    ? (const void *)s->eval
                       : f->src == TM_EVAL_FROM_RUN     ? (const void *)s->run
                       : f->src == TM_EVAL_FROM_SUMMARY ? (const void *)s->sum
                                                        : (const void *)s;
    const char *at = (const char *)base + f->off;
    if (f->flags & TM_EVAL_AVGS)
        at += (size_t)k * sizeof(double);
    tm_value_at(f->keep, f->type, at, v);
    if (f->keep == TM_KEEP_STR)
        v->none = v->s == NULL;
}

void tm_eval_avg_name(const tm_eval_field_t *f, int k, char *buf, size_t len)
{
    snprintf(buf, len, "%s_%s", f->name, tm_eval_metric(k)->name);
}

void tm_eval_set_mean(tm_eval_summary_t *sum, int k, double mean)
{
    memcpy((char *)sum + tm_eval_metric(k)->off, &mean, sizeof mean);
}

double tm_eval_rec_value(const tm_eval_field_t *f, const tm_eval_rec_t *r)
{
    double v;
    memcpy(&v, (const char *)r + f->rec, sizeof v);
    return v;
}

/* One JSON value. */
static void json_value(FILE *f, const tm_value_t *v)
{
    if (v->none)
        fputs("null", f);
    else if (v->type == TM_FT_STR)
        tm_json_str(f, v->s);
    else if (v->type == TM_FT_F64)
        tm_json_num(f, v->f);
    else if (v->type == TM_FT_U64)
        fprintf(f, "%" PRIu64, v->u);
    else
        fprintf(f, "%" PRId64, v->i);
}

void tm_eval_json(FILE *f, const tm_eval_sources_t *s)
{
    const char *sep = "{";
    for (size_t i = 0; i < tm_eval_nfields; i++) {
        const tm_eval_field_t *fd = &tm_eval_fields[i];
        if (!(fd->flags & TM_EVAL_JSON) || !tm_eval_field_present(fd, s))
            continue;
        fprintf(f, "%s\"%s\": ", sep, fd->name);
        sep = ", ";
        tm_value_t v;
        if (fd->flags & TM_EVAL_AVGS) {
            for (int k = 0; k < TM_EVAL_NMETRICS; k++) {
                fprintf(f, "%s\"%s\": ", k ? ", " : "{", tm_eval_metric(k)->name);
                tm_eval_field_get(fd, k, s, &v);
                json_value(f, &v);
            }
            fputc('}', f);
            continue;
        }
        tm_eval_field_get(fd, 0, s, &v);
        json_value(f, &v);
    }
    fputs("}\n", f);
}

int tm_eval_ncols(const tm_eval_group_t *g)
{
    return g->ncols + (g->metric_cols ? TM_EVAL_NMETRICS : 0);
}

tm_eval_column_t tm_eval_col(const tm_eval_group_t *g, int i)
{
    if (i < g->ncols)
        return g->cols[i];
    const int k = i - g->ncols;
    return (tm_eval_column_t){tm_eval_metric(k)->name, 1,
                              g->metrics_off + (size_t)k * sizeof(double)};
}

int tm_eval_col_at(const tm_eval_group_t *g, size_t off)
{
    for (int i = 0; i < tm_eval_ncols(g); i++)
        if (tm_eval_col(g, i).off == off)
            return i;
    return -1;
}
