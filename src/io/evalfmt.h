/*
 * evalfmt.h - the one home of the report of `tripminer eval` (REPORT.h5)
 * and of its values, as io/format.h is of the mining output.
 *
 * tm_eval_fields is the table of every named value of an eval run. Table
 * order is the order of the report's root attributes and of the keys of
 * `eval --json`. Each row says where the value comes from and where it
 * goes:
 *
 *   TM_EVAL_ATTR    a root attribute of the report (io/evalwrite.c), read
 *                   back by inspect (io/evalread.c);
 *   TM_EVAL_JSON    a key of `eval --json` (tm_eval_json);
 *   TM_EVAL_METRIC  a mean over the queries of a value of each query
 *                   (tm_eval_rec_t, engines/results.h, set by
 *                   engines/retrieval.c): besides its attribute
 *                   and key, a float64 column of by_class, its place in
 *                   the row avg_of_avgs, a line of the text summary and of
 *                   inspect.
 *
 * tm_eval_groups are the report's groups and their columns. How to add a
 * metric: docs/design.md, "How to add an eval value".
 */
#ifndef TM_IO_EVALFMT_H
#define TM_IO_EVALFMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "io/format.h"
#include "engines/results.h"
#include "tripminer/params.h"

/* The rows of tm_eval_fields that are TM_EVAL_METRIC (a unit test checks). */
#define TM_EVAL_NMETRICS 4

enum {
    TM_EVAL_ATTR = 1,
    TM_EVAL_JSON = 2,
    TM_EVAL_METRIC = 4,
    /*
     * The unweighted mean over classes of each metric: the root attribute
     * avg_of_avgs_METRIC after the row's place, and one JSON object of the
     * metrics' names at it.
     */
    TM_EVAL_AVGS = 8,
    /* Values of an option: absent from a run without it (inspect reads them if present). */
    TM_EVAL_WITH_REFERENCE = 16, /* only with --reference */
    TM_EVAL_WITH_BY_CLASS = 32,  /* only with --by-class */
    /* inspect's text shows it under the metrics, not in the list of the run. */
    TM_EVAL_UNDER_METRICS = 64,
    /* The metric whose spread over the classes inspect shows (min, mean, max, picture). */
    TM_EVAL_PER_CLASS = 128,
    /*
     * Values of a partitioned run, only with --partitions (io/format.h's
     * TM_FIELD_WITH_PARTS): in a report, all of them or none.
     */
    TM_EVAL_WITH_PARTS = 256,
};
#define TM_EVAL_OPTIONAL (TM_EVAL_WITH_REFERENCE | TM_EVAL_WITH_BY_CLASS | TM_EVAL_WITH_PARTS)

/* A row of by_class: one label. */
typedef struct tm_eval_class {
    int64_t label;
    int64_t queries;              /* its queries with a positive */
    int64_t without;              /* and without one */
    double v[TM_EVAL_NMETRICS];   /* the metrics' means over those queries; NaN when none */
} tm_eval_class_t;

/* A row of suspects: a query whose nearest positive lies behind its nearest negative. */
typedef struct tm_eval_suspect {
    int64_t query, label, positive;
    double positive_distance;
    int64_t negative, negative_label;
    double negative_distance;
    double gap;                   /* positive_distance - negative_distance */
} tm_eval_suspect_t;

/* A row of confusions: count queries of label whose nearest candidate has nearest_label. */
typedef struct tm_eval_pair {
    int64_t label, nearest_label, count;
} tm_eval_pair_t;

/* Everything a value of the table may come from (on rank 0). */
typedef struct tm_eval_sources {
    const char *command;          /* "eval" */
    const char *version;          /* TM_VERSION */
    const tm_mine_params_t *mine;
    const tm_eval_params_t *eval;
    const tm_run_params_t *run;   /* the report's path, output */
    const tm_eval_summary_t *sum;
} tm_eval_sources_t;

