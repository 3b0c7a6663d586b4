/*
 * topk.c - the topk rule: per anchor, the K nearest negatives that pass
 * the negative filters (past the --neg-skip nearest), each with the
 * hardest positive.
 */
#include "rules/rule.h"

extern const tm_rule_t tm_rule_topk; /* below */

/* A choosing run takes the choice (two passes); otherwise a nearest list. */
static tm_plan_t topk_plan(const tm_mine_params_t *p)
{
    const tm_engine_t *e = tm_rule_choosing(&tm_rule_topk, p) ? &tm_engine_pick
                                                               : &tm_engine_nearest;
    return (tm_plan_t){e, {.p = p, .k = p->negatives}};
}

const tm_rule_t tm_rule_topk = {
    .name = "topk",
    .plan = topk_plan,
    .output = TM_OUTPUT_TRIPLETS,
};
