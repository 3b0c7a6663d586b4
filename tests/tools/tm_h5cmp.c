/*
 * tm_h5cmp: compares two tripminer output files.
 *
 * The datasets triplets, d_ap, d_an and loss must have the same shape, the
 * same stored type and identical bytes. Every root attribute of docs/contract.md must
 * exist in both files; the values of `ranks`, `input` and `version` are not
 * compared, strings and int64 values must be equal, doubles equal exactly or,
 * with --tol REL, within a relative tolerance; two NaNs are equal (an unset
 * `neg_margin` is NaN). The attributes of the optional modes (`reference`,
 * `num_reference`, `num_pairs`) and of the options of choosing positives and
 * negatives (`short_anchors`, `filtered_min_dist`, `filtered_margin`,
 * `filtered_skip`, `filtered_pool`, `pos`, `seed`, `neg_margin`, `neg_pool`)
 * may be absent from both files; one that only one file has is a
 * difference, and when both have it, it is compared like the others
 * (`reference`, a path, only for its type; `seed` as an unsigned 64-bit
 * integer, which it must be stored as).
 *
 * Exit status: 0 equal, 1 different (each difference on stderr), 2 usage
 * error or a file that cannot be opened.
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

enum { EXIT_DIFF = 1, EXIT_USAGE = 2 };

enum attr_kind { ATTR_STRING, ATTR_INT64, ATTR_UINT64, ATTR_DOUBLE };

struct attr_spec {
    const char *name;
    enum attr_kind kind;
    int compare;  /* Zero when only existence is checked. */
    int optional; /* Nonzero when both files may lack it. */
};

static const struct attr_spec attr_specs[] = {
    {"strategy", ATTR_STRING, 1, 0},
    {"metric", ATTR_STRING, 1, 0},
    {"loss", ATTR_STRING, 1, 0},
    {"input", ATTR_STRING, 0, 0},
    {"version", ATTR_STRING, 0, 0},
    {"margin", ATTR_DOUBLE, 1, 0},
    {"loss_sum", ATTR_DOUBLE, 1, 0},
    {"loss_mean", ATTR_DOUBLE, 1, 0},
    {"loss_mean_active", ATTR_DOUBLE, 1, 0},
    {"normalize", ATTR_INT64, 1, 0},
    {"num_embeddings", ATTR_INT64, 1, 0},
    {"dim", ATTR_INT64, 1, 0},
    {"num_triplets", ATTR_INT64, 1, 0},
    {"active_triplets", ATTR_INT64, 1, 0},
    {"skipped_anchors", ATTR_INT64, 1, 0},
    {"ranks", ATTR_INT64, 0, 0},
    {"reference", ATTR_STRING, 0, 1},
    {"num_reference", ATTR_INT64, 1, 1},
    {"num_pairs", ATTR_INT64, 1, 1},
    {"short_anchors", ATTR_INT64, 1, 1},
    {"filtered_min_dist", ATTR_INT64, 1, 1},
    {"filtered_margin", ATTR_INT64, 1, 1},
    {"filtered_skip", ATTR_INT64, 1, 1},
    {"filtered_pool", ATTR_INT64, 1, 1},
    {"pos", ATTR_STRING, 1, 1},
    {"seed", ATTR_UINT64, 1, 1},
    {"neg_margin", ATTR_DOUBLE, 1, 1},
    {"neg_pool", ATTR_INT64, 1, 1},
};

/* One of the two files under comparison. */
struct side {
    const char *path;
    hid_t file;
};

static int differences = 0;

