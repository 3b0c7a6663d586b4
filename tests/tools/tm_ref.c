/*
 * tm_ref: a deliberately naive, brute-force reference triplet miner.
 *
 * It reads the whole input serially, computes every anchor's distances in
 * double with plain sequential loops (the exact formulas of the contract in
 * docs/contract.md), applies the mining rule by direct scans over all rows, and writes
 * an output file in the format of docs/contract.md. It shares no code with the library on
 * purpose: the tests compare the library's output against this one.
 *
 * Every strategy (hard, semihard, topk, sample), the choice of the one
 * positive (--pos hardest|easiest|random) and every negative filter, in the
 * contract's order (--neg-min-dist, --neg-margin, --neg-skip, --neg-pool)
 * are here. Orders are found the naive way: an item's place in an order is
 * the number of items that come before it, counted by a full scan, so no
 * sort routine (and no comparator shared with anyone) decides anything.
 * Quadratic per anchor, cubic overall: meant for test sets of a few hundred
 * rows.
 *
 * The random choices (-s sample, --pos random) come from the documented
 * counter-based generator, written out here again: mix64 is the SplitMix64
 * finaliser, an anchor's key is mix64(seed ^ mix64(stream ^ mix64(anchor)))
 * with stream 1 for its positive and 2 for its negatives, and candidate
 * idx draws mix64(key ^ idx * 0xd1b54a32d192ed03). The candidates with the
 * smallest (draw, index) win. The anchor is its global row, or with --pairs
 * the pair's row.
 *
 * The anchors are always the rows of -i. The candidates (the rows positives
 * and negatives come from) are the rows of -i too, or the rows of the
 * --reference file. Each anchor is mined the same way in every mode: its
 * vector, its index in the output, the candidate set and what each candidate
 * is to it (positive, negative or neither). Labels decide that, or, with
 * --pairs, one given pair: its positive, and as negatives every candidate
 * that no pair of the same query names (and, without --reference, not the
 * query itself).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

/* Exit statuses, as the library uses them: 1 for a failure, 2 for usage. */
enum { EXIT_FAIL = 1, EXIT_USAGE = 2 };

enum strategy { STRAT_HARD, STRAT_SEMIHARD, STRAT_TOPK, STRAT_SAMPLE };
enum metric { METRIC_SQEUCLIDEAN, METRIC_EUCLIDEAN, METRIC_COSINE };
enum loss_kind { LOSS_HINGE, LOSS_SOFTPLUS };
enum pos_rule { POS_HARDEST, POS_EASIEST, POS_RANDOM };

/* The streams of the generator: one for the positive, one for the negatives. */
enum { STREAM_POSITIVE = 1, STREAM_NEGATIVE = 2 };

/* The parsed command line. */
struct options {
    const char *input;
    const char *output;
    const char *emb_name;
    const char *lab_name;
    const char *reference;    /* --reference FILE, or NULL. */
    const char *ref_emb_name; /* Datasets of the reference file. */
    const char *ref_lab_name;
    const char *pairs_name; /* --pairs NAME, or NULL. */
    enum strategy strategy;
    enum metric metric;
    enum loss_kind loss;
    int normalize;
    double margin;
    int64_t positives;    /* semihard: the K hardest positives; 0 = all. */
    int has_positives;    /* Whether --positives was given. */
    int64_t negatives;    /* topk, sample: K negatives per anchor, >= 1. */
    int has_neg_min_dist; /* Whether --neg-min-dist was given. */
    double neg_min_dist;  /* Drop negatives with d < this. */
    int has_neg_margin;   /* Whether --neg-margin was given. */
    double neg_margin;    /* Then drop negatives with d < d(a,p) + this. */
    int64_t neg_skip;     /* Then drop this many nearest negatives. */
    int64_t neg_pool;     /* Then only this many are eligible; -1 = all. */
    enum pos_rule pos;    /* The one positive of hard, topk and sample. */
    int has_pos;          /* Whether --pos was given (refused with --pairs). */
    uint64_t seed;        /* Key of the draws of sample and --pos random. */
    int64_t dist_pair[2]; /* --distance I J: rows to measure, or -1. */
};

/* A whole data set (the input or the reference), held in memory. */
struct dataset {
    int64_t n;
    int64_t d;
    float *x;       /* n * d values, row-major. */
    int64_t *label; /* n labels, only compared for equality; NULL when not read. */
};

/* The given pairs of --pairs: m rows of (query row, positive candidate row). */
struct pairs {
    int64_t m;
    int64_t *qp; /* m * 2 indices. */
};

/* A growing list of triplets with their exact distances and losses. */
struct result {
    int64_t count;
    int64_t capacity;
    int64_t *triplet; /* count * 3 indices: anchor, positive, negative. */
    double *d_ap;
    double *d_an;
    double *loss;
    int64_t skipped;
    int64_t short_anchors;     /* topk, sample: anchors with 1..K-1 eligible. */
    int64_t filtered_min_dist; /* What each negative filter removed, summed */
    int64_t filtered_margin;   /* over the anchors that have a positive. */
    int64_t filtered_skip;
    int64_t filtered_pool;
};

static const char *const strategy_names[] = {"hard", "semihard", "topk", "sample"};
static const char *const metric_names[] = {"sqeuclidean", "euclidean", "cosine"};
static const char *const loss_names[] = {"hinge", "softplus"};
static const char *const pos_names[] = {"hardest", "easiest", "random"};

/* Prints a failure message to stderr and exits with the given status. */
_Noreturn static void die(int status, const char *fmt, ...)
{
    va_list ap;
    fputs("tm_ref: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(status);
}

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes > 0 ? bytes : 1);
    if (p == NULL) {
        die(EXIT_FAIL, "out of memory (%zu bytes)", bytes);
    }
    return p;
}

