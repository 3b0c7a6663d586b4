/*
 * svg.c - the picture of "tripminer inspect --svg".
 *
 * Of a mining output, two panels on one page: the distributions of d_ap
 * and d_an on shared bins (two semi-transparent step areas), and the
 * histogram of d_an - d_ap with the region below the margin shaded as
 * "active loss". Of an eval report, up to three: the per-class
 * R-precision, the most confused label pairs as horizontal bars, and the
 * suspects' gaps. Both share the helpers below (page, axes, legend, the
 * writing). Plain SVG 1.1: no scripts, no fonts or images from elsewhere.
 * The file is written under a temporary name beside the target and renamed.
 */
#define _POSIX_C_SOURCE 200809L
#include "inspect/svg.h"

#include "base/outpath.h"
#include "base/publish.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/utf8.h"

/* Page and panel geometry, in SVG user units (pixels). */
#define PAGE_W 880
#define PAGE_H 860
#define PLOT_X0 90.0
#define PLOT_X1 850.0
#define TOP_Y0 122.0
#define TOP_Y1 392.0
#define BOT_Y0 516.0
#define BOT_Y1 786.0
/* Above each box: its title 36 units up, its legend row 14 up. */
#define TITLE_UP 36.0
#define LEGEND_UP 12.0

#define COLOR_AP "#1f77b4"
#define COLOR_AN "#ff7f0e"
#define COLOR_ACTIVE "#d62728"
#define COLOR_BAR "#7f7f7f"

/* Bins aimed at for the distance distributions of the top panel. */
#define DIST_BINS 40

/* ---- the file: checks, temporary name, rename -------------------------- */

int tm_svg_check_target(const char *path, int force, tm_err_t *err)
{
    return tm_outpath_check(path, force, "SVG output", err);
}

/* Create a temporary file beside path, readable as umask allows. */
static FILE *open_tmp(const char *path, char *tmp, size_t len, tm_err_t *err)
{
    if (tm_publish_tmpname(path, tmp, len) != 0) {
        tm_err_set(err, TM_EIO, "the SVG path is too long (%s)", path);
        return NULL;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0) {
        tm_err_set(err, TM_EIO, "cannot create a temporary file beside the SVG: %s (%s)",
                   strerror(errno), path);
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        tm_err_set(err, TM_EIO, "cannot write the temporary SVG %s: %s (%s)", tmp,
                   strerror(errno), path);
        close(fd);
        unlink(tmp);
    }
    return f;
}

/* ---- text ------------------------------------------------------------------ */

/* Character data or an attribute value, escaped; bytes XML cannot hold as U+FFFD. */
static void xml_text(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        int len = tm_utf8_next(p, &cp);
        int allowed = len > 0 && (cp == 0x9 || cp == 0xa || cp == 0xd || cp >= 0x20) &&
                      cp != 0xfffe && cp != 0xffff;
        if (!allowed) {
            fputs("\xef\xbf\xbd", f);
            p += len > 0 ? len : 1;
            continue;
        }
        switch (cp) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fwrite(p, 1, (size_t)len, f); break;
        }
        p += len;
    }
}

/* <text> at (x, y) with extra attributes attrs and escaped content. */
static void text_at(FILE *f, double x, double y, const char *attrs, const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", x, y, attrs[0] ? " " : "", attrs);
    xml_text(f, s);
    fputs("</text>\n", f);
}

/* ---- plots -------------------------------------------------------------- */

/* One panel: its box on the page and the ranges it shows. */
typedef struct plot {
    double x0, x1, y0, y1; /* page box; y0 is the top */
    double vlo, vhi;       /* values across */
    double cmax;           /* count at the top */
} plot_t;

static double px(const plot_t *p, double v)
{
    double t = (v - p->vlo) / (p->vhi - p->vlo);
    t = t < -0.02 ? -0.02 : t > 1.02 ? 1.02 : t; /* keep clipped marks near the box */
    return p->x0 + t * (p->x1 - p->x0);
}

static double py(const plot_t *p, double c)
{
    return p->y1 - c / p->cmax * (p->y1 - p->y0);
}

/* A tick label: %g with noise of the step arithmetic removed. */
static void tick_label(char *buf, size_t len, double v, double step)
{
    if (fabs(v) < step * 1e-9)
        v = 0.0;
    snprintf(buf, len, "%.6g", v);
}

/* A round step of whole counts at least raw: 1, 2, 5, 10, 20, 25, 50, ... */
static double count_step(double raw)
{
    double step = tm_inspect_nice_step(raw);
    if (step < 1.0)
        step = 1.0;
    return floor(step); /* 2.5 -> 2: a tick between two counts says nothing */
}

