/*
 * opts_table.h - the option tables behind the command-line parsers of
 * opts.c. Internal (not installed): the tests walk these tables to check
 * that every option the parsers accept is in its command's --help.
 */
#ifndef TM_OPTS_TABLE_H
#define TM_OPTS_TABLE_H

#include <stddef.h>

#include "base/optwalk.h"


/*
 * The options of command cmd ("mine" or "synth"), in the order of its
 * table: returns the table and sets *count (out) to its length, or returns
 * NULL and sets *count to 0 for a command without a table. Local.
 */
const tm_optdef_t *tm_opts_table(const char *cmd, size_t *count);

#endif
