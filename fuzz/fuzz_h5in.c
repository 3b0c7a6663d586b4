/*
 * fuzz_h5in.c - libFuzzer target over the input validation and read,
 * tm_h5in_read (h5in.h), on MPI_COMM_SELF.
 *
 * Each input describes a small HDF5 file, which this target writes with
 * the HDF5 C API into a temporary directory and hands to tm_h5in_read.
 * The description (fuzz/README.md has the byte layout) chooses, for the
 * embeddings and the labels: whether the name is a dataset, a group, a
 * named datatype, a dangling soft link or missing, and under which name;
 * the datatype (float16/32/64 and integers of every width, sign and byte
 * order, strings, enums, compounds, arrays, bitfields, opaque); the rank
 * (scalar, null, 1-D to 3-D) and the dimensions, huge ones included; the
 * layout (contiguous, compact, chunked with fixed or unlimited maximum
 * dimensions, with shuffle, deflate and Fletcher-32 filters); a fill value,
 * whether the data are written at all, and the raw bytes of the data and of
 * attributes; plus the file format version bounds, --normalize and the
 * memory budget. An all-zero input is a valid 8 x 4 float32 set.
 *
 * An oracle of this file's own, through the plain serial HDF5 API, then
 * says what tm_h5in_read must do: read the file (and then it checks every
 * value, label and squared norm bit for bit), refuse it as a bad input
 * (TM_EINPUT), or refuse it as over the memory budget (TM_ENOMEM). Any
 * refusal must carry its code and a message and leave the shard empty; no
 * HDF5 identifier and no file descriptor may stay open afterwards. A
 * broken check aborts, which libFuzzer reports as a crash with the input;
 * crashes, leaks and hangs (-timeout) are its own findings.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>
#include <mpi.h>

#include "tripminer/err.h"
#include "io/h5in.h"
#include "comm/shard.h"

/* Stop with a message naming the broken property. */
#define REQUIRE(cond)                                                              \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "fuzz_h5in: %s:%d: check failed: %s\n", __FILE__,      \
                    __LINE__, #cond);                                              \
            abort();                                                               \
        }                                                                          \
    } while (0)

/* Written data and attribute values are capped at this many bytes. */
#define MAX_DATA_BYTES (1u << 16)

/* ---- reading the description ---------------------------------------------- */

/*
 * The fuzz input: the description is read from the front, the values
 * (data, fill values, attributes) from the back, byte by byte towards the
 * front, so that a mutation of the one leaves the other in place. Where
 * the two meet, every further byte is 0.
 */
typedef struct src {
    const uint8_t *p;
    size_t front, back; /* next description byte; one past the next value byte */
} src_t;

static unsigned next_u8(src_t *s)
{
    return s->front < s->back ? s->p[s->front++] : 0u;
}

/* Fill buf with the next len value bytes. */
static void next_bytes(src_t *s, void *buf, size_t len)
{
    unsigned char *b = buf;
    for (size_t k = 0; k < len; k++)
        b[k] = s->back > s->front ? s->p[--s->back] : 0u;
}

/* ---- datatypes ---------------------------------------------------------------- */

enum {
    T_F32LE, T_F64LE, T_F16LE, T_F32BE, T_F64BE, T_F16BE,
    T_I8, T_U8, T_I16LE, T_U16LE, T_I32LE, T_U32LE, T_I64LE, T_U64LE,
    T_I16BE, T_U16BE, T_I32BE, T_U32BE, T_I64BE, T_U64BE,
    T_I12,       /* a 12-bit signed integer at bit offset 2 of 2 bytes */
    T_STR,       /* fixed-length string of 6 bytes */
    T_VLSTR,     /* variable-length string (never written) */
    T_ENUM,      /* enum over int32 */
    T_COMPOUND,  /* {float x; int32 y} */
    T_ARRAY,     /* float[2] */
    T_BITFIELD,  /* 32-bit bitfield */
    T_OPAQUE,    /* 4 opaque bytes */
    T_COUNT
};