/* The frame of a panel. */
static void frame(FILE *f, const plot_t *p)
{
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#333\" stroke-width=\"1\"/>\n",
            p->x0, p->y0, p->x1 - p->x0, p->y1 - p->y0);
}

/*
 * Ticks with labels along the bottom, about 7 of them; with whole, a step
 * of at least 1 (counts); with grid, light vertical lines across the box.
 */
static void x_ticks(FILE *f, const plot_t *p, int whole, int grid)
{
    char buf[48];
    double step = whole ? count_step((p->vhi - p->vlo) / 7.0)
                        : tm_inspect_nice_step((p->vhi - p->vlo) / 7.0);
    double k0 = ceil(p->vlo / step - 1e-9), k1 = floor(p->vhi / step + 1e-9);
    fputs("<g class=\"xticks\" font-size=\"11\" text-anchor=\"middle\">\n", f);
    for (double k = k0; k <= k1 && k - k0 < 100; k += 1.0) {
        double v = k * step, x = px(p, v);
        if (grid)
            fprintf(f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" "
                       "stroke=\"#ddd\"/>\n",
                    x, p->y0, x, p->y1);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                x, p->y1, x, p->y1 + 5);
        tick_label(buf, sizeof buf, v, step);
        text_at(f, x, p->y1 + 18, "", buf);
    }
    fputs("</g>\n", f);
}

/* Count ticks with labels up the left side, with light horizontal lines. */
static void y_count_ticks(FILE *f, const plot_t *p)
{
    char buf[48];
    double cstep = count_step(p->cmax / 5.0);
    fputs("<g class=\"yticks\" font-size=\"11\" text-anchor=\"end\">\n", f);
    for (double c = 0.0; c <= p->cmax * (1 + 1e-9); c += cstep) {
        double y = py(p, c);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"#333\"/>\n",
                p->x0 - 5, y, p->x0, y);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"#ddd\"/>\n",
                p->x0, y, p->x1, y);
        snprintf(buf, sizeof buf, "%.0f", c);
        text_at(f, p->x0 - 8, y + 4, "", buf);
    }
    fputs("</g>\n", f);
}

/* The axis titles: xlabel below the box, ylabel (unless NULL) turned up its left. */
static void axis_titles(FILE *f, const plot_t *p, const char *xlabel, const char *ylabel)
{
    text_at(f, (p->x0 + p->x1) / 2, p->y1 + 40, "font-size=\"13\" text-anchor=\"middle\"",
            xlabel);
    if (ylabel == NULL)
        return;
    char attrs[128];
    double ym = (p->y0 + p->y1) / 2;
    snprintf(attrs, sizeof attrs,
             "font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\"",
             p->x0 - 55, ym);
    text_at(f, p->x0 - 55, ym, attrs, ylabel);
}

/* Frame, ticks with labels, and axis titles of a histogram panel. */
static void axes(FILE *f, const plot_t *p, const char *xlabel, const char *ylabel)
{
    frame(f, p);
    x_ticks(f, p, 0, 0);
    y_count_ticks(f, p);
    axis_titles(f, p, xlabel, ylabel);
}

/* The count axis top: a round number at or above the largest count. */
static double count_top(int64_t largest)
{
    double step = count_step(largest > 0 ? (double)largest / 5.0 : 1.0);
    double top = ceil((double)largest / step) * step;
    return top > 0.0 ? top : 1.0;
}

/* A histogram as one closed step area: semi-transparent fill, solid outline. */
static void step_area(FILE *f, const plot_t *p, const tm_inspect_hist_t *h, const char *color,
                      const char *id)
{
    fprintf(f, "<path id=\"%s\" fill=\"%s\" fill-opacity=\"0.35\" stroke=\"%s\" "
               "stroke-width=\"1.5\" d=\"M%.2f,%.2f",
            id, color, color, px(p, h->edges[0]), py(p, 0));
    for (int64_t i = 0; i < h->nbins; i++) {
        double y = py(p, (double)h->counts[i]);
        fprintf(f, " L%.2f,%.2f L%.2f,%.2f", px(p, h->edges[i]), y, px(p, h->edges[i + 1]), y);
    }
    fprintf(f, " L%.2f,%.2f Z\"/>\n", px(p, h->edges[h->nbins]), py(p, 0));
}

/* The characters of a UTF-8 string, to estimate the width of its text. */
static size_t chars_of(const char *s)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        chars += (*p & 0xc0) != 0x80;
    return chars;
}

/*
 * A legend entry at x on baseline y: a swatch (filled box or dashed line)
 * and its text. Returns the x of the next entry (text width estimated).
 */
