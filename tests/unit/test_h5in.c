/*
 * test_h5in.c - reading the input (h5in.h) through the MPI-IO driver.
 *
 * Rank 0 writes small input files with the serial HDF5 API into a fresh
 * temporary directory; every rank then reads them with tm_h5in_read over
 * MPI_COMM_WORLD and checks its block of rows against the values written.
 * Covered: every floating-point input type (float16 built by hand, as
 * HDF5 1.10 has no predefined half type), both byte orders, every integer
 * label type, N x 1 labels, chunked and compressed layouts, --normalize,
 * and the input errors with their codes and messages.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <float.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "tm_unit_mpi.h"
#include "io/h5in.h"
#include "io/h5rows.h"

/* The temporary directory of this run (the same path on every rank). */
static char tmp_dir[256];

static const char *path_of(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmp_dir, name);
    return buf;
}

/* ---- writing test inputs (rank 0, serial HDF5) -------------------------- */

/* One object to create in a test file. */
typedef struct obj {
    const char *name;  /* path in the file; intermediate groups are created */
    int is_group;      /* create a group instead of a dataset */
    hid_t ftype;       /* type in the file */
    hid_t mtype;       /* type of buf in memory */
    int rank;
    hsize_t dims[3];
    const void *buf;   /* NULL: leave the dataset unwritten */
    hsize_t chunk_rows; /* > 0: chunked layout with this many rows per chunk */
    int deflate;       /* with the chunked layout: deflate level, or 0 */
} obj_t;

#define CHK(x) ck_assert_msg((x) >= 0, "HDF5 call failed: %s", #x)

