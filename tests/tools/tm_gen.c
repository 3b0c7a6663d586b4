/*
 * tm_gen: writes the input files of the tripminer tests.
 *
 * Every case is deterministic: the same arguments give the same file. The
 * random numbers come from splitmix64, and "Gaussian-ish" values are the
 * Irwin-Hall sum of four uniforms, centred and scaled to unit variance; it
 * needs no libm call, so the values do not depend on the math library.
 *
 * Valid cases build a matrix of doubles and a class index per row, then one
 * writer stores them with the requested types and layout. Invalid cases each
 * make exactly one defect that the miner must report. The pairs case writes
 * the (query, positive) pairs of --pairs, usually appended to an input file.
 * Run without arguments for the list of cases.
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

enum { EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: tm_gen CASE OUT.h5 ARGS... [OPTIONS]\n"
    "\n"
    "Valid inputs (datasets 'embeddings' N x D and 'labels' N):\n"
    "  random N D C SEED       Gaussian-ish rows around one centre per class,\n"
    "                          labels uniform in [0, C)\n"
    "  dups N D C SEED         rows drawn from a pool of about N/4 rows: exact\n"
    "                          duplicates, small-integer rows (equal distances),\n"
    "                          rows that are 2x another (equal cosines), all-zero\n"
    "                          rows; labels uniform in [0, C)\n"
    "  singletons N D SEED     every label distinct except about N/10 pairs\n"
    "  oneclass N D SEED       every label equal\n"
    "  imbalance N D SEED      about 90% of rows in one class, the rest in 4 tiny\n"
    "                          classes\n"
    "  dtype N D C SEED        the data of 'random', meant to be used with the\n"
    "                          type and layout options below\n"
    "  pairs M NQ NC SEED      only an M x 2 integer dataset 'pairs' of (query,\n"
    "                          positive) rows for --pairs: query in [0, NQ),\n"
    "                          positive in [0, NC). About a third of the queries\n"
    "                          come from [0, max(1, NQ/2)), so some queries have\n"
    "                          several pairs; about 1 row in 8 repeats an earlier\n"
    "                          row (a duplicate pair) and about 1 in 8 has\n"
    "                          positive = query when query < NC (a (q, q) pair).\n"
    "                          Options: --pairs-name S (default pairs),\n"
    "                          --pairs-type T (an integer type of --lab, default\n"
    "                          i64, little-endian), --append. M may be 0.\n"
    "Options of the valid cases:\n"
    "  --emb T        stored embedding type: f16 f16be f32 f32be f64 f64be\n"
    "                 (default f32; f16 values are rounded to multiples of 1/256\n"
    "                 so they are exact)\n"
    "  --lab T        stored label type: i8 u8 i16 u16 i32 u32 i64 u64, each\n"
    "                 also with a 'be' or 'le' suffix (e.g. u64be). With --lab,\n"
    "                 classes are stored in pairs of labels that differ in the\n"
    "                 lowest bit only, the pairs spread evenly from the type's\n"
    "                 minimum to its maximum (both included when C >= 3:\n"
    "                 negative labels for signed types, labels above 2^63 for\n"
    "                 u64). Without --lab, labels are the class index as\n"
    "                 little-endian int64.\n"
    "  --labels-2d    store labels as N x 1\n"
    "  --chunked R    chunked layout, R rows per chunk, for both datasets\n"
    "  --deflate      deflate (level 6); implies --chunked 7 unless given\n"
    "  --emb-name S   name of the embeddings dataset (default embeddings)\n"
    "  --lab-name S   name of the labels dataset (default labels)\n"
    "  --append       add the datasets to the existing OUT.h5 (opened\n"
    "                 read-write) instead of creating it; e.g. a reference set\n"
    "                 in the same file: random IN.h5 200 8 5 2 --append\n"
    "                 --emb-name ref_emb --lab-name ref_lab\n"
    "\n"
    "Invalid inputs (each with one defect; N defaults to 16, D to 4):\n"
    "  bad-notfinite N D ROW [nan|inf|-inf]   non-finite float32 at row ROW\n"
    "  bad-f64overflow N D ROW    float64 embeddings, 1e300 at row ROW\n"
    "  bad-int-emb [N D]          int32 embeddings\n"
    "  bad-3d [N D]               embeddings N x D x 2\n"
    "  bad-1d [N]                 embeddings of shape N\n"
    "  bad-labels-float [N D]     float32 labels\n"
    "  bad-labels-2col [N D]      labels N x 2\n"
    "  bad-mismatch [N D]         N - 1 labels (2 when N = 1)\n"
    "  bad-n0 [D]                 embeddings 0 x D, labels 0\n"
    "  bad-d0 [N]                 embeddings N x 0\n"
    "  bad-group [N D]            'labels' is a group\n"
    "  bad-noembeddings [N D]     no 'embeddings' dataset\n"
    "  bad-nolabels [N D]         no 'labels' dataset\n"
    "  bad-corrupt-chunk N D ROW  deflated embeddings in chunks of 4 rows; the\n"
    "                             compressed chunk holding row ROW is damaged on\n"
    "                             disk (checked: it fails to read, others read)\n"
    "Invalid pairs (each a valid 16 x 4 'embeddings' and 'labels' plus one bad\n"
    "dataset 'pairs' of 10 rows, indices in [0, 16) unless said otherwise):\n"
    "  bad-pairs-3col             pairs 10 x 3 int64\n"
    "  bad-pairs-1d               pairs of shape 10 (int64)\n"
    "  bad-pairs-float            pairs 10 x 2 float32\n"
    "  bad-pairs-range ROW        int64 pairs; the positive of row ROW is 16\n"
    "  bad-pairs-negative ROW     int64 pairs; the query of row ROW is -1\n"
    "Other:\n"
    "  truncate IN OUT BYTES      copy the first BYTES bytes of IN to OUT\n";

_Noreturn static void usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("tm_gen: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    fputs(usage_text, stderr);
    exit(EXIT_USAGE);
}

_Noreturn static void die(const char *fmt, ...)
{
    va_list ap;
    fputs("tm_gen: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_FAIL);
}

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes > 0 ? bytes : 1);
    if (p == NULL) {
        die("out of memory (%zu bytes)", bytes);
    }
    return p;
}

/* Checks an HDF5 return value; every failure here is fatal. */
static hid_t check(hid_t id, const char *what)
{
    if (id < 0) {
        die("HDF5 call failed: %s", what);
    }
    return id;
}

