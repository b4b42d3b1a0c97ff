/* task.c - task setup for training and evaluation (see trainer.h): the architecture from
 * ptm_train_params, the backbone of an init_from checkpoint (a TinyTimeMixer checkpoint: all of
 * it), the data, target standardisation, batch buffers, the few-shot subset of the windows, and
 * the one shuffle of the trainer.
 *
 * Forecasting / pretraining: a CSV, the standard split (data.c), a StandardScaler fitted on the
 * training rows, sliding windows. Classification / regression: a .ts training file, 20 % of its
 * cases (shuffled with the seed) held out for validation, and an optional .ts test file.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config.h"
#include "base/rng.h"
#include "io/csv.h"
#include "train/trainer.h"

void train_log(const ptm_train_params *p, int progress, const char *fmt, ...) {
    if (!p->log) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    p->log(p->user, progress, line);
}

void train_shuffle(size_t *idx, size_t n, uint64_t seed) {
    ptmi_rng r;
    ptmi_rng_seed(&r, seed);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)ptmi_rng_below(&r, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

/* ------------------------------------------------------------------ architecture */

static const ptm_class task_class[] = {PTM_CLASS_PREDICTION, PTM_CLASS_CLASSIFICATION,
                                       PTM_CLASS_REGRESSION, PTM_CLASS_PRETRAINING};

ptm_status train_config_resolve(const ptm_train_params *p, ptm_config *cfg, ptm_error *err) {
    memset(cfg, 0, sizeof *cfg);
    ptm_status s = PTM_OK;
    if (p->config) {
        s = ptmi_config_copy(cfg, p->config, err);
    } else if (p->config_path || p->config_json) {
        unsigned char *buf = NULL;
        size_t n = 0;
        const char *text = p->config_json, *name = "config_json";
        if (p->config_path) {
            if ((s = ptmi_read_file(p->config_path, 16 << 20, &buf, &n, err)) != PTM_OK) return s;
            text = (const char *)buf;
            name = p->config_path;
        } else {
            n = strlen(text);
        }
        s = ptm_config_parse(text, n, name, (int)task_class[p->task], cfg, err);
        free(buf);
    } else {
        ptm_config_defaults(cfg);
    }
    if (s != PTM_OK) return s;
    cfg->model_class = task_class[p->task];
    return PTM_OK;
}

/* the backbone's architecture comes from the checkpoint */
static void inherit_backbone(ptm_config *cfg, const ptm_config *pc) {
    cfg->context_length = pc->context_length;
    cfg->patch_length = pc->patch_length;
    cfg->patch_stride = pc->patch_stride;
    cfg->num_input_channels = pc->num_input_channels;
    cfg->d_model = pc->d_model;
    cfg->expansion_factor = pc->expansion_factor;
    cfg->num_layers = pc->num_layers;
    cfg->mode = pc->mode;
    cfg->gated_attn = pc->gated_attn;
    cfg->norm_mlp = pc->norm_mlp;
    cfg->self_attn = pc->self_attn;
    cfg->self_attn_heads = pc->self_attn_heads;
    cfg->use_positional_encoding = pc->use_positional_encoding;
    cfg->positional_encoding_type = pc->positional_encoding_type;
    cfg->scaling = pc->scaling;
}

/* a TinyTimeMixer checkpoint is fine-tuned as it is: the job's architecture is the
 * checkpoint's (its weights, head included, are copied by the trainer); the data may set other
 * channels where the weights do not depend on them */
static ptm_status inherit_all(train_task *t, const ptm_train_params *p, ptm_error *err) {
    if (t->task != PTM_TRAIN_FORECAST)
        return ptmi_err(err, PTM_ERR_INPUT, p->init_from, NULL,
                        "a TinyTimeMixer checkpoint is fine-tuned for forecasting only");
    ptm_config_free(&t->cfg);
    ptm_status s = ptmi_config_copy(&t->cfg, &t->pre->cfg, err);
    t->cfg.model_class = PTM_CLASS_PREDICTION;
    return s;
}

