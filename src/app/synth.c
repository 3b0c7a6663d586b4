/*
 * synth.c - reproducible synthetic data, made in parallel.
 *
 * Every random number comes from a counter-based stream: the value of
 * (seed, purpose, index, k) does not depend on which rank makes it, so the
 * file is the same bits for any number of ranks. Two kinds of set: the
 * isotropic one (class centres on the sphere plus noise), and the latent
 * mixture (classes in R^K carried into R^D by a fixed random smooth map),
 * whose map every rank draws once from the same streams.
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

/* The purposes of the streams; the latent mixture's come after the rest. */
enum { STREAM_CENTRE = 1, STREAM_LABEL = 2, STREAM_NOISE = 3, STREAM_PICK = 4,
       STREAM_QUERY = 5, STREAM_LATENT_CENTRE = 6, STREAM_LATENT_NOISE = 7,
       STREAM_MAP_IN = 8, STREAM_MAP_BIAS = 9, STREAM_MAP_OUT = 10 };

/* The class of row i, uniform over 0..classes-1: the same in both kinds. */
static int64_t class_of(uint64_t seed, int64_t i, int64_t classes)
{
    int64_t c = (int64_t)(uniform(seed, STREAM_LABEL, (uint64_t)i, 0) * (double)classes);
    return c < classes ? c : classes - 1;
}

