/*
 * rule.h - the rules and their registry.
 *
 * A rule is one small file (hard.c, semihard.c, topk.c, sample.c, and
 * eval.c for `tripminer eval`) that fills one tm_rule_t: its name, its
 * option facts, its plan and its output. The plan picks, from the
 * parameters, the engine that runs the rule and the engine's arguments
 * (engines/engine.h); the output says what the finished engine hands on.
 * The driver (run/) asks the rule for its plan once, then calls only the
 * engine's hooks, and never names a rule: it looks one up by name.
 *
 * To add a rule: a new file here with its tm_rule_t, one line in
 * registry.c, one row in the rule-parametrised tests (docs/design.md); a
 * new engine only when none of engine.h selects what the rule wants.
 */
#ifndef TM_RULES_RULE_H
#define TM_RULES_RULE_H

#include <stddef.h>
#include <stdint.h>

#include "engines/engine.h"
#include "tripminer/err.h"
#include "tripminer/params.h"

/* What a finished engine hands on, and so what the driver does with it. */
typedef enum tm_output_kind {
    TM_OUTPUT_TRIPLETS,  /* triplets, their losses, the output file (mine) */
    TM_OUTPUT_RECORDS,   /* one record per query, the report (eval) */
} tm_output_kind_t;

/* The engine that runs a rule with given parameters, and its arguments. */
typedef struct tm_plan {
    const tm_engine_t *engine;
    tm_engine_args_t args;
} tm_plan_t;

typedef struct tm_rule {
    const char *name;  /* as --strategy and the output's strategy attribute spell it */

    /*
     * Option facts. choosing: every run of the rule is a choosing one
     * (tm_rule_choosing). check (optional): 0, or TM_EUSAGE with err saying
     * which option the rule cannot take, for the command cmd.
     */
    int choosing;
    int (*check)(const tm_mine_params_t *p, const char *cmd, tm_err_t *err);

    /* The engine and its arguments for the parameters p. Local. */
    tm_plan_t (*plan)(const tm_mine_params_t *p);

    tm_output_kind_t output;
} tm_rule_t;

/*
 * Whether p makes a choosing run of rule r (r may be NULL: no rule's own
 * facts): one of -s sample, --pos, --neg-margin, --neg-pool, --seed
 * (docs/contract.md). Such a run counts what each filter removed and
 * records those options. Local.
 */
int tm_rule_choosing(const tm_rule_t *r, const tm_mine_params_t *p);

/* The rule's check of the options (0 when it has none). Local. */
int tm_rule_check(const tm_rule_t *r, const tm_mine_params_t *p, const char *cmd,
                  tm_err_t *err);

/*
 * Bytes the state of r's plan for p may take (the engine's state_bytes).
 * Local.
 */
int64_t tm_rule_state_bytes(const tm_rule_t *r, const tm_mine_params_t *p,
                            const tm_engine_size_t *sz);

/* The mining strategy of that name (mine --strategy), or NULL. Local. */
const tm_rule_t *tm_rule_find(const char *name);

/*
 * Any registered rule of that name, a mining strategy or not (eval's), or
 * NULL. Local.
 */
const tm_rule_t *tm_rule_lookup(const char *name);

/* The mining strategies, in the order --help lists them. Local. */
size_t tm_rule_count(void);
const tm_rule_t *tm_rule_at(size_t k);

/*
 * The names of every mining strategy as a phrase, "hard, semihard or
 * topk", in buf (truncated to len). Local.
 */
void tm_rule_names(char *buf, size_t len);

#endif