/* A 16-bit IEEE half type of the given byte order (HDF5 1.10 has none). */
static hid_t make_f16(H5T_order_t order)
{
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    if (t < 0)
        return t;
    if (H5Tset_fields(t, 15, 10, 5, 0, 10) < 0 || H5Tset_precision(t, 16) < 0 ||
        H5Tset_ebias(t, 15) < 0 || H5Tset_size(t, 2) < 0 || H5Tset_order(t, order) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

/* A new datatype of kind k (closed by the caller), or a negative id. */
static hid_t make_type(unsigned k)
{
    static const hid_t *const std[] = {
        [T_F32LE] = &H5T_IEEE_F32LE_g, [T_F64LE] = &H5T_IEEE_F64LE_g,
        [T_F32BE] = &H5T_IEEE_F32BE_g, [T_F64BE] = &H5T_IEEE_F64BE_g,
        [T_I8] = &H5T_STD_I8LE_g,      [T_U8] = &H5T_STD_U8LE_g,
        [T_I16LE] = &H5T_STD_I16LE_g,  [T_U16LE] = &H5T_STD_U16LE_g,
        [T_I32LE] = &H5T_STD_I32LE_g,  [T_U32LE] = &H5T_STD_U32LE_g,
        [T_I64LE] = &H5T_STD_I64LE_g,  [T_U64LE] = &H5T_STD_U64LE_g,
        [T_I16BE] = &H5T_STD_I16BE_g,  [T_U16BE] = &H5T_STD_U16BE_g,
        [T_I32BE] = &H5T_STD_I32BE_g,  [T_U32BE] = &H5T_STD_U32BE_g,
        [T_I64BE] = &H5T_STD_I64BE_g,  [T_U64BE] = &H5T_STD_U64BE_g,
        [T_BITFIELD] = &H5T_STD_B32LE_g,
    };
    hid_t t = H5I_INVALID_HID;
    k %= T_COUNT;
    /* The predefined types are ready only once the library is open. */
    H5open();
    switch (k) {
    case T_F16LE: return make_f16(H5T_ORDER_LE);
    case T_F16BE: return make_f16(H5T_ORDER_BE);
    case T_I12:
        t = H5Tcopy(H5T_STD_I16LE);
        if (t >= 0 && (H5Tset_precision(t, 12) < 0 || H5Tset_offset(t, 2) < 0)) {
            H5Tclose(t);
            t = H5I_INVALID_HID;
        }
        return t;
    case T_STR:
        t = H5Tcopy(H5T_C_S1);
        if (t >= 0)
            H5Tset_size(t, 6);
        return t;
    case T_VLSTR:
        t = H5Tcopy(H5T_C_S1);
        if (t >= 0)
            H5Tset_size(t, H5T_VARIABLE);
        return t;
    case T_ENUM: {
        t = H5Tenum_create(H5T_NATIVE_INT32);
        int32_t a = 0, b = 1;
        if (t >= 0) {
            H5Tenum_insert(t, "A", &a);
            H5Tenum_insert(t, "B", &b);
        }
        return t;
    }
    case T_COMPOUND:
        t = H5Tcreate(H5T_COMPOUND, 8);
        if (t >= 0) {
            H5Tinsert(t, "x", 0, H5T_IEEE_F32LE);
            H5Tinsert(t, "y", 4, H5T_STD_I32LE);
        }
        return t;
    case T_ARRAY: {
        hsize_t n = 2;
        return H5Tarray_create2(H5T_IEEE_F32LE, 1, &n);
    }
    case T_OPAQUE:
        t = H5Tcreate(H5T_OPAQUE, 4);
        if (t >= 0)
            H5Tset_tag(t, "fuzz");
        return t;
    default:
        return H5Tcopy(*std[k]);
    }
}

/* ---- writing the file ------------------------------------------------------- */

/* What the input asked for, for messages. */
typedef struct plan {
    char emb_name[32], lab_name[32];
    int normalize;
    int64_t mem_limit;
} plan_t;

/* The names a slot may use: 0 plain, 1 absolute, 2 in a group, 3 shared. */
static void slot_name(unsigned choice, const char *plain, char *buf, size_t len)
{
    switch (choice & 3u) {
    case 0: snprintf(buf, len, "%s", plain); break;
    case 1: snprintf(buf, len, "/%s", plain); break;
    case 2: snprintf(buf, len, "grp/%s", plain); break;
    default: snprintf(buf, len, "data"); break;
    }
}

/* Add up to three attributes of arbitrary types and values to obj. */
static void add_attributes(hid_t obj, src_t *s)
{
    unsigned n = next_u8(s) % 4u;
    for (unsigned a = 0; a < n; a++) {
        char name[8];
        snprintf(name, sizeof name, "a%u", a);
        hid_t t = make_type(next_u8(s));
        hsize_t len = next_u8(s) % 5u;
        hid_t sp = len == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &len, NULL);
        if (t >= 0 && sp >= 0) {
            hid_t at = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
            if (at >= 0) {
                size_t bytes = H5Tget_size(t) * (len == 0 ? 1 : (size_t)len);
                if (H5Tis_variable_str(t) <= 0 && H5Tdetect_class(t, H5T_VLEN) <= 0 &&
                    bytes <= MAX_DATA_BYTES) {
                    unsigned char *buf = malloc(bytes);
                    REQUIRE(buf != NULL);
                    next_bytes(s, buf, bytes);
                    H5Awrite(at, t, buf);
                    free(buf);
                }
                H5Aclose(at);
            }
        }
        if (sp >= 0)
            H5Sclose(sp);
        if (t >= 0)
            H5Tclose(t);
    }
}

/*
 * One dimension from byte b: normally def + b (modulo 40, so a zero byte
 * gives def); bytes 0xf8 and up give 2^32 to 2^60, for the size checks.
 */
static hsize_t dim_of(unsigned b, unsigned def)
{
    if (b >= 0xf8u)
        return (hsize_t)1 << (32 + 4 * (b - 0xf8u));
    return (hsize_t)((def + b) % 40u);
}

/*
 * Create a dataset at name as the description says. rows_hint is the
 * number of rows of the embeddings when this is the labels slot (so that
 * the default is a matching pair), 0 otherwise. Returns the row count
 * (first dimension) it used.
 */
static hsize_t make_dataset(hid_t file, const char *name, src_t *s, int is_lab,
                            hsize_t rows_hint)
{
    unsigned type_k = ((is_lab ? T_I32LE : T_F32LE) + next_u8(s)) % T_COUNT;
    unsigned rank_k = ((is_lab ? 1u : 2u) + next_u8(s)) % 5u; /* 4: null space */
    unsigned layout = next_u8(s);
    hsize_t dims[3] = {0, 0, 0}, maxdims[3], chunk[3];
    int rank = rank_k == 4 ? 0 : (int)rank_k;
    for (int i = 0; i < rank; i++) {
        unsigned b = next_u8(s);
        /* The labels' rows follow the embeddings' unless the byte says otherwise. */
        if (i == 0 && is_lab && rows_hint > 0)
            dims[0] = b == 0 ? rows_hint : dim_of(b, 0);
        else
            dims[i] = dim_of(b, i == 0 ? 8u : is_lab ? 1u : 4u);
    }
    hsize_t elems = 1;
    int huge = 0;
    for (int i = 0; i < rank; i++) {
        if (dims[i] > (hsize_t)1 << 20 || (dims[i] > 0 && elems > ((hsize_t)1 << 40) / dims[i]))
            huge = 1;
        elems *= dims[i];
        maxdims[i] = (layout & 3u) == 3u ? H5S_UNLIMITED : dims[i];
        chunk[i] = 1;
    }
    if (rank_k == 4)
        elems = 0;

    hid_t t = make_type(type_k);
    hid_t sp = rank_k == 4 ? H5Screate(H5S_NULL)
               : rank == 0 ? H5Screate(H5S_SCALAR)
                           : H5Screate_simple(rank, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    size_t tsize = t >= 0 ? H5Tget_size(t) : 0;
    int plain = t >= 0 && H5Tis_variable_str(t) <= 0;
    if (t < 0 || sp < 0 || dcpl < 0)
        goto done;

    /* Layout: 0 contiguous, 1 chunked, 2 compact, 3 chunked and unlimited. */
    if ((layout & 3u) == 1u || (layout & 3u) == 3u) {
        if (layout & 0x80u)
            for (int i = 0; i < rank; i++)
                chunk[i] = 1 + next_u8(s) % 16u;
        else
            for (int i = 0; i < rank; i++)
                chunk[i] = dims[i] > 0 && dims[i] <= 64 ? dims[i] : 1;
        if (rank > 0)
            H5Pset_chunk(dcpl, rank, chunk);
        if (layout & 0x04u)
            H5Pset_shuffle(dcpl);
        if (layout & 0x08u)
            H5Pset_deflate(dcpl, 1);
        if (layout & 0x10u)
            H5Pset_fletcher32(dcpl);
    } else if ((layout & 3u) == 2u) {
        H5Pset_layout(dcpl, H5D_COMPACT);
    }
    if ((layout & 0x40u) && plain && tsize <= 64) {
        unsigned char fill[64];
        next_bytes(s, fill, tsize);
        H5Pset_fill_value(dcpl, t, fill);
    }

    hid_t d = H5Dcreate2(file, name, t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0)
        goto done;
    /* Bit 5 leaves the data unwritten: the reader then sees fill values. */
    if (!(layout & 0x20u) && !huge && plain && elems > 0 && elems * tsize <= MAX_DATA_BYTES) {
        size_t bytes = (size_t)elems * tsize;
        unsigned char *buf = malloc(bytes);
        REQUIRE(buf != NULL);
        next_bytes(s, buf, bytes);
        H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        free(buf);
    }
    add_attributes(d, s);
    H5Dclose(d);
done:
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return rank >= 1 ? dims[0] : 0;
}

/*
 * Put the object of one slot at name: a dataset (kinds 0 to 3), nothing
 * (4), a group (5), a named datatype (6) or a soft link (7: dangling, or to
 * the other slot's name). An HDF5 call that refuses a combination only
 * leaves something else in the file: the oracle reads what is there.
 */
static hsize_t make_slot(hid_t file, const char *name, const char *other, src_t *s,
                         int is_lab, hsize_t rows_hint)
{
    unsigned kind = next_u8(s) % 8u;
    if (H5Lexists(file, name, H5P_DEFAULT) > 0)
        return 0; /* both slots share the name: the first one made it */
    H5Eclear2(H5E_DEFAULT);
    switch (kind) {
    case 4:
        return 0;
    case 5: {
        hid_t g = H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g >= 0) {
            add_attributes(g, s);
            H5Gclose(g);
        }
        return 0;
    }
    case 6: {
        hid_t t = make_type(next_u8(s));
        if (t >= 0) {
            H5Tcommit2(file, name, t, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            H5Tclose(t);
        }
        return 0;
    }
    case 7:
        H5Lcreate_soft(next_u8(s) & 1u ? other : "/nowhere", file, name, H5P_DEFAULT,
                       H5P_DEFAULT);
        return 0;
    default:
        return make_dataset(file, name, s, is_lab, rows_hint);
    }
}

/* Write the file at path from the description; fill plan. */
static void write_file(const char *path, src_t *s, plan_t *plan)
{
    unsigned flags = next_u8(s);
    unsigned budget = next_u8(s);
    plan->normalize = (int)(flags & 1u);
    /* Never unlimited: a budget is what makes a huge declared shape safe. */
    plan->mem_limit = budget == 0 ? (int64_t)16 << 20 : (int64_t)budget * 16;
    slot_name(flags >> 2, "embeddings", plan->emb_name, sizeof plan->emb_name);
    slot_name(flags >> 4, "labels", plan->lab_name, sizeof plan->lab_name);

    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    REQUIRE(fapl >= 0);
    if (flags & 2u)
        H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    REQUIRE(file >= 0);
    if (strncmp(plan->emb_name, "grp/", 4) == 0 || strncmp(plan->lab_name, "grp/", 4) == 0) {
        hid_t g = H5Gcreate2(file, "grp", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g >= 0)
            H5Gclose(g);
    }
    if (flags & 0x40u)
        add_attributes(file, s);
    hsize_t rows = make_slot(file, plan->emb_name, plan->lab_name, s, 0, 0);
    make_slot(file, plan->lab_name, plan->emb_name, s, 1, rows);
    REQUIRE(H5Fclose(file) >= 0);
    H5Eclear2(H5E_DEFAULT);
}

/* ---- the oracle --------------------------------------------------------------- */

enum { EXPECT_READ, EXPECT_INPUT, EXPECT_NOMEM };

/* What tm_h5in_read must give, with the values when it must read. */
typedef struct expect {
    int verdict;
    int64_t n, dim;
    float *emb;        /* n x dim, normalised if asked */
    int64_t *labels;   /* n labels (bit patterns for unsigned 64-bit) */
} expect_t;

/* The dataset at name, or a negative id if the name is not one. */
static hid_t oracle_open(hid_t file, const char *name)
{
    H5O_info_t info;
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0 ||
        H5Oget_info_by_name2(file, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
        info.type != H5O_TYPE_DATASET)
        return H5I_INVALID_HID;
    return H5Dopen2(file, name, H5P_DEFAULT);
}

/* Class, rank and first two dimensions of a dataset. */
static int oracle_shape(hid_t d, H5T_class_t *cls, int *unsigned64, int *rank, hsize_t dims[2])
{
    hid_t t = H5Dget_type(d);
    hid_t sp = H5Dget_space(d);
    int ok = t >= 0 && sp >= 0;
    if (ok) {
        hsize_t all[H5S_MAX_RANK];
        *cls = H5Tget_class(t);
        *unsigned64 = *cls == H5T_INTEGER && H5Tget_sign(t) == H5T_SGN_NONE && H5Tget_size(t) >= 8;
        *rank = H5Sget_simple_extent_ndims(sp);
        ok = *rank >= 0 && H5Sget_simple_extent_dims(sp, all, NULL) >= 0;
        dims[0] = *rank > 0 ? all[0] : 1;
        dims[1] = *rank > 1 ? all[1] : 1;
    }
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return ok ? 0 : -1;
}

/* Whether n x dim rows take more than limit bytes in a shard (overflow-safe). */
static int over_budget(hsize_t n, hsize_t dim, int64_t limit)
{
    uint64_t l = (uint64_t)limit;
    if (n > l / 16)
        return 1;
    uint64_t rest = l - n * 16;
    return dim > rest / (4 * n);
}

static void oracle(const char *path, const plan_t *plan, expect_t *e)
{
    memset(e, 0, sizeof *e);
    e->verdict = EXPECT_INPUT;
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(file >= 0);
    hid_t de = oracle_open(file, plan->emb_name);
    hid_t dl = oracle_open(file, plan->lab_name);
    H5T_class_t ce, cl;
    int re, rl, u64 = 0, ignore;
    hsize_t ed[2], ld[2];
    if (de < 0 || dl < 0 || oracle_shape(de, &ce, &ignore, &re, ed) != 0 ||
        oracle_shape(dl, &cl, &u64, &rl, ld) != 0)
        goto done;
    if (ce != H5T_FLOAT || re != 2 || ed[0] == 0 || ed[1] == 0 ||
        ed[0] > (hsize_t)INT64_MAX / 8 || ed[1] > (hsize_t)INT32_MAX)
        goto done;
    if (cl != H5T_INTEGER || !(rl == 1 || (rl == 2 && ld[1] == 1)) || ld[0] != ed[0])
        goto done;
    if (over_budget(ed[0], ed[1], plan->mem_limit)) {
        e->verdict = EXPECT_NOMEM;
        goto done;
    }
    e->n = (int64_t)ed[0];
    e->dim = (int64_t)ed[1];
    e->emb = malloc((size_t)(e->n * e->dim) * sizeof(float));
    e->labels = malloc((size_t)e->n * sizeof(int64_t));
    REQUIRE(e->emb != NULL && e->labels != NULL);
    REQUIRE(H5Dread(de, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, e->emb) >= 0);
    REQUIRE(H5Dread(dl, u64 ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64, H5S_ALL, H5S_ALL,
                    H5P_DEFAULT, e->labels) >= 0);
    e->verdict = EXPECT_READ;
    for (int64_t i = 0; i < e->n * e->dim; i++)
        if (!isfinite(e->emb[i]))
            e->verdict = EXPECT_INPUT;
    if (e->verdict == EXPECT_READ && plan->normalize) {
        for (int64_t r = 0; r < e->n; r++) {
            float *row = e->emb + r * e->dim;
            double sq = 0.0;
            for (int64_t k = 0; k < e->dim; k++)
                sq += (double)row[k] * (double)row[k];
            double norm = sqrt(sq);
            if (norm > 0.0)
                for (int64_t k = 0; k < e->dim; k++)
                    row[k] = (float)((double)row[k] / norm);
        }
    }
done:
    if (dl >= 0)
        H5Dclose(dl);
    if (de >= 0)
        H5Dclose(de);
    H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
}

/* ---- the target ------------------------------------------------------------------ */

static char work_dir[256];
static char in_path[300];

/* Open file descriptors of this process. */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static void remove_work_dir(void)
{
    unlink(in_path);
    rmdir(work_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* A singleton MPI process: MPI_COMM_SELF is what tm_h5in_read gets. */
    REQUIRE(MPI_Init(NULL, NULL) == MPI_SUCCESS);
    /* Refusals are expected; HDF5 must not print its error stacks. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const char *tmp = getenv("TMPDIR");
    snprintf(work_dir, sizeof work_dir, "%s/tm-fuzz-h5in.XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    REQUIRE(mkdtemp(work_dir) != NULL);
    snprintf(in_path, sizeof in_path, "%s/in.h5", work_dir);
    atexit(remove_work_dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    src_t s = {data, 0, size};
    plan_t plan;
    write_file(in_path, &s, &plan);
    expect_t e;
    oracle(in_path, &plan, &e);
    REQUIRE(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);

    int fds = count_fds();
    tm_h5in_req_t req = {in_path, plan.emb_name, plan.lab_name, plan.normalize, plan.mem_limit,
                         "input"};
    tm_shard_t shard;
    tm_err_t err;
    tm_err_clear(&err);
    int rc = tm_h5in_read(&req, MPI_COMM_SELF, &shard, &err);

    if (rc != 0 && e.verdict == EXPECT_READ)
        fprintf(stderr, "fuzz_h5in: refused a valid input: %s\n", err.msg);
    if (rc == 0 && e.verdict != EXPECT_READ)
        fprintf(stderr, "fuzz_h5in: accepted an input the oracle refuses (%d)\n", e.verdict);
    if (rc != 0) {
        REQUIRE(e.verdict != EXPECT_READ);
        REQUIRE(err.code == rc && err.msg[0] != '\0');
        REQUIRE(rc == (e.verdict == EXPECT_NOMEM ? TM_ENOMEM : TM_EINPUT));
        REQUIRE(shard.emb == NULL && shard.labels == NULL && shard.sqnorm == NULL);
    } else {
        REQUIRE(e.verdict == EXPECT_READ);
        REQUIRE(shard.n_global == e.n && shard.n == e.n && shard.lo == 0);
        REQUIRE(shard.dim == e.dim);
        REQUIRE(memcmp(shard.emb, e.emb, (size_t)(e.n * e.dim) * sizeof(float)) == 0);
        REQUIRE(memcmp(shard.labels, e.labels, (size_t)e.n * sizeof(int64_t)) == 0);
        for (int64_t r = 0; r < e.n; r++) {
            double sq = 0.0;
            for (int64_t k = 0; k < e.dim; k++)
                sq += (double)e.emb[r * e.dim + k] * (double)e.emb[r * e.dim + k];
            REQUIRE(shard.sqnorm[r] == sq);
        }
        tm_shard_free(&shard);
    }
    /* Nothing of the input may stay open, whatever the outcome. */
    REQUIRE(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);
    REQUIRE(count_fds() == fds);
    free(e.emb);
    free(e.labels);
    return 0;
}
