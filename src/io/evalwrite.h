/*
 * evalwrite.h - write the report of `tripminer eval` (REPORT.h5): the
 * root attributes and the groups of io/evalfmt.h's tables, without times,
 * so that the same report is the same bytes.
 */
#ifndef TM_IO_EVALWRITE_H
#define TM_IO_EVALWRITE_H

#include <stdint.h>

#include "io/evalfmt.h"
#include "tripminer/err.h"

/* The rows of each group (tm_eval_groups order), as computed. */
typedef struct tm_eval_tables {
    const void *rows[TM_EVAL_NGROUPS]; /* tm_eval_class_t, tm_eval_suspect_t, tm_eval_pair_t */
    int64_t n[TM_EVAL_NGROUPS];
} tm_eval_tables_t;

/*
 * Write the report to s->run->output through a temporary name beside it
 * (replaced only with s->run->force): the root attributes of the fields
 * s has, in table order, then each group it has with t's rows. Returns 0,
 * or TM_EIO / TM_EEXIST with err filled; nothing is left behind on
 * failure. Local (rank 0, HDF5's serial driver).
 */
int tm_eval_write(const tm_eval_sources_t *s, const tm_eval_tables_t *t, tm_err_t *err);

#endif
