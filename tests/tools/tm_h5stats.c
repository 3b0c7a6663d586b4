/*
 * tm_h5stats: the numbers `tripminer inspect` should report for a mining
 * output, computed independently (whole-dataset reads, no library code),
 * as one JSON object on stdout.
 *
 *   tm_h5stats OUT.h5 [--values]
 *
 * Prints: m (rows), the root attributes, quantiles min, p1, p50, p99, max
 * of d_ap, d_an and d_an - d_ap (null when m = 0), below_margin (rows with
 * d_an - d_ap < margin), loss_active (loss > 0) and loss_sum; with
 * --values also "diffs", every d_an - d_ap, for recounting a histogram.
 * Quantiles: linear interpolation between order statistics at
 * h = (n - 1) p, computed as (1 - g) x[j] + g x[j+1].
 *
 * Exit status: 0, or 2 for a usage error or a file it cannot read.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

static void die(const char *what, const char *path)
{
    fprintf(stderr, "tm_h5stats: %s (%s)\n", what, path);
    exit(2);
}

/* A whole 1-D dataset as doubles (through float32, as it is stored). */
static double *read_column(hid_t file, const char *path, const char *name, size_t *n)
{
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0)
        die("cannot open a dataset", name);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[1] = {0};
    if (H5Sget_simple_extent_ndims(sp) != 1)
        die("dataset is not 1-D", name);
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    *n = (size_t)dims[0];
    float *f = malloc((*n + 1) * sizeof *f);
    double *out = malloc((*n + 1) * sizeof *out);
    if (f == NULL || out == NULL)
        die("out of memory", path);
    if (*n > 0 && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, f) < 0)
        die("cannot read a dataset", name);
    H5Dclose(d);
    for (size_t i = 0; i < *n; i++)
        out[i] = (double)f[i];
    free(f);
    return out;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

static double quantile(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t j = (size_t)h;
    if (j + 1 >= n)
        return x[n - 1];
    double g = h - (double)j;
    return (1.0 - g) * x[j] + g * x[j + 1];
}

static void print_quantiles(const char *name, double *x, size_t n)
{
    printf(", \"%s\": ", name);
    if (n == 0) {
        printf("null");
        return;
    }
    qsort(x, n, sizeof *x, by_value);
    printf("{\"min\": %.17g, \"p1\": %.17g, \"p50\": %.17g, \"p99\": %.17g, \"max\": %.17g}",
           x[0], quantile(x, n, 0.01), quantile(x, n, 0.5), quantile(x, n, 0.99), x[n - 1]);
}

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned char)*s);
        else
            putchar(*s);
    }
    putchar('"');
}

static void print_attr(hid_t file, const char *name, int first)
{
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    if (a < 0)
        die("missing root attribute", name);
    hid_t t = H5Aget_type(a);
    printf("%s\"%s\": ", first ? "" : ", ", name);
    if (H5Tget_class(t) == H5T_STRING) {
        char *s = NULL;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t));
        if (H5Aread(a, mt, &s) < 0 || s == NULL)
            die("cannot read a string attribute", name);
        print_json_string(s);
        H5free_memory(s);
        H5Tclose(mt);
    } else if (H5Tget_class(t) == H5T_INTEGER) {
        int64_t v = 0;
        if (H5Aread(a, H5T_NATIVE_INT64, &v) < 0)
            die("cannot read an integer attribute", name);
        printf("%lld", (long long)v);
    } else {
        double v = 0;
        if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0)
            die("cannot read a floating-point attribute", name);
        printf("%.17g", v);
    }
    H5Tclose(t);
    H5Aclose(a);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--values") != 0)) {
        fputs("usage: tm_h5stats OUT.h5 [--values]\n", stderr);
        return 2;
    }
    const char *path = argv[1];
    int values = argc == 3;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        die("cannot open the file", path);

    static const char *const attrs[] = {
        "strategy", "metric", "loss", "input", "version", "margin", "loss_sum", "loss_mean",
        "loss_mean_active", "normalize", "num_embeddings", "dim", "num_triplets",
        "active_triplets", "skipped_anchors", "ranks"};
    double margin = 0;
    hid_t am = H5Aopen(file, "margin", H5P_DEFAULT);
    if (am < 0 || H5Aread(am, H5T_NATIVE_DOUBLE, &margin) < 0)
        die("cannot read the margin", path);
    H5Aclose(am);

    size_t m = 0, m2 = 0, m3 = 0;
    double *ap = read_column(file, path, "d_ap", &m);
    double *an = read_column(file, path, "d_an", &m2);
    double *loss = read_column(file, path, "loss", &m3);
    if (m2 != m || m3 != m)
        die("columns differ in length", path);
    double *diff = malloc((m + 1) * sizeof *diff);
    double *sorted = malloc((m + 1) * sizeof *sorted);
    if (diff == NULL || sorted == NULL)
        die("out of memory", path);
    long long below = 0, active = 0;
    double loss_sum = 0;
    for (size_t i = 0; i < m; i++) {
        diff[i] = an[i] - ap[i];
        below += diff[i] < margin;
        active += loss[i] > 0;
        loss_sum += loss[i];
    }

    printf("{\"m\": %zu, \"attrs\": {", m);
    for (size_t k = 0; k < sizeof attrs / sizeof attrs[0]; k++)
        print_attr(file, attrs[k], k == 0);
    putchar('}');
    print_quantiles("d_ap", ap, m);
    print_quantiles("d_an", an, m);
    memcpy(sorted, diff, m * sizeof *diff);
    print_quantiles("d_an_minus_d_ap", sorted, m);
    printf(", \"below_margin\": %lld, \"loss_active\": %lld, \"loss_sum\": %.17g", below, active,
           loss_sum);
    if (values) {
        printf(", \"diffs\": [");
        for (size_t i = 0; i < m; i++)
            printf("%s%.17g", i ? ", " : "", diff[i]);
        putchar(']');
    }
    printf("}\n");
    H5Fclose(file);
    free(ap);
    free(an);
    free(loss);
    free(diff);
    free(sorted);
    return 0;
}
