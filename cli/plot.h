/* plot.h - the pictures of the command line, drawn with svg.h: a forecast per channel
 * (history, forecast, prediction-interval band, actual values) for `predict --plot` and
 * `eval --plot`, and the loss curves of `train` (DIR/loss.svg, with DIR/loss.csv).
 */
#ifndef PTM_CLI_PLOT_H
#define PTM_CLI_PLOT_H

#include <stdint.h>

#include "patchtsmixer.h"

typedef struct {
    const char *title;
    int L, H, nch;            /* history steps, forecast steps, channels (one panel each) */
    const char *const *names; /* [nch] channel names */
    const float *history;     /* [L, nch]; NaN where not observed */
    const float *forecast;    /* [H, nch] */
    const float *lo, *hi;     /* [H, nch] prediction interval, or NULL */
    const char *band_name;    /* legend of the interval, e.g. "q0.1 - q0.9" */
    const float *actual;      /* [H, nch] true future values, or NULL */
    const ptm_csv *time;      /* timestamps for the x axis (NULL: steps, 0 = last observed) */
    int64_t t_last, step;     /* with time: time of the last history row, seconds per row */
    const char *time_like;    /* a timestamp of the file, for its style */
    int shown;                /* draw only the last `shown` history steps (0 = all L) */
} plot_forecast_data;

/* the default of --plot-history: twice the horizon, at most the whole context */
#define PLOT_HISTORY_DEFAULT(L, H) ((2 * (H)) < (L) ? 2 * (H) : (L))

/* write the chart (svg_write: "-" is standard output); 0, or -1 with *err filled */
int plot_forecast(const char *path, const plot_forecast_data *d, ptm_error *err);

/* Loss curves of a training run, kept as epochs end; the chart is titled by the run's
 * directory and shows the command that started it (loss_history_set_command). */
typedef struct {
    int n, cap;
    int *epoch;
    double *train, *val;
    char *command; /* "patchtsmixer train --data ...", or NULL */
} loss_history;

/* the most epochs a history holds (train's --epochs limit) */
#define LOSS_MAX_EPOCHS 100000

/* rows of DIR/loss.csv (epoch,train_loss,val_loss) of an earlier run, for --resume: epochs in
 * [1, LOSS_MAX_EPOCHS], increasing; other lines are skipped, a value that is not finite is kept
 * as NaN (a gap in the chart). A missing, unreadable or not regular file (a FIFO is not waited
 * on) gives an empty history */
void loss_history_read(loss_history *h, const char *dir);
/* record an epoch (dropping any recorded epoch >= epoch, as a resumed run repeats them) and
 * rewrite DIR/loss.csv and DIR/loss.svg, both through the atomic writer; 0, or -1 with *err
 * filled */
int loss_history_add(loss_history *h, const char *dir, int epoch, double train, double val,
                     ptm_error *err);
/* the command line shown under the chart's title (cli_command_line's text), cut with "..."
 * past 300 characters; 0, or -1 when out of memory */
int loss_history_set_command(loss_history *h, const char *command);
void loss_history_free(loss_history *h);

/* predict --plot: what the forecast chart needs from cmd_predict */
typedef struct {
    const char *path, *columns, *dir, *input;
    const ptm_config *c;
    const ptm_csv *tab;
    const int *colidx;
    const float *past, *obs; /* [L, C] the window */
    const float *y;          /* [H, C'] the forecast */
    size_t r0, last;         /* first and last row of the window */
    int64_t step;            /* seconds per row, 0 = no usable timestamps */
    int samples;             /* --samples, 0 = none */
    const float *quant;
    int nq;
    const float *qout; /* [nq, H, C'] quantiles when samples > 0 */
    long seed;
    int history; /* --plot-history, -1 = default */
} predict_plot;
/* Draw the forecast of cmd_predict (history, forecast, interval band for distribution heads,
 * held-out actual values) into pp->path (predict_plot.c). Returns 0, or -1 with *err filled. */
int draw_predict_plot(ptm_ctx *ctx, const predict_plot *pp, ptm_error *err);
#endif
