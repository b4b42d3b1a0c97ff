/* svg.c - the SVG line-chart writer declared in svg.h: data are copied into the chart, and
 * svg_write lays out the panels (stacked, shared width), computes "nice" ticks (1, 2, 5 x 10^k)
 * from each panel's data range and writes axes, grid, bands, lines, markers and one legend.
 * Any data terminate: non-finite values are skipped, the range is bounded (+-1e306) and never
 * empty, and each axis has at most MAX_TICKS grid lines. */
#include "svg.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
    int band; /* 0 line, 1 band */
    char *name;
    char color[16];
    int dashed;
    size_t n;
    double *x, *y, *y2; /* y2: band's upper curve */
} series;

typedef struct {
    double x;
    char *label;
} marker;

typedef struct {
    char *title, *xlabel, *ylabel;
    series *s;
    int ns;
    marker *m;
    int nm;
} panel;

struct svg_chart {
    char *title, *subtitle; /* subtitle: a smaller line under the title, or NULL */
    int np;
    panel *p;
    svg_xformat fmt;
    void *user;
    double xtick, xorigin; /* fixed x ticks when xtick > 0 */
    int xinteger;          /* x values are whole numbers: no fractional ticks */
};

enum { W = 960, TOP = 64, SUBTITLE_H = 18, PANEL_H = 250, LEFT = 78, RIGHT = 24, PTITLE = 26 };
enum { BOTTOM = 54 };
enum { MAX_TICKS = 64 };    /* grid lines per axis, whatever the data */
#define SVG_MAX_COORD 1e306 /* data range bound: its width and 5% padding stay finite */

