/* plot.c - the command line's pictures (see plot.h): forecast charts for predict / eval and
 * the loss curves of train, drawn with the SVG writer in svg.c. */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "svg.h"
#include "train/data.h"

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

int plot_forecast(const char *path, const plot_forecast_data *d) {
    svg_chart *c = svg_chart_new(d->title, d->nch);
    size_t L = (size_t)d->L, H = (size_t)d->H;
    size_t skip = d->shown > 0 && (size_t)d->shown < L ? L - (size_t)d->shown : 0;
    double *xh = malloc(sizeof(double) * (L + 1)), *yh = malloc(sizeof(double) * (L + 1));
    double *xf = malloc(sizeof(double) * (H + 1)), *yf = malloc(sizeof(double) * (H + 1));
    double *lo = malloc(sizeof(double) * (H + 1)), *hi = malloc(sizeof(double) * (H + 1));
    int rc = -1;
    if (!c || !xh || !yh || !xf || !yf || !lo || !hi) goto done;
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
                goto done;
        }
        if (svg_add_line(c, j, "history", SVG_HISTORY, 0, xh + skip, yh + skip, L - skip) != 0)
            goto done;
        if (d->actual) {
            for (size_t t = 0; t < H; t++)
                yf[t] = (double)d->actual[t * (size_t)d->nch + (size_t)j];
            if (svg_add_line(c, j, "actual", SVG_ACTUAL, 0, xf, yf, H) != 0) goto done;
        }
        for (size_t t = 0; t < H; t++) yf[t] = (double)d->forecast[t * (size_t)d->nch + (size_t)j];
        if (svg_add_line(c, j, "forecast", SVG_FORECAST, 0, xf, yf, H) != 0) goto done;
        if (svg_add_marker(c, j, 0.5, "forecast") != 0) goto done;
    }
    rc = svg_write(c, path);
done:
    if (rc != 0 && errno == 0) errno = ENOMEM;
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

void loss_history_read(loss_history *h, const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/loss.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        int e;
        double t, v;
        if (sscanf(line, "%d,%lf,%lf", &e, &t, &v) == 3 && e >= 1 &&
            (h->n == 0 || e > h->epoch[h->n - 1]))
            if (history_push(h, e, t, v) != 0) break;
    }
    fclose(f);
}