/* every tensor of `from` into m by name (a TinyTimeMixer fine-tune starts from the whole
 * checkpoint); a tensor of another size (the data's channels where the weights depend on them)
 * is refused; returns the number copied, -1 on a refusal */
int train_copy_all(ptm_model *m, const ptm_model *from, const char *dir, ptm_error *err) {
    int copied = 0;
    for (int i = 0; i < m->n_table; i++) {
        ptmi_param_entry *e = &m->table[i];
        for (int j = 0; j < from->n_table; j++) {
            const ptmi_param_entry *f = &from->table[j];
            if (strcmp(f->name, e->name) != 0) continue;
            if (f->numel != e->numel) {
                ptmi_err(err, PTM_ERR_INPUT, dir, e->name,
                         "%zu values in the checkpoint, %zu in the model for this data (its "
                         "channels differ from the checkpoint's)",
                         f->numel, e->numel);
                return -1;
            }
            if (e->f32 && f->f32) memcpy(e->f32, f->f32, e->numel * sizeof(float));
            if (e->i64 && f->i64) *e->i64 = *f->i64;
            copied++;
            break;
        }
    }
    ptmi_model_sync(m);
    return copied;
}

ptm_status train_pick_few(const ptm_train_params *p, size_t **few, size_t *n_train,
                          ptm_error *err) {
    size_t count = *n_train;
    if (!(p->few_shot < 1.0f))
        return ptmi_err(err, PTM_ERR_ARG, NULL, "few_shot",
                        "few_shot %g: expected a fraction in (0, 1) (0 = all windows)",
                        (double)p->few_shot);
    size_t n = (size_t)((double)p->few_shot * (double)count + 0.5);
    if (n < 1) n = 1;
    size_t *idx = malloc(sizeof(size_t) * (count + 1));
    unsigned char *used = calloc(count + 1, 1);
    if (!idx || !used) {
        free(idx);
        free(used);
        return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    }
    for (size_t i = 0; i < count; i++) idx[i] = i;
    train_shuffle(idx, count, p->seed ^ 0x46E3A5B1C2D7F809ULL);
    for (size_t i = 0; i < n; i++) used[idx[i]] = 1;
    size_t k = 0;
    for (size_t i = 0; i < count; i++)
        if (used[i]) idx[k++] = i;
    free(used);
    *few = idx;
    *n_train = n;
    train_log(p, 0, "few-shot: %zu of %zu training windows (%g)", n, count, (double)p->few_shot);
    return PTM_OK;
}

/* ------------------------------------------------------------------ data */

void train_data_free(train_data *d) {
    ptm_csv_free(&d->tab);
    free(d->vals);
    free(d->obs);
    free(d->cols);
    ptm_scaler_free(&d->sc);
    train_windows_free(&d->train);
    train_windows_free(&d->val);
    train_windows_free(&d->test);
    free(d->id_col);
    ptmi_ts_free(&d->ts_train);
    ptmi_ts_free(&d->ts_test);
    free(d->order);
    memset(d, 0, sizeof *d);
}

/* Column selection "a,b,c" -> indices; NULL = all. */
static ptm_status select_columns(train_data *d, const char *path, const char *columns,
                                 ptm_error *err) {
    int n = 0;
    d->cols = malloc(sizeof(int) * (d->tab.ncols + 1));
    if (!d->cols) return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    ptm_status s = ptm_csv_select_columns(&d->tab, columns, path, d->cols, &n, err);
    if (s != PTM_OK) return s;
    if (d->static_columns) { /* static categorical codes are not channels */
        int *si = malloc(sizeof(int) * (d->tab.ncols + 1)), ns = 0, kept = 0;
        if (!si) return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
        s = ptm_csv_select_columns(&d->tab, d->static_columns, path, si, &ns, err);
        for (int j = 0; s == PTM_OK && j < n; j++) {
            int is_static = 0;
            for (int k = 0; k < ns; k++) is_static |= si[k] == d->cols[j];
            if (is_static && columns)
                s = ptmi_err(err, PTM_ERR_INPUT, path, d->tab.colnames[d->cols[j]],
                             "the column is named as a channel and as a static categorical one");
            else if (!is_static)
                d->cols[kept++] = d->cols[j];
        }
        free(si);
        if (s != PTM_OK) return s;
        n = kept;
    }
    if (n < 1) return ptmi_err(err, PTM_ERR_INPUT, path, "columns", "no value columns selected");
    d->C = n;
    return PTM_OK;
}

