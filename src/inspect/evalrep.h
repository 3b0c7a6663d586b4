/*
 * evalrep.h - what "tripminer inspect" reads from the report of
 * "tripminer eval" (REPORT.h5: root attributes, the groups by_class,
 * suspects and confusions), shared by the text and JSON printers
 * (inspect.c) and the SVG (svg.c). Private to the library.
 *
 * Only what the summaries and the picture show is held: the first rows of
 * suspects and confusions, the gap column of suspects and the
 * r_precision column of by_class; the rest of the groups is streamed or
 * only checked.
 */
#ifndef TM_INSPECT_EVALREP_H
#define TM_INSPECT_EVALREP_H

#include <stdint.h>

#include "tripminer/err.h"

/* The four metrics, in the order of the report and of v[] below. */
#define TM_EVALREP_NMETRICS 4
extern const char *const tm_evalrep_metric_names[TM_EVALREP_NMETRICS];

/* Rows of suspects and confusions printed (text and JSON). */
#define TM_EVALREP_SHOWN 5
/* Rows of confusions held: the bar chart of the picture shows this many. */
#define TM_EVALREP_TOP 15

typedef struct tm_evalrep_suspect {
    int64_t query, label, positive, negative, negative_label;
    double positive_distance, negative_distance, gap;
} tm_evalrep_suspect_t;

typedef struct tm_evalrep_pair {
    int64_t label, nearest_label, count;
} tm_evalrep_pair_t;

typedef struct tm_evalrep {
    const char *path;          /* the file, as given */

    /* Root attributes. Strings are owned; reference is NULL when absent. */
    char *metric, *input, *version, *reference;
    int64_t normalize, num_queries, num_candidates, without_positive, suspects_asked;
    double v[TM_EVALREP_NMETRICS];
    int has_avg;               /* all four avg_of_avgs_<metric> are present */
    double avg[TM_EVALREP_NMETRICS];

    /* by_class (has_by_class): one row per label. */
    int has_by_class;
    int64_t classes;           /* rows */
    int64_t classes_nan;       /* rows whose r_precision is NaN (no query with a positive) */
    double *class_r_prec;      /* the finite r_precision values, classes - classes_nan of them */
    double class_r_min, class_r_max, class_r_mean; /* over those; NaN when there is none */

    /* suspects: every gap, and the first rows in full. */
    int64_t nsuspects;
    double *gap;               /* nsuspects values, in file order (largest first) */
    tm_evalrep_suspect_t first_suspects[TM_EVALREP_SHOWN];

    /* confusions: the most frequent pairs, and totals over every row. */
    int64_t npairs;
    int64_t confused_queries;  /* sum of the count column */
    int64_t ntop;              /* min(npairs, TM_EVALREP_TOP) */
    tm_evalrep_pair_t top[TM_EVALREP_TOP];
} tm_evalrep_t;

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
 * every root attribute of its class and scalar, the groups suspects and
 * confusions (by_class optional) with every column 1-D, of its class and
 * of one length per group. Returns 0, or TM_EIO, TM_EINPUT, TM_ENOMEM with
 * err saying what and where; e must be freed either way. Local.
 */
int tm_evalrep_load(const char *path, tm_evalrep_t *e, tm_err_t *err);

/* Free what tm_evalrep_load allocated. Local. */
void tm_evalrep_free(tm_evalrep_t *e);

#endif