static void usage(FILE *out)
{
    fputs("usage: tm_ref -i IN.h5 -o OUT.h5 [--embeddings NAME] [--labels NAME]\n"
          "              [-s hard|semihard|topk|sample]\n"
          "              [--metric sqeuclidean|euclidean|cosine]\n"
          "              [--normalize] [--margin A] [--loss hinge|softplus]\n"
          "              [--positives K] [--negatives K] [--pos hardest|easiest|random]\n"
          "              [--neg-min-dist X] [--neg-margin X] [--neg-skip R]\n"
          "              [--neg-pool M] [--seed S]\n"
          "              [--reference FILE [--ref-embeddings NAME]\n"
          "              [--ref-labels NAME]] [--pairs NAME]\n"
          "       tm_ref -i IN.h5 --distance I J [--metric M] [--normalize] ...\n"
          "\n"
          "Brute-force reference miner for the tripminer tests. With --distance,\n"
          "prints the exact distance between rows I and J (%.17g) instead of\n"
          "mining, e.g. to place a --neg-min-dist threshold right at a distance;\n"
          "with --reference, between row I of -i and row J of the reference.\n"
          "\n"
          "--reference FILE: anchors are the rows of -i, positives and negatives\n"
          "the rows of FILE (datasets --ref-embeddings, --ref-labels; defaults\n"
          "embeddings and labels). --pairs NAME: the M x 2 integer dataset NAME\n"
          "of -i gives (query row, positive candidate row) pairs; labels are not\n"
          "read, each pair is mined in file order with the negatives every\n"
          "candidate that no pair of the same query names (nor, without\n"
          "--reference, the query itself). --positives and --pos do not apply.\n"
          "\n"
          "Negatives, in this order: drop d < --neg-min-dist; drop d < d(a,p) +\n"
          "--neg-margin (p the anchor's one positive; not with semihard); drop the\n"
          "--neg-skip nearest; keep the --neg-pool nearest as the eligible ones.\n"
          "hard takes the nearest eligible, topk the K nearest, sample K drawn\n"
          "with --seed (written nearest first), semihard the nearest eligible\n"
          "beyond each positive, else the farthest eligible.\n"
          "Exit status: 0 success, 1 failure, 2 usage error.\n",
          out);
}

/* Returns the index of name in table, or -1 when it is not there. */
static int lookup(const char *name, const char *const *table, int size)
{
    for (int i = 0; i < size; i++) {
        if (strcmp(name, table[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* Parses a finite number >= 0 given to option name. */
static double parse_nonneg_double(const char *name, const char *text)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v) || v < 0.0) {
        usage(stderr);
        die(EXIT_USAGE, "bad %s '%s' (a finite number >= 0)", name, text);
    }
    return v;
}

/* Parses any finite number given to option name; negative ones too. */
static double parse_finite_double(const char *name, const char *text)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v)) {
        usage(stderr);
        die(EXIT_USAGE, "bad %s '%s' (a finite number)", name, text);
    }
    return v;
}

/* Parses an unsigned 64-bit decimal integer: digits only, at most 2^64 - 1. */
static uint64_t parse_u64(const char *name, const char *text)
{
    int digits = text[0] != '\0';
    for (const char *c = text; *c != '\0'; c++) {
        if (*c < '0' || *c > '9') {
            digits = 0;
        }
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = digits ? strtoull(text, &end, 10) : 0;
    if (!digits || errno != 0 || *end != '\0') {
        usage(stderr);
        die(EXIT_USAGE, "bad %s '%s' (an integer from 0 to 2^64 - 1)", name, text);
    }
    return (uint64_t)v;
}

/* Parses a decimal integer >= least given to option name. */
static int64_t parse_count(const char *name, const char *text, int64_t least)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < least) {
        usage(stderr);
        die(EXIT_USAGE, "bad %s '%s' (an integer >= %lld)", name, text, (long long)least);
    }
    return (int64_t)v;
}

/* Returns the value following option argv[*i], advancing *i past it. */
static const char *option_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        usage(stderr);
        die(EXIT_USAGE, "option %s needs a value", argv[*i]);
    }
    *i += 1;
    return argv[*i];
}

static void parse_options(int argc, char **argv, struct options *opt)
{
    opt->input = NULL;
    opt->output = NULL;
    opt->emb_name = "embeddings";
    opt->lab_name = "labels";
    opt->reference = NULL;
    opt->ref_emb_name = "embeddings";
    opt->ref_lab_name = "labels";
    opt->pairs_name = NULL;
    opt->strategy = STRAT_HARD;
    opt->metric = METRIC_SQEUCLIDEAN;
    opt->loss = LOSS_HINGE;
    opt->normalize = 0;
    opt->margin = 0.2;
    opt->positives = 0;
    opt->has_positives = 0;
    opt->negatives = 1;
    opt->has_neg_min_dist = 0;
    opt->neg_min_dist = 0.0;
    opt->has_neg_margin = 0;
    opt->neg_margin = 0.0;
    opt->neg_skip = 0;
    opt->neg_pool = -1;
    opt->pos = POS_HARDEST;
    opt->has_pos = 0;
    opt->seed = 0;
    opt->dist_pair[0] = -1;
    opt->dist_pair[1] = -1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "-i") == 0 || strcmp(a, "--input") == 0) {
            opt->input = option_value(argc, argv, &i);
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            opt->output = option_value(argc, argv, &i);
        } else if (strcmp(a, "--embeddings") == 0) {
            opt->emb_name = option_value(argc, argv, &i);
        } else if (strcmp(a, "--labels") == 0) {
            opt->lab_name = option_value(argc, argv, &i);
        } else if (strcmp(a, "--reference") == 0) {
            opt->reference = option_value(argc, argv, &i);
        } else if (strcmp(a, "--ref-embeddings") == 0) {
            opt->ref_emb_name = option_value(argc, argv, &i);
        } else if (strcmp(a, "--ref-labels") == 0) {
            opt->ref_lab_name = option_value(argc, argv, &i);
        } else if (strcmp(a, "--pairs") == 0) {
            opt->pairs_name = option_value(argc, argv, &i);
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--strategy") == 0) {
            const char *v = option_value(argc, argv, &i);
            int k = lookup(v, strategy_names, 4);
            if (k < 0) {
                usage(stderr);
                die(EXIT_USAGE, "unknown strategy '%s'", v);
            }
            opt->strategy = (enum strategy)k;
        } else if (strcmp(a, "-m") == 0 || strcmp(a, "--metric") == 0) {
            const char *v = option_value(argc, argv, &i);
            int k = lookup(v, metric_names, 3);
            if (k < 0) {
                usage(stderr);
                die(EXIT_USAGE, "unknown metric '%s'", v);
            }
            opt->metric = (enum metric)k;
        } else if (strcmp(a, "--loss") == 0) {
            const char *v = option_value(argc, argv, &i);
            int k = lookup(v, loss_names, 2);
            if (k < 0) {
                usage(stderr);
                die(EXIT_USAGE, "unknown loss '%s'", v);
            }
            opt->loss = (enum loss_kind)k;
        } else if (strcmp(a, "--margin") == 0) {
            opt->margin = parse_nonneg_double(a, option_value(argc, argv, &i));
        } else if (strcmp(a, "--positives") == 0) {
            opt->positives = parse_count(a, option_value(argc, argv, &i), 0);
            opt->has_positives = 1;
        } else if (strcmp(a, "--negatives") == 0) {
            opt->negatives = parse_count(a, option_value(argc, argv, &i), 1);
        } else if (strcmp(a, "--neg-min-dist") == 0) {
            opt->neg_min_dist = parse_nonneg_double(a, option_value(argc, argv, &i));
            opt->has_neg_min_dist = 1;
        } else if (strcmp(a, "--neg-margin") == 0) {
            opt->neg_margin = parse_finite_double(a, option_value(argc, argv, &i));
            opt->has_neg_margin = 1;
        } else if (strcmp(a, "--neg-skip") == 0) {
            opt->neg_skip = parse_count(a, option_value(argc, argv, &i), 0);
        } else if (strcmp(a, "--neg-pool") == 0) {
            opt->neg_pool = parse_count(a, option_value(argc, argv, &i), 1);
        } else if (strcmp(a, "--pos") == 0) {
            const char *v = option_value(argc, argv, &i);
            int k = lookup(v, pos_names, 3);
            if (k < 0) {
                usage(stderr);
                die(EXIT_USAGE, "unknown --pos '%s'", v);
            }
            opt->pos = (enum pos_rule)k;
            opt->has_pos = 1;
        } else if (strcmp(a, "--seed") == 0) {
            opt->seed = parse_u64(a, option_value(argc, argv, &i));
        } else if (strcmp(a, "--distance") == 0) {
            if (i + 2 >= argc) {
                usage(stderr);
                die(EXIT_USAGE, "option --distance needs two values (I J)");
            }
            opt->dist_pair[0] = parse_count(a, argv[i + 1], 0);
            opt->dist_pair[1] = parse_count(a, argv[i + 2], 0);
            i += 2;
        } else if (strcmp(a, "--normalize") == 0) {
            opt->normalize = 1;
        } else {
            usage(stderr);
            die(EXIT_USAGE, "unknown argument '%s'", a);
        }
    }
    if (opt->input == NULL || (opt->output == NULL && opt->dist_pair[0] < 0)) {
        usage(stderr);
        die(EXIT_USAGE, "-i and one of -o and --distance are required");
    }
    if (opt->pairs_name != NULL && opt->has_positives) {
        usage(stderr);
        die(EXIT_USAGE, "--positives does not apply with --pairs (each pair names its positive)");
    }
    if (opt->pairs_name != NULL && opt->has_pos) {
        usage(stderr);
        die(EXIT_USAGE, "--pos does not apply with --pairs (each pair names its positive)");
    }
    if (opt->strategy == STRAT_SEMIHARD && opt->has_neg_margin) {
        usage(stderr);
        die(EXIT_USAGE, "--neg-margin does not apply with -s semihard");
    }
}

