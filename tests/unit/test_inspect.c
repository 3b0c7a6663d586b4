/*
 * test_inspect.c - the statistics and options of "tripminer inspect"
 * (inspect.h): quantiles on hand-worked values, round steps, histogram
 * layouts and bin choice at the edges, option parsing and the usage text;
 * and the table of the eval report (io/evalfmt.h): its rules, the
 * `eval --json` it makes, a report written and read back; the words of a
 * partitioned run's values (io/format.h) and their line in the summaries
 * of mine and eval, present only with --partitions.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream, mkdtemp */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "io/evalfmt.h"
#include "io/evalread.h"
#include "io/evalwrite.h"
#include "tm_unit.h"
#include "tripminer/inspect.h"
#include "tripminer/mine.h"

#define EPS 1e-12

static void assert_near(double got, double want, const char *what)
{
    ck_assert_msg(fabs(got - want) <= EPS * fmax(1.0, fabs(want)), "%s: got %.17g, want %.17g",
                  what, got, want);
}

/* ---- quantiles ------------------------------------------------------------- */

START_TEST(test_quantile_five)
{
    /* h = 4 p: q(0.01) = 1 + 0.04, q(0.99) = 4 + 0.96. */
    const double x[] = {1, 2, 3, 4, 5};
    ck_assert(tm_inspect_quantile_f64(x, 5, 0.0) == 1.0);
    assert_near(tm_inspect_quantile_f64(x, 5, 0.01), 1.04, "q(0.01)");
    ck_assert(tm_inspect_quantile_f64(x, 5, 0.5) == 3.0);
    assert_near(tm_inspect_quantile_f64(x, 5, 0.99), 4.96, "q(0.99)");
    ck_assert(tm_inspect_quantile_f64(x, 5, 1.0) == 5.0);
    ck_assert(tm_inspect_quantile_f64(x, 5, 0.25) == 2.0);
}
END_TEST

START_TEST(test_quantile_even_and_uneven)
{
    /* h = 3 p: the median lies halfway between 2 and 10. */
    const double x[] = {1, 2, 10, 20};
    ck_assert(tm_inspect_quantile_f64(x, 4, 0.5) == 6.0);
    assert_near(tm_inspect_quantile_f64(x, 4, 0.25), 1.75, "q(0.25)");
    assert_near(tm_inspect_quantile_f64(x, 4, 0.9), 17.0, "q(0.9)");
    /* Ties and negatives. */
    const double y[] = {-3, -3, -3, 7};
    ck_assert(tm_inspect_quantile_f64(y, 4, 0.5) == -3.0);
    assert_near(tm_inspect_quantile_f64(y, 4, 0.99), -3.0 + 0.97 * 10.0, "q(0.99)");
}
END_TEST

START_TEST(test_quantile_edge_cases)
{
    const double one[] = {42.5};
    for (int k = 0; k < TM_INSPECT_NQ; k++)
        ck_assert(tm_inspect_quantile_f64(one, 1, tm_inspect_q_levels[k]) == 42.5);
    ck_assert(isnan(tm_inspect_quantile_f64(one, 0, 0.5)));
    ck_assert(isnan(tm_inspect_quantile_f64(one, 1, -0.1)));
    ck_assert(isnan(tm_inspect_quantile_f64(one, 1, 1.5)));
    ck_assert(isnan(tm_inspect_quantile_f64(one, 1, NAN)));
    ck_assert(tm_inspect_q_levels[0] == 0.0 && tm_inspect_q_levels[1] == 0.01 &&
              tm_inspect_q_levels[2] == 0.5 && tm_inspect_q_levels[3] == 0.99 &&
              tm_inspect_q_levels[4] == 1.0);
}
END_TEST

START_TEST(test_quantile_f32_matches_f64)
{
    /* The float version interpolates the same values in double. */
    tm_rng_t r = tm_rng_make(11);
    enum { N = 257 };
    float xf[N];
    double xd[N];
    xf[0] = 0.0f;
    for (int i = 1; i < N; i++)
        xf[i] = xf[i - 1] + (float)tm_rng_unit(&r);
    for (int i = 0; i < N; i++)
        xd[i] = xf[i];
    const double ps[] = {0.0, 0.01, 0.1, 0.333, 0.5, 0.99, 1.0};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++)
        ck_assert(tm_inspect_quantile_f32(xf, N, ps[k]) == tm_inspect_quantile_f64(xd, N, ps[k]));
    const float f[] = {0.5f, 1.5f};
    ck_assert(tm_inspect_quantile_f32(f, 2, 0.5) == 1.0);
    ck_assert(isnan(tm_inspect_quantile_f32(f, 0, 0.5)));
}
END_TEST

/* ---- round steps ------------------------------------------------------------ */