/* Records one difference and prints it. */
static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void report(const char *fmt, ...)
{
    va_list ap;
    differences++;
    fputs("tm_h5cmp: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void usage(void)
{
    fputs("usage: tm_h5cmp A.h5 B.h5 [--tol REL]\n"
          "Compares two tripminer outputs. Exit 0 equal, 1 different, 2 usage or\n"
          "unreadable file.\n",
          stderr);
}

/* Names a type class for messages. */
static const char *class_name(H5T_class_t c)
{
    switch (c) {
    case H5T_INTEGER:
        return "integer";
    case H5T_FLOAT:
        return "float";
    case H5T_STRING:
        return "string";
    default:
        return "other";
    }
}

/* Describes a stored atomic type briefly, e.g. "float 4 bytes LE". */
static void describe_type(hid_t t, char *buf, size_t size)
{
    H5T_class_t c = H5Tget_class(t);
    H5T_order_t o = H5Tget_order(t);
    snprintf(buf, size, "%s %zu bytes%s%s", class_name(c), H5Tget_size(t),
             o == H5T_ORDER_BE ? " BE" : (o == H5T_ORDER_LE ? " LE" : ""),
             c == H5T_INTEGER && H5Tget_sign(t) == H5T_SGN_NONE ? " unsigned" : "");
}

/* Holds one dataset read into memory, converted to its expected native type. */
struct data {
    int ok;
    int rank;
    hsize_t dims[H5S_MAX_RANK];
    hid_t ftype;
    size_t count; /* Number of elements. */
    void *buf;
};

/* Opens and reads a dataset; reports and returns ok = 0 when it cannot. */
static struct data read_data(const struct side *s, const char *name, hid_t mtype,
                             H5T_class_t want)
{
    struct data d;
    memset(&d, 0, sizeof d);
    d.ftype = -1;
    if (H5Lexists(s->file, name, H5P_DEFAULT) <= 0) {
        report("%s: dataset '%s' is missing", s->path, name);
        return d;
    }
    hid_t dset = H5Dopen2(s->file, name, H5P_DEFAULT);
    if (dset < 0) {
        report("%s: '%s' is not a dataset", s->path, name);
        return d;
    }
    d.ftype = H5Dget_type(dset);
    if (H5Tget_class(d.ftype) != want) {
        report("%s: dataset '%s' has class %s, expected %s", s->path, name,
               class_name(H5Tget_class(d.ftype)), class_name(want));
        H5Dclose(dset);
        return d;
    }
    hid_t space = H5Dget_space(dset);
    d.rank = H5Sget_simple_extent_dims(space, d.dims, NULL);
    H5Sclose(space);
    if (d.rank < 0) {
        report("%s: cannot read the shape of '%s'", s->path, name);
        H5Dclose(dset);
        return d;
    }
    d.count = 1;
    for (int i = 0; i < d.rank; i++) {
        d.count *= (size_t)d.dims[i];
    }
    size_t esize = H5Tget_size(mtype);
    d.buf = malloc(d.count * esize + 1);
    if (d.buf == NULL) {
        fprintf(stderr, "tm_h5cmp: out of memory\n");
        exit(EXIT_USAGE);
    }
    if (d.count > 0 && H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, d.buf) < 0) {
        report("%s: cannot read dataset '%s'", s->path, name);
        H5Dclose(dset);
        return d;
    }
    H5Dclose(dset);
    d.ok = 1;
    return d;
}

static void free_data(struct data *d)
{
    if (d->ftype >= 0) {
        H5Tclose(d->ftype);
    }
    free(d->buf);
}

static void shape_string(const struct data *d, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < d->rank && used < size; i++) {
        used += (size_t)snprintf(buf + used, size - used, "%s%llu", i > 0 ? ", " : "",
                                 (unsigned long long)d->dims[i]);
    }
    if (used < size) {
        snprintf(buf + used, size - used, ")");
    }
}

/* The anchor of row i in a triplets buffer, or -1 if unknown. */
static long long anchor_of(const struct data *trip, size_t row)
{
    if (trip == NULL || !trip->ok || trip->rank != 2 || trip->dims[1] != 3 ||
        row >= (size_t)trip->dims[0]) {
        return -1;
    }
    return (long long)((const int64_t *)trip->buf)[row * 3];
}

/*
 * Compares one dataset of both files. is_triplets selects the M x 3 int64
 * layout; otherwise the dataset is a vector of float32. ta and tb are the
 * already read triplets of A and B, for naming the anchor of a bad row.
 */