/*
 * Whether the run uses any option of "Choosing positives and negatives";
 * only then does the output get the attributes that describe them, so an
 * output without them stays what it was before they existed.
 */
static int uses_choice_options(const struct options *opt)
{
    return opt->strategy == STRAT_SAMPLE || opt->pos != POS_HARDEST || opt->has_neg_margin ||
           opt->neg_pool >= 0 || opt->seed != 0;
}

/*
 * Reads the embeddings of an input file and, unless lab_name is NULL, its
 * labels, checking the contract. Used for -i and for --reference.
 */
static void read_set(const char *path, const char *emb_name, const char *lab_name,
                     struct dataset *ds)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        die(EXIT_FAIL, "cannot open '%s' as an HDF5 file", path);
    }

    hid_t emb = H5Dopen2(file, emb_name, H5P_DEFAULT);
    if (emb < 0) {
        die(EXIT_FAIL, "no dataset '%s' in '%s'", emb_name, path);
    }
    hid_t etype = H5Dget_type(emb);
    if (H5Tget_class(etype) != H5T_FLOAT) {
        die(EXIT_FAIL, "dataset '%s' is not floating point", emb_name);
    }
    hid_t espace = H5Dget_space(emb);
    hsize_t edims[H5S_MAX_RANK];
    int erank = H5Sget_simple_extent_dims(espace, edims, NULL);
    if (erank != 2) {
        die(EXIT_FAIL, "dataset '%s' has rank %d, not 2", emb_name, erank);
    }
    if (edims[0] < 1 || edims[1] < 1) {
        die(EXIT_FAIL, "dataset '%s' is empty (%llu x %llu)", emb_name,
            (unsigned long long)edims[0], (unsigned long long)edims[1]);
    }
    if (edims[0] > (hsize_t)INT64_MAX / edims[1] ||
        edims[0] * edims[1] > (hsize_t)(SIZE_MAX / sizeof(float))) {
        die(EXIT_FAIL, "dataset '%s' is too large", emb_name);
    }
    ds->n = (int64_t)edims[0];
    ds->d = (int64_t)edims[1];
    ds->x = xmalloc((size_t)(edims[0] * edims[1]) * sizeof(float));
    /* HDF5 converts any stored float type (f16, f64, big-endian) to float. */
    if (H5Dread(emb, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, ds->x) < 0) {
        die(EXIT_FAIL, "cannot read dataset '%s'", emb_name);
    }
    H5Sclose(espace);
    H5Tclose(etype);
    H5Dclose(emb);

    ds->label = NULL;
    if (lab_name != NULL) {
        hid_t lab = H5Dopen2(file, lab_name, H5P_DEFAULT);
        if (lab < 0) {
            die(EXIT_FAIL, "no dataset '%s' in '%s'", lab_name, path);
        }
        hid_t ltype = H5Dget_type(lab);
        if (H5Tget_class(ltype) != H5T_INTEGER) {
            die(EXIT_FAIL, "dataset '%s' is not of an integer type", lab_name);
        }
        hid_t lspace = H5Dget_space(lab);
        hsize_t ldims[H5S_MAX_RANK];
        int lrank = H5Sget_simple_extent_dims(lspace, ldims, NULL);
        if (!(lrank == 1 || (lrank == 2 && ldims[1] == 1))) {
            die(EXIT_FAIL, "dataset '%s' is not N or N x 1", lab_name);
        }
        if (ldims[0] != edims[0]) {
            die(EXIT_FAIL, "'%s' has %llu rows but '%s' has %llu", lab_name,
                (unsigned long long)ldims[0], emb_name, (unsigned long long)edims[0]);
        }
        ds->label = xmalloc((size_t)ds->n * sizeof(int64_t));
        /*
         * Unsigned 64-bit labels do not fit int64; read their bits unchanged
         * and reinterpret them, which keeps equality exact. Every other
         * integer type converts to int64 without loss.
         */
        int is_u64 = H5Tget_sign(ltype) == H5T_SGN_NONE && H5Tget_size(ltype) == 8;
        if (is_u64) {
            uint64_t *u = xmalloc((size_t)ds->n * sizeof(uint64_t));
            if (H5Dread(lab, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, u) < 0) {
                die(EXIT_FAIL, "cannot read dataset '%s'", lab_name);
            }
            for (int64_t i = 0; i < ds->n; i++) {
                memcpy(&ds->label[i], &u[i], sizeof(int64_t));
            }
            free(u);
        } else {
            if (H5Dread(lab, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ds->label) < 0) {
                die(EXIT_FAIL, "cannot read dataset '%s'", lab_name);
            }
        }
        H5Sclose(lspace);
        H5Tclose(ltype);
        H5Dclose(lab);
    }
    H5Fclose(file);

    for (int64_t r = 0; r < ds->n; r++) {
        for (int64_t i = 0; i < ds->d; i++) {
            if (!isfinite(ds->x[r * ds->d + i])) {
                die(EXIT_FAIL, "non-finite value in '%s' at row %lld", emb_name, (long long)r);
            }
        }
    }
}

