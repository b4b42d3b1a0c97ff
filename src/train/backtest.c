/* backtest.c - ptm_backtest_file (patchtsmixer.h): rolling-origin evaluation of a saved
 * forecaster on a CSV. The data are read as ptm_eval_file reads them (train_data_load_series:
 * the preprocessor's columns and scaler, else a scaler fitted on the training split); origins
 * every `stride` rows over a split (or a row range) each forecast prediction_length rows from
 * the context_length rows before; every observed forecast point adds to the sums (metrics.h)
 * of its (origin, series), then series and the whole run are finished from them. Distribution
 * heads add the CRPS of sampled paths and the coverage of quantile intervals.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "train/backtest.h"
#include "train/trainer.h"

ptm_backtest_params ptm_backtest_default_params(void) {
    ptm_backtest_params p;
    memset(&p, 0, sizeof p);
    p.start = p.end = -1;
    p.season = 1;
    p.num_samples = 100;
    return p;
}

void ptm_backtest_free(ptm_backtest_result *r) {
    if (!r) return;
    if (r->series)
        for (int j = 0; j < r->nseries; j++) free(r->series[j]);
    if (r->cutoff_time)
        for (size_t k = 0; k < r->norigins; k++) free(r->cutoff_time[k]);
    free(r->series);
    free(r->cutoff_time);
    free(r->cutoff_row);
    free(r->mase_scale);
    free(r->per_origin);
    free(r->per_series);
    if (r->cutoff_at)
        for (size_t k = 0; k < r->norigins * (size_t)r->nseries; k++) free(r->cutoff_at[k]);
    for (size_t k = 0; r->skipped && k < r->nskipped; k++) free(r->skipped[k]);
    for (size_t k = 0; r->skip_reason && k < r->nskipped; k++) free(r->skip_reason[k]);
    free(r->cutoff_at);
    free(r->skipped);
    free(r->skip_reason);
    memset(r, 0, sizeof *r);
}

ptm_status bt_check_params(const ptm_backtest_params *p, ptm_backtest_result *r, ptm_error *err) {
    if (p->stride < 0)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "stride", "%d: expected 0 (the horizon) or more",
                        p->stride);
    if (p->windows < 0 || p->windows > 1000000)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "windows", "%d: expected 0 (one) to 1000000",
                        p->windows);
    if (p->season < 1)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "season", "%d: expected 1 or more", p->season);
    if (p->num_samples < 1 || p->num_samples > 100000)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "num_samples", "%d: expected 1 to 100000",
                        p->num_samples);
    static const float def_q[2] = {0.1f, 0.9f};
    const float *q = p->quantiles ? p->quantiles : def_q;
    int nq = p->quantiles ? p->num_quantiles : 2;
    if (nq < 2 || nq % 2 || nq > 2 * PTM_METRIC_MAX_INTERVALS)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "quantiles",
                        "%d quantiles: expected pairs, 2 to %d", nq, 2 * PTM_METRIC_MAX_INTERVALS);
    for (int k = 0; k < nq; k++)
        if (!(q[k] > 0.0f && q[k] < 1.0f) || (k > 0 && !(q[k] > q[k - 1])))
            return ptmi_err(err, PTM_ERR_ARG, NULL, "quantiles",
                            "expected increasing levels strictly between 0 and 1");
    r->nintervals = nq / 2;
    for (int k = 0; k < r->nintervals; k++) {
        r->lo_q[k] = q[k];
        r->hi_q[k] = q[nq - 1 - k];
    }
    return PTM_OK;
}

/* the rows [b0, b1) whose windows are backtested: the split, or [start - L, end) */
static ptm_status segment(const train_data *d, int L, const ptm_backtest_params *p,
                          const char *path, size_t *b0, size_t *b1, ptm_error *err) {
    if (p->start >= 0 || p->end >= 0) {
        long n = (long)d->nrows, s0 = p->start >= 0 ? p->start : L, s1 = p->end >= 0 ? p->end : n;
        if (s0 < L)
            return ptmi_err(err, PTM_ERR_ARG, path, "start",
                            "row %ld leaves no context: the first %d rows (context_length) come "
                            "before the first forecast row",
                            s0, L);
        if (s1 > n)
            return ptmi_err(err, PTM_ERR_ARG, path, "end", "row %ld is past the %ld rows", s1, n);
        if (s1 <= s0)
            return ptmi_err(err, PTM_ERR_ARG, path, "end", "row %ld is not after start row %ld", s1,
                            s0);
        *b0 = (size_t)(s0 - L);
        *b1 = (size_t)s1;
        return PTM_OK;
    }
    const char *sp = p->split ? p->split : "test";
    if (strcmp(sp, "test") == 0)
        *b0 = d->split.test_begin, *b1 = d->split.test_end;
    else if (strcmp(sp, "val") == 0)
        *b0 = d->split.val_begin, *b1 = d->split.val_end;
    else if (strcmp(sp, "train") == 0)
        *b0 = d->split.train_begin, *b1 = d->split.train_end;
    else
        return ptmi_err(err, PTM_ERR_ARG, NULL, "split",
                        "unknown split '%s'; expected train, val or test", sp);
    return PTM_OK;
}