START_TEST(test_nice_step)
{
    ck_assert(tm_inspect_nice_step(1.0) == 1.0);
    ck_assert(tm_inspect_nice_step(0.1) == 0.1);
    ck_assert(tm_inspect_nice_step(0.107) == 0.2);
    ck_assert(tm_inspect_nice_step(0.11) == 0.2);
    ck_assert(tm_inspect_nice_step(0.21) == 0.25);
    ck_assert(tm_inspect_nice_step(0.024) == 0.025); /* the double nearest 0.025 */
    ck_assert(tm_inspect_nice_step(0.3) == 0.5);
    ck_assert(tm_inspect_nice_step(0.6) == 1.0);
    ck_assert(tm_inspect_nice_step(7.0) == 10.0);
    ck_assert(tm_inspect_nice_step(12.0) == 20.0);
    ck_assert(tm_inspect_nice_step(2.0e6) == 2.0e6);
    ck_assert(tm_inspect_nice_step(1e-5) == 1e-5);
    ck_assert(tm_inspect_nice_step(3e-7) == 5e-7);
    /* Nothing sensible asked: 1. */
    ck_assert(tm_inspect_nice_step(0.0) == 1.0);
    ck_assert(tm_inspect_nice_step(-2.0) == 1.0);
    ck_assert(tm_inspect_nice_step(INFINITY) == 1.0);
    ck_assert(tm_inspect_nice_step(NAN) == 1.0);
    /* Always at least what was asked for, at most twice. */
    tm_rng_t r = tm_rng_make(3);
    for (int i = 0; i < 1000; i++) {
        double raw = pow(10.0, 12.0 * tm_rng_unit(&r) - 6.0);
        double s = tm_inspect_nice_step(raw);
        ck_assert_msg(s >= raw && s <= 2.0 * raw * (1 + 1e-12), "raw %.17g step %.17g", raw, s);
    }
}
END_TEST

/* ---- histograms ----------------------------------------------------------- */

START_TEST(test_hist_unit_bins)
{
    /* [0, 10], 10 bins aimed at: width 1, edges 0 .. 10, the anchor 0 first. */
    tm_inspect_hist_t h;
    ck_assert_int_eq(tm_inspect_hist_layout(&h, 0.0, 10.0, 0.0, 10), 0);
    ck_assert_int_eq(h.nbins, 10);
    ck_assert(h.width == 1.0);
    for (int i = 0; i <= 10; i++)
        ck_assert(h.edges[i] == (double)i);
    ck_assert_int_eq(h.anchor_edge, 0);
    const double v[] = {0.0, 0.5, 1.0, 9.99, 10.0};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        tm_inspect_hist_add(&h, v[i]);
    ck_assert_int_eq(h.counts[0], 2); /* 0 and 0.5 */
    ck_assert_int_eq(h.counts[1], 1); /* 1: the lower edge belongs to the bin */
    ck_assert_int_eq(h.counts[9], 2); /* 9.99 and 10: the last bin is closed */
    ck_assert_int_eq(h.total, 5);
    /* Outside values are clamped to the end bins. */
    ck_assert_int_eq(tm_inspect_hist_bin(&h, -5.0), 0);
    ck_assert_int_eq(tm_inspect_hist_bin(&h, 100.0), 9);
    tm_inspect_hist_free(&h);
    ck_assert(h.edges == NULL && h.counts == NULL && h.nbins == 0);
}
END_TEST

START_TEST(test_hist_anchor_at_margin)
{
    /*
     * [-1, 1] around a margin of 0.25, 4 bins aimed at: raw 0.5 / sqrt 2
     * rounds to 0.5; edges 0.25 + 0.5 k from k = -3 (-1.25) to k = 2
     * (1.25): 5 bins, the margin is edge 3.
     */
    tm_inspect_hist_t h;
    ck_assert_int_eq(tm_inspect_hist_layout(&h, -1.0, 1.0, 0.25, 4), 0);
    ck_assert_int_eq(h.nbins, 5);
    ck_assert(h.width == 0.5);
    const double want[] = {-1.25, -0.75, -0.25, 0.25, 0.75, 1.25};
    for (int i = 0; i <= 5; i++)
        ck_assert_msg(h.edges[i] == want[i], "edge %d: %.17g", i, h.edges[i]);
    ck_assert_int_eq(h.anchor_edge, 3);
    ck_assert(h.edges[h.anchor_edge] == 0.25);
    ck_assert_int_eq(tm_inspect_hist_bin(&h, 0.25), 3);      /* at the margin: not below */
    ck_assert_int_eq(tm_inspect_hist_bin(&h, 0.2499999), 2); /* just below: active */
    ck_assert_int_eq(tm_inspect_hist_bin(&h, -1.0), 0);
    ck_assert_int_eq(tm_inspect_hist_bin(&h, 1.0), 4);
    tm_inspect_hist_free(&h);
}
END_TEST

