/*
 * triplets.c - the growing list of triplets the mining engines finish
 * into, and the results that hold it (results.h).
 */
#include <stdlib.h>
#include <string.h>

#include "engines/results.h"
#include "tripminer/err.h"

int tm_triplets_push(tm_triplets_t *t, int64_t a, int64_t p, int64_t n, double dap, double dan)
{
    if (t->m == t->cap) {
        int64_t cap = t->cap > 0 ? 2 * t->cap : 1024;
        int64_t *idx = realloc(t->idx, (size_t)cap * 3 * sizeof *idx);
        if (idx != NULL)
            t->idx = idx;
        double *x = idx ? realloc(t->dap, (size_t)cap * sizeof *x) : NULL;
        if (x != NULL)
            t->dap = x;
        double *y = x ? realloc(t->dan, (size_t)cap * sizeof *y) : NULL;
        if (y == NULL)
            return TM_ENOMEM;
        t->dan = y;
        t->cap = cap;
    }
    int64_t k = t->m++;
    t->idx[3 * k + 0] = a;
    t->idx[3 * k + 1] = p;
    t->idx[3 * k + 2] = n;
    t->dap[k] = dap;
    t->dan[k] = dan;
    return 0;
}

void tm_triplets_free(tm_triplets_t *t)
{
    free(t->idx);
    free(t->dap);
    free(t->dan);
    memset(t, 0, sizeof *t);
}

void tm_results_free(tm_results_t *r)
{
    tm_triplets_free(&r->trip);
    free(r->rec);
    r->rec = NULL;
    r->nrec = 0;
}