static double legend_entry(FILE *f, double x, double y, const char *color, int dashed,
                           double opacity, const char *label)
{
    if (dashed)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"2\" stroke-dasharray=\"5,3\"/>\n",
                x, y - 4, x + 18, y - 4, color);
    else
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"10\" fill=\"%s\" "
                   "fill-opacity=\"%.2f\" stroke=\"%s\"/>\n",
                x, y - 9, color, opacity, color);
    text_at(f, x + 24, y, "font-size=\"12\"", label);
    return x + 24 + 6.8 * (double)chars_of(label) + 22;
}

static void no_data(FILE *f, const plot_t *p, const char *what)
{
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f7f7f7\" "
               "stroke=\"#333\"/>\n",
            p->x0, p->y0, p->x1 - p->x0, p->y1 - p->y0);
    text_at(f, (p->x0 + p->x1) / 2, (p->y0 + p->y1) / 2,
            "class=\"note\" font-size=\"16\" text-anchor=\"middle\" fill=\"#555\"", what);
}

/*
 * The start of a page PAGE_W wide and height high: the svg element, its
 * title and description, a white background and the title in bold.
 */
static void page_begin(FILE *f, int height, const char *title, const char *desc)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
               "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n",
            PAGE_W, height, PAGE_W, height);
    fputs("<title>", f);
    xml_text(f, title);
    fputs("</title>\n", f);
    fputs("<desc>", f);
    xml_text(f, desc);
    fputs("</desc>\n", f);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", PAGE_W, height);
    text_at(f, PLOT_X0, 32, "id=\"title\" font-size=\"18\" font-weight=\"bold\"", title);
}

/*
 * The caption of a partitioned run's values at baseline y: how many
 * partitions, the probe, and what the exact check found.
 */
static void parts_caption(FILE *f, double y, const tm_parts_facts_t *p)
{
    char words[256], buf[300];
    tm_parts_words(p, words, sizeof words);
    snprintf(buf, sizeof buf, "partitions: %s", words);
    text_at(f, PLOT_X0, y, "id=\"partitions\" font-size=\"12\" fill=\"#444\"", buf);
}

/* Top panel: d_ap and d_an on shared bins. */
static int draw_distances(FILE *f, const tm_inspect_report_t *r, tm_err_t *err)
{
    double lo = fmin(r->d_ap[0], r->d_an[0]);
    double hi = fmax(r->d_ap[r->n - 1], r->d_an[r->n - 1]);
    tm_inspect_hist_t hap, han;
    int rc = tm_inspect_hist_layout(&hap, lo, hi, 0.0, DIST_BINS);
    if (rc == 0)
        rc = tm_inspect_hist_layout(&han, lo, hi, 0.0, DIST_BINS);
    else
        memset(&han, 0, sizeof han);
    if (rc != 0) {
        tm_inspect_hist_free(&hap);
        tm_inspect_hist_free(&han);
        return tm_err_set(err, rc == TM_ENOMEM ? TM_ENOMEM : TM_EINTERNAL,
                          "cannot lay out the distance histogram of the SVG (%s)", r->path);
    }
    int64_t largest = 0;
    for (int64_t i = 0; i < r->n; i++) {
        tm_inspect_hist_add(&hap, r->d_ap[i]);
        tm_inspect_hist_add(&han, r->d_an[i]);
    }
    for (int64_t i = 0; i < hap.nbins; i++) {
        largest = hap.counts[i] > largest ? hap.counts[i] : largest;
        largest = han.counts[i] > largest ? han.counts[i] : largest;
    }
    plot_t p = {PLOT_X0, PLOT_X1, TOP_Y0, TOP_Y1, hap.edges[0], hap.edges[hap.nbins],
                count_top(largest)};
    char label[160];
    snprintf(label, sizeof label, "distance (%s), bins of width %g", tm_report_str(r, "metric"), hap.width);
    fputs("<g id=\"distances\">\n", f);
    axes(f, &p, label, "triplets");
    step_area(f, &p, &hap, COLOR_AP, "hist-d_ap");
    step_area(f, &p, &han, COLOR_AN, "hist-d_an");
    fputs("<g class=\"legend\">\n", f);
    double x = legend_entry(f, p.x0, p.y0 - LEGEND_UP, COLOR_AP, 0, 0.35,
                            "d_ap (anchor to positive)");
    legend_entry(f, x, p.y0 - LEGEND_UP, COLOR_AN, 0, 0.35, "d_an (anchor to negative)");
    fputs("</g>\n</g>\n", f);
    tm_inspect_hist_free(&hap);
    tm_inspect_hist_free(&han);
    return 0;
}