/* the forecast channels' names, MASE scales (raw training rows) and the origins' cutoffs */
static ptm_status describe(const train_data *d, const ptm_config *c, size_t b0, const char *path,
                           ptm_backtest_result *r, ptm_error *err) {
    int Cs = r->nseries;
    size_t n0 = d->split.train_begin, n = d->split.train_end - n0;
    float *x = malloc(sizeof(float) * (n + 1)), *o = malloc(sizeof(float) * (n + 1));
    r->series = calloc((size_t)Cs, sizeof(char *));
    r->mase_scale = malloc(sizeof(double) * (size_t)Cs);
    r->cutoff_row = malloc(sizeof(size_t) * r->norigins);
    if (d->tab.time_text) r->cutoff_time = calloc(r->norigins, sizeof(char *));
    ptm_status s = PTM_OK;
    if (!x || !o || !r->series || !r->mase_scale || !r->cutoff_row ||
        (d->tab.time_text && !r->cutoff_time)) {
        s = ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
        goto done;
    }
    for (int j = 0; j < Cs; j++) {
        int ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
        size_t col = (size_t)d->cols[ch], nc = d->tab.ncols;
        if (!(r->series[j] = strdup(d->tab.colnames[col]))) goto oom;
        for (size_t i = 0; i < n; i++) {
            x[i] = d->tab.values[(n0 + i) * nc + col];
            o[i] = d->tab.observed[(n0 + i) * nc + col];
        }
        r->mase_scale[j] = ptm_metric_mase_scale(x, o, n, r->season);
    }
    for (size_t k = 0; k < r->norigins; k++) {
        size_t row = b0 + k * (size_t)r->stride + (size_t)c->context_length - 1;
        r->cutoff_row[k] = row;
        if (r->cutoff_time && !(r->cutoff_time[k] = strdup(d->tab.time_text[row]))) goto oom;
    }
    goto done;
oom:
    s = ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
done:
    free(x);
    free(o);
    return s;
}

void bt_batch_free(bt_batch *b) {
    free(b->past);
    free(b->pobs);
    free(b->fut);
    free(b->fobs);
    free(b->samp);
    free(b->q);
    free(b->one);
}

int bt_batch_alloc(bt_batch *b, const ptm_config *c, const ptm_backtest_result *r, int dist) {
    size_t L = (size_t)c->context_length, H = (size_t)c->prediction_length;
    size_t C = (size_t)c->num_input_channels, HS = H * (size_t)r->nseries, cap = (size_t)b->cap;
    b->past = malloc(sizeof(float) * cap * L * C);
    b->pobs = malloc(sizeof(float) * cap * L * C);
    b->fut = malloc(sizeof(float) * cap * H * C);
    b->fobs = malloc(sizeof(float) * cap * H * C);
    if (!b->past || !b->pobs || !b->fut || !b->fobs) return -1;
    if (!dist) return 0;
    b->nq = 2 * r->nintervals;
    for (int k = 0; k < r->nintervals; k++) {
        b->qlev[k] = r->lo_q[k];
        b->qlev[b->nq - 1 - k] = r->hi_q[k];
    }
    b->samp = malloc(sizeof(float) * cap * (size_t)b->S * HS);
    b->q = malloc(sizeof(float) * cap * (size_t)b->nq * HS);
    b->one = malloc(sizeof(float) * (size_t)b->S);
    return b->samp && b->q && b->one ? 0 : -1;
}

