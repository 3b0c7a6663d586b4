/*
 * optwalk.h - the one command-line walker of every command (mine, synth,
 * inspect): long options (--name, --name=value, --name value), one-letter
 * short ones (-x, -x value), and, for a command that takes them,
 * positional arguments ("--" ends the options). What an option means is
 * the command's handler's business.
 */
#ifndef TM_BASE_OPTWALK_H
#define TM_BASE_OPTWALK_H

#include <stddef.h>

#include "tripminer/err.h"

/* One option that a command accepts. */
typedef struct tm_optdef {
    const char *lng; /* long name without the dashes: "input" for --input */
    char shrt;       /* the letter of the short form, 'i' for -i, or 0 */
    int has_value;   /* 1 if the option takes a value, 0 for a flag */
    int id;          /* what the command's handler switches on */
} tm_optdef_t;

/* An option: its id, its name as "--lng", its value (NULL for a flag). */
typedef int (*tm_opt_fn)(void *ctx, int id, const char *name, const char *val, tm_err_t *err);

/* A positional argument. */
typedef int (*tm_arg_fn)(void *ctx, const char *arg, tm_err_t *err);

/*
 * Walk argv (argv[0] is the first argument after the command word),
 * calling opt for each option and arg for each positional argument; with
 * arg NULL positional arguments are refused. cmd names the command in
 * messages. Returns 0, TM_EUSAGE with err saying what and where, or what a
 * handler returned. Local.
 */
int tm_optwalk(const char *cmd, int argc, char **argv, const tm_optdef_t *defs, size_t ndefs,
               tm_opt_fn opt, tm_arg_fn arg, void *ctx, tm_err_t *err);

#endif