/* the preprocessor's columns by name; a --columns list must name the same ones in order */
static ptm_status preprocessor_columns(train_data *d, const char *path, const char *columns,
                                       const ptm_preprocessor *pp, ptm_error *err) {
    ptm_status s = PTM_OK;
    if (columns) {
        if ((s = select_columns(d, path, columns, err)) != PTM_OK) return s;
        int same = d->C == pp->ncols;
        for (int j = 0; same && j < pp->ncols; j++)
            same = strcmp(d->tab.colnames[d->cols[j]], pp->columns[j]) == 0;
        if (!same)
            return ptmi_err(err, PTM_ERR_INPUT, path, "columns",
                            "the model was trained on other columns (preprocessor_config.json "
                            "lists %d, starting with \"%s\"); leave the column list out to use "
                            "them",
                            pp->ncols, pp->columns[0]);
        free(d->cols);
    }
    d->cols = malloc(sizeof(int) * ((size_t)pp->ncols + 1));
    if (!d->cols) return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    if ((s = ptm_preprocessor_columns(pp, &d->tab, path, d->cols, err)) != PTM_OK) return s;
    d->C = pp->ncols;
    return PTM_OK;
}

/* the saved scaler, copied (train_data owns its scaler) */
static ptm_status copy_scaler(ptm_std_scaler *dst, const ptm_std_scaler *src, const char *path,
                              ptm_error *err) {
    if (src->ncols < 1) return PTM_OK;
    dst->mean = malloc(sizeof(float) * (size_t)src->ncols);
    dst->std = malloc(sizeof(float) * (size_t)src->ncols);
    if (!dst->mean || !dst->std) {
        ptm_scaler_free(dst);
        return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    }
    memcpy(dst->mean, src->mean, sizeof(float) * (size_t)src->ncols);
    memcpy(dst->std, src->std, sizeof(float) * (size_t)src->ncols);
    dst->ncols = src->ncols;
    return PTM_OK;
}

ptm_status train_data_load_series(train_data *d, const char *path, const char *columns,
                                  const ptm_preprocessor *pp, int L, int H, ptm_error *err) {
    ptm_status s = ptm_csv_load(path, 0, &d->tab, err);
    if (s != PTM_OK) return s;
    s = pp && pp->present ? preprocessor_columns(d, path, columns, pp, err)
                          : select_columns(d, path, columns, err);
    if (s != PTM_OK) return s;
    d->nrows = d->tab.nrows;
    size_t cells = 0;
    if (ptmi_mul_size(d->nrows, (size_t)d->C, &cells) != 0)
        return ptmi_err(err, PTM_ERR_LIMIT, path, NULL, "too many cells");
    d->vals = malloc(sizeof(float) * (cells ? cells : 1));
    d->obs = malloc(sizeof(float) * (cells ? cells : 1));
    if (!d->vals || !d->obs) return ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
    for (size_t r = 0; r < d->nrows; r++)
        for (int j = 0; j < d->C; j++) {
            d->vals[r * d->C + j] = d->tab.values[r * d->tab.ncols + (size_t)d->cols[j]];
            d->obs[r * d->C + j] = d->tab.observed[r * d->tab.ncols + (size_t)d->cols[j]];
        }
    s = ptm_split_make(ptm_split_kind_from_name(path), d->nrows, L, H, &d->split, err);
    if (s != PTM_OK) {
        ptmi_escape(err->file, sizeof err->file, path, SIZE_MAX);
        return s;
    }
    s = pp && pp->present ? copy_scaler(&d->sc, &pp->scaler, path, err)
                          : ptm_scaler_fit(&d->sc, d->vals, d->obs, d->nrows, d->C,
                                           d->split.train_begin, d->split.train_end, err);
    if (s != PTM_OK) return s;
    ptm_scaler_transform(&d->sc, d->vals, d->obs, d->nrows);
    if ((s = ptm_windows_init(&d->train.w, d->vals, d->obs, d->nrows, d->C, L, H,
                              d->split.train_begin, d->split.train_end, err)) != PTM_OK ||
        (s = ptm_windows_init(&d->val.w, d->vals, d->obs, d->nrows, d->C, L, H, d->split.val_begin,
                              d->split.val_end, err)) != PTM_OK ||
        (s = ptm_windows_init(&d->test.w, d->vals, d->obs, d->nrows, d->C, L, H,
                              d->split.test_begin, d->split.test_end, err)) != PTM_OK)
        return s;
    return PTM_OK;
}