/*
 * Reads the --pairs dataset of the input file: M x 2, any integer type, read
 * as int64. Every query must be a row of the input (nq rows), every positive
 * a candidate row (ncand rows); a bad one is an error naming its pair row.
 * Unsigned 64-bit values are read as such first, so one beyond INT64_MAX is
 * reported as the value it is.
 */
static void read_pairs(const struct options *opt, int64_t nq, int64_t ncand, struct pairs *pr)
{
    const char *name = opt->pairs_name;
    hid_t file = H5Fopen(opt->input, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        die(EXIT_FAIL, "cannot open '%s' as an HDF5 file", opt->input);
    }
    hid_t dset = H5Dopen2(file, name, H5P_DEFAULT);
    if (dset < 0) {
        die(EXIT_FAIL, "no pairs dataset '%s' in '%s'", name, opt->input);
    }
    hid_t type = H5Dget_type(dset);
    if (H5Tget_class(type) != H5T_INTEGER) {
        die(EXIT_FAIL, "pairs dataset '%s' is not of an integer type", name);
    }
    hid_t space = H5Dget_space(dset);
    hsize_t dims[H5S_MAX_RANK];
    int rank = H5Sget_simple_extent_dims(space, dims, NULL);
    if (rank != 2 || dims[1] != 2) {
        die(EXIT_FAIL, "pairs dataset '%s' is not M x 2 (rank %d%s)", name, rank,
            rank == 2 ? ", not 2 columns" : "");
    }
    if (dims[0] > (hsize_t)(SIZE_MAX / (2 * sizeof(int64_t)))) {
        die(EXIT_FAIL, "pairs dataset '%s' is too large", name);
    }
    pr->m = (int64_t)dims[0];
    pr->qp = xmalloc((size_t)dims[0] * 2 * sizeof(int64_t));
    int is_u64 = H5Tget_sign(type) == H5T_SGN_NONE && H5Tget_size(type) == 8;
    if (pr->m > 0 && is_u64) {
        uint64_t *u = xmalloc((size_t)dims[0] * 2 * sizeof(uint64_t));
        if (H5Dread(dset, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, u) < 0) {
            die(EXIT_FAIL, "cannot read pairs dataset '%s'", name);
        }
        for (int64_t i = 0; i < 2 * pr->m; i++) {
            if (u[i] > (uint64_t)INT64_MAX) {
                die(EXIT_FAIL, "pair row %lld of '%s': %s %llu out of range", (long long)(i / 2),
                    name, i % 2 == 0 ? "query" : "positive", (unsigned long long)u[i]);
            }
            pr->qp[i] = (int64_t)u[i];
        }
        free(u);
    } else if (pr->m > 0 &&
               H5Dread(dset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, pr->qp) < 0) {
        die(EXIT_FAIL, "cannot read pairs dataset '%s'", name);
    }
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(dset);
    H5Fclose(file);

    for (int64_t k = 0; k < pr->m; k++) {
        int64_t q = pr->qp[2 * k];
        int64_t p = pr->qp[2 * k + 1];
        if (q < 0 || q >= nq) {
            die(EXIT_FAIL,
                "pair row %lld of '%s': query %lld out of range (the input has %lld rows)",
                (long long)k, name, (long long)q, (long long)nq);
        }
        if (p < 0 || p >= ncand) {
            die(EXIT_FAIL,
                "pair row %lld of '%s': positive %lld out of range (%lld candidate rows)",
                (long long)k, name, (long long)p, (long long)ncand);
        }
    }
}

/* L2-normalises every row in place, leaving all-zero rows at zero. */
static void normalize_rows(struct dataset *ds)
{
    for (int64_t r = 0; r < ds->n; r++) {
        float *x = ds->x + r * ds->d;
        double s = 0.0;
        for (int64_t i = 0; i < ds->d; i++) {
            s += (double)x[i] * (double)x[i];
        }
        double norm = sqrt(s);
        if (norm > 0.0) {
            for (int64_t i = 0; i < ds->d; i++) {
                x[i] = (float)((double)x[i] / norm);
            }
        }
    }
}

/* The exact distance between rows a and b, in the contract's formulas. */
static double distance(enum metric m, const float *a, const float *b, int64_t d)
{
    if (m == METRIC_COSINE) {
        double dot = 0.0;
        double na = 0.0;
        double nb = 0.0;
        for (int64_t i = 0; i < d; i++) {
            dot += (double)a[i] * (double)b[i];
            na += (double)a[i] * (double)a[i];
            nb += (double)b[i] * (double)b[i];
        }
        if (na == 0.0 || nb == 0.0) {
            return 1.0;
        }
        return 1.0 - dot / (sqrt(na) * sqrt(nb));
    }
    double s = 0.0;
    for (int64_t i = 0; i < d; i++) {
        double t = (double)a[i] - (double)b[i];
        s += t * t;
    }
    return m == METRIC_EUCLIDEAN ? sqrt(s) : s;
}

