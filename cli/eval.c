/* eval.c - `patchtsmixer eval MODEL_DIR --data FILE`: test metrics of a forecaster on a split
 * of a CSV (MSE/MAE in the scaled space and in units, correlation), of a classifier or a
 * regressor on a .ts file; --plot draws one window of the split (plot.h) through the public
 * data API (ptm_split_*, ptm_scaler_*, ptm_windows_*); the metrics are ptm_eval_file's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"
#include "predict.h"

static const char *EVAL_USAGE =
    "usage: patchtsmixer eval MODEL_DIR --data FILE [--columns A,B] [--split S] [--json]\n"
    "                         [--plot FILE.svg [--plot-window K] [--plot-history N]]\n"
    "\n"
    "Forecasters: MSE and MAE on the test split of a CSV in the scaled space (the literature's\n"
    "protocol: StandardScaler fitted on the training rows) and in original units, and the\n"
    "correlation of forecast and truth. Classifiers: accuracy on a .ts file. Regressors: RMSE\n"
    "and MAE on a .ts file. --split test|val|train picks the CSV segment [test].\n"
    "--plot FILE.svg (forecasters) draws one window of the split in original units: its\n"
    "history (the last N steps, --plot-history, 0 = all; default 2 x prediction_length),\n"
    "the forecast, the actual values and, for distribution heads, the q0.1 - q0.9 band of\n"
    "200 samples; --plot-window K picks the window (0 = first, default the last).\n"
    "--max-model-memory BYTES refuses a model that takes more memory (K, M, G suffixes).\n"
    "TinyTimeMixer models (docs/ttm.md): any number of --columns where the model allows it;\n"
    "the frequency token of a prefix model from the file's time step; models with static\n"
    "categorical variables take their integer codes from --static-categorical A,B (columns\n"
    "holding one code each, not channels).\n"
    "\n"
    "Long-format data (unique_id, ds, y; detected from the header or --long): the last\n"
    "prediction_length rows of each series are held out (`eval --long --help`).\n"
    "\n"
    "example: patchtsmixer eval models/etth1 --data data/ETTh1.csv\n";

/* eval --plot: the CSV's channels of a split, scaled as in eval, as windows */
typedef struct {
    ptm_csv tab;
    int *cols;         /* [C] the CSV column of each channel */
    float *vals, *obs; /* [R, C] scaled with the training rows' statistics */
    ptm_std_scaler sc;
    ptm_windows w;
} eval_series;

static void eval_series_free(eval_series *es) {
    ptm_windows_free(&es->w);
    ptm_scaler_free(&es->sc);
    free(es->vals);
    free(es->obs);
    free(es->cols);
    ptm_csv_free(&es->tab);
}

/* the same split, scaler and windows as eval, over the chosen columns (a TinyTimeMixer model
 * takes their number: *c is set to it) */
