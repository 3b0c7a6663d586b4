/*
 * outread.c - read a mining output back (outread.h): check that it is one
 * (datasets, shapes, classes, attributes, lengths) and read its columns in
 * the pieces the caller asks for.
 */
#include "io/outread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/h5open.h"
#include "io/h5util.h"

/* The opening of every complaint about the file's contents. */
#define NOT_OUTPUT "not a tripminer output"

struct tm_outread {
    const char *path;
    hid_t file;
    hid_t dset[TM_OUT_NDATASETS]; /* in the order of tm_out_datasets */
};

static int open_file(const char *path, hid_t *file, tm_err_t *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return tm_err_set(err, TM_EIO, "cannot open the file: %s (%s)", strerror(errno), path);
    if (S_ISDIR(st.st_mode))
        return tm_err_set(err, TM_EIO, "a directory, not a tripminer output (%s)", path);
    *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*file < 0) {
        char why[256];
        tm_h5_last_error(why, sizeof why);
        if (access(path, R_OK) != 0)
            return tm_err_set(err, TM_EIO, "cannot open the file: %s (%s)", strerror(errno), path);
        return tm_err_set(err, TM_EINPUT, NOT_OUTPUT ": not a readable HDF5 file%s%s (%s)",
                          why[0] ? ": " : "", why, path);
    }
    return 0;
}

/* A type class in words, for messages: "holds integer values". */
static const char *class_words(H5T_class_t c)
{
    switch (c) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "floating-point";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ARRAY: return "array";
    default: return "non-numeric";
    }
}

/* Whether a link of that name exists and is a dataset (1), something else (0). */
static int is_dataset(hid_t file, const char *name, int *exists)
{
    H5O_info_t info;
    *exists = 0;
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0 ||
        H5Oget_info_by_name2(file, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    *exists = 1;
    return info.type == H5O_TYPE_DATASET;
}

/*
 * Open one dataset of the output and check its class and shape: 1-D of
 * want_class, or (triplets) 2-D with 3 columns. *rows gets its length.
 */
static int open_column(hid_t file, const char *path, const char *name, H5T_class_t want_class,
                       int is_triplets, hid_t *dset, int64_t *rows, tm_err_t *err)
{
    int exists = 0;
    *dset = H5I_INVALID_HID;
    if (!is_dataset(file, name, &exists)) {
        int dummy = 0;
        if (exists)
            return tm_err_set(err, TM_EINPUT, NOT_OUTPUT ": '%s' is not a dataset (%s)", name,
                              path);
        if (is_triplets && is_dataset(file, "embeddings", &dummy))
            return tm_err_set(err, TM_EINPUT,
                              NOT_OUTPUT ": dataset '%s' is missing; this looks like "
                              "an input embedding set (%s)", name, path);
        return tm_err_set(err, TM_EINPUT, NOT_OUTPUT ": dataset '%s' is missing (%s)", name,
                          path);
    }
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0) {
        char why[256];
        tm_h5_last_error(why, sizeof why);
        return tm_err_set(err, TM_EINPUT, "cannot open dataset '%s': %s (%s)", name, why, path);
    }
    hid_t t = H5Dget_type(d);
    hid_t sp = H5Dget_space(d);
    int rc = 0;
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    hsize_t dims[H5S_MAX_RANK];
    if (nd >= 0 && nd <= H5S_MAX_RANK)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    if (c != want_class) {
        rc = tm_err_set(err, TM_EINPUT,
                        NOT_OUTPUT ": dataset '%s' holds %s values, expected %s (%s)", name,
                        class_words(c), want_class == H5T_INTEGER ? "int64" : "float32", path);
    } else if (nd < 0 || nd > H5S_MAX_RANK) {
        rc = tm_err_set(err, TM_EINPUT, "cannot read the shape of dataset '%s' (%s)", name, path);
    } else if (is_triplets ? (nd != 2 || dims[1] != 3) : nd != 1) {
        char shape[96] = "(";
        for (int i = 0; i < nd && strlen(shape) < sizeof shape - 24; i++)
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%llu",
                     i ? ", " : "", (unsigned long long)dims[i]);
        strcat(shape, ")");
        rc = tm_err_set(err, TM_EINPUT,
                        NOT_OUTPUT ": dataset '%s' has shape %s, expected %s (%s)", name,
                        nd == 0 ? "scalar" : shape, is_triplets ? "(M, 3)" : "(M)", path);
    } else if (dims[0] > (hsize_t)INT64_MAX / 32) {
        rc = tm_err_set(err, TM_EINPUT, "dataset '%s' is implausibly long (%s)", name, path);
    }
    tm_h5_close(t);
    tm_h5_close(sp);
    if (rc != 0) {
        H5Dclose(d);
        return rc;
    }
    *rows = (int64_t)dims[0];
    *dset = d;
    return 0;
}

