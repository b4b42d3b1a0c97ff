/* plot.c - the command line's pictures (see plot.h): forecast charts for predict / eval and
 * the loss curves of train, drawn with the SVG writer in svg.c. */
#include "plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "svg.h"

/* ------------------------------------------------------------------ forecasts */

typedef struct {
    int64_t t_last, step;
    const char *like;
} time_axis;

static void time_label(double x, char *buf, size_t n, void *user) {
    const time_axis *t = user;
    ptm_csv_format_time(t->t_last + (int64_t)llround(x) * t->step, t->like, buf, n);
}

/* Ticks of a time axis at calendar-friendly durations (1 min .. 1 year): the smallest that
 * gives at most 7 ticks over `rows` rows of `step` seconds, placed where the time is a
 * multiple of it (whole hours, midnight UTC, ...). */
static void time_ticks(svg_chart *c, double rows, int64_t step, int64_t t_last) {
    static const int64_t durs[] = {60,      120,     300,     600,      900,     1800,   3600,
                                   7200,    10800,   21600,   43200,    86400,   172800, 604800,
                                   1209600, 2592000, 7776000, 15552000, 31536000};
    double span = rows * (double)step;
    for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
        if (durs[i] % step != 0 || span / (double)durs[i] > 7.0) continue;
        int64_t rem = ((t_last % durs[i]) + durs[i]) % durs[i];
        svg_set_xticks(c, (double)(durs[i] / step), -(double)rem / (double)step);
        return;
    }
}

int plot_forecast(const char *path, const plot_forecast_data *d, ptm_error *err) {
    svg_chart *c = svg_chart_new(d->title, d->nch);
    size_t L = (size_t)d->L, H = (size_t)d->H;
    size_t skip = d->shown > 0 && (size_t)d->shown < L ? L - (size_t)d->shown : 0;
    double *xh = malloc(sizeof(double) * (L + 1)), *yh = malloc(sizeof(double) * (L + 1));
    double *xf = malloc(sizeof(double) * (H + 1)), *yf = malloc(sizeof(double) * (H + 1));
    double *lo = malloc(sizeof(double) * (H + 1)), *hi = malloc(sizeof(double) * (H + 1));
    int rc = -1;
    if (!c || !xh || !yh || !xf || !yf || !lo || !hi) goto oom;
    time_axis ta = {d->t_last, d->step, d->time_like};
    const char *xlabel = "time step (0 = last observed value)";
    if (d->time && d->step > 0) {
        svg_set_xformat(c, time_label, &ta);
        time_ticks(c, (double)(L - skip + H), d->step, d->t_last);
        xlabel = "time";
    }
    for (size_t t = 0; t < L; t++) xh[t] = (double)t - (double)(L - 1);
    for (size_t t = 0; t < H; t++) xf[t] = (double)(t + 1);
    for (int j = 0; j < d->nch; j++) {
        svg_panel_labels(c, j, d->names[j], j == d->nch - 1 ? xlabel : NULL, "value");
        for (size_t t = 0; t < L; t++) yh[t] = (double)d->history[t * (size_t)d->nch + (size_t)j];
        if (d->lo && d->hi) {
            for (size_t t = 0; t < H; t++) {
                lo[t] = (double)d->lo[t * (size_t)d->nch + (size_t)j];
                hi[t] = (double)d->hi[t * (size_t)d->nch + (size_t)j];
            }
            if (svg_add_band(c, j, d->band_name ? d->band_name : "interval", SVG_FORECAST, xf, lo,
                             hi, H) != 0)
                goto oom;
        }
        if (svg_add_line(c, j, "history", SVG_HISTORY, 0, xh + skip, yh + skip, L - skip) != 0)
            goto oom;
        if (d->actual) {
            for (size_t t = 0; t < H; t++)
                yf[t] = (double)d->actual[t * (size_t)d->nch + (size_t)j];
            if (svg_add_line(c, j, "actual", SVG_ACTUAL, 0, xf, yf, H) != 0) goto oom;
        }
        for (size_t t = 0; t < H; t++) yf[t] = (double)d->forecast[t * (size_t)d->nch + (size_t)j];
        if (svg_add_line(c, j, "forecast", SVG_FORECAST, 0, xf, yf, H) != 0) goto oom;
        if (svg_add_marker(c, j, 0.5, "forecast") != 0) goto oom;
    }
    rc = svg_write(c, path, err);
    goto done;
oom:
    cli_error(err, PTM_ERR_NOMEM, path, NULL, "out of memory drawing the chart");
done:
    svg_chart_free(c);
    free(xh);
    free(yh);
    free(xf);
    free(yf);
    free(lo);
    free(hi);
    return rc;
}

/* ------------------------------------------------------------------ losses */

static int history_push(loss_history *h, int epoch, double train, double val) {
    if (h->n == h->cap) {
        int cap = h->cap ? 2 * h->cap : 64;
        int *e = realloc(h->epoch, sizeof(int) * (size_t)cap);
        if (e) h->epoch = e;
        double *t = realloc(h->train, sizeof(double) * (size_t)cap);
        if (t) h->train = t;
        double *v = realloc(h->val, sizeof(double) * (size_t)cap);
        if (v) h->val = v;
        if (!e || !t || !v) return -1;
        h->cap = cap;
    }
    h->epoch[h->n] = epoch;
    h->train[h->n] = train;
    h->val[h->n] = val;
    h->n++;
    return 0;
}

/* one row "epoch,train,val" of loss.csv: 0 and the values, or -1 (a header, a malformed line,
 * an epoch out of range) */