static ptm_status eval_series_load(ptm_config *c, const char *data_path, const char *columns,
                                   const ttm_opts *to, const char *split, eval_series *es,
                                   ptm_error *err) {
    int L = c->context_length, H = c->prediction_length, C = c->num_input_channels;
    ptm_status s = ptm_csv_load(data_path, 0, &es->tab, err);
    if (s != PTM_OK) return s;
    const ptm_csv *tab = &es->tab;
    /* the channels: --columns by name, or every value column */
    es->cols = malloc(sizeof(int) * (tab->ncols + 1));
    if (!es->cols) return cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    int n = 0;
    if ((s = ptm_csv_select_columns(tab, columns, data_path, es->cols, &n, err)) != PTM_OK ||
        (s = ttm_drop_static(to, tab, data_path, columns == NULL, es->cols, &n, err)) != PTM_OK)
        return s;
    if (c->family == PTM_FAMILY_TTM) { /* the context refuses a count the model cannot take */
        C = c->num_input_channels = n;
        if (!c->prediction_channel_indices) c->num_prediction_channels = n;
    }
    if (n != C)
        return cli_error(err, PTM_ERR_INPUT, data_path, "columns",
                         "%d columns selected, the model expects %d (num_input_channels)", n, C);
    size_t R = tab->nrows;
    es->vals = malloc(sizeof(float) * (R * (size_t)C + 1));
    es->obs = malloc(sizeof(float) * (R * (size_t)C + 1));
    if (!es->vals || !es->obs) return cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    for (size_t r = 0; r < R; r++)
        for (int j = 0; j < C; j++) {
            es->vals[r * C + j] = tab->values[r * tab->ncols + (size_t)es->cols[j]];
            es->obs[r * C + j] = tab->observed[r * tab->ncols + (size_t)es->cols[j]];
        }
    ptm_split sp;
    if ((s = ptm_split_make(ptm_split_kind_from_name(data_path), R, L, H, &sp, err)) != PTM_OK) {
        snprintf(err->file, sizeof err->file, "%s", data_path);
        return s;
    }
    s = ptm_scaler_fit(&es->sc, es->vals, es->obs, R, C, sp.train_begin, sp.train_end, err);
    if (s != PTM_OK) return s;
    ptm_scaler_transform(&es->sc, es->vals, es->obs, R);
    size_t b0 = sp.test_begin, b1 = sp.test_end;
    if (split && strcmp(split, "val") == 0)
        b0 = sp.val_begin, b1 = sp.val_end;
    else if (split && strcmp(split, "train") == 0)
        b0 = sp.train_begin, b1 = sp.train_end;
    return ptm_windows_init(&es->w, es->vals, es->obs, R, C, L, H, b0, b1, err);
}

/* the q0.1 and q0.9 rows [2, per] of 200 paths sampled (seed 0) from the last forward */
static ptm_status band_q19(ptm_ctx *ctx, size_t per, float **q, ptm_error *err) {
    const int S = 200;
    const float qs[2] = {0.1f, 0.9f};
    float *samp = malloc(sizeof(float) * per * S);
    *q = malloc(sizeof(float) * per * 2);
    ptm_status s;
    if (!samp || !*q)
        s = cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    else if ((s = ptm_ctx_sample(ctx, S, 0, samp, per * S, err)) == PTM_OK)
        s = ptm_quantiles(samp, 1, S, (int64_t)per, qs, 2, *q, err);
    free(samp);
    return s;
}

/* a prefix model's frequency token from the file's time step (timed: it has one) */
static ptm_status eval_freq_token(const ptm_config *c, int timed, int64_t step,
                                  const char *data_path, int64_t *tok, ptm_error *err) {
    *tok = ptm_frequency_token(step);
    if (c->ttm.resolution_prefix_tuning && !timed)
        return cli_error(err, PTM_ERR_INPUT, data_path, "freq_token",
                         "this model (resolution_prefix_tuning) needs a frequency token and the "
                         "data has no evenly spaced timestamps");
    return PTM_OK;
}

/* the plot's panels of one window, in original units: per forecast channel j its channel
 * sel[j], name, history hist [L, Cs] (NaN where missing), actual values act and forecast fc
 * [Hf, Cs] (y: the model's forecast [Hf, Cs]) */
static void eval_panels(const ptm_config *c, const eval_series *es, int Hf, const float *past,
                        const float *pobs, const float *fut, const float *fobs, const float *y,
                        int *sel, const char **names, float *hist, float *act, float *fc) {
    int L = c->context_length, C = c->num_input_channels, Cs = c->num_prediction_channels;
    for (int j = 0; j < Cs; j++) {
        int ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
        sel[j] = ch;
        names[j] = es->tab.colnames[es->cols[ch]];
        for (int t = 0; t < L; t++)
            hist[(size_t)t * Cs + j] =
                pobs[(size_t)t * C + ch] > 0 ? past[(size_t)t * C + ch] : NAN;
        for (int t = 0; t < Hf; t++) {
            act[(size_t)t * Cs + j] = fobs[(size_t)t * C + ch] > 0 ? fut[(size_t)t * C + ch] : NAN;
            fc[(size_t)t * Cs + j] = y[(size_t)t * Cs + j];
        }
    }
    ptm_scaler_inverse(&es->sc, hist, (size_t)L, Cs, sel);
    ptm_scaler_inverse(&es->sc, act, (size_t)Hf, Cs, sel);
    ptm_scaler_inverse(&es->sc, fc, (size_t)Hf, Cs, sel);
}

