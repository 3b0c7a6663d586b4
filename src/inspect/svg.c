/*
 * svg.c - the picture of "tripminer inspect --svg".
 *
 * Two panels on one page: the distributions of d_ap and d_an on shared
 * bins (two semi-transparent step areas), and the histogram of
 * d_an - d_ap with the region below the margin shaded as "active loss".
 * Plain SVG 1.1: no scripts, no fonts or images from elsewhere. The file
 * is written under a temporary name beside the target and renamed.
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

/* Frame, ticks with labels, and axis titles of a panel. */
static void axes(FILE *f, const plot_t *p, const char *xlabel, const char *ylabel)
{
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#333\" stroke-width=\"1\"/>\n",
            p->x0, p->y0, p->x1 - p->x0, p->y1 - p->y0);
    char buf[48];
    double step = tm_inspect_nice_step((p->vhi - p->vlo) / 7.0);
    double k0 = ceil(p->vlo / step - 1e-9), k1 = floor(p->vhi / step + 1e-9);
    fputs("<g class=\"xticks\" font-size=\"11\" text-anchor=\"middle\">\n", f);
    for (double k = k0; k <= k1 && k - k0 < 100; k += 1.0) {
        double v = k * step, x = px(p, v);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                x, p->y1, x, p->y1 + 5);
        tick_label(buf, sizeof buf, v, step);
        text_at(f, x, p->y1 + 18, "", buf);
    }
    fputs("</g>\n", f);
    double cstep = tm_inspect_nice_step(p->cmax / 5.0);
    if (cstep < 1.0)
        cstep = 1.0;
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
    text_at(f, (p->x0 + p->x1) / 2, p->y1 + 40, "font-size=\"13\" text-anchor=\"middle\"",
            xlabel);
    char attrs[128];
    double ym = (p->y0 + p->y1) / 2;
    snprintf(attrs, sizeof attrs,
             "font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\"",
             p->x0 - 55, ym);
    text_at(f, p->x0 - 55, ym, attrs, ylabel);
}

/* The count axis top: a round number at or above the largest count. */
static double count_top(int64_t largest)
{
    double step = tm_inspect_nice_step(largest > 0 ? (double)largest / 5.0 : 1.0);
    if (step < 1.0)
        step = 1.0;
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
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)label; *p; p++)
        chars += (*p & 0xc0) != 0x80;
    return x + 24 + 6.8 * (double)chars + 22;
}

static void no_data(FILE *f, const plot_t *p, const char *what)
{
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f7f7f7\" "
               "stroke=\"#333\"/>\n",
            p->x0, p->y0, p->x1 - p->x0, p->y1 - p->y0);
    text_at(f, (p->x0 + p->x1) / 2, (p->y0 + p->y1) / 2,
            "class=\"note\" font-size=\"16\" text-anchor=\"middle\" fill=\"#555\"", what);
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
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
               "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n",
            PAGE_W, PAGE_H, PAGE_W, PAGE_H);
    snprintf(buf, sizeof buf, "tripminer inspect: %s, %s, %s loss, N = %lld triplets",
             tm_report_str(r, "strategy"), tm_report_str(r, "metric"), tm_report_str(r, "loss"), (long long)r->m);
    fputs("<title>", f);
    xml_text(f, buf);
    fputs("</title>\n", f);
    fputs("<desc>", f);
    xml_text(f, "Top: distributions of the anchor-positive (d_ap) and anchor-negative (d_an) "
                "distances of the mined triplets. Bottom: histogram of d_an - d_ap; the shaded "
                "band is where d_an - d_ap < margin, where the hinge loss is active.");
    fputs("</desc>\n", f);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", PAGE_W, PAGE_H);
    text_at(f, PLOT_X0, 32, "id=\"title\" font-size=\"18\" font-weight=\"bold\"", buf);
    snprintf(buf, sizeof buf, "%s: margin %g, %lld x %lld embeddings, %lld skipped anchors, "
                              "loss mean %.4g",
             r->path, tm_report_f64(r, "margin"), (long long)tm_report_i64(r, "num_embeddings"), (long long)tm_report_i64(r, "dim"),
             (long long)tm_report_i64(r, "skipped_anchors"), tm_report_f64(r, "loss_mean"));
    text_at(f, PLOT_X0, 54, "font-size=\"12\" fill=\"#444\"", buf);
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

int tm_svg_write_report(const tm_inspect_report_t *r, const char *path, int force,
                        tm_err_t *err)
{
    char tmp[PATH_MAX];
    FILE *f = open_tmp(path, tmp, sizeof tmp, err);
    if (f == NULL)
        return err->code != 0 ? err->code : TM_EIO;
    int rc = draw(f, r, err);
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