static void compare_dataset(const struct side *a, const struct side *b, const char *name,
                            int is_triplets, struct data *da, struct data *db,
                            const struct data *ta, const struct data *tb)
{
    hid_t mtype = is_triplets ? H5T_NATIVE_INT64 : H5T_NATIVE_FLOAT;
    H5T_class_t want = is_triplets ? H5T_INTEGER : H5T_FLOAT;
    *da = read_data(a, name, mtype, want);
    *db = read_data(b, name, mtype, want);
    if (!da->ok || !db->ok) {
        return;
    }
    if (H5Tequal(da->ftype, db->ftype) <= 0) {
        char sa[64];
        char sb[64];
        describe_type(da->ftype, sa, sizeof sa);
        describe_type(db->ftype, sb, sizeof sb);
        report("dataset '%s': stored type differs: %s in %s, %s in %s", name, sa, a->path, sb,
               b->path);
    }
    int same_shape = da->rank == db->rank;
    for (int i = 0; same_shape && i < da->rank; i++) {
        same_shape = da->dims[i] == db->dims[i];
    }
    if (!same_shape) {
        char sa[128];
        char sb[128];
        shape_string(da, sa, sizeof sa);
        shape_string(db, sb, sizeof sb);
        report("dataset '%s': shape differs: %s in %s, %s in %s", name, sa, a->path, sb,
               b->path);
        return;
    }
    size_t width = is_triplets ? 3 : 1;
    size_t rows = width > 0 ? da->count / width : 0;
    size_t rowbytes = width * (is_triplets ? sizeof(int64_t) : sizeof(float));
    size_t ndiff = 0;
    size_t first = 0;
    for (size_t r = 0; r < rows; r++) {
        if (memcmp((const char *)da->buf + r * rowbytes, (const char *)db->buf + r * rowbytes,
                   rowbytes) != 0) {
            if (ndiff == 0) {
                first = r;
            }
            ndiff++;
        }
    }
    if (ndiff == 0) {
        return;
    }
    if (is_triplets) {
        const int64_t *x = (const int64_t *)da->buf + first * 3;
        const int64_t *y = (const int64_t *)db->buf + first * 3;
        report("dataset 'triplets': %zu of %zu rows differ; first at row %zu: "
               "(%lld, %lld, %lld) in %s, (%lld, %lld, %lld) in %s",
               ndiff, rows, first, (long long)x[0], (long long)x[1], (long long)x[2], a->path,
               (long long)y[0], (long long)y[1], (long long)y[2], b->path);
    } else {
        float x = ((const float *)da->buf)[first];
        float y = ((const float *)db->buf)[first];
        long long anc_a = anchor_of(ta, first);
        long long anc_b = anchor_of(tb, first);
        char anchor[96];
        if (anc_a == anc_b) {
            snprintf(anchor, sizeof anchor, "anchor %lld", anc_a);
        } else {
            snprintf(anchor, sizeof anchor, "anchor %lld in A, %lld in B", anc_a, anc_b);
        }
        report("dataset '%s': %zu of %zu values differ; first at row %zu (%s): "
               "%.9g (%a) in %s, %.9g (%a) in %s",
               name, ndiff, rows, first, anchor, (double)x, (double)x, a->path, (double)y,
               (double)y, b->path);
    }
}

/* Holds one attribute's value. */
struct attr_value {
    int ok;
    int is_vlen;
    H5T_cset_t cset;
    char *str;
    int64_t i;
    uint64_t u;
    double d;
};