/* eval --plot: the forecast of window `index` (-1 = the last) of the chosen split of a CSV,
 * in original units, next to its history (the last history_shown steps, -1 = the default,
 * 0 = all), the actual values and, for distribution heads, the q0.1 - q0.9 band */
static ptm_status eval_plot_window(const char *model_dir, const char *data_path,
                                   const char *columns, const ttm_opts *to, const char *split,
                                   long index, int history_shown, const char *svg_path,
                                   size_t max_model, ptm_error *err) {
    ptm_model *m = NULL;
    ptm_ctx *ctx = NULL;
    eval_series es;
    memset(&es, 0, sizeof es);
    float *past = NULL, *pobs = NULL, *fut = NULL, *fobs = NULL;
    float *hist = NULL, *fc = NULL, *act = NULL, *q = NULL;
    int64_t *cat = NULL;
    int *sel = NULL;
    const char **names = NULL;
    ptm_load_params lp = ptm_load_default_params();
    lp.max_bytes = max_model;
    ptm_status s = ptm_model_load_ex(model_dir, &lp, &m, err);
    if (s != PTM_OK) return s;
    ptm_config ec = *ptm_model_config(m);
    const ptm_config *c = &ec;
    if (c->model_class != PTM_CLASS_PREDICTION) {
        s = cli_error(err, PTM_ERR_UNSUPPORTED, model_dir, "architectures",
                      "--plot draws forecasts; %s is not a forecaster",
                      ptm_class_name(c->model_class));
        goto done;
    }
    if ((s = eval_series_load(&ec, data_path, columns, to, split, &es, err)) != PTM_OK) goto done;
    /* windows of H future rows; the forecast has Hf (TinyTimeMixer's filter) */
    int L = c->context_length, H = c->prediction_length, C = c->num_input_channels;
    int Cs = c->num_prediction_channels, Hf = cli_forecast_steps(c);
    int64_t step = 0, tok = 0;
    int timed = es.tab.time_parsed && ptm_csv_time_step(&es.tab, 0, &step);
    if (!(cat = malloc(sizeof(int64_t) * ((size_t)c->ttm.num_categorical + 1)))) goto oom;
    if ((s = eval_freq_token(c, timed, step, data_path, &tok, err)) != PTM_OK ||
        (s = ttm_static_codes(to, c, &es.tab, data_path, 0, es.tab.nrows, cat, err)) != PTM_OK)
        goto done;
    if (index < 0) index = (long)es.w.count - 1;
    if ((size_t)index >= es.w.count) {
        s = cli_error(err, PTM_ERR_ARG, NULL, "--plot-window",
                      "window %ld does not exist: the %s split has %zu windows", index,
                      split ? split : "test", es.w.count);
        goto done;
    }
    size_t LC = (size_t)L * C, HC = (size_t)H * C, HS = (size_t)Hf * Cs;
    past = malloc(sizeof(float) * LC);
    pobs = malloc(sizeof(float) * LC);
    fut = malloc(sizeof(float) * HC);
    fobs = malloc(sizeof(float) * HC);
    hist = malloc(sizeof(float) * (size_t)L * Cs);
    fc = malloc(sizeof(float) * HS);
    act = malloc(sizeof(float) * HS);
    names = malloc(sizeof(char *) * (size_t)Cs);
    sel = malloc(sizeof(int) * (size_t)Cs);
    if (!past || !pobs || !fut || !fobs || !hist || !fc || !act || !names || !sel) goto oom;
    ptm_windows_batch(&es.w, (size_t)index, 1, past, pobs, fut, fobs);
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = 1;
    cp.keep_hidden_states = 0;
    if (c->family == PTM_FAMILY_TTM) cp.num_input_channels = C;
    if ((s = ptm_ctx_create(m, &cp, &ctx, err)) != PTM_OK) goto done;
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 1;
    in.past_values = past;
    in.observed_mask = pobs;
    in.freq_token = c->ttm.resolution_prefix_tuning ? &tok : NULL;
    in.static_categorical_values = ttm_reads_categoricals(c) ? cat : NULL;
    if ((s = ptm_forward(ctx, &in, err)) != PTM_OK) goto done;
    int nll = c->loss == PTM_LOSS_NLL;
    ptm_tensor_view y;
    if ((s = ptm_ctx_output(ctx, nll ? "distribution_mean" : "prediction_outputs", &y, err)) !=
        PTM_OK)
        goto done;
    eval_panels(c, &es, Hf, past, pobs, fut, fobs, y.data, sel, names, hist, act, fc);
    if (nll) {
        if ((s = band_q19(ctx, HS, &q, err)) != PTM_OK) goto done;
        ptm_scaler_inverse(&es.sc, q, (size_t)2 * H, Cs, sel);
    }
    char title[512];
    snprintf(title, sizeof title, "%s on %s: %s window %ld of %zu", model_dir, data_path,
             split ? split : "test", index + 1, es.w.count);
    plot_forecast_data d;
    memset(&d, 0, sizeof d);
    d.title = title;
    d.L = L;
    d.H = Hf;
    d.nch = Cs;
    d.names = names;
    d.history = hist;
    d.forecast = fc;
    d.lo = nll ? q : NULL;
    d.hi = nll ? q + HS : NULL;
    d.band_name = "q0.1 - q0.9 (200 samples)";
    d.actual = act;
    d.shown = history_shown < 0 ? PLOT_HISTORY_DEFAULT(L, Hf) : history_shown;
    size_t last_row = es.w.begin + (size_t)index + (size_t)L - 1;
    if (timed) {
        d.time = &es.tab;
        d.step = step;
        d.t_last = es.tab.time_sec[last_row];
        d.time_like = es.tab.time_text[last_row];
    }
    if (plot_forecast(svg_path, &d, err) != 0) s = err->code;
    goto done;
oom:
    s = cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
done:
    free(past);
    free(pobs);
    free(fut);
    free(fobs);
    free(hist);
    free(fc);
    free(act);
    free(q);
    free(cat);
    free(sel);
    free(names);
    eval_series_free(&es);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
    return s;
}