static double loss_of(enum loss_kind kind, double d_ap, double d_an, double margin)
{
    double x = d_ap - d_an + margin;
    if (kind == LOSS_SOFTPLUS) {
        return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
    }
    return x > 0.0 ? x : 0.0;
}

static void push_triplet(struct result *res, int64_t a, int64_t p, int64_t n, double d_ap,
                         double d_an, double loss)
{
    if (res->count == res->capacity) {
        int64_t cap = res->capacity > 0 ? res->capacity * 2 : 64;
        res->triplet = realloc(res->triplet, (size_t)cap * 3 * sizeof(int64_t));
        res->d_ap = realloc(res->d_ap, (size_t)cap * sizeof(double));
        res->d_an = realloc(res->d_an, (size_t)cap * sizeof(double));
        res->loss = realloc(res->loss, (size_t)cap * sizeof(double));
        if (res->triplet == NULL || res->d_ap == NULL || res->d_an == NULL || res->loss == NULL) {
            die(EXIT_FAIL, "out of memory growing the triplet list");
        }
        res->capacity = cap;
    }
    int64_t k = res->count;
    res->triplet[3 * k + 0] = a;
    res->triplet[3 * k + 1] = p;
    res->triplet[3 * k + 2] = n;
    res->d_ap[k] = d_ap;
    res->d_an[k] = d_an;
    res->loss[k] = loss;
    res->count = k + 1;
}

/*
 * The two orders of the rules, both total (the index decides exact ties):
 * nearer() is (distance ascending, index ascending), the order of the
 * negatives; harder() is (distance descending, index ascending), the order
 * of the positives.
 */
static int nearer(const double *dist, int64_t i, int64_t j)
{
    return dist[i] < dist[j] || (dist[i] == dist[j] && i < j);
}

static int harder(const double *dist, int64_t i, int64_t j)
{
    return dist[i] > dist[j] || (dist[i] == dist[j] && i < j);
}

/*
 * Sets place[k] to the position of list[k] in the order before() gives to
 * the count items of list: the number of items that come before it. The
 * order is total, so the places are 0 .. count - 1, each once.
 */
static void places(int (*before)(const double *, int64_t, int64_t), const double *dist,
                   const int64_t *list, int64_t count, int64_t *place)
{
    for (int64_t k = 0; k < count; k++) {
        place[k] = 0;
        for (int64_t j = 0; j < count; j++) {
            if (j != k && before(dist, list[j], list[k])) {
                place[k]++;
            }
        }
    }
}

/* Returns the k with place[k] == r, or -1 when there is none. */
static int64_t at_place(const int64_t *place, int64_t count, int64_t r)
{
    for (int64_t k = 0; k < count; k++) {
        if (place[k] == r) {
            return k;
        }
    }
    return -1;
}

/*
 * The generator of the random choices, counter-based so that an anchor's
 * draws depend only on the seed, the anchor and the candidate: mix64 is the
 * SplitMix64 finaliser, all in uint64_t arithmetic (wrapping).
 */
static uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* The key of one anchor's draws in one stream (STREAM_POSITIVE or _NEGATIVE). */
static uint64_t draw_key(uint64_t seed, uint64_t stream, int64_t anchor)
{
    return mix64(seed ^ mix64(stream ^ mix64((uint64_t)anchor)));
}

/* The draw of candidate idx under an anchor's key. */
static uint64_t tm_draw(uint64_t key, int64_t idx)
{
    return mix64(key ^ ((uint64_t)idx * UINT64_C(0xd1b54a32d192ed03)));
}

/* The order of the draws: (draw ascending, index ascending), total. */
static int drawn_before(const uint64_t *draw, int64_t i, int64_t j)
{
    return draw[i] < draw[j] || (draw[i] == draw[j] && i < j);
}

/* places() for the order of the draws: place[k] = items drawn before list[k]. */
static void places_drawn(const uint64_t *draw, const int64_t *list, int64_t count,
                         int64_t *place)
{
    for (int64_t k = 0; k < count; k++) {
        place[k] = 0;
        for (int64_t j = 0; j < count; j++) {
            if (j != k && drawn_before(draw, list[j], list[k])) {
                place[k]++;
            }
        }
    }
}

/*
 * The negative filters, in the order of the contract: first drop every
 * negative with d < --neg-min-dist, then (--neg-margin X) every one with
 * d < d(a,p) + X, then the --neg-skip nearest of the rest (nearest by
 * (distance, index)), and of what remains only the --neg-pool nearest are
 * eligible. neg holds nneg indices in increasing order; the eligible ones go
 * to kept, still in increasing index order, and their count is returned. p is
 * the anchor's one positive (only read with --neg-margin). What each step
 * removes is added to res's counts. place is scratch of nneg entries.
 */
static int64_t filter_negatives(const struct options *opt, const double *dist, int64_t p,
                                const int64_t *neg, int64_t nneg, int64_t *kept, int64_t *place,
                                struct result *res)
{
    int64_t m = 0;
    for (int64_t k = 0; k < nneg; k++) {
        double dist_n = dist[neg[k]];
        if (opt->has_neg_min_dist && dist_n < opt->neg_min_dist) {
            res->filtered_min_dist++;
            continue;
        }
        if (opt->has_neg_margin) {
            double dist_p = dist[p];
            if (dist_n < dist_p + opt->neg_margin) {
                res->filtered_margin++;
                continue;
            }
        }
        kept[m++] = neg[k];
    }
    if (opt->neg_skip == 0 && opt->neg_pool < 0) {
        return m;
    }
    res->filtered_skip += opt->neg_skip < m ? opt->neg_skip : m;
    if (opt->neg_pool >= 0 && m - opt->neg_skip > opt->neg_pool) {
        res->filtered_pool += m - opt->neg_skip - opt->neg_pool;
    }
    places(nearer, dist, kept, m, place);
    int64_t out = 0;
    for (int64_t k = 0; k < m; k++) {
        int64_t r = place[k] - opt->neg_skip; /* Its place after the skip. */
        if (r >= 0 && (opt->neg_pool < 0 || r < opt->neg_pool)) {
            /* out <= k: the compaction never overwrites an unread entry. */
            kept[out++] = kept[k];
        }
    }
    return out;
}

/*
 * The one positive of hard, topk and sample (--pos): the hardest (largest
 * distance, ties to the smaller index), the easiest (smallest distance, ties
 * to the smaller index), or the one with the smallest (draw, index) in the
 * positive stream of anchor key_id. draw is scratch, one entry per candidate.
 */
