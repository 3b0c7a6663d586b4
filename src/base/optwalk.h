/*
 * optwalk.h - the options of every command as rows of data, and the one
 * walker that reads a command line through them.
 *
 * A row says everything about one option: its names, how its value is
 * read (the kind), the field it sets in the command's options struct,
 * which commands take it and under which heading their --help lists it,
 * and its help line with the default shown. From the rows come the parser
 * (tm_optwalk), the --help listing (tm_opthelp) and the subset of the
 * options each command takes. The syntax is the contract's: --name,
 * --name=value, --name value, -x, -x value, and for a command that takes
 * them positional arguments ("--" ends the options). The rows of the
 * commands are in app/optrows.c.
 */
#ifndef TM_BASE_OPTWALK_H
#define TM_BASE_OPTWALK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tripminer/err.h"

/* The commands, each an entry of a row's in[]. */
enum { TM_CMD_MINE, TM_CMD_EVAL, TM_CMD_SYNTH, TM_CMD_INSPECT, TM_NCMDS };

/* How an option's value is read and what it sets. */
typedef enum tm_optkind {
    TM_OPT_FLAG,   /* no value: sets an int to 1 */
    TM_OPT_CONST,  /* no value: sets an int to the row's set */
    TM_OPT_INT,    /* a whole number in [lo, hi], into an int */
    TM_OPT_I64,    /* a whole number in [lo, hi], into an int64_t */
    TM_OPT_U64,    /* a whole number from 0 to 2^64 - 1, into a uint64_t */
    TM_OPT_DBL,    /* a finite number, at least min, into a double */
    TM_OPT_BYTES,  /* a byte count, suffix K, M, G or T (tm_optval_bytes), into an int64_t */
    TM_OPT_STR,    /* the word itself, borrowed from argv, into a const char * */
    TM_OPT_CHOICE, /* one of the row's names: its position, into an enum */
    TM_OPT_NAME,   /* one of the row's names: the list's own string, into a const char * */
    TM_OPT_CUSTOM  /* the row's parse function reads it */
} tm_optkind_t;

/* A list of names, for TM_OPT_CHOICE and TM_OPT_NAME. */
typedef struct tm_optnames {
    const char *what;            /* "metric": "unknown metric 'x', expected ..." */
    const char *(*at)(size_t k); /* the k-th name, NULL past the last */
} tm_optnames_t;

/*
 * The parse function of a TM_OPT_CUSTOM row: read val into field (the
 * row's field in the options struct); cmd and name ("--threads") are for
 * messages. Returns 0 or TM_EUSAGE with err set.
 */
typedef int (*tm_optparse_fn)(void *field, const char *cmd, const char *name, const char *val,
                              tm_err_t *err);

/*
 * What --help shows of an option: "  -x, --name ARG   text [def]". text
 * has its lines separated by '\n'; "{names}" in it stands for the row's
 * names as "a | b | c", "{names or}" for "a, b or c". The default goes
 * after the text, or on a line of its own when the text ends with '\n'.
 * def NULL: a value row shows its field's default value (of the defaults
 * tm_opthelp is given), any other row no default.
 */
typedef struct tm_opthelp {
    const char *arg;  /* the value's placeholder, "FILE"; NULL for a flag */
    const char *text;
    const char *def;  /* what the brackets say: "none", "required", ... */
} tm_opthelp_t;

/* One option. Unused members stay zero. */
typedef struct tm_optrow {
    const char *lng;      /* the long name without the dashes: "input" for --input */
    char shrt;            /* the letter of the short form, 'i' for -i, or 0 */
    tm_optkind_t kind;
    size_t at;            /* offsetof the field it sets in the options struct */
    size_t given;         /* offsetof an int set to 1 when it is given, plus 1; 0: none */
    int64_t lo, hi;       /* TM_OPT_INT, TM_OPT_I64: the range */
    double min;           /* TM_OPT_DBL: the least value */
    int set;              /* TM_OPT_CONST: the value */
    const tm_optnames_t *names; /* TM_OPT_CHOICE, TM_OPT_NAME */
    tm_optparse_fn parse; /* TM_OPT_CUSTOM */
    /* Per command (TM_CMD_*): the group its --help lists it in, from 1;
     * 0: the command does not take it. */
    unsigned char in[TM_NCMDS];
    tm_opthelp_t help;
    tm_opthelp_t eval;    /* eval's --help: each non-NULL member replaces help's */
} tm_optrow_t;

/* Whether the option takes a value (every kind but the flags). */
int tm_optrow_has_value(const tm_optrow_t *row);

/* A command: the rows of its options struct and how its --help lists them. */
typedef struct tm_optcmd {
    int id;                    /* TM_CMD_*: the entry of each row's in[] */
    const char *name;          /* "mine", as messages name the command */
    const tm_optrow_t *rows;   /* it takes those with in[id] != 0 */
    size_t nrows;
    const char *const *groups; /* the headings of --help: groups[g - 1] heads group g */
    size_t ngroups;
    int width;                 /* the column where --help's descriptions start */
} tm_optcmd_t;

/* A positional argument. */
typedef int (*tm_arg_fn)(void *opts, const char *arg, tm_err_t *err);

/*
 * Walk argv (argv[0] is the first argument after the command word),
 * setting the fields of opts (the command's options struct) by the rows
 * of cmd, and calling arg for each positional argument; with arg NULL
 * positional arguments are refused. Returns 0, or TM_EUSAGE with err
 * saying what and where, at the first bad argument. Local.
 */
int tm_optwalk(const tm_optcmd_t *cmd, int argc, char **argv, void *opts, tm_arg_fn arg,
               tm_err_t *err);

/*
 * Print the groups of cmd's --help on f: each heading, then its options,
 * in the order of the rows; a blank line between groups. defaults is an
 * options struct holding the command's defaults. Local.
 */
void tm_opthelp(FILE *f, const tm_optcmd_t *cmd, const void *defaults);

/*
 * The value readers of the kinds, for parse functions: a whole number in
 * [lo, hi] and a finite number at least min, with the messages of every
 * option (cmd and name say where). Return 0 and set *out, or TM_EUSAGE.
 * Local.
 */
int tm_optval_i64(const char *cmd, const char *name, const char *val, int64_t lo, int64_t hi,
                  int64_t *out, tm_err_t *err);
int tm_optval_dbl(const char *cmd, const char *name, const char *val, double min, double *out,
                  tm_err_t *err);

/*
 * A byte count: a positive whole number with an optional suffix K, M, G or
 * T (powers of 1024, either case, optionally followed by "iB" or "B").
 * Returns 0 and sets *out, or TM_EUSAGE. Local.
 */
int tm_optval_bytes(const char *s, int64_t *out);

#endif