/* long format: whether the target column is a forecast channel (predict writes its forecast) */
static int long_target_forecast(const ptm_config *c, const train_data *d) {
    int ch = 0;
    while (ch < d->C && d->cols[ch] != d->target_col) ch++;
    for (int k = 0; c->prediction_channel_indices && k < c->num_prediction_channels; k++)
        if (c->prediction_channel_indices[k] == ch) return 1;
    return !c->prediction_channel_indices;
}

/* forecast / pretrain: the CSV sets the channels */
static ptm_status load_task_series(train_task *t, const char *data_path, const ptm_train_params *p,
                                   ptm_error *err) {
    train_data *d = &t->d;
    int H = t->task == PTM_TRAIN_FORECAST ? t->cfg.prediction_length : 1;
    d->static_columns = p->static_categorical_columns;
    ptm_status s =
        p->long_format
            ? (p->static_categorical_columns || train_static_count(&t->cfg)
                   ? ptmi_err(err, PTM_ERR_UNSUPPORTED, data_path, "static_categorical_columns",
                              "long-format data carry no per-series static categorical codes "
                              "yet")
                   : train_data_load_long(d, data_path, p, t->cfg.context_length, H, err))
            : train_refuse_long(
                  data_path, NULL, PTM_ERR_INPUT,
                  "set ptm_train_params.long_format to train on its series (`patchtsmixer "
                  "train` and Python's train() detect it)",
                  err);
    if (s == PTM_OK && !p->long_format)
        s = train_data_load_series(d, data_path, p->columns, NULL, t->cfg.context_length, H, err);
    if (s == PTM_OK && !p->long_format)
        s = train_static_codes(&t->cfg, d, data_path, p->static_categorical_columns, t->codes, err);
    if (s != PTM_OK) return s;
    if (p->init_from && t->cfg.family != PTM_FAMILY_TTM && d->C != t->cfg.num_input_channels)
        return ptmi_err(err, PTM_ERR_INPUT, data_path, "columns",
                        "%d columns selected, the checkpoint %s has %d channels", d->C,
                        p->init_from, t->cfg.num_input_channels);
    t->cfg.num_input_channels = d->C;
    if (d->is_long && t->task == PTM_TRAIN_FORECAST && !long_target_forecast(&t->cfg, d))
        return ptmi_err(err, PTM_ERR_INPUT, data_path, "prediction_channel_indices",
                        "the target column '%.200s' is not one of the forecast channels",
                        d->tab.colnames[d->target_col]);
    if (!d->is_long)
        train_log(p, 0, "data: %s, %zu rows x %d channels; windows train %zu, val %zu, test %zu",
                  data_path, d->nrows, d->C, d->train.w.count, d->val.w.count, d->test.w.count);
    if (t->cfg.family == PTM_FAMILY_TTM && t->cfg.ttm.resolution_prefix_tuning) {
        /* the frequency prefix: the token of the data's time step, as predict and eval find it
         * (long format: the step every series shares) */
        int64_t step = d->step;
        if (d->is_long ? d->time_integer || step <= 0
                       : !d->tab.time_parsed || !ptm_csv_time_step(&d->tab, 0, &step))
            return ptmi_err(err, PTM_ERR_INPUT, data_path, "freq_token",
                            "this model (resolution_prefix_tuning) needs a frequency token and "
                            "the data has no evenly spaced timestamps");
        t->freq_token = ptm_frequency_token(step);
        train_log(p, 0, "frequency token %lld (a step of %lld s)", (long long)t->freq_token,
                  (long long)step);
    }
    return PTM_OK;
}