START_TEST(test_hist_properties)
{
    /* Random ranges and anchors: the layout covers the values, has a round
     * width, about the bins aimed at, and the anchor as an edge when inside. */
    tm_rng_t r = tm_rng_make(5);
    for (int it = 0; it < 2000; it++) {
        double scale = pow(10.0, 6.0 * tm_rng_unit(&r) - 3.0);
        double a = scale * tm_rng_sym(&r), b = scale * tm_rng_sym(&r);
        double lo = fmin(a, b), hi = fmax(a, b);
        double anchor = scale * 2.0 * tm_rng_sym(&r);
        int target = 1 + (int)tm_rng_below(&r, 40);
        tm_inspect_hist_t h;
        ck_assert_int_eq(tm_inspect_hist_layout(&h, lo, hi, anchor, target), 0);
        ck_assert(h.edges[0] <= lo && h.edges[h.nbins] >= hi);
        ck_assert(h.width == tm_inspect_nice_step(h.width));
        ck_assert_msg(h.nbins >= 1 && h.nbins <= (int64_t)ceil(1.42 * target) + 2,
                      "%lld bins for %d", (long long)h.nbins, target);
        for (int64_t i = 0; i < h.nbins; i++)
            ck_assert(h.edges[i + 1] > h.edges[i]);
        if (anchor >= h.edges[0] && anchor <= h.edges[h.nbins])
            ck_assert_msg(h.anchor_edge >= 0 && h.edges[h.anchor_edge] == anchor,
                          "anchor %.17g not an edge", anchor);
        else
            ck_assert_int_eq(h.anchor_edge, -1);
        /* Each value lands in the bin its edges say. */
        for (int k = 0; k < 20; k++) {
            double x = lo + (hi - lo) * tm_rng_unit(&r);
            int64_t i = tm_inspect_hist_bin(&h, x);
            ck_assert(h.edges[i] <= x && (x < h.edges[i + 1] || i == h.nbins - 1));
        }
        tm_inspect_hist_free(&h);
    }
}
END_TEST

START_TEST(test_hist_degenerate)
{
    tm_inspect_hist_t h;
    /* One value repeated: one bin or a few, holding it. */
    ck_assert_int_eq(tm_inspect_hist_layout(&h, 5.0, 5.0, 0.0, 20), 0);
    ck_assert(h.nbins >= 1 && h.edges[0] <= 5.0 && 5.0 <= h.edges[h.nbins]);
    tm_inspect_hist_add(&h, 5.0);
    ck_assert_int_eq(h.counts[tm_inspect_hist_bin(&h, 5.0)], 1);
    tm_inspect_hist_free(&h);
    /* All zero, anchor zero: [0, 0.05], one bin, the anchor its lower edge. */
    ck_assert_int_eq(tm_inspect_hist_layout(&h, 0.0, 0.0, 0.0, 20), 0);
    ck_assert_int_eq(h.nbins, 1);
    ck_assert(h.edges[0] == 0.0 && h.edges[1] == 0.05);
    ck_assert_int_eq(h.anchor_edge, 0);
    tm_inspect_hist_free(&h);
    /* A far anchor is no edge of the layout, and no reason for tiny bins. */
    ck_assert_int_eq(tm_inspect_hist_layout(&h, 0.0, 1.0, 1000.0, 10), 0);
    ck_assert_int_eq(h.anchor_edge, -1);
    ck_assert(h.width == 0.1);
    ck_assert(h.nbins >= 10 && h.nbins <= 12);
    tm_inspect_hist_free(&h);
    /* A non-finite anchor counts as 0. */
    ck_assert_int_eq(tm_inspect_hist_layout(&h, -1.0, 1.0, NAN, 4), 0);
    ck_assert(h.anchor_edge >= 0 && h.edges[h.anchor_edge] == 0.0);
    tm_inspect_hist_free(&h);
    /* Refused: reversed or non-finite ranges, no bins. */
    ck_assert_int_eq(tm_inspect_hist_layout(&h, 1.0, 0.0, 0.0, 20), TM_EINTERNAL);
    ck_assert(h.edges == NULL && h.nbins == 0);
    ck_assert_int_eq(tm_inspect_hist_layout(&h, NAN, 1.0, 0.0, 20), TM_EINTERNAL);
    ck_assert_int_eq(tm_inspect_hist_layout(&h, 0.0, INFINITY, 0.0, 20), TM_EINTERNAL);
    ck_assert_int_eq(tm_inspect_hist_layout(&h, 0.0, 1.0, 0.0, 0), TM_EINTERNAL);
    ck_assert_int_eq(tm_inspect_hist_bin(&h, 0.5), -1);
}
END_TEST

/* ---- options ------------------------------------------------------------------ */

static int parse(const char *const *args, tm_inspect_opts_t *o, tm_err_t *err)
{
    char *argv[16];
    int argc = 0;
    while (args[argc] != NULL) {
        ck_assert_int_lt(argc, 15);
        argv[argc] = (char *)args[argc];
        argc++;
    }
    argv[argc] = NULL;
    tm_err_clear(err);
    return tm_inspect_opts_parse(argc, argv, o, err);
}