static char *dup_str(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

svg_chart *svg_chart_new(const char *title, int npanels) {
    if (npanels < 1) npanels = 1;
    svg_chart *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->p = calloc((size_t)npanels, sizeof *c->p);
    c->title = dup_str(title ? title : "");
    if (!c->p || !c->title) {
        free(c->p);
        free(c->title);
        free(c);
        return NULL;
    }
    c->np = npanels;
    return c;
}

void svg_chart_free(svg_chart *c) {
    if (!c) return;
    for (int i = 0; i < c->np; i++) {
        panel *p = &c->p[i];
        for (int k = 0; k < p->ns; k++) {
            free(p->s[k].name);
            free(p->s[k].x);
            free(p->s[k].y);
            free(p->s[k].y2);
        }
        for (int k = 0; k < p->nm; k++) free(p->m[k].label);
        free(p->s);
        free(p->m);
        free(p->title);
        free(p->xlabel);
        free(p->ylabel);
    }
    free(c->p);
    free(c->title);
    free(c->subtitle);
    free(c);
}

void svg_panel_labels(svg_chart *c, int panel_i, const char *title, const char *xlabel,
                      const char *ylabel) {
    if (!c || panel_i < 0 || panel_i >= c->np) return;
    panel *p = &c->p[panel_i];
    free(p->title);
    free(p->xlabel);
    free(p->ylabel);
    p->title = dup_str(title);
    p->xlabel = dup_str(xlabel);
    p->ylabel = dup_str(ylabel);
}

int svg_set_subtitle(svg_chart *c, const char *text) {
    if (!c) return -1;
    free(c->subtitle);
    c->subtitle = dup_str(text);
    return text && !c->subtitle ? -1 : 0;
}

void svg_set_xinteger(svg_chart *c, int on) {
    if (c) c->xinteger = on != 0;
}

void svg_set_xformat(svg_chart *c, svg_xformat fmt, void *user) {
    if (!c) return;
    c->fmt = fmt;
    c->user = user;
}

void svg_set_xticks(svg_chart *c, double step, double origin) {
    if (!c) return;
    c->xtick = step > 0 && isfinite(step) ? step : 0.0;
    c->xorigin = isfinite(origin) ? origin : 0.0;
}

static double *dup_d(const double *v, size_t n) {
    double *d = malloc(sizeof(double) * (n ? n : 1));
    if (d && n) memcpy(d, v, sizeof(double) * n);
    return d;
}

static int add_series(svg_chart *c, int pi, int band, const char *name, const char *color,
                      int dashed, const double *x, const double *y, const double *y2, size_t n) {
    if (!c || pi < 0 || pi >= c->np || !x || !y) return -1;
    panel *p = &c->p[pi];
    series *ns = realloc(p->s, sizeof(series) * (size_t)(p->ns + 1));
    if (!ns) return -1;
    p->s = ns;
    series *s = &p->s[p->ns];
    memset(s, 0, sizeof *s);
    s->band = band;
    s->dashed = dashed;
    s->n = n;
    snprintf(s->color, sizeof s->color, "%s", color ? color : "#000000");
    s->name = dup_str(name ? name : "");
    s->x = dup_d(x, n);
    s->y = dup_d(y, n);
    s->y2 = y2 ? dup_d(y2, n) : NULL;
    if (!s->name || !s->x || !s->y || (y2 && !s->y2)) {
        free(s->name);
        free(s->x);
        free(s->y);
        free(s->y2);
        return -1;
    }
    p->ns++;
    return 0;
}

int svg_add_line(svg_chart *c, int panel_i, const char *name, const char *color, int dashed,
                 const double *x, const double *y, size_t n) {
    return add_series(c, panel_i, 0, name, color, dashed, x, y, NULL, n);
}

int svg_add_band(svg_chart *c, int panel_i, const char *name, const char *color, const double *x,
                 const double *lo, const double *hi, size_t n) {
    if (!hi) return -1;
    return add_series(c, panel_i, 1, name, color, 0, x, lo, hi, n);
}

int svg_add_marker(svg_chart *c, int panel_i, double x, const char *label) {
    if (!c || panel_i < 0 || panel_i >= c->np) return -1;
    panel *p = &c->p[panel_i];
    marker *nm = realloc(p->m, sizeof(marker) * (size_t)(p->nm + 1));
    if (!nm) return -1;
    p->m = nm;
    p->m[p->nm].x = x;
    p->m[p->nm].label = dup_str(label ? label : "");
    if (!p->m[p->nm].label) return -1;
    p->nm++;
    return 0;
}

/* ------------------------------------------------------------------ writing */

static void put_text(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&apos;", f);
            break;
        default:
            /* control characters are not allowed in XML 1.0 */
            if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n') fputc(*s, f);
        }
    }
}