/* ---- the random numbers ------------------------------------------------ */

struct rng {
    uint64_t state;
};

static uint64_t rng_next(struct rng *r)
{
    r->state += UINT64_C(0x9E3779B97F4A7C15);
    uint64_t z = r->state;
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* A uniform double in [0, 1) with 53 random bits. */
static double rng_uniform(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* A uniform integer in [0, n); the tiny modulo bias does not matter here. */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return n > 0 ? rng_next(r) % n : 0;
}

/* Mean 0, variance 1, bell-shaped (Irwin-Hall of four uniforms). */
static double rng_gauss(struct rng *r)
{
    double s = rng_uniform(r) + rng_uniform(r) + rng_uniform(r) + rng_uniform(r);
    return (s - 2.0) * sqrt(3.0);
}

/* ---- argument parsing -------------------------------------------------- */

static int64_t parse_int(const char *text, const char *what, int64_t lo, int64_t hi)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) {
        usage_error("bad %s '%s' (an integer in [%lld, %lld])", what, text, (long long)lo,
                    (long long)hi);
    }
    return (int64_t)v;
}

static uint64_t parse_seed(const char *text)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
        usage_error("bad SEED '%s'", text);
    }
    return (uint64_t)v;
}

/* ---- types ------------------------------------------------------------- */

/*
 * IEEE binary16 as an HDF5 type (HDF5 1.10 has no predefined one): sign at
 * bit 15, 5 exponent bits at 10, 10 mantissa bits at 0, bias 15. The fields
 * are set before the precision is lowered, as the HDF5 manual requires.
 */
static hid_t make_f16(H5T_order_t order)
{
    hid_t t = check(H5Tcopy(H5T_IEEE_F32LE), "H5Tcopy");
    check(H5Tset_fields(t, 15, 10, 5, 0, 10), "H5Tset_fields");
    check(H5Tset_precision(t, 16), "H5Tset_precision");
    check(H5Tset_size(t, 2), "H5Tset_size");
    check(H5Tset_ebias(t, 15), "H5Tset_ebias");
    check(H5Tset_order(t, order), "H5Tset_order");
    return t;
}

/* Returns a new file type for an embedding type name, or -1. */
static hid_t emb_type(const char *name)
{
    hid_t base;
    if (strcmp(name, "f16") == 0 || strcmp(name, "f16le") == 0) {
        return make_f16(H5T_ORDER_LE);
    } else if (strcmp(name, "f16be") == 0) {
        return make_f16(H5T_ORDER_BE);
    } else if (strcmp(name, "f32") == 0 || strcmp(name, "f32le") == 0) {
        base = H5T_IEEE_F32LE;
    } else if (strcmp(name, "f32be") == 0) {
        base = H5T_IEEE_F32BE;
    } else if (strcmp(name, "f64") == 0 || strcmp(name, "f64le") == 0) {
        base = H5T_IEEE_F64LE;
    } else if (strcmp(name, "f64be") == 0) {
        base = H5T_IEEE_F64BE;
    } else {
        return -1;
    }
    return check(H5Tcopy(base), "H5Tcopy");
}

/* A label type: its stored HDF5 type and its value range. */
struct lab_type {
    hid_t type;
    int bits;
    int is_signed;
};

/* The predefined little-endian integer type of a width and signedness. */
static hid_t int_type_le(int bits, int is_signed)
{
    switch (bits) {
    case 8:
        return is_signed ? H5T_STD_I8LE : H5T_STD_U8LE;
    case 16:
        return is_signed ? H5T_STD_I16LE : H5T_STD_U16LE;
    case 32:
        return is_signed ? H5T_STD_I32LE : H5T_STD_U32LE;
    default:
        return is_signed ? H5T_STD_I64LE : H5T_STD_U64LE;
    }
}

/* Parses a label type name such as i8, u64be or i32le; returns 0 on success. */
static int lab_type(const char *name, struct lab_type *out)
{
    int is_signed;
    if (name[0] == 'i') {
        is_signed = 1;
    } else if (name[0] == 'u') {
        is_signed = 0;
    } else {
        return -1;
    }
    char *end = NULL;
    long bits = strtol(name + 1, &end, 10);
    if (end == name + 1 || !(bits == 8 || bits == 16 || bits == 32 || bits == 64)) {
        return -1;
    }
    H5T_order_t order;
    if (*end == '\0' || strcmp(end, "le") == 0) {
        order = H5T_ORDER_LE;
    } else if (strcmp(end, "be") == 0) {
        order = H5T_ORDER_BE;
    } else {
        return -1;
    }
    hid_t t = check(H5Tcopy(int_type_le((int)bits, is_signed)), "H5Tcopy");
    check(H5Tset_order(t, order), "H5Tset_order");
    out->type = t;
    out->bits = (int)bits;
    out->is_signed = is_signed;
    return 0;
}

/* ---- low-level writers ------------------------------------------------- */

/* Writes a dataset from a memory buffer; dcpl may be H5P_DEFAULT. */
static void write_dataset(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                          const hsize_t *dims, hid_t dcpl, const void *buf)
{
    hid_t space = check(H5Screate_simple(rank, dims, NULL), "H5Screate_simple");
    hid_t dset = check(H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                       name);
    hssize_t npoints = H5Sget_simple_extent_npoints(space);
    if (npoints > 0) {
        check(H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), name);
    }
    H5Dclose(dset);
    H5Sclose(space);
}

