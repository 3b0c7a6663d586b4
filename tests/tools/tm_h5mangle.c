/*
 * tm_h5mangle: damages a mining output in place, to make the files that
 * `tripminer inspect` must refuse. Run it on a copy.
 *
 *   tm_h5mangle FILE drop NAME          remove dataset NAME
 *   tm_h5mangle FILE drop-attr NAME     remove root attribute NAME
 *   tm_h5mangle FILE attr-string NAME   replace root attribute NAME by a string
 *   tm_h5mangle FILE resize NAME N      replace dataset NAME by N float32 zeros
 *   tm_h5mangle FILE retype NAME        replace dataset NAME by int32 zeros, same length
 *   tm_h5mangle FILE triplets-cols C    replace triplets by M x C int64 zeros
 *
 * Exit status: 0, or 2 for a usage error or a failed HDF5 call.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

static void fail(const char *what, const char *name)
{
    fprintf(stderr, "tm_h5mangle: %s (%s)\n", what, name);
    exit(2);
}

static void usage(void)
{
    fputs("usage: tm_h5mangle FILE drop|drop-attr|attr-string|retype NAME\n"
          "       tm_h5mangle FILE resize NAME N\n"
          "       tm_h5mangle FILE triplets-cols C\n",
          stderr);
    exit(2);
}

/* Length of a dataset's first dimension. */
static hsize_t rows_of(hid_t file, const char *name)
{
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0)
        fail("cannot open dataset", name);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[H5S_MAX_RANK] = {0};
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    H5Dclose(d);
    return dims[0];
}

/* Replace dataset name by zeros of file type type and the given shape. */
static void replace(hid_t file, const char *name, hid_t type, int rank, const hsize_t *dims)
{
    if (H5Ldelete(file, name, H5P_DEFAULT) < 0)
        fail("cannot delete dataset", name);
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(file, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0)
        fail("cannot create dataset", name);
    size_t count = 1;
    for (int i = 0; i < rank; i++)
        count *= (size_t)dims[i];
    void *zeros = calloc(count + 1, 8);
    if (zeros == NULL)
        fail("out of memory", name);
    if (count > 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros) < 0)
        fail("cannot write dataset", name);
    free(zeros);
    H5Dclose(d);
    H5Sclose(sp);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        usage();
    const char *path = argv[1], *action = argv[2], *name = argv[3];
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (file < 0)
        fail("cannot open the file", path);
    if (strcmp(action, "drop") == 0 && argc == 4) {
        if (H5Ldelete(file, name, H5P_DEFAULT) < 0)
            fail("cannot delete dataset", name);
    } else if (strcmp(action, "drop-attr") == 0 && argc == 4) {
        if (H5Adelete(file, name) < 0)
            fail("cannot delete attribute", name);
    } else if (strcmp(action, "attr-string") == 0 && argc == 4) {
        if (H5Adelete(file, name) < 0)
            fail("cannot delete attribute", name);
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        hid_t sp = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(file, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
        const char *val = "not a number";
        if (a < 0 || H5Awrite(a, t, &val) < 0)
            fail("cannot write attribute", name);
        H5Aclose(a);
        H5Sclose(sp);
        H5Tclose(t);
    } else if (strcmp(action, "resize") == 0 && argc == 5) {
        hsize_t n = (hsize_t)strtoull(argv[4], NULL, 10);
        replace(file, name, H5T_IEEE_F32LE, 1, &n);
    } else if (strcmp(action, "retype") == 0 && argc == 4) {
        hsize_t n = rows_of(file, name);
        replace(file, name, H5T_STD_I32LE, 1, &n);
    } else if (strcmp(action, "triplets-cols") == 0 && argc == 4) {
        hsize_t dims[2] = {rows_of(file, "triplets"), (hsize_t)strtoull(name, NULL, 10)};
        replace(file, "triplets", H5T_STD_I64LE, 2, dims);
    } else {
        usage();
    }
    if (H5Fclose(file) < 0)
        fail("cannot close the file", path);
    return 0;
}
