/*
 * inspect.h - "tripminer inspect": summarise a mining output (docs/contract.md,
 * "Output") as text, JSON or an SVG picture.
 *
 * The report holds the root attributes, counts, loss statistics of the
 * loss column, quantiles of d_ap, d_an and d_an - d_ap, and a histogram of
 * d_an - d_ap whose bin edges include the margin. The statistics helpers
 * (quantiles, histogram layout) are public so that tests can check them on
 * hand-worked values.
 */
#ifndef TRIPMINER_INSPECT_H
#define TRIPMINER_INSPECT_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

#include "tripminer/err.h"

/* Default number of histogram bins aimed at (the layout gives about this). */
#define TM_INSPECT_BINS_DEFAULT 20

/* Options of "tripminer inspect". Strings point into argv. */
typedef struct tm_inspect_opts {
    const char *file;   /* the mining output to read */
    const char *svg;    /* write the picture here, or NULL */
    int bins;           /* histogram bins aimed at */
    int json;           /* print one JSON object instead of the text report */
    int force;          /* overwrite an existing --svg file */
    int verbosity;      /* TM_LOG_* level */
    int help;           /* --help was given: print usage, do nothing else */
} tm_inspect_opts_t;

/* Fill opts with the defaults. Local. */
void tm_inspect_opts_default(tm_inspect_opts_t *opts);

/*
 * Parse the arguments that follow the command word "inspect" (argv[0] is
 * the first argument). On success returns 0 (with opts->help set if --help
 * was seen); on a bad command line returns TM_EUSAGE with err saying what
 * and where. Local.
 */
int tm_inspect_opts_parse(int argc, char **argv, tm_inspect_opts_t *opts, tm_err_t *err);

/* Print the --help text of inspect. Local. */
void tm_usage_inspect(FILE *f);

/*
 * Run inspect: rank 0 reads opts->file, prints the report (text, or JSON
 * with opts->json) on out and writes the SVG if asked; the other ranks only
 * wait for its verdict. Returns 0 or the error of rank 0, on every rank,
 * with err holding its message. Collective over comm.
 */
int tm_inspect_run(const tm_inspect_opts_t *opts, MPI_Comm comm, FILE *out, tm_err_t *err);

/* ---- statistics helpers ------------------------------------------------- */

/* The quantile levels reported, in this order: min, 1 %, 50 %, 99 %, max. */
#define TM_INSPECT_NQ 5
extern const double tm_inspect_q_levels[TM_INSPECT_NQ];

/*
 * Quantile p (0 <= p <= 1) of n >= 1 values sorted in ascending order, by
 * linear interpolation between order statistics (Hyndman and Fan's type 7,
 * numpy's default): with h = (n - 1) p and j = floor(h),
 * q = x[j] + (h - j) (x[j+1] - x[j]), computed in double; q(0) is the
 * minimum, q(1) the maximum. Returns NaN when n < 1. Local.
 */
double tm_inspect_quantile_f64(const double *sorted, int64_t n, double p);
double tm_inspect_quantile_f32(const float *sorted, int64_t n, double p);

/*
 * The smallest "round" step, 1, 2, 2.5 or 5 times a power of ten, that is
 * at least raw (raw > 0 and finite); 1 for anything else. Local.
 */
double tm_inspect_nice_step(double raw);

/* A histogram with equal bins; bin i is [edges[i], edges[i+1]), the last
 * one closed [edges[n-1], edges[n]]. */
typedef struct tm_inspect_hist {
    int64_t nbins;
    double width;       /* edges[i+1] - edges[i], a round step */
    double *edges;      /* nbins + 1 edges, ascending */
    int64_t *counts;    /* nbins counts */
    int64_t total;      /* values added */
    int64_t anchor_edge; /* index of the edge equal to the anchor, or -1 */
} tm_inspect_hist_t;

/*
 * Lay out a histogram covering [lo, hi] (finite, lo <= hi) with about
 * target bins (>= 1; between about target / 1.4 and 1.4 target + 2) of a
 * round width (tm_inspect_nice_step of (hi - lo) / target / sqrt 2), placed so
 * that anchor + k * width are edges for whole k: with anchor = margin,
 * every bin of d_an - d_ap lies wholly below or wholly above the margin.
 * Counts start at zero. Returns 0, TM_ENOMEM, or TM_EINTERNAL for
 * arguments out of range (h is then empty). Local.
 */
int tm_inspect_hist_layout(tm_inspect_hist_t *h, double lo, double hi, double anchor,
                           int target);

/*
 * The bin holding x by the edges themselves (not only by arithmetic on the
 * width), clamped to the first or last bin when x is outside. Local.
 */
int64_t tm_inspect_hist_bin(const tm_inspect_hist_t *h, double x);

/* Count x in its bin. Local. */
void tm_inspect_hist_add(tm_inspect_hist_t *h, double x);

/* Free the edges and counts; h becomes empty. Local. */
void tm_inspect_hist_free(tm_inspect_hist_t *h);

#endif
