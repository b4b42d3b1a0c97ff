/* eval.c - evaluation passes (eval mode, no gradients) over windows of a CSV split or over .ts
 * cases, used for validation and test by the trainer, and the public ptm_eval_file
 * (patchtsmixer.h): a saved model's metrics on the split of a CSV (forecasting, pretraining)
 * or on a .ts file (classification, regression).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/trainer.h"

/* one eval-mode forward on a filled batch (tok: a TinyTimeMixer prefix token per sample, cat:
 * its static categorical codes [n, n_cat], or NULL); accumulates loss (weighted by batch size) and,
 * for forecasts, errors of the point forecast vs the targets */
static ptm_status eval_batch(ptm_ctx *ectx, const ptm_config *c, train_batch *b, int n,
                             ptm_train_task task, const int64_t *tok, const int64_t *cat,
                             train_metrics *a, ptm_error *err) {
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = n;
    in.past_values = b->past;
    in.observed_mask = b->pobs;
    in.freq_token = tok;
    in.static_categorical_values = cat;
    if (task == PTM_TRAIN_FORECAST) in.future_values = b->fut;
    if (task == PTM_TRAIN_CLASSIFY) in.target_labels = b->labels;
    if (task == PTM_TRAIN_REGRESS) in.target_values = b->tgt;
    in.mask_seed = 1234;
    ptm_status s = ptm_forward(ectx, &in, err);
    if (s != PTM_OK) return s;
    ptm_tensor_view v;
    if (ptm_ctx_output(ectx, "loss", &v, NULL) == PTM_OK) a->loss_sum += (double)v.data[0] * n;
    a->n_samples += n;
    int nll = c->loss == PTM_LOSS_NLL;
    if (task == PTM_TRAIN_FORECAST) {
        if (ptm_ctx_output(ectx, nll ? "distribution_mean" : "prediction_outputs", &v, err) !=
            PTM_OK)
            return err->code;
        /* the forecast has Hf <= H steps (TinyTimeMixer's prediction_filter_length) */
        int H = c->prediction_length, C = c->num_input_channels, Cs = c->num_prediction_channels;
        int Hf = (int)v.shape[1];
        for (int i = 0; i < n; i++)
            for (int t = 0; t < Hf; t++)
                for (int j = 0; j < Cs; j++) {
                    int ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
                    double y = (double)v.data[((size_t)i * Hf + t) * Cs + j];
                    double x = (double)b->fut[((size_t)i * H + t) * C + ch];
                    double e = y - x;
                    a->se += e * e;
                    a->ae += fabs(e);
                    a->n_el += 1;
                    a->sx += y;
                    a->sy += x;
                    a->sxx += y * y;
                    a->syy += x * x;
                    a->sxy += x * y;
                }
    } else if (task == PTM_TRAIN_CLASSIFY) {
        if (ptm_ctx_output(ectx, "prediction_outputs", &v, err) != PTM_OK) return err->code;
        int T = c->num_targets;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int t = 1; t < T; t++)
                if (v.data[(size_t)i * T + t] > v.data[(size_t)i * T + best]) best = t;
            a->correct += best == b->labels[i];
        }
    } else if (task == PTM_TRAIN_REGRESS) {
        if (ptm_ctx_output(ectx, nll ? "distribution_mean" : "regression_outputs", &v, err) !=
            PTM_OK)
            return err->code;
        int T = c->num_targets;
        for (int i = 0; i < n * T; i++) {
            double e = (double)v.data[i] - (double)b->tgt[i];
            a->se += e * e;
            a->ae += fabs(e);
            a->n_el += 1;
        }
    }
    return PTM_OK;
}

