/* card.c - DIR/README.md, the model card of a trained checkpoint, in the layout of Hugging
 * Face's model cards (YAML metadata, then description, training data, procedure, evaluation,
 * usage), so that the folder can be pushed to the hub as it is. Written by ptm_train_csv at the
 * end of a run, after the test of the best model; the text is in docs/cli.md (train).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/strbuf.h"
#include "train/trainer.h"

static const char *task_word(ptm_train_task t) {
    static const char *w[] = {"forecasting", "classification", "regression", "masked pretraining"};
    return w[t];
}

static void addf(ptmi_strbuf *b, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void addf(ptmi_strbuf *b, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ptmi_sb_add(b, buf);
}

/* a file name or column name inside markdown code: backticks and newlines dropped */
static void add_code(ptmi_strbuf *b, const char *s) {
    ptmi_sb_add(b, "`");
    for (; s && *s; s++)
        if (*s != '`' && *s != '\n' && *s != '\r') ptmi_sb_addn(b, s, 1);
    ptmi_sb_add(b, "`");
}

static void add_columns(ptmi_strbuf *b, const train_data *d) {
    for (int j = 0; j < d->C; j++) {
        if (j) ptmi_sb_add(b, ", ");
        add_code(b, d->tab.colnames[d->cols[j]]);
    }
}

/* the training data of a long-format file: its columns, series and per-series split */
static void card_long_data(ptmi_strbuf *b, const train_task *t) {
    const train_data *d = &t->d;
    int H = t->task == PTM_TRAIN_FORECAST ? t->cfg.prediction_length : 1;
    ptmi_sb_add(b, " in long format (one row per series and time step): series id ");
    add_code(b, d->id_col);
    ptmi_sb_add(b, ", time ");
    add_code(b, d->tab.time_colname);
    ptmi_sb_add(b, ", target ");
    add_code(b, d->tab.colnames[d->target_col]);
    addf(b,
         "\n- series: %zu trained on (%zu rows), %zu skipped (too short, a repeated time, uneven "
         "steps or a column without values; the training log names each and why)\n- columns "
         "(channel order): ",
         d->nseries, d->nrows, d->nskipped);
    add_columns(b, d);
    addf(b,
         "\n- split, per series: its last %d rows test, the %d rows before them validation, the "
         "rest training (the evaluation rule of statsforecast and GluonTS, and what `patchtsmixer "
         "eval` holds out on long data); windows: %zu train, %zu validation, %zu test\n"
         "- scaling: one standard scaler per column fitted on the training parts of every "
         "series (`preprocessor_config.json` keeps it, the column names and the long format, "
         "so `predict` and `eval` read long files by these column names)\n",
         H, H, d->train.w.count, d->val.w.count, d->test.w.count);
}

static void card_data(ptmi_strbuf *b, const train_task *t, const char *data_path) {
    const train_data *d = &t->d;
    ptmi_sb_add(b, "\n## Training data\n\n- file: ");
    add_code(b, data_path);
    if (d->is_long) {
        card_long_data(b, t);
    } else if (t->task == PTM_TRAIN_FORECAST || t->task == PTM_TRAIN_PRETRAIN) {
        addf(b, ", %zu rows x %d channels\n- columns (channel order): ", d->nrows, d->C);
        add_columns(b, d);
        addf(b,
             "\n- split (rows): train [%zu, %zu), validation [%zu, %zu), test [%zu, %zu); "
             "windows: %zu train, %zu validation, %zu test\n"
             "- scaling: a standard scaler fitted on the training rows "
             "(`preprocessor_config.json` keeps it and the column names)\n",
             d->split.train_begin, d->split.train_end, d->split.val_begin, d->split.val_end,
             d->split.test_begin, d->split.test_end, d->train.w.count, d->val.w.count,
             d->test.w.count);
    } else {
        addf(b,
             ", %zu cases x %d channels x %d steps (%zu train, %zu validation), %zu test cases\n",
             d->ts_train.ncases, d->ts_train.nchannels, d->ts_train.length, d->n_train_cases,
             d->n_val_cases, d->ts_test.ncases);
    }
}

static void card_results(ptmi_strbuf *b, const train_task *t, const ptm_train_summary *r) {
    ptmi_sb_add(
        b, "\n## Evaluation results\n\n| metric | this model | baseline |\n| --- | --- | --- |\n");
    addf(b, "| validation loss (best epoch %d) | %.6g | |\n", r->best_epoch, r->best_val);
    switch (t->task) {
    case PTM_TRAIN_FORECAST:
        if (isfinite(r->val_mse)) {
            addf(b, "| validation MSE (scaled space) | %.6f | |\n", r->val_mse);
            addf(b, "| validation MAE (scaled space) | %.6f | |\n", r->val_mae);
        }
        addf(b, "| test MSE (scaled space) | %.6f | %.6f (last value repeated) |\n", r->test_mse,
             r->baseline_mse);
        addf(b, "| test MAE (scaled space) | %.6f | %.6f |\n", r->test_mae, r->baseline_mae);
        break;
    case PTM_TRAIN_CLASSIFY:
        if (t->d.ts_test.ncases > 0)
            addf(b, "| test accuracy | %.4f | %.4f (majority class) |\n", r->test_accuracy,
                 r->baseline_accuracy);
        else
            ptmi_sb_add(b, "| test accuracy | no test file given | |\n");
        break;
    case PTM_TRAIN_REGRESS:
        if (t->d.ts_test.ncases > 0) {
            addf(b, "| test MSE | %.6g | %.6g (training mean) |\n", r->test_mse, r->baseline_mse);
            addf(b, "| test MAE | %.6g | %.6g |\n", r->test_mae, r->baseline_mae);
        } else {
            ptmi_sb_add(b, "| test MSE | no test file given | |\n");
        }
        break;
    case PTM_TRAIN_PRETRAIN:
        addf(b, "| test masked reconstruction loss | %.6f | |\n", r->test_mse);
        break;
    }
}