/* classify / regress: .ts cases set the channels and classes; 20 % of the training cases
 * (shuffled with the seed) validate */
static ptm_status load_task_cases(train_task *t, const char *data_path, const ptm_train_params *p,
                                  ptm_error *err) {
    train_data *d = &t->d;
    int L = t->cfg.context_length;
    ptm_status s = ptmi_ts_load(data_path, L, &d->ts_train, err);
    if (s != PTM_OK) return s;
    if (p->test_path &&
        (s = ptmi_ts_load_with_classes(p->test_path, L, &d->ts_train, &d->ts_test, err)) != PTM_OK)
        return s;
    if (t->task == PTM_TRAIN_CLASSIFY && !d->ts_train.labels)
        return ptmi_err(err, PTM_ERR_INPUT, data_path, "@classLabel",
                        "no class labels: not a classification file");
    if (t->task == PTM_TRAIN_REGRESS && !d->ts_train.targets)
        return ptmi_err(err, PTM_ERR_INPUT, data_path, "@targetLabel",
                        "no regression targets: not a regression file");
    t->cfg.num_input_channels = d->ts_train.nchannels;
    if (t->task == PTM_TRAIN_CLASSIFY) {
        t->cfg.num_targets = d->ts_train.nclasses;
        /* the class names travel in config.json as Hugging Face's id2label */
        ptm_status ls = ptmi_config_set_labels(
            &t->cfg, (const char *const *)d->ts_train.class_names, d->ts_train.nclasses, err);
        if (ls != PTM_OK) return ls;
    }
    if (t->task == PTM_TRAIN_REGRESS) t->cfg.num_targets = 1;
    size_t nc = d->ts_train.ncases;
    d->order = malloc(sizeof(size_t) * (nc + 1));
    if (!d->order) return ptmi_err(err, PTM_ERR_NOMEM, data_path, NULL, "out of memory");
    for (size_t i = 0; i < nc; i++) d->order[i] = i;
    train_shuffle(d->order, nc, p->seed ^ 0x5bd1e995ULL);
    d->n_val_cases = nc >= 10 ? nc / 5 : 0;
    d->n_train_cases = nc - d->n_val_cases;
    char test[64] = "no test file";
    if (p->test_path) snprintf(test, sizeof test, "test %zu", d->ts_test.ncases);
    train_log(p, 0, "data: %s, %zu cases x %d channels x %d steps (%zu train, %zu val), %s",
              data_path, nc, d->ts_train.nchannels, d->ts_train.length, d->n_train_cases,
              d->n_val_cases, test);
    return PTM_OK;
}

/* regression with a point head: learn standardised targets (the inverse transform is folded
 * into every saved head, train_checkpoint_save_best) */