static ptm_status eval_windows(ptm_ctx *ectx, const ptm_config *c, const train_windows *w,
                               train_batch *b, ptm_train_task task, const int64_t *tok,
                               const int64_t *cat, train_metrics *a, ptm_error *err) {
    memset(a, 0, sizeof *a);
    for (size_t start = 0; start < w->w.count; start += (size_t)b->cap) {
        size_t n = train_windows_batch(w, start, (size_t)b->cap, b->past, b->pobs, b->fut, NULL);
        ptm_status s = eval_batch(ectx, c, b, (int)n, task, tok, cat, a, err);
        if (s != PTM_OK) return s;
    }
    return PTM_OK;
}

ptm_status train_eval_windows(ptm_ctx *ectx, const ptm_config *c, const train_windows *w,
                              train_batch *b, ptm_train_task task, train_metrics *a,
                              ptm_error *err) {
    return eval_windows(ectx, c, w, b, task, b->tok, b->cat, a, err);
}

ptm_status train_eval_cases(ptm_ctx *ectx, const ptm_config *c, const ptmi_ts_dataset *ts,
                            const size_t *idx, size_t count, train_batch *b, ptm_train_task task,
                            double tmean, double tstd, train_metrics *a, ptm_error *err) {
    memset(a, 0, sizeof *a);
    for (size_t start = 0; start < count; start += (size_t)b->cap) {
        size_t n = count - start < (size_t)b->cap ? count - start : (size_t)b->cap;
        train_batch_cases(b, ts, idx + start, n, task, tmean, tstd);
        ptm_status s = eval_batch(ectx, c, b, (int)n, task, NULL, NULL, a, err);
        if (s != PTM_OK) return s;
    }
    return PTM_OK;
}

/* ------------------------------------------------------------------ ptm_eval_file */

/* forecast errors in original units (each channel's error times its std) into res */
static ptm_status raw_unit_errors(ptm_ctx *ctx, const ptm_config *c, const train_windows *w,
                                  const ptm_std_scaler *sc, train_batch *b, const int64_t *tok,
                                  const int64_t *cat, ptm_eval_result *res, ptm_error *err) {
    train_metrics r;
    memset(&r, 0, sizeof r);
    int Cs = c->num_prediction_channels, Hh = c->prediction_length, C = w->w.ncols;
    ptm_tensor_view v;
    for (size_t start = 0; start < w->w.count; start += (size_t)b->cap) {
        size_t n = train_windows_batch(w, start, (size_t)b->cap, b->past, b->pobs, b->fut, NULL);
        ptm_inputs in;
        memset(&in, 0, sizeof in);
        in.batch = (int)n;
        in.past_values = b->past;
        in.observed_mask = b->pobs;
        in.freq_token = tok;
        in.static_categorical_values = cat;
        /* a forecast channel mixer reads the known future of its exogenous channels */
        if (c->family == PTM_FAMILY_TTM) in.future_values = b->fut;
        ptm_status s = ptm_forward(ctx, &in, err);
        if (s != PTM_OK) return s;
        if ((s = ptm_ctx_output(
                 ctx, c->loss == PTM_LOSS_NLL ? "distribution_mean" : "prediction_outputs", &v,
                 err)) != PTM_OK)
            return s;
        int Hf = (int)v.shape[1]; /* TinyTimeMixer's prediction_filter_length */
        for (size_t i = 0; i < n; i++)
            for (int t = 0; t < Hf; t++)
                for (int j = 0; j < Cs; j++) {
                    int ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
                    double sd = sc->std ? (double)sc->std[ch] : 1.0; /* unscaled data */
                    double e = ((double)v.data[(i * Hf + t) * Cs + j] -
                                (double)b->fut[(i * Hh + t) * C + ch]) *
                               sd;
                    r.se += e * e;
                    r.ae += fabs(e);
                    r.n_el += 1;
                }
    }
    res->mse_raw = r.se / r.n_el;
    res->mae_raw = r.ae / r.n_el;
    return PTM_OK;
}

/* the context and batch of ptm_eval_file for channels C: a TinyTimeMixer model takes the
 * data's count where it can (ptm_ctx_params.num_input_channels); *ec is c as the context sees
 * it */