/* Bottom panel: d_an - d_ap, the active region shaded, the margin dashed. */
static void draw_differences(FILE *f, const tm_inspect_report_t *r)
{
    const tm_inspect_hist_t *h = &r->hist;
    double margin = tm_report_f64(r, "margin");
    double lo = h->edges[0], hi = h->edges[h->nbins], span = hi - lo;
    /* Show the margin when it is near the data; say so when it is far off. */
    int off = 0; /* -1: far left of the plot, 1: far right */
    if (isfinite(margin) && margin < lo) {
        if (margin >= lo - span)
            lo = margin - 0.05 * span;
        else
            off = -1;
    } else if (isfinite(margin) && margin > hi) {
        if (margin <= hi + span)
            hi = margin + 0.05 * span;
        else
            off = 1;
    }
    int64_t largest = 0;
    for (int64_t i = 0; i < h->nbins; i++)
        largest = h->counts[i] > largest ? h->counts[i] : largest;
    plot_t p = {PLOT_X0, PLOT_X1, BOT_Y0, BOT_Y1, lo, hi, count_top(largest)};

    fputs("<g id=\"differences\">\n", f);
    /* The band first, under the bars: values below the margin. */
    double bx1 = isfinite(margin) ? px(&p, fmin(fmax(margin, lo), hi)) : p.x0;
    fprintf(f, "<rect id=\"margin-band\" class=\"active-loss\" x=\"%.2f\" y=\"%.1f\" "
               "width=\"%.2f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.12\"/>\n",
            p.x0, p.y0, bx1 - p.x0, p.y1 - p.y0, COLOR_ACTIVE);
    char label[160];
    snprintf(label, sizeof label, "d_an \xe2\x88\x92 d_ap (%s), bins of width %g", tm_report_str(r, "metric"),
             h->width);
    axes(f, &p, label, "triplets");
    fputs("<g class=\"bars\" stroke=\"white\" stroke-width=\"0.5\">\n", f);
    for (int64_t i = 0; i < h->nbins; i++) {
        if (h->counts[i] == 0)
            continue;
        double x0 = px(&p, h->edges[i]), x1 = px(&p, h->edges[i + 1]);
        double y = py(&p, (double)h->counts[i]);
        int active = isfinite(margin) && h->edges[i + 1] <= margin;
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
                   "fill-opacity=\"0.8\"/>\n",
                x0, y, x1 - x0, p.y1 - y, active ? COLOR_ACTIVE : COLOR_BAR);
    }
    fputs("</g>\n", f);
    char buf[160];
    if (off < 0) {
        snprintf(buf, sizeof buf, "\xe2\x86\x90 margin %g: far left of the plot", margin);
        text_at(f, p.x0 + 6, p.y0 + 16, "font-size=\"12\" fill=\"" COLOR_ACTIVE "\"", buf);
    } else if (off > 0) {
        snprintf(buf, sizeof buf, "margin %g: far right of the plot \xe2\x86\x92", margin);
        text_at(f, p.x1 - 6, p.y0 + 16,
                "font-size=\"12\" text-anchor=\"end\" fill=\"" COLOR_ACTIVE "\"", buf);
    } else if (isfinite(margin)) {
        double x = px(&p, margin);
        fprintf(f, "<line id=\"margin-line\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" "
                   "stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"5,3\"/>\n",
                x, p.y0, x, p.y1, COLOR_ACTIVE);
        snprintf(buf, sizeof buf, "margin %g", margin);
        /* The label on the roomier side of the line. */
        if (x > (p.x0 + p.x1) / 2)
            text_at(f, x - 4, p.y0 + 14,
                    "font-size=\"12\" text-anchor=\"end\" fill=\"" COLOR_ACTIVE "\"", buf);
        else
            text_at(f, x + 4, p.y0 + 14, "font-size=\"12\" fill=\"" COLOR_ACTIVE "\"", buf);
    }
    fputs("<g class=\"legend\">\n", f);
    /* With softplus every loss is positive: the margin is only its midpoint. */
    int hinge = strcmp(tm_report_str(r, "loss"), "hinge") == 0;
    double x = legend_entry(f, p.x0, p.y0 - LEGEND_UP, COLOR_ACTIVE, 0, 0.12,
                            hinge ? "active loss: d_an \xe2\x88\x92 d_ap < margin"
                                  : "inside the margin: d_an \xe2\x88\x92 d_ap < margin");
    snprintf(buf, sizeof buf, "margin = %g", margin);
    x = legend_entry(f, x, p.y0 - LEGEND_UP, COLOR_ACTIVE, 1, 1.0, buf);
    snprintf(buf, sizeof buf, "%lld of %lld triplets (%.1f %%) below the margin",
             (long long)r->below_margin, (long long)r->n,
             r->n > 0 ? 100.0 * (double)r->below_margin / (double)r->n : 0.0);
    text_at(f, x, p.y0 - LEGEND_UP, "font-size=\"12\"", buf);
    fputs("</g>\n</g>\n", f);
}

