/*
 * registry.c - the mining rules the program knows (rule.h).
 */
#include "rules/rule.h"

#include <stdio.h>
#include <string.h>

/*
 * The rules, one line each, in the order --help and error messages list
 * them; the first is the default strategy. RULE(NAME) stands for the
 * tm_rule_t tm_rule_NAME of rules/NAME.c, whose name is "NAME". The tests
 * (tests/CMakeLists.txt) read the names from these lines.
 */
#define TM_RULES(RULE) \
    RULE(hard)         \
    RULE(semihard)     \
    RULE(topk)         \
    RULE(sample)       \
    /* end of the list */

#define DECLARE(name) extern const tm_rule_t tm_rule_##name;
#define ENTRY(name) &tm_rule_##name,
TM_RULES(DECLARE)
static const tm_rule_t *const registry[] = {TM_RULES(ENTRY)};

#define NRULES (sizeof registry / sizeof registry[0])

const tm_rule_t *tm_rule_find(const char *name)
{
    for (size_t k = 0; k < NRULES; k++)
        if (strcmp(registry[k]->name, name) == 0)
            return registry[k];
    return NULL;
}

size_t tm_rule_count(void)
{
    return NRULES;
}

const tm_rule_t *tm_rule_at(size_t k)
{
    return k < NRULES ? registry[k] : NULL;
}

void tm_rule_names(char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t k = 0; k < NRULES && used < len; k++) {
        const char *sep = k == 0 ? "" : k + 1 == NRULES ? " or " : ", ";
        int w = snprintf(buf + used, len - used, "%s%s", sep, registry[k]->name);
        if (w < 0)
            return;
        used += (size_t)w;
    }
}

int tm_rule_choosing(const tm_rule_t *r, const tm_mine_params_t *p)
{
    return (r != NULL && r->choosing) || p->pos != TM_POS_HARDEST || p->has_neg_margin ||
           p->neg_pool >= 0 || p->seed != 0;
}

int tm_rule_check(const tm_rule_t *r, const tm_mine_params_t *p, const char *cmd,
                  tm_err_t *err)
{
    return r != NULL && r->check != NULL ? r->check(p, cmd, err) : 0;
}

int64_t tm_rule_bytes(int64_t n, int64_t per, int64_t extra)
{
    if (n < 0 || per < 0 || extra < 0)
        return INT64_MAX;
    if (n > 0 && per > (INT64_MAX - extra) / n)
        return INT64_MAX;
    return n * per + extra;
}