static int parse_loss_row(const char *line, int *epoch, double *train, double *val) {
    char *end;
    errno = 0;
    long e = strtol(line, &end, 10);
    if (end == line || *end != ',' || errno || e < 1 || e > LOSS_MAX_EPOCHS) return -1;
    const char *p = end + 1;
    double t = strtod(p, &end);
    if (end == p || *end != ',') return -1;
    p = end + 1;
    double v = strtod(p, &end);
    if (end == p) return -1;
    for (p = end; *p == ' ' || *p == '\r' || *p == '\n'; p++) {
    }
    if (*p) return -1;
    *epoch = (int)e;
    /* a value that is not finite (nan, inf, or out of double's range) is a gap in the chart */
    *train = isfinite(t) ? t : (double)NAN;
    *val = isfinite(v) ? v : (double)NAN;
    return 0;
}

/* path opened for reading as the library opens its files: without blocking (a FIFO nobody
 * writes returns at once) and only when it is a regular file; NULL otherwise */
static FILE *open_regular(const char *path) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return NULL;
    struct stat st;
    int fl = fcntl(fd, F_GETFL);
    FILE *f = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fl >= 0 &&
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == 0)
        f = fdopen(fd, "r");
    if (!f) close(fd);
    return f;
}

void loss_history_read(loss_history *h, const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/loss.csv", dir);
    FILE *f = open_regular(path); /* a missing or special loss.csv: the chart starts afresh */
    if (!f) return;
    char line[256];
    int whole = 1; /* line starts a line of the file (the rest of a long line is skipped) */
    while (h->n < LOSS_MAX_EPOCHS && fgets(line, sizeof line, f)) {
        int starts = whole, e;
        whole = strchr(line, '\n') != NULL;
        double t, v;
        if (starts && parse_loss_row(line, &e, &t, &v) == 0 &&
            (h->n == 0 || e > h->epoch[h->n - 1]))
            if (history_push(h, e, t, v) != 0) break;
    }
    fclose(f);
}

static int write_loss_csv(const loss_history *h, const char *dir, ptm_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/loss.csv", dir);
    ptm_file_writer *w = NULL;
    if (ptm_file_writer_open(path, &w, err) != PTM_OK) return -1;
    FILE *f = ptm_file_writer_stream(w);
    fprintf(f, "epoch,train_loss,val_loss\n");
    for (int i = 0; i < h->n; i++)
        fprintf(f, "%d,%.9g,%.9g\n", h->epoch[i], h->train[i], h->val[i]);
    return ptm_file_writer_commit(w, err) == PTM_OK ? 0 : -1;
}

/* the loss chart of h into DIR/loss.svg */
static int write_loss_svg(const loss_history *h, const char *dir, ptm_error *err) {
    char text[4096];
    snprintf(text, sizeof text, "%s: training and validation loss per epoch", dir);
    svg_chart *c = svg_chart_new(text, 1);
    double *x = malloc(sizeof(double) * (size_t)h->n);
    int rc = -1;
    if (!c || !x || svg_set_subtitle(c, h->command) != 0) goto oom;
    svg_set_xinteger(c, 1); /* epochs: no tick at 1.5 */
    for (int i = 0; i < h->n; i++) x[i] = (double)h->epoch[i];
    svg_panel_labels(c, 0, "loss", "epoch", "mean loss");
    int style = h->n == 1 ? 2 : 0; /* one epoch: dots, a line needs two points */
    if (svg_add_line(c, 0, "train", SVG_TRAIN, style, x, h->train, (size_t)h->n) != 0 ||
        svg_add_line(c, 0, "validation", SVG_VALID, style ? 2 : 1, x, h->val, (size_t)h->n) != 0)
        goto oom;
    int best = -1; /* the lowest finite validation loss */
    for (int i = 0; i < h->n; i++)
        if (isfinite(h->val[i]) && (best < 0 || h->val[i] < h->val[best])) best = i;
    if (best >= 0) {
        snprintf(text, sizeof text, "best: epoch %d", h->epoch[best]);
        if (svg_add_marker(c, 0, x[best], text) != 0) goto oom;
    }
    snprintf(text, sizeof text, "%s/loss.svg", dir);
    rc = svg_write(c, text, err);
    goto done;
oom:
    cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory drawing the loss chart");
done:
    svg_chart_free(c);
    free(x);
    return rc;
}

int loss_history_add(loss_history *h, const char *dir, int epoch, double train, double val,
                     ptm_error *err) {
    while (h->n > 0 && h->epoch[h->n - 1] >= epoch) h->n--;
    if (history_push(h, epoch, train, val) != 0) {
        cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory recording the losses");
        return -1;
    }
    if (write_loss_csv(h, dir, err) != 0) return -1;
    return write_loss_svg(h, dir, err);
}

/* append s to buf (n bytes, *len used), cut where it does not fit */
int loss_history_set_command(loss_history *h, const char *command) {
    enum { MAX_SHOWN = 300 };
    size_t len = strlen(command), shown = len > MAX_SHOWN ? MAX_SHOWN : len;
    free(h->command);
    h->command = malloc(shown + 4);
    if (!h->command) return -1;
    memcpy(h->command, command, shown);
    memcpy(h->command + shown, len > shown ? "..." : "", len > shown ? 4 : 1);
    return 0;
}

void loss_history_free(loss_history *h) {
    free(h->epoch);
    free(h->train);
    free(h->val);
    free(h->command);
    memset(h, 0, sizeof *h);
}