static ptm_status eval_context(const ptm_model *m, int C, int batch, ptm_config *ec, ptm_ctx **ctx,
                               train_batch *b, ptm_error *err) {
    *ec = m->cfg;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = batch;
    cp.keep_hidden_states = 0;
    if (ec->family == PTM_FAMILY_TTM) {
        cp.num_input_channels = C;
        ec->num_input_channels = C;
        if (!ec->prediction_channel_indices) ec->num_prediction_channels = C;
    }
    ptm_status s = ptm_ctx_create(m, &cp, ctx, err);
    return s == PTM_OK ? train_batch_alloc(b, batch, ec, -1, err) : s;
}

int train_static_count(const ptm_config *c) {
    return c->family == PTM_FAMILY_TTM && c->model_class == PTM_CLASS_PREDICTION &&
                   c->ttm.use_decoder
               ? c->ttm.num_categorical
               : 0;
}

ptm_status train_static_codes(const ptm_config *c, const train_data *d, const char *file,
                              const char *cols, int64_t *codes, ptm_error *err) {
    int K = train_static_count(c);
    if (!K && cols)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "static_categorical_columns",
                        "the model has no static categorical variables "
                        "(categorical_vocab_size_list)");
    if (!K) return PTM_OK;
    if (!cols)
        return ptmi_err(err, PTM_ERR_INPUT, NULL, "static_categorical_columns",
                        "this model has %d static categorical variables "
                        "(categorical_vocab_size_list): name the columns of their integer codes",
                        K);
    int n = 0, *idx = malloc(sizeof(int) * (d->tab.ncols + 1));
    int64_t *v = malloc(sizeof(int64_t) * (d->tab.ncols + 1));
    ptm_status s = PTM_OK;
    if (!idx || !v)
        s = ptmi_err(err, PTM_ERR_NOMEM, file, NULL, "out of memory");
    else
        s = ptm_csv_static_codes(&d->tab, cols, 0, d->nrows, file, idx, v, &n, err);
    if (s == PTM_OK && n != K)
        s = ptmi_err(err, PTM_ERR_INPUT, NULL, "static_categorical_columns",
                     "%d columns named, the model has %d static categorical variables "
                     "(categorical_vocab_size_list)",
                     n, K);
    for (int k = 0; s == PTM_OK && k < K; k++) {
        if (v[k] >= c->ttm.categorical_vocab_size_list[k])
            s = ptmi_err(err, PTM_ERR_INPUT, file, d->tab.colnames[idx[k]],
                         "code %lld is not in the vocabulary of static categorical variable %d: "
                         "[0, %d) (categorical_vocab_size_list)",
                         (long long)v[k], k, c->ttm.categorical_vocab_size_list[k]);
        codes[k] = v[k];
    }
    free(idx);
    free(v);
    return s;
}

/* forecaster or pretrainer on a split of a CSV; a frequency token from its time step for
 * TinyTimeMixer's prefix, its static categorical codes from their columns */
