/* predict_plot.c - `predict --plot`: the forecast chart of cmd_predict (plot.h) - history,
 * forecast, the interval of sampled quantiles for distribution heads and held-out values, one
 * panel per forecast channel or per --plot-columns name. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"

/* the column name of forecast channel j */
static const char *forecast_channel_name(const predict_plot *pp, int j) {
    const ptm_config *c = pp->c;
    int ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
    return pp->tab->colnames[pp->colidx[ch]];
}

/* The forecast channels to draw: all in the model's order, or those named by --plot-columns
 * in the order given (a name given twice is drawn once). Fills pick (forecast channel indices)
 * and names, returns how many; -1 with *err filled when a name is not a forecast channel. */
static int pick_plot_columns(const predict_plot *pp, int *pick, const char **names,
                             ptm_error *err) {
    int Cs = pp->c->num_prediction_channels, n = 0;
    if (!pp->columns) {
        for (int j = 0; j < Cs; j++) {
            pick[n] = j;
            names[n++] = forecast_channel_name(pp, j);
        }
        return n;
    }
    for (const char *p = pp->columns;; p++) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        int found = -1;
        for (int j = 0; j < Cs && found < 0; j++) {
            const char *name = forecast_channel_name(pp, j);
            if (strlen(name) == l && strncmp(p, name, l) == 0) found = j;
        }
        if (found < 0) {
            snprintf(err->field, sizeof err->field, "--plot-columns");
            snprintf(err->text, sizeof err->text, "'%.*s' is not a forecast channel of %s",
                     (int)(l < 200 ? l : 200), p, pp->dir);
            return -1;
        }
        int dup = 0;
        for (int i = 0; i < n; i++) dup |= pick[i] == found;
        if (!dup) {
            pick[n] = found;
            names[n++] = forecast_channel_name(pp, found);
        }
        if (!e) return n;
        p = e;
    }
}

int draw_predict_plot(ptm_ctx *ctx, const predict_plot *pp, ptm_error *err) {
    const ptm_config *c = pp->c;
    int L = c->context_length, H = cli_forecast_steps(c), C = c->num_input_channels;
    int Cs = c->num_prediction_channels, hold = pp->last + 1 < pp->tab->nrows;
    int *pick = malloc(sizeof(int) * (size_t)Cs);
    const char **names = malloc(sizeof(char *) * (size_t)Cs);
    float *hist = malloc(sizeof(float) * (size_t)L * Cs), *fc = malloc(sizeof(float) * H * Cs);
    float *act = malloc(sizeof(float) * H * Cs), *lo = malloc(sizeof(float) * H * Cs);
    float *hi = malloc(sizeof(float) * H * Cs), *samp = NULL;
    int n = 0, rc = -1, band = 0;
    char band_name[96] = "";
    memset(err, 0, sizeof *err);
    if (!pick || !names || !hist || !fc || !act || !lo || !hi) goto oom;
    if ((n = pick_plot_columns(pp, pick, names, err)) < 0) goto done;
    const float *qlo = NULL, *qhi = NULL;
    if (c->loss == PTM_LOSS_NLL) {
        /* the band: the lowest and highest requested quantile of the samples (200 paths at
         * 0.1 and 0.9 when --samples was not given) */
        size_t per = (size_t)H * Cs;
        static float q19[2] = {0.1f, 0.9f};
        if (pp->samples > 0) {
            int a = 0, b = 0;
            for (int k = 1; k < pp->nq; k++) {
                if (pp->quant[k] < pp->quant[a]) a = k;
                if (pp->quant[k] > pp->quant[b]) b = k;
            }
            if (a != b) {
                qlo = pp->qout + (size_t)a * per;
                qhi = pp->qout + (size_t)b * per;
                snprintf(band_name, sizeof band_name, "q%g - q%g (%d samples)",
                         (double)pp->quant[a], (double)pp->quant[b], pp->samples);
            }
        } else {
            samp = malloc(sizeof(float) * per * 202);
            if (!samp) goto oom;
            if (ptm_ctx_sample(ctx, 200, (uint64_t)pp->seed, samp, per * 200, err) != PTM_OK ||
                ptm_quantiles(samp, 1, 200, (int64_t)per, q19, 2, samp + per * 200, err) != PTM_OK)
                goto done;
            qlo = samp + per * 200; /* the two quantile rows follow the 200 samples */
            qhi = samp + per * 201;
            snprintf(band_name, sizeof band_name, "q0.1 - q0.9 (200 samples)");
        }
        band = qlo != NULL;
    }
    for (int k = 0; k < n; k++) {
        int j = pick[k], ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
        for (int t = 0; t < L; t++)
            hist[(size_t)t * n + k] =
                pp->obs[(size_t)t * C + ch] > 0 ? pp->past[(size_t)t * C + ch] : NAN;
        for (int t = 0; t < H; t++) {
            size_t src = (size_t)t * Cs + (size_t)j, dst = (size_t)t * n + (size_t)k;
            fc[dst] = pp->y[src];
            if (band) {
                lo[dst] = qlo[src];
                hi[dst] = qhi[src];
            }
            size_t row = pp->last + 1 + (size_t)t, cell = row * pp->tab->ncols + pp->colidx[ch];
            act[dst] = hold && pp->tab->observed[cell] > 0 ? pp->tab->values[cell] : NAN;
        }
    }
    char title[512];
    snprintf(title, sizeof title, "%s: forecast of %d steps from %s%s", pp->dir, H, pp->input,
             hold ? " (last rows held out)" : "");
    plot_forecast_data d;
    memset(&d, 0, sizeof d);
    d.title = title;
    d.L = L;
    d.H = H;
    d.nch = n;
    d.names = names;
    d.history = hist;
    d.forecast = fc;
    d.lo = band ? lo : NULL;
    d.hi = band ? hi : NULL;
    d.band_name = band_name;
    d.actual = hold ? act : NULL;
    d.shown = pp->history < 0 ? PLOT_HISTORY_DEFAULT(L, H) : pp->history;
    if (pp->step > 0) {
        d.time = pp->tab;
        d.step = pp->step;
        d.t_last = pp->tab->time_sec[pp->last];
        d.time_like = pp->tab->time_text[pp->last];
    }
    if (plot_forecast(pp->path, &d, err) != 0) goto done;
    rc = 0;
    goto done;
oom:
    snprintf(err->text, sizeof err->text, "out of memory");
done:
    free(pick);
    free(names);
    free(hist);
    free(fc);
    free(act);
    free(lo);
    free(hi);
    free(samp);
    return rc;
}
