/*
 * metric.c - names of the metrics, losses and positive choices (tripminer/metric.h).
 */
#include "tripminer/metric.h"

#include <string.h>

static const char *const metric_names[] = {"sqeuclidean", "euclidean", "cosine"};
static const char *const loss_names[] = {"hinge", "softplus"};

const char *tm_metric_name(tm_metric_t m)
{
    return (unsigned)m < sizeof metric_names / sizeof *metric_names ? metric_names[m] : "?";
}

const char *tm_loss_name(tm_loss_kind_t l)
{
    return (unsigned)l < sizeof loss_names / sizeof *loss_names ? loss_names[l] : "?";
}

int tm_metric_from_name(const char *name, tm_metric_t *m)
{
    for (unsigned k = 0; k < sizeof metric_names / sizeof *metric_names; k++)
        if (strcmp(name, metric_names[k]) == 0) {
            *m = (tm_metric_t)k;
            return 0;
        }
    return -1;
}

int tm_loss_from_name(const char *name, tm_loss_kind_t *l)
{
    for (unsigned k = 0; k < sizeof loss_names / sizeof *loss_names; k++)
        if (strcmp(name, loss_names[k]) == 0) {
            *l = (tm_loss_kind_t)k;
            return 0;
        }
    return -1;
}

static const char *const pos_names[] = {"hardest", "easiest", "random"};

const char *tm_pos_name(tm_pos_t p)
{
    return (unsigned)p < sizeof pos_names / sizeof *pos_names ? pos_names[p] : "?";
}

int tm_pos_from_name(const char *name, tm_pos_t *p)
{
    for (unsigned k = 0; k < sizeof pos_names / sizeof *pos_names; k++)
        if (strcmp(name, pos_names[k]) == 0) {
            *p = (tm_pos_t)k;
            return 0;
        }
    return -1;
}
