/*
 * eval.c - the rule of `tripminer eval`, no mining strategy
 * (registry.c): per query, the retrieval engine's findings, which the
 * driver hands to the report instead of writing triplets.
 */
#include "rules/rule.h"

static tm_plan_t eval_plan(const tm_mine_params_t *p)
{
    return (tm_plan_t){&tm_engine_retrieval, {.p = p}};
}

const tm_rule_t tm_rule_eval = {
    .name = "eval",
    .plan = eval_plan,
    .output = TM_OUTPUT_RECORDS,
};
