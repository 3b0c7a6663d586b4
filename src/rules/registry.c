/*
 * registry.c - the rules the program knows (rule.h).
 */
#include "rules/rule.h"

#include <stdio.h>
#include <string.h>

/*
 * The mining strategies, one line each, in the order --help and error
 * messages list them; the first is the default strategy. RULE(NAME) stands
 * for the tm_rule_t tm_rule_NAME of rules/NAME.c, whose name is "NAME".
 * The tests (tests/CMakeLists.txt, tests/layers.py) read the names from
 * these lines.
 */
#define TM_STRATEGIES(RULE) \
    RULE(hard)              \
    RULE(semihard)          \
    RULE(topk)              \
    RULE(sample)            \
    /* end of the list */

/*
 * The rules that are no mining strategy: each runs under its own command,
 * which finds it by name (tm_rule_lookup); --strategy does not take them.
 */
#define TM_OTHER_RULES(OTHER) \
    OTHER(eval)               \
    /* end of the list */

#define DECLARE(name) extern const tm_rule_t tm_rule_##name;
#define ENTRY(name) &tm_rule_##name,
TM_STRATEGIES(DECLARE)
TM_OTHER_RULES(DECLARE)
static const tm_rule_t *const strategies[] = {TM_STRATEGIES(ENTRY)};
static const tm_rule_t *const others[] = {TM_OTHER_RULES(ENTRY)};

#define NSTRATEGIES (sizeof strategies / sizeof strategies[0])
#define NOTHERS (sizeof others / sizeof others[0])

const tm_rule_t *tm_rule_find(const char *name)
{
    for (size_t k = 0; k < NSTRATEGIES; k++)
        if (strcmp(strategies[k]->name, name) == 0)
            return strategies[k];
    return NULL;
}

const tm_rule_t *tm_rule_lookup(const char *name)
{
    const tm_rule_t *r = tm_rule_find(name);
    for (size_t k = 0; r == NULL && k < NOTHERS; k++)
        if (strcmp(others[k]->name, name) == 0)
            r = others[k];
    return r;
}

size_t tm_rule_count(void)
{
    return NSTRATEGIES;
}

const tm_rule_t *tm_rule_at(size_t k)
{
    return k < NSTRATEGIES ? strategies[k] : NULL;
}

void tm_rule_names(char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t k = 0; k < NSTRATEGIES && used < len; k++) {
        const char *sep = k == 0 ? "" : k + 1 == NSTRATEGIES ? " or " : ", ";
        int w = snprintf(buf + used, len - used, "%s%s", sep, strategies[k]->name);
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

int64_t tm_rule_state_bytes(const tm_rule_t *r, const tm_mine_params_t *p,
                            const tm_engine_size_t *sz)
{
    const tm_plan_t plan = r->plan(p);
    return plan.engine->state_bytes(&plan.args, sz);
}
