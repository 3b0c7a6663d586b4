/*
 * output.h - private to run/: what the results of a finished job become,
 * one row per output kind of the rules (rules/rule.h): triplets go through
 * their losses into the output file (mine), records into the eval report.
 * The driver (mine.c) takes the row of its rule's kind and never asks
 * which it is.
 */
#ifndef TM_RUN_OUTPUT_H
#define TM_RUN_OUTPUT_H

#include "rules/rule.h"
#include "run/job.h"
#include "tripminer/err.h"

typedef struct tm_output {
    /*
     * Whether -o must name a new file before anything is read (mine), or
     * is checked only when given (eval).
     */
    int needs_file;

    /*
     * The engine's results (tm_job_t.res), ready to be written: 0 or an
     * error, the same on every rank. Collective over the job's comm.
     */
    int (*finish)(tm_job_t *j, tm_err_t *err);

    /* Write them and fill the summary (rank 0). Collective. */
    int (*write)(tm_job_t *j, tm_err_t *err);

    /* The job's times and totals into the summary, once written. Local. */
    void (*summary)(tm_job_t *j);
} tm_output_t;

/* The row of an output kind. Local. */
const tm_output_t *tm_output_of(tm_output_kind_t kind);

#endif
