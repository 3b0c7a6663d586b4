/*
 * optwalk.c - the option rows: the walker, the value readers of each kind
 * and the --help listing (optwalk.h).
 *
 * A small parser of our own rather than getopt_long: it keeps no global
 * state (tests parse many command lines in one process) and says exactly
 * which option or value was wrong.
 */
#include "base/optwalk.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- values --------------------------------------------------------------- */

int tm_optval_i64(const char *cmd, const char *name, const char *val, int64_t lo, int64_t hi,
                  int64_t *out, tm_err_t *err)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(val, &end, 10);
    if (val[0] == '\0' || *end != '\0' || errno == ERANGE)
        return tm_err_set(err, TM_EUSAGE, "%s expects a whole number, got '%s' (%s)", name, val,
                          cmd);
    if (v < lo || v > hi)
        return tm_err_set(err, TM_EUSAGE, "%s must be between %lld and %lld, got %lld (%s)",
                          name, (long long)lo, (long long)hi, v, cmd);
    *out = v;
    return 0;
}

static int optval_u64(const char *cmd, const char *name, const char *val, uint64_t *out,
                      tm_err_t *err)
{
    char *end = NULL;
    errno = 0;
    /* strtoull takes "-1" as 2^64 - 1: refuse a sign first. */
    if (val[0] == '-' || val[0] == '\0')
        return tm_err_set(err, TM_EUSAGE,
                          "%s expects a non-negative whole number, got '%s' (%s)", name, val, cmd);
    unsigned long long v = strtoull(val, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return tm_err_set(err, TM_EUSAGE,
                          "%s expects a non-negative whole number, got '%s' (%s)", name, val, cmd);
    *out = v;
    return 0;
}

int tm_optval_dbl(const char *cmd, const char *name, const char *val, double min, double *out,
                  tm_err_t *err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(val, &end);
    if (val[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v))
        return tm_err_set(err, TM_EUSAGE, "%s expects a finite number, got '%s' (%s)", name, val,
                          cmd);
    if (v < min)
        return tm_err_set(err, TM_EUSAGE, "%s must be at least %g, got %s (%s)", name, min, val,
                          cmd);
    *out = v;
    return 0;
}

int tm_optval_bytes(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (s[0] == '\0' || s[0] == '-')
        return TM_EUSAGE;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno == ERANGE)
        return TM_EUSAGE;
    unsigned shift = 0;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: return TM_EUSAGE;
    }
    if (*end == 'i' || *end == 'B') { /* accept KiB, KB, K */
        if (*end == 'i')
            end++;
        if (*end == 'B')
            end++;
    }
    if (*end != '\0' || v == 0 || v > ((unsigned long long)INT64_MAX >> shift))
        return TM_EUSAGE;
    *out = (int64_t)(v << shift);
    return 0;
}

/* ---- names ---------------------------------------------------------------- */

/* The names of a list joined into buf: "a | b | c" or "a, b or c". */
static void join_names(const tm_optnames_t *names, int with_or, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; names->at(k) != NULL && used < len; k++) {
        const char *sep = k == 0 ? "" : !with_or ? " | " : names->at(k + 1) == NULL ? " or " : ", ";
        int w = snprintf(buf + used, len - used, "%s%s", sep, names->at(k));
        if (w < 0)
            return;
        used += (size_t)w;
    }
}

/* The position of val in the list, or -1. */
static long find_name(const tm_optnames_t *names, const char *val)
{
    for (size_t k = 0; names->at(k) != NULL; k++)
        if (strcmp(names->at(k), val) == 0)
            return (long)k;
    return -1;
}

/* ---- the walker ----------------------------------------------------------- */

int tm_optrow_has_value(const tm_optrow_t *row)
{
    return row->kind != TM_OPT_FLAG && row->kind != TM_OPT_CONST;
}