static int write_loss_csv(const loss_history *h, const char *dir) {
    char path[4096], tmp[4100];
    snprintf(path, sizeof path, "%s/loss.csv", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    fprintf(f, "epoch,train_loss,val_loss\n");
    for (int i = 0; i < h->n; i++)
        fprintf(f, "%d,%.9g,%.9g\n", h->epoch[i], h->train[i], h->val[i]);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

int loss_history_add(loss_history *h, const char *dir, int epoch, double train, double val) {
    while (h->n > 0 && h->epoch[h->n - 1] >= epoch) h->n--;
    if (history_push(h, epoch, train, val) != 0) {
        errno = ENOMEM;
        return -1;
    }
    if (write_loss_csv(h, dir) != 0) return -1;
    svg_chart *c = svg_chart_new("training and validation loss per epoch", 1);
    double *x = malloc(sizeof(double) * (size_t)h->n);
    int rc = -1;
    if (c && x) {
        for (int i = 0; i < h->n; i++) x[i] = (double)h->epoch[i];
        svg_panel_labels(c, 0, "loss", "epoch", "mean loss");
        int style = h->n == 1 ? 2 : 0; /* one epoch: dots, a line needs two points */
        if (svg_add_line(c, 0, "train", SVG_TRAIN, style, x, h->train, (size_t)h->n) == 0 &&
            svg_add_line(c, 0, "validation", SVG_VALID, style ? 2 : 1, x, h->val, (size_t)h->n) ==
                0) {
            int best = 0;
            for (int i = 1; i < h->n; i++)
                if (h->val[i] < h->val[best]) best = i;
            char path[4096];
            snprintf(path, sizeof path, "best: epoch %d", h->epoch[best]);
            if (svg_add_marker(c, 0, x[best], path) == 0) {
                snprintf(path, sizeof path, "%s/loss.svg", dir);
                rc = svg_write(c, path);
            }
        } else {
            errno = ENOMEM;
        }
    } else {
        errno = ENOMEM;
    }
    svg_chart_free(c);
    free(x);
    return rc;
}

void loss_history_free(loss_history *h) {
    free(h->epoch);
    free(h->train);
    free(h->val);
    memset(h, 0, sizeof *h);
}

/* ------------------------------------------------------------------ eval --plot */

ptm_status plot_eval_window(const char *model_dir, const char *data_path, const char *columns,
                            const char *split, long index, int history_shown, const char *svg_path,
                            ptm_error *err) {
    ptm_model *m = NULL;
    ptm_ctx *ctx = NULL;
    ptm_csv tab;
    ptm_std_scaler sc;
    ptm_windows w;
    memset(&tab, 0, sizeof tab);
    memset(&sc, 0, sizeof sc);
    memset(&w, 0, sizeof w);
    float *vals = NULL, *obs = NULL, *past = NULL, *pobs = NULL, *fut = NULL, *fobs = NULL;
    float *hist = NULL, *fc = NULL, *act = NULL, *samp = NULL, *q = NULL;
    int *cols = NULL;
    const char **names = NULL;
    ptm_status s = ptm_model_load(model_dir, &m, err);
    if (s != PTM_OK) return s;
    const ptm_config *c = ptm_model_config(m);
    int L = c->context_length, H = c->prediction_length, C = c->num_input_channels;
    int Cs = c->num_prediction_channels;
    if (c->model_class != PTM_CLASS_PREDICTION) {
        s = ptm_err(err, PTM_ERR_UNSUPPORTED, model_dir, "architectures",
                    "--plot draws forecasts; %s is not a forecaster",
                    ptm_class_name(c->model_class));
        goto done;
    }
    if ((s = ptm_csv_load(data_path, 0, &tab, err)) != PTM_OK) goto done;
    /* the channels: --columns by name, or every value column */
    cols = malloc(sizeof(int) * (tab.ncols + 1));
    if (!cols) goto oom;
    int n = 0;
    if ((s = ptm_csv_select_columns(&tab, columns, data_path, cols, &n, err)) != PTM_OK) goto done;
    if (n != C) {
        s = ptm_err(err, PTM_ERR_INPUT, data_path, "columns",
                    "%d columns selected, the model expects %d (num_input_channels)", n, C);
        goto done;
    }
    size_t R = tab.nrows;
    vals = malloc(sizeof(float) * (R * (size_t)C + 1));
    obs = malloc(sizeof(float) * (R * (size_t)C + 1));
    if (!vals || !obs) goto oom;
    for (size_t r = 0; r < R; r++)
        for (int j = 0; j < C; j++) {
            vals[r * C + j] = tab.values[r * tab.ncols + (size_t)cols[j]];
            obs[r * C + j] = tab.observed[r * tab.ncols + (size_t)cols[j]];
        }
    /* the same split, scaler and windows as eval */
    ptm_split sp;
    if ((s = ptm_split_make(ptm_split_kind_from_name(data_path), R, L, H, &sp, err)) != PTM_OK) {
        snprintf(err->file, sizeof err->file, "%s", data_path);
        goto done;
    }
    if ((s = ptm_scaler_fit(&sc, vals, obs, R, C, sp.train_begin, sp.train_end, err)) != PTM_OK)
        goto done;
    ptm_scaler_transform(&sc, vals, obs, R);
    size_t b0 = sp.test_begin, b1 = sp.test_end;
    if (split && strcmp(split, "val") == 0)
        b0 = sp.val_begin, b1 = sp.val_end;
    else if (split && strcmp(split, "train") == 0)
        b0 = sp.train_begin, b1 = sp.train_end;
    if ((s = ptm_windows_init(&w, vals, obs, R, C, L, H, b0, b1, err)) != PTM_OK) goto done;
    if (index < 0) index = (long)w.count - 1;
    if ((size_t)index >= w.count) {
        s = ptm_err(err, PTM_ERR_ARG, NULL, "--plot-window",
                    "window %ld does not exist: the %s split has %zu windows", index,
                    split ? split : "test", w.count);
        goto done;
    }
    size_t LC = (size_t)L * C, HC = (size_t)H * C, HS = (size_t)H * Cs;
    past = malloc(sizeof(float) * LC);
    pobs = malloc(sizeof(float) * LC);
    fut = malloc(sizeof(float) * HC);
    fobs = malloc(sizeof(float) * HC);
    hist = malloc(sizeof(float) * (size_t)L * Cs);
    fc = malloc(sizeof(float) * HS);
    act = malloc(sizeof(float) * HS);
    names = malloc(sizeof(char *) * (size_t)Cs);
    if (!past || !pobs || !fut || !fobs || !hist || !fc || !act || !names) goto oom;
    ptm_windows_batch(&w, (size_t)index, 1, past, pobs, fut, fobs);
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = 1;
    cp.keep_hidden_states = 0;
    if ((s = ptm_ctx_create(m, &cp, &ctx, err)) != PTM_OK) goto done;
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 1;
    in.past_values = past;
    in.observed_mask = pobs;
    if ((s = ptm_forward(ctx, &in, err)) != PTM_OK) goto done;
    int nll = c->loss == PTM_LOSS_NLL;
    ptm_tensor_view y;
    if ((s = ptm_ctx_output(ctx, nll ? "distribution_mean" : "prediction_outputs", &y, err)) !=
        PTM_OK)
        goto done;
    int *sel = malloc(sizeof(int) * (size_t)Cs);
    if (!sel) goto oom;
    for (int j = 0; j < Cs; j++) {
        int ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
        sel[j] = ch;
        names[j] = tab.colnames[cols[ch]];
        for (int t = 0; t < L; t++)
            hist[(size_t)t * Cs + j] =
                pobs[(size_t)t * C + ch] > 0 ? past[(size_t)t * C + ch] : NAN;
        for (int t = 0; t < H; t++) {
            act[(size_t)t * Cs + j] = fobs[(size_t)t * C + ch] > 0 ? fut[(size_t)t * C + ch] : NAN;
            fc[(size_t)t * Cs + j] = y.data[(size_t)t * Cs + j];
        }
    }
    ptm_scaler_inverse(&sc, hist, (size_t)L, Cs, sel);
    ptm_scaler_inverse(&sc, act, (size_t)H, Cs, sel);
    ptm_scaler_inverse(&sc, fc, (size_t)H, Cs, sel);
    float *lo = NULL, *hi = NULL;
    if (nll) {
        const int S = 200;
        const float qs[2] = {0.1f, 0.9f};
        samp = malloc(sizeof(float) * HS * S);
        q = malloc(sizeof(float) * HS * 2);
        if (!samp || !q) {
            free(sel);
            goto oom;
        }
        if ((s = ptm_ctx_sample(ctx, S, 0, samp, HS * S, err)) != PTM_OK ||
            (s = ptm_quantiles(samp, 1, S, (int64_t)HS, qs, 2, q, err)) != PTM_OK) {
            free(sel);
            goto done;
        }
        ptm_scaler_inverse(&sc, q, (size_t)2 * H, Cs, sel);
        lo = q;
        hi = q + HS;
    }
    free(sel);
    char title[512];
    snprintf(title, sizeof title, "%s on %s: %s window %ld of %zu", model_dir, data_path,
             split ? split : "test", index + 1, w.count);
    plot_forecast_data d;
    memset(&d, 0, sizeof d);
    d.title = title;
    d.L = L;
    d.H = H;
    d.nch = Cs;
    d.names = names;
    d.history = hist;
    d.forecast = fc;
    d.lo = lo;
    d.hi = hi;
    d.band_name = "q0.1 - q0.9 (200 samples)";
    d.actual = act;
    d.shown = history_shown < 0 ? PLOT_HISTORY_DEFAULT(L, H) : history_shown;
    size_t last_row = w.begin + (size_t)index + (size_t)L - 1;
    int64_t step = 0;
    if (tab.time_parsed && ptm_csv_time_step(&tab, 0, &step)) {
        d.time = &tab;
        d.step = step;
        d.t_last = tab.time_sec[last_row];
        d.time_like = tab.time_text[last_row];
    }
    if (plot_forecast(svg_path, &d) != 0)
        s = ptm_err(err, PTM_ERR_IO, svg_path, NULL, "cannot write: %s", strerror(errno));
    goto done;
oom:
    s = ptm_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
done:
    free(vals);
    free(obs);
    free(past);
    free(pobs);
    free(fut);
    free(fobs);
    free(hist);
    free(fc);
    free(act);
    free(samp);
    free(q);
    free(cols);
    free(names);
    ptm_windows_free(&w);
    ptm_scaler_free(&sc);
    ptm_csv_free(&tab);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
    return s;
}