static ptm_status eval_series(const ptm_model *m, ptm_train_task task, const char *model_dir,
                              const char *data_path, const ptm_eval_params *p, int batch,
                              ptm_eval_result *res, ptm_error *err) {
    const char *columns = p->columns, *split = p->split;
    const ptm_config *c = &m->cfg;
    train_data d;
    memset(&d, 0, sizeof d);
    ptm_ctx *ctx = NULL;
    train_batch b;
    memset(&b, 0, sizeof b);
    int64_t *tok = NULL, codes[PTMI_MAX_STATIC];
    int H = task == PTM_TRAIN_FORECAST ? c->prediction_length : 1;
    d.static_columns = p->static_categorical_columns;
    ptm_preprocessor pp;
    ptm_status s = ptm_preprocessor_load(model_dir, &pp, err);
    if (s == PTM_OK)
        s = train_refuse_long(data_path, &pp, PTM_ERR_UNSUPPORTED,
                              "`patchtsmixer eval` evaluates it (the last prediction_length rows "
                              "of each series held out)",
                              err);
    if (s == PTM_OK)
        s = train_data_load_series(&d, data_path, columns, &pp, c->context_length, H, err);
    ptm_preprocessor_free(&pp);
    if (s != PTM_OK) goto done;
    if (d.C != c->num_input_channels && c->family != PTM_FAMILY_TTM) {
        s = ptmi_err(err, PTM_ERR_INPUT, data_path, "columns",
                     "%d columns selected, the model expects %d (num_input_channels)", d.C,
                     c->num_input_channels);
        goto done;
    }
    ptm_config ec;
    if ((s = train_static_codes(c, &d, data_path, p->static_categorical_columns, codes, err)) !=
            PTM_OK ||
        (s = eval_context(m, d.C, batch, &ec, &ctx, &b, err)) != PTM_OK ||
        (s = train_batch_codes(&b, codes, train_static_count(c), err)) != PTM_OK)
        goto done;
    if (c->family == PTM_FAMILY_TTM && c->ttm.resolution_prefix_tuning) {
        int64_t step = 0;
        if (!d.tab.time_parsed || !ptm_csv_time_step(&d.tab, 0, &step)) {
            s = ptmi_err(err, PTM_ERR_INPUT, data_path, "freq_token",
                         "this model (resolution_prefix_tuning) needs a frequency token and the "
                         "data has no evenly spaced timestamps");
            goto done;
        }
        if (!(tok = malloc(sizeof(int64_t) * (size_t)batch))) {
            s = ptmi_err(err, PTM_ERR_NOMEM, data_path, NULL, "out of memory");
            goto done;
        }
        for (int i = 0; i < batch; i++) tok[i] = ptm_frequency_token(step);
    }
    const train_windows *w = &d.test;
    if (split && strcmp(split, "val") == 0)
        w = &d.val;
    else if (split && strcmp(split, "train") == 0)
        w = &d.train;
    else if (split && strcmp(split, "test") != 0) {
        s = ptmi_err(err, PTM_ERR_ARG, NULL, "split",
                     "unknown split '%s'; expected train, val or test", split);
        goto done;
    }
    train_metrics a;
    if ((s = eval_windows(ctx, &ec, w, &b, task, tok, b.cat, &a, err)) != PTM_OK) goto done;
    res->windows = w->w.count;
    if (a.n_el > 0) {
        res->mse = a.se / a.n_el;
        res->mae = a.ae / a.n_el;
        double cov = a.sxy / a.n_el - (a.sx / a.n_el) * (a.sy / a.n_el);
        double vx = a.sxx / a.n_el - (a.sx / a.n_el) * (a.sx / a.n_el);
        double vy = a.syy / a.n_el - (a.sy / a.n_el) * (a.sy / a.n_el);
        res->corr = vx > 0 && vy > 0 ? cov / sqrt(vx * vy) : 0.0;
        if ((s = raw_unit_errors(ctx, &ec, w, &d.sc, &b, tok, b.cat, res, err)) != PTM_OK)
            goto done;
    }
    if (task == PTM_TRAIN_PRETRAIN && a.n_samples > 0) res->mse = a.loss_sum / a.n_samples;
done:
    free(tok);
    train_batch_free(&b);
    ptm_ctx_free(ctx);
    train_data_free(&d);
    return s;
}

