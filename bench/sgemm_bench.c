/*
 * sgemm_bench.c - the speed limit OpenBLAS sets for tripminer on this machine.
 *
 * Times cblas_sgemm (row-major, A x B^T, the call tm_kern_gram makes) for
 *   - the miner's tile, M anchors x N candidates x K = D, on one thread, and
 *     as T independent copies running at once (one OpenMP thread each, BLAS
 *     itself single-threaded), which is how tripminer uses the machine;
 *   - one big M x N x D product with OpenBLAS using T threads;
 *   - one cube (S x S x S) with T threads, the machine's sgemm peak.
 * Each figure is the best of several repetitions of GFLOP/s = 2 M N K / s.
 * Prints one JSON object on stdout.
 *
 *   sgemm_bench --dim D [--threads T] [--tile-m 128] [--tile-n 1024]
 *               [--big 4096] [--cube 2048] [--reps 5] [--min-time 0.25]
 */
#include <cblas.h>
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    long dim, threads, tile_m, tile_n, big, cube, reps;
    double min_time;
} bench_opts_t;

/* One operand set for C = A B^T: A is m x k, B is n x k, C is m x n. */
typedef struct {
    long m, n, k;
    float *a, *b, *c;
} gemm_t;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Small deterministic values in [-1, 1), so no run meets subnormals. */
static void fill(float *x, size_t count, unsigned seed)
{
    unsigned s = seed * 2654435761u + 1u;
    for (size_t i = 0; i < count; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(s >> 8) * 0x1p-23f - 1.0f;
    }
}

/* Allocates and fills the operands; returns 0, or -1 when out of memory. */
static int gemm_init(gemm_t *g, long m, long n, long k, unsigned seed)
{
    g->m = m;
    g->n = n;
    g->k = k;
    g->a = malloc((size_t)m * (size_t)k * sizeof(float));
    g->b = malloc((size_t)n * (size_t)k * sizeof(float));
    g->c = malloc((size_t)m * (size_t)n * sizeof(float));
    if (g->a == NULL || g->b == NULL || g->c == NULL)
        return -1;
    fill(g->a, (size_t)m * (size_t)k, seed);
    fill(g->b, (size_t)n * (size_t)k, seed + 1u);
    memset(g->c, 0, (size_t)m * (size_t)n * sizeof(float));
    return 0;
}

static void gemm_free(gemm_t *g)
{
    free(g->a);
    free(g->b);
    free(g->c);
}

static void gemm_run(const gemm_t *g)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)g->m, (blasint)g->n,
                (blasint)g->k, 1.0f, g->a, (blasint)g->k, g->b, (blasint)g->k, 0.0f, g->c,
                (blasint)g->n);
}

static double gemm_flops(const gemm_t *g)
{
    return 2.0 * (double)g->m * (double)g->n * (double)g->k;
}

/* How many calls make one repetition last about min_time seconds. */
static long calibrate(const gemm_t *g, double min_time)
{
    gemm_run(g); /* warm the caches and OpenBLAS's buffers */
    long iters = 1;
    for (;;) {
        double t0 = now();
        for (long i = 0; i < iters; i++)
            gemm_run(g);
        double dt = now() - t0;
        if (dt >= min_time / 4.0 || iters >= (1L << 30)) {
            double want = (double)iters * min_time / (dt > 0.0 ? dt : 1e-9);
            return want < 1.0 ? 1 : (long)want;
        }
        iters *= 4;
    }
}

/* Best GFLOP/s of reps repetitions of iters calls, in the calling thread. */
static double time_serial(const gemm_t *g, long iters, long reps)
{
    double best = 0.0;
    for (long r = 0; r < reps; r++) {
        double t0 = now();
        for (long i = 0; i < iters; i++)
            gemm_run(g);
        double rate = gemm_flops(g) * (double)iters / (now() - t0) * 1e-9;
        if (rate > best)
            best = rate;
    }
    return best;
}

/*
 * Best aggregate GFLOP/s of `copies` threads that each run iters calls on
 * their own operands at the same time; the clock runs from the barrier
 * before the first call to the barrier after the last thread is done.
 * Returns a negative value when a thread could not allocate its operands.
 */
static double time_parallel(long m, long n, long k, int copies, long iters, long reps)
{
    double best = 0.0;
    int failed = 0;
#pragma omp parallel num_threads(copies) shared(best, failed)
    {
        gemm_t g;
        /* Each thread touches its operands first, so they sit near it. */
        int bad = gemm_init(&g, m, n, k, 17u + (unsigned)omp_get_thread_num());
        if (!bad)
            gemm_run(&g);
#pragma omp atomic
        failed += bad ? 1 : 0;
#pragma omp barrier
        double t0 = 0.0;
        for (long r = 0; r < reps && failed == 0; r++) {
#pragma omp barrier
#pragma omp master
            t0 = now();
#pragma omp barrier
            for (long i = 0; i < iters; i++)
                gemm_run(&g);
#pragma omp barrier
#pragma omp master
            {
                double rate = 2.0 * (double)m * (double)n * (double)k * (double)iters *
                              (double)copies / (now() - t0) * 1e-9;
                if (rate > best)
                    best = rate;
            }
        }
        gemm_free(&g);
    }
    return failed ? -1.0 : best;
}

