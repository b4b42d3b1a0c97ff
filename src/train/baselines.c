/* baselines.c - trivial predictors on the test data of a training run, reported beside the
 * trained model's test metrics (ptm_train_summary.baseline_*): classification, the training
 * set's majority class; regression, the training mean; forecasting, the last observed value
 * of each channel repeated over the horizon (scaled space).
 */
#include <math.h>
#include <string.h>

#include "train/trainer.h"

static void majority_class(const ptmi_ts_dataset *tr, const ptmi_ts_dataset *te,
                           ptm_train_summary *s) {
    int major = 0;
    size_t major_n = 0;
    for (int k = 0; k < tr->nclasses; k++) {
        size_t cnt = 0;
        for (size_t i = 0; i < tr->ncases; i++) cnt += tr->labels[i] == k;
        if (cnt > major_n) {
            major_n = cnt;
            major = k;
        }
    }
    size_t hit = 0;
    for (size_t i = 0; i < te->ncases; i++) hit += te->labels[i] == major;
    s->baseline_accuracy = (double)hit / (double)te->ncases;
}

static void training_mean(const ptmi_ts_dataset *tr, const ptmi_ts_dataset *te,
                          ptm_train_summary *s) {
    double mean = 0.0, se = 0.0, ae = 0.0;
    for (size_t i = 0; i < tr->ncases; i++) mean += (double)tr->targets[i];
    mean /= (double)tr->ncases;
    for (size_t i = 0; i < te->ncases; i++) {
        double e = mean - (double)te->targets[i];
        se += e * e;
        ae += fabs(e);
    }
    s->baseline_mse = se / (double)te->ncases;
    s->baseline_mae = ae / (double)te->ncases;
}

static void repeat_last_value(const ptm_config *cfg, const train_windows *w, train_batch *b,
                              ptm_train_summary *s) {
    double se = 0.0, ae = 0.0, n_el = 0.0;
    int Lc = cfg->context_length, Hh = cfg->prediction_length, C = w->w.ncols;
    for (size_t start = 0; start < w->w.count; start += (size_t)b->cap) {
        size_t n = train_windows_batch(w, start, (size_t)b->cap, b->past, b->pobs, b->fut, NULL);
        for (size_t i = 0; i < n; i++)
            for (int t = 0; t < Hh; t++)
                for (int j = 0; j < cfg->num_prediction_channels; j++) {
                    int ch =
                        cfg->prediction_channel_indices ? cfg->prediction_channel_indices[j] : j;
                    double last = (double)b->past[(i * (size_t)Lc + (size_t)Lc - 1) * C + ch];
                    double e = last - (double)b->fut[(i * (size_t)Hh + t) * C + ch];
                    se += e * e;
                    ae += fabs(e);
                    n_el += 1;
                }
    }
    if (n_el > 0) {
        s->baseline_mse = se / n_el;
        s->baseline_mae = ae / n_el;
    }
}

void train_baselines(const train_task *t, train_batch *b, ptm_train_summary *s) {
    const train_data *d = &t->d;
    if (t->task == PTM_TRAIN_CLASSIFY && d->ts_test.ncases > 0)
        majority_class(&d->ts_train, &d->ts_test, s);
    else if (t->task == PTM_TRAIN_REGRESS && d->ts_test.ncases > 0)
        training_mean(&d->ts_train, &d->ts_test, s);
    else if (t->task == PTM_TRAIN_FORECAST)
        repeat_last_value(&t->cfg, &d->test, b, s);
}
