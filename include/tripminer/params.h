/*
 * params.h - the parameters of a mining job, in three parts that never
 * mix: what to mine (every value the output depends on), how to run it
 * (none of which changes an output byte) and how to talk (what is printed).
 * The command line fills them (tripminer/opts.h); a program may fill them
 * itself and call tm_mine_run (tripminer/mine.h).
 */
#ifndef TRIPMINER_PARAMS_H
#define TRIPMINER_PARAMS_H

#include <stdint.h>

#include "tripminer/metric.h"

/* What to mine. Strings are borrowed (argv, or the caller's). */
typedef struct tm_mine_params {
    const char *input;        /* the HDF5 input file */
    const char *emb_name;     /* its embeddings dataset */
    const char *lab_name;     /* its labels dataset */
    const char *strategy;     /* a mining strategy by name (rules/registry.c) */
    tm_metric_t metric;
    int normalize;            /* L2-normalise rows when reading */
    double margin;
    tm_loss_kind_t loss;
    int64_t positives;        /* semihard: the K hardest positives, 0 = all */
    int64_t negatives;        /* topk: K */
    int has_neg_min_dist;     /* --neg-min-dist given */
    double neg_min_dist;
    int64_t neg_skip;
    /*
     * Queries against a reference set: anchors are the rows of input,
     * positives and negatives the rows of reference (NULL: the input
     * against itself), read from ref_emb_name and ref_lab_name.
     */
    const char *reference;
    const char *ref_emb_name;
    const char *ref_lab_name;
    /*
     * Given positive pairs: the name of an M x 2 integer dataset of the
     * input, (query row, positive candidate row) per anchor pair; labels
     * are then not read. NULL: labels decide.
     */
    const char *pairs;
    /*
     * Choosing positives and negatives (docs/contract.md): which positive,
     * the positive-aware margin, the pool of eligible negatives, and the
     * seed of every random draw (sample, --pos random).
     */
    tm_pos_t pos;
    int has_neg_margin;       /* --neg-margin given */
    double neg_margin;
    int64_t neg_pool;         /* the M nearest eligible; -1: all */
    uint64_t seed;
    /*
     * Partitioned mining (docs/contract.md, "Partitions"): k-means
     * partitions of the candidates, 0 for the exact sweep, -1 for auto
     * (about 4 sqrt(N)); the partitions each anchor's negatives come from;
     * the anchors (drawn by seed) mined exactly as well, to measure what
     * the partitions missed (0: none).
     */
    int64_t partitions;
    int64_t probe;
    int64_t check;
} tm_mine_params_t;

/* What tripminer eval reports besides the metrics over the whole set. */
typedef struct tm_eval_params {
    int by_class;             /* the values per label, and their unweighted means */
    int64_t suspects;         /* the queries listed as suspects, at most */
} tm_eval_params_t;

/* How to run it: the output is the same bytes whatever these are. */
typedef struct tm_run_params {
    const char *output;       /* the HDF5 output file */
    int force;                /* replace an existing output */
    int64_t chunk;            /* rows per rank and round; 0 = auto */
    int threads;              /* 0 = auto: the CPUs of each rank's affinity mask */
    int64_t mem_limit;        /* bytes per rank; 0 = auto */
    const char *checkpoint_dir; /* NULL: no checkpoints */
    double checkpoint_every;  /* seconds */
    int resume;
    double stall_timeout;     /* seconds without progress that end the job; 0 = never */
    /*
     * The fast filter's arithmetic (--kernel): a kernel's name as --kernel
     * spells it ("f32" is float32 sgemm; --help lists the others), or NULL
     * or "auto": the fastest this CPU runs. Every kernel gives the same
     * output bytes.
     */
    const char *kernel;
} tm_run_params_t;

/* How to talk. */
typedef struct tm_talk_params {
    int json;                 /* the summary as one JSON object */
    int verbosity;            /* a TM_LOG_* level */
} tm_talk_params_t;

/* What a run reports (valid on rank 0 after tm_mine_run). */
typedef struct tm_mine_summary {
    int64_t num_embeddings, dim, num_triplets, active_triplets, skipped_anchors;
    int64_t ranks;
    int64_t chunk, rounds;
    int64_t threads;          /* compute threads of rank 0 */
    double loss_sum, loss_mean, loss_mean_active;
    double seconds;
    int64_t num_reference;    /* rows of the reference (--reference), else 0 */
    int64_t num_pairs;        /* anchor pairs (--pairs), else 0 */
    /* What the choice of negatives did (in a choosing run: docs/contract.md). */
    int64_t short_anchors;    /* got fewer than K triplets, but some */
    int64_t filtered_min_dist, filtered_margin, filtered_skip, filtered_pool;
    /*
     * The tile kernel (--kernel as rank 0 resolved it) and what the tiles of
     * every rank did: pairs whose dot products the fast kernel computed and
     * those float32 did, and the exact distances the rules computed on them
     * (rechecked, and as a fraction of all those pairs).
     */
    const char *kernel;
    int64_t pairs_fast, pairs_f32, rechecked;
    double rechecked_fraction;
    /*
     * Partitioned mining (0 partitions: none): the partitions and the probe
     * used; the anchors the check mined exactly too, the fraction of them
     * whose triplets equal the exact ones, the fraction of the exact
     * (anchor, negative) pairs the partitions found (NaN when none), and
     * the anchors proven exact.
     */
    int64_t partitions, probe;
    int64_t check_anchors;
    double check_identical, check_recall;
    int64_t certified_anchors;
} tm_mine_summary_t;

/*
 * Of the report of tripminer eval, what the summary shows (rank 0). It
 * stands beside tm_mine_summary_t for the same reason: the table of the
 * report's values (io/evalfmt.c) takes values from it.
 */
enum { TM_EVAL_SHOWN = 5 };
typedef struct tm_eval_summary {
    int64_t num_queries, num_candidates, without_positive;
    double p_at_1, r_prec, map_at_r, mrr;
    int64_t classes;          /* labels with a query that has a positive (--by-class) */
    double avg[4];            /* their unweighted means, in the order above (--by-class);
                                 io/evalfmt.c checks that it has a place per metric */
    int64_t num_suspects, num_confusions;
    struct {
        int64_t query, label, pos, neg, neg_label;
        double pos_val, neg_val, gap;
    } suspect[TM_EVAL_SHOWN];
    struct {
        int64_t label, nearest_label, count;
    } confusion[TM_EVAL_SHOWN];
    int64_t ranks, threads;
    double seconds;
    const char *kernel;       /* the tile kernel, as in tm_mine_summary_t */
    int64_t pairs_fast, pairs_f32;
    double rechecked_fraction;
    /*
     * Partitioned ranking (--partitions; 0 partitions: none), as in
     * tm_mine_summary_t: the partitions and the probe used; the queries
     * the check ranked exactly too, the fraction of them whose record
     * equals the exact one, the fraction whose nearest negative is the
     * exact one (NaN when none), and the queries proven exact.
     */
    int64_t partitions, probe;
    int64_t check_anchors;
    double check_identical, check_recall;
    int64_t certified_anchors;
} tm_eval_summary_t;

/* The defaults of the contract (docs/contract.md). Local. */
void tm_mine_params_default(tm_mine_params_t *p);
void tm_run_params_default(tm_run_params_t *r);
void tm_talk_params_default(tm_talk_params_t *t);
void tm_eval_params_default(tm_eval_params_t *e);

#endif