/* Set the row's field of opts from val (NULL for a flag). */
static int apply(const tm_optrow_t *r, const char *cmd, const char *name, const char *val,
                 void *opts, tm_err_t *err)
{
    char *base = opts;
    void *field = base + r->at;
    if (r->given != 0)
        *(int *)(void *)(base + r->given - 1) = 1;
    int rc = 0;
    switch (r->kind) {
    case TM_OPT_FLAG: *(int *)field = 1; return 0;
    case TM_OPT_CONST: *(int *)field = r->set; return 0;
    case TM_OPT_INT: {
        int64_t v = 0;
        rc = tm_optval_i64(cmd, name, val, r->lo, r->hi, &v, err);
        if (rc == 0)
            *(int *)field = (int)v;
        return rc;
    }
    case TM_OPT_I64: return tm_optval_i64(cmd, name, val, r->lo, r->hi, field, err);
    case TM_OPT_U64: return optval_u64(cmd, name, val, field, err);
    case TM_OPT_DBL: return tm_optval_dbl(cmd, name, val, r->min, field, err);
    case TM_OPT_BYTES:
        if (tm_optval_bytes(val, field) != 0)
            return tm_err_set(err, TM_EUSAGE,
                              "%s expects a positive byte count such as 4G or 512M, got '%s' (%s)",
                              name, val, cmd);
        return 0;
    case TM_OPT_STR: *(const char **)field = val; return 0;
    case TM_OPT_CHOICE:
    case TM_OPT_NAME: {
        long k = find_name(r->names, val);
        if (k < 0) {
            char list[256];
            join_names(r->names, 1, list, sizeof list);
            return tm_err_set(err, TM_EUSAGE, "unknown %s '%s', expected %s (%s %s)",
                              r->names->what, val, list, cmd, name);
        }
        if (r->kind == TM_OPT_NAME) {
            *(const char **)field = r->names->at((size_t)k);
        } else {
            /* An enum field: its position, in the int an enum is stored as. */
            int v = (int)k;
            memcpy(field, &v, sizeof v);
        }
        return 0;
    }
    case TM_OPT_CUSTOM: return r->parse(field, cmd, name, val, err);
    }
    return tm_err_set(err, TM_EINTERNAL, "unhandled option %s (%s)", name, cmd);
}

/* The row of cmd with this long name (len bytes of body), or NULL. */
static const tm_optrow_t *find_long(const tm_optcmd_t *cmd, const char *body, size_t len)
{
    const tm_optrow_t *d = NULL;
    for (size_t k = 0; k < cmd->nrows; k++) {
        const tm_optrow_t *r = &cmd->rows[k];
        if (r->in[cmd->id] && strlen(r->lng) == len && strncmp(r->lng, body, len) == 0)
            d = r;
    }
    return d;
}

int tm_optwalk(const tm_optcmd_t *cmd, int argc, char **argv, void *opts, tm_arg_fn arg,
               tm_err_t *err)
{
    const char *c = cmd->name;
    int only_args = 0; /* after "--" */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const tm_optrow_t *d = NULL;
        const char *val = NULL;
        int rc;
        if (arg != NULL && (only_args || a[0] != '-' || a[1] == '\0')) {
            rc = arg(opts, a, err);
            if (rc != 0)
                return rc;
            continue;
        }
        if (arg != NULL && strcmp(a, "--") == 0) {
            only_args = 1;
            continue;
        }
        if (a[0] == '-' && a[1] == '-' && a[2] != '\0') {
            const char *body = a + 2;
            const char *eq = strchr(body, '=');
            size_t len = eq ? (size_t)(eq - body) : strlen(body);
            d = find_long(cmd, body, len);
            if (d == NULL)
                return tm_err_set(err, TM_EUSAGE,
                                  "unknown option '%.*s' (%s; see 'tripminer %s --help')",
                                  (int)(len + 2), a, c, c);
            if (eq != NULL) {
                if (!tm_optrow_has_value(d))
                    return tm_err_set(err, TM_EUSAGE, "option '--%s' takes no value (%s)",
                                      d->lng, c);
                val = eq + 1;
            }
        } else if (a[0] == '-' && a[1] != '\0' && a[1] != '-' && (a[2] == '\0' || arg != NULL)) {
            for (size_t k = 0; a[2] == '\0' && k < cmd->nrows; k++)
                if (cmd->rows[k].in[cmd->id] && cmd->rows[k].shrt == a[1])
                    d = &cmd->rows[k];
            if (d == NULL)
                return tm_err_set(err, TM_EUSAGE,
                                  "unknown option '%s' (%s; see 'tripminer %s --help')", a, c, c);
        } else {
            return tm_err_set(err, TM_EUSAGE,
                              "unexpected argument '%s' (%s; see 'tripminer %s --help')", a, c, c);
        }
        char name[64];
        snprintf(name, sizeof name, "--%s", d->lng);
        if (tm_optrow_has_value(d) && val == NULL) {
            if (i + 1 >= argc)
                return tm_err_set(err, TM_EUSAGE, "option '%s' needs a value (%s)", name, c);
            val = argv[++i];
        }
        rc = apply(d, c, name, val, opts, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- --help --------------------------------------------------------------- */

/* The default of a value row as its field holds it in defaults, or NULL. */
static const char *shown_default(const tm_optrow_t *r, const void *defaults, char *buf,
                                 size_t len)
{
    const void *field = (const char *)defaults + r->at;
    switch (r->kind) {
    case TM_OPT_INT: snprintf(buf, len, "%d", *(const int *)field); return buf;
    case TM_OPT_I64: snprintf(buf, len, "%lld", (long long)*(const int64_t *)field); return buf;
    case TM_OPT_U64:
        snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)field);
        return buf;
    case TM_OPT_DBL: snprintf(buf, len, "%g", *(const double *)field); return buf;
    case TM_OPT_STR:
    case TM_OPT_NAME: return *(const char *const *)field;
    case TM_OPT_CHOICE: {
        int v;
        memcpy(&v, field, sizeof v);
        return r->names->at((size_t)v);
    }
    default: return NULL;
    }
}