static int draw(FILE *f, const tm_inspect_report_t *r, tm_err_t *err)
{
    char buf[512];
    snprintf(buf, sizeof buf, "tripminer inspect: %s, %s, %s loss, N = %lld triplets",
             tm_report_str(r, "strategy"), tm_report_str(r, "metric"), tm_report_str(r, "loss"), (long long)r->m);
    page_begin(f, PAGE_H, buf,
               "Top: distributions of the anchor-positive (d_ap) and anchor-negative (d_an) "
               "distances of the mined triplets. Bottom: histogram of d_an - d_ap; the shaded "
               "band is where d_an - d_ap < margin, where the hinge loss is active.");
    snprintf(buf, sizeof buf, "%s: margin %g, %lld x %lld embeddings, %lld skipped anchors, "
                              "loss mean %.4g",
             r->path, tm_report_f64(r, "margin"), (long long)tm_report_i64(r, "num_embeddings"), (long long)tm_report_i64(r, "dim"),
             (long long)tm_report_i64(r, "skipped_anchors"), tm_report_f64(r, "loss_mean"));
    text_at(f, PLOT_X0, 54, "font-size=\"12\" fill=\"#444\"", buf);
    tm_parts_facts_t parts;
    if (tm_report_parts(r, &parts))
        parts_caption(f, 70, &parts);
    text_at(f, PLOT_X0, TOP_Y0 - TITLE_UP, "font-size=\"14\" font-weight=\"bold\"",
            "Distances of the mined triplets");
    text_at(f, PLOT_X0, BOT_Y0 - TITLE_UP, "font-size=\"14\" font-weight=\"bold\"",
            "d_an \xe2\x88\x92 d_ap: the loss is active below the margin");
    int rc = 0;
    if (r->n == 0) {
        const char *what = r->m == 0 ? "no triplets" : "no triplets with finite distances";
        plot_t top = {PLOT_X0, PLOT_X1, TOP_Y0, TOP_Y1, 0, 1, 1};
        plot_t bot = {PLOT_X0, PLOT_X1, BOT_Y0, BOT_Y1, 0, 1, 1};
        no_data(f, &top, what);
        no_data(f, &bot, what);
    } else {
        rc = draw_distances(f, r, err);
        if (rc == 0)
            draw_differences(f, r);
    }
    fputs("</svg>\n", f);
    return rc;
}

/* ---- the picture of an eval report ------------------------------------------ */

/* Its panels: box heights, the rows of the bar chart, the room between boxes. */
#define EV_CLASS_H 230.0
#define EV_GAP_H 170.0
#define EV_NONE_H 80.0
#define EV_BAR_STEP 26.0
#define EV_BAR_H 18.0
#define EV_BETWEEN (BOT_Y0 - TOP_Y1)
#define EV_BOTTOM ((double)PAGE_H - BOT_Y1)

#define BOLD14 "font-size=\"14\" font-weight=\"bold\""
#define ARROW "\xe2\x86\x92"
#define MINUS "\xe2\x88\x92"

typedef struct eval_pic {
    const tm_evalrep_t *e;
    int bins;
} eval_pic_t;

/*
 * A value marked across a panel: a dashed vertical line and its label dy
 * below the top, on the roomier side of the line.
 */
static void mark_value(FILE *f, const plot_t *p, double v, const char *color, const char *id,
                       const char *label, double dy)
{
    double x = px(p, v);
    fprintf(f, "<line id=\"%s\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"%s\" "
               "stroke-width=\"2\" stroke-dasharray=\"5,3\"/>\n",
            id, x, p->y0, x, p->y1, color);
    char attrs[96];
    int right = x > (p->x0 + p->x1) / 2;
    snprintf(attrs, sizeof attrs, "font-size=\"12\"%s fill=\"%s\"",
             right ? " text-anchor=\"end\"" : "", color);
    text_at(f, right ? x - 4 : x + 4, p->y0 + dy, attrs, label);
}

/* The bars of a histogram: bins from split up in one color, those below in another. */
static void hist_bars(FILE *f, const plot_t *p, const tm_inspect_hist_t *h, double split,
                      const char *below, const char *above)
{
    fputs("<g class=\"bars\" stroke=\"white\" stroke-width=\"0.5\">\n", f);
    for (int64_t i = 0; i < h->nbins; i++) {
        if (h->counts[i] == 0)
            continue;
        double x0 = px(p, h->edges[i]), x1 = px(p, h->edges[i + 1]);
        double y = py(p, (double)h->counts[i]);
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
                   "fill-opacity=\"0.8\"/>\n",
                x0, y, x1 - x0, p->y1 - y, h->edges[i] >= split ? above : below);
    }
    fputs("</g>\n", f);
}