static void write_objects(const char *fname, const obj_t *objs, int nobj)
{
    if (tm_unit_rank() == 0) {
        hid_t f = H5Fcreate(path_of(fname), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        CHK(f);
        hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
        CHK(lcpl);
        CHK(H5Pset_create_intermediate_group(lcpl, 1));
        for (int i = 0; i < nobj; i++) {
            const obj_t *o = &objs[i];
            if (o->is_group) {
                hid_t g = H5Gcreate2(f, o->name, lcpl, H5P_DEFAULT, H5P_DEFAULT);
                CHK(g);
                H5Gclose(g);
                continue;
            }
            hid_t sp = o->rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(o->rank, o->dims, NULL);
            CHK(sp);
            hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
            CHK(dcpl);
            if (o->chunk_rows > 0) {
                hsize_t cd[3] = {o->chunk_rows, o->rank > 1 ? o->dims[1] : 1,
                                 o->rank > 2 ? o->dims[2] : 1};
                CHK(H5Pset_chunk(dcpl, o->rank, cd));
                if (o->deflate > 0) {
                    CHK(H5Pset_shuffle(dcpl));
                    CHK(H5Pset_deflate(dcpl, (unsigned)o->deflate));
                }
            }
            hid_t d = H5Dcreate2(f, o->name, o->ftype, sp, lcpl, dcpl, H5P_DEFAULT);
            CHK(d);
            hsize_t count = 1;
            for (int k = 0; k < o->rank; k++)
                count *= o->dims[k];
            if (o->buf != NULL && count > 0)
                CHK(H5Dwrite(d, o->mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, o->buf));
            H5Dclose(d);
            H5Pclose(dcpl);
            H5Sclose(sp);
        }
        H5Pclose(lcpl);
        CHK(H5Fclose(f));
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

/* The usual pair: float32 embeddings n x d and int64 labels n. */
static void write_pair(const char *fname, const float *emb, int64_t n, int64_t d,
                       const int64_t *lab)
{
    obj_t o[2] = {
        {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {(hsize_t)n, (hsize_t)d}, emb, 0, 0},
        {"labels", 0, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, {(hsize_t)n}, lab, 0, 0},
    };
    write_objects(fname, o, 2);
}

/* A 16-bit IEEE half type of the given byte order. */
static hid_t make_f16(H5T_order_t order)
{
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    CHK(t);
    /* Fields first, then the precision can shrink to 16 bits, then the size. */
    CHK(H5Tset_fields(t, 15, 10, 5, 0, 10));
    CHK(H5Tset_precision(t, 16));
    CHK(H5Tset_ebias(t, 15));
    CHK(H5Tset_size(t, 2));
    CHK(H5Tset_order(t, order));
    return t;
}

/* Decode a half-precision bit pattern, independently of HDF5. */
static float half_to_float(uint16_t h)
{
    int sign = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return (float)(sign ? -v : v);
}

/* ---- reading and checking ------------------------------------------------ */

static int read_input(const char *fname, const char *emb, const char *lab, int normalize,
                      int64_t mem_limit, tm_shard_t *s, tm_err_t *err)
{
    tm_h5in_req_t req = {path_of(fname), emb, lab, normalize, mem_limit, "input"};
    tm_err_clear(err);
    return tm_h5in_read(&req, MPI_COMM_WORLD, s, err);
}

static int read_default(const char *fname, tm_shard_t *s, tm_err_t *err)
{
    return read_input(fname, "embeddings", "labels", 0, 0, s, err);
}

static double seq_sqnorm(const float *a, int64_t dim)
{
    double q = 0.0;
    for (int64_t k = 0; k < dim; k++)
        q += (double)a[k] * (double)a[k];
    return q;
}

/*
 * Check a successful read against the global expected values: shape, this
 * rank's block, embeddings bit for bit, labels exactly, squared norms.
 */
static void expect_shard(const char *what, int rc, const tm_err_t *err, const tm_shard_t *s,
                         const float *emb, const int64_t *lab, int64_t n, int64_t d)
{
    TM_ALL_ASSERT(rc == 0, "%s: tm_h5in_read returned %d: %s", what, rc, err->msg);
    char why[512] = "";
    int64_t total = 0;
    MPI_Allreduce((void *)&s->n, &total, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    if (s->n_global != n || s->dim != d || total != n || s->lo < 0 || s->lo + s->n > n)
        snprintf(why, sizeof why, "shape %lld x %lld, rows [%lld, +%lld), expected %lld x %lld",
                 (long long)s->n_global, (long long)s->dim, (long long)s->lo, (long long)s->n,
                 (long long)n, (long long)d);
    for (int64_t i = 0; i < s->n && why[0] == '\0'; i++) {
        const int64_t g = s->lo + i;
        for (int64_t k = 0; k < d; k++) {
            float want = emb[g * d + k], got = s->emb[i * d + k];
            if (memcmp(&want, &got, sizeof want) != 0) {
                snprintf(why, sizeof why, "embeddings[%lld][%lld] = %a, expected %a",
                         (long long)g, (long long)k, got, want);
                break;
            }
        }
        if (why[0] == '\0' && s->labels[i] != lab[g])
            snprintf(why, sizeof why, "labels[%lld] = %lld (0x%llx), expected %lld (0x%llx)",
                     (long long)g, (long long)s->labels[i], (unsigned long long)s->labels[i],
                     (long long)lab[g], (unsigned long long)lab[g]);
        if (why[0] == '\0' && s->sqnorm[i] != seq_sqnorm(emb + g * d, d))
            snprintf(why, sizeof why, "sqnorm[%lld] = %.17g, expected %.17g", (long long)g,
                     s->sqnorm[i], seq_sqnorm(emb + g * d, d));
    }
    TM_ALL_ASSERT(why[0] == '\0', "%s: rank %d: %s", what, tm_unit_rank(), why);
}

/* Check a failed read: code, message contents, and nothing left allocated. */
static void expect_error(const char *what, int rc, const tm_err_t *err, const tm_shard_t *s,
                         int code, const char *needle, const char *needle2)
{
    TM_ALL_ASSERT(rc == code, "%s: rc %d, expected %d; message '%s'", what, rc, code, err->msg);
    TM_ALL_ASSERT(err->code == code, "%s: err.code %d, expected %d", what, err->code, code);
    TM_ALL_ASSERT(needle == NULL || strstr(err->msg, needle) != NULL,
                  "%s: message '%s' does not contain '%s'", what, err->msg, needle);
    TM_ALL_ASSERT(needle2 == NULL || strstr(err->msg, needle2) != NULL,
                  "%s: message '%s' does not contain '%s'", what, err->msg, needle2);
    TM_ALL_ASSERT(s->emb == NULL && s->labels == NULL && s->sqnorm == NULL,
                  "%s: the shard keeps memory after an error", what);
}

/* ---- successful reads ---------------------------------------------------- */

enum { N7 = 7, D3 = 3 };

/* Values of every kind float32 has: normal, subnormal, signed zero, extremes. */
static void sample_f32(float *emb, int64_t n, int64_t d, uint64_t seed)
{
    tm_rng_t r = tm_rng_make(seed);
    for (int64_t i = 0; i < n * d; i++)
        emb[i] = (float)(tm_rng_sym(&r) * ldexp(1.0, (int)tm_rng_below(&r, 40) - 20));
    emb[1] = -0.0f;
    emb[2] = 0x1p-149f;
    emb[4] = FLT_MAX;
    emb[5] = -FLT_MAX;
}

static const int64_t lab7[N7] = {3, -1, 3, INT64_MIN, INT64_MAX, 0, -1};

START_TEST(test_read_float32)
{
    float emb[N7 * D3];
    sample_f32(emb, N7, D3, 1);
    write_pair("f32.h5", emb, N7, D3, lab7);
    tm_shard_t s;
    tm_err_t err;
    int rc = read_default("f32.h5", &s, &err);
    expect_shard("float32", rc, &err, &s, emb, lab7, N7, D3);
    tm_shard_free(&s);
}
END_TEST

START_TEST(test_read_float64)
{
    double src[N7 * D3];
    float want[N7 * D3];
    tm_rng_t r = tm_rng_make(2);
    for (int i = 0; i < N7 * D3; i++)
        src[i] = tm_rng_sym(&r) * 1e3 + tm_rng_unit(&r) * 1e-9;
    src[0] = 0.1;
    src[1] = 1.0 / 3.0;
    /* A float32 subnormal, a value near -FLT_MAX, and one that rounds to 0. */
    src[2] = 1e-40;
    src[3] = -3e38;
    src[4] = 1e-50;
    for (int i = 0; i < N7 * D3; i++)
        want[i] = (float)src[i];
    obj_t o[2] = {
        {"embeddings", 0, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, {N7, D3}, src, 0, 0},
        {"labels", 0, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, {N7}, lab7, 0, 0},
    };
    write_objects("f64.h5", o, 2);
    tm_shard_t s;
    tm_err_t err;
    int rc = read_default("f64.h5", &s, &err);
    expect_shard("float64", rc, &err, &s, want, lab7, N7, D3);
    tm_shard_free(&s);
}
END_TEST

/* Loop index: 0 little-endian, 1 big-endian half floats. */
START_TEST(test_read_float16)
{
    static const uint16_t bits[4 * 2] = {
        0x3C00, 0xC000, /* 1, -2 */
        0x3800, 0x7BFF, /* 0.5, 65504 (the largest half) */
        0x0001, 0x3555, /* 2^-24 (the smallest subnormal), 0.333251953125 */
        0x0000, 0x8000, /* 0, -0 */
    };
    float want[8];
    for (int i = 0; i < 8; i++)
        want[i] = half_to_float(bits[i]);
    ck_assert(want[0] == 1.0f && want[3] == 65504.0f && want[4] == 0x1p-24f);
    hid_t mem = make_f16(H5T_ORDER_LE);
    hid_t file = make_f16(_i ? H5T_ORDER_BE : H5T_ORDER_LE);
    static const int64_t lab[4] = {1, 2, 1, 2};
    obj_t o[2] = {
        {"embeddings", 0, file, mem, 2, {4, 2}, bits, 0, 0},
        {"labels", 0, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, {4}, lab, 0, 0},
    };
    write_objects("f16.h5", o, 2);
    H5Tclose(mem);
    H5Tclose(file);
    tm_shard_t s;
    tm_err_t err;
    int rc = read_default("f16.h5", &s, &err);
    expect_shard(_i ? "float16 big-endian" : "float16", rc, &err, &s, want, lab, 4, 2);
    tm_shard_free(&s);
}
END_TEST

/* Loop index: 0 float32, 1 float64, both stored big-endian, with big-endian labels. */
START_TEST(test_read_big_endian)
{
    float emb[N7 * D3];
    double emb64[N7 * D3];
    sample_f32(emb, N7, D3, 3);
    for (int i = 0; i < N7 * D3; i++)
        emb64[i] = emb[i];
    obj_t o[2] = {
        {"embeddings", 0, _i ? H5T_IEEE_F64BE : H5T_IEEE_F32BE,
         _i ? H5T_NATIVE_DOUBLE : H5T_NATIVE_FLOAT, 2, {N7, D3}, _i ? (void *)emb64 : (void *)emb,
         0, 0},
        {"labels", 0, H5T_STD_I64BE, H5T_NATIVE_INT64, 1, {N7}, lab7, 0, 0},
    };
    write_objects("be.h5", o, 2);
    tm_shard_t s;
    tm_err_t err;
    int rc = read_default("be.h5", &s, &err);
    expect_shard(_i ? "float64 big-endian" : "float32 big-endian", rc, &err, &s, emb, lab7, N7,
                 D3);
    tm_shard_free(&s);
}
END_TEST

/* Every integer label type: 4 sizes x signed/unsigned x 2 byte orders. */
START_TEST(test_read_label_types)
{
    const int size_ix = _i % 4, is_unsigned = _i / 4 % 2, big = _i / 8;
    static const char *size_names[4] = {"8", "16", "32", "64"};
    hid_t types[2][2][4] = {
        {{H5T_STD_I8LE, H5T_STD_I16LE, H5T_STD_I32LE, H5T_STD_I64LE},
         {H5T_STD_U8LE, H5T_STD_U16LE, H5T_STD_U32LE, H5T_STD_U64LE}},
        {{H5T_STD_I8BE, H5T_STD_I16BE, H5T_STD_I32BE, H5T_STD_I64BE},
         {H5T_STD_U8BE, H5T_STD_U16BE, H5T_STD_U32BE, H5T_STD_U64BE}},
    };
    const int bitsz = 8 << size_ix;
    enum { N = 6 };
    int64_t want[N];
    uint64_t uv[N];
    int64_t sv[N];
    if (is_unsigned) {
        uint64_t max = bitsz == 64 ? UINT64_MAX : ((uint64_t)1 << bitsz) - 1;
        /* Values at and above 2^(bits-1); for 64 bits, 2^63 and beyond. */
        const uint64_t v[N] = {0, 1, max, max - 1, (max >> 1) + 1, (max >> 1) + 2};
        for (int i = 0; i < N; i++) {
            uv[i] = v[i];
            /* For 64 bits the label keeps the bit pattern. */
            want[i] = (int64_t)v[i];
        }
    } else {
        int64_t max = bitsz == 64 ? INT64_MAX : ((int64_t)1 << (bitsz - 1)) - 1;
        const int64_t v[N] = {-max - 1, -1, 0, 1, max, max - 1};
        for (int i = 0; i < N; i++)
            sv[i] = want[i] = v[i];
    }
    float emb[N * 2];
    for (int i = 0; i < N * 2; i++)
        emb[i] = (float)i;
    obj_t o[2] = {
        {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {N, 2}, emb, 0, 0},
        {"labels", 0, types[big][is_unsigned][size_ix],
         is_unsigned ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64, 1, {N},
         is_unsigned ? (void *)uv : (void *)sv, 0, 0},
    };
    write_objects("labtypes.h5", o, 2);
    char what[64];
    snprintf(what, sizeof what, "labels %sint%s%s", is_unsigned ? "u" : "", size_names[size_ix],
             big ? " big-endian" : "");
    tm_shard_t s;
    tm_err_t err;
    int rc = read_default("labtypes.h5", &s, &err);
    expect_shard(what, rc, &err, &s, emb, want, N, 2);
    tm_shard_free(&s);
}
END_TEST

START_TEST(test_read_labels_n_by_1)
{
    float emb[N7 * D3];
    sample_f32(emb, N7, D3, 4);
    static const int32_t lab32[N7] = {5, -5, 5, INT32_MIN, INT32_MAX, 0, 7};
    int64_t want[N7];
    for (int i = 0; i < N7; i++)
        want[i] = lab32[i];
    obj_t o[2] = {
        {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {N7, D3}, emb, 0, 0},
        {"labels", 0, H5T_STD_I32LE, H5T_NATIVE_INT32, 2, {N7, 1}, lab32, 0, 0},
    };
    write_objects("nx1.h5", o, 2);
    tm_shard_t s;
    tm_err_t err;
    int rc = read_default("nx1.h5", &s, &err);
    expect_shard("labels N x 1", rc, &err, &s, emb, want, N7, D3);
    tm_shard_free(&s);
}
END_TEST

/* Loop index: 0 chunked, 1 chunked with shuffle + deflate. */
START_TEST(test_read_chunked)
{
    if (_i == 1)
        ck_assert_msg(H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0, "this HDF5 has no deflate filter");
    enum { N = 23, D = 5 };
    float emb[N * D];
    int64_t lab[N];
    sample_f32(emb, N, D, 5);
    for (int i = 0; i < N; i++)
        lab[i] = (i * 7) % 4 - 2;
    /* Chunks that do not divide N. */
    obj_t o[2] = {
        {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {N, D}, emb, 4, _i ? 6 : 0},
        {"labels", 0, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, {N}, lab, 5, _i ? 9 : 0},
    };
    write_objects("chunked.h5", o, 2);
    tm_shard_t s;
    tm_err_t err;
    int rc = read_default("chunked.h5", &s, &err);
    expect_shard(_i ? "chunked + deflate" : "chunked", rc, &err, &s, emb, lab, N, D);
    tm_shard_free(&s);
}
END_TEST

START_TEST(test_read_normalize)
{
    enum { N = 6, D = 4 };
    float emb[N * D], want[N * D];
    int64_t lab[N] = {1, 1, 2, 2, 3, 3};
    tm_rng_t r = tm_rng_make(6);
    for (int i = 0; i < N * D; i++)
        emb[i] = tm_rng_sym(&r) * 50.0f;
    for (int k = 0; k < D; k++) {
        /* Row 2 is all zero and stays so; row 4 is tiny but normalisable. */
        emb[2 * D + k] = 0.0f;
        emb[4 * D + k] = 1e-30f * (float)(k + 1);
    }
    /* Row 5 is huge: its norm is computed in double. */
    emb[5 * D] = 3e38f;
    for (int i = 0; i < N; i++) {
        double norm = sqrt(seq_sqnorm(emb + i * D, D));
        for (int k = 0; k < D; k++)
            want[i * D + k] = norm > 0.0 ? (float)((double)emb[i * D + k] / norm) : emb[i * D + k];
    }
    write_pair("norm.h5", emb, N, D, lab);
    tm_shard_t s;
    tm_err_t err;
    int rc = read_input("norm.h5", "embeddings", "labels", 1, 0, &s, &err);
    expect_shard("--normalize", rc, &err, &s, want, lab, N, D);
    int ok = 1;
    for (int64_t i = 0; i < s.n; i++) {
        double q = s.sqnorm[i];
        ok &= s.lo + i == 2 ? q == 0.0 : fabs(q - 1.0) < 1e-6;
    }
    TM_ALL_ASSERT(ok, "--normalize: a squared norm is neither 0 (zero row) nor 1");
    tm_shard_free(&s);
    /* Without --normalize, the same file reads unchanged. */
    rc = read_default("norm.h5", &s, &err);
    expect_shard("no --normalize", rc, &err, &s, emb, lab, N, D);
    tm_shard_free(&s);
}
END_TEST

START_TEST(test_read_custom_names)
{
    float emb[N7 * D3];
    sample_f32(emb, N7, D3, 7);
    obj_t o[3] = {
        {"grp/sub/vectors", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {N7, D3}, emb, 0, 0},
        {"y", 0, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, {N7}, lab7, 0, 0},
        /* Decoys with the default names and another shape. */
        {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {2, 2}, emb, 0, 0},
    };
    write_objects("names.h5", o, 3);
    tm_shard_t s;
    tm_err_t err;
    int rc = read_input("names.h5", "/grp/sub/vectors", "y", 0, 0, &s, &err);
    expect_shard("custom dataset names", rc, &err, &s, emb, lab7, N7, D3);
    tm_shard_free(&s);
}
END_TEST

/*
 * A budget below the shard size is refused on every rank. On more ranks
 * than rows, ranks without rows pass the budget and must still leave
 * with the same error, without a hang.
 */
START_TEST(test_read_mem_limit)
{
    float emb[N7 * D3];
    sample_f32(emb, N7, D3, 8);
    write_pair("mem.h5", emb, N7, D3, lab7);
    tm_shard_t s;
    tm_err_t err;
    int rc = read_input("mem.h5", "embeddings", "labels", 0, 16, &s, &err);
    expect_error("--mem-limit 16", rc, &err, &s, TM_ENOMEM, "--mem-limit", NULL);
    rc = read_input("mem.h5", "embeddings", "labels", 0, 1 << 20, &s, &err);
    expect_shard("--mem-limit 1M", rc, &err, &s, emb, lab7, N7, D3);
    tm_shard_free(&s);
}
END_TEST

/* ---- errors -------------------------------------------------------------- */

/* Loop index: which missing object. */
START_TEST(test_error_missing_dataset)
{
    float emb[N7 * D3];
    sample_f32(emb, N7, D3, 9);
    write_pair("pair.h5", emb, N7, D3, lab7);
    tm_shard_t s;
    tm_err_t err;
    const char *e = _i == 0 ? "nothere" : "embeddings";
    const char *l = _i == 0 ? "labels" : "mylabels";
    int rc = read_input("pair.h5", e, l, 0, 0, &s, &err);
    expect_error(_i == 0 ? "missing embeddings" : "missing labels", rc, &err, &s, TM_EINPUT,
                 _i == 0 ? "nothere" : "mylabels", "pair.h5");
}
END_TEST

START_TEST(test_error_labels_is_group)
{
    float emb[N7 * D3];
    sample_f32(emb, N7, D3, 10);
    obj_t o[2] = {
        {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {N7, D3}, emb, 0, 0},
        {"labels", 1, 0, 0, 0, {0}, NULL, 0, 0},
    };
    write_objects("group.h5", o, 2);
    tm_shard_t s;
    tm_err_t err;
    int rc = read_default("group.h5", &s, &err);
    expect_error("labels is a group", rc, &err, &s, TM_EINPUT, "labels", "group");
}
END_TEST

/* A table of malformed inputs: one per loop index. */
typedef struct bad_input {
    const char *what;
    obj_t emb, lab;
    const char *needle, *needle2;
} bad_input_t;

static const float zeros_f[64];
static const double zeros_d[64];
static const int32_t zeros_i[64];

#define N_BAD_INPUTS 9

/*
 * The malformed input number i. Built at run time: HDF5's predefined
 * type identifiers are not constants.
 */
static bad_input_t bad_input(int i)
{
    const bad_input_t all[N_BAD_INPUTS] = {
        {"3-D embeddings",
         {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, {4, 3, 2}, zeros_f, 0, 0},
         {"labels", 0, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, {4}, zeros_i, 0, 0},
         "embeddings", "3-D"},
        {"1-D embeddings",
         {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, {4}, zeros_f, 0, 0},
         {"labels", 0, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, {4}, zeros_i, 0, 0},
         "embeddings", NULL},
        {"integer embeddings",
         {"embeddings", 0, H5T_STD_I32LE, H5T_NATIVE_INT32, 2, {4, 3}, zeros_i, 0, 0},
         {"labels", 0, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, {4}, zeros_i, 0, 0},
         "embeddings", "integer"},
        {"float labels",
         {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {4, 3}, zeros_f, 0, 0},
         {"labels", 0, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, {4}, zeros_d, 0, 0},
         "labels", NULL},
        {"labels N x 2",
         {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {4, 3}, zeros_f, 0, 0},
         {"labels", 0, H5T_STD_I32LE, H5T_NATIVE_INT32, 2, {4, 2}, zeros_i, 0, 0},
         "labels", NULL},
        {"scalar labels",
         {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {1, 3}, zeros_f, 0, 0},
         {"labels", 0, H5T_STD_I32LE, H5T_NATIVE_INT32, 0, {0}, zeros_i, 0, 0},
         "labels", NULL},
        {"N mismatch",
         {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {5, 3}, zeros_f, 0, 0},
         {"labels", 0, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, {4}, zeros_i, 0, 0},
         "embeddings", "labels"},
        {"N = 0",
         {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {0, 3}, zeros_f, 0, 0},
         {"labels", 0, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, {0}, zeros_i, 0, 0},
         "embeddings", NULL},
        {"D = 0",
         {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {4, 0}, zeros_f, 0, 0},
         {"labels", 0, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, {4}, zeros_i, 0, 0},
         "embeddings", NULL},
    };
    return all[i];
}

START_TEST(test_error_bad_shapes_and_types)
{
    const bad_input_t b = bad_input(_i);
    obj_t o[2] = {b.emb, b.lab};
    write_objects("bad.h5", o, 2);
    tm_shard_t s;
    tm_err_t err;
    int rc = read_default("bad.h5", &s, &err);
    expect_error(b.what, rc, &err, &s, TM_EINPUT, b.needle, b.needle2);
}
END_TEST

/* The message names the global row: "row R" not followed by another digit. */
static int names_row(const char *msg, int row)
{
    char needle[32];
    int len = snprintf(needle, sizeof needle, "row %d", row);
    for (const char *p = strstr(msg, needle); p != NULL; p = strstr(p + 1, needle))
        if (p[len] < '0' || p[len] > '9')
            return 1;
    return 0;
}

/* Loop index: NaN in float32, +inf in float64, a float64 beyond float32, -inf in float16. */
START_TEST(test_error_not_finite)
{
    enum { N = 12, D = 3 };
    static const int bad_row[4] = {5, 2, 6, 1};
    const int row = bad_row[_i];
    float f32[N * D];
    double f64[N * D];
    uint16_t f16[N * D];
    int64_t lab[N];
    for (int i = 0; i < N * D; i++) {
        f32[i] = (float)i * 0.25f;
        f64[i] = i * 0.25;
        f16[i] = 0x3C00; /* This is 1.0 in half precision. */
    }
    for (int i = 0; i < N; i++)
        lab[i] = i % 3;
    f32[row * D + 1] = NAN;
    /* The value 1e300 is finite, but not as float32; 0xFC00 is a half -inf. */
    f64[row * D + 2] = _i == 1 ? INFINITY : 1e300;
    f16[row * D + 0] = 0xFC00;
    hid_t h = make_f16(H5T_ORDER_LE);
    obj_t emb[4] = {
        {"embeddings", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {N, D}, f32, 0, 0},
        {"embeddings", 0, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, {N, D}, f64, 0, 0},
        {"embeddings", 0, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, {N, D}, f64, 0, 0},
        {"embeddings", 0, h, h, 2, {N, D}, f16, 0, 0},
    };
    obj_t o[2] = {emb[_i], {"labels", 0, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, {N}, lab, 0, 0}};
    write_objects("nan.h5", o, 2);
    H5Tclose(h);
    static const char *what[4] = {"NaN in float32", "+inf in float64",
                                  "float64 1e300 (infinite as float32)", "-inf in float16"};
    tm_shard_t s;
    tm_err_t err;
    int rc = read_default("nan.h5", &s, &err);
    expect_error(what[_i], rc, &err, &s, TM_EINPUT, "embeddings", NULL);
    TM_ALL_ASSERT(names_row(err.msg, row), "%s: message '%s' does not name row %d", what[_i],
                  err.msg, row);
}
END_TEST

START_TEST(test_error_not_hdf5)
{
    tm_shard_t s;
    tm_err_t err;
    /* A missing file is an I/O error naming the path. */
    int rc = read_default("does-not-exist.h5", &s, &err);
    expect_error("missing file", rc, &err, &s, TM_EIO, "does-not-exist.h5", NULL);
    /* A text file and an empty file are not HDF5. */
    if (tm_unit_rank() == 0) {
        FILE *f = fopen(path_of("text.h5"), "w");
        ck_assert(f != NULL);
        fputs("embeddings,labels\n1.0,2\n", f);
        fclose(f);
        f = fopen(path_of("empty.h5"), "w");
        ck_assert(f != NULL);
        fclose(f);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    rc = read_default("text.h5", &s, &err);
    expect_error("text file", rc, &err, &s, TM_EINPUT, "text.h5", NULL);
    rc = read_default("empty.h5", &s, &err);
    expect_error("empty file", rc, &err, &s, TM_EINPUT, "empty.h5", NULL);
    /* A directory is not a file. */
    rc = read_input(".", "embeddings", "labels", 0, 0, &s, &err);
    expect_error("directory", rc, &err, &s, TM_EIO, NULL, NULL);
}
END_TEST

/* ---- the temporary directory and main ----------------------------------- */

static void remove_tmp_dir(void)
{
    DIR *d = opendir(tmp_dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlink(path_of(e->d_name));
    closedir(d);
    rmdir(tmp_dir);
}

/*
 * One rank's own reads (io/h5rows.h): blocks with labels or their indices,
 * chosen rows in runs of every length (gaps up to and past the gap read
 * over, runs past the span read at once), and a non-finite row named.
 */
START_TEST(test_rows_read_and_pick)
{
    enum { NR = 3000, DR = 5 };
    static float emb[NR * DR], got[NR * DR];
    static int64_t lab[NR], glab[NR], rows[NR];
    sample_f32(emb, NR, DR, 77);
    for (int i = 0; i < NR; i++)
        lab[i] = (int64_t)i * 7 - 5;
    write_pair("rows.h5", emb, NR, DR, lab);
    const tm_h5in_req_t req = {path_of("rows.h5"), "embeddings", "labels", 0, 0, "reference"};
    const tm_h5in_req_t nolab = {path_of("rows.h5"), "embeddings", NULL, 0, 0, "input"};
    tm_h5rows_t *r = NULL, *u = NULL;
    tm_err_t err;
    tm_err_clear(&err);
    ck_assert_int_eq(tm_h5rows_open(&req, &r, &err), 0);
    ck_assert_int_eq(tm_h5rows_open(&nolab, &u, &err), 0);
    ck_assert_int_eq(tm_h5rows_count(r), NR);
    ck_assert_int_eq(tm_h5rows_dim(r), DR);
    ck_assert_int_eq(tm_h5rows_read(r, 123, 1000, got, glab, &err), 0);
    ck_assert_mem_eq(got, emb + 123 * DR, 1000 * DR * sizeof(float));
    ck_assert_mem_eq(glab, lab + 123, 1000 * sizeof(int64_t));
    ck_assert_int_eq(tm_h5rows_read(u, 7, 3, got, glab, &err), 0);
    ck_assert_int_eq(glab[0], 7);
    ck_assert_int_eq(glab[2], 9);
    /* Gaps 1, 2, ..., growing past 64, then a dense run longer than 1024 rows. */
    int64_t k = 0;
    for (int64_t i = 0, gap = 1; i < 1200; i += gap, gap++)
        rows[k++] = i;
    for (int64_t i = 1300; i < NR; i++)
        rows[k++] = i;
    ck_assert_int_eq(tm_h5rows_pick(u, rows, k, got, &err), 0);
    for (int64_t t = 0; t < k; t++)
        ck_assert_mem_eq(got + t * DR, emb + rows[t] * DR, DR * sizeof(float));
    tm_h5rows_close(r);
    tm_h5rows_close(u);

    emb[2500 * DR + 3] = NAN;
    write_pair("rows-nan.h5", emb, NR, DR, lab);
    const tm_h5in_req_t bad = {path_of("rows-nan.h5"), "embeddings", NULL, 0, 0, "reference"};
    ck_assert_int_eq(tm_h5rows_open(&bad, &u, &err), 0);
    const int64_t pick[2] = {10, 2500};
    ck_assert_int_eq(tm_h5rows_pick(u, pick, 2, got, &err), TM_EINPUT);
    ck_assert_msg(names_row(err.msg, 2500), "%s", err.msg);
    tm_err_clear(&err);
    ck_assert_int_eq(tm_h5rows_read(u, 2400, 200, got, NULL, &err), TM_EINPUT);
    ck_assert_msg(names_row(err.msg, 2500), "%s", err.msg);
    tm_h5rows_close(u);
}
END_TEST

/* Pairs: shape, type and range checks, each naming what is wrong. */
START_TEST(test_pairs_checks)
{
    static const int64_t good[6][2] = {{0, 1}, {2, 2}, {0, 5}, {3, 0}, {1, 4}, {2, 5}};
    static const float fl[4][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 4}};
    static const int32_t three[2][3] = {{0, 1, 2}, {1, 2, 0}};
    obj_t o[3] = {
        {"pairs", 0, H5T_STD_I16BE, H5T_NATIVE_INT64, 2, {6, 2}, good, 0, 0},
        {"fpairs", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {4, 2}, fl, 0, 0},
        {"wide", 0, H5T_STD_I32LE, H5T_NATIVE_INT32, 2, {2, 3}, three, 0, 0},
    };
    write_objects("pairs.h5", o, 3);
    tm_h5pairs_t *p = NULL;
    int64_t m = 0, qp[12];
    tm_err_t err;
    tm_err_clear(&err);
    ck_assert_int_eq(tm_h5pairs_open(path_of("pairs.h5"), "pairs", &p, &m, &err), 0);
    ck_assert_int_eq(m, 6);
    ck_assert_int_eq(tm_h5pairs_read(p, 0, 6, 4, 6, "input", qp, &err), 0);
    ck_assert_mem_eq(qp, good, sizeof good);
    ck_assert_int_eq(tm_h5pairs_read(p, 1, 5, 4, 5, "reference", qp, &err), TM_EINPUT);
    ck_assert_msg(strstr(err.msg, "pair 2 ") && strstr(err.msg, "reference"), "%s", err.msg);
    tm_err_clear(&err);
    ck_assert_int_eq(tm_h5pairs_read(p, 0, 6, 3, 6, "input", qp, &err), TM_EINPUT);
    ck_assert_msg(strstr(err.msg, "pair 3 ") && strstr(err.msg, "query"), "%s", err.msg);
    tm_h5pairs_close(p);
    tm_err_clear(&err);
    ck_assert_int_eq(tm_h5pairs_open(path_of("pairs.h5"), "fpairs", &p, &m, &err), TM_EINPUT);
    ck_assert_msg(strstr(err.msg, "integer"), "%s", err.msg);
    tm_err_clear(&err);
    ck_assert_int_eq(tm_h5pairs_open(path_of("pairs.h5"), "wide", &p, &m, &err), TM_EINPUT);
    ck_assert_msg(strstr(err.msg, "(M, 2)"), "%s", err.msg);
    tm_err_clear(&err);
    ck_assert_int_eq(tm_h5pairs_open(path_of("pairs.h5"), "nope", &p, &m, &err), TM_EINPUT);
    ck_assert_msg(strstr(err.msg, "nope"), "%s", err.msg);
}
END_TEST

static Suite *h5in_suite(void)
{
    Suite *s = suite_create("h5in");
    TCase *tc = tcase_create("read");
    tcase_add_test(tc, test_read_float32);
    tcase_add_test(tc, test_rows_read_and_pick);
    tcase_add_test(tc, test_pairs_checks);
    tcase_add_test(tc, test_read_float64);
    tcase_add_loop_test(tc, test_read_float16, 0, 2);
    tcase_add_loop_test(tc, test_read_big_endian, 0, 2);
    tcase_add_loop_test(tc, test_read_label_types, 0, 16);
    tcase_add_test(tc, test_read_labels_n_by_1);
    tcase_add_loop_test(tc, test_read_chunked, 0, 2);
    tcase_add_test(tc, test_read_normalize);
    tcase_add_test(tc, test_read_custom_names);
    tcase_add_test(tc, test_read_mem_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_error_missing_dataset, 0, 2);
    tcase_add_test(tc, test_error_labels_is_group);
    tcase_add_loop_test(tc, test_error_bad_shapes_and_types, 0, N_BAD_INPUTS);
    tcase_add_loop_test(tc, test_error_not_finite, 0, 4);
    tcase_add_test(tc, test_error_not_hdf5);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS)
        return EXIT_FAILURE;
    /* The library reports HDF5 errors itself; keep HDF5's stack dumps out of the log. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    /* Rank 0 makes the directory; every rank uses the same path. */
    if (tm_unit_rank() == 0) {
        const char *base = getenv("TMPDIR");
        snprintf(tmp_dir, sizeof tmp_dir, "%s/tm_h5in_XXXXXX", base && base[0] ? base : "/tmp");
        if (mkdtemp(tmp_dir) == NULL) {
            perror("test_h5in: mkdtemp");
            tmp_dir[0] = '\0';
        }
    }
    MPI_Bcast(tmp_dir, sizeof tmp_dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (tmp_dir[0] == '\0') {
        MPI_Finalize();
        return EXIT_FAILURE;
    }

    int rc = tm_unit_run(h5in_suite(), "unit_h5in", argv[0], 1);
    int mine = rc != EXIT_SUCCESS, any = 0;
    MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    if (tm_unit_rank() == 0)
        remove_tmp_dir();
    MPI_Finalize();
    return any ? EXIT_FAILURE : EXIT_SUCCESS;
}
