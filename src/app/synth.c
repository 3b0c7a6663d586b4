/*
 * synth.c - reproducible synthetic data, made in parallel.
 *
 * Every random number comes from a counter-based stream: the value of
 * (seed, purpose, index, k) does not depend on which rank makes it, so the
 * file is the same bits for any number of ranks.
 */
#include "tripminer/synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5out.h"
#include "base/fpenv.h"
#include "base/log.h"
#include "comm/shard.h"

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A uniform double in (0, 1) from the stream (seed, a, b, k). */
static double uniform(uint64_t seed, uint64_t a, uint64_t b, uint64_t k)
{
    uint64_t h = mix64(seed ^ mix64(a ^ mix64(b ^ mix64(k))));
    return ((double)(h >> 11) + 0.5) * 0x1p-53;
}

/* A standard normal from the stream, by Box-Muller. */
static double normal(uint64_t seed, uint64_t a, uint64_t b, uint64_t k)
{
    double u1 = uniform(seed, a, b, 2 * k), u2 = uniform(seed, a, b, 2 * k + 1);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

enum { STREAM_CENTRE = 1, STREAM_LABEL = 2, STREAM_NOISE = 3, STREAM_PICK = 4,
       STREAM_QUERY = 5 };

static void synth_row_in(uint64_t seed, int64_t i, int64_t dim, int64_t classes, double spread,
                  float *row, int64_t *label)
{
    int64_t c = (int64_t)(uniform(seed, STREAM_LABEL, (uint64_t)i, 0) * (double)classes);
    if (c >= classes)
        c = classes - 1;
    *label = c;

    /* The centre: a normal vector, normalised, the same for every row of c. */
    double cn = 0.0;
    for (int64_t k = 0; k < dim; k++) {
        double v = normal(seed, STREAM_CENTRE, (uint64_t)c, (uint64_t)k);
        cn += v * v;
    }
    cn = sqrt(cn);
    double scale = spread / sqrt((double)dim);
    double rn = 0.0;
    double *tmp = malloc((size_t)dim * sizeof *tmp);
    if (tmp == NULL) {
        /* Without scratch, fall back to the centre alone (still on the sphere). */
        for (int64_t k = 0; k < dim; k++)
            row[k] = (float)(normal(seed, STREAM_CENTRE, (uint64_t)c, (uint64_t)k) / cn);
        return;
    }
    for (int64_t k = 0; k < dim; k++) {
        double v = normal(seed, STREAM_CENTRE, (uint64_t)c, (uint64_t)k) / cn +
                   scale * normal(seed, STREAM_NOISE, (uint64_t)i, (uint64_t)k);
        tmp[k] = v;
        rn += v * v;
    }
    rn = sqrt(rn);
    for (int64_t k = 0; k < dim; k++)
        row[k] = (float)(rn > 0.0 ? tmp[k] / rn : tmp[k]);
    free(tmp);
}

/* The public entry point, in the default floating-point environment. */
void tm_synth_row(uint64_t seed, int64_t i, int64_t dim, int64_t classes, double spread,
                  float *row, int64_t *label)
{
    tm_fpenv_t fp;
    tm_fpenv_enter(&fp);
    synth_row_in(seed, i, dim, classes, spread, row, label);
    tm_fpenv_leave(&fp);
}

/*
 * The positives of query q: p distinct corpus rows drawn uniformly (with
 * repeats only when the corpus has fewer than p rows).
 */
static void query_positives(uint64_t seed, int64_t q, int64_t n, int64_t p, int64_t *pos)
{
    uint64_t k = 0;
    for (int64_t t = 0; t < p; t++) {
        int64_t r;
        int again;
        do {
            r = (int64_t)(uniform(seed, STREAM_PICK, (uint64_t)q, k++) * (double)n);
            r = r < n ? r : n - 1;
            again = 0;
            for (int64_t u = 0; u < t && n >= p; u++)
                again |= pos[u] == r;
        } while (again);
        pos[t] = r;
    }
}

/*
 * Query q: the sum of its positives' rows plus noise of norm spread,
 * projected onto the unit sphere; its label is its first positive's.
 * scratch holds dim floats and p indices' worth of room (pos).
 */
static void query_row(const tm_synth_opts_t *o, int64_t q, float *row, int64_t *label,
                      int64_t *pos, float *scratch)
{
    const int64_t dim = o->dim;
    query_positives(o->seed, q, o->n, o->query_positives, pos);
    double *acc = calloc((size_t)dim, sizeof *acc);
    for (int64_t t = 0; t < o->query_positives; t++) {
        int64_t lab;
        synth_row_in(o->seed, pos[t], dim, o->classes, o->spread, scratch, &lab);
        if (t == 0)
            *label = lab;
        for (int64_t k = 0; acc != NULL && k < dim; k++)
            acc[k] += scratch[k];
    }
    if (acc == NULL) {
        memcpy(row, scratch, (size_t)dim * sizeof *row); /* the last positive alone */
        return;
    }
    const double scale = o->spread / sqrt((double)dim);
    double rn = 0.0;
    for (int64_t k = 0; k < dim; k++) {
        acc[k] += scale * normal(o->seed, STREAM_QUERY, (uint64_t)q, (uint64_t)k);
        rn += acc[k] * acc[k];
    }
    rn = sqrt(rn);
    for (int64_t k = 0; k < dim; k++)
        row[k] = (float)(rn > 0.0 ? acc[k] / rn : acc[k]);
    free(acc);
}

/* This rank's block of rows (corpus) or queries, and of the pairs. */
typedef struct block {
    int64_t lo, n;
    float *emb;
    int64_t *lab;
    int64_t *pairs; /* queries: n * P rows of (query, corpus row) */
} block_t;

static int make_block(const tm_synth_opts_t *o, int queries, int rank, int nranks, block_t *b,
                      tm_err_t *err)
{
    const int64_t total = queries ? o->queries : o->n, per = o->query_positives;
    tm_shard_range(total, nranks, rank, &b->lo, &b->n);
    size_t cnt = (size_t)(b->n > 0 ? b->n : 1);
    if (o->dim > 0 && (uint64_t)cnt > SIZE_MAX / 4 / (uint64_t)o->dim)
        return tm_err_set(err, TM_ENOMEM, "%lld x %lld rows do not fit in memory (synth, rank %d)",
                          (long long)b->n, (long long)o->dim, rank);
    b->emb = malloc(cnt * (size_t)o->dim * sizeof(float));
    b->lab = malloc(cnt * sizeof(int64_t));
    b->pairs = queries ? malloc(cnt * (size_t)per * 2 * sizeof(int64_t)) : NULL;
    float *scratch = queries ? malloc((size_t)o->dim * sizeof(float)) : NULL;
    int64_t *pos = queries ? malloc((size_t)per * sizeof(int64_t)) : NULL;
    int rc = 0;
    if (b->emb == NULL || b->lab == NULL || (queries && (!b->pairs || !scratch || !pos)))
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate %lld rows of %lld floats (synth, rank %d)",
                        (long long)b->n, (long long)o->dim, rank);
    for (int64_t i = 0; rc == 0 && i < b->n; i++) {
        float *row = b->emb + i * o->dim;
        if (!queries) {
            synth_row_in(o->seed, b->lo + i, o->dim, o->classes, o->spread, row, &b->lab[i]);
            continue;
        }
        query_row(o, b->lo + i, row, &b->lab[i], pos, scratch);
        for (int64_t t = 0; t < per; t++) {
            b->pairs[2 * (i * per + t)] = b->lo + i;
            b->pairs[2 * (i * per + t) + 1] = pos[t];
        }
    }
    free(scratch);
    free(pos);
    return rc;
}

