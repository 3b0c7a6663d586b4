/*
 * test_parallel.c - the collective modules on several ranks: the
 * exchange rounds deliver every row of the data set exactly once per pass,
 * intact and with its global index, for any chunk; the output module
 * writes every rank's triplets at the right offsets, publishes the file
 * only at the end, and refuses to replace an existing file without force.
 * Registered with CTest at 1, 2, 3 and 4 ranks.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <dirent.h>
#include <immintrin.h>
#include <hdf5.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tm_unit_mpi.h"
#include "core/exact.h"
#include "comm/exchange.h"
#include "io/h5out.h"
#include "core/kernels.h"
#include "base/log.h"
#include "tripminer/mine.h"

/* A shard whose row i holds gid * 8 + k in column k and label gid % 5. */
static void make_shard(tm_shard_t *s, int64_t n_global, int64_t dim)
{
    memset(s, 0, sizeof *s);
    s->n_global = n_global;
    s->dim = dim;
    tm_shard_range(n_global, tm_unit_size(), tm_unit_rank(), &s->lo, &s->n);
    s->emb = tm_unit_alloc((size_t)(s->n * dim) * sizeof(float));
    s->labels = tm_unit_alloc((size_t)s->n * sizeof(int64_t));
    s->sqnorm = tm_unit_alloc((size_t)s->n * sizeof(double));
    for (int64_t i = 0; i < s->n; i++) {
        int64_t g = s->lo + i;
        for (int64_t k = 0; k < dim; k++)
            s->emb[i * dim + k] = (float)(g * 8 + k);
        s->labels[i] = g % 5;
    }
    tm_shard_sqnorms(s->emb, s->n, dim, s->sqnorm);
}

START_TEST(exchange_delivers_every_row_once)
{
    const int64_t sizes[] = {1, 2, 5, 37};
    const int64_t dims[] = {1, 3};
    const int64_t chunks[] = {1, 2, 7, 1000};
    for (size_t a = 0; a < sizeof sizes / sizeof *sizes; a++)
        for (size_t b = 0; b < sizeof dims / sizeof *dims; b++)
            for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
                int64_t n = sizes[a], dim = dims[b];
                tm_shard_t s;
                make_shard(&s, n, dim);
                tm_exchange_t *x = NULL;
                tm_err_t err;
                tm_err_clear(&err);
                int rc = tm_exchange_create(MPI_COMM_WORLD, &s, chunks[c], &x, &err);
                TM_ALL_ASSERT(rc == 0, "create: %s", err.msg);
                int64_t *seen = tm_unit_alloc((size_t)n * sizeof *seen);
                int bad = 0;
                /* Two passes, as semihard makes them. */
                for (int pass = 0; pass < 2; pass++) {
                    int64_t rounds = tm_exchange_rounds(x);
                    if (rounds > 0)
                        TM_ALL_ASSERT(tm_exchange_start(x, 0, &err) == 0, "start: %s", err.msg);
                    for (int64_t r = 0; r < rounds; r++) {
                        tm_rows_t rows;
                        TM_ALL_ASSERT(tm_exchange_wait(x, r, &rows, &err) == 0, "wait: %s",
                                      err.msg);
                        if (r + 1 < rounds)
                            TM_ALL_ASSERT(tm_exchange_start(x, r + 1, &err) == 0, "start: %s",
                                          err.msg);
                        for (int64_t j = 0; j < rows.n; j++) {
                            int64_t g = rows.gid[j];
                            if (g < 0 || g >= n) {
                                bad = 1;
                                continue;
                            }
                            seen[g]++;
                            for (int64_t k = 0; k < dim; k++)
                                bad |= rows.emb[j * dim + k] != (float)(g * 8 + k);
                            bad |= rows.labels[j] != g % 5;
                            bad |= rows.sqnorm[j] != tm_exact_sqnorm(rows.emb + j * dim, dim);
                            /* Ordered by (label, global index). */
                            if (j > 0)
                                bad |= !(rows.labels[j - 1] < rows.labels[j] ||
                                         (rows.labels[j - 1] == rows.labels[j] &&
                                          rows.gid[j - 1] < rows.gid[j]));
                        }
                    }
                }
                for (int64_t g = 0; g < n; g++)
                    bad |= seen[g] != 2;
                TM_ALL_ASSERT(!bad, "N %lld, D %lld, chunk %lld: a row arrived wrong, out of "
                              "order, twice or never", (long long)n, (long long)dim, (long long)chunks[c]);
                free(seen);
                tm_exchange_free(x);
                tm_shard_free(&s);
            }
}
END_TEST

/* A fresh directory agreed by all ranks (made by rank 0). */
static void shared_tmpdir(char *dir, size_t len)
{
    if (tm_unit_rank() == 0) {
        snprintf(dir, len, "/tmp/tm-parallel.XXXXXX");
        ck_assert(mkdtemp(dir) != NULL);
    }
    MPI_Bcast(dir, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD);
}

