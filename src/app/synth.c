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

#include <hdf5.h>

#include "io/h5out.h"
#include "base/log.h"
#include "dist/shard.h"

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

enum { STREAM_CENTRE = 1, STREAM_LABEL = 2, STREAM_NOISE = 3 };

void tm_synth_row(uint64_t seed, int64_t i, int64_t dim, int64_t classes, double spread,
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

int tm_synth_run(const tm_synth_opts_t *o, MPI_Comm comm, tm_err_t *err)
{
    int rank = 0, nranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    int rc = tm_outfile_check(o->output, o->force, comm, err);
    if (rc != 0)
        return rc;

    int64_t lo = 0, n = 0;
    tm_shard_range(o->n, nranks, rank, &lo, &n);
    size_t cnt = (size_t)(n > 0 ? n : 1);
    if (o->dim > 0 && (uint64_t)cnt > SIZE_MAX / 4 / (uint64_t)o->dim)
        rc = tm_err_set(err, TM_ENOMEM, "%lld x %lld rows do not fit in memory (synth, rank %d)",
                        (long long)n, (long long)o->dim, rank);
    float *emb = rc == 0 ? malloc(cnt * (size_t)o->dim * sizeof(float)) : NULL;
    int64_t *lab = rc == 0 ? malloc(cnt * sizeof(int64_t)) : NULL;
    if (rc == 0 && (emb == NULL || lab == NULL))
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate %lld rows of %lld floats (synth, rank %d)",
                        (long long)n, (long long)o->dim, rank);
    if (rc == 0)
        for (int64_t i = 0; i < n; i++)
            tm_synth_row(o->seed, lo + i, o->dim, o->classes, o->spread, emb + i * o->dim,
                         &lab[i]);
    rc = tm_err_agree(rc, err, comm);

    tm_outfile_t of;
    if (rc == 0)
        rc = tm_outfile_create(&of, o->output, o->force, comm, err);
    if (rc == 0) {
        rc = tm_outfile_write_rows(&of, "embeddings", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, o->n,
                                   o->dim, lo, n, emb, comm, err);
        if (rc == 0)
            rc = tm_outfile_write_rows(&of, "labels", H5T_STD_I64LE, H5T_NATIVE_INT64, o->n, 0,
                                       lo, n, lab, comm, err);
        if (rc == 0)
            rc = tm_outfile_commit(&of, NULL, comm, err);
        else
            tm_outfile_abort(&of, comm);
    }
    free(emb);
    free(lab);
    if (rc == 0)
        tm_log(TM_LOG_INFO, "wrote %lld x %lld embeddings in %lld classes to %s",
               (long long)o->n, (long long)o->dim, (long long)o->classes, o->output);
    return rc;
}