static void block_free(block_t *b)
{
    free(b->emb);
    free(b->lab);
    free(b->pairs);
}

/* The datasets of one block: rows and labels, and for queries the pairs. */
static int write_block(tm_outfile_t *of, const tm_synth_opts_t *o, int queries, const block_t *b,
                       MPI_Comm comm, tm_err_t *err)
{
    const int64_t total = queries ? o->queries : o->n, per = o->query_positives;
    int rc = tm_outfile_write_rows(of, queries ? "queries" : "embeddings", TM_OUT_F32, total,
                                   o->dim, b->lo, b->n, b->emb, comm, err);
    if (rc == 0)
        rc = tm_outfile_write_rows(of, queries ? "query_labels" : "labels", TM_OUT_I64, total, 0,
                                   b->lo, b->n, b->lab, comm, err);
    if (rc == 0 && queries)
        rc = tm_outfile_write_rows(of, "pairs", TM_OUT_I64, total * per, 2, b->lo * per,
                                   b->n * per, b->pairs, comm, err);
    return rc;
}

static int synth_run_in(const tm_synth_opts_t *o, MPI_Comm comm, tm_err_t *err)
{
    int rank = 0, nranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    int rc = tm_outfile_check(o->output, o->force, comm, err);
    if (rc != 0)
        return rc;

    block_t rows = {0, 0, NULL, NULL, NULL}, queries = {0, 0, NULL, NULL, NULL};
    rc = make_block(o, 0, rank, nranks, &rows, err);
    if (rc == 0 && o->queries > 0)
        rc = make_block(o, 1, rank, nranks, &queries, err);
    rc = tm_err_agree(rc, err, comm);

    tm_outfile_t of;
    if (rc == 0)
        rc = tm_outfile_create(&of, o->output, o->force, comm, err);
    if (rc == 0) {
        rc = write_block(&of, o, 0, &rows, comm, err);
        if (rc == 0 && o->queries > 0)
            rc = write_block(&of, o, 1, &queries, comm, err);
        if (rc == 0)
            rc = tm_outfile_commit(&of, NULL, comm, err);
        else
            tm_outfile_abort(&of, comm);
    }
    block_free(&rows);
    block_free(&queries);
    if (rc == 0)
        tm_log(TM_LOG_INFO, "wrote %lld x %lld embeddings in %lld classes to %s",
               (long long)o->n, (long long)o->dim, (long long)o->classes, o->output);
    if (rc == 0 && o->queries > 0)
        tm_log(TM_LOG_INFO, "and %lld queries with %lld pairs (datasets queries, query_labels, "
               "pairs)", (long long)o->queries, (long long)(o->queries * o->query_positives));
    return rc;
}

/* The public entry point, in the default floating-point environment. */
int tm_synth_run(const tm_synth_opts_t *o, MPI_Comm comm, tm_err_t *err)
{
    tm_fpenv_t fp;
    tm_fpenv_enter(&fp);
    const int rc = synth_run_in(o, comm, err);
    tm_fpenv_leave(&fp);
    return rc;
}
