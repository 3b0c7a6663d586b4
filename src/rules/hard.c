/*
 * hard.c - the hard rule (batch-hard, the default strategy): per anchor,
 * the hardest positive and the hardest negative that passes the negative
 * filters.
 */
#include "rules/rule.h"

extern const tm_rule_t tm_rule_hard; /* below */

/*
 * A choosing run takes the choice (two passes). --neg-min-dist, --neg-skip
 * or --pairs take a nearest list of skip + 1 (its exact gates never count
 * a candidate --pairs excludes). Otherwise the plain batch-hard state.
 */
static tm_plan_t hard_plan(const tm_mine_params_t *p)
{
    if (tm_rule_choosing(&tm_rule_hard, p))
        return (tm_plan_t){&tm_engine_pick, {.p = p, .k = 1}};
    if (p->has_neg_min_dist || p->neg_skip > 0 || p->pairs != NULL)
        return (tm_plan_t){&tm_engine_nearest, {.p = p, .k = 1}};
    return (tm_plan_t){&tm_engine_batchhard, {.p = p}};
}

const tm_rule_t tm_rule_hard = {
    .name = "hard",
    .plan = hard_plan,
    .output = TM_OUTPUT_TRIPLETS,
};