static void usage(FILE *f)
{
    fputs("usage: sgemm_bench --dim D [--threads T] [--tile-m M] [--tile-n N]\n"
          "                   [--big S] [--cube S] [--reps R] [--min-time SECONDS]\n",
          f);
}

/* Parses a positive integer option value; returns -1 when it is not one. */
static long parse_pos(const char *s)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v <= 0)
        return -1;
    return v;
}

static int parse_args(int argc, char **argv, bench_opts_t *o)
{
    *o = (bench_opts_t){0, 1, 128, 1024, 4096, 2048, 5, 0.25};
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "sgemm_bench: %s needs a value\n", name);
            return -1;
        }
        const char *val = argv[++i];
        long *dst = NULL;
        if (strcmp(name, "--dim") == 0)
            dst = &o->dim;
        else if (strcmp(name, "--threads") == 0)
            dst = &o->threads;
        else if (strcmp(name, "--tile-m") == 0)
            dst = &o->tile_m;
        else if (strcmp(name, "--tile-n") == 0)
            dst = &o->tile_n;
        else if (strcmp(name, "--big") == 0)
            dst = &o->big;
        else if (strcmp(name, "--cube") == 0)
            dst = &o->cube;
        else if (strcmp(name, "--reps") == 0)
            dst = &o->reps;
        if (dst != NULL) {
            if ((*dst = parse_pos(val)) < 0) {
                fprintf(stderr, "sgemm_bench: %s wants a positive integer, not '%s'\n", name,
                        val);
                return -1;
            }
        } else if (strcmp(name, "--min-time") == 0) {
            char *end = NULL;
            o->min_time = strtod(val, &end);
            if (end == val || *end != '\0' || !(o->min_time > 0.0)) {
                fprintf(stderr, "sgemm_bench: --min-time wants seconds > 0, not '%s'\n", val);
                return -1;
            }
        } else {
            fprintf(stderr, "sgemm_bench: unknown option %s\n", name);
            return -1;
        }
    }
    if (o->dim <= 0) {
        fputs("sgemm_bench: --dim is required\n", stderr);
        return -1;
    }
    if (o->threads > 1024) {
        fputs("sgemm_bench: --threads is at most 1024\n", stderr);
        return -1;
    }
    return 0;
}

/* Times one product with OpenBLAS on `threads` threads; -1 when out of memory. */
static double time_blas_threads(long m, long n, long k, int threads, const bench_opts_t *o)
{
    gemm_t g;
    if (gemm_init(&g, m, n, k, 5u) != 0) {
        gemm_free(&g);
        return -1.0;
    }
    openblas_set_num_threads(threads);
    double rate = time_serial(&g, calibrate(&g, o->min_time), o->reps);
    openblas_set_num_threads(1);
    gemm_free(&g);
    return rate;
}

int main(int argc, char **argv)
{
    bench_opts_t o;
    if (parse_args(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    const int threads = (int)o.threads;

    /* The tile as tripminer runs it: BLAS single-threaded, our threads around it. */
    openblas_set_num_threads(1);
    gemm_t tile;
    if (gemm_init(&tile, o.tile_m, o.tile_n, o.dim, 3u) != 0) {
        fputs("sgemm_bench: out of memory\n", stderr);
        return 1;
    }
    const long iters = calibrate(&tile, o.min_time);
    const double tile_1 = time_serial(&tile, iters, o.reps);
    gemm_free(&tile);
    const double tile_t = time_parallel(o.tile_m, o.tile_n, o.dim, threads, iters, o.reps);

    const double big = time_blas_threads(o.big, o.big, o.dim, threads, &o);
    const double cube = time_blas_threads(o.cube, o.cube, o.cube, threads, &o);
    if (tile_t < 0.0 || big < 0.0 || cube < 0.0) {
        fputs("sgemm_bench: out of memory\n", stderr);
        return 1;
    }

    const char *core = openblas_get_corename();
    const char *config = openblas_get_config();
    printf("{\"corename\": \"%s\", \"config\": \"%s\", \"dim\": %ld, \"threads\": %d,\n"
           " \"tile\": {\"m\": %ld, \"n\": %ld, \"k\": %ld, \"gflops_1thread\": %.3f, "
           "\"copies\": %d, \"gflops_parallel\": %.3f},\n"
           " \"big\": {\"m\": %ld, \"n\": %ld, \"k\": %ld, \"blas_threads\": %d, "
           "\"gflops\": %.3f},\n"
           " \"cube\": {\"m\": %ld, \"n\": %ld, \"k\": %ld, \"blas_threads\": %d, "
           "\"gflops\": %.3f}}\n",
           core != NULL ? core : "unknown", config != NULL ? config : "unknown", o.dim, threads,
           o.tile_m, o.tile_n, o.dim, tile_1, threads, tile_t, o.big, o.big, o.dim, threads, big,
           o.cube, o.cube, o.cube, threads, cube);
    return 0;
}