/* Reads a scalar attribute of the expected kind; reports any problem. */
static struct attr_value read_attr(const struct side *s, const struct attr_spec *spec)
{
    struct attr_value v;
    memset(&v, 0, sizeof v);
    if (H5Aexists(s->file, spec->name) <= 0) {
        report("%s: root attribute '%s' is missing", s->path, spec->name);
        return v;
    }
    hid_t at = H5Aopen(s->file, spec->name, H5P_DEFAULT);
    hid_t ft = H5Aget_type(at);
    hid_t sp = H5Aget_space(at);
    H5T_class_t c = H5Tget_class(ft);
    hssize_t npoints = H5Sget_simple_extent_npoints(sp);
    if (npoints != 1) {
        report("%s: attribute '%s' holds %lld values, expected one", s->path, spec->name,
               (long long)npoints);
        goto done;
    }
    if (spec->kind == ATTR_STRING) {
        if (c != H5T_STRING) {
            report("%s: attribute '%s' has class %s, expected string", s->path, spec->name,
                   class_name(c));
            goto done;
        }
        v.is_vlen = H5Tis_variable_str(ft) > 0;
        v.cset = H5Tget_cset(ft);
        hid_t mt = H5Tcopy(H5T_C_S1);
        if (v.is_vlen) {
            char *p = NULL;
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, v.cset);
            if (H5Aread(at, mt, &p) >= 0 && p != NULL) {
                v.str = strdup(p);
                H5free_memory(p);
                v.ok = 1;
            }
        } else {
            size_t n = H5Tget_size(ft);
            H5Tset_size(mt, n + 1);
            H5Tset_cset(mt, v.cset);
            H5Tset_strpad(mt, H5T_STR_NULLTERM);
            v.str = calloc(n + 2, 1);
            if (v.str != NULL && H5Aread(at, mt, v.str) >= 0) {
                v.ok = 1;
            }
        }
        H5Tclose(mt);
        if (!v.ok) {
            report("%s: cannot read attribute '%s'", s->path, spec->name);
        }
    } else if (spec->kind == ATTR_INT64) {
        if (c != H5T_INTEGER) {
            report("%s: attribute '%s' has class %s, expected integer", s->path, spec->name,
                   class_name(c));
            goto done;
        }
        v.ok = H5Aread(at, H5T_NATIVE_INT64, &v.i) >= 0;
        if (!v.ok) {
            report("%s: cannot read attribute '%s'", s->path, spec->name);
        }
    } else if (spec->kind == ATTR_UINT64) {
        if (c != H5T_INTEGER) {
            report("%s: attribute '%s' has class %s, expected integer", s->path, spec->name,
                   class_name(c));
            goto done;
        }
        if (H5Tget_sign(ft) != H5T_SGN_NONE) {
            report("%s: attribute '%s' is a signed integer, expected unsigned", s->path,
                   spec->name);
            goto done;
        }
        v.ok = H5Aread(at, H5T_NATIVE_UINT64, &v.u) >= 0;
        if (!v.ok) {
            report("%s: cannot read attribute '%s'", s->path, spec->name);
        }
    } else {
        if (c != H5T_FLOAT) {
            report("%s: attribute '%s' has class %s, expected float", s->path, spec->name,
                   class_name(c));
            goto done;
        }
        v.ok = H5Aread(at, H5T_NATIVE_DOUBLE, &v.d) >= 0;
        if (!v.ok) {
            report("%s: cannot read attribute '%s'", s->path, spec->name);
        }
    }
    if (v.ok && spec->kind != ATTR_STRING && H5Tget_size(ft) != 8) {
        report("%s: attribute '%s' is stored in %zu bytes, expected 8", s->path, spec->name,
               H5Tget_size(ft));
    }
done:
    H5Sclose(sp);
    H5Tclose(ft);
    H5Aclose(at);
    return v;
}

