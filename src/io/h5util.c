/*
 * h5util.c - private HDF5 helpers.
 */
#include "io/h5util.h"

#include <stdint.h>
#include <stdio.h>
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

int tm_h5_attr_str(hid_t obj, const char *name, const char *val)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    int rc = -1;
    if (t >= 0 && H5Tset_size(t, H5T_VARIABLE) >= 0 && H5Tset_cset(t, H5T_CSET_UTF8) >= 0)
        rc = attr_write(obj, name, t, &val);
    tm_h5_close(t);
    return rc;
}

int tm_h5_attr_f64(hid_t obj, const char *name, double v)
{
    return attr_write(obj, name, H5T_NATIVE_DOUBLE, &v);
}

int tm_h5_attr_i64(hid_t obj, const char *name, int64_t v)
{
    return attr_write(obj, name, H5T_NATIVE_INT64, &v);
}

int tm_h5_attr_u64(hid_t obj, const char *name, uint64_t v)
{
    return attr_write(obj, name, H5T_NATIVE_UINT64, &v);
}
