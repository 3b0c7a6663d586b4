/*
 * opts_table.h - the option rows of every command (app/optrows.c) and
 * what the parsers of opts.c know beyond the installed options structs.
 * Internal (not installed): the tests walk the rows to check each
 * command's --help against its parser.
 */
#ifndef TM_OPTS_TABLE_H
#define TM_OPTS_TABLE_H

#include "base/optwalk.h"
#include "tripminer/opts.h"

/*
 * What the parser of mine and eval fills: the options, and which options
 * were given, for the checks between options that follow the walk.
 */
typedef struct tm_mine_cmdline {
    tm_mine_opts_t opts;
    int positives_given; /* --positives (refused with --pairs) */
    int pos_given;       /* --pos (refused with --pairs) */
    int ref_names_given; /* --ref-embeddings or --ref-labels (refused without --reference) */
} tm_mine_cmdline_t;

/*
 * The command named cmd: "mine" and "eval" (whose rows set a
 * tm_mine_cmdline_t), "synth" (a tm_synth_opts_t) or "inspect" (a
 * tm_inspect_opts_t); NULL for any other name. Local.
 */
const tm_optcmd_t *tm_opts_table(const char *cmd);

#endif
