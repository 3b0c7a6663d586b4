/*
 * buf.c - growing byte buffers with bounds-checked reads (base/buf.h).
 */
#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

void tm_buf_put(tm_buf_t *b, const void *x, size_t n)
{
    if (b->bad || n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap > 0 ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->bad = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, x, n);
    b->len += n;
}

void tm_buf_put_i64(tm_buf_t *b, int64_t v)
{
    tm_buf_put(b, &v, sizeof v);
}

int tm_buf_get(tm_buf_t *b, void *x, size_t n)
{
    if (b->bad || n > b->len - b->pos) {
        b->bad = 1;
        memset(x, 0, n);
        return -1;
    }
    memcpy(x, b->p + b->pos, n);
    b->pos += n;
    return 0;
}

int64_t tm_buf_get_i64(tm_buf_t *b)
{
    int64_t v = 0;
    tm_buf_get(b, &v, sizeof v);
    return v;
}

size_t tm_buf_left(const tm_buf_t *b)
{
    return b->bad ? 0 : b->len - b->pos;
}

void tm_buf_free(tm_buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

int tm_buf_get_array(tm_buf_t *b, void *x, int64_t count, size_t size)
{
    if (count < 0 || (uint64_t)count > tm_buf_left(b) / size)
        return -1;
    return tm_buf_get(b, x, (size_t)count * size);
}
