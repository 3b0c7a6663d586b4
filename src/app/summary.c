/*
 * summary.c - the run's summary on rank 0: text or JSON. The JSON and the
 * named values come from the tables of io/format.c (mine) and
 * io/evalfmt.c (eval).
 */
#include <inttypes.h>
#include <stdio.h>

#include <string.h>

#include "base/fpenv.h"
#include "io/evalfmt.h"
#include "io/format.h"
#include "rules/rule.h"
#include "tripminer/mine.h"

/* The line of a partitioned run's values, after its label (docs/contract.md, "Partitions"). */
static void print_parts(FILE *f, const char *label, int width, const tm_parts_facts_t *p)
{
    char words[256];
    tm_parts_words(p, words, sizeof words);
    fprintf(f, "  %-*s %s\n", width, label, words);
}

static void mine_print_summary_in(const tm_mine_params_t *m, const tm_run_params_t *r,
                           const tm_talk_params_t *t, const tm_mine_summary_t *s, FILE *f)
{
    if (t->json) {
        tm_run_record_t rec;
        tm_run_record_init(&rec, m, s, tm_rule_choosing(tm_rule_find(m->strategy), m));
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
        if (m->partitions != 0) {
            const tm_parts_facts_t p = {
                .partitions = s->partitions, .probe = s->probe,
                .check_anchors = s->check_anchors, .check_identical = s->check_identical,
                .check_recall = s->check_recall, .certified_anchors = s->certified_anchors,
                .unit = "anchors"};
            print_parts(f, "partitions", 16, &p);
        }
        fprintf(f, "  output           %s\n", r->output);
        fprintf(f, "  time             %.3f s\n", s->seconds);
    }
    fflush(f);
}

/* The public entry point, in the default floating-point environment. */
void tm_mine_print_summary(const tm_mine_params_t *m, const tm_run_params_t *r,
                           const tm_talk_params_t *t, const tm_mine_summary_t *s, FILE *f)
{
    tm_fpenv_t fp;
    tm_fpenv_enter(&fp);
    mine_print_summary_in(m, r, t, s, f);
    tm_fpenv_leave(&fp);
}

static void eval_print_summary_in(const tm_mine_params_t *m, const tm_eval_params_t *e,
                                  const tm_run_params_t *r, const tm_talk_params_t *t,
                                  const tm_eval_summary_t *s, FILE *f)
{
    if (t->json) {
        /* A summary a program filled itself may leave the kernel out: float32 sgemm's. */
        tm_eval_summary_t known = *s;
        if (known.kernel == NULL)
            known.kernel = "f32";
        tm_eval_sources_t src;
        tm_eval_sources_init(&src, m, e, r, &known);
        tm_eval_json(f, &src);
        fflush(f);
        return;
    }
    tm_eval_sources_t src;
    tm_eval_sources_init(&src, m, e, r, s);
    fprintf(f, "tripminer eval: %s distance%s, %" PRId64 " queries against %" PRId64
            " candidates each%s%s\n", tm_metric_name(m->metric),
            m->normalize ? ", normalized" : "", s->num_queries, s->num_candidates,
            m->reference != NULL ? " of " : "", m->reference != NULL ? m->reference : "");
    for (int k = 0; k < TM_EVAL_NMETRICS; k++) {
        const tm_eval_field_t *fd = tm_eval_metric(k);
        tm_value_t v;
        tm_eval_field_get(fd, 0, &src, &v);
        fprintf(f, "  %-28s %.6f", fd->name, v.f);
        if (e->by_class)
            fprintf(f, "   (avg of %" PRId64 " classes %.6f)", s->classes, s->avg[k]);
        fputc('\n', f);
    }
    fprintf(f, "  queries without positive     %" PRId64 " (left out of the means)\n",
            s->without_positive);
    if (m->partitions != 0) {
        const tm_parts_facts_t p = {
            .partitions = s->partitions, .probe = s->probe,
            .check_anchors = s->check_anchors, .check_identical = s->check_identical,
            .check_recall = s->check_recall, .certified_anchors = s->certified_anchors,
            .unit = "queries"};
        print_parts(f, "partitions", 28, &p);
    }
    if (s->num_suspects > 0) {
        fprintf(f, "  suspects (nearest positive farthest behind the nearest negative):\n");
        for (int64_t i = 0; i < s->num_suspects && i < TM_EVAL_SHOWN; i++)
            fprintf(f, "    query %" PRId64 " (label %" PRId64 "): positive %" PRId64
                    " at %.6g, negative %" PRId64 " (label %" PRId64 ") at %.6g\n",
                    s->suspect[i].query, s->suspect[i].label, s->suspect[i].pos,
                    s->suspect[i].pos_val, s->suspect[i].neg, s->suspect[i].neg_label,
                    s->suspect[i].neg_val);
    }
    if (s->num_confusions > 0) {
        fprintf(f, "  most confused labels (queries of A whose nearest neighbour is B), of %" PRId64
                " pairs:\n", s->num_confusions);
        for (int64_t i = 0; i < s->num_confusions && i < TM_EVAL_SHOWN; i++)
            fprintf(f, "    %" PRId64 " -> %" PRId64 ": %" PRId64 "\n", s->confusion[i].label,
                    s->confusion[i].nearest_label, s->confusion[i].count);
    }
    fprintf(f, "  report                       %s\n", r->output != NULL ? r->output : "(none: -o)");
    fprintf(f, "  time                         %.3f s on %" PRId64 " rank%s\n", s->seconds,
            s->ranks, s->ranks == 1 ? "" : "s");
    fflush(f);
}

/* The public entry point, in the default floating-point environment. */
void tm_eval_print_summary(const tm_mine_params_t *m, const tm_eval_params_t *e,
                           const tm_run_params_t *r, const tm_talk_params_t *t,
                           const tm_eval_summary_t *s, FILE *f)
{
    tm_fpenv_t fp;
    tm_fpenv_enter(&fp);
    eval_print_summary_in(m, e, r, t, s, f);
    tm_fpenv_leave(&fp);
}