/* units of a scaled value of channel ch */
static double unscale(const ptm_std_scaler *sc, int ch, double v) {
    return sc->std ? v * (double)sc->std[ch] + (double)sc->mean[ch] : v;
}

/* the points of origin i of a batch (its forecast y [H, Cs], first forecast row `row`) into
 * the sums of its series */
static void add_origin(const train_data *d, const ptm_config *c, const bt_batch *b, int i,
                       const float *y, size_t row, const ptm_backtest_result *r,
                       metric_sums *sums) {
    int H = c->prediction_length, C = c->num_input_channels, Cs = r->nseries, S = b->S;
    size_t HS = (size_t)H * Cs;
    for (int t = 0; t < H; t++)
        for (int j = 0; j < Cs; j++) {
            int ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
            size_t fi = ((size_t)i * H + t) * C + ch, p = (size_t)t * Cs + j;
            if (!(b->fobs[fi] > 0.0f)) continue;
            double ys = b->fut[fi], fs = y[((size_t)i * H + t) * Cs + j];
            double yu = d->tab.values[(row + t) * d->tab.ncols + (size_t)d->cols[ch]];
            metric_sums *m = &sums[j];
            metric_add_point(m, yu, unscale(&d->sc, ch, fs), ys, fs);
            if (!b->samp) continue;
            for (int k = 0; k < S; k++)
                b->one[k] = (float)unscale(&d->sc, ch, b->samp[((size_t)i * S + k) * HS + p]);
            m->crps += metric_crps_sorted(b->one, S, yu);
            const float *q = b->q + (size_t)i * b->nq * HS;
            for (int k = 0; k < r->nintervals; k++) {
                double lo = unscale(&d->sc, ch, q[(size_t)k * HS + p]);
                double hi = unscale(&d->sc, ch, q[(size_t)(b->nq - 1 - k) * HS + p]);
                m->hits[k] += yu >= lo && yu <= hi;
            }
        }
}

/* every origin through the model: sums [norigins, nseries] */
static ptm_status run_origins(ptm_ctx *ctx, const ptm_config *c, const train_data *d,
                              const ptm_windows *w, bt_batch *b, uint64_t seed,
                              const ptm_backtest_result *r, metric_sums *sums, ptm_error *err) {
    int L = c->context_length, H = c->prediction_length, C = c->num_input_channels;
    int nll = c->loss == PTM_LOSS_NLL;
    size_t HS = (size_t)H * r->nseries;
    for (size_t k0 = 0; k0 < r->norigins; k0 += (size_t)b->cap) {
        size_t n = r->norigins - k0 < (size_t)b->cap ? r->norigins - k0 : (size_t)b->cap;
        for (size_t i = 0; i < n; i++) {
            size_t off = i * (size_t)L * C, foff = i * (size_t)H * C;
            ptm_windows_batch(w, (k0 + i) * (size_t)r->stride, 1, b->past + off, b->pobs + off,
                              b->fut + foff, b->fobs + foff);
        }
        ptm_inputs in;
        memset(&in, 0, sizeof in);
        in.batch = (int)n;
        in.past_values = b->past;
        in.observed_mask = b->pobs;
        ptm_status s = ptm_forward(ctx, &in, err);
        if (s != PTM_OK) return s;
        ptm_tensor_view v;
        if ((s = ptm_ctx_output(ctx, nll ? "distribution_mean" : "prediction_outputs", &v, err)) !=
            PTM_OK)
            return s;
        if (b->samp) {
            if ((s = ptm_ctx_sample(ctx, b->S, seed + k0, b->samp, n * (size_t)b->S * HS, err)) !=
                PTM_OK)
                return s;
            if ((s = ptm_quantiles(b->samp, (int)n, b->S, (int64_t)HS, b->qlev, b->nq, b->q,
                                   err)) != PTM_OK)
                return s;
        }
        for (size_t i = 0; i < n; i++)
            add_origin(d, c, b, (int)i, v.data, r->cutoff_row[k0 + i] + 1, r,
                       sums + (k0 + i) * (size_t)r->nseries);
    }
    return PTM_OK;
}

