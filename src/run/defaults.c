/*
 * defaults.c - the defaults of a mining job's parameters (tripminer/params.h).
 */
#include "tripminer/params.h"

#include <string.h>

#include "base/log.h"
#include "rules/rule.h"

void tm_mine_params_default(tm_mine_params_t *p)
{
    memset(p, 0, sizeof *p);
    p->emb_name = "embeddings";
    p->lab_name = "labels";
    p->ref_emb_name = "embeddings";
    p->ref_lab_name = "labels";
    p->strategy = tm_rule_at(0)->name; /* the registry lists the default first */
    p->metric = TM_METRIC_SQEUCLIDEAN;
    p->margin = 0.2;
    p->loss = TM_LOSS_HINGE;
    p->negatives = 1;
    p->pos = TM_POS_HARDEST;
    p->neg_pool = -1;
    p->partitions = 0;
    p->probe = 8;
    p->check = 1000;
}

void tm_eval_params_default(tm_eval_params_t *e)
{
    memset(e, 0, sizeof *e);
    e->suspects = 100;
}


void tm_run_params_default(tm_run_params_t *r)
{
    memset(r, 0, sizeof *r);
    r->threads = 0; /* auto */
    r->checkpoint_every = 600.0;
    r->stall_timeout = 300.0;
    r->kernel = "auto"; /* the fastest this CPU runs (core/kernels.h) */
}

void tm_talk_params_default(tm_talk_params_t *t)
{
    memset(t, 0, sizeof *t);
    t->verbosity = TM_LOG_INFO;
}
