/*
 * optwalk.c - the command-line walker (optwalk.h).
 */
#include "base/optwalk.h"

#include <stdio.h>
#include <string.h>

static const tm_optdef_t *find_long(const tm_optdef_t *defs, size_t ndefs, const char *body,
                                    size_t len)
{
    const tm_optdef_t *d = NULL;
    for (size_t k = 0; k < ndefs; k++)
        if (strlen(defs[k].lng) == len && strncmp(defs[k].lng, body, len) == 0)
            d = &defs[k];
    return d;
}

int tm_optwalk(const char *cmd, int argc, char **argv, const tm_optdef_t *defs, size_t ndefs,
               tm_opt_fn opt, tm_arg_fn arg, void *ctx, tm_err_t *err)
{
    int only_args = 0; /* after "--" */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const tm_optdef_t *d = NULL;
        const char *val = NULL;
        int rc;
        if (arg != NULL && (only_args || a[0] != '-' || a[1] == '\0')) {
            rc = arg(ctx, a, err);
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
            d = find_long(defs, ndefs, body, len);
            if (d == NULL)
                return tm_err_set(err, TM_EUSAGE,
                                  "unknown option '%.*s' (%s; see 'tripminer %s --help')",
                                  (int)(len + 2), a, cmd, cmd);
            if (eq != NULL) {
                if (!d->has_value)
                    return tm_err_set(err, TM_EUSAGE, "option '--%s' takes no value (%s)",
                                      d->lng, cmd);
                val = eq + 1;
            }
        } else if (a[0] == '-' && a[1] != '\0' && a[1] != '-' && (a[2] == '\0' || arg != NULL)) {
            for (size_t k = 0; a[2] == '\0' && k < ndefs; k++)
                if (defs[k].shrt == a[1])
                    d = &defs[k];
            if (d == NULL)
                return tm_err_set(err, TM_EUSAGE, "unknown option '%s' (%s; see 'tripminer %s --help')",
                                  a, cmd, cmd);
        } else {
            return tm_err_set(err, TM_EUSAGE,
                              "unexpected argument '%s' (%s; see 'tripminer %s --help')", a, cmd,
                              cmd);
        }
        char name[64];
        snprintf(name, sizeof name, "--%s", d->lng);
        if (d->has_value && val == NULL) {
            if (i + 1 >= argc)
                return tm_err_set(err, TM_EUSAGE, "option '%s' needs a value (%s)", name, cmd);
            val = argv[++i];
        }
        rc = opt(ctx, d->id, name, val, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}