static double nice_step(double range, int target) {
    double raw = range / target;
    if (!(raw > 0) || !isfinite(raw)) return 1.0;
    double e = pow(10.0, floor(log10(raw)));
    double f = raw / e;
    return (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * e;
}

static void range_of(const panel *p, double *x0, double *x1, double *y0, double *y1) {
    *x0 = *y0 = INFINITY;
    *x1 = *y1 = -INFINITY;
    for (int k = 0; k < p->ns; k++) {
        const series *s = &p->s[k];
        for (size_t i = 0; i < s->n; i++) {
            if (!isfinite(s->x[i])) continue;
            double a = s->y[i], b = s->y2 ? s->y2[i] : a;
            if (!isfinite(a) && !isfinite(b)) continue;
            *x0 = fmin(*x0, s->x[i]);
            *x1 = fmax(*x1, s->x[i]);
            if (isfinite(a)) *y0 = fmin(*y0, a), *y1 = fmax(*y1, a);
            if (isfinite(b)) *y0 = fmin(*y0, b), *y1 = fmax(*y1, b);
        }
    }
    for (int k = 0; k < p->nm; k++)
        if (isfinite(p->m[k].x)) *x0 = fmin(*x0, p->m[k].x), *x1 = fmax(*x1, p->m[k].x);
    if (!(*x0 <= *x1)) *x0 = 0, *x1 = 1;
    if (!(*y0 <= *y1)) *y0 = 0, *y1 = 1;
    /* huge values (1e308): a range that stays finite, padding included; what lies beyond is
     * clipped */
    *x0 = fmax(*x0, -SVG_MAX_COORD), *x1 = fmin(*x1, SVG_MAX_COORD);
    *y0 = fmax(*y0, -SVG_MAX_COORD), *y1 = fmin(*y1, SVG_MAX_COORD);
    if (*x1 == *x0) *x0 -= 1, *x1 += 1;
    if (*y1 == *y0) {
        double d = fabs(*y0) > 0 ? fabs(*y0) * 0.1 : 1.0;
        *y0 -= d;
        *y1 += d;
    }
    double pad = (*y1 - *y0) * 0.05;
    *y0 -= pad;
    *y1 += pad;
}

typedef struct {
    double x0, x1, y0, y1;     /* data range */
    double px0, px1, py0, py1; /* pixel box: px0 left, py0 top */
} frame;

/* pixel coordinates, kept within +-1e6 (points far outside the box are clipped anyway) */
static double clamp_px(double v) {
    return v < -1e6 ? -1e6 : v > 1e6 ? 1e6 : v;
}
static double fx(const frame *r, double x) {
    return clamp_px(r->px0 + (x - r->x0) / (r->x1 - r->x0) * (r->px1 - r->px0));
}
static double fy(const frame *r, double y) {
    return clamp_px(r->py1 - (y - r->y0) / (r->y1 - r->y0) * (r->py1 - r->py0));
}

static void fmt_num(double v, double step, char *buf, size_t n) {
    if (fabs(v) < step * 1e-9) v = 0.0;
    snprintf(buf, n, "%.6g", v);
}

static void write_line(FILE *f, const frame *r, const series *s) {
    fputs("<path d=\"", f);
    int pen = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!isfinite(s->x[i]) || !isfinite(s->y[i])) {
            pen = 0;
            continue;
        }
        fprintf(f, "%s%.2f %.2f", pen ? " L" : (i ? " M" : "M"), fx(r, s->x[i]), fy(r, s->y[i]));
        pen = 1;
    }
    fprintf(f,
            "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" stroke-linejoin=\"round\"%s/>\n",
            s->color, s->dashed == 1 ? " stroke-dasharray=\"6 4\"" : "");
    if (s->dashed == 2)
        for (size_t i = 0; i < s->n; i++)
            if (isfinite(s->x[i]) && isfinite(s->y[i]))
                fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" fill=\"%s\"/>\n",
                        fx(r, s->x[i]), fy(r, s->y[i]), s->color);
}

static void write_band(FILE *f, const frame *r, const series *s) {
    size_t i = 0;
    while (i < s->n) {
        while (i < s->n && !(isfinite(s->x[i]) && isfinite(s->y[i]) && isfinite(s->y2[i]))) i++;
        size_t a = i;
        while (i < s->n && isfinite(s->x[i]) && isfinite(s->y[i]) && isfinite(s->y2[i])) i++;
        if (i <= a) continue;
        fputs("<path d=\"", f);
        for (size_t k = a; k < i; k++)
            fprintf(f, "%s%.2f %.2f", k == a ? "M" : " L", fx(r, s->x[k]), fy(r, s->y2[k]));
        for (size_t k = i; k-- > a;) fprintf(f, " L%.2f %.2f", fx(r, s->x[k]), fy(r, s->y[k]));
        fprintf(f, " Z\" fill=\"%s\" fill-opacity=\"0.2\" stroke=\"none\"/>\n", s->color);
    }
}

/* the height above the first panel: title, subtitle, legend */
static int chart_top(const svg_chart *c) {
    return TOP + (c->subtitle ? SUBTITLE_H : 0);
}