static int64_t chosen_positive(const struct options *opt, int64_t key_id, const double *dist,
                               const int64_t *pos, int64_t npos, uint64_t *draw)
{
    int64_t best = pos[0];
    if (opt->pos == POS_RANDOM) {
        uint64_t key = draw_key(opt->seed, STREAM_POSITIVE, key_id);
        for (int64_t k = 0; k < npos; k++) {
            draw[pos[k]] = tm_draw(key, pos[k]);
        }
        for (int64_t k = 1; k < npos; k++) {
            if (drawn_before(draw, pos[k], best)) {
                best = pos[k];
            }
        }
        return best;
    }
    int (*before)(const double *, int64_t, int64_t) = opt->pos == POS_EASIEST ? nearer : harder;
    for (int64_t k = 1; k < npos; k++) {
        if (before(dist, pos[k], best)) {
            best = pos[k];
        }
    }
    return best;
}

static void push_pair(const struct options *opt, int64_t a, int64_t p, int64_t n,
                      const double *dist, struct result *res)
{
    push_triplet(res, a, p, n, dist[p], dist[n], loss_of(opt->loss, dist[p], dist[n], opt->margin));
}

/* Batch-hard: the chosen positive p and the nearest eligible negative. */
static void mine_hard(const struct options *opt, int64_t a, int64_t p, const double *dist,
                      const int64_t *neg, int64_t nneg, struct result *res)
{
    int64_t best_n = neg[0];
    for (int64_t k = 1; k < nneg; k++) {
        if (nearer(dist, neg[k], best_n)) {
            best_n = neg[k];
        }
    }
    push_pair(opt, a, p, best_n, dist, res);
}

/*
 * Top-k: the K nearest eligible negatives in ascending (distance, index)
 * order, each with the chosen positive p; fewer when there are fewer.
 */
static void mine_topk(const struct options *opt, int64_t a, int64_t p, const double *dist,
                      const int64_t *neg, int64_t nneg, int64_t *place, struct result *res)
{
    places(nearer, dist, neg, nneg, place);
    int64_t take = opt->negatives < nneg ? opt->negatives : nneg;
    for (int64_t r = 0; r < take; r++) {
        int64_t k = at_place(place, nneg, r);
        if (k < 0) {
            die(EXIT_FAIL, "internal error: no negative at place %lld", (long long)r);
        }
        push_pair(opt, a, p, neg[k], dist, res);
    }
}

/*
 * Sample: the K eligible negatives with the smallest (draw, index) in the
 * negative stream of anchor key_id (all of them when there are fewer),
 * written with the chosen positive p in ascending (distance, index) order.
 * draw is scratch per candidate, sel and place scratch of nneg entries.
 */
static void mine_sample(const struct options *opt, int64_t a, int64_t key_id, int64_t p,
                        const double *dist, const int64_t *neg, int64_t nneg, uint64_t *draw,
                        int64_t *sel, int64_t *place, struct result *res)
{
    uint64_t key = draw_key(opt->seed, STREAM_NEGATIVE, key_id);
    for (int64_t k = 0; k < nneg; k++) {
        draw[neg[k]] = tm_draw(key, neg[k]);
    }
    places_drawn(draw, neg, nneg, place);
    int64_t nsel = 0;
    for (int64_t k = 0; k < nneg; k++) {
        if (place[k] < opt->negatives) {
            sel[nsel++] = neg[k];
        }
    }
    places(nearer, dist, sel, nsel, place);
    for (int64_t r = 0; r < nsel; r++) {
        int64_t k = at_place(place, nsel, r);
        if (k < 0) {
            die(EXIT_FAIL, "internal error: no drawn negative at place %lld", (long long)r);
        }
        push_pair(opt, a, p, sel[k], dist, res);
    }
}

/*
 * Semihard: for each selected positive p, hardest first, the negative with
 * the smallest distance above d(a,p) (ties: smaller index); when no negative
 * is farther than p, the farthest negative (ties: smaller index). The
 * negatives are the eligible ones; --pos does not apply.
 */
static void mine_semihard(const struct options *opt, int64_t a, const double *dist,
                          const int64_t *pos, int64_t npos, const int64_t *neg, int64_t nneg,
                          int64_t *place, struct result *res)
{
    places(harder, dist, pos, npos, place);
    int64_t take = opt->positives > 0 && opt->positives < npos ? opt->positives : npos;
    for (int64_t r = 0; r < take; r++) {
        int64_t k = at_place(place, npos, r);
        if (k < 0) {
            die(EXIT_FAIL, "internal error: no positive at place %lld", (long long)r);
        }
        int64_t p = pos[k];
        int64_t best = -1;
        for (int64_t j = 0; j < nneg; j++) {
            int64_t n = neg[j];
            if (dist[n] > dist[p] && (best < 0 || nearer(dist, n, best))) {
                best = n;
            }
        }
        if (best < 0) {
            best = neg[0];
            for (int64_t j = 1; j < nneg; j++) {
                /* Increasing index: only a strictly larger distance wins. */
                if (dist[neg[j]] > dist[best]) {
                    best = neg[j];
                }
            }
        }
        push_pair(opt, a, p, best, dist, res);
    }
}

/* What a candidate is to the anchor being mined. */
enum role { ROLE_NEITHER, ROLE_POSITIVE, ROLE_NEGATIVE };

/* Per-anchor scratch, one entry per candidate row in each array. */
struct scratch {
    double *dist;
    int64_t *pos;
    int64_t *neg;
    int64_t *kept;
    int64_t *place;
    int64_t *sel;        /* sample: the drawn negatives. */
    uint64_t *draw;      /* The draw of each candidate, where one is made. */
    unsigned char *role; /* enum role of each candidate. */
};

/*
 * Mines one anchor in any mode: its vector xa, the index a it has in the
 * output, key_id the anchor of its draws (a, or with --pairs the pair's
 * row), the candidate set cand, and w->role, what each candidate is to it.
 * Its distance row to every candidate, its positives and negatives in
 * increasing index order, its one positive (not semihard), the negative
 * filters, the rule. An anchor without a positive counts in no filter.
 */