/* Number of entries in dir besides . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

START_TEST(output_offsets_and_attributes)
{
    char dir[64], path[128];
    shared_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.h5", dir);
    int rank = tm_unit_rank(), size = tm_unit_size();
    /* Rank r writes r + 1 triplets (anchor = running index), rank 1 none. */
    int64_t m = rank == 1 ? 0 : rank + 1, lo = 0;
    for (int q = 0; q < rank; q++)
        lo += q == 1 ? 0 : q + 1;
    int64_t trip[3 * 8];
    float dap[8], dan[8], loss[8];
    for (int64_t i = 0; i < m; i++) {
        trip[3 * i] = lo + i;
        trip[3 * i + 1] = 100 + lo + i;
        trip[3 * i + 2] = 200 + lo + i;
        dap[i] = (float)(lo + i);
        dan[i] = 0.5f;
        loss[i] = 0.25f;
    }
    tm_mine_params_t mp;
    tm_mine_params_default(&mp);
    mp.input = "in.h5";
    mp.metric = TM_METRIC_COSINE;
    mp.normalize = 1;
    tm_mine_summary_t sum = {10, 3, 4, 2, 6, size, 0, 0, 1, 1.5, 0.5, 0.75, 0.0, 0, 0, 0, 0, 0, 0, 0,
                             "f32", 0, 0, 0, 0.0, 0, 0, 0, 0.0, 0.0, 0};
    tm_run_record_t meta = {&mp, &sum, "test", -1, "", -1, "", 0};
    tm_err_t err;
    tm_err_clear(&err);
    int rc = tm_h5out_write_triplets(path, 0, m, trip, dap, dan, loss, &meta, MPI_COMM_WORLD, &err);
    TM_ALL_ASSERT(rc == 0, "write: %s", err.msg);

    int64_t total = 0;
    for (int q = 0; q < size; q++)
        total += q == 1 ? 0 : q + 1;
    int ok = 1;
    if (rank == 0) {
        ok &= count_entries(dir) == 1; /* no temporary file left */
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t d = H5Dopen2(f, "triplets", H5P_DEFAULT);
        hid_t sp = H5Dget_space(d);
        hsize_t dims[2] = {0, 0};
        H5Sget_simple_extent_dims(sp, dims, NULL);
        ok &= dims[0] == (hsize_t)total && dims[1] == 3;
        int64_t *all = tm_unit_alloc((size_t)(3 * total + 3) * sizeof *all);
        if (total > 0)
            H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, all);
        for (int64_t i = 0; i < total; i++)
            ok &= all[3 * i] == i && all[3 * i + 1] == 100 + i && all[3 * i + 2] == 200 + i;
        free(all);
        double ls = 0.0;
        int64_t ranks = 0;
        hid_t at = H5Aopen(f, "loss_sum", H5P_DEFAULT);
        H5Aread(at, H5T_NATIVE_DOUBLE, &ls);
        H5Aclose(at);
        at = H5Aopen(f, "ranks", H5P_DEFAULT);
        H5Aread(at, H5T_NATIVE_INT64, &ranks);
        H5Aclose(at);
        ok &= ls == 1.5 && ranks == size;
        H5Sclose(sp);
        H5Dclose(d);
        H5Fclose(f);
    }
    TM_ALL_ASSERT(ok, "the output file does not hold what the ranks wrote");

    /* Again without force: refused, the file unchanged, nothing left over. */
    struct stat before, after;
    if (rank == 0)
        stat(path, &before);
    tm_err_clear(&err);
    rc = tm_h5out_write_triplets(path, 0, m, trip, dap, dan, loss, &meta, MPI_COMM_WORLD, &err);
    TM_ALL_ASSERT(rc == TM_EEXIST, "an existing output must be refused without force (rc %d)", rc);
    if (rank == 0) {
        stat(path, &after);
        ok = before.st_ino == after.st_ino && before.st_mtime == after.st_mtime &&
             count_entries(dir) == 1;
    }
    TM_ALL_ASSERT(ok, "a refused write changed the directory");

    /* With force it replaces the file. */
    tm_err_clear(&err);
    rc = tm_h5out_write_triplets(path, 1, m, trip, dap, dan, loss, &meta, MPI_COMM_WORLD, &err);
    TM_ALL_ASSERT(rc == 0, "forced write: %s", err.msg);
    if (rank == 0) {
        ok = count_entries(dir) == 1;
        unlink(path);
        rmdir(dir);
    }
    TM_ALL_ASSERT(ok, "a forced write left a temporary file");
}
END_TEST