/* Every attribute row of the field table, in its order. */
static int read_attrs(hid_t f, const char *path, tm_value_t *attr, tm_err_t *err)
{
    const tm_h5_reader_t rd = {.path = path, .complaint = NOT_OUTPUT, .names_compound = 1};
    int rc = 0;
    for (size_t k = 0; k < tm_nfields && rc == 0; k++) {
        const tm_field_t *fd = &tm_fields[k];
        if (!(fd->flags & TM_FIELD_ATTR))
            continue;
        attr[k].type = fd->type;
        rc = tm_h5_attr_read(f, fd->name, (fd->flags & TM_FIELD_OPTIONAL) != 0, &rd, &attr[k],
                             err);
    }
    return rc;
}

int tm_outread_open(const char *path, tm_value_t attr[TM_FIELDS_MAX], int64_t *rows,
                    tm_outread_t **out, tm_err_t *err)
{
    *out = NULL;
    tm_outread_t *o = calloc(1, sizeof *o);
    if (o == NULL)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate the reader (%s)", path);
    o->path = path;
    o->file = H5I_INVALID_HID;
    for (int k = 0; k < TM_OUT_NDATASETS; k++)
        o->dset[k] = H5I_INVALID_HID;
    int64_t m[TM_OUT_NDATASETS] = {0};
    int rc = open_file(path, &o->file, err);
    for (int k = 0; k < TM_OUT_NDATASETS && rc == 0; k++) {
        const tm_dataset_def_t *d = &tm_out_datasets[k];
        rc = open_column(o->file, path, d->name, d->is_int ? H5T_INTEGER : H5T_FLOAT, d->cols > 0,
                         &o->dset[k], &m[k], err);
    }
    /* The triplets first: every other dataset has their length. */
    if (rc == 0 && (m[1] != m[0] || m[2] != m[0] || m[3] != m[0]))
        rc = tm_err_set(err, TM_EINPUT,
                        NOT_OUTPUT ": the datasets differ in length: %s %lld, %s %lld, %s %lld, "
                        "%s %lld rows (%s)",
                        tm_out_datasets[0].name, (long long)m[0], tm_out_datasets[1].name,
                        (long long)m[1], tm_out_datasets[2].name, (long long)m[2],
                        tm_out_datasets[3].name, (long long)m[3], path);
    *rows = m[0];
    if (rc == 0)
        rc = read_attrs(o->file, path, attr, err);
    const int nt = tm_field_index("num_triplets");
    if (rc == 0 && attr[nt].i != *rows)
        rc = tm_err_set(err, TM_EINPUT,
                        NOT_OUTPUT ": attribute num_triplets is %lld but the datasets hold %lld "
                        "rows (%s)",
                        (long long)attr[nt].i, (long long)*rows, path);
    if (rc != 0) {
        tm_outread_close(o, rc, err);
        return rc;
    }
    *out = o;
    return 0;
}

int tm_outread_floats(tm_outread_t *o, const char *name, int64_t lo, int64_t n, float *buf,
                      tm_err_t *err)
{
    int k = 0;
    while (k < TM_OUT_NDATASETS && strcmp(tm_out_datasets[k].name, name) != 0)
        k++;
    if (k == TM_OUT_NDATASETS)
        return tm_err_set(err, TM_EINTERNAL, "no dataset '%s' in the output format", name);
    char why[256];
    if (tm_h5_read_rows(o->dset[k], H5T_NATIVE_FLOAT, lo, n, 1, 0, buf, why, sizeof why) != 0)
        return tm_err_set(err, TM_EIO, "reading dataset '%s' failed: %s (%s)", name,
                          why[0] ? why : "read failed", o->path);
    return 0;
}

int tm_outread_close(tm_outread_t *o, int rc, tm_err_t *err)
{
    if (o == NULL)
        return rc;
    for (int k = TM_OUT_NDATASETS - 1; k >= 0; k--)
        tm_h5_close(o->dset[k]);
    if (o->file >= 0 && H5Fclose(o->file) < 0 && rc == 0)
        rc = tm_err_set(err, TM_EIO, "closing the file failed (%s)", o->path);
    free(o);
    return rc;
}