static void mine_anchor(const struct options *opt, const float *xa, int64_t a, int64_t key_id,
                        const struct dataset *cand, struct scratch *w, struct result *res)
{
    int64_t npos = 0;
    int64_t nneg = 0;
    for (int64_t j = 0; j < cand->n; j++) {
        w->dist[j] = distance(opt->metric, xa, cand->x + j * cand->d, cand->d);
        if (w->role[j] == ROLE_POSITIVE) {
            w->pos[npos++] = j;
        } else if (w->role[j] == ROLE_NEGATIVE) {
            w->neg[nneg++] = j;
        }
    }
    if (npos == 0) {
        res->skipped++;
        return;
    }
    int64_t p = -1;
    if (opt->strategy != STRAT_SEMIHARD) {
        p = chosen_positive(opt, key_id, w->dist, w->pos, npos, w->draw);
    }
    int64_t nkept = filter_negatives(opt, w->dist, p, w->neg, nneg, w->kept, w->place, res);
    if (nkept == 0) {
        res->skipped++;
        return;
    }
    if ((opt->strategy == STRAT_TOPK || opt->strategy == STRAT_SAMPLE) &&
        nkept < opt->negatives) {
        res->short_anchors++;
    }
    switch (opt->strategy) {
    case STRAT_HARD:
        mine_hard(opt, a, p, w->dist, w->kept, nkept, res);
        break;
    case STRAT_SEMIHARD:
        mine_semihard(opt, a, w->dist, w->pos, npos, w->kept, nkept, w->place, res);
        break;
    case STRAT_TOPK:
        mine_topk(opt, a, p, w->dist, w->kept, nkept, w->place, res);
        break;
    case STRAT_SAMPLE:
        mine_sample(opt, a, key_id, p, w->dist, w->kept, nkept, w->draw, w->sel, w->place, res);
        break;
    }
}

/*
 * Labels mode: the candidates with anchor a's label are its positives, the
 * others its negatives. Without a reference the candidates are the input
 * itself (same_set), and a is not its own positive.
 */
static void classify_by_label(const struct dataset *ds, int64_t a, const struct dataset *cand,
                              int same_set, unsigned char *role)
{
    for (int64_t j = 0; j < cand->n; j++) {
        if (cand->label[j] != ds->label[a]) {
            role[j] = ROLE_NEGATIVE;
        } else if (same_set && j == a) {
            role[j] = ROLE_NEITHER;
        } else {
            role[j] = ROLE_POSITIVE;
        }
    }
}

/*
 * Pairs mode, pair row k = (q, p): p is the one positive; every candidate
 * that some pair of q names (p included) is no negative of q, nor, without a
 * reference (same_set), q itself; every other candidate is a negative.
 */
static void classify_pair(const struct pairs *pr, int64_t k, int64_t ncand, int same_set,
                          unsigned char *role)
{
    int64_t q = pr->qp[2 * k];
    for (int64_t j = 0; j < ncand; j++) {
        role[j] = ROLE_NEGATIVE;
    }
    for (int64_t i = 0; i < pr->m; i++) {
        if (pr->qp[2 * i] == q) {
            role[pr->qp[2 * i + 1]] = ROLE_NEITHER;
        }
    }
    if (same_set) {
        role[q] = ROLE_NEITHER;
    }
    role[pr->qp[2 * k + 1]] = ROLE_POSITIVE;
}

static void write_string_attr(hid_t loc, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t at = H5Acreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    if (at < 0 || H5Awrite(at, t, &value) < 0) {
        die(EXIT_FAIL, "cannot write attribute '%s'", name);
    }
    H5Aclose(at);
    H5Sclose(s);
    H5Tclose(t);
}