ptm_status train_write_model_card(const train_task *t, const char *dir, const char *data_path,
                                  const ptm_train_params *p, const ptm_train_summary *r,
                                  int64_t num_params, ptm_error *err) {
    const ptm_config *c = &t->cfg;
    ptmi_strbuf b = {0};
    char when[32] = "";
    time_t now = time(NULL);
    struct tm tmv;
    if (gmtime_r(&now, &tmv)) strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tmv);
    const char *cls = ptm_config_class_name(c);
    static const char *tag[] = {"forecasting", "classification", "regression", "pretraining"};
    addf(&b,
         "---\nlibrary_name: patchtsmixer\ntags:\n- time-series\n- %s\n- %s\n%s---\n\n# "
         "%s\n\n",
         tag[t->task], c->family == PTM_FAMILY_TTM ? "tinytimemixer" : "patchtsmixer",
         t->task == PTM_TRAIN_FORECAST ? "pipeline_tag: time-series-forecasting\n" : "", cls);
    addf(&b,
         "A %s (%s) trained with the PatchTSMixer C engine %s on %s: %lld parameters; context "
         "%d steps, patches of %d (stride %d), %d mixer layers, d_model %d, %s",
         cls, task_word(t->task), ptm_version(), when, (long long)num_params, c->context_length,
         c->patch_length, c->patch_stride, c->num_layers, c->d_model,
         c->mode == PTM_MODE_MIX_CHANNEL ? "mix_channel" : "common_channel");
    if (t->task == PTM_TRAIN_FORECAST) addf(&b, "; horizon %d steps", c->prediction_length);
    if (t->task == PTM_TRAIN_CLASSIFY) addf(&b, "; %d classes", c->num_targets);
    ptmi_sb_add(&b, ". `config.json` and `model.safetensors` are in Hugging Face's "
                    "`save_pretrained` format.\n");
    card_data(&b, t, data_path);
    addf(&b,
         "\n## Training procedure\n\n- epochs run: %d (best: %d), %lld optimiser steps, %.1f s "
         "(%.0f samples/s), batch %d, learning rate %g (%s), weight decay %g, seed %llu\n",
         r->epochs_run, r->best_epoch, (long long)r->steps, r->seconds, r->samples_per_sec,
         p->batch_size, (double)p->lr,
         p->schedule == PTM_LR_ONECYCLE ? "one-cycle"
         : p->schedule == PTM_LR_COSINE ? "warm-up + cosine"
                                        : "constant",
         (double)p->weight_decay, (unsigned long long)p->seed);
    if (p->init_from) {
        ptmi_sb_add(&b, "- fine-tuned from ");
        add_code(&b, p->init_from);
        ptmi_sb_add(&b, p->freeze_backbone ? " (backbone frozen)\n" : "\n");
    }
    if (p->command) {
        ptmi_sb_add(&b, "- command:\n\n```sh\n");
        ptmi_sb_add(&b, p->command);
        ptmi_sb_add(&b, "\n```\n");
    }
    card_results(&b, t, r);
    ptmi_sb_add(&b, "\n## How to use\n\n```sh\npatchtsmixer info DIR\n");
    if (t->task == PTM_TRAIN_FORECAST && t->d.is_long)
        ptmi_sb_add(&b, "patchtsmixer predict DIR --input series.csv\n"
                        "patchtsmixer eval DIR --data series.csv\n```\n\n"
                        "Both read the long format by the column names above (one forecast row "
                        "per series and step, statsforecast's layout) and apply the saved scaler "
                        "(`preprocessor_config.json`). From Python: "
                        "`PatchTSMixer.from_pretrained(DIR).forecast(frame)` on a long "
                        "DataFrame.\n");
    else if (t->task == PTM_TRAIN_FORECAST)
        ptmi_sb_add(&b, "patchtsmixer predict DIR --input past.csv\n"
                        "patchtsmixer eval DIR --data data.csv\n```\n\n"
                        "`predict` picks the columns by name and applies the saved scaler "
                        "(`preprocessor_config.json`). From Python: "
                        "`PatchTSMixer.from_pretrained(DIR).forecast(frame)`.\n");
    else
        ptmi_sb_add(&b, "patchtsmixer eval DIR --data cases.ts\n```\n");
    if (b.oom) {
        free(b.p);
        return ptmi_err(err, PTM_ERR_NOMEM, dir, NULL, "out of memory");
    }
    char path[4096];
    ptm_status s = ptmi_path_join(path, sizeof path, dir, "README.md", err);
    if (s == PTM_OK) s = ptm_write_file(path, b.p, b.len, err);
    free(b.p);
    return s;
}