static int64_t hist_largest(const tm_inspect_hist_t *h)
{
    int64_t largest = 0;
    for (int64_t i = 0; i < h->nbins; i++)
        largest = h->counts[i] > largest ? h->counts[i] : largest;
    return largest;
}

static int layout_failed(int rc, const char *what, const char *path, tm_err_t *err)
{
    return tm_err_set(err, rc == TM_ENOMEM ? TM_ENOMEM : TM_EINTERNAL,
                      "cannot lay out the histogram of %s in the SVG (%s)", what, path);
}

/* The histogram of the per-class R-precision on [0, 1], its mean marked. */
static int draw_classes(FILE *f, const tm_evalrep_t *e, int bins, double y0, tm_err_t *err)
{
    plot_t p = {PLOT_X0, PLOT_X1, y0, y0 + EV_CLASS_H, 0.0, 1.0, 1.0};
    const int64_t n = e->classes - e->classes_nan;
    char buf[256];
    if (e->classes_nan > 0)
        snprintf(buf, sizeof buf, "R-precision per class: %lld of %lld classes (%lld without a "
                                  "query with a positive, NaN, left out)",
                 (long long)n, (long long)e->classes, (long long)e->classes_nan);
    else
        snprintf(buf, sizeof buf, "R-precision per class: %lld class%s", (long long)n,
                 n == 1 ? "" : "es");
    text_at(f, PLOT_X0, p.y0 - TITLE_UP, BOLD14, buf);
    fputs("<g id=\"by-class\">\n", f);
    if (n == 0) {
        no_data(f, &p, "no class has a query with a positive");
        fputs("</g>\n", f);
        return 0;
    }
    tm_inspect_hist_t h;
    int rc = tm_inspect_hist_layout(&h, 0.0, 1.0, 0.0, bins);
    if (rc != 0)
        return layout_failed(rc, "the per-class R-precision", e->path, err);
    for (int64_t i = 0; i < n; i++)
        tm_inspect_hist_add(&h, e->class_r_prec[i]);
    p.vlo = h.edges[0];
    p.vhi = h.edges[h.nbins];
    p.cmax = count_top(hist_largest(&h));
    snprintf(buf, sizeof buf, "R-precision of the class (mean over its queries with a "
                              "positive), bins of width %g", h.width);
    axes(f, &p, buf, "classes");
    hist_bars(f, &p, &h, -INFINITY, COLOR_AP, COLOR_AP);
    snprintf(buf, sizeof buf, "mean over classes %.4g", e->class_r_mean);
    mark_value(f, &p, e->class_r_mean, COLOR_ACTIVE, "class-mean", buf, 14);
    snprintf(buf, sizeof buf, "over all queries %.4g", e->v[1]);
    mark_value(f, &p, e->v[1], "#333", "query-mean", buf, 30);
    fputs("<g class=\"legend\">\n", f);
    double x = legend_entry(f, p.x0, p.y0 - LEGEND_UP, COLOR_AP, 0, 0.8, "classes");
    snprintf(buf, sizeof buf, "mean over classes = %.6g", e->class_r_mean);
    x = legend_entry(f, x, p.y0 - LEGEND_UP, COLOR_ACTIVE, 1, 1.0, buf);
    snprintf(buf, sizeof buf, "r_precision over all queries = %.6g", e->v[1]);
    legend_entry(f, x, p.y0 - LEGEND_UP, "#333", 1, 1.0, buf);
    fputs("</g>\n</g>\n", f);
    tm_inspect_hist_free(&h);
    return 0;
}

/* The box height of the bar chart of confused pairs. */
static double confusions_height(const tm_evalrep_t *e)
{
    return e->ntop > 0 ? 8.0 + EV_BAR_STEP * (double)e->ntop : EV_NONE_H;
}

