/*
 * format.h - the one home of the output format and of the run's fields.
 *
 * tm_fields is the table of every named value of a run: the mining
 * parameters, what the run found, and the facts of its input. Each row
 * says where the value lives and where it goes:
 *
 *   TM_FIELD_ATTR  a root attribute of the output file, written in table
 *                  order (h5out.c) and read back by inspect;
 *   TM_FIELD_JSON  a key of the `mine --json` summary, in table order;
 * and, with its place in the checkpoint manifest, whether it is a
 * dependency of the saved state: --resume refuses a run in which it
 * differs.
 *
 * A new mining parameter is a member of tm_mine_params_t and one row here;
 * then the output, the summary, inspect and --resume all know it.
 * tm_out_datasets is the table of the output's datasets.
 */
#ifndef TM_IO_FORMAT_H
#define TM_IO_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tripminer/params.h"

/* The type a field has in the file and in JSON. */
typedef enum { TM_FT_STR, TM_FT_F64, TM_FT_I64, TM_FT_U64 } tm_ftype_t;

enum {
    TM_FIELD_ATTR = 1,
    TM_FIELD_JSON = 2,
    /*
     * A field of an option: the run has it (attribute, JSON key,
     * dependency) only when the option is used, so that a run without the
     * option gives the same bytes as before it existed.
     */
    TM_FIELD_WITH_REFERENCE = 4,  /* --reference */
    TM_FIELD_WITH_PAIRS = 8,      /* --pairs */
    TM_FIELD_WITH_CHOICE = 16,    /* a choosing run (tm_run_record_t.choosing) */
    TM_FIELD_WITH_PARTS = 32,     /* a partitioned run (--partitions) */
};
#define TM_FIELD_OPTIONAL \
    (TM_FIELD_WITH_REFERENCE | TM_FIELD_WITH_PAIRS | TM_FIELD_WITH_CHOICE | TM_FIELD_WITH_PARTS)

/* Everything a field's value may come from. */
typedef struct tm_run_record {
    const tm_mine_params_t *mine;
    const tm_mine_summary_t *sum;
    const char *version;     /* TM_VERSION */
    int64_t input_size;      /* bytes, -1 if unknown */
    char input_mtime[48];    /* seconds.nanoseconds */
    int64_t reference_size;  /* the same of --reference */
    char reference_mtime[48];
    int choosing;            /* a choosing run (rules/rule.h, tm_rule_choosing) */
} tm_run_record_t;

/*
 * A record of mine, sum and whether the run chooses (the rest unknown: sizes
 * -1, no times), with this build's version. Local.
 */
void tm_run_record_init(tm_run_record_t *r, const tm_mine_params_t *mine,
                        const tm_mine_summary_t *sum, int choosing);

/* One value. Strings are borrowed. */
typedef struct tm_value {
    tm_ftype_t type;
    int none;                /* an optional value that is absent */
    const char *s;
    double f;
    int64_t i;
    uint64_t u;
} tm_value_t;

/* Where a field's value is kept, and as what. */
typedef enum { TM_FROM_PARAMS, TM_FROM_SUMMARY, TM_FROM_RECORD } tm_fsrc_t;
typedef enum {
    TM_KEEP_STR,     /* const char * */
    TM_KEEP_CHARS,   /* a char array holding a string */
    TM_KEEP_F64,     /* double */
    TM_KEEP_I64,     /* int64_t */
    TM_KEEP_INT,     /* int */
    TM_KEEP_METRIC,  /* tm_metric_t, by its name */
    TM_KEEP_LOSS,    /* tm_loss_kind_t, by its name */
    TM_KEEP_OPT_F64, /* double, present when the int at off_has is set */
    TM_KEEP_NAN_F64, /* double, NaN unless the int at off_has is set */
    TM_KEEP_U64,     /* uint64_t */
    TM_KEEP_POS,     /* tm_pos_t, by its name */
} tm_fkeep_t;

typedef struct tm_field {
    const char *name;
    tm_ftype_t type;
    unsigned flags;          /* TM_FIELD_* */
    tm_fsrc_t src;
    tm_fkeep_t keep;
    size_t off, off_has;     /* offsets in the struct of src */
    const char *meaning;
    int dep;                 /* place in the checkpoint manifest, 1, 2, ...; 0: none */
} tm_field_t;

/* The table has at most this many rows (format.c checks). */
#define TM_FIELDS_MAX 64

extern const tm_field_t tm_fields[];
extern const size_t tm_nfields;

/* The index of the field of that name, or -1. */
int tm_field_index(const char *name);

/* Whether the run r has field f (see TM_FIELD_WITH_*). Local. */
int tm_field_present(const tm_field_t *f, const tm_run_record_t *r);

/* The value of field f in the run r. Local. */
void tm_field_get(const tm_field_t *f, const tm_run_record_t *r, tm_value_t *v);

/*
 * The value kept at at as keep says, into v (of type type, every other
 * member zero), for the kinds that need nothing but at: every kind but
 * TM_KEEP_OPT_F64 and TM_KEEP_NAN_F64, which leave v->none set. Shared by
 * the field tables of the mining output and of the eval report. Local.
 */
void tm_value_at(tm_fkeep_t keep, tm_ftype_t type, const char *at, tm_value_t *v);

/*
 * The checkpoint dependencies of r as key=value lines (malloc'd; NULL if
 * out of memory). Local.
 */
char *tm_fields_deps(const tm_run_record_t *r);

/* The --json summary of r: one JSON object and a newline on f. Local. */
void tm_fields_json(FILE *f, const tm_run_record_t *r);

/* ---- what a partitioned run measured ---------------------------------------- */

/*
 * The values of a partitioned run (docs/contract.md, "Partitions") that
 * the summaries of mine and eval, and inspect, show in one line of words.
 */
typedef struct tm_parts_facts {
    int64_t partitions, probe;
    int64_t check_anchors;     /* 0: no check (--check 0) */
    double check_identical;    /* fractions; NaN when there is nothing to count */
    double check_recall;
    int64_t certified_anchors;
    const char *unit;          /* what the check counts: "anchors" or "queries" */
} tm_parts_facts_t;

/*
 * p in words into buf (cut to len - 1 bytes): "C, probe P; check: S
 * anchors, X % identical, recall R; Z certified", or "check: none (--check
 * 0)" without a check. A fraction below 1 is never rounded up to 100 % or
 * 1.000, and one with nothing to count reads "n/a". Local.
 */
void tm_parts_words(const tm_parts_facts_t *p, char *buf, size_t len);

/* ---- datasets ------------------------------------------------------------ */

typedef struct tm_dataset_def {
    const char *name;
    int cols;                /* 0: one column, a 1-D dataset */
    int is_int;              /* int64 little-endian; else float32 little-endian */
    const char *meaning;
} tm_dataset_def_t;

/* The datasets of a mining output, in the order they are created. */
#define TM_OUT_NDATASETS 4
extern const tm_dataset_def_t tm_out_datasets[TM_OUT_NDATASETS];

#endif
