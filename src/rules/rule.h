/*
 * rule.h - the mining rule interface and its registry.
 *
 * A rule is one file (hard.c, semihard.c, topk.c, ...) that fills one
 * tm_rule_t: how many passes over the candidates it needs, what its state
 * costs, and the hooks the driver calls. The driver (run/) never names a
 * rule: it looks one up by the strategy's name and calls its hooks. To add
 * a rule: a new file with its tm_rule_t, one line in registry.c, one row
 * in the rule-parametrised tests (docs/design.md).
 *
 * Every hook is local. update is called from several threads at once on
 * disjoint anchor ranges; the others from one thread.
 */
#ifndef TM_RULES_RULE_H
#define TM_RULES_RULE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "rules/select.h"
#include "tripminer/err.h"
#include "tripminer/params.h"

/* What a rule's state is sized by. */
typedef struct tm_rule_size {
    int64_t anchors;     /* local anchors: the rank's shard */
    int64_t candidates;  /* rows that stream past them: the whole data set */
    int64_t budget;      /* the rank's memory budget in bytes (--mem-limit) */
} tm_rule_size_t;

typedef struct tm_rule {
    const char *name;  /* as --strategy and the output's strategy attribute spell it */

    /*
     * Option facts. choosing: every run of the rule is a choosing one
     * (tm_rule_choosing). check (optional): 0, or TM_EUSAGE with err saying
     * which option the rule cannot take, for the command cmd.
     */
    int choosing;
    int (*check)(const tm_mine_params_t *p, const char *cmd, tm_err_t *err);

    /* Passes over every candidate with these parameters: 1 or 2. */
    int (*passes)(const tm_mine_params_t *p);

    /*
     * Bytes the state may take: charged against the budget before
     * anything is allocated (INT64_MAX when it cannot be counted).
     */
    int64_t (*state_bytes)(const tm_mine_params_t *p, const tm_rule_size_t *sz);

    /* Set up the state: 0 or TM_ENOMEM. */
    int (*create)(void **st, const tm_mine_params_t *p, const tm_rule_size_t *sz);
    void (*destroy)(void *st);

    /* Whether pass needs the float32 dot products (else the tile's G is NULL). */
    int (*needs_tiles)(const void *st, int pass);

    /*
     * Optional (NULL: none): bytes of scratch each sweeping thread holds
     * for the anchor block it works on (tm_tile_t.block), from the state
     * made by create.
     */
    size_t (*block_bytes)(const void *st);

    /* Offer one tile in pass (1-based). */
    void (*update)(void *st, int pass, const tm_tile_t *t);

    /*
     * Before pass (2 or more) starts from its beginning: 0, or an error
     * with err saying what, naming rank.
     */
    int (*begin_pass)(void *st, int pass, int rank, tm_err_t *err);

    /* The triplets of the finished state (anchor gid[a] for local anchor a). */
    int (*finish)(const void *st, const int64_t *gid, tm_triplets_t *out);

    /*
     * The state after some rounds of pass as bytes, and back into a state
     * made by create with the same parameters: 0, TM_EINPUT for bytes that
     * do not fit, or TM_ENOMEM.
     */
    void (*save)(const void *st, int pass, tm_buf_t *b);
    int (*load)(void *st, int pass, tm_buf_t *b);
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

/* The rule of that name, or NULL. Local. */
const tm_rule_t *tm_rule_find(const char *name);

/* The registered rules, in the order --help lists them. Local. */
size_t tm_rule_count(void);
const tm_rule_t *tm_rule_at(size_t k);

/*
 * The names of every rule as a phrase, "hard, semihard or topk", in buf
 * (truncated to len). Local.
 */
void tm_rule_names(char *buf, size_t len);

/* The negative filters of the parameters. */
static inline tm_negfilter_t tm_rule_negfilter(const tm_mine_params_t *p)
{
    return (tm_negfilter_t){p->has_neg_min_dist, p->neg_min_dist, p->neg_skip};
}

/*
 * The entries a list of the nearest negatives needs to hold want of them:
 * never more than there are candidates (a list that long keeps them all).
 */
static inline int64_t tm_rule_list_cap(int64_t want, const tm_rule_size_t *sz)
{
    return want < sz->candidates ? want : sz->candidates;
}

/* A state's size n * per + extra without overflow: INT64_MAX when it would. */
int64_t tm_rule_bytes(int64_t n, int64_t per, int64_t extra);

#endif