/* Horizontal bars: the most frequent (label, nearest label) pairs, largest first. */
static void draw_confusions(FILE *f, const tm_evalrep_t *e, double y0)
{
    char label[TM_EVALREP_TOP][64];
    size_t wide = 0;
    int64_t largest = 0;
    for (int64_t i = 0; i < e->ntop; i++) {
        snprintf(label[i], sizeof label[i], "%lld " ARROW " %lld", (long long)e->top[i].label,
                 (long long)e->top[i].nearest_label);
        size_t c = chars_of(label[i]);
        wide = c > wide ? c : wide;
        largest = e->top[i].count > largest ? e->top[i].count : largest;
    }
    /* Room on the left for the longest label (at most two 20-digit numbers). */
    double x0 = fmax(PLOT_X0, 24.0 + 7.0 * (double)wide);
    plot_t p = {x0, PLOT_X1, y0, y0 + confusions_height(e), 0.0, count_top(largest), 1.0};
    text_at(f, PLOT_X0, p.y0 - TITLE_UP, BOLD14,
            "Most confused labels: A " ARROW " B counts the queries of A whose nearest "
            "neighbour is B");
    fputs("<g id=\"confusions\">\n", f);
    char buf[256];
    if (e->ntop == 0) {
        no_data(f, &p, "no confusions: the nearest neighbour of every query has its label");
        fputs("</g>\n", f);
        return;
    }
    snprintf(buf, sizeof buf, "top %lld of %lld pairs; %lld of %lld queries (%.1f %%) have a "
                              "nearest neighbour with another label",
             (long long)e->ntop, (long long)e->npairs, (long long)e->confused_queries,
             (long long)e->num_queries,
             e->num_queries > 0 ? 100.0 * (double)e->confused_queries / (double)e->num_queries
                                : 0.0);
    text_at(f, PLOT_X0, p.y0 - LEGEND_UP, "class=\"legend\" font-size=\"12\"", buf);
    frame(f, &p);
    x_ticks(f, &p, 1, 1);
    axis_titles(f, &p, "queries of label A whose nearest neighbour has label B", NULL);
    fputs("<g class=\"bars\">\n", f);
    for (int64_t i = 0; i < e->ntop; i++) {
        double yt = p.y0 + 8.0 + EV_BAR_STEP * (double)i;
        double xe = px(&p, (double)e->top[i].count);
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\" "
                   "fill-opacity=\"0.8\"/>\n",
                p.x0, yt, xe - p.x0, EV_BAR_H, COLOR_AN);
        text_at(f, p.x0 - 8, yt + 13, "font-size=\"12\" text-anchor=\"end\"", label[i]);
        snprintf(buf, sizeof buf, "%lld", (long long)e->top[i].count);
        /* The count after the bar, or inside its end when the bar is long. */
        if (xe + 8 + 7.0 * (double)strlen(buf) > p.x1)
            text_at(f, xe - 4, yt + 13, "font-size=\"11\" text-anchor=\"end\" fill=\"white\"",
                    buf);
        else
            text_at(f, xe + 4, yt + 13, "font-size=\"11\"", buf);
    }
    fputs("</g>\n</g>\n", f);
}

/* The histogram of the suspects' gaps, the region gap > 0 shaded. */
static int draw_gaps(FILE *f, const tm_evalrep_t *e, int bins, double y0, tm_err_t *err)
{
    plot_t p = {PLOT_X0, PLOT_X1, y0, y0 + EV_GAP_H, 0.0, 1.0, 1.0};
    double lo = INFINITY, hi = -INFINITY;
    int64_t n = 0, above = 0;
    for (int64_t i = 0; i < e->nsuspects; i++) {
        double g = e->gap[i];
        if (!isfinite(g))
            continue;
        lo = fmin(lo, g);
        hi = fmax(hi, g);
        above += g > 0.0;
        n++;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "Suspects: d(nearest positive) " MINUS " d(nearest negative) of "
                              "the %lld queries listed",
             (long long)e->nsuspects);
    text_at(f, PLOT_X0, p.y0 - TITLE_UP, BOLD14, buf);
    fputs("<g id=\"suspect-gaps\">\n", f);
    if (n == 0) {
        no_data(f, &p, "no suspects: no query has both a positive and a negative");
        fputs("</g>\n", f);
        return 0;
    }
    tm_inspect_hist_t h;
    int rc = tm_inspect_hist_layout(&h, lo, hi, 0.0, bins);
    if (rc != 0)
        return layout_failed(rc, "the suspects' gaps", e->path, err);
    for (int64_t i = 0; i < e->nsuspects; i++)
        if (isfinite(e->gap[i]))
            tm_inspect_hist_add(&h, e->gap[i]);
    p.vlo = h.edges[0];
    p.vhi = h.edges[h.nbins];
    p.cmax = count_top(hist_largest(&h));
    /* The band first, under the bars: a negative nearer than every positive. */
    if (p.vhi > 0.0) {
        double bx0 = px(&p, fmax(0.0, p.vlo));
        fprintf(f, "<rect id=\"gap-band\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
                   "fill=\"%s\" fill-opacity=\"0.12\"/>\n",
                bx0, p.y0, p.x1 - bx0, p.y1 - p.y0, COLOR_ACTIVE);
    }
    snprintf(buf, sizeof buf, "gap (%s), bins of width %g", e->metric, h.width);
    axes(f, &p, buf, "suspects");
    hist_bars(f, &p, &h, 0.0, COLOR_BAR, COLOR_ACTIVE);
    fputs("<g class=\"legend\">\n", f);
    double x = legend_entry(f, p.x0, p.y0 - LEGEND_UP, COLOR_ACTIVE, 0, 0.12,
                            "gap > 0: a negative is nearer than every positive");
    snprintf(buf, sizeof buf, "%lld of %lld listed (%.1f %%)", (long long)above, (long long)n,
             100.0 * (double)above / (double)n);
    text_at(f, x, p.y0 - LEGEND_UP, "font-size=\"12\"", buf);
    fputs("</g>\n</g>\n", f);
    tm_inspect_hist_free(&h);
    return 0;
}

