/*
 * summary.c - the run's summary on rank 0: text or JSON.
 */
#include <inttypes.h>
#include <stdio.h>

#include "base/json.h"
#include "tm_version.h"
#include "tripminer/mine.h"

void tm_mine_print_summary(const tm_mine_opts_t *o, const tm_mine_summary_t *s, FILE *f)
{
    if (o->json) {
        fprintf(f, "{\"strategy\": ");
        tm_json_str(f, tm_strategy_name(o->strategy));
        fprintf(f, ", \"metric\": ");
        tm_json_str(f, tm_metric_name(o->metric));
        fprintf(f, ", \"loss\": ");
        tm_json_str(f, tm_loss_name(o->loss));
        fprintf(f, ", \"input\": ");
        tm_json_str(f, o->input);
        fprintf(f, ", \"version\": ");
        tm_json_str(f, TM_VERSION);
        fprintf(f, ", \"margin\": ");
        tm_json_num(f, o->margin);
        fprintf(f, ", \"loss_sum\": ");
        tm_json_num(f, s->loss_sum);
        fprintf(f, ", \"loss_mean\": ");
        tm_json_num(f, s->loss_mean);
        fprintf(f, ", \"loss_mean_active\": ");
        tm_json_num(f, s->loss_mean_active);
        fprintf(f, ", \"normalize\": %d, \"num_embeddings\": %" PRId64 ", \"dim\": %" PRId64
                   ", \"num_triplets\": %" PRId64 ", \"active_triplets\": %" PRId64
                   ", \"skipped_anchors\": %" PRId64 ", \"ranks\": %d, \"seconds\": ",
                o->normalize, s->num_embeddings, s->dim, s->num_triplets, s->active_triplets,
                s->skipped_anchors, s->ranks);
        tm_json_num(f, s->seconds);
        fputs("}\n", f);
    } else {
        fprintf(f, "tripminer mine: %s triplets, %s distance, %s loss (margin %g)%s\n",
                tm_strategy_name(o->strategy), tm_metric_name(o->metric), tm_loss_name(o->loss),
                o->margin, o->normalize ? ", normalized" : "");
        fprintf(f, "  embeddings       %" PRId64 " x %" PRId64 " on %d rank%s, %d thread%s each\n",
                s->num_embeddings, s->dim, s->ranks, s->ranks == 1 ? "" : "s", o->threads,
                o->threads == 1 ? "" : "s");
        fprintf(f, "  triplets         %" PRId64 " (%" PRId64 " active, loss > 0)\n",
                s->num_triplets, s->active_triplets);
        fprintf(f, "  skipped anchors  %" PRId64 " (no positive or no negative)\n",
                s->skipped_anchors);
        fprintf(f, "  loss             sum %.6g, mean %.6g, mean over active %.6g\n", s->loss_sum,
                s->loss_mean, s->loss_mean_active);
        fprintf(f, "  output           %s\n", o->output);
        fprintf(f, "  time             %.3f s\n", s->seconds);
    }
    fflush(f);
}
