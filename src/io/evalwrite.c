/*
 * evalwrite.c - REPORT.h5 of tripminer eval (evalwrite.h).
 */
#include "io/evalwrite.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/publish.h"
#include "io/h5util.h"

/* A 1-D dataset of n values at stride bytes from base (float64 or int64). */
static int column(hid_t g, const char *name, const void *base, size_t stride, int64_t n,
                  int is_float)
{
    const size_t cnt = (size_t)(n > 0 ? n : 1);
    unsigned char *buf = malloc(cnt * 8);
    if (buf == NULL)
        return -1;
    for (int64_t i = 0; i < n; i++)
        memcpy(buf + i * 8, (const unsigned char *)base + (size_t)i * stride, 8);
    hsize_t dims[1] = {(hsize_t)n};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0); /* no times: the same report is the same bytes */
    hid_t d = H5Dcreate2(g, name, is_float ? H5T_IEEE_F64LE : H5T_STD_I64LE, sp, H5P_DEFAULT,
                         dcpl, H5P_DEFAULT);
    tm_h5_close(dcpl);
    int rc = d >= 0 ? 0 : -1;
    if (rc == 0 && n > 0 &&
        H5Dwrite(d, is_float ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64, H5S_ALL, H5S_ALL,
                 H5P_DEFAULT, buf) < 0)
        rc = -1;
    tm_h5_close(d);
    tm_h5_close(sp);
    free(buf);
    return rc;
}

/* A group without times, holding a column per column of its table. */
static int group(hid_t f, const tm_eval_group_t *g, const void *rows, int64_t n)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t h = H5Gcreate2(f, g->name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    tm_h5_close(gcpl);
    int bad = h < 0;
    for (int i = 0; i < tm_eval_ncols(g); i++) {
        const tm_eval_column_t c = tm_eval_col(g, i);
        bad |= column(h, c.name, (const char *)rows + c.off, g->row_bytes, n, c.is_float);
    }
    tm_h5_close(h);
    return bad;
}

/* The root attributes the run has, in table order. */
static int attributes(hid_t f, const tm_eval_sources_t *s)
{
    int bad = 0;
    for (size_t i = 0; i < tm_eval_nfields; i++) {
        const tm_eval_field_t *fd = &tm_eval_fields[i];
        if (!(fd->flags & TM_EVAL_ATTR) || !tm_eval_field_present(fd, s))
            continue;
        tm_value_t v;
        if (fd->flags & TM_EVAL_AVGS) {
            for (int k = 0; k < TM_EVAL_NMETRICS; k++) {
                char name[64];
                tm_eval_avg_name(fd, k, name, sizeof name);
                tm_eval_field_get(fd, k, s, &v);
                bad |= tm_h5_attr_write(f, name, &v);
            }
            continue;
        }
        tm_eval_field_get(fd, 0, s, &v);
        bad |= tm_h5_attr_write(f, fd->name, &v);
    }
    return bad;
}

int tm_eval_write(const tm_eval_sources_t *s, const tm_eval_tables_t *t, tm_err_t *err)
{
    const char *path = s->run->output;
    char tmp[4096];
    if (tm_publish_tmpname(path, tmp, sizeof tmp) != 0)
        return tm_err_set(err, TM_EIO, "report path is too long (%s)", path);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_obj_track_times(fcpl, 0); /* no times: the same report is the same bytes */
    hid_t f = H5Fcreate(tmp, H5F_ACC_EXCL, fcpl, H5P_DEFAULT);
    tm_h5_close(fcpl);
    if (f < 0)
        return tm_err_set(err, TM_EIO, "cannot create the report %s", tmp);
    int bad = attributes(f, s);
    for (int g = 0; g < TM_EVAL_NGROUPS; g++) {
        const tm_eval_group_t *gr = &tm_eval_groups[g];
        if ((gr->flags & TM_EVAL_WITH_BY_CLASS) && !s->eval->by_class)
            continue; /* the group of an option the run did not use */
        bad |= group(f, gr, t->rows[g], t->n[g]);
    }
    bad |= H5Fclose(f) < 0;
    if (bad) {
        unlink(tmp);
        return tm_err_set(err, TM_EIO, "cannot write the report (%s)", path);
    }
    int rc = tm_publish(tmp, path, s->run->force, "report", err);
    if (rc != 0)
        unlink(tmp);
    return rc;
}
