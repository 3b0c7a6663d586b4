/*
 * json.c - the two JSON writers of the summaries (mine --json, inspect --json).
 */
#include "base/json.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/utf8.h"

/* The shortest %g form that reads back as v; null for what JSON cannot hold. */
void tm_json_num(FILE *f, double v)
{
    if (!isfinite(v)) {
        fputs("null", f);
        return;
    }
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, f);
}

/* A JSON string: escapes, and U+FFFD for bytes that are not UTF-8. */
void tm_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        int len = tm_utf8_next(p, &cp);
        if (len == 0) {
            fputs("\\ufffd", f);
            p++;
        } else if (cp == '"' || cp == '\\') {
            fprintf(f, "\\%c", (int)cp);
            p++;
        } else if (cp < 0x20) {
            fprintf(f, "\\u%04x", (unsigned)cp);
            p++;
        } else {
            fwrite(p, 1, (size_t)len, f);
            p += len;
        }
    }
    fputc('"', f);
}
