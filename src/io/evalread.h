/*
 * evalread.h - the report of "tripminer eval" (REPORT.h5) read back for
 * "tripminer inspect": its root attributes and groups, as the table of
 * io/evalfmt.h describes them, checked on reading. Shared by inspect's
 * text and JSON printers and its SVG. Private to the library.
 *
 * Only what the summaries and the picture show is held: the first rows of
 * suspects and confusions, the gap column of suspects and the by_class
 * column of the metric inspect spreads over classes (TM_EVAL_PER_CLASS);
 * the rest of the groups is streamed or only checked.
 */
#ifndef TM_IO_EVALREAD_H
#define TM_IO_EVALREAD_H

#include <stdint.h>

#include "io/evalfmt.h"
#include "tripminer/err.h"

/* Rows of confusions held: the bar chart of the picture shows this many. */
#define TM_EVALREP_TOP 15

typedef struct tm_evalrep {
    const char *path;          /* the file, as given */

    /*
     * The root attributes, where the rows of tm_eval_fields say (at).
     * Strings are owned; reference is NULL when absent.
     */
    char *metric, *input, *version, *reference;
    int64_t normalize, num_queries, num_candidates, without_positive, suspects_asked;
    double v[TM_EVAL_NMETRICS];   /* the metrics, in the order of the table */
    int has_avg;                  /* every avg_of_avgs_<metric> is present */
    double avg[TM_EVAL_NMETRICS];

    /* A partitioned run's (TM_EVAL_WITH_PARTS): all of them (has_parts) or none. */
    int has_parts;
    int64_t partitions, probe, check_anchors, certified_anchors;
    uint64_t partition_seed;
    double check_identical, check_recall;

    /* by_class (has_by_class): one row per label. */
    int has_by_class;
    int64_t classes;           /* rows */
    int per_class;             /* the metric spread over classes (TM_EVAL_PER_CLASS) */
    int64_t classes_nan;       /* rows where it is NaN (no query with a positive) */
    double *class_r_prec;      /* its finite values, classes - classes_nan of them */
    double class_r_min, class_r_max, class_r_mean; /* over those; NaN when there is none */

    /* suspects: every gap, and the first rows in full. */
    int64_t nsuspects;
    double *gap;               /* nsuspects values, in file order (largest first) */
    tm_eval_suspect_t first_suspects[TM_EVAL_SHOWN];

    /* confusions: the most frequent pairs, and totals over every row. */
    int64_t npairs;
    int64_t confused_queries;  /* sum of the count column */
    int64_t ntop;              /* min(npairs, TM_EVALREP_TOP) */
    tm_eval_pair_t top[TM_EVALREP_TOP];
} tm_evalrep_t;

/*
 * The values of a partitioned run (has_parts) into p, in the words of
 * io/format.h (queries); 0 and nothing for a report without them. Local.
 */
int tm_evalrep_parts(const tm_evalrep_t *e, tm_parts_facts_t *p);

/*
 * Whether the file at path looks like an eval report rather than a mining
 * output: it opens as HDF5, has no dataset `triplets`, and has the root
 * attribute `num_queries` or the group `confusions`. Anything else
 * (including a file that does not open) is 0, left to the reader of
 * mining outputs to explain. Local.
 */
int tm_evalrep_detect(const char *path);

/*
 * Read the eval report at path into e (zeroed first), after checking it:
 * every root attribute of its class and scalar (those of an option may be
 * absent; a partitioned run's all or none), the groups suspects and
 * confusions (by_class optional) with every column 1-D, of its class and
 * of one length per group. Returns 0, or TM_EIO, TM_EINPUT, TM_ENOMEM with
 * err saying what and where; e must be freed either way. Local.
 */
int tm_evalrep_load(const char *path, tm_evalrep_t *e, tm_err_t *err);

/*
 * The root attribute of row fd (TM_EVAL_ATTR, not a metric) as e holds it;
 * an absent string, and an absent partitioned run's value, is none. Local.
 */
tm_value_t tm_evalrep_attr(const tm_evalrep_t *e, const tm_eval_field_t *fd);

/* Free what tm_evalrep_load allocated. Local. */
void tm_evalrep_free(tm_evalrep_t *e);

#endif
