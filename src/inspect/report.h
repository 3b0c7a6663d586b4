/*
 * report.h - what "tripminer inspect" learns from a mining output,
 * shared by the text and JSON printers (inspect.c) and the SVG writer
 * (svg.c). Private to the library.
 */
#ifndef TM_INSPECT_REPORT_H
#define TM_INSPECT_REPORT_H

#include <stdint.h>

#include "tripminer/err.h"
#include "tripminer/inspect.h"
#include "io/format.h"

/* Everything the printers and the picture need. */
typedef struct tm_inspect_report {
    const char *path;          /* the file, as given */
    /*
     * The root attributes: attr[k] for each row k of io/format.h's field
     * table that is an attribute (strings owned by the report).
     */
    tm_value_t attr[TM_FIELDS_MAX];
    int64_t m;                 /* rows of every dataset */

    /*
     * Rows whose d_ap and d_an are both finite (n of them) make the
     * statistics; the others are only counted. The three arrays hold n
     * values each, sorted ascending (so not row-aligned any more).
     */
    int64_t n;
    int64_t nonfinite;
    float *d_ap;
    float *d_an;
    double *diff;              /* d_an - d_ap, in double (exact) */
    int64_t below_margin;      /* rows with d_an - d_ap < margin */

    double q_ap[TM_INSPECT_NQ], q_an[TM_INSPECT_NQ], q_diff[TM_INSPECT_NQ];

    /* The loss column, streamed: finite values only in sum, min, max. */
    int64_t loss_active;       /* loss > 0 */
    int64_t loss_nonfinite;
    double loss_col_sum, loss_col_min, loss_col_max;

    tm_inspect_hist_t hist;    /* of d_an - d_ap, anchored at the margin */
} tm_inspect_report_t;

/*
 * Read the mining output at path into r (zeroed first), after checking
 * that it is one: the four datasets with their classes and shapes, equal
 * lengths, every root attribute of its class, num_triplets equal to the
 * length. The histogram aims at bins bins. Returns 0, or TM_EIO,
 * TM_EINPUT, TM_ENOMEM with err saying what and where; r must be freed
 * either way. Local (serial HDF5 access).
 */
int tm_inspect_report_load(const char *path, int bins, tm_inspect_report_t *r, tm_err_t *err);

/* The attribute of that name (a row of the field table), as read. Local. */
const char *tm_report_str(const tm_inspect_report_t *r, const char *name);
double tm_report_f64(const tm_inspect_report_t *r, const char *name);
int64_t tm_report_i64(const tm_inspect_report_t *r, const char *name);

/*
 * The values of a partitioned run into p, in the words of io/format.h
 * (anchors): 1 when the output has every one of them (mined with
 * --partitions), else 0 and p zeroed. Local.
 */
int tm_report_parts(const tm_inspect_report_t *r, tm_parts_facts_t *p);

/* Free what tm_inspect_report_load allocated. Local. */
void tm_inspect_report_free(tm_inspect_report_t *r);

#endif