START_TEST(test_opts_valid)
{
    tm_inspect_opts_t o;
    tm_err_t err;
    const char *a1[] = {"out.h5", NULL};
    ck_assert_int_eq(parse(a1, &o, &err), 0);
    ck_assert_str_eq(o.file, "out.h5");
    ck_assert(o.svg == NULL && !o.json && !o.force && !o.help);
    ck_assert_int_eq(o.bins, TM_INSPECT_BINS_DEFAULT);
    ck_assert_int_eq(o.bins, 20);

    const char *a2[] = {"--svg", "p.svg", "out.h5", "--force", "--json", "--bins", "7", "-q",
                        NULL};
    ck_assert_int_eq(parse(a2, &o, &err), 0);
    ck_assert_str_eq(o.file, "out.h5");
    ck_assert_str_eq(o.svg, "p.svg");
    ck_assert(o.force && o.json && o.bins == 7 && o.verbosity == 0);

    const char *a3[] = {"--svg=q.svg", "--bins=1000", "-v", "--", "-odd.h5", NULL};
    ck_assert_int_eq(parse(a3, &o, &err), 0);
    ck_assert_str_eq(o.svg, "q.svg");
    ck_assert_str_eq(o.file, "-odd.h5");
    ck_assert_int_eq(o.bins, 1000);

    /* --help needs no file. */
    const char *a4[] = {"--help", NULL};
    ck_assert_int_eq(parse(a4, &o, &err), 0);
    ck_assert(o.help);
    const char *a5[] = {"-h", NULL};
    ck_assert_int_eq(parse(a5, &o, &err), 0);
    ck_assert(o.help);
}
END_TEST

START_TEST(test_opts_usage_errors)
{
    static const char *const cases[][6] = {
        {NULL},                              /* no file */
        {"a.h5", "b.h5", NULL},              /* two files */
        {"a.h5", "--bogus", NULL},
        {"a.h5", "-x", NULL},
        {"a.h5", "--bins", "0", NULL},
        {"a.h5", "--bins", "1001", NULL},
        {"a.h5", "--bins", "12x", NULL},
        {"a.h5", "--svg", NULL},             /* no value */
        {"a.h5", "--svg", "", NULL},
        {"a.h5", "--json=1", NULL},
        {"", NULL},
        {"--json", "--force", NULL},
    };
    static const char *const word[] = {"file", "unexpected", "bogus", "-x", "bins", "bins",
                                       "bins", "svg", "svg", "json", "empty", "file"};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tm_inspect_opts_t o;
        tm_err_t err;
        ck_assert_int_eq(parse(cases[k], &o, &err), TM_EUSAGE);
        ck_assert_msg(strstr(err.msg, word[k]) != NULL, "case %zu: '%s' lacks '%s'", k, err.msg,
                      word[k]);
        ck_assert_msg(strstr(err.msg, "(inspect") != NULL, "case %zu: '%s' lacks WHERE", k,
                      err.msg);
    }
}
END_TEST

START_TEST(test_usage_text)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert(f != NULL);
    tm_usage_inspect(f);
    fclose(f);
    static const char *const words[] = {"usage: tripminer inspect", "--svg FILE", "--force",
                                        "--bins N", "[20]", "--json", "-q, --quiet",
                                        "-v, --verbose", "-h, --help", "example:",
                                        "linear interpolation", "x[j+1]"};
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        ck_assert_msg(strstr(buf, words[k]) != NULL, "usage lacks '%s'", words[k]);
    free(buf);
}
END_TEST


/* ---- the eval report's table ------------------------------------------------- */

START_TEST(test_eval_table)
{
    /* TM_EVAL_NMETRICS sizes the arrays: it must count the metric rows. */
    int metrics = 0, per_class = 0, places = 0;
    for (size_t i = 0; i < tm_eval_nfields; i++) {
        const tm_eval_field_t *f = &tm_eval_fields[i];
        metrics += (f->flags & TM_EVAL_METRIC) != 0;
        per_class += (f->flags & TM_EVAL_PER_CLASS) != 0;
        if (f->flags & TM_EVAL_METRIC)
            ck_assert_msg(f->type == TM_FT_F64 && f->src == TM_EVAL_FROM_SUMMARY,
                          "metric %s: a float64 mean of the summary", f->name);
        if (f->shown > 0) {
            places++;
            ck_assert_msg((f->flags & TM_EVAL_ATTR) && !(f->flags & TM_EVAL_METRIC) &&
                              !(f->flags & TM_EVAL_AVGS),
                          "%s: inspect lists only the plain attributes it reads", f->name);
        }
        for (size_t j = 0; j < i; j++) {
            ck_assert_msg(strcmp(f->name, tm_eval_fields[j].name) != 0, "%s twice", f->name);
            ck_assert_msg(f->shown == 0 || f->shown != tm_eval_fields[j].shown,
                          "%s and %s share place %d", f->name, tm_eval_fields[j].name, f->shown);
        }
    }
    ck_assert_int_eq(metrics, TM_EVAL_NMETRICS);
    ck_assert_int_eq(per_class, 1);
    for (int k = 0; k < TM_EVAL_NMETRICS; k++)
        ck_assert(tm_eval_metric(k) != NULL && (tm_eval_metric(k)->flags & TM_EVAL_METRIC));
    ck_assert(tm_eval_metric(TM_EVAL_NMETRICS) == NULL);
    /* The places of inspect's list run 1, 2, ... without a gap. */
    for (int p = 1; p <= places; p++) {
        int found = 0;
        for (size_t i = 0; i < tm_eval_nfields; i++)
            found += tm_eval_fields[i].shown == p;
        ck_assert_msg(found == 1, "place %d of %d", p, places);
    }

    /* Columns: distinct names per group, the metrics' after the fixed ones. */
    for (int g = 0; g < TM_EVAL_NGROUPS; g++) {
        const tm_eval_group_t *gr = &tm_eval_groups[g];
        for (int i = 0; i < tm_eval_ncols(gr); i++) {
            ck_assert_int_eq(tm_eval_col_at(gr, tm_eval_col(gr, i).off), i);
            for (int j = 0; j < i; j++)
                ck_assert_str_ne(tm_eval_col(gr, i).name, tm_eval_col(gr, j).name);
        }
    }
    const tm_eval_group_t *bc = &tm_eval_groups[TM_EVAL_BY_CLASS];
    ck_assert_int_eq(tm_eval_ncols(bc), 3 + TM_EVAL_NMETRICS);
    ck_assert_str_eq(tm_eval_col(bc, 3).name, tm_eval_metric(0)->name);
    ck_assert_int_eq(tm_eval_col_at(&tm_eval_groups[TM_EVAL_SUSPECTS], 1), -1);
}
END_TEST

