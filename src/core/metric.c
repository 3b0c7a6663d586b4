/*
 * metric.c - names of the metrics, losses and positive choices (tripminer/metric.h).
 */
#include "tripminer/metric.h"

#include <string.h>

static const char *const metric_names[] = {"sqeuclidean", "euclidean", "cosine"};
static const char *const loss_names[] = {"hinge", "softplus"};
static const char *const pos_names[] = {"hardest", "easiest", "random"};

#define COUNT(t) (sizeof t / sizeof *t)

/* The name of value v in a table of n names, or "?". */
static const char *name_of(const char *const *names, unsigned n, unsigned v)
{
    return v < n ? names[v] : "?";
}

/* The value of a name in a table of n names, or -1. */
static int value_of(const char *const *names, unsigned n, const char *name)
{
    for (unsigned k = 0; k < n; k++)
        if (strcmp(name, names[k]) == 0)
            return (int)k;
    return -1;
}

const char *tm_metric_name(tm_metric_t m)
{
    return name_of(metric_names, COUNT(metric_names), (unsigned)m);
}

const char *tm_loss_name(tm_loss_kind_t l)
{
    return name_of(loss_names, COUNT(loss_names), (unsigned)l);
}

const char *tm_pos_name(tm_pos_t p)
{
    return name_of(pos_names, COUNT(pos_names), (unsigned)p);
}

int tm_metric_from_name(const char *name, tm_metric_t *m)
{
    const int k = value_of(metric_names, COUNT(metric_names), name);
    if (k >= 0)
        *m = (tm_metric_t)k;
    return k >= 0 ? 0 : -1;
}

int tm_loss_from_name(const char *name, tm_loss_kind_t *l)
{
    const int k = value_of(loss_names, COUNT(loss_names), name);
    if (k >= 0)
        *l = (tm_loss_kind_t)k;
    return k >= 0 ? 0 : -1;
}

int tm_pos_from_name(const char *name, tm_pos_t *p)
{
    const int k = value_of(pos_names, COUNT(pos_names), name);
    if (k >= 0)
        *p = (tm_pos_t)k;
    return k >= 0 ? 0 : -1;
}
