/*
 * opts.h - command-line options of every command, their parsing,
 * validation and --help texts.
 *
 * Every rank parses the same argv, so parsing is local and every rank
 * reaches the same verdict without communicating.
 */
#ifndef TRIPMINER_OPTS_H
#define TRIPMINER_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "tripminer/err.h"

typedef enum { TM_STRATEGY_HARD, TM_STRATEGY_SEMIHARD, TM_STRATEGY_TOPK } tm_strategy_t;
typedef enum { TM_METRIC_SQEUCLIDEAN, TM_METRIC_EUCLIDEAN, TM_METRIC_COSINE } tm_metric_t;
typedef enum { TM_LOSS_HINGE, TM_LOSS_SOFTPLUS } tm_loss_kind_t;

/* Options of "tripminer mine". Strings point into argv. */
typedef struct tm_mine_opts {
    const char *input;
    const char *output;
    const char *emb_name;
    const char *lab_name;
    tm_strategy_t strategy;
    tm_metric_t metric;
    int normalize;
    double margin;
    tm_loss_kind_t loss;
    int64_t positives;    /* semihard: K hardest positives, 0 = all */
    int64_t negatives;    /* topk: K */
    int has_neg_min_dist;
    double neg_min_dist;
    int64_t neg_skip;
    int64_t chunk;        /* rows per rank and round; 0 = auto */
    int threads;
    int64_t mem_limit;    /* bytes per rank; 0 = auto */
    const char *checkpoint_dir;
    double checkpoint_every;
    int resume;
    int json;
    int verbosity;        /* TM_LOG_* level */
    int force;
    int help;             /* --help was given: print usage, do nothing else */
} tm_mine_opts_t;

/* Options of "tripminer synth". */
typedef struct tm_synth_opts {
    const char *output;
    int64_t n;
    int64_t dim;
    int64_t classes;
    uint64_t seed;
    double spread;
    int force;
    int verbosity;
    int help;
} tm_synth_opts_t;

/* Names as the command line and the output file spell them. Local. */
const char *tm_strategy_name(tm_strategy_t s);
const char *tm_metric_name(tm_metric_t m);
const char *tm_loss_name(tm_loss_kind_t l);

/* Fill opts with the defaults of SPEC.md. Local. */
void tm_mine_opts_default(tm_mine_opts_t *opts);
void tm_synth_opts_default(tm_synth_opts_t *opts);

/*
 * Parse the arguments that follow the command word (argv[0] is the first
 * option). On success returns 0 (with opts->help set if --help was seen);
 * on a bad command line returns TM_EUSAGE with err saying what and where.
 * Local.
 */
int tm_mine_opts_parse(int argc, char **argv, tm_mine_opts_t *opts, tm_err_t *err);
int tm_synth_opts_parse(int argc, char **argv, tm_synth_opts_t *opts, tm_err_t *err);

/*
 * Parse a byte count with an optional K, M, G or T suffix (powers of 1024).
 * Returns 0 and sets *out, or TM_EUSAGE. Local.
 */
int tm_opts_parse_bytes(const char *s, int64_t *out);

/* Print the --help texts. Local. */
void tm_usage_main(FILE *f);
void tm_usage_mine(FILE *f);
void tm_usage_synth(FILE *f);

#endif
