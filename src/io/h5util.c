/*
 * h5util.c - private HDF5 helpers.
 */
#include "io/h5util.h"

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