static int draw_eval(FILE *f, const void *what, tm_err_t *err)
{
    const eval_pic_t *pic = what;
    const tm_evalrep_t *e = pic->e;
    /*
     * The boxes from the top down, then the page height; they start one
     * header line lower than those of the mining picture, two with the
     * caption of a partitioned run.
     */
    tm_parts_facts_t parts;
    const int has_parts = tm_evalrep_parts(e, &parts);
    double y_class = TOP_Y0 + (has_parts ? 36.0 : 18.0), y = y_class;
    if (e->has_by_class)
        y += EV_CLASS_H + EV_BETWEEN;
    double y_conf = y;
    y += confusions_height(e) + EV_BETWEEN;
    double y_gap = y;
    int height = (int)ceil(y + EV_GAP_H + EV_BOTTOM);

    char buf[512];
    snprintf(buf, sizeof buf, "tripminer inspect: eval report, %s, %lld queries", e->metric,
             (long long)e->num_queries);
    page_begin(f, height, buf,
               "An evaluation report of tripminer eval. Top (with --by-class): histogram of "
               "the R-precision of each class, its mean marked. Middle: the most frequent "
               "pairs (label A, label B of the nearest neighbour of a query of A). Bottom: "
               "histogram of d(nearest positive) - d(nearest negative) of the suspects.");
    snprintf(buf, sizeof buf, "%s: precision@1 %.4f, R-precision %.4f, MAP@R %.4f, MRR %.4f",
             e->path, e->v[0], e->v[1], e->v[2], e->v[3]);
    text_at(f, PLOT_X0, 54, "font-size=\"12\" fill=\"#444\"", buf);
    snprintf(buf, sizeof buf, "input %s%s%s, %lld candidates, %lld queries without a positive%s",
             e->input, e->reference != NULL ? " against " : "",
             e->reference != NULL ? e->reference : "", (long long)e->num_candidates,
             (long long)e->without_positive,
             e->has_by_class ? "" : "; no per-class panel (eval without --by-class)");
    text_at(f, PLOT_X0, 72, "font-size=\"12\" fill=\"#444\"", buf);
    if (has_parts)
        parts_caption(f, 90, &parts);
    int rc = 0;
    if (e->has_by_class)
        rc = draw_classes(f, e, pic->bins, y_class, err);
    if (rc == 0)
        draw_confusions(f, e, y_conf);
    if (rc == 0)
        rc = draw_gaps(f, e, pic->bins, y_gap, err);
    fputs("</svg>\n", f);
    return rc;
}

/*
 * Draw with draw(f, what, err) into a temporary file beside path, then
 * rename it to path; nothing is left behind on failure.
 */
static int write_svg(const char *path, int force,
                     int (*draw_fn)(FILE *, const void *, tm_err_t *), const void *what,
                     tm_err_t *err)
{
    char tmp[PATH_MAX];
    FILE *f = open_tmp(path, tmp, sizeof tmp, err);
    if (f == NULL)
        return err->code != 0 ? err->code : TM_EIO;
    int rc = draw_fn(f, what, err);
    int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    int saved = errno;
    if (fclose(f) != 0)
        bad = 1, saved = errno;
    if (rc == 0 && bad)
        rc = tm_err_set(err, TM_EIO, "writing the SVG failed: %s (%s)", strerror(saved), path);
    if (rc == 0)
        rc = tm_publish(tmp, path, force, "SVG output", err);
    if (rc != 0)
        unlink(tmp);
    return rc;
}

static int draw_report(FILE *f, const void *what, tm_err_t *err)
{
    return draw(f, what, err);
}

int tm_svg_write_report(const tm_inspect_report_t *r, const char *path, int force,
                        tm_err_t *err)
{
    return write_svg(path, force, draw_report, r, err);
}

int tm_svg_write_eval(const tm_evalrep_t *e, int bins, const char *path, int force,
                      tm_err_t *err)
{
    const eval_pic_t pic = {e, bins};
    return write_svg(path, force, draw_eval, &pic, err);
}