static hid_t create_file(const char *path)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        die("cannot create '%s'", path);
    }
    return f;
}

/* With --append, refuses a dataset name the file already has. */
static void check_new_name(hid_t file, const char *name, const char *path)
{
    if (H5Lexists(file, name, H5P_DEFAULT) > 0) {
        die("--append: '%s' already has a '%s'", path, name);
    }
}

/* With append, opens the existing file read-write; else creates it anew. */
static hid_t output_file(const char *path, int append)
{
    if (!append) {
        return create_file(path);
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) {
        die("--append: cannot open '%s' read-write (it must be an existing HDF5 file)", path);
    }
    return f;
}

static void close_file(hid_t f, const char *path)
{
    if (H5Fclose(f) < 0) {
        die("cannot close '%s'", path);
    }
}

/* ---- valid cases ------------------------------------------------------- */

/* The content of a valid input before it is stored. */
struct table {
    int64_t n;
    int64_t d;
    double *x;    /* n * d values. */
    int64_t *cls; /* Class index of each row, >= 0. */
    int64_t nclass;
};

/* Layout and type choices for storing a table. */
struct store_opts {
    const char *emb;
    const char *lab;
    int labels_2d;
    int64_t chunk_rows;
    int deflate;
    const char *emb_name;
    const char *lab_name;
    int append; /* Add to an existing file instead of creating it. */
};

static void table_alloc(struct table *t, int64_t n, int64_t d)
{
    t->n = n;
    t->d = d;
    t->x = xmalloc((size_t)(n * d) * sizeof(double));
    t->cls = xmalloc((size_t)n * sizeof(int64_t));
    t->nclass = 0;
}

/* Fills rows with noise around one random centre per class. */
static void fill_clustered(struct table *t, struct rng *r, double spread)
{
    double *centre = xmalloc((size_t)(t->nclass * t->d) * sizeof(double));
    for (int64_t k = 0; k < t->nclass * t->d; k++) {
        centre[k] = spread * rng_gauss(r);
    }
    for (int64_t i = 0; i < t->n; i++) {
        const double *c = centre + t->cls[i] * t->d;
        for (int64_t j = 0; j < t->d; j++) {
            t->x[i * t->d + j] = c[j] + rng_gauss(r);
        }
    }
    free(centre);
}

static void case_random(struct table *t, int64_t n, int64_t d, int64_t c, uint64_t seed)
{
    struct rng r = {seed};
    table_alloc(t, n, d);
    t->nclass = c;
    for (int64_t i = 0; i < n; i++) {
        t->cls[i] = (int64_t)rng_below(&r, (uint64_t)c);
    }
    fill_clustered(t, &r, 1.5);
}

/*
 * A pool of about n/4 distinct rows: pool row 0 is all zero; rows 1 and 3
 * (mod 4) have small integer coordinates, so different pairs often have
 * exactly equal distances; rows 2 (mod 4) are twice the row before, which
 * gives exactly equal cosine distances; the others are Gaussian-ish. Each
 * data row copies a random pool row, so there are many exact duplicates,
 * within and across classes.
 */
static void case_dups(struct table *t, int64_t n, int64_t d, int64_t c, uint64_t seed)
{
    struct rng r = {seed};
    table_alloc(t, n, d);
    t->nclass = c;
    int64_t pool_n = n / 4 > 2 ? n / 4 : 2;
    double *pool = xmalloc((size_t)(pool_n * d) * sizeof(double));
    for (int64_t k = 0; k < pool_n; k++) {
        double *row = pool + k * d;
        for (int64_t j = 0; j < d; j++) {
            if (k == 0) {
                row[j] = 0.0;
            } else if (k % 4 == 1 || k % 4 == 3) {
                row[j] = (double)rng_below(&r, 5) - 2.0;
            } else if (k % 4 == 2) {
                row[j] = 2.0 * row[j - d];
            } else {
                row[j] = rng_gauss(&r);
            }
        }
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t k = (int64_t)rng_below(&r, (uint64_t)pool_n);
        memcpy(t->x + i * d, pool + k * d, (size_t)d * sizeof(double));
        t->cls[i] = (int64_t)rng_below(&r, (uint64_t)c);
    }
    free(pool);
}

static void case_singletons(struct table *t, int64_t n, int64_t d, uint64_t seed)
{
    struct rng r = {seed};
    table_alloc(t, n, d);
    t->nclass = n;
    for (int64_t i = 0; i < n; i++) {
        t->cls[i] = i;
    }
    int64_t pairs = n / 10 > 0 ? n / 10 : 1;
    for (int64_t k = 0; k < pairs && n > 1; k++) {
        int64_t i = (int64_t)rng_below(&r, (uint64_t)n);
        int64_t j = (int64_t)rng_below(&r, (uint64_t)n);
        if (i != j) {
            t->cls[j] = t->cls[i];
        }
    }
    for (int64_t k = 0; k < n * d; k++) {
        t->x[k] = rng_gauss(&r);
    }
}

static void case_oneclass(struct table *t, int64_t n, int64_t d, uint64_t seed)
{
    struct rng r = {seed};
    table_alloc(t, n, d);
    t->nclass = 1;
    for (int64_t i = 0; i < n; i++) {
        t->cls[i] = 0;
    }
    fill_clustered(t, &r, 1.0);
}

static void case_imbalance(struct table *t, int64_t n, int64_t d, uint64_t seed)
{
    struct rng r = {seed};
    table_alloc(t, n, d);
    t->nclass = 5;
    for (int64_t i = 0; i < n; i++) {
        t->cls[i] = rng_uniform(&r) < 0.9 ? 0 : 1 + (int64_t)rng_below(&r, 4);
    }
    fill_clustered(t, &r, 1.0);
}