/* A made-up eval run: 10 queries against 9 candidates, 3 labels, one suspect, two confusions. */
typedef struct eval_run {
    tm_mine_params_t mine;
    tm_eval_params_t eval;
    tm_run_params_t run;
    tm_eval_summary_t sum;
    tm_eval_class_t cls[3];
    tm_eval_suspect_t sus[1];
    tm_eval_pair_t conf[2];
} eval_run_t;

static void eval_run_make(eval_run_t *r, int by_class, const char *reference, const char *out)
{
    memset(r, 0, sizeof *r);
    r->mine.input = "q\"uery.h5";
    r->mine.reference = reference;
    r->mine.metric = TM_METRIC_COSINE;
    r->mine.normalize = 1;
    r->eval.by_class = by_class;
    r->eval.suspects = 7;
    r->run.output = out;
    tm_eval_summary_t *s = &r->sum;
    s->num_queries = 10, s->num_candidates = 9, s->without_positive = 1;
    s->p_at_1 = 0.75, s->r_prec = 0.5, s->map_at_r = 0.375, s->mrr = 0.875;
    s->classes = 2;
    for (int k = 0; k < TM_EVAL_NMETRICS; k++)
        s->avg[k] = 0.125 * (k + 1);
    s->num_suspects = 1, s->num_confusions = 2;
    s->ranks = 3, s->threads = 4, s->seconds = 1.5, s->kernel = "bf16";
    s->pairs_fast = 60, s->pairs_f32 = 30, s->rechecked_fraction = 0.25;
    r->cls[0] = (tm_eval_class_t){4, 5, 0, {0.8, 0.6, 0.5, 0.9}};
    r->cls[1] = (tm_eval_class_t){7, 4, 0, {0.5, 0.25, 0.125, 0.75}};
    r->cls[2] = (tm_eval_class_t){9, 0, 1, {NAN, NAN, NAN, NAN}};
    r->sus[0] = (tm_eval_suspect_t){.query = 3, .label = 4, .positive = 8,
                                    .positive_distance = 2.5, .negative = 1,
                                    .negative_label = 7, .negative_distance = 2.0, .gap = 0.5};
    r->conf[0] = (tm_eval_pair_t){4, 7, 2};
    r->conf[1] = (tm_eval_pair_t){7, 4, 1};
}

/* The run made partitioned: --partitions auto, --seed 7, and what the check found. */
static void eval_run_parts(eval_run_t *r)
{
    r->mine.partitions = -1;
    r->mine.probe = 2;
    r->mine.check = 5;
    r->mine.seed = 7;
    tm_eval_summary_t *s = &r->sum;
    s->partitions = 10, s->probe = 2, s->check_anchors = 5;
    s->check_identical = 0.8, s->check_recall = 0.875, s->certified_anchors = 1;
}

/* What eval --json prints for the run, as a string (malloc'd). */
static char *eval_json_of(const eval_run_t *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert(f != NULL);
    tm_eval_sources_t src;
    tm_eval_sources_init(&src, &r->mine, &r->eval, &r->run, &r->sum);
    tm_eval_json(f, &src);
    fclose(f);
    return buf;
}

