/*
 * h5util.c - private HDF5 helpers.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "io/h5util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tm_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

typedef struct walk_ctx {
    char *buf;
    size_t len;
} walk_ctx_t;

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    walk_ctx_t *ctx = data;
    /*
     * Walking upward, the first record is the innermost (most specific);
     * keep the first one that says something.
     */
    (void)n;
    if (ctx->buf[0] == '\0' && e->desc != NULL && e->desc[0] != '\0')
        snprintf(ctx->buf, ctx->len, "%s", e->desc);
    return 0;
}

void tm_h5_last_error(char *buf, size_t len)
{
    walk_ctx_t ctx = {buf, len};
    if (len > 0)
        buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &ctx);
    H5Eclear2(H5E_DEFAULT);
}

void tm_h5_close(hid_t id)
{
    if (id < 0)
        return;
    switch (H5Iget_type(id)) {
    case H5I_FILE: H5Fclose(id); break;
    case H5I_GROUP: H5Gclose(id); break;
    case H5I_DATASET: H5Dclose(id); break;
    case H5I_DATASPACE: H5Sclose(id); break;
    case H5I_DATATYPE: H5Tclose(id); break;
    case H5I_ATTR: H5Aclose(id); break;
    case H5I_GENPROP_LST: H5Pclose(id); break;
    default: break;
    }
}

/* ---- scalar attributes ----------------------------------------------------- */

static int attr_write(hid_t obj, const char *name, hid_t type, const void *val)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp >= 0 ? H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int rc = a >= 0 && H5Awrite(a, type, val) >= 0 ? 0 : -1;
    tm_h5_close(a);
    tm_h5_close(sp);
    return rc;
}

static int attr_str(hid_t obj, const char *name, const char *val)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    int rc = -1;
    if (t >= 0 && H5Tset_size(t, H5T_VARIABLE) >= 0 && H5Tset_cset(t, H5T_CSET_UTF8) >= 0)
        rc = attr_write(obj, name, t, &val);
    tm_h5_close(t);
    return rc;
}

static int attr_f64(hid_t obj, const char *name, double v)
{
    return attr_write(obj, name, H5T_NATIVE_DOUBLE, &v);
}

static int attr_i64(hid_t obj, const char *name, int64_t v)
{
    return attr_write(obj, name, H5T_NATIVE_INT64, &v);
}

static int attr_u64(hid_t obj, const char *name, uint64_t v)
{
    return attr_write(obj, name, H5T_NATIVE_UINT64, &v);
}

int tm_h5_attr_write(hid_t obj, const char *name, const tm_value_t *v)
{
    switch (v->type) {
    case TM_FT_STR: return attr_str(obj, name, v->s);
    case TM_FT_F64: return attr_f64(obj, name, v->f);
    case TM_FT_I64: return attr_i64(obj, name, v->i);
    case TM_FT_U64: return attr_u64(obj, name, v->u);
    }
    return -1;
}

/* ---- reading them back ------------------------------------------------------ */

/* A type class in words, with its article: "attribute X is a string". */
static const char *class_phrase(H5T_class_t c, int names_compound)
{
    switch (c) {
    case H5T_INTEGER: return "an integer";
    case H5T_FLOAT: return "a floating-point number";
    case H5T_STRING: return "a string";
    case H5T_COMPOUND: return names_compound ? "a compound" : "of another type";
    case H5T_ARRAY: return names_compound ? "an array" : "of another type";
    default: return "of another type";
    }
}