static void write_double_attr(hid_t loc, const char *name, double value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t at = H5Acreate2(loc, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    if (at < 0 || H5Awrite(at, H5T_NATIVE_DOUBLE, &value) < 0) {
        die(EXIT_FAIL, "cannot write attribute '%s'", name);
    }
    H5Aclose(at);
    H5Sclose(s);
}

static void write_int_attr(hid_t loc, const char *name, int64_t value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t at = H5Acreate2(loc, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    if (at < 0 || H5Awrite(at, H5T_NATIVE_INT64, &value) < 0) {
        die(EXIT_FAIL, "cannot write attribute '%s'", name);
    }
    H5Aclose(at);
    H5Sclose(s);
}

static void write_u64_attr(hid_t loc, const char *name, uint64_t value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t at = H5Acreate2(loc, name, H5T_STD_U64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    if (at < 0 || H5Awrite(at, H5T_NATIVE_UINT64, &value) < 0) {
        die(EXIT_FAIL, "cannot write attribute '%s'", name);
    }
    H5Aclose(at);
    H5Sclose(s);
}

/* Writes one dataset of the given shape; zero-sized datasets are allowed. */
static void write_dataset(hid_t file, const char *name, hid_t ftype, hid_t mtype, int rank,
                          const hsize_t *dims, const void *data)
{
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t dset = H5Dcreate2(file, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (dset < 0) {
        die(EXIT_FAIL, "cannot create dataset '%s'", name);
    }
    if (dims[0] > 0 && H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        die(EXIT_FAIL, "cannot write dataset '%s'", name);
    }
    H5Dclose(dset);
    H5Sclose(s);
}

/*
 * Writes the output file. ds is the input (its rows are the anchors); ref is
 * the reference set or NULL, pr the given pairs or NULL; each adds its
 * attributes after the ones every output has. The options of choosing
 * positives and negatives, when in use, add theirs after all of those.
 */
static void write_output(const struct options *opt, const struct dataset *ds,
                         const struct dataset *ref, const struct pairs *pr,
                         const struct result *res)
{
    int64_t m = res->count;
    float *d_ap = xmalloc((size_t)m * sizeof(float));
    float *d_an = xmalloc((size_t)m * sizeof(float));
    float *loss = xmalloc((size_t)m * sizeof(float));
    double loss_sum = 0.0;
    int64_t active = 0;
    for (int64_t k = 0; k < m; k++) {
        d_ap[k] = (float)res->d_ap[k];
        d_an[k] = (float)res->d_an[k];
        loss[k] = (float)res->loss[k];
        if (loss[k] > 0.0f) {
            active++;
        }
        loss_sum += (double)loss[k];
    }
    double loss_mean = m > 0 ? loss_sum / (double)m : 0.0;
    double loss_mean_active = active > 0 ? loss_sum / (double)active : 0.0;

    hid_t file = H5Fcreate(opt->output, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        die(EXIT_FAIL, "cannot create '%s'", opt->output);
    }
    hsize_t tdims[2] = {(hsize_t)m, 3};
    hsize_t vdims[1] = {(hsize_t)m};
    write_dataset(file, "triplets", H5T_STD_I64LE, H5T_NATIVE_INT64, 2, tdims, res->triplet);
    write_dataset(file, "d_ap", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, vdims, d_ap);
    write_dataset(file, "d_an", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, vdims, d_an);
    write_dataset(file, "loss", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, vdims, loss);

    write_string_attr(file, "strategy", strategy_names[opt->strategy]);
    write_string_attr(file, "metric", metric_names[opt->metric]);
    write_string_attr(file, "loss", loss_names[opt->loss]);
    write_string_attr(file, "input", opt->input);
    write_string_attr(file, "version", "reference");
    write_double_attr(file, "margin", opt->margin);
    write_double_attr(file, "loss_sum", loss_sum);
    write_double_attr(file, "loss_mean", loss_mean);
    write_double_attr(file, "loss_mean_active", loss_mean_active);
    write_int_attr(file, "normalize", opt->normalize);
    write_int_attr(file, "num_embeddings", ds->n);
    write_int_attr(file, "dim", ds->d);
    write_int_attr(file, "num_triplets", m);
    write_int_attr(file, "active_triplets", active);
    write_int_attr(file, "skipped_anchors", res->skipped);
    write_int_attr(file, "ranks", 1);
    if (ref != NULL) {
        write_string_attr(file, "reference", opt->reference);
        write_int_attr(file, "num_reference", ref->n);
    }
    if (pr != NULL) {
        write_int_attr(file, "num_pairs", pr->m);
    }
    if (uses_choice_options(opt)) {
        write_int_attr(file, "short_anchors", res->short_anchors);
        write_int_attr(file, "filtered_min_dist", res->filtered_min_dist);
        write_int_attr(file, "filtered_margin", res->filtered_margin);
        write_int_attr(file, "filtered_skip", res->filtered_skip);
        write_int_attr(file, "filtered_pool", res->filtered_pool);
        write_string_attr(file, "pos", pos_names[opt->pos]);
        write_u64_attr(file, "seed", opt->seed);
        write_double_attr(file, "neg_margin", opt->has_neg_margin ? opt->neg_margin : NAN);
        write_int_attr(file, "neg_pool", opt->neg_pool); /* -1 when not given. */
    }

    if (H5Fclose(file) < 0) {
        die(EXIT_FAIL, "cannot close '%s'", opt->output);
    }
    free(d_ap);
    free(d_an);
    free(loss);
}

int main(int argc, char **argv)
{
    struct options opt;
    parse_options(argc, argv, &opt);
    /* Our own messages say what failed; HDF5's error stack would be noise. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    /* With --pairs no labels are read, of the input or of the reference. */
    int with_labels = opt.pairs_name == NULL;
    struct dataset ds;
    read_set(opt.input, opt.emb_name, with_labels ? opt.lab_name : NULL, &ds);
    struct dataset ref;
    memset(&ref, 0, sizeof ref);
    if (opt.reference != NULL) {
        read_set(opt.reference, opt.ref_emb_name, with_labels ? opt.ref_lab_name : NULL, &ref);
        if (ref.d != ds.d) {
            die(EXIT_FAIL, "the reference '%s' has dimension %lld but the input '%s' has %lld",
                opt.reference, (long long)ref.d, opt.input, (long long)ds.d);
        }
    }
    if (opt.normalize) {
        normalize_rows(&ds);
        if (opt.reference != NULL) {
            normalize_rows(&ref);
        }
    }
    /* The candidates: the reference rows, or the input rows themselves. */
    const struct dataset *cand = opt.reference != NULL ? &ref : &ds;
    int same_set = cand == &ds;
    if (opt.dist_pair[0] >= 0) {
        int64_t i = opt.dist_pair[0];
        int64_t j = opt.dist_pair[1];
        if (i >= ds.n || j >= cand->n) {
            if (same_set) {
                die(EXIT_FAIL, "--distance %lld %lld: the input has %lld rows", (long long)i,
                    (long long)j, (long long)ds.n);
            }
            die(EXIT_FAIL, "--distance %lld %lld: the input has %lld rows, the reference %lld",
                (long long)i, (long long)j, (long long)ds.n, (long long)cand->n);
        }
        printf("%.17g\n", distance(opt.metric, ds.x + i * ds.d, cand->x + j * cand->d, ds.d));
        free(ds.x);
        free(ds.label);
        free(ref.x);
        free(ref.label);
        return 0;
    }
    struct pairs pr = {0, NULL};
    if (opt.pairs_name != NULL) {
        read_pairs(&opt, ds.n, cand->n, &pr);
    }

    struct result res;
    memset(&res, 0, sizeof res);
    size_t n = (size_t)cand->n;
    struct scratch w = {.dist = xmalloc(n * sizeof(double)),
                        .pos = xmalloc(n * sizeof(int64_t)),
                        .neg = xmalloc(n * sizeof(int64_t)),
                        .kept = xmalloc(n * sizeof(int64_t)),
                        .place = xmalloc(n * sizeof(int64_t)),
                        .sel = xmalloc(n * sizeof(int64_t)),
                        .draw = xmalloc(n * sizeof(uint64_t)),
                        .role = xmalloc(n)};
    if (opt.pairs_name != NULL) {
        /* One anchor pair per row, in file order; its draws are keyed on the row. */
        for (int64_t k = 0; k < pr.m; k++) {
            int64_t q = pr.qp[2 * k];
            classify_pair(&pr, k, cand->n, same_set, w.role);
            mine_anchor(&opt, ds.x + q * ds.d, q, k, cand, &w, &res);
        }
    } else {
        for (int64_t a = 0; a < ds.n; a++) {
            classify_by_label(&ds, a, cand, same_set, w.role);
            mine_anchor(&opt, ds.x + a * ds.d, a, a, cand, &w, &res);
        }
    }
    write_output(&opt, &ds, opt.reference != NULL ? &ref : NULL,
                 opt.pairs_name != NULL ? &pr : NULL, &res);

    free(w.dist);
    free(w.pos);
    free(w.neg);
    free(w.kept);
    free(w.place);
    free(w.sel);
    free(w.draw);
    free(w.role);
    free(pr.qp);
    free(ref.x);
    free(ref.label);
    free(res.triplet);
    free(res.d_ap);
    free(res.d_an);
    free(res.loss);
    free(ds.x);
    free(ds.label);
    return 0;
}