/* classifier or regressor on every case of a .ts file */
static ptm_status eval_ts_file(ptm_ctx *ctx, const ptm_config *c, ptm_train_task task,
                               const char *data_path, train_batch *b, ptm_eval_result *res,
                               ptm_error *err) {
    ptmi_ts_dataset ts;
    memset(&ts, 0, sizeof ts);
    size_t *idx = NULL;
    ptm_status s = ptmi_ts_load(data_path, c->context_length, &ts, err);
    if (s != PTM_OK) goto done;
    if (ts.nchannels != c->num_input_channels) {
        s = ptmi_err(err, PTM_ERR_INPUT, data_path, NULL,
                     "%d channels, the model expects %d (num_input_channels)", ts.nchannels,
                     c->num_input_channels);
        goto done;
    }
    if (task == PTM_TRAIN_CLASSIFY && (!ts.labels || ts.nclasses > c->num_targets)) {
        s = ptmi_err(err, PTM_ERR_INPUT, data_path, "@classLabel",
                     "expected class labels of at most %d classes", c->num_targets);
        goto done;
    }
    if (task == PTM_TRAIN_REGRESS && !ts.targets) {
        s = ptmi_err(err, PTM_ERR_INPUT, data_path, "@targetLabel", "no regression targets");
        goto done;
    }
    size_t nc = ts.ncases;
    idx = malloc(sizeof(size_t) * (nc + 1));
    if (!idx) {
        s = ptmi_err(err, PTM_ERR_NOMEM, data_path, NULL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nc; i++) idx[i] = i;
    train_metrics a;
    if ((s = train_eval_cases(ctx, c, &ts, idx, nc, b, task, 0.0, 0.0, &a, err)) != PTM_OK)
        goto done;
    res->cases = nc;
    res->classifier = task == PTM_TRAIN_CLASSIFY;
    if (task == PTM_TRAIN_CLASSIFY) res->accuracy = a.correct / (double)nc;
    if (a.n_el > 0) {
        res->rmse = sqrt(a.se / a.n_el);
        res->reg_mae = a.ae / a.n_el;
    }
done:
    free(idx);
    ptmi_ts_free(&ts);
    return s;
}

ptm_eval_params ptm_eval_default_params(void) {
    ptm_eval_params p;
    memset(&p, 0, sizeof p);
    return p;
}

ptm_status ptm_eval_file(const char *model_dir, const char *data_path, const char *columns,
                         const char *split, int batch, ptm_eval_result *res, ptm_error *err) {
    ptm_eval_params p = ptm_eval_default_params();
    p.columns = columns;
    p.split = split;
    p.batch = batch;
    return ptm_eval_file_ex(model_dir, data_path, &p, res, err);
}

ptm_status ptm_eval_file_ex(const char *model_dir, const char *data_path,
                            const ptm_eval_params *params, ptm_eval_result *res, ptm_error *err) {
    if (!res || !model_dir || !data_path || !params)
        return ptmi_err(err, PTM_ERR_ARG, NULL, NULL,
                        "model_dir, data_path, params and res are required");
    int batch = params->batch;
    memset(res, 0, sizeof *res);
    ptm_model *m = NULL;
    ptm_ctx *ctx = NULL;
    train_batch b;
    memset(&b, 0, sizeof b);
    ptm_status s = ptm_model_load(model_dir, &m, err);
    if (s != PTM_OK) return s;
    const ptm_config *c = &m->cfg;
    if (batch < 1) batch = 256;
    ptm_train_task task = c->model_class == PTM_CLASS_CLASSIFICATION ? PTM_TRAIN_CLASSIFY
                          : c->model_class == PTM_CLASS_REGRESSION   ? PTM_TRAIN_REGRESS
                          : c->model_class == PTM_CLASS_PRETRAINING  ? PTM_TRAIN_PRETRAIN
                                                                     : PTM_TRAIN_FORECAST;
    if (c->model_class == PTM_CLASS_MODEL) {
        s = ptmi_err(err, PTM_ERR_UNSUPPORTED, model_dir, "architectures",
                     "PatchTSMixerModel has no head to evaluate");
        goto done;
    }
    if (task == PTM_TRAIN_FORECAST || task == PTM_TRAIN_PRETRAIN) {
        s = eval_series(m, task, model_dir, data_path, params, batch, res, err);
        goto done;
    }
    ptm_config ec;
    if ((s = eval_context(m, c->num_input_channels, batch, &ec, &ctx, &b, err)) != PTM_OK)
        goto done;
    s = eval_ts_file(ctx, c, task, data_path, &b, res, err);
done:
    train_batch_free(&b);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
    return s;
}
