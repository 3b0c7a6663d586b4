/*
 * utf8.h - checking UTF-8 byte by byte, for the JSON and SVG writers:
 * strings from a file (an input path, a version) may hold any bytes, and
 * an invalid sequence would make the whole document invalid.
 */
#ifndef TM_UTF8_H
#define TM_UTF8_H

#include <stdint.h>

/*
 * Decode the UTF-8 sequence at s (NUL-terminated). Returns its length in
 * bytes (1 to 4) with the code point in *cp, or 0 when the bytes at s are
 * not a well-formed sequence (overlong, a surrogate, beyond U+10FFFF, cut
 * short).
 */
static inline int tm_utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    int len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1fu, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0fu, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0; /* also stops at the NUL */
        v = (v << 6) | (s[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

#endif
