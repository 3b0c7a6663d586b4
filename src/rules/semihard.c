/*
 * semihard.c - the semihard rule (FaceNet; the choice of TensorFlow
 * Addons' triplet_semihard_loss): per positive of an anchor, the nearest
 * negative farther than it, or the farthest negative when there is none.
 */
#include "rules/rule.h"

extern const tm_rule_t tm_rule_semihard; /* below */

/*
 * The gaps engine; positives kept per anchor, 0 for all: an anchor pair
 * (--pairs) has one. A choosing run also counts what the filters removed.
 */
static tm_plan_t semihard_plan(const tm_mine_params_t *p)
{
    return (tm_plan_t){&tm_engine_gaps,
                       {.p = p,
                        .positives = p->pairs != NULL ? 1 : p->positives,
                        .choosing = tm_rule_choosing(&tm_rule_semihard, p)}};
}

/* Option facts: the negatives are chosen relative to each positive already. */
static int semihard_check(const tm_mine_params_t *p, const char *cmd, tm_err_t *err)
{
    if (p->has_neg_margin)
        return tm_err_set(err, TM_EUSAGE, "--neg-margin does not apply to semihard, whose "
                          "negatives are chosen relative to each positive already (%s)", cmd);
    return 0;
}

const tm_rule_t tm_rule_semihard = {
    .name = "semihard",
    .check = semihard_check,
    .plan = semihard_plan,
    .output = TM_OUTPUT_TRIPLETS,
};
