/*
 * params.c - what the mining parameters imply, for every layer that reads
 * them (tripminer/params.h); their defaults are run/params.c's.
 */
#include "tripminer/params.h"

#include <string.h>

int tm_params_choosing(const tm_mine_params_t *p)
{
    return strcmp(p->strategy, "sample") == 0 || p->pos != TM_POS_HARDEST ||
           p->has_neg_margin || p->neg_pool >= 0 || p->seed != 0;
}