static void compare_attrs(const struct side *a, const struct side *b, int have_tol, double tol)
{
    for (size_t k = 0; k < sizeof attr_specs / sizeof attr_specs[0]; k++) {
        const struct attr_spec *spec = &attr_specs[k];
        if (spec->optional) {
            int in_a = H5Aexists(a->file, spec->name) > 0;
            int in_b = H5Aexists(b->file, spec->name) > 0;
            if (!in_a && !in_b) {
                continue;
            }
            if (in_a != in_b) {
                report("root attribute '%s' is only in %s (it is missing from %s)", spec->name,
                       in_a ? a->path : b->path, in_a ? b->path : a->path);
                continue;
            }
        }
        struct attr_value va = read_attr(a, spec);
        struct attr_value vb = read_attr(b, spec);
        if (va.ok && vb.ok && spec->kind == ATTR_STRING &&
            (va.is_vlen != vb.is_vlen || va.cset != vb.cset)) {
            report("attribute '%s': string type differs: %s%s in %s, %s%s in %s", spec->name,
                   va.is_vlen ? "variable-length" : "fixed-length",
                   va.cset == H5T_CSET_UTF8 ? " UTF-8" : " ASCII", a->path,
                   vb.is_vlen ? "variable-length" : "fixed-length",
                   vb.cset == H5T_CSET_UTF8 ? " UTF-8" : " ASCII", b->path);
        }
        if (va.ok && vb.ok && spec->compare) {
            if (spec->kind == ATTR_STRING) {
                if (strcmp(va.str, vb.str) != 0) {
                    report("attribute '%s': \"%s\" in %s, \"%s\" in %s", spec->name, va.str,
                           a->path, vb.str, b->path);
                }
            } else if (spec->kind == ATTR_INT64) {
                if (va.i != vb.i) {
                    report("attribute '%s': %lld in %s, %lld in %s", spec->name,
                           (long long)va.i, a->path, (long long)vb.i, b->path);
                }
            } else if (spec->kind == ATTR_UINT64) {
                if (va.u != vb.u) {
                    report("attribute '%s': %llu in %s, %llu in %s", spec->name,
                           (unsigned long long)va.u, a->path, (unsigned long long)vb.u, b->path);
                }
            } else {
                int equal;
                if (isnan(va.d) || isnan(vb.d)) {
                    equal = isnan(va.d) && isnan(vb.d);
                } else if (va.d == vb.d) {
                    equal = 1; /* Also two equal infinities, which --tol would refuse. */
                } else if (have_tol) {
                    double scale = fmax(fabs(va.d), fabs(vb.d));
                    equal = fabs(va.d - vb.d) <= tol * scale + 1e-300;
                } else {
                    equal = va.d == vb.d;
                }
                if (!equal) {
                    report("attribute '%s': %.17g in %s, %.17g in %s (difference %.3g%s)",
                           spec->name, va.d, a->path, vb.d, b->path, va.d - vb.d,
                           have_tol ? ", beyond --tol" : ", exact comparison");
                }
            }
        }
        free(va.str);
        free(vb.str);
    }
}

int main(int argc, char **argv)
{
    const char *paths[2] = {NULL, NULL};
    int npaths = 0;
    int have_tol = 0;
    double tol = 0.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tol") == 0) {
            if (i + 1 >= argc) {
                usage();
                return EXIT_USAGE;
            }
            char *end = NULL;
            errno = 0;
            tol = strtod(argv[++i], &end);
            if (errno != 0 || end == argv[i] || *end != '\0' || !(tol >= 0.0)) {
                fprintf(stderr, "tm_h5cmp: bad --tol '%s'\n", argv[i]);
                usage();
                return EXIT_USAGE;
            }
            have_tol = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage();
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "tm_h5cmp: unknown option '%s'\n", argv[i]);
            usage();
            return EXIT_USAGE;
        } else if (npaths < 2) {
            paths[npaths++] = argv[i];
        } else {
            usage();
            return EXIT_USAGE;
        }
    }
    if (npaths != 2) {
        usage();
        return EXIT_USAGE;
    }

    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    struct side s[2];
    for (int k = 0; k < 2; k++) {
        s[k].path = paths[k];
        s[k].file = H5Fopen(paths[k], H5F_ACC_RDONLY, H5P_DEFAULT);
        if (s[k].file < 0) {
            fprintf(stderr, "tm_h5cmp: cannot open '%s' as an HDF5 file\n", paths[k]);
            return EXIT_USAGE;
        }
    }

    struct data ta;
    struct data tb;
    compare_dataset(&s[0], &s[1], "triplets", 1, &ta, &tb, NULL, NULL);
    static const char *const vectors[] = {"d_ap", "d_an", "loss"};
    for (int k = 0; k < 3; k++) {
        struct data va;
        struct data vb;
        compare_dataset(&s[0], &s[1], vectors[k], 0, &va, &vb, &ta, &tb);
        free_data(&va);
        free_data(&vb);
    }
    free_data(&ta);
    free_data(&tb);
    compare_attrs(&s[0], &s[1], have_tol, tol);

    H5Fclose(s[0].file);
    H5Fclose(s[1].file);
    if (differences > 0) {
        fprintf(stderr, "tm_h5cmp: %s and %s differ (%d difference%s)\n", paths[0], paths[1],
                differences, differences == 1 ? "" : "s");
        return EXIT_DIFF;
    }
    return 0;
}
