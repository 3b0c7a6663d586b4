/*
 * sample.c - the sample rule: per anchor, K distinct negatives drawn
 * uniformly from the eligible ones (all of them if fewer), written in
 * ascending (distance, index) order, each with the anchor's one positive
 * (--pos). The draws are the K eligible negatives of smallest tm_draw
 * (engines/draw.h): a uniform K-subset that does not depend on how the
 * work was split.
 */
#include "rules/rule.h"

/* Always the choice, drawing its K. */
static tm_plan_t sample_plan(const tm_mine_params_t *p)
{
    return (tm_plan_t){&tm_engine_pick, {.p = p, .k = p->negatives, .sample = 1}};
}

const tm_rule_t tm_rule_sample = {
    .name = "sample",
    .choosing = 1,
    .plan = sample_plan,
    .output = TM_OUTPUT_TRIPLETS,
};