/* 1 when the command line asks for long-format data (an option of it, or --data's header) */
static int eval_is_long(int argc, char **argv) {
    const char *data = NULL;
    ptm_long_params lp = {NULL, NULL, NULL, 0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--long") == 0) return 1;
        if (i + 1 >= argc) break;
        if (strcmp(a, "--id-column") == 0 || strcmp(a, "--time-column") == 0 ||
            strcmp(a, "--target-column") == 0)
            return 1;
        if (strcmp(a, "--data") == 0) data = argv[i + 1];
    }
    return data && ptm_long_sniff(data, &lp);
}

int cmd_eval(int argc, char **argv) {
    if (eval_is_long(argc, argv)) return eval_long(argc, argv);
    const char *dir = NULL, *data = NULL, *columns = NULL, *split = "test";
    const char *plot = NULL;
    long plot_window = -1, plot_history = -1;
    int json = 0;
    size_t max_model = 0;
    ttm_opts to;
    memset(&to, 0, sizeof to);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(EVAL_USAGE, stdout);
            return 0;
        }
        if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        if (strcmp(a, "--plot") == 0 || strcmp(a, "--plot-window") == 0 ||
            strcmp(a, "--plot-history") == 0) {
            if (i + 1 >= argc) return fail_usage("eval", "option '%s' needs a value", a);
            const char *v = argv[++i];
            if (strcmp(a, "--plot") == 0)
                plot = v;
            else if (parse_int(v, 0, 2147483647L,
                               strcmp(a, "--plot-window") == 0 ? &plot_window : &plot_history))
                return fail_usage("eval", "'%s' is not an integer >= 0", v);
            continue;
        }
        if (strcmp(a, "--static-categorical") == 0) {
            if (i + 1 >= argc) return fail_usage("eval", "option '%s' needs a value", a);
            to.static_cat = argv[++i];
            continue;
        }
        if (strcmp(a, "--max-model-memory") == 0) {
            if (i + 1 >= argc) return fail_usage("eval", "option '%s' needs a value", a);
            if (parse_bytes(argv[++i], &max_model) != 0)
                return fail_usage("eval", "--max-model-memory '%s': expected a byte count",
                                  argv[i]);
            continue;
        }
        if (strcmp(a, "--data") == 0 || strcmp(a, "--columns") == 0 || strcmp(a, "--split") == 0) {
            if (i + 1 >= argc) return fail_usage("eval", "option '%s' needs a value", a);
            const char *v = argv[++i];
            if (a[2] == 'd')
                data = v;
            else if (a[2] == 'c')
                columns = v;
            else
                split = v;
            continue;
        }
        if (a[0] == '-' && a[1]) return fail_usage("eval", "unknown option '%s'", a);
        if (dir) return fail_usage("eval", "unexpected argument '%s'", a);
        dir = a;
    }
    if (!dir) return fail_usage("eval", "%smissing MODEL_DIR", "");
    if (!data) return fail_usage("eval", "%smissing --data FILE", "");
    ptm_error err;
    ptm_eval_result r;
    ptm_preprocessor pp; /* a model trained on long-format data: its columns tell the format */
    if (ptm_preprocessor_load(dir, &pp, &err) == PTM_OK) {
        int is_long = long_model_sniff(&pp, data, 0);
        ptm_preprocessor_free(&pp);
        if (is_long) return eval_long(argc, argv);
    }
    if (cli_check_model_memory(dir, max_model, &err) != PTM_OK) return fail_status(&err);
    int trc = ttm_eval_check(dir, &to);
    if (trc >= 0) return trc;
    ptm_eval_params ep = ptm_eval_default_params();
    ep.columns = columns;
    ep.split = split;
    ep.batch = 256;
    ep.static_categorical_columns = to.static_cat;
    if (ptm_eval_file_ex(dir, data, &ep, &r, &err) != PTM_OK) return fail_status(&err);
    if (plot && eval_plot_window(dir, data, columns, &to, split, plot_window, (int)plot_history,
                                 plot, max_model, &err) != PTM_OK)
        return fail_status(&err);
    if (r.windows > 0) {
        if (json)
            printf("{\"split\": \"%s\", \"windows\": %zu, \"mse\": %.9g, \"mae\": %.9g, "
                   "\"mse_original_units\": %.9g, \"mae_original_units\": %.9g, \"corr\": %.9g}\n",
                   split, r.windows, r.mse, r.mae, r.mse_raw, r.mae_raw, r.corr);
        else
            printf("%s split: %zu windows\nMSE %.6f  MAE %.6f  (scaled space)\nMSE %.6g  MAE "
                   "%.6g  (original units)\ncorrelation %.4f\n",
                   split, r.windows, r.mse, r.mae, r.mse_raw, r.mae_raw, r.corr);
    } else if (r.classifier) {
        if (json)
            printf("{\"cases\": %zu, \"accuracy\": %.9g}\n", r.cases, r.accuracy);
        else
            printf("%zu cases\naccuracy %.4f\n", r.cases, r.accuracy);
    } else {
        if (json)
            printf("{\"cases\": %zu, \"rmse\": %.9g, \"mae\": %.9g}\n", r.cases, r.rmse, r.reg_mae);
        else
            printf("%zu cases\nRMSE %.6g  MAE %.6g\n", r.cases, r.rmse, r.reg_mae);
    }
    return 0;
}