/* The whole of a file, in a buffer the caller frees; *len its size. */
static unsigned char *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = tm_unit_alloc((size_t)*len + 1);
    if (fread(buf, 1, (size_t)*len, f) != (size_t)*len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

#define FTZ_DAZ 0x8040u

/*
 * tm_mine_run and tm_eval_run called from a thread with flush-to-zero and
 * denormals-are-zero (a host built with -ffast-math): rows whose products
 * are float32 subnormals give the same bytes as in the default mode, on
 * every kernel, and the caller's mode is there again on return.
 */
START_TEST(library_calls_keep_to_the_default_fp_mode)
{
    char dir[64], in[128], out[2][128];
    shared_tmpdir(dir, sizeof dir);
    snprintf(in, sizeof in, "%s/in.h5", dir);
    const int rank = tm_unit_rank();
    const int64_t n = 300, dim = 24;
    if (rank == 0) {
        float *emb = tm_unit_alloc((size_t)(n * dim) * sizeof *emb);
        int64_t *lab = tm_unit_alloc((size_t)n * sizeof *lab);
        uint64_t x = 12345;
        for (int64_t i = 0; i < n * dim; i++) {
            double s = 0.0;
            for (int k = 0; k < 4; k++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                s += (double)(x >> 11) * 0x1p-53;
            }
            emb[i] = (float)((s - 2.0) * 0x1p-66); /* products near 2^-132 */
        }
        for (int64_t i = 0; i < n; i++)
            lab[i] = i % 7;
        hid_t f = H5Fcreate(in, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        hsize_t de[2] = {(hsize_t)n, (hsize_t)dim}, dl[1] = {(hsize_t)n};
        hid_t se = H5Screate_simple(2, de, NULL), sl = H5Screate_simple(1, dl, NULL);
        hid_t d = H5Dcreate2(f, "embeddings", H5T_IEEE_F32LE, se, H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
        H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, emb);
        H5Dclose(d);
        d = H5Dcreate2(f, "labels", H5T_STD_I64LE, sl, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, lab);
        H5Dclose(d);
        H5Sclose(se);
        H5Sclose(sl);
        H5Fclose(f);
        free(emb);
        free(lab);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    const tm_metric_t metrics[] = {TM_METRIC_SQEUCLIDEAN, TM_METRIC_COSINE};
    for (int e = 0; e < 2; e++) /* mine, eval */
        for (size_t k = 0; k < tm_kernel_count(); k++)
            for (size_t m = 0; m < sizeof metrics / sizeof *metrics; m++) {
                const tm_kernel_t *kernel = tm_kernel_at(k);
                if (!tm_kernel_runs(kernel))
                    continue;
                tm_mine_params_t mp;
                tm_run_params_t rp;
                tm_talk_params_t tp;
                tm_mine_params_default(&mp);
                tm_run_params_default(&rp);
                tm_talk_params_default(&tp);
                mp.input = in;
                mp.metric = metrics[m];
                rp.kernel = kernel->name;
                rp.threads = 2;
                rp.force = 1;
                tp.verbosity = TM_LOG_QUIET;
                const unsigned csr0 = _mm_getcsr();
                for (int ftz = 0; ftz < 2; ftz++) {
                    snprintf(out[ftz], sizeof out[ftz], "%s/out%d.h5", dir, ftz);
                    rp.output = out[ftz];
                    tm_err_t err;
                    tm_err_clear(&err);
                    _mm_setcsr(ftz ? csr0 | FTZ_DAZ : csr0 & ~FTZ_DAZ);
                    int rc;
                    if (e == 0) {
                        tm_mine_summary_t sum;
                        rc = tm_mine_run(&mp, &rp, &tp, MPI_COMM_WORLD, &sum, &err);
                    } else {
                        tm_eval_summary_t sum;
                        tm_eval_params_t ep;
                        tm_eval_params_default(&ep);
                        rc = tm_eval_run(&mp, &ep, &rp, &tp, MPI_COMM_WORLD, &sum, &err);
                    }
                    const unsigned after = _mm_getcsr() & FTZ_DAZ;
                    _mm_setcsr(csr0);
                    TM_ALL_ASSERT(rc == 0, "%s: %s", e ? "eval" : "mine", err.msg);
                    TM_ALL_ASSERT(after == (ftz ? FTZ_DAZ : 0u),
                                  "the caller's FTZ/DAZ were not restored (%s, kernel %s)",
                                  e ? "eval" : "mine", kernel->name);
                }
                int same = 1;
                if (rank == 0) {
                    long l0 = 0, l1 = 0;
                    unsigned char *b0 = slurp(out[0], &l0), *b1 = slurp(out[1], &l1);
                    same = b0 != NULL && b1 != NULL && l0 == l1 && memcmp(b0, b1, (size_t)l0) == 0;
                    free(b0);
                    free(b1);
                    unlink(out[0]);
                    unlink(out[1]);
                }
                TM_ALL_ASSERT(same, "%s under FTZ/DAZ differs from the default mode (kernel %s, "
                              "metric %d)", e ? "eval" : "mine", kernel->name, (int)metrics[m]);
            }
    if (rank == 0) {
        unlink(in);
        rmdir(dir);
    }
}
END_TEST

static Suite *parallel_suite(void)
{
    Suite *s = suite_create("parallel");
    TCase *tc = tcase_create("collective");
    tcase_add_test(tc, exchange_delivers_every_row_once);
    tcase_add_test(tc, output_offsets_and_attributes);
    tcase_add_test(tc, library_calls_keep_to_the_default_fp_mode);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return tm_unit_mpi_main(parallel_suite, "unit_parallel", argc, argv);
}