/* The sources of an eval run, with this build's version. Local. */
void tm_eval_sources_init(tm_eval_sources_t *s, const tm_mine_params_t *mine,
                          const tm_eval_params_t *eval, const tm_run_params_t *run,
                          const tm_eval_summary_t *sum);

/* Where a value lives: a member of which struct of tm_eval_sources_t. */
typedef enum {
    TM_EVAL_FROM_SOURCES, TM_EVAL_FROM_MINE, TM_EVAL_FROM_EVAL, TM_EVAL_FROM_RUN,
    TM_EVAL_FROM_SUMMARY
} tm_eval_src_t;

typedef struct tm_eval_field {
    const char *name;
    tm_ftype_t type;
    unsigned flags;               /* TM_EVAL_* */
    tm_eval_src_t src;            /* where the writer and the summaries find it, */
    tm_fkeep_t keep;              /* as what (a NULL string is an absent value), */
    size_t off;                   /* at which offset (avg_of_avgs: of its array) */
    size_t at;                    /* where inspect's reader keeps it in tm_evalrep_t
                                     (a metric, avg_of_avgs: the array) */
    size_t rec;                   /* a metric: its value of one query in tm_eval_rec_t */
    int shown;                    /* its place in inspect's list of the run; 0: not listed */
    const char *meaning;
} tm_eval_field_t;

extern const tm_eval_field_t tm_eval_fields[];
extern const size_t tm_eval_nfields;

/* The k-th metric row, 0 <= k < TM_EVAL_NMETRICS. */
const tm_eval_field_t *tm_eval_metric(int k);

/* Whether the run of s has field f (TM_EVAL_WITH_*). Local. */
int tm_eval_field_present(const tm_eval_field_t *f, const tm_eval_sources_t *s);

/*
 * The value of field f in s; of a TM_EVAL_AVGS row, the mean over classes
 * of metric k. Local.
 */
void tm_eval_field_get(const tm_eval_field_t *f, int k, const tm_eval_sources_t *s,
                       tm_value_t *v);

/* The root attribute of the TM_EVAL_AVGS row f for metric k: "avg_of_avgs_NAME". Local. */
void tm_eval_avg_name(const tm_eval_field_t *f, int k, char *buf, size_t len);

/* Set the mean of metric k in the summary (its member named by the metric's row). Local. */
void tm_eval_set_mean(tm_eval_summary_t *sum, int k, double mean);

/* The value of metric row f for one query. Local. */
double tm_eval_rec_value(const tm_eval_field_t *f, const tm_eval_rec_t *r);

/* The `eval --json` summary of s: one JSON object and a newline on f. Local. */
void tm_eval_json(FILE *f, const tm_eval_sources_t *s);

/* ---- groups ---------------------------------------------------------------- */

typedef struct tm_eval_column {
    const char *name;
    int is_float;                 /* float64; else int64 (little-endian) */
    size_t off;                   /* in the group's row */
} tm_eval_column_t;

typedef struct tm_eval_group {
    const char *name;
    unsigned flags;               /* TM_EVAL_WITH_BY_CLASS: only with --by-class */
    size_t row_bytes;             /* its row: tm_eval_class_t, ... */
    const tm_eval_column_t *cols; /* in the order of the file */
    int ncols;
    int metric_cols;              /* then a float64 column per metric, */
    size_t metrics_off;           /* from the row's array at this offset */
} tm_eval_group_t;

/* The groups, in the order of the file. */
enum { TM_EVAL_BY_CLASS, TM_EVAL_SUSPECTS, TM_EVAL_CONFUSIONS, TM_EVAL_NGROUPS };
extern const tm_eval_group_t tm_eval_groups[TM_EVAL_NGROUPS];

/* The columns of g, metrics included, and the i-th of them. */
int tm_eval_ncols(const tm_eval_group_t *g);
tm_eval_column_t tm_eval_col(const tm_eval_group_t *g, int i);

/* The index of the column of g kept at offset off of its row, or -1. */
int tm_eval_col_at(const tm_eval_group_t *g, size_t off);

#endif