static void standardise_targets(train_task *t, const ptm_train_params *p) {
    const train_data *d = &t->d;
    if (t->task != PTM_TRAIN_REGRESS || t->cfg.loss != PTM_LOSS_MSE || t->cfg.has_output_range ||
        d->n_train_cases <= 1)
        return;
    double sum = 0.0, ss = 0.0;
    for (size_t i = 0; i < d->n_train_cases; i++) sum += (double)d->ts_train.targets[d->order[i]];
    t->tmean = sum / (double)d->n_train_cases;
    for (size_t i = 0; i < d->n_train_cases; i++) {
        double e = (double)d->ts_train.targets[d->order[i]] - t->tmean;
        ss += e * e;
    }
    t->tstd = sqrt(ss / (double)d->n_train_cases);
    if (!(t->tstd > 0.0))
        t->tmean = t->tstd = 0.0;
    else
        train_log(p, 0, "targets standardised: mean %.6g, std %.6g (folded into the saved head)",
                  t->tmean, t->tstd);
}

ptm_status train_task_setup(train_task *t, ptm_config *cfg, const char *data_path,
                            const ptm_train_params *p, ptm_error *err) {
    memset(t, 0, sizeof *t);
    t->freq_token = -1;
    t->task = p->task;
    t->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    ptm_status s;
    if (p->init_from) {
        if ((s = ptmi_model_load(p->init_from, NULL, PTMI_STORE_TRAIN, &t->pre, err)) != PTM_OK)
            return s;
        if (t->pre->cfg.family == PTM_FAMILY_TTM) {
            if ((s = inherit_all(t, p, err)) != PTM_OK) return s;
        } else {
            inherit_backbone(&t->cfg, &t->pre->cfg);
        }
    }
    if (t->task == PTM_TRAIN_FORECAST || t->task == PTM_TRAIN_PRETRAIN)
        s = load_task_series(t, data_path, p, err);
    else
        s = load_task_cases(t, data_path, p, err);
    if (s != PTM_OK) return s;
    if ((s = ptmi_config_finish(&t->cfg, "training config", err)) != PTM_OK) return s;
    if (t->task == PTM_TRAIN_REGRESS && t->cfg.loss == PTM_LOSS_NLL && t->cfg.num_targets == 1)
        return ptmi_err(err, PTM_ERR_UNSUPPORTED, NULL, "loss",
                        "training a regressor with loss \"nll\" and one target is refused: its "
                        "loss, as Hugging Face computes it (and this engine with it), scores every "
                        "target under every sample's distribution (log_prob of batch shape [B] "
                        "against target_values [B, 1] is [B, B]), so training would fit each "
                        "sample to the whole batch's targets whatever its input; use loss \"mse\"");
    standardise_targets(t, p);
    return PTM_OK;
}

