/*
 * inspect.c - "tripminer inspect": the text and JSON reports, and the
 * command itself. Its options are app/opts.c's; reading a mining output is
 * read.c's work (through io/outread.c), reading an eval report
 * io/evalread.c's, the statistics stats.c's and the picture svg.c's; the
 * names and order of an eval report's values come from io/evalfmt.c's table.
 *
 * Rank 0 does everything; the other ranks of an mpirun only wait for its
 * verdict, so that all of them leave with the same exit status.
 */
#include "tripminer/inspect.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/evalread.h"
#include "inspect/report.h"
#include "inspect/svg.h"
#include "base/fpenv.h"
#include "base/json.h"
#include "base/log.h"
#include "base/utf8.h"

/* ---- text report ----------------------------------------------------------- */

/* A string from the file, with control characters shown as '?'. */
static void text_str(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

static double pct(int64_t part, int64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Significant digits that tell the histogram's edges apart. */
static int edge_digits(const tm_inspect_hist_t *h)
{
    double big = fmax(fabs(h->edges[0]), fabs(h->edges[h->nbins]));
    int d = big > h->width ? (int)ceil(log10(big / h->width)) + 2 : 3;
    return d < 3 ? 3 : d > 17 ? 17 : d;
}

static void print_histogram(FILE *f, const tm_inspect_report_t *r)
{
    const tm_inspect_hist_t *h = &r->hist;
    const int bar = 40;
    int64_t top = 0;
    for (int64_t i = 0; i < h->nbins; i++)
        top = h->counts[i] > top ? h->counts[i] : top;
    int prec = edge_digits(h);
    char lo[40], hi[40];
    int w = 0;
    for (int64_t i = 0; i <= h->nbins; i++) {
        int len = snprintf(lo, sizeof lo, "%.*g", prec, h->edges[i]);
        w = len > w ? len : w;
    }
    int cw = snprintf(lo, sizeof lo, "%lld", (long long)top);
    fprintf(f, "histogram of d_an - d_ap: %lld bins of width %g ([a, b) holds a <= x < b, "
               "the last is [a, b])\n",
            (long long)h->nbins, h->width);
    fprintf(f, "  '#' scaled to the largest bin: %lld = %d #\n", (long long)top, bar);

    /* The margin line goes before bin pos (after the last one if pos == nbins). */
    double margin = tm_report_f64(r, "margin");
    int64_t pos = -1;
    const char *where = "";
    if (h->anchor_edge >= 0) {
        pos = h->anchor_edge;
        where = "is this edge";
    } else if (isfinite(margin)) {
        pos = margin < h->edges[0] ? 0 : h->nbins;
        where = margin < h->edges[0] ? "is below every value" : "is above every value";
    }
    /* With softplus every loss is positive: the margin is only its midpoint. */
    const char *why =
        strcmp(tm_report_str(r, "loss"), "hinge") == 0 ? "hinge loss active" : "inside the margin";
    for (int64_t i = 0; i <= h->nbins; i++) {
        if (i == pos)
            fprintf(f, "  ---- margin %g %s; bins above this line have d_an - d_ap < margin "
                       "(%s) ----\n", margin, where, why);
        if (i == h->nbins)
            break;
        snprintf(lo, sizeof lo, "%.*g", prec, h->edges[i]);
        snprintf(hi, sizeof hi, "%.*g", prec, h->edges[i + 1]);
        int len = h->counts[i] > 0 ? (int)llround((double)h->counts[i] * bar / (double)top) : 0;
        if (h->counts[i] > 0 && len == 0)
            len = 1;
        fprintf(f, "  [%*s, %*s%c %*lld%s", w, lo, w, hi, i == h->nbins - 1 ? ']' : ')', cw,
                (long long)h->counts[i], len > 0 ? "  " : "");
        for (int k = 0; k < len; k++)
            fputc('#', f);
        fputc('\n', f);
    }
    fprintf(f, "  margin %g: %lld of %lld triplets (%.1f %%) have d_an - d_ap < margin\n", margin,
            (long long)r->below_margin, (long long)r->n, pct(r->below_margin, r->n));
}

static void print_quantile_row(FILE *f, const char *name, const double *q)
{
    fprintf(f, "  %-13s", name);
    for (int k = 0; k < TM_INSPECT_NQ; k++)
        fprintf(f, " %13.6g", q[k]);
    fputc('\n', f);
}

static void print_text(FILE *f, const tm_inspect_report_t *r)
{
    fputs("tripminer inspect: ", f);
    text_str(f, r->path);
    fputs("\nrun (root attributes)\n", f);
    for (size_t k = 0; k < tm_nfields; k++) {
        const tm_field_t *fd = &tm_fields[k];
        const tm_value_t *v = &r->attr[k];
        if (!(fd->flags & TM_FIELD_ATTR) || v->none)
            continue;
        fprintf(f, "  %-18s", fd->name);
        if (v->type == TM_FT_STR)
            text_str(f, v->s);
        else if (v->type == TM_FT_F64)
            fprintf(f, "%.10g", v->f);
        else if (v->type == TM_FT_U64)
            fprintf(f, "%llu", (unsigned long long)v->u);
        else
            fprintf(f, "%lld", (long long)v->i);
        fputc('\n', f);
    }
    tm_parts_facts_t parts;
    if (tm_report_parts(r, &parts)) {
        char words[256];
        tm_parts_words(&parts, words, sizeof words);
        fputs("partitioned mining (negatives from the partitions each anchor probes)\n", f);
        fprintf(f, "  %-18s%s\n", "partitions", words);
    }

    /* The anchors: the input's rows, or the pairs of a run with --pairs. */
    const int pairs = !r->attr[tm_field_index("num_pairs")].none;
    const int64_t anchors = tm_report_i64(r, pairs ? "num_pairs" : "num_embeddings");
    const char *unit = pairs ? "anchor pairs" : "embeddings";
    fputs("counts\n", f);
    fprintf(f, "  %-18s%lld\n", "triplets", (long long)r->m);
    if (r->m == 0) {
        fprintf(f, "  no triplets: every anchor was skipped (%lld of %lld %s had no "
                   "positive or no negative)\n",
                (long long)tm_report_i64(r, "skipped_anchors"), (long long)anchors, unit);
        return;
    }
    fprintf(f, "  %-18s%lld (%.1f %%, loss > 0 in the loss column)\n", "active",
            (long long)r->loss_active, pct(r->loss_active, r->m));
    fprintf(f, "  %-18s%lld (%.1f %%, d_an - d_ap < margin)\n", "below margin",
            (long long)r->below_margin, pct(r->below_margin, r->m));
    fprintf(f, "  %-18s%lld of %lld %s (%.1f %%)\n", "skipped anchors",
            (long long)tm_report_i64(r, "skipped_anchors"), (long long)anchors, unit,
            pct(tm_report_i64(r, "skipped_anchors"), anchors));
    if (r->nonfinite > 0)
        fprintf(f, "  %-18s%lld (rows with a non-finite d_ap or d_an, left out below)\n",
                "non-finite", (long long)r->nonfinite);
    if (r->loss_nonfinite > 0)
        fprintf(f, "  %-18s%lld (left out of the loss statistics)\n", "non-finite loss",
                (long long)r->loss_nonfinite);
    int64_t nl = r->m - r->loss_nonfinite;
    fputs("loss column\n", f);
    fprintf(f, "  sum %.10g, mean %.6g, min %.6g, max %.6g\n", r->loss_col_sum,
            nl > 0 ? r->loss_col_sum / (double)nl : 0.0, r->loss_col_min, r->loss_col_max);
    if (r->n == 0) {
        fputs("no finite distances: no quantiles, no histogram\n", f);
        return;
    }
    fprintf(f, "quantiles (linear interpolation between order statistics, over %lld rows)\n",
            (long long)r->n);
    fprintf(f, "  %-13s %13s %13s %13s %13s %13s\n", "", "min", "1%", "50%", "99%", "max");
    print_quantile_row(f, "d_ap", r->q_ap);
    print_quantile_row(f, "d_an", r->q_an);
    print_quantile_row(f, "d_an - d_ap", r->q_diff);
    print_histogram(f, r);
}

/* ---- JSON report ----------------------------------------------------------- */

static void json_quantiles(FILE *f, const char *name, const double *q, int have)
{
    static const char *const key[TM_INSPECT_NQ] = {"min", "p1", "p50", "p99", "max"};
    fprintf(f, ", \"%s\": ", name);
    if (!have) {
        fputs("null", f);
        return;
    }
    for (int k = 0; k < TM_INSPECT_NQ; k++) {
        fprintf(f, "%s\"%s\": ", k ? ", " : "{", key[k]);
        tm_json_num(f, q[k]);
    }
    fputc('}', f);
}

static void print_json(FILE *f, const tm_inspect_report_t *r)
{
    fputs("{\"file\": ", f);
    tm_json_str(f, r->path);
    const char *sep = ", \"attributes\": {";
    for (size_t k = 0; k < tm_nfields; k++) {
        const tm_field_t *fd = &tm_fields[k];
        const tm_value_t *v = &r->attr[k];
        if (!(fd->flags & TM_FIELD_ATTR) || v->none)
            continue;
        fprintf(f, "%s\"%s\": ", sep, fd->name);
        sep = ", ";
        if (v->type == TM_FT_STR)
            tm_json_str(f, v->s);
        else if (v->type == TM_FT_F64)
            tm_json_num(f, v->f);
        else if (v->type == TM_FT_U64)
            fprintf(f, "%llu", (unsigned long long)v->u);
        else
            fprintf(f, "%lld", (long long)v->i);
    }
    fputc('}', f);

    fprintf(f, ", \"counts\": {\"triplets\": %lld, \"finite\": %lld, \"non_finite\": %lld, "
               "\"active\": %lld, \"below_margin\": %lld, \"skipped_anchors\": %lld, "
               "\"num_embeddings\": %lld}",
            (long long)r->m, (long long)r->n, (long long)r->nonfinite,
            (long long)r->loss_active, (long long)r->below_margin,
            (long long)tm_report_i64(r, "skipped_anchors"), (long long)tm_report_i64(r, "num_embeddings"));

    int64_t nl = r->m - r->loss_nonfinite;
    fputs(", \"loss\": {\"kind\": ", f);
    tm_json_str(f, tm_report_str(r, "loss"));
    fputs(", \"margin\": ", f);
    tm_json_num(f, tm_report_f64(r, "margin"));
    fputs(", \"sum\": ", f);
    tm_json_num(f, tm_report_f64(r, "loss_sum"));
    fputs(", \"mean\": ", f);
    tm_json_num(f, tm_report_f64(r, "loss_mean"));
    fputs(", \"mean_active\": ", f);
    tm_json_num(f, tm_report_f64(r, "loss_mean_active"));
    fputs(", \"column_sum\": ", f);
    tm_json_num(f, r->loss_col_sum);
    fputs(", \"column_mean\": ", f);
    tm_json_num(f, nl > 0 ? r->loss_col_sum / (double)nl : NAN);
    fputs(", \"column_min\": ", f);
    tm_json_num(f, nl > 0 ? r->loss_col_min : NAN);
    fputs(", \"column_max\": ", f);
    tm_json_num(f, nl > 0 ? r->loss_col_max : NAN);
    fprintf(f, ", \"column_active\": %lld, \"column_non_finite\": %lld}",
            (long long)r->loss_active, (long long)r->loss_nonfinite);

    fputs(", \"quantiles\": {\"definition\": \"linear interpolation: h = (n-1) p, "
          "q = x[floor(h)] + (h - floor(h)) (x[floor(h)+1] - x[floor(h)])\", \"levels\": [",
          f);
    for (int k = 0; k < TM_INSPECT_NQ; k++) {
        if (k)
            fputs(", ", f);
        tm_json_num(f, tm_inspect_q_levels[k]);
    }
    fprintf(f, "], \"n\": %lld", (long long)r->n);
    json_quantiles(f, "d_ap", r->q_ap, r->n > 0);
    json_quantiles(f, "d_an", r->q_an, r->n > 0);
    json_quantiles(f, "d_an_minus_d_ap", r->q_diff, r->n > 0);
    fputc('}', f);

    const tm_inspect_hist_t *h = &r->hist;
    fputs(", \"histogram\": {\"of\": \"d_an - d_ap\", \"margin\": ", f);
    tm_json_num(f, tm_report_f64(r, "margin"));
    fputs(", \"width\": ", f);
    tm_json_num(f, h->nbins > 0 ? h->width : NAN);
    fprintf(f, ", \"margin_edge\": %lld, \"edges\": [", (long long)h->anchor_edge);
    for (int64_t i = 0; h->nbins > 0 && i <= h->nbins; i++) {
        if (i)
            fputs(", ", f);
        tm_json_num(f, h->edges[i]);
    }
    fputs("], \"counts\": [", f);
    for (int64_t i = 0; i < h->nbins; i++)
        fprintf(f, "%s%lld", i ? ", " : "", (long long)h->counts[i]);
    fputs("]}}\n", f);
}

/* ---- an eval report ------------------------------------------------------- */

/* The row at that place of inspect's list of the run, or NULL past its end. */
static const tm_eval_field_t *shown_field(int place)
{
    for (size_t i = 0; i < tm_eval_nfields; i++)
        if (tm_eval_fields[i].shown == place)
            return &tm_eval_fields[i];
    return NULL;
}

static void print_eval_text(FILE *f, const tm_evalrep_t *e)
{
    fputs("tripminer inspect: ", f);
    text_str(f, e->path);
    fputs(" (a report of tripminer eval)\nrun (root attributes)\n", f);
    const tm_eval_field_t *fd;
    for (int place = 1; (fd = shown_field(place)) != NULL; place++) {
        const tm_value_t v = tm_evalrep_attr(e, fd);
        if ((fd->flags & TM_EVAL_UNDER_METRICS) || v.none)
            continue;
        fprintf(f, "  %-18s", fd->name);
        if (v.type == TM_FT_STR)
            text_str(f, v.s);
        else if (v.type == TM_FT_F64)
            fprintf(f, "%.10g", v.f);
        else if (v.type == TM_FT_U64)
            fprintf(f, "%llu", (unsigned long long)v.u);
        else
            fprintf(f, "%lld", (long long)v.i);
        fputc('\n', f);
    }

    fprintf(f, "metrics (means over the %lld queries with a positive%s)\n",
            (long long)(e->num_queries - e->without_positive),
            e->has_avg ? "; avg_of_avgs: over classes" : "");
    for (int k = 0; k < TM_EVAL_NMETRICS; k++) {
        fprintf(f, "  %-28s %.6f", tm_eval_metric(k)->name, e->v[k]);
        if (e->has_avg)
            fprintf(f, "   (avg_of_avgs %.6f)", e->avg[k]);
        fputc('\n', f);
    }
    fprintf(f, "  %-28s %lld (left out of the means)\n", "queries without positive",
            (long long)e->without_positive);
    tm_parts_facts_t parts;
    if (tm_evalrep_parts(e, &parts)) {
        char words[256];
        tm_parts_words(&parts, words, sizeof words);
        fprintf(f, "  %-28s %s\n", "partitions", words);
    }

    if (e->has_by_class) {
        const int64_t n = e->classes - e->classes_nan;
        fputs("by class\n", f);
        fprintf(f, "  %-18s%lld", "classes", (long long)e->classes);
        if (e->classes_nan > 0)
            fprintf(f, " (%lld without a query with a positive: NaN, left out)",
                    (long long)e->classes_nan);
        fputc('\n', f);
        if (n > 0)
            fprintf(f, "  %-18smin %.6f, mean %.6f, max %.6f over %lld class%s\n",
                    tm_eval_metric(e->per_class)->name, e->class_r_min, e->class_r_mean,
                    e->class_r_max, (long long)n, n == 1 ? "" : "es");
    }

    const int64_t ns = e->nsuspects < TM_EVAL_SHOWN ? e->nsuspects : TM_EVAL_SHOWN;
    if (e->nsuspects == 0)
        fputs("suspects: none (no query has both a positive and a negative)\n", f);
    else
        fprintf(f, "suspects (nearest positive farthest behind the nearest negative), first %lld "
                   "of %lld:\n",
                (long long)ns, (long long)e->nsuspects);
    for (int64_t i = 0; i < ns; i++) {
        const tm_eval_suspect_t *s = &e->first_suspects[i];
        fprintf(f, "  query %lld (label %lld): positive %lld at %.6g, negative %lld (label %lld) "
                   "at %.6g, gap %.6g\n",
                (long long)s->query, (long long)s->label, (long long)s->positive,
                s->positive_distance, (long long)s->negative, (long long)s->negative_label,
                s->negative_distance, s->gap);
    }

    const int64_t nc = e->ntop < TM_EVAL_SHOWN ? e->ntop : TM_EVAL_SHOWN;
    if (e->npairs == 0)
        fputs("confused labels: none (the nearest neighbour of every query has its label)\n", f);
    else
        fprintf(f, "most confused labels (A -> B: queries of A whose nearest neighbour is B), "
                   "first %lld of %lld pairs, %lld queries in all:\n",
                (long long)nc, (long long)e->npairs, (long long)e->confused_queries);
    for (int64_t i = 0; i < nc; i++)
        fprintf(f, "  %lld -> %lld: %lld\n", (long long)e->top[i].label,
                (long long)e->top[i].nearest_label, (long long)e->top[i].count);
}

static void json_metrics(FILE *f, const double *v)
{
    for (int k = 0; k < TM_EVAL_NMETRICS; k++) {
        fprintf(f, "%s\"%s\": ", k ? ", " : "{", tm_eval_metric(k)->name);
        tm_json_num(f, v[k]);
    }
    fputc('}', f);
}

/* The first n rows of group g (row structs at rows), every column by name. */
static void json_rows(FILE *f, const tm_eval_group_t *g, const void *rows, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        const char *row = (const char *)rows + (size_t)i * g->row_bytes;
        for (int k = 0; k < tm_eval_ncols(g); k++) {
            const tm_eval_column_t c = tm_eval_col(g, k);
            fprintf(f, "%s\"%s\": ", k ? ", " : i ? ", {" : "{", c.name);
            if (c.is_float) {
                double v;
                memcpy(&v, row + c.off, sizeof v);
                tm_json_num(f, v);
            } else {
                int64_t v;
                memcpy(&v, row + c.off, sizeof v);
                fprintf(f, "%lld", (long long)v);
            }
        }
        fputc('}', f);
    }
}

static void print_eval_json(FILE *f, const tm_evalrep_t *e)
{
    fputs("{\"file\": ", f);
    tm_json_str(f, e->path);
    fputs(", \"kind\": \"eval_report\"", f);
    const char *sep = ", \"attributes\": {";
    const tm_eval_field_t *fd;
    for (int place = 1; (fd = shown_field(place)) != NULL; place++) {
        const tm_value_t v = tm_evalrep_attr(e, fd);
        if (v.none)
            continue;
        fprintf(f, "%s\"%s\": ", sep, fd->name);
        sep = ", ";
        if (v.type == TM_FT_STR)
            tm_json_str(f, v.s);
        else if (v.type == TM_FT_F64)
            tm_json_num(f, v.f);
        else if (v.type == TM_FT_U64)
            fprintf(f, "%llu", (unsigned long long)v.u);
        else
            fprintf(f, "%lld", (long long)v.i);
    }
    fputc('}', f);
    fputs(", \"metrics\": ", f);
    json_metrics(f, e->v);
    fputs(", \"avg_of_avgs\": ", f);
    if (e->has_avg)
        json_metrics(f, e->avg);
    else
        fputs("null", f);
    fprintf(f, ", \"queries_without_positive\": %lld, \"by_class\": ",
            (long long)e->without_positive);
    if (e->has_by_class) {
        const char *m = tm_eval_metric(e->per_class)->name;
        fprintf(f, "{\"classes\": %lld, \"without_value\": %lld, \"%s_min\": ",
                (long long)e->classes, (long long)e->classes_nan, m);
        tm_json_num(f, e->class_r_min);
        fprintf(f, ", \"%s_mean\": ", m);
        tm_json_num(f, e->class_r_mean);
        fprintf(f, ", \"%s_max\": ", m);
        tm_json_num(f, e->class_r_max);
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fprintf(f, ", \"suspects\": {\"count\": %lld, \"first\": [", (long long)e->nsuspects);
    json_rows(f, &tm_eval_groups[TM_EVAL_SUSPECTS], e->first_suspects,
              e->nsuspects < TM_EVAL_SHOWN ? e->nsuspects : TM_EVAL_SHOWN);
    fprintf(f, "]}, \"confusions\": {\"pairs\": %lld, \"queries\": %lld, \"first\": [",
            (long long)e->npairs, (long long)e->confused_queries);
    json_rows(f, &tm_eval_groups[TM_EVAL_CONFUSIONS], e->top,
              e->ntop < TM_EVAL_SHOWN ? e->ntop : TM_EVAL_SHOWN);
    fputs("]}}\n", f);
}

static int inspect_eval(const tm_inspect_opts_t *o, FILE *out, tm_err_t *err)
{
    tm_evalrep_t e;
    int rc = tm_evalrep_load(o->file, &e, err);
    if (rc == 0) {
        tm_log(TM_LOG_DEBUG, "read an eval report: %lld suspects, %lld confused pairs, %lld "
                             "classes (%s)",
               (long long)e.nsuspects, (long long)e.npairs, (long long)e.classes, o->file);
        if (o->json)
            print_eval_json(out, &e);
        else
            print_eval_text(out, &e);
        if (fflush(out) != 0 || ferror(out))
            rc = tm_err_set(err, TM_EIO, "cannot write the report: %s (standard output)",
                            strerror(errno));
    }
    if (rc == 0 && o->svg != NULL) {
        rc = tm_svg_write_eval(&e, o->bins, o->svg, o->force, err);
        if (rc == 0)
            tm_log(TM_LOG_INFO, "wrote %s", o->svg);
    }
    tm_evalrep_free(&e);
    return rc;
}

/* ---- the command ------------------------------------------------------------ */

static int inspect_local(const tm_inspect_opts_t *o, FILE *out, tm_err_t *err)
{
    /* Refuse an existing picture before reading anything. */
    if (o->svg != NULL) {
        int rc = tm_svg_check_target(o->svg, o->force, err);
        if (rc != 0)
            return rc;
    }
    if (tm_evalrep_detect(o->file))
        return inspect_eval(o, out, err);
    tm_inspect_report_t r;
    int rc = tm_inspect_report_load(o->file, o->bins, &r, err);
    if (rc == 0)
        tm_log(TM_LOG_DEBUG, "read %lld rows of d_ap, d_an and loss (%lld finite), %lld "
                             "histogram bins (%s)",
               (long long)r.m, (long long)r.n, (long long)r.hist.nbins, o->file);
    if (rc == 0) {
        if (o->json)
            print_json(out, &r);
        else
            print_text(out, &r);
        if (fflush(out) != 0 || ferror(out))
            rc = tm_err_set(err, TM_EIO, "cannot write the report: %s (standard output)",
                            strerror(errno));
    }
    if (rc == 0 && o->svg != NULL) {
        rc = tm_svg_write_report(&r, o->svg, o->force, err);
        if (rc == 0)
            tm_log(TM_LOG_INFO, "wrote %s", o->svg);
    }
    tm_inspect_report_free(&r);
    return rc;
}

static int inspect_run_in(const tm_inspect_opts_t *o, MPI_Comm comm, FILE *out, tm_err_t *err)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    int rc = 0;
    if (rank == 0)
        rc = inspect_local(o, out, err);
    /* The other ranks learn rank 0's verdict and leave with it. */
    return tm_err_agree(rc, err, comm);
}

/* The public entry point, in the default floating-point environment. */
int tm_inspect_run(const tm_inspect_opts_t *o, MPI_Comm comm, FILE *out, tm_err_t *err)
{
    tm_fpenv_t fp;
    tm_fpenv_enter(&fp);
    const int rc = inspect_run_in(o, comm, out, err);
    tm_fpenv_leave(&fp);
    return rc;
}