ptm_status bt_alloc_results(ptm_backtest_result *r, const ptm_backtest_params *p, int H,
                            bt_batch *b, metric_sums **sums, const char *path, ptm_error *err) {
    size_t cells = r->norigins * (size_t)r->nseries, per = 0;
    if (ptmi_mul_size(cells, sizeof(ptm_metrics) + sizeof(metric_sums), &per) != 0 ||
        ptmi_mul_size((size_t)p->num_samples, (size_t)H * (size_t)r->nseries, &per) != 0)
        return ptmi_err(err, PTM_ERR_LIMIT, path, NULL, "too many origins or samples");
    r->per_origin = malloc(sizeof(ptm_metrics) * cells);
    r->per_series = malloc(sizeof(ptm_metrics) * (size_t)r->nseries);
    *sums = calloc(cells, sizeof(metric_sums));
    b->cap = p->batch < 1 ? 64 : p->batch;
    b->S = p->num_samples;
    /* distribution heads: at most 2^24 sampled values (64 MiB) per batch of origins */
    if (r->distribution && (size_t)b->cap * per > ((size_t)1 << 24))
        b->cap = per >= ((size_t)1 << 24) ? 1 : (int)(((size_t)1 << 24) / per);
    if (!r->per_origin || !r->per_series || !*sums)
        return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    return PTM_OK;
}

/* mean over the series of one finite field (at byte offset off) of ptm_metrics, NAN when none */
static double mean_set(const ptm_metrics *ps, int n, size_t off) {
    double s = 0.0, m = 0.0;
    for (int i = 0; i < n; i++) {
        double x;
        memcpy(&x, (const char *)&ps[i] + off, sizeof x);
        if (isfinite(x)) {
            s += x;
            m += 1.0;
        }
    }
    return m > 0 ? s / m : (double)NAN;
}

void bt_finish(ptm_backtest_result *r, const metric_sums *sums) {
    int Cs = r->nseries;
    for (int j = 0; j < Cs; j++) {
        metric_sums tot;
        memset(&tot, 0, sizeof tot);
        for (size_t k = 0; k < r->norigins; k++) {
            const metric_sums *m = &sums[k * Cs + j];
            metric_finish(m, r->mase_scale[j], r->distribution, r->nintervals,
                          &r->per_origin[k * Cs + j]);
            metric_sums_merge(&tot, m);
        }
        metric_finish(&tot, r->mase_scale[j], r->distribution, r->nintervals, &r->per_series[j]);
        r->all.points += r->per_series[j].points;
    }
    const ptm_metrics *ps = r->per_series;
    r->all.mse = mean_set(ps, Cs, offsetof(ptm_metrics, mse));
    r->all.mae = mean_set(ps, Cs, offsetof(ptm_metrics, mae));
    r->all.rmse = mean_set(ps, Cs, offsetof(ptm_metrics, rmse));
    r->all.mase = mean_set(ps, Cs, offsetof(ptm_metrics, mase));
    r->all.smape = mean_set(ps, Cs, offsetof(ptm_metrics, smape));
    r->all.mse_scaled = mean_set(ps, Cs, offsetof(ptm_metrics, mse_scaled));
    r->all.mae_scaled = mean_set(ps, Cs, offsetof(ptm_metrics, mae_scaled));
    r->all.crps = mean_set(ps, Cs, offsetof(ptm_metrics, crps));
    for (int k = 0; k < PTM_METRIC_MAX_INTERVALS; k++)
        r->all.coverage[k] =
            mean_set(ps, Cs, offsetof(ptm_metrics, coverage) + (size_t)k * sizeof(double));
}

