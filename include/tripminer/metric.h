/*
 * metric.h - the distance metrics and the losses: the leaf header of the
 * numeric core (it includes nothing of the project). Public, because the
 * mining parameters name them.
 */
#ifndef TRIPMINER_METRIC_H
#define TRIPMINER_METRIC_H

typedef enum { TM_METRIC_SQEUCLIDEAN, TM_METRIC_EUCLIDEAN, TM_METRIC_COSINE } tm_metric_t;
typedef enum { TM_LOSS_HINGE, TM_LOSS_SOFTPLUS } tm_loss_kind_t;
/* Which one positive an anchor uses (--pos). */
typedef enum { TM_POS_HARDEST, TM_POS_EASIEST, TM_POS_RANDOM } tm_pos_t;

/* Names as the command line and the output file spell them. Local. */
const char *tm_metric_name(tm_metric_t m);
const char *tm_loss_name(tm_loss_kind_t l);
const char *tm_pos_name(tm_pos_t p);

/* The metric or loss of a name: 0, or -1 for a name that is none. Local. */
int tm_metric_from_name(const char *name, tm_metric_t *m);
int tm_loss_from_name(const char *name, tm_loss_kind_t *l);
int tm_pos_from_name(const char *name, tm_pos_t *p);

#endif