static void write_panel(FILE *f, const svg_chart *c, int pi) {
    const panel *p = &c->p[pi];
    frame r;
    range_of(p, &r.x0, &r.x1, &r.y0, &r.y1);
    double top = chart_top(c) + (double)pi * PANEL_H;
    r.px0 = LEFT;
    r.px1 = W - RIGHT;
    r.py0 = top + PTITLE;
    r.py1 = top + PANEL_H - BOTTOM;
    fprintf(f, "<g class=\"panel\" data-panel=\"");
    put_text(f, p->title ? p->title : "");
    fprintf(f,
            "\">\n<clipPath id=\"clip%d\"><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
            "height=\"%.2f\"/></clipPath>\n",
            pi, r.px0, r.py0, r.px1 - r.px0, r.py1 - r.py0);
    fprintf(f,
            "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#ffffff\" "
            "stroke=\"#888888\"/>\n",
            r.px0, r.py0, r.px1 - r.px0, r.py1 - r.py0);
    if (p->title) {
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"14\" font-weight=\"bold\">", r.px0,
                top + PTITLE - 8);
        put_text(f, p->title);
        fputs("</text>\n", f);
    }
    /* grid and ticks */
    char buf[96];
    double ys = nice_step(r.y1 - r.y0, 5);
    /* at most MAX_TICKS: a step too small to move v (a range far below the values' precision)
     * cannot loop forever */
    int nt = 0;
    for (double v = ceil(r.y0 / ys) * ys; v <= r.y1 + ys * 1e-9 && nt < MAX_TICKS; v += ys, nt++) {
        double y = fy(&r, v);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e5e5e5\"/>\n",
                r.px0, y, r.px1, y);
        fmt_num(v, ys, buf, sizeof buf);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" text-anchor=\"end\">%s</text>\n",
                r.px0 - 6, y + 4, buf);
    }
    double xs = nice_step(r.x1 - r.x0, c->fmt ? 4 : 8), xo = 0.0;
    if (xs < 1.0 && (r.x1 - r.x0 >= 2.0 || c->xinteger)) xs = 1.0;
    if (c->xtick > 0 && (r.x1 - r.x0) / c->xtick <= 40) xs = c->xtick, xo = c->xorigin;
    nt = 0;
    for (double v = xo + ceil((r.x0 - xo) / xs) * xs; v <= r.x1 + xs * 1e-9 && nt < MAX_TICKS;
         v += xs, nt++) {
        double x = fx(&r, v);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e5e5e5\"/>\n",
                x, r.py0, x, r.py1);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#888888\"/>\n",
                x, r.py1, x, r.py1 + 4);
        if (c->fmt)
            c->fmt(v, buf, sizeof buf, c->user);
        else
            fmt_num(v, xs, buf, sizeof buf);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" text-anchor=\"middle\">", x,
                r.py1 + 17);
        put_text(f, buf);
        fputs("</text>\n", f);
    }
    if (p->xlabel) {
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"12\" text-anchor=\"middle\">",
                (r.px0 + r.px1) / 2, r.py1 + 36);
        put_text(f, p->xlabel);
        fputs("</text>\n", f);
    }
    if (p->ylabel) {
        double cy = (r.py0 + r.py1) / 2;
        fprintf(f,
                "<text x=\"18\" y=\"%.2f\" font-size=\"12\" text-anchor=\"middle\" "
                "transform=\"rotate(-90 18 %.2f)\">",
                cy, cy);
        put_text(f, p->ylabel);
        fputs("</text>\n", f);
    }
    /* data: bands first, then lines, clipped to the plot box */
    fprintf(f, "<g clip-path=\"url(#clip%d)\">\n", pi);
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < p->ns; k++) {
            const series *s = &p->s[k];
            if (s->band != (pass == 0)) continue;
            fprintf(f, "<g class=\"series\" data-kind=\"%s\" data-name=\"",
                    s->band ? "band" : "line");
            put_text(f, s->name);
            fputs("\" data-panel=\"", f);
            put_text(f, p->title ? p->title : "");
            fprintf(f, "\" data-points=\"%zu\"><title>", s->n);
            put_text(f, s->name);
            fputs("</title>\n", f);
            if (s->band)
                write_band(f, &r, s);
            else
                write_line(f, &r, s);
            fputs("</g>\n", f);
        }
    for (int k = 0; k < p->nm; k++) {
        double x = fx(&r, p->m[k].x);
        fprintf(f,
                "<line class=\"marker\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
                "stroke=\"#555555\" stroke-dasharray=\"3 3\"/>\n",
                x, r.py0, x, r.py1);
        /* the label on the side with room: right of a marker in the left half, left of one in
         * the right half (a marker at the last epoch would push it past the box) */
        int left = x > (r.px0 + r.px1) / 2;
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" fill=\"#555555\"%s>",
                left ? x - 4 : x + 4, r.py0 + 13, left ? " text-anchor=\"end\"" : "");
        put_text(f, p->m[k].label);
        fputs("</text>\n", f);
    }
    fputs("</g>\n</g>\n", f);
}