void train_task_free(train_task *t) {
    ptm_model_free(t->pre);
    ptm_config_free(&t->cfg);
    train_data_free(&t->d);
    memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------------ batches */

ptm_status train_batch_alloc(train_batch *b, int cap, const ptm_config *c, int64_t freq_token,
                             ptm_error *err) {
    size_t L = (size_t)c->context_length, C = (size_t)c->num_input_channels,
           H = (size_t)c->prediction_length, T = (size_t)c->num_targets;
    b->cap = cap;
    b->past = malloc(sizeof(float) * (size_t)cap * L * C);
    b->pobs = malloc(sizeof(float) * (size_t)cap * L * C);
    b->fut = malloc(sizeof(float) * (size_t)cap * (H > 1 ? H : 1) * C);
    b->tgt = malloc(sizeof(float) * (size_t)cap * T);
    b->labels = malloc(sizeof(int64_t) * (size_t)cap);
    b->tok = freq_token >= 0 ? malloc(sizeof(int64_t) * (size_t)cap) : NULL;
    if (!b->past || !b->pobs || !b->fut || !b->tgt || !b->labels || (freq_token >= 0 && !b->tok))
        return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory for a batch of %d", cap);
    for (int i = 0; b->tok && i < cap; i++) b->tok[i] = freq_token;
    return PTM_OK;
}

void train_batch_free(train_batch *b) {
    free(b->past);
    free(b->pobs);
    free(b->fut);
    free(b->tgt);
    free(b->labels);
    free(b->tok);
    free(b->cat);
    memset(b, 0, sizeof *b);
}

ptm_status train_batch_codes(train_batch *b, const int64_t *codes, int n, ptm_error *err) {
    if (n < 1) return PTM_OK;
    if (!(b->cat = malloc(sizeof(int64_t) * (size_t)b->cap * (size_t)n)))
        return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory for a batch of %d", b->cap);
    for (int i = 0; i < b->cap; i++) memcpy(b->cat + (size_t)i * n, codes, sizeof(int64_t) * n);
    return PTM_OK;
}

void train_batch_cases(train_batch *b, const ptmi_ts_dataset *ts, const size_t *idx, size_t n,
                       ptm_train_task task, double tmean, double tstd) {
    size_t per = (size_t)ts->length * (size_t)ts->nchannels;
    for (size_t i = 0; i < n; i++) {
        memcpy(b->past + i * per, ts->values + idx[i] * per, per * sizeof(float));
        memcpy(b->pobs + i * per, ts->observed + idx[i] * per, per * sizeof(float));
        if (task == PTM_TRAIN_CLASSIFY)
            b->labels[i] = ts->labels[idx[i]];
        else
            b->tgt[i] = tstd > 0 ? (float)(((double)ts->targets[idx[i]] - tmean) / tstd)
                                 : ts->targets[idx[i]];
    }
}

ptm_status train_task_save_preprocessor(const train_task *t, const char *dir, const char *data_path,
                                        const ptm_train_params *p, ptm_error *err) {
    const train_data *d = &t->d;
    if (t->task != PTM_TRAIN_FORECAST && t->task != PTM_TRAIN_PRETRAIN) return PTM_OK;
    ptm_preprocessor pp;
    memset(&pp, 0, sizeof pp); /* borrows the task's names and scaler: nothing to free */
    char **names = malloc(sizeof(char *) * (size_t)d->C);
    int *target = calloc((size_t)d->C, sizeof(int));
    if (!names || !target) {
        free(names);
        free(target);
        return ptmi_err(err, PTM_ERR_NOMEM, dir, NULL, "out of memory");
    }
    const ptm_config *c = &t->cfg;
    for (int j = 0; j < d->C; j++) {
        names[j] = d->tab.colnames[d->cols[j]];
        target[j] = t->task == PTM_TRAIN_PRETRAIN || !c->prediction_channel_indices;
    }
    for (int k = 0; t->task == PTM_TRAIN_FORECAST && c->prediction_channel_indices &&
                    k < c->num_prediction_channels;
         k++)
        if (c->prediction_channel_indices[k] < d->C) target[c->prediction_channel_indices[k]] = 1;
    pp.present = 1;
    pp.ncols = d->C;
    pp.columns = names;
    pp.is_target = target;
    pp.scaler = d->sc;
    char pattern[96] = "";
    int64_t step = 0;
    if (d->is_long) { /* the id, time and target columns; the step every series shares */
        pp.id_column = d->id_col;
        pp.target_column = d->tab.colnames[d->target_col];
        pp.timestamp_column = d->tab.time_colname;
        if (!d->time_integer && d->tab.nrows &&
            csv_time_pattern(d->tab.time_text[0], pattern, sizeof pattern) == 0)
            pp.timestamp_format = pattern;
        pp.time_step = d->time_integer ? 0 : d->step;
    } else if (d->tab.has_time) {
        pp.timestamp_column = d->tab.time_colname;
        if (d->tab.time_text && d->tab.nrows &&
            csv_time_pattern(d->tab.time_text[0], pattern, sizeof pattern) == 0)
            pp.timestamp_format = pattern;
        if (ptm_csv_time_step(&d->tab, 0, &step)) pp.time_step = step;
    }
    pp.training_data = (char *)data_path;
    pp.training_command = (char *)p->command;
    ptm_status s = ptm_preprocessor_save(&pp, dir, err);
    free(names);
    free(target);
    return s;
}