/* the data, the rows, the origins and the result's arrays; then the run */
static ptm_status backtest_model(const ptm_model *m, const char *model_dir, const char *path,
                                 const ptm_backtest_params *p, ptm_backtest_result *r,
                                 ptm_error *err) {
    const ptm_config *c = ptm_model_config(m);
    int L = c->context_length, H = c->prediction_length;
    train_data d;
    memset(&d, 0, sizeof d);
    bt_batch b;
    memset(&b, 0, sizeof b);
    metric_sums *sums = NULL;
    ptm_ctx *ctx = NULL;
    ptm_windows w;
    memset(&w, 0, sizeof w);
    ptm_preprocessor pp;
    ptm_status s = ptm_preprocessor_load(model_dir, &pp, err);
    if (s == PTM_OK) s = train_data_load_series(&d, path, p->columns, &pp, L, H, err);
    ptm_preprocessor_free(&pp);
    if (s != PTM_OK) goto done;
    if (d.C != c->num_input_channels) {
        s = ptmi_err(err, PTM_ERR_INPUT, path, "columns",
                     "%d columns selected, the model expects %d (num_input_channels)", d.C,
                     c->num_input_channels);
        goto done;
    }
    size_t b0 = 0, b1 = 0;
    if ((s = segment(&d, L, p, path, &b0, &b1, err)) != PTM_OK) goto done;
    if (b1 - b0 < (size_t)L + (size_t)H) {
        s = ptmi_err(err, PTM_ERR_INPUT, path, "rows",
                     "rows %zu to %zu leave no origin: a forecast needs context_length + "
                     "prediction_length = %d rows",
                     b0 + (size_t)L, b1, L + H);
        goto done;
    }
    if ((s = ptm_windows_init(&w, d.vals, d.obs, d.nrows, d.C, L, H, b0, b1, err)) != PTM_OK)
        goto done;
    r->prediction_length = H;
    r->stride = p->stride ? p->stride : H;
    r->season = p->season;
    r->nseries = c->num_prediction_channels;
    r->distribution = c->loss == PTM_LOSS_NLL;
    r->first_row = b0 + (size_t)L;
    r->end_row = b1;
    r->norigins = (w.count - 1) / (size_t)r->stride + 1;
    if ((s = describe(&d, c, b0, path, r, err)) != PTM_OK) goto done;
    if ((s = bt_alloc_results(r, p, H, &b, &sums, path, err)) != PTM_OK) goto done;
    if (bt_batch_alloc(&b, c, r, r->distribution) != 0) {
        s = ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
        goto done;
    }
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = b.cap;
    cp.keep_hidden_states = 0;
    if ((s = ptm_ctx_create(m, &cp, &ctx, err)) != PTM_OK) goto done;
    if ((s = run_origins(ctx, c, &d, &w, &b, p->seed, r, sums, err)) != PTM_OK) goto done;
    bt_finish(r, sums);
done:
    ptm_ctx_free(ctx);
    ptm_windows_free(&w);
    free(sums);
    bt_batch_free(&b);
    train_data_free(&d);
    return s;
}

ptm_status ptm_backtest_file(const char *model_dir, const char *data_path,
                             const ptm_backtest_params *params, ptm_backtest_result *res,
                             ptm_error *err) {
    if (!res || !model_dir || !data_path)
        return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "model_dir, data_path and res are required");
    memset(res, 0, sizeof *res);
    ptm_backtest_params p = params ? *params : ptm_backtest_default_params();
    ptm_status s = bt_check_params(&p, res, err);
    if (s != PTM_OK) {
        ptm_backtest_free(res);
        return s;
    }
    ptm_model *m = NULL;
    if ((s = ptm_model_load(model_dir, &m, err)) != PTM_OK) return s;
    const ptm_config *c = ptm_model_config(m);
    if (c->model_class != PTM_CLASS_PREDICTION)
        s = ptmi_err(err, PTM_ERR_UNSUPPORTED, model_dir, "architectures",
                     "backtest needs a forecaster (PatchTSMixerForPrediction); this is %s",
                     ptm_class_name(c->model_class));
    else if (p.long_format || bt_is_long(model_dir, data_path))
        s = bt_long(m, model_dir, data_path, p.long_format, &p, res, err);
    else if (p.windows)
        s = ptmi_err(err, PTM_ERR_ARG, data_path, "windows",
                     "is for long-format data (unique_id, ds, y); a wide CSV's origins come "
                     "from the split or start / end and the stride");
    else
        s = backtest_model(m, model_dir, data_path, &p, res, err);
    ptm_model_free(m);
    if (s != PTM_OK) ptm_backtest_free(res);
    return s;
}
