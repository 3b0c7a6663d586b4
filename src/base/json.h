/*
 * json.h - JSON numbers and strings for the --json summaries (internal).
 */
#ifndef TM_JSON_H
#define TM_JSON_H

#include <stdio.h>

/* The shortest %g form that reads back as v; null for what JSON cannot hold. */
void tm_json_num(FILE *f, double v);

/* A JSON string: escapes, and U+FFFD for bytes that are not UTF-8. */
void tm_json_str(FILE *f, const char *s);

#endif