static void synth_row_in(uint64_t seed, int64_t i, int64_t dim, int64_t classes, double spread,
                  float *row, int64_t *label)
{
    const int64_t c = class_of(seed, i, classes);
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

/* ---- the latent mixture -------------------------------------------------- */

/*
 * The map x = B tanh(A z + b) from R^K to R^D, with H hidden units. The
 * matrices are stored transposed, so that the inner loops run over the
 * outputs and each output's sum is taken in index order whether or not the
 * compiler vectorises them.
 */
struct tm_synth_gen {
    uint64_t seed;
    int64_t dim, classes, latent, hidden;
    double spread;
    double *in;      /* in[k * hidden + j] = A[j][k], N(0, 1/K) */
    double *bias;    /* b[j], N(0, 1/4) */
    double *out;     /* out[j * dim + d] = B[d][j], N(0, 1/H) */
    double *z, *h, *x; /* one row's scratch: latent, hidden and dim doubles */
};

/* Hidden units of the map for latent dimension k. */
static int64_t hidden_of(int64_t k)
{
    return 2 * k > 64 ? 2 * k : 64;
}

/* n doubles, or NULL (also when n doubles do not fit in a size_t). */
static double *doubles(int64_t n)
{
    if (n < 1 || (uint64_t)n > SIZE_MAX / sizeof(double))
        return NULL;
    return malloc((size_t)n * sizeof(double));
}

/* Draw the map's weights from the streams (seed, purpose, row, column). */
static void draw_map(tm_synth_gen_t *g)
{
    const int64_t k_n = g->latent, h_n = g->hidden, d_n = g->dim;
    const double sa = 1.0 / sqrt((double)k_n), sb = 1.0 / sqrt((double)h_n);
    for (int64_t j = 0; j < h_n; j++) {
        for (int64_t k = 0; k < k_n; k++)
            g->in[k * h_n + j] = sa * normal(g->seed, STREAM_MAP_IN, (uint64_t)j, (uint64_t)k);
        g->bias[j] = 0.5 * normal(g->seed, STREAM_MAP_BIAS, (uint64_t)j, 0);
    }
    for (int64_t d = 0; d < d_n; d++)
        for (int64_t j = 0; j < h_n; j++)
            g->out[j * d_n + d] = sb * normal(g->seed, STREAM_MAP_OUT, (uint64_t)d, (uint64_t)j);
}

/*
 * Row i of the latent mixture: z = m_c + (spread / sqrt(K)) e, with m_c
 * and e of N(0, 1) coordinates from the streams (seed, c) and (seed, i);
 * x = B tanh(A z + b), in double, normalised to unit length like the
 * isotropic rows, then rounded to float.
 */
static void latent_row(tm_synth_gen_t *g, int64_t i, float *row, int64_t *label)
{
    const int64_t k_n = g->latent, h_n = g->hidden, d_n = g->dim;
    const int64_t c = class_of(g->seed, i, g->classes);
    *label = c;
    const double s = g->spread / sqrt((double)k_n);
    double *z = g->z, *h = g->h, *x = g->x;
    for (int64_t k = 0; k < k_n; k++)
        z[k] = normal(g->seed, STREAM_LATENT_CENTRE, (uint64_t)c, (uint64_t)k) +
               s * normal(g->seed, STREAM_LATENT_NOISE, (uint64_t)i, (uint64_t)k);
    memcpy(h, g->bias, (size_t)h_n * sizeof *h);
    for (int64_t k = 0; k < k_n; k++) {
        const double *a = g->in + k * h_n;
        for (int64_t j = 0; j < h_n; j++)
            h[j] += a[j] * z[k];
    }
    for (int64_t j = 0; j < h_n; j++)
        h[j] = tanh(h[j]);
    memset(x, 0, (size_t)d_n * sizeof *x);
    for (int64_t j = 0; j < h_n; j++) {
        const double *b = g->out + j * d_n;
        for (int64_t d = 0; d < d_n; d++)
            x[d] += b[d] * h[j];
    }
    double rn = 0.0;
    for (int64_t d = 0; d < d_n; d++)
        rn += x[d] * x[d];
    rn = sqrt(rn);
    for (int64_t d = 0; d < d_n; d++)
        row[d] = (float)(rn > 0.0 ? x[d] / rn : x[d]);
}

void tm_synth_gen_free(tm_synth_gen_t *g)
{
    if (g == NULL)
        return;
    free(g->in);
    free(g->bias);
    free(g->out);
    free(g->z);
    free(g->h);
    free(g->x);
    free(g);
}

static int gen_create_in(const tm_synth_opts_t *o, tm_synth_gen_t **gen, tm_err_t *err)
{
    *gen = NULL;
    /* The isotropic set takes what it always took; the map needs the CLI's ranges. */
    if (o->latent_dim < 0 || o->latent_dim > TM_SYNTH_LATENT_DIM_MAX)
        return tm_err_set(err, TM_EUSAGE, "--latent-dim must be between 1 and %d, got %lld "
                          "(synth)", TM_SYNTH_LATENT_DIM_MAX, (long long)o->latent_dim);
    if (o->latent_dim > 0 && (o->dim < 1 || o->dim > (int64_t)1 << 20 || o->classes < 1))
        return tm_err_set(err, TM_EUSAGE, "--dim %lld or --classes %lld out of range (synth)",
                          (long long)o->dim, (long long)o->classes);
    tm_synth_gen_t *g = calloc(1, sizeof *g);
    if (g == NULL)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate a row generator (synth)");
    g->seed = o->seed;
    g->dim = o->dim;
    g->classes = o->classes;
    g->spread = o->spread;
    g->latent = o->latent_dim;
    if (g->latent > 0) {
        g->hidden = hidden_of(g->latent);
        const int64_t h_n = g->hidden;
        /* h_n <= 8192 and dim <= 2^20: no product overflows. */
        g->in = doubles(g->latent * h_n);
        g->bias = doubles(h_n);
        g->out = doubles(h_n * g->dim);
        g->z = doubles(g->latent);
        g->h = doubles(h_n);
        g->x = doubles(g->dim);
        if (!g->in || !g->bias || !g->out || !g->z || !g->h || !g->x) {
            const int64_t total = h_n * (g->latent + 2 + g->dim) + g->latent + g->dim;
            tm_synth_gen_free(g);
            return tm_err_set(err, TM_ENOMEM, "cannot allocate the latent map: %lld doubles "
                              "(synth --latent-dim %lld, -d %lld)", (long long)total,
                              (long long)o->latent_dim, (long long)o->dim);
        }
        draw_map(g);
    }
    *gen = g;
    return 0;
}

/* Row i of g's set, either kind. */
static void gen_row_in(tm_synth_gen_t *g, int64_t i, float *row, int64_t *label)
{
    if (g->latent > 0)
        latent_row(g, i, row, label);
    else
        synth_row_in(g->seed, i, g->dim, g->classes, g->spread, row, label);
}

/* The public entry points, in the default floating-point environment. */
int tm_synth_gen_create(const tm_synth_opts_t *o, tm_synth_gen_t **gen, tm_err_t *err)
{
    tm_fpenv_t fp;
    tm_fpenv_enter(&fp);
    const int rc = gen_create_in(o, gen, err);
    tm_fpenv_leave(&fp);
    return rc;
}

void tm_synth_gen_row(tm_synth_gen_t *g, int64_t i, float *row, int64_t *label)
{
    tm_fpenv_t fp;
    tm_fpenv_enter(&fp);
    gen_row_in(g, i, row, label);
    tm_fpenv_leave(&fp);
}

/* ---- queries --------------------------------------------------------------- */

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
static void query_row(const tm_synth_opts_t *o, tm_synth_gen_t *g, int64_t q, float *row,
                      int64_t *label, int64_t *pos, float *scratch)
{
    const int64_t dim = o->dim;
    query_positives(o->seed, q, o->n, o->query_positives, pos);
    double *acc = calloc((size_t)dim, sizeof *acc);
    for (int64_t t = 0; t < o->query_positives; t++) {
        int64_t lab;
        gen_row_in(g, pos[t], scratch, &lab);
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

static int make_block(const tm_synth_opts_t *o, tm_synth_gen_t *g, int queries, int rank,
                      int nranks, block_t *b, tm_err_t *err)
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
            gen_row_in(g, b->lo + i, row, &b->lab[i]);
            continue;
        }
        query_row(o, g, b->lo + i, row, &b->lab[i], pos, scratch);
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

    /* Each rank draws the latent map itself: the same bits from the same streams. */
    block_t rows = {0, 0, NULL, NULL, NULL}, queries = {0, 0, NULL, NULL, NULL};
    tm_synth_gen_t *gen = NULL;
    rc = gen_create_in(o, &gen, err);
    if (rc == 0)
        rc = make_block(o, gen, 0, rank, nranks, &rows, err);
    if (rc == 0 && o->queries > 0)
        rc = make_block(o, gen, 1, rank, nranks, &queries, err);
    tm_synth_gen_free(gen);
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
    if (rc == 0 && o->latent_dim > 0)
        tm_log(TM_LOG_INFO, "wrote %lld x %lld embeddings in %lld classes of latent dimension "
               "%lld to %s", (long long)o->n, (long long)o->dim, (long long)o->classes,
               (long long)o->latent_dim, o->output);
    else if (rc == 0)
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