/*
 * Maps class c to a stored label: base(c/2) + c%2, where the ceil(C/2) bases
 * run evenly from the type's minimum to one below its maximum, so the labels
 * include both extremes of the range (INT64_MIN and INT64_MAX for i64, 0 and
 * 2^64 - 1 for u64) and come in pairs that differ in the lowest bit only.
 * With a single base it is the top one. The arithmetic is in uint64, which
 * wraps like two's complement.
 */
static uint64_t spread_label(int64_t c, int64_t nclass, const struct lab_type *lt)
{
    uint64_t bases = (uint64_t)(nclass + 1) / 2;
    uint64_t span = lt->bits == 64 ? UINT64_MAX - 1 : (UINT64_C(1) << lt->bits) - 2;
    uint64_t step = bases > 1 ? span / (bases - 1) : 0;
    if (bases > 1 && step < 2) {
        die("%lld classes do not fit a %d-bit label type", (long long)nclass, lt->bits);
    }
    uint64_t base = bases > 1 ? (uint64_t)(c / 2) * step : span;
    uint64_t offset = base + (uint64_t)(c % 2);
    if (!lt->is_signed) {
        return offset;
    }
    uint64_t min = lt->bits == 64 ? UINT64_C(1) << 63 : ~((UINT64_C(1) << (lt->bits - 1)) - 1);
    return offset + min;
}

static void store_table(const char *path, const struct table *t, const struct store_opts *o)
{
    hid_t etype = emb_type(o->emb);
    if (etype < 0) {
        usage_error("unknown embedding type '%s'", o->emb);
    }
    int is_f16 = H5Tget_size(etype) == 2;
    if (is_f16) {
        /* Exact binary16 values: multiples of 1/256 below 8 in magnitude. */
        for (int64_t k = 0; k < t->n * t->d; k++) {
            double v = round(t->x[k] * 256.0) / 256.0;
            t->x[k] = fmin(fmax(v, -7.99609375), 7.99609375);
        }
    }

    uint64_t *lab = xmalloc((size_t)t->n * sizeof(uint64_t));
    hid_t ltype;
    hid_t lmem;
    if (o->lab == NULL) {
        ltype = check(H5Tcopy(H5T_STD_I64LE), "H5Tcopy");
        lmem = H5T_NATIVE_INT64;
        for (int64_t i = 0; i < t->n; i++) {
            lab[i] = (uint64_t)t->cls[i];
        }
    } else {
        struct lab_type lt;
        if (lab_type(o->lab, &lt) != 0) {
            usage_error("unknown label type '%s'", o->lab);
        }
        ltype = lt.type;
        /* The bits of lab[] are int64 values for signed types. */
        lmem = lt.is_signed ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64;
        for (int64_t i = 0; i < t->n; i++) {
            lab[i] = spread_label(t->cls[i], t->nclass, &lt);
        }
    }

    hid_t file = output_file(path, o->append);
    check_new_name(file, o->emb_name, path);
    check_new_name(file, o->lab_name, path);
    hid_t edcpl = check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate");
    hid_t ldcpl = check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate");
    int64_t chunk = o->chunk_rows > 0 ? o->chunk_rows : (o->deflate ? 7 : 0);
    if (chunk > t->n) {
        chunk = t->n;
    }
    if (chunk > 0) {
        hsize_t ec[2] = {(hsize_t)chunk, (hsize_t)t->d};
        hsize_t lc[2] = {(hsize_t)chunk, 1};
        check(H5Pset_chunk(edcpl, 2, ec), "H5Pset_chunk");
        check(H5Pset_chunk(ldcpl, o->labels_2d ? 2 : 1, lc), "H5Pset_chunk");
        if (o->deflate) {
            check(H5Pset_deflate(edcpl, 6), "H5Pset_deflate");
            check(H5Pset_deflate(ldcpl, 6), "H5Pset_deflate");
        }
    }
    hsize_t edims[2] = {(hsize_t)t->n, (hsize_t)t->d};
    hsize_t ldims[2] = {(hsize_t)t->n, 1};
    write_dataset(file, o->emb_name, etype, H5T_NATIVE_DOUBLE, 2, edims, edcpl, t->x);
    write_dataset(file, o->lab_name, ltype, lmem, o->labels_2d ? 2 : 1, ldims, ldcpl, lab);
    H5Pclose(edcpl);
    H5Pclose(ldcpl);
    H5Tclose(etype);
    H5Tclose(ltype);
    close_file(file, path);
    free(lab);
}

/*
 * Fills m rows of (query, positive) pairs, query in [0, nq), positive in
 * [0, nc). A third of the queries come from the lower half [0, max(1, nq/2)),
 * so some queries have several pairs. About one row in eight (not the first)
 * repeats an earlier row, a duplicate pair; about one in eight takes its
 * query as its positive when it is a candidate row, a (q, q) pair. Every row
 * draws the same five numbers, whatever it keeps of them.
 */
static void make_pairs(int64_t *qp, int64_t m, int64_t nq, int64_t nc, uint64_t seed)
{
    struct rng r = {seed};
    int64_t low = nq / 2 > 1 ? nq / 2 : 1;
    for (int64_t k = 0; k < m; k++) {
        uint64_t kind = rng_below(&r, 8);
        int in_low = rng_below(&r, 3) == 0;
        int64_t q = (int64_t)rng_below(&r, (uint64_t)(in_low ? low : nq));
        int64_t p = (int64_t)rng_below(&r, (uint64_t)nc);
        int64_t earlier = k > 0 ? (int64_t)rng_below(&r, (uint64_t)k) : 0;
        if (kind == 0 && k > 0) {
            q = qp[2 * earlier];
            p = qp[2 * earlier + 1];
        } else if (kind == 1 && q < nc) {
            p = q;
        }
        qp[2 * k] = q;
        qp[2 * k + 1] = p;
    }
}

