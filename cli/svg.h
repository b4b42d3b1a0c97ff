/* svg.h - a small SVG line-chart writer for the command line's pictures (forecast plots, loss
 * curves): one or more panels stacked vertically, each with axes, ticks, axis labels and its
 * own series (lines, dashed lines, shaded bands between two curves, vertical markers), and
 * one legend for the chart. Plain C, no dependencies; the output is standalone SVG 1.1.
 *
 *     svg_chart *c = svg_chart_new("ETTh1 forecast", 2);
 *     svg_panel_labels(c, 0, "OT", "time step", "value");
 *     svg_add_band(c, 0, "80% interval", SVG_FORECAST, x, lo, hi, n);
 *     svg_add_line(c, 0, "history", SVG_HISTORY, 0, xh, yh, nh);
 *     svg_add_line(c, 0, "forecast", SVG_FORECAST, 0, x, y, n);
 *     if (svg_write(c, "plot.svg", &err) != 0) { fail_status(&err); }
 *     svg_chart_free(c);
 *
 * Non-finite y values leave gaps. Every series is a <g class="series"> with data-name and
 * data-panel attributes (and a <title>), so tests and scripts can find them. Functions that
 * can fail return 0 on success and -1 on failure (out of memory; svg_write: *err filled).
 */
#ifndef PTM_CLI_SVG_H
#define PTM_CLI_SVG_H

#include <stddef.h>

#include "patchtsmixer.h"

/* colours of the usual series (Tableau 10) */
#define SVG_HISTORY "#1f77b4"
#define SVG_FORECAST "#d62728"
#define SVG_ACTUAL "#2ca02c"
#define SVG_TRAIN "#1f77b4"
#define SVG_VALID "#ff7f0e"

typedef struct svg_chart svg_chart;

/* x tick label for value x (e.g. a timestamp); write at most n bytes into buf */
typedef void (*svg_xformat)(double x, char *buf, size_t n, void *user);

svg_chart *svg_chart_new(const char *title, int npanels); /* NULL when out of memory */
void svg_chart_free(svg_chart *c);                        /* NULL is a no-op */
/* titles and axis labels of a panel (any may be NULL) */
void svg_panel_labels(svg_chart *c, int panel, const char *title, const char *xlabel,
                      const char *ylabel);
/* a smaller line under the title (e.g. the command that made the chart); NULL removes it.
 * 0, or -1 when out of memory */
int svg_set_subtitle(svg_chart *c, const char *text);
/* on: x values are whole numbers (epochs), so x ticks are too, however short the range */
void svg_set_xinteger(svg_chart *c, int on);
/* tick labels of every panel's x axis from fmt instead of numbers */
void svg_set_xformat(svg_chart *c, svg_xformat fmt, void *user);
/* x ticks at origin + k * step (instead of automatic "nice" ticks); step <= 0 restores them */
void svg_set_xticks(svg_chart *c, double step, double origin);
/* a polyline through (x[i], y[i]); dashed = 1 for a dashed line, 2 for dots at each point */
int svg_add_line(svg_chart *c, int panel, const char *name, const char *color, int dashed,
                 const double *x, const double *y, size_t n);
/* a shaded area between lo[i] and hi[i] */
int svg_add_band(svg_chart *c, int panel, const char *name, const char *color, const double *x,
                 const double *lo, const double *hi, size_t n);
/* a vertical dashed line at x with a small label */
int svg_add_marker(svg_chart *c, int panel, double x, const char *label);
/* write the chart to path through the library's atomic writer (ptm_file_writer: a target that
 * is not a regular file is refused); "-" writes standard output. 0, or -1 with *err filled */
int svg_write(const svg_chart *c, const char *path, ptm_error *err);

#endif