/* Open attribute name of obj, one value of class want (its type in *type); say what is wrong. */
static hid_t open_attr(hid_t obj, const char *name, H5T_class_t want, const tm_h5_reader_t *rd,
                       hid_t *type, tm_err_t *err)
{
    *type = H5I_INVALID_HID;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
    hid_t sp = a >= 0 ? H5Aget_space(a) : H5I_INVALID_HID;
    hssize_t npts = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    tm_h5_close(sp);
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    if (t < 0)
        tm_err_set(err, TM_EINPUT, "cannot read root attribute '%s' (%s)", name, rd->path);
    else if (c != want)
        tm_err_set(err, TM_EINPUT, "%s: root attribute '%s' is %s, expected %s (%s)",
                   rd->complaint, name, class_phrase(c, rd->names_compound),
                   class_phrase(want, rd->names_compound), rd->path);
    else if (npts != 1)
        tm_err_set(err, TM_EINPUT, "%s: root attribute '%s' holds %lld values, expected one (%s)",
                   rd->complaint, name, (long long)npts, rd->path);
    else {
        *type = t;
        return a;
    }
    H5Eclear2(H5E_DEFAULT);
    tm_h5_close(t);
    tm_h5_close(a);
    return H5I_INVALID_HID;
}

/* A string attribute, fixed-length or variable-length, into a malloc'd copy (NULL on failure). */
static char *read_str(hid_t a, hid_t ft)
{
    char *out = NULL;
    hid_t mt = H5Tcopy(H5T_C_S1);
    if (H5Tis_variable_str(ft) > 0) {
        char *p = NULL;
        if (mt >= 0 && H5Tset_size(mt, H5T_VARIABLE) >= 0 &&
            H5Tset_cset(mt, H5Tget_cset(ft)) >= 0 && H5Aread(a, mt, &p) >= 0) {
            out = strdup(p != NULL ? p : "");
            H5free_memory(p);
        }
    } else {
        /* Room for a terminating NUL that a full-length value does not hold. */
        size_t n = H5Tget_size(ft);
        out = calloc(n + 2, 1);
        int ok = out != NULL && mt >= 0 && H5Tset_size(mt, n + 1) >= 0 &&
                 H5Tset_cset(mt, H5Tget_cset(ft)) >= 0 &&
                 H5Tset_strpad(mt, H5T_STR_NULLTERM) >= 0 && H5Aread(a, mt, out) >= 0;
        if (!ok) {
            free(out);
            out = NULL;
        }
    }
    tm_h5_close(mt);
    return out;
}

int tm_h5_attr_read(hid_t obj, const char *name, int optional, const tm_h5_reader_t *rd,
                    tm_value_t *v, tm_err_t *err)
{
    v->none = 0;
    if (H5Aexists(obj, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        v->none = 1;
        if (optional)
            return 0; /* an option the run did not use */
        return tm_err_set(err, TM_EINPUT, "%s: root attribute '%s' is missing (%s)",
                          rd->complaint, name, rd->path);
    }
    const H5T_class_t want = v->type == TM_FT_STR   ? H5T_STRING
                             : v->type == TM_FT_F64 ? H5T_FLOAT
                                                    : H5T_INTEGER;
    hid_t ft;
    hid_t a = open_attr(obj, name, want, rd, &ft, err);
    if (a < 0)
        return err->code != 0 ? err->code : TM_EINPUT;
    int ok;
    if (v->type == TM_FT_STR) {
        v->s = read_str(a, ft);
        ok = v->s != NULL;
    } else {
        hid_t mem = v->type == TM_FT_F64   ? H5T_NATIVE_DOUBLE
                    : v->type == TM_FT_U64 ? H5T_NATIVE_UINT64
                                           : H5T_NATIVE_INT64;
        void *to = v->type == TM_FT_F64 ? (void *)&v->f : v->type == TM_FT_U64 ? (void *)&v->u
                                                                                : (void *)&v->i;
        ok = H5Aread(a, mem, to) >= 0;
    }
    tm_h5_close(ft);
    tm_h5_close(a);
    if (!ok) {
        H5Eclear2(H5E_DEFAULT);
        return tm_err_set(err, TM_EINPUT, "cannot read root attribute '%s' (%s)", name, rd->path);
    }
    return 0;
}