static void write_legend(FILE *f, const svg_chart *c) {
    double x = LEFT;
    const double y = chart_top(c) - 20;
    fputs("<g class=\"legend\">\n", f);
    for (int pi = 0; pi < c->np; pi++)
        for (int k = 0; k < c->p[pi].ns; k++) {
            const series *s = &c->p[pi].s[k];
            int seen = 0;
            for (int qi = 0; qi <= pi && !seen; qi++)
                for (int j = 0; j < (qi == pi ? k : c->p[qi].ns); j++)
                    if (strcmp(c->p[qi].s[j].name, s->name) == 0) seen = 1;
            if (seen || !s->name[0]) continue;
            if (s->band)
                fprintf(f,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"10\" fill=\"%s\" "
                        "fill-opacity=\"0.2\"/>\n",
                        x, y - 9, s->color);
            else
                fprintf(f,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                        "stroke-width=\"2\"%s/>\n",
                        x, y - 4, x + 22, y - 4, s->color,
                        s->dashed == 1 ? " stroke-dasharray=\"6 4\"" : "");
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">", x + 28, y);
            put_text(f, s->name);
            fputs("</text>\n", f);
            x += 28 + 7.0 * (double)strlen(s->name) + 22;
        }
    fputs("</g>\n", f);
}

static int write_to(FILE *f, const svg_chart *c) {
    int h = chart_top(c) + c->np * PANEL_H;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\">\n",
            W, h, W, h);
    fputs("<title>", f);
    put_text(f, c->title);
    fputs("</title>\n", f);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", W, h);
    fprintf(f, "<text x=\"%d\" y=\"22\" font-size=\"16\" font-weight=\"bold\">", LEFT);
    put_text(f, c->title);
    fputs("</text>\n", f);
    if (c->subtitle) {
        fprintf(f, "<text class=\"subtitle\" x=\"%d\" y=\"40\" font-size=\"11\" fill=\"#555555\">",
                LEFT);
        put_text(f, c->subtitle);
        fputs("</text>\n", f);
    }
    write_legend(f, c);
    for (int i = 0; i < c->np; i++) write_panel(f, c, i);
    fputs("</svg>\n", f);
    return ferror(f) ? -1 : 0;
}

int svg_write(const svg_chart *c, const char *path, ptm_error *err) {
    if (!c || !path) {
        cli_error(err, PTM_ERR_ARG, path, NULL, "svg_write: no chart or path");
        return -1;
    }
    if (strcmp(path, "-") == 0) {
        if (write_to(stdout, c) == 0 && fflush(stdout) == 0) return 0;
        cli_error(err, PTM_ERR_IO, "-", NULL, "cannot write to standard output");
        return -1;
    }
    ptm_file_writer *w = NULL;
    if (ptm_file_writer_open(path, &w, err) != PTM_OK) return -1;
    if (write_to(ptm_file_writer_stream(w), c) != 0) {
        int e = errno ? errno : EIO;
        ptm_file_writer_abort(w);
        cli_error(err, PTM_ERR_IO, path, NULL, "cannot write: %s", strerror(e));
        return -1;
    }
    return ptm_file_writer_commit(w, err) == PTM_OK ? 0 : -1;
}