START_TEST(test_eval_json)
{
    eval_run_t r;
    eval_run_make(&r, 1, "ref.h5", NULL);
    char *got = eval_json_of(&r);
    /* The version is this build's: compare what follows it. */
    const char *head = "{\"command\": \"eval\", \"version\": \"";
    ck_assert(strncmp(got, head, strlen(head)) == 0);
    const char *rest = strchr(got + strlen(head), '"');
    ck_assert(rest != NULL);
    const char *want =
        "\", \"metric\": \"cosine\", \"input\": \"q\\\"uery.h5\", \"reference\": \"ref.h5\", "
        "\"num_queries\": 10, \"num_candidates\": 9, \"queries_without_positive\": 1, "
        "\"precision_at_1\": 0.75, \"r_precision\": 0.5, \"mean_average_precision_at_r\": 0.375, "
        "\"mean_reciprocal_rank\": 0.875, \"classes\": 2, \"avg_of_avgs\": {\"precision_at_1\": "
        "0.125, \"r_precision\": 0.25, \"mean_average_precision_at_r\": 0.375, "
        "\"mean_reciprocal_rank\": 0.5}, \"num_suspects\": 1, \"num_confused_pairs\": 2, "
        "\"ranks\": 3, \"threads\": 4, \"output\": null, \"seconds\": 1.5, \"kernel\": \"bf16\", "
        "\"pairs_fast\": 60, \"pairs_f32\": 30, \"rechecked\": 0.25}\n";
    ck_assert_str_eq(rest, want);
    free(got);

    /* Without --by-class and --reference: none of their keys. */
    eval_run_make(&r, 0, NULL, "r.h5");
    got = eval_json_of(&r);
    ck_assert(strstr(got, "\"reference\"") == NULL && strstr(got, "\"classes\"") == NULL &&
              strstr(got, "avg_of_avgs") == NULL && strstr(got, "\"output\": \"r.h5\"") != NULL);
    ck_assert(strstr(got, "partition") == NULL && strstr(got, "probe") == NULL &&
              strstr(got, "check_") == NULL && strstr(got, "certified") == NULL);
    free(got);

    /* With --partitions: the partitions' values last, the seed unsigned. */
    eval_run_make(&r, 0, NULL, NULL);
    eval_run_parts(&r);
    r.mine.seed = UINT64_MAX;
    got = eval_json_of(&r);
    const char *tail = "\"rechecked\": 0.25, \"partitions\": 10, \"probe\": 2, "
                       "\"partition_seed\": 18446744073709551615, \"check_anchors\": 5, "
                       "\"check_identical\": 0.8, \"check_recall\": 0.875, "
                       "\"certified_anchors\": 1}\n";
    ck_assert_msg(strlen(got) > strlen(tail) && strcmp(got + strlen(got) - strlen(tail), tail) == 0,
                  "eval --json ends %s", got);
    free(got);
}
END_TEST

START_TEST(test_eval_write_read)
{
    char dir[] = "/tmp/tm_unit_evalXXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    for (int by_class = 0; by_class < 2; by_class++) {
        char path[64];
        snprintf(path, sizeof path, "%s/report%d.h5", dir, by_class);
        eval_run_t r;
        eval_run_make(&r, by_class, by_class ? NULL : "ref.h5", path);
        tm_eval_sources_t src;
        tm_eval_sources_init(&src, &r.mine, &r.eval, &r.run, &r.sum);
        tm_eval_tables_t t;
        t.rows[TM_EVAL_BY_CLASS] = r.cls, t.n[TM_EVAL_BY_CLASS] = 3;
        t.rows[TM_EVAL_SUSPECTS] = r.sus, t.n[TM_EVAL_SUSPECTS] = 1;
        t.rows[TM_EVAL_CONFUSIONS] = r.conf, t.n[TM_EVAL_CONFUSIONS] = 2;
        tm_err_t err;
        tm_err_clear(&err);
        ck_assert_msg(tm_eval_write(&src, &t, &err) == 0, "%s", err.msg);
        /* Never replaced without --force. */
        ck_assert_int_eq(tm_eval_write(&src, &t, &err), TM_EEXIST);

        ck_assert(tm_evalrep_detect(path));
        tm_evalrep_t e;
        tm_err_clear(&err);
        ck_assert_msg(tm_evalrep_load(path, &e, &err) == 0, "%s", err.msg);
        ck_assert_str_eq(e.metric, "cosine");
        ck_assert_str_eq(e.input, "q\"uery.h5");
        ck_assert(by_class ? e.reference == NULL : strcmp(e.reference, "ref.h5") == 0);
        ck_assert(e.normalize == 1 && e.num_queries == 10 && e.num_candidates == 9);
        ck_assert(e.without_positive == 1 && e.suspects_asked == 7);
        ck_assert(e.v[0] == 0.75 && e.v[1] == 0.5 && e.v[2] == 0.375 && e.v[3] == 0.875);
        ck_assert_int_eq(e.has_avg, by_class);
        ck_assert_int_eq(e.has_by_class, by_class);
        if (by_class) {
            ck_assert(e.avg[0] == 0.125 && e.avg[3] == 0.5);
            /* r_precision over the classes with a value: 0.6 and 0.25; one NaN. */
            ck_assert(e.classes == 3 && e.classes_nan == 1);
            ck_assert(e.class_r_min == 0.25 && e.class_r_max == 0.6);
            ck_assert(e.class_r_mean == (0.6 + 0.25) / 2);
        }
        ck_assert_int_eq(e.nsuspects, 1);
        ck_assert(memcmp(&e.first_suspects[0], &r.sus[0], sizeof r.sus[0]) == 0);
        ck_assert(e.gap[0] == 0.5);
        ck_assert(e.npairs == 2 && e.ntop == 2 && e.confused_queries == 3);
        ck_assert(memcmp(e.top, r.conf, sizeof r.conf) == 0);
        /* No partitions: none of their attributes, in the file or as read. */
        ck_assert_int_eq(e.has_parts, 0);
        tm_parts_facts_t p;
        ck_assert_int_eq(tm_evalrep_parts(&e, &p), 0);
        for (size_t i = 0; i < tm_eval_nfields; i++)
            if (tm_eval_fields[i].flags & TM_EVAL_WITH_PARTS) {
                ck_assert(tm_evalrep_attr(&e, &tm_eval_fields[i]).none);
                hid_t h = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
                ck_assert(h >= 0);
                ck_assert_msg(H5Aexists(h, tm_eval_fields[i].name) == 0, "%s written",
                              tm_eval_fields[i].name);
                H5Fclose(h);
            }
        tm_evalrep_free(&e);
        unlink(path);
    }
    rmdir(dir);
}
END_TEST