/*
 * The pairs case: an M x 2 dataset `name` of the integer type `type_name`
 * (a --lab name; NULL for little-endian int64), in a new file or, with
 * append, added to an existing one.
 */
static void store_pairs(const char *path, int64_t m, int64_t nq, int64_t nc, uint64_t seed,
                        const char *name, const char *type_name, int append)
{
    const char *tname = type_name != NULL ? type_name : "i64";
    struct lab_type lt;
    if (lab_type(tname, &lt) != 0) {
        usage_error("unknown pairs type '%s'", tname);
    }
    /* The largest index, max(NQ, NC) - 1, must fit the type. */
    uint64_t top = (uint64_t)(nq > nc ? nq : nc) - 1;
    uint64_t limit = UINT64_MAX;
    if (lt.is_signed) {
        limit = (UINT64_C(1) << (lt.bits - 1)) - 1;
    } else if (lt.bits < 64) {
        limit = (UINT64_C(1) << lt.bits) - 1;
    }
    if (top > limit) {
        die("index %llu does not fit the pairs type '%s'", (unsigned long long)top, tname);
    }
    int64_t *qp = xmalloc((size_t)m * 2 * sizeof(int64_t));
    make_pairs(qp, m, nq, nc, seed);
    hid_t file = output_file(path, append);
    check_new_name(file, name, path);
    hsize_t dims[2] = {(hsize_t)m, 2};
    write_dataset(file, name, lt.type, H5T_NATIVE_INT64, 2, dims, H5P_DEFAULT, qp);
    H5Tclose(lt.type);
    close_file(file, path);
    free(qp);
}

/* ---- invalid cases ----------------------------------------------------- */

/* Small valid content for the invalid cases: 3 classes, Gaussian-ish rows. */
static void bad_content(struct table *t, int64_t n, int64_t d)
{
    struct rng r = {12345};
    table_alloc(t, n, d);
    t->nclass = 3;
    for (int64_t i = 0; i < n; i++) {
        t->cls[i] = i % 3;
    }
    for (int64_t k = 0; k < n * d; k++) {
        t->x[k] = rng_gauss(&r);
    }
}

static void write_labels_1d(hid_t file, const struct table *t, int64_t n)
{
    hsize_t dims[1] = {(hsize_t)n};
    write_dataset(file, "labels", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dims, H5P_DEFAULT,
                  t->cls);
}

static void write_emb_f32(hid_t file, const struct table *t)
{
    hsize_t dims[2] = {(hsize_t)t->n, (hsize_t)t->d};
    write_dataset(file, "embeddings", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, 2, dims, H5P_DEFAULT,
                  t->x);
}

/* Reads rows [r0, r1) of a 2-D float dataset; returns the H5Dread status. */
static herr_t read_rows(hid_t dset, int64_t r0, int64_t r1, int64_t d, float *buf)
{
    if (r1 <= r0) {
        return 0;
    }
    hid_t fs = check(H5Dget_space(dset), "H5Dget_space");
    hsize_t start[2] = {(hsize_t)r0, 0};
    hsize_t count[2] = {(hsize_t)(r1 - r0), (hsize_t)d};
    check(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL), "select");
    hid_t ms = check(H5Screate_simple(2, count, NULL), "H5Screate_simple");
    herr_t rc = H5Dread(dset, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, buf);
    H5Sclose(ms);
    H5Sclose(fs);
    return rc;
}

/* XORs len bytes at offset of a file on disk. */
static void flip_bytes(const char *path, long offset, size_t len)
{
    FILE *f = fopen(path, "r+b");
    if (f == NULL) {
        die("cannot reopen '%s': %s", path, strerror(errno));
    }
    unsigned char *buf = xmalloc(len);
    if (fseek(f, offset, SEEK_SET) != 0 || fread(buf, 1, len, f) != len) {
        die("cannot read back the chunk bytes of '%s'", path);
    }
    for (size_t i = 0; i < len; i++) {
        buf[i] ^= 0xA5;
    }
    if (fseek(f, offset, SEEK_SET) != 0 || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        die("cannot write the damaged chunk bytes of '%s'", path);
    }
    free(buf);
}

/*
 * Deflated embeddings in chunks of 4 rows, then bytes in the middle of the
 * compressed chunk that holds row `row` are damaged on disk. The values are
 * multiples of 1/16, so deflate really compresses and the damage breaks the
 * compressed stream (zlib's Adler-32 check catches what the decoder does
 * not). The result is checked: that chunk must fail to read and every other
 * row must still read.
 */
