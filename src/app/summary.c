/*
 * summary.c - the run's summary on rank 0: text or JSON.
 */
#include <inttypes.h>
#include <stdio.h>

#include <string.h>

#include "io/format.h"
#include "tm_version.h"
#include "tripminer/mine.h"

void tm_mine_print_summary(const tm_mine_params_t *m, const tm_run_params_t *r,
                           const tm_talk_params_t *t, const tm_mine_summary_t *s, FILE *f)
{
    if (t->json) {
        tm_run_record_t rec;
        memset(&rec, 0, sizeof rec);
        rec.mine = m;
        rec.sum = s;
        rec.version = TM_VERSION;
        tm_fields_json(f, &rec);
    } else {
        fprintf(f, "tripminer mine: %s triplets, %s distance, %s loss (margin %g)%s\n",
                m->strategy, tm_metric_name(m->metric), tm_loss_name(m->loss), m->margin,
                m->normalize ? ", normalized" : "");
        fprintf(f, "  embeddings       %" PRId64 " x %" PRId64 " on %" PRId64 " rank%s, %d thread%s each\n",
                s->num_embeddings, s->dim, s->ranks, s->ranks == 1 ? "" : "s",
                (int)s->threads, s->threads == 1 ? "" : "s");
        if (m->reference != NULL)
            fprintf(f, "  reference        %" PRId64 " rows (%s)\n", s->num_reference,
                    m->reference);
        if (m->pairs != NULL)
            fprintf(f, "  pairs            %" PRId64 " anchor pairs (%s)\n", s->num_pairs, m->pairs);
        fprintf(f, "  triplets         %" PRId64 " (%" PRId64 " active, loss > 0)\n",
                s->num_triplets, s->active_triplets);
        fprintf(f, "  skipped anchors  %" PRId64 " (no positive or no negative%s)\n",
                s->skipped_anchors, m->pairs != NULL ? "; with --pairs: anchor pairs" : "");
        fprintf(f, "  loss             sum %.6g, mean %.6g, mean over active %.6g\n", s->loss_sum,
                s->loss_mean, s->loss_mean_active);
        fprintf(f, "  output           %s\n", r->output);
        fprintf(f, "  time             %.3f s\n", s->seconds);
    }
    fflush(f);
}
