/*
 * opts.h - the command-line options of mine, eval and synth, their
 * parsing, validation and --help texts (those of inspect: inspect.h).
 *
 * Every rank parses the same argv, so parsing is local and every rank
 * reaches the same verdict without communicating.
 */
#ifndef TRIPMINER_OPTS_H
#define TRIPMINER_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "tripminer/err.h"
#include "tripminer/params.h"

/* Options of "tripminer mine" and "tripminer eval": the job's parameters. */
typedef struct tm_mine_opts {
    tm_mine_params_t mine;
    tm_run_params_t run;
    tm_talk_params_t talk;
    tm_eval_params_t eval; /* tripminer eval only */
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
    int64_t queries;          /* --queries Q: also write Q queries and their pairs */
    int64_t query_positives;  /* positives (pairs) per query */
    int64_t latent_dim;       /* --latent-dim K: rows on a K-dimensional latent
                                 mixture (synth.h); 0: the isotropic set */
} tm_synth_opts_t;

/* The largest --latent-dim. */
#define TM_SYNTH_LATENT_DIM_MAX 4096

/* Fill opts with the defaults of docs/contract.md. Local. */
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

/* tripminer eval: the options of mine that apply, --by-class and --suspects. */
int tm_eval_opts_parse(int argc, char **argv, tm_mine_opts_t *opts, tm_err_t *err);

/*
 * Parse a byte count with an optional K, M, G or T suffix (powers of 1024).
 * Returns 0 and sets *out, or TM_EUSAGE. Local.
 */
int tm_opts_parse_bytes(const char *s, int64_t *out);

/* Print the --help texts. Local. */
void tm_usage_main(FILE *f);
void tm_usage_mine(FILE *f);
void tm_usage_synth(FILE *f);
void tm_usage_eval(FILE *f);

#endif
