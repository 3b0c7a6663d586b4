/*
 * buf.h - a growing byte buffer with bounds-checked reads: the bytes of a
 * rule's state in a checkpoint, and of the files that hold them.
 */
#ifndef TM_BASE_BUF_H
#define TM_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct tm_buf {
    unsigned char *p;
    size_t len, cap, pos;
    int bad; /* a read ran past the end, or an allocation failed */
} tm_buf_t;

void tm_buf_put(tm_buf_t *b, const void *x, size_t n);
void tm_buf_put_i64(tm_buf_t *b, int64_t v);
/* Read n bytes; on a short buffer set bad, zero x and return -1. */
int tm_buf_get(tm_buf_t *b, void *x, size_t n);
int64_t tm_buf_get_i64(tm_buf_t *b);
/* Bytes not yet read. */
size_t tm_buf_left(const tm_buf_t *b);
void tm_buf_free(tm_buf_t *b);

/*
 * Read count items of size bytes into x, refusing counts the buffer
 * cannot hold: 0, or -1 (and nothing trusted) for bytes that do not fit.
 */
int tm_buf_get_array(tm_buf_t *b, void *x, int64_t count, size_t size);

#endif
