/*
 * svg.h - the picture of "tripminer inspect --svg": a self-contained SVG
 * file (no scripts, no external resources), written under a temporary
 * name beside the target and renamed into place. Private to the library.
 */
#ifndef TM_SVG_H
#define TM_SVG_H

#include "io/evalread.h"
#include "inspect/report.h"
#include "tripminer/err.h"

/*
 * Refuse early what would fail at the end: an existing target without
 * force, a directory, a directory part that does not exist or cannot be
 * written. Returns 0, TM_EEXIST or TM_EIO with err filled. Local.
 */
int tm_svg_check_target(const char *path, int force, tm_err_t *err);

/*
 * Draw the report: the distributions of d_ap and d_an overlaid (top
 * panel) and the histogram of d_an - d_ap with the region below the
 * margin shaded as "active loss" (bottom panel); with no triplets, the
 * frames and a "no triplets" note. Written to a temporary file in the
 * directory of path, then renamed to path (never replacing an existing
 * file unless force). On failure nothing is left behind. Returns 0,
 * TM_EEXIST, TM_EIO or TM_ENOMEM with err filled. Local.
 */
int tm_svg_write_report(const tm_inspect_report_t *r, const char *path, int force,
                        tm_err_t *err);

/*
 * Draw an eval report: with by_class, a histogram of the per-class
 * R-precision on [0, 1] (classes with NaN left out and counted) with the
 * mean over classes and over all queries marked; horizontal bars of the
 * most confused label pairs (up to TM_EVALREP_TOP); a histogram of the
 * suspects' gaps with gap > 0 shaded. Histograms aim at bins bins.
 * Written like tm_svg_write_report. Local.
 */
int tm_svg_write_eval(const tm_evalrep_t *e, int bins, const char *path, int force,
                      tm_err_t *err);

#endif