/* The text of a help line, its '\n' indented to width, its names spelt out. */
static void put_text(FILE *f, const tm_optrow_t *r, const char *text, int width)
{
    static const char *const marks[] = {"{names}", "{names or}"};
    for (const char *p = text; *p != '\0'; p++) {
        int m = -1;
        for (int k = 0; k < 2 && r->names != NULL; k++)
            if (strncmp(p, marks[k], strlen(marks[k])) == 0)
                m = k;
        if (m >= 0) {
            char list[256];
            join_names(r->names, m == 1, list, sizeof list);
            fputs(list, f);
            p += strlen(marks[m]) - 1;
        } else if (*p == '\n') {
            fprintf(f, "\n%*s", width, "");
        } else {
            fputc(*p, f);
        }
    }
}

static void put_row(FILE *f, const tm_optcmd_t *cmd, const tm_optrow_t *r, const void *defaults)
{
    tm_opthelp_t h = r->help;
    if (cmd->id == TM_CMD_EVAL) {
        h.arg = r->eval.arg ? r->eval.arg : h.arg;
        h.text = r->eval.text ? r->eval.text : h.text;
        h.def = r->eval.def ? r->eval.def : h.def;
    }
    char left[96], buf[64];
    int n;
    if (r->shrt)
        n = snprintf(left, sizeof left, "  -%c, --%s", r->shrt, r->lng);
    else
        n = snprintf(left, sizeof left, "      --%s", r->lng);
    if (h.arg != NULL)
        n += snprintf(left + n, sizeof left - (size_t)n, " %s", h.arg);
    /* The description starts at width, or two spaces after a longer name. */
    fprintf(f, "%s%*s", left, n < cmd->width ? cmd->width - n : 2, "");
    put_text(f, r, h.text, cmd->width);
    const char *def = h.def ? h.def : shown_default(r, defaults, buf, sizeof buf);
    if (def != NULL) {
        size_t len = strlen(h.text);
        fprintf(f, "%s[%s]", len > 0 && h.text[len - 1] == '\n' ? "" : " ", def);
    }
    fputc('\n', f);
}

void tm_opthelp(FILE *f, const tm_optcmd_t *cmd, const void *defaults)
{
    for (size_t g = 1; g <= cmd->ngroups; g++) {
        fprintf(f, "%s%s\n", g > 1 ? "\n" : "", cmd->groups[g - 1]);
        for (size_t k = 0; k < cmd->nrows; k++)
            if (cmd->rows[k].in[cmd->id] == g)
                put_row(f, cmd, &cmd->rows[k], defaults);
    }
}