/* Write the report of r to path (no rows but a suspect and a pair). */
static void eval_write(eval_run_t *r, const char *path)
{
    r->run.output = path;
    tm_eval_sources_t src;
    tm_eval_sources_init(&src, &r->mine, &r->eval, &r->run, &r->sum);
    tm_eval_tables_t t;
    t.rows[TM_EVAL_BY_CLASS] = r->cls, t.n[TM_EVAL_BY_CLASS] = 0;
    t.rows[TM_EVAL_SUSPECTS] = r->sus, t.n[TM_EVAL_SUSPECTS] = 1;
    t.rows[TM_EVAL_CONFUSIONS] = r->conf, t.n[TM_EVAL_CONFUSIONS] = 2;
    tm_err_t err;
    tm_err_clear(&err);
    ck_assert_msg(tm_eval_write(&src, &t, &err) == 0, "%s", err.msg);
}

START_TEST(test_eval_parts_write_read)
{
    char dir[] = "/tmp/tm_unit_evalpXXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    char path[64];
    snprintf(path, sizeof path, "%s/report.h5", dir);
    eval_run_t r;
    eval_run_make(&r, 0, NULL, NULL);
    eval_run_parts(&r);
    eval_write(&r, path);

    tm_evalrep_t e;
    tm_err_t err;
    tm_err_clear(&err);
    ck_assert_msg(tm_evalrep_load(path, &e, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(e.has_parts, 1);
    ck_assert(e.partitions == 10 && e.probe == 2 && e.partition_seed == 7);
    ck_assert(e.check_anchors == 5 && e.certified_anchors == 1);
    ck_assert(e.check_identical == 0.8 && e.check_recall == 0.875);
    tm_parts_facts_t p;
    ck_assert_int_eq(tm_evalrep_parts(&e, &p), 1);
    char words[256];
    tm_parts_words(&p, words, sizeof words);
    ck_assert_str_eq(words, "10, probe 2; check: 5 queries, 80.0 % identical, recall 0.875; "
                            "1 certified");
    const tm_eval_field_t *seed = NULL;
    for (size_t i = 0; i < tm_eval_nfields; i++)
        if (strcmp(tm_eval_fields[i].name, "partition_seed") == 0)
            seed = &tm_eval_fields[i];
    ck_assert(seed != NULL);
    tm_value_t v = tm_evalrep_attr(&e, seed);
    ck_assert(!v.none && v.type == TM_FT_U64 && v.u == 7);
    tm_evalrep_free(&e);

    /* They come together: one missing is a damaged report. */
    hid_t h = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert(h >= 0);
    ck_assert(H5Adelete(h, "check_recall") >= 0);
    H5Fclose(h);
    tm_err_clear(&err);
    ck_assert_int_eq(tm_evalrep_load(path, &e, &err), TM_EINPUT);
    ck_assert_msg(strstr(err.msg, "'check_recall'") != NULL && strstr(err.msg, "partitioned"),
                  "%s", err.msg);
    tm_evalrep_free(&e);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* ---- a partitioned run's values in words ------------------------------------- */

static const char *parts_words(int64_t check, double identical, double recall)
{
    static char buf[256];
    const tm_parts_facts_t p = {.partitions = 1789, .probe = 8, .check_anchors = check,
                                .check_identical = identical, .check_recall = recall,
                                .certified_anchors = 3, .unit = "anchors"};
    tm_parts_words(&p, buf, sizeof buf);
    return buf;
}

START_TEST(test_parts_words)
{
    ck_assert_str_eq(parts_words(1000, 0.829, 0.829),
                     "1789, probe 8; check: 1000 anchors, 82.9 % identical, recall 0.829; "
                     "3 certified");
    ck_assert_str_eq(parts_words(1000, 1.0, 1.0),
                     "1789, probe 8; check: 1000 anchors, 100.0 % identical, recall 1.000; "
                     "3 certified");
    /* Almost all is not all, almost none is not none. */
    ck_assert_str_eq(parts_words(10000, 0.9999, 0.99995),
                     "1789, probe 8; check: 10000 anchors, > 99.9 % identical, recall > 0.999; "
                     "3 certified");
    ck_assert_str_eq(parts_words(10000, 0.0001, 0.0002),
                     "1789, probe 8; check: 10000 anchors, < 0.1 % identical, recall < 0.001; "
                     "3 certified");
    ck_assert_str_eq(parts_words(10000, 0.0, 0.0),
                     "1789, probe 8; check: 10000 anchors, 0.0 % identical, recall 0.000; "
                     "3 certified");
    /* No exact pair to find (every checked anchor skipped). */
    ck_assert_str_eq(parts_words(4, 1.0, NAN),
                     "1789, probe 8; check: 4 anchors, 100.0 % identical, recall n/a; "
                     "3 certified");
    ck_assert_str_eq(parts_words(0, NAN, NAN),
                     "1789, probe 8; check: none (--check 0); 3 certified");
    /* A short buffer is cut, never overrun. */
    const tm_parts_facts_t p = {.partitions = 1789, .probe = 8, .check_anchors = 1000,
                                .check_identical = 0.5, .check_recall = 0.5, .unit = "anchors"};
    char small[12];
    memset(small, 'x', sizeof small);
    tm_parts_words(&p, small, 8);
    ck_assert_str_eq(small, "1789, p");
    ck_assert(small[8] == 'x');
}
END_TEST

/* The text summary of mine (eval: with_eval) for these runs, as a string (malloc'd). */
static char *summary_of(int with_eval, int64_t partitions)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert(f != NULL);
    tm_mine_params_t m;
    tm_run_params_t run;
    tm_talk_params_t talk;
    tm_mine_params_default(&m);
    tm_run_params_default(&run);
    tm_talk_params_default(&talk);
    m.input = "in.h5";
    m.partitions = partitions;
    run.output = "out.h5";
    if (with_eval) {
        eval_run_t r;
        eval_run_make(&r, 0, NULL, NULL);
        eval_run_parts(&r);
        tm_eval_print_summary(&m, &r.eval, &run, &talk, &r.sum, f);
    } else {
        tm_mine_summary_t s;
        memset(&s, 0, sizeof s);
        s.num_embeddings = 2000, s.dim = 16, s.ranks = 1, s.threads = 1;
        s.num_triplets = s.active_triplets = 2000;
        s.partitions = 1789, s.probe = 8, s.check_anchors = 1000;
        s.check_identical = 0.829, s.check_recall = 0.829;
        tm_mine_print_summary(&m, &run, &talk, &s, f);
    }
    fclose(f);
    return buf;
}

START_TEST(test_summaries_parts)
{
    char *text = summary_of(0, -1);
    const char *line = "\n  partitions       1789, probe 8; check: 1000 anchors, 82.9 % "
                       "identical, recall 0.829; 0 certified\n  output ";
    ck_assert_msg(strstr(text, "\n  loss ") != NULL && strstr(text, line) != NULL, "%s", text);
    free(text);
    text = summary_of(1, 10);
    ck_assert_msg(strstr(text, "\n  queries without positive     1 (left out of the means)\n"
                               "  partitions                   10, probe 2; check: 5 queries, "
                               "80.0 % identical, recall 0.875; 1 certified\n") != NULL,
                  "%s", text);
    free(text);
    /* Without --partitions: no such line, whatever the summary holds. */
    for (int ev = 0; ev < 2; ev++) {
        text = summary_of(ev, 0);
        ck_assert_msg(strstr(text, "partitions") == NULL && strstr(text, "probe") == NULL, "%s",
                      text);
        free(text);
    }
}
END_TEST

static Suite *inspect_suite(void)
{
    Suite *s = suite_create("inspect");
    TCase *tc = tcase_create("quantile");
    tcase_add_test(tc, test_quantile_five);
    tcase_add_test(tc, test_quantile_even_and_uneven);
    tcase_add_test(tc, test_quantile_edge_cases);
    tcase_add_test(tc, test_quantile_f32_matches_f64);
    suite_add_tcase(s, tc);

    tc = tcase_create("hist");
    tcase_add_test(tc, test_nice_step);
    tcase_add_test(tc, test_hist_unit_bins);
    tcase_add_test(tc, test_hist_anchor_at_margin);
    tcase_add_test(tc, test_hist_properties);
    tcase_add_test(tc, test_hist_degenerate);
    suite_add_tcase(s, tc);

    tc = tcase_create("opts");
    tcase_add_test(tc, test_opts_valid);
    tcase_add_test(tc, test_opts_usage_errors);
    tcase_add_test(tc, test_usage_text);
    suite_add_tcase(s, tc);

    tc = tcase_create("evalfmt");
    tcase_add_test(tc, test_eval_table);
    tcase_add_test(tc, test_eval_json);
    tcase_add_test(tc, test_eval_write_read);
    tcase_add_test(tc, test_eval_parts_write_read);
    suite_add_tcase(s, tc);

    tc = tcase_create("parts");
    tcase_add_test(tc, test_parts_words);
    tcase_add_test(tc, test_summaries_parts);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    return tm_unit_run(inspect_suite(), "unit_inspect", argv[0], 0);
}