static void case_corrupt_chunk(const char *path, int64_t n, int64_t d, int64_t row)
{
    const int64_t chunk_rows = 4;
    struct table t;
    bad_content(&t, n, d);
    for (int64_t k = 0; k < n * d; k++) {
        t.x[k] = round(t.x[k] * 16.0) / 16.0;
    }
    hid_t file = create_file(path);
    hid_t dcpl = check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate");
    hsize_t cdims[2] = {(hsize_t)chunk_rows, (hsize_t)d};
    check(H5Pset_chunk(dcpl, 2, cdims), "H5Pset_chunk");
    check(H5Pset_deflate(dcpl, 6), "H5Pset_deflate");
    hsize_t dims[2] = {(hsize_t)n, (hsize_t)d};
    write_dataset(file, "embeddings", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, 2, dims, dcpl, t.x);
    write_labels_1d(file, &t, n);
    H5Pclose(dcpl);
    close_file(file, path);

    int64_t first = row / chunk_rows * chunk_rows;
    int64_t last = first + chunk_rows < n ? first + chunk_rows : n;
    file = check(H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen");
    hid_t dset = check(H5Dopen2(file, "embeddings", H5P_DEFAULT), "H5Dopen2");
    hsize_t coord[2] = {(hsize_t)first, 0};
    unsigned mask = 0;
    haddr_t addr = HADDR_UNDEF;
    hsize_t size = 0;
    check(H5Dget_chunk_info_by_coord(dset, coord, &mask, &addr, &size),
          "H5Dget_chunk_info_by_coord");
    H5Dclose(dset);
    close_file(file, path);
    if (addr == HADDR_UNDEF || size < 8) {
        die("chunk of row %lld has no usable storage (size %llu)", (long long)row,
            (unsigned long long)size);
    }
    if (mask != 0) {
        die("chunk of row %lld was stored without deflate (filter mask %u)", (long long)row,
            mask);
    }
    /* The middle half of the compressed bytes. */
    flip_bytes(path, (long)(addr + size / 4), (size_t)(size / 2));

    file = check(H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen");
    dset = check(H5Dopen2(file, "embeddings", H5P_DEFAULT), "H5Dopen2");
    float *buf = xmalloc((size_t)(n * d) * sizeof(float));
    herr_t bad = read_rows(dset, first, last, d, buf);
    herr_t before = read_rows(dset, 0, first, d, buf);
    herr_t after = read_rows(dset, last, n, d, buf);
    H5Dclose(dset);
    close_file(file, path);
    if (bad >= 0) {
        die("the damaged chunk (rows %lld..%lld) still reads; the damage was not detected",
            (long long)first, (long long)(last - 1));
    }
    if (before < 0 || after < 0) {
        die("rows outside the damaged chunk no longer read");
    }
    free(buf);
    free(t.x);
    free(t.cls);
}

static void case_truncate(const char *in, const char *out, int64_t bytes)
{
    FILE *f = fopen(in, "rb");
    if (f == NULL) {
        die("cannot open '%s': %s", in, strerror(errno));
    }
    FILE *g = fopen(out, "wb");
    if (g == NULL) {
        die("cannot create '%s': %s", out, strerror(errno));
    }
    char buf[65536];
    int64_t left = bytes;
    while (left > 0) {
        size_t want = left < (int64_t)sizeof buf ? (size_t)left : sizeof buf;
        size_t got = fread(buf, 1, want, f);
        if (got == 0) {
            break;
        }
        if (fwrite(buf, 1, got, g) != got) {
            die("cannot write '%s'", out);
        }
        left -= (int64_t)got;
    }
    if (left > 0) {
        fprintf(stderr, "tm_gen: note: '%s' is shorter than %lld bytes; copied it whole\n", in,
                (long long)bytes);
    }
    fclose(f);
    if (fclose(g) != 0) {
        die("cannot write '%s'", out);
    }
}

/*
 * The bad-pairs-* cases: a valid 16 x 4 input plus a dataset 'pairs' of 10
 * rows with one defect. args are the words after OUT.h5.
 */
static void case_bad_pairs(const char *name, const char *path, int nargs, char **args)
{
    enum { N = 16, D = 4, M = 10 };
    int is_range = strcmp(name, "bad-pairs-range") == 0;
    int is_negative = strcmp(name, "bad-pairs-negative") == 0;
    int is_3col = strcmp(name, "bad-pairs-3col") == 0;
    int is_1d = strcmp(name, "bad-pairs-1d") == 0;
    int is_float = strcmp(name, "bad-pairs-float") == 0;
    if (!(is_range || is_negative || is_3col || is_1d || is_float)) {
        usage_error("unknown case '%s'", name);
    }
    int takes_row = is_range || is_negative;
    if (nargs != takes_row) {
        usage_error("%s takes %s", name, takes_row ? "ROW" : "no arguments");
    }
    int64_t row = takes_row ? parse_int(args[0], "ROW", 0, M - 1) : 0;

    struct table t;
    bad_content(&t, N, D);
    int64_t qp[2 * M];
    make_pairs(qp, M, N, N, 4242);
    hid_t file = create_file(path);
    write_emb_f32(file, &t);
    write_labels_1d(file, &t, N);
    if (is_3col) {
        /* A third column of valid indices too. */
        int64_t q3[3 * M];
        for (int k = 0; k < M; k++) {
            q3[3 * k] = qp[2 * k];
            q3[3 * k + 1] = qp[2 * k + 1];
            q3[3 * k + 2] = (qp[2 * k] + qp[2 * k + 1]) % N;
        }
        hsize_t dims[2] = {M, 3};
        write_dataset(file, "pairs", H5T_STD_I64LE, H5T_NATIVE_INT64, 2, dims, H5P_DEFAULT, q3);
    } else if (is_1d) {
        /* The queries alone. */
        int64_t q1[M];
        for (int k = 0; k < M; k++) {
            q1[k] = qp[2 * k];
        }
        hsize_t dims[1] = {M};
        write_dataset(file, "pairs", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dims, H5P_DEFAULT, q1);
    } else if (is_float) {
        double qf[2 * M];
        for (int k = 0; k < 2 * M; k++) {
            qf[k] = (double)qp[k];
        }
        hsize_t dims[2] = {M, 2};
        write_dataset(file, "pairs", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, 2, dims, H5P_DEFAULT,
                      qf);
    } else {
        if (is_range) {
            qp[2 * row + 1] = N;
        } else {
            qp[2 * row] = -1;
        }
        hsize_t dims[2] = {M, 2};
        write_dataset(file, "pairs", H5T_STD_I64LE, H5T_NATIVE_INT64, 2, dims, H5P_DEFAULT, qp);
    }
    close_file(file, path);
    free(t.x);
    free(t.cls);
}

/* Handles every bad-* case; args are the words after OUT.h5. */
static void invalid_case(const char *name, const char *path, int nargs, char **args)
{
    if (strncmp(name, "bad-pairs-", 10) == 0) {
        case_bad_pairs(name, path, nargs, args);
        return;
    }

    const int64_t big = INT64_C(1) << 40;
    int64_t n = 16;
    int64_t d = 4;
    struct table t;

    if (strcmp(name, "bad-notfinite") == 0 || strcmp(name, "bad-f64overflow") == 0 ||
        strcmp(name, "bad-corrupt-chunk") == 0) {
        int is_nf = strcmp(name, "bad-notfinite") == 0;
        if (nargs < 3 || nargs > (is_nf ? 4 : 3)) {
            usage_error("%s takes N D ROW%s", name, is_nf ? " [nan|inf|-inf]" : "");
        }
        n = parse_int(args[0], "N", 1, big);
        d = parse_int(args[1], "D", 1, big);
        int64_t row = parse_int(args[2], "ROW", 0, n - 1);
        if (strcmp(name, "bad-corrupt-chunk") == 0) {
            case_corrupt_chunk(path, n, d, row);
            return;
        }
        bad_content(&t, n, d);
        hid_t file = create_file(path);
        hsize_t dims[2] = {(hsize_t)n, (hsize_t)d};
        if (is_nf) {
            const char *kind = nargs == 4 ? args[3] : "nan";
            double v;
            if (strcmp(kind, "nan") == 0) {
                v = NAN;
            } else if (strcmp(kind, "inf") == 0) {
                v = INFINITY;
            } else if (strcmp(kind, "-inf") == 0) {
                v = -INFINITY;
            } else {
                usage_error("bad non-finite kind '%s'", kind);
            }
            t.x[row * d + d / 2] = v;
            write_emb_f32(file, &t);
        } else {
            t.x[row * d + (d - 1)] = 1e300;
            write_dataset(file, "embeddings", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims,
                          H5P_DEFAULT, t.x);
        }
        write_labels_1d(file, &t, n);
        close_file(file, path);
        free(t.x);
        free(t.cls);
        return;
    }

    /* The remaining cases take [N D], [N] or [D]. */
    int takes_n = strcmp(name, "bad-n0") != 0;
    int takes_d = strcmp(name, "bad-1d") != 0 && strcmp(name, "bad-d0") != 0;
    int max_args = takes_n + takes_d;
    if (nargs > max_args) {
        usage_error("%s takes at most %d argument%s", name, max_args, max_args == 1 ? "" : "s");
    }
    int k = 0;
    if (takes_n && k < nargs) {
        n = parse_int(args[k++], "N", 1, big);
    }
    if (takes_d && k < nargs) {
        d = parse_int(args[k++], "D", 1, big);
    }
    if (!takes_n) {
        n = 0;
    }
    if (!takes_d && strcmp(name, "bad-d0") == 0) {
        d = 0;
    }
    if (strcmp(name, "bad-1d") == 0) {
        d = 1;
    }
    bad_content(&t, n, d);
    hid_t file = create_file(path);

    if (strcmp(name, "bad-int-emb") == 0) {
        hsize_t dims[2] = {(hsize_t)n, (hsize_t)d};
        for (int64_t i = 0; i < n * d; i++) {
            t.x[i] = round(t.x[i] * 10.0);
        }
        write_dataset(file, "embeddings", H5T_STD_I32LE, H5T_NATIVE_DOUBLE, 2, dims,
                      H5P_DEFAULT, t.x);
        write_labels_1d(file, &t, n);
    } else if (strcmp(name, "bad-3d") == 0) {
        /* The same values twice along a third axis of 2. */
        double *x3 = xmalloc((size_t)(n * d * 2) * sizeof(double));
        for (int64_t i = 0; i < n * d; i++) {
            x3[2 * i] = t.x[i];
            x3[2 * i + 1] = t.x[i];
        }
        hsize_t dims[3] = {(hsize_t)n, (hsize_t)d, 2};
        write_dataset(file, "embeddings", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, 3, dims,
                      H5P_DEFAULT, x3);
        free(x3);
        write_labels_1d(file, &t, n);
    } else if (strcmp(name, "bad-1d") == 0) {
        hsize_t dims[1] = {(hsize_t)n};
        write_dataset(file, "embeddings", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, 1, dims,
                      H5P_DEFAULT, t.x);
        write_labels_1d(file, &t, n);
    } else if (strcmp(name, "bad-labels-float") == 0) {
        write_emb_f32(file, &t);
        double *lf = xmalloc((size_t)n * sizeof(double));
        for (int64_t i = 0; i < n; i++) {
            lf[i] = (double)t.cls[i];
        }
        hsize_t dims[1] = {(hsize_t)n};
        write_dataset(file, "labels", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, 1, dims, H5P_DEFAULT,
                      lf);
        free(lf);
    } else if (strcmp(name, "bad-labels-2col") == 0) {
        write_emb_f32(file, &t);
        int64_t *l2 = xmalloc((size_t)(2 * n) * sizeof(int64_t));
        for (int64_t i = 0; i < n; i++) {
            l2[2 * i] = t.cls[i];
            l2[2 * i + 1] = t.cls[i];
        }
        hsize_t dims[2] = {(hsize_t)n, 2};
        write_dataset(file, "labels", H5T_STD_I64LE, H5T_NATIVE_INT64, 2, dims, H5P_DEFAULT,
                      l2);
        free(l2);
    } else if (strcmp(name, "bad-mismatch") == 0) {
        write_emb_f32(file, &t);
        int64_t m = n > 1 ? n - 1 : 2;
        int64_t *l = xmalloc((size_t)m * sizeof(int64_t));
        for (int64_t i = 0; i < m; i++) {
            l[i] = i % 3;
        }
        hsize_t dims[1] = {(hsize_t)m};
        write_dataset(file, "labels", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dims, H5P_DEFAULT, l);
        free(l);
    } else if (strcmp(name, "bad-n0") == 0 || strcmp(name, "bad-d0") == 0) {
        write_emb_f32(file, &t);
        write_labels_1d(file, &t, n);
    } else if (strcmp(name, "bad-group") == 0) {
        write_emb_f32(file, &t);
        hid_t g = check(H5Gcreate2(file, "labels", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                        "H5Gcreate2");
        /* A dataset inside the group, as a careless export might leave it. */
        write_labels_1d(g, &t, n);
        H5Gclose(g);
    } else if (strcmp(name, "bad-noembeddings") == 0) {
        write_labels_1d(file, &t, n);
    } else if (strcmp(name, "bad-nolabels") == 0) {
        write_emb_f32(file, &t);
    } else {
        usage_error("unknown case '%s'", name);
    }
    close_file(file, path);
    free(t.x);
    free(t.cls);
}

/* ---- main -------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc < 3) {
        usage_error("missing CASE and OUT.h5");
    }
    const char *name = argv[1];
    const char *path = argv[2];
    if (H5open() < 0) {
        die("cannot initialise HDF5");
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    if (strcmp(name, "truncate") == 0) {
        if (argc != 5) {
            usage_error("truncate takes IN OUT BYTES");
        }
        case_truncate(argv[2], argv[3], parse_int(argv[4], "BYTES", 0, INT64_MAX));
        return 0;
    }
    if (strncmp(name, "bad-", 4) == 0) {
        invalid_case(name, path, argc - 3, argv + 3);
        return 0;
    }

    /* Valid cases: positional words first, then options. */
    int npos = 0;
    while (3 + npos < argc && strncmp(argv[3 + npos], "--", 2) != 0) {
        npos++;
    }
    char **pos = argv + 3;
    struct store_opts o = {"f32", NULL, 0, 0, 0, "embeddings", "labels", 0};
    const char *pairs_name = "pairs";
    const char *pairs_type = NULL;
    int table_opts = 0; /* Options of the embedding cases given. */
    int pairs_opts = 0; /* Options of the pairs case given. */
    for (int i = 3 + npos; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        int is_pairs_opt = strcmp(a, "--pairs-name") == 0 || strcmp(a, "--pairs-type") == 0;
        if (strcmp(a, "--append") == 0) {
            o.append = 1;
            continue;
        }
        pairs_opts += is_pairs_opt;
        table_opts += !is_pairs_opt;
        if (strcmp(a, "--pairs-name") == 0 && has_value) {
            pairs_name = argv[++i];
        } else if (strcmp(a, "--pairs-type") == 0 && has_value) {
            pairs_type = argv[++i];
        } else if (strcmp(a, "--emb") == 0 && has_value) {
            o.emb = argv[++i];
        } else if (strcmp(a, "--lab") == 0 && has_value) {
            o.lab = argv[++i];
        } else if (strcmp(a, "--labels-2d") == 0) {
            o.labels_2d = 1;
        } else if (strcmp(a, "--chunked") == 0 && has_value) {
            o.chunk_rows = parse_int(argv[++i], "--chunked rows", 1, INT64_C(1) << 40);
        } else if (strcmp(a, "--deflate") == 0) {
            o.deflate = 1;
        } else if (strcmp(a, "--emb-name") == 0 && has_value) {
            o.emb_name = argv[++i];
        } else if (strcmp(a, "--lab-name") == 0 && has_value) {
            o.lab_name = argv[++i];
        } else {
            usage_error("unknown option or missing value: '%s'", a);
        }
    }

    const int64_t big = INT64_C(1) << 40;
    if (strcmp(name, "pairs") == 0) {
        if (npos != 4) {
            usage_error("pairs takes M NQ NC SEED");
        }
        if (table_opts > 0) {
            usage_error("pairs takes only --pairs-name, --pairs-type and --append");
        }
        int64_t m = parse_int(pos[0], "M", 0, big);
        int64_t nq = parse_int(pos[1], "NQ", 1, big);
        int64_t nc = parse_int(pos[2], "NC", 1, big);
        uint64_t seed = parse_seed(pos[3]);
        store_pairs(path, m, nq, nc, seed, pairs_name, pairs_type, o.append);
        return 0;
    }
    if (pairs_opts > 0) {
        usage_error("--pairs-name and --pairs-type are options of the pairs case");
    }
    struct table t;
    int with_classes = strcmp(name, "random") == 0 || strcmp(name, "dups") == 0 ||
                       strcmp(name, "dtype") == 0;
    int without_classes = strcmp(name, "singletons") == 0 || strcmp(name, "oneclass") == 0 ||
                          strcmp(name, "imbalance") == 0;
    if (with_classes) {
        if (npos != 4) {
            usage_error("%s takes N D C SEED", name);
        }
        int64_t n = parse_int(pos[0], "N", 1, big);
        int64_t d = parse_int(pos[1], "D", 1, big);
        int64_t c = parse_int(pos[2], "C", 1, big);
        uint64_t seed = parse_seed(pos[3]);
        if (strcmp(name, "dups") == 0) {
            case_dups(&t, n, d, c, seed);
        } else {
            case_random(&t, n, d, c, seed);
        }
    } else if (without_classes) {
        if (npos != 3) {
            usage_error("%s takes N D SEED", name);
        }
        int64_t n = parse_int(pos[0], "N", 1, big);
        int64_t d = parse_int(pos[1], "D", 1, big);
        uint64_t seed = parse_seed(pos[2]);
        if (strcmp(name, "singletons") == 0) {
            case_singletons(&t, n, d, seed);
        } else if (strcmp(name, "oneclass") == 0) {
            case_oneclass(&t, n, d, seed);
        } else {
            case_imbalance(&t, n, d, seed);
        }
    } else {
        usage_error("unknown case '%s'", name);
    }
    store_table(path, &t, &o);
    free(t.x);
    free(t.cls);
    return 0;
}
