/* predict.c - `patchtsmixer predict MODEL_DIR --input PAST.csv`: one forward pass on the last
 * context_length rows of a CSV; writes the forecast (with sampled quantiles for distribution
 * heads), the class probabilities or the regression targets as CSV, and optionally draws the
 * forecast (plot.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "plot.h"
#include "predict.h"

static const char *PREDICT_USAGE =
    "usage: patchtsmixer predict MODEL_DIR --input PAST.csv [options]\n"
    "\n"
    "Reads PAST.csv (a header row, an optional leading timestamp column, one column per\n"
    "channel; empty cells and NA are missing values), takes its last context_length rows\n"
    "and runs the model once on that window.\n"
    "  forecaster:   writes prediction_length rows, one column per forecast channel; the\n"
    "                timestamps continue the input's when its time step is regular\n"
    "                (otherwise a 'step' column 1..H is written)\n"
    "  distribution: writes the distribution mean; with --samples N also the quantiles of N\n"
    "                sampled paths as columns NAME_q0.1, ... (prediction intervals)\n"
    "  classifier:   writes one row: the predicted class and each class probability\n"
    "  regressor:    writes one row with the num_targets outputs (the mean for nll heads)\n"
    "\n"
    "options:\n"
    "  --input FILE        past values (CSV; '-' = standard input)           [required]\n"
    "  --output FILE       where to write the CSV ('-' = standard output)     [default -]\n"
    "  --columns A,B,...   use these input columns, in this order, as the channels\n"
    "                      [default: every numeric column, in file order]\n"
    "  --delimiter C       input delimiter: ',' ';' 'tab'                     [detected]\n"
    "  --samples N         distribution heads: sample N paths (1..1000000)    [default 0]\n"
    "                      N x H x C' floats in memory; docs/cli.md gives the cost\n"
    "  --quantiles Q,...   quantiles of the samples                  [default 0.1,0.5,0.9]\n"
    "  --seed S            seed of the sampler                                [default 0]\n"
    "  --threads N         worker threads                                     [default 1]\n"
    "  --max-model-memory BYTES  refuse a model that takes more memory (K, M, G suffixes)\n"
    "  --plot FILE.svg     forecasters: draw history, forecast, the interval of\n"
    "                      the quantiles (distribution heads; 200 samples unless\n"
    "                      --samples) and held-out values, one panel per channel\n"
    "  --plot-columns A,B  draw only these forecast channels, in this order [default all]\n"
    "  --plot-history N    draw the last N steps of the context (0 = all)\n"
    "                      [default: 2 x prediction_length, at most the context]\n"
    "  --holdout           forecasters: forecast the last prediction_length rows\n"
    "                      from the context_length rows before them (a backtest;\n"
    "                      --plot shows the held-out rows as actual values)\n"
    "  --pad               an input shorter than context_length gets zero rows before\n"
    "                      it (granite-tsfm's padding: zeros, counted as observed)\n"
    "TinyTimeMixer models (docs/ttm.md):\n"
    "  --target A,B        the forecast columns (any number, for channel-independent\n"
    "                      models: every numeric column without it or --columns)\n"
    "  --exogenous C,D     the exogenous channels' columns (models that name them)\n"
    "  --future FILE.csv   their known next values (forecast channel mixer models;\n"
    "                      --holdout takes them from the held-out rows)\n"
    "  --freq F            frequency of the prefix token: min, 2min, 5min, 10min, 15min,\n"
    "                      30min, h, d, W (granite-tsfm's mapping; others are oov = 0)\n"
    "                      [default: the input's time step]\n"
    "  --freq-token N      the frequency token itself\n"
    "  --static-categorical A,B  columns of the integer codes of the model's static\n"
    "                      categorical variables (categorical_vocab_size_list), one\n"
    "                      code per column in the rows read; not channels\n"
    "\n"
    "example: patchtsmixer predict models/etth1 --input data/ETTh1.csv --output fc.csv\n"
    "         patchtsmixer predict models/etth1 --input data/ETTh1.csv --holdout --plot fc.svg\n";

/* the window the model sees: the last context_length rows (before the held-out ones) */
typedef struct {
    ptm_csv tab;
    ptm_preprocessor pp;   /* MODEL_DIR/preprocessor_config.json, if any (present) */
    int *colidx;           /* [C] the input column of each channel */
    float *past, *obs;     /* [L, C] in the data's units */
    float *inp;            /* [L, C] what the model reads: past through pp's scaler */
    float *fut;            /* [H, C] known future of exogenous channels (ttm_future), or NULL */
    int64_t *cat;          /* [n_cat] static categorical codes (ttm_static_codes) */
    size_t r0, last, hold; /* first and last row of the window, rows held out after it */
} predict_input;

/* -1 to go on with *o filled, else the exit code (help printed, usage error) */
static int predict_args(int argc, char **argv, predict_opts *o) {
    memset(o, 0, sizeof *o);
    o->output = "-";
    o->plot_history = -1;
    o->threads = 1;
    o->quant[0] = 0.1f;
    o->quant[1] = 0.5f;
    o->quant[2] = 0.9f;
    o->nq = 3;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(PREDICT_USAGE, stdout);
            fputs(PREDICT_LONG_USAGE, stdout);
            return 0;
        }
        int has_val = i + 1 < argc, lrc = predict_long_arg(argc, argv, &i, o);
        if (lrc >= 0) {
            if (lrc > 0) return lrc;
            continue;
        }
        int t = ttm_option("predict", argc, argv, &i, &o->ttm);
        if (t == -2) continue;
        if (t >= 0) return t;
        if (strcmp(a, "--holdout") == 0) {
            o->holdout = 1;
            continue;
        }
        if (strcmp(a, "--plot") == 0 || strcmp(a, "--plot-columns") == 0 ||
            strcmp(a, "--plot-history") == 0) {
            if (!has_val) return fail_usage("predict", "option '%s' needs a value", a);
            if (strcmp(a, "--plot") == 0)
                o->plot = argv[++i];
            else if (strcmp(a, "--plot-columns") == 0)
                o->plot_columns = argv[++i];
            else if (parse_int(argv[++i], 0, 1L << 30, &o->plot_history) != 0)
                return fail_usage("predict", "--plot-history '%s' is not an integer >= 0", argv[i]);
            continue;
        }
        if (strcmp(a, "--input") == 0 || strcmp(a, "--output") == 0 ||
            strcmp(a, "--columns") == 0 || strcmp(a, "--samples") == 0 ||
            strcmp(a, "--quantiles") == 0 || strcmp(a, "--seed") == 0 ||
            strcmp(a, "--delimiter") == 0 || strcmp(a, "--threads") == 0 ||
            strcmp(a, "--max-model-memory") == 0) {
            if (!has_val) return fail_usage("predict", "option '%s' needs a value", a);
            const char *v = argv[++i];
            if (strcmp(a, "--input") == 0)
                o->input = v;
            else if (strcmp(a, "--output") == 0)
                o->output = v;
            else if (strcmp(a, "--columns") == 0)
                o->columns = v;
            else if (strcmp(a, "--max-model-memory") == 0) {
                if (parse_bytes(v, &o->max_model) != 0)
                    return fail_usage("predict", "--max-model-memory '%s': expected a byte count",
                                      v);
            } else if (strcmp(a, "--samples") == 0) {
                if (parse_int(v, 1, 1000000, &o->samples) != 0)
                    return fail_usage("predict", "--samples '%s' is not an integer in [1, 1000000]",
                                      v);
            } else if (strcmp(a, "--threads") == 0) {
                if (parse_int(v, 1, 256, &o->threads) != 0)
                    return fail_usage("predict", "--threads '%s' is not an integer in [1, 256]", v);
            } else if (strcmp(a, "--seed") == 0) {
                if (parse_int(v, 0, 2147483647L, &o->seed) != 0)
                    return fail_usage("predict", "--seed '%s' is not a non-negative integer", v);
            } else if (strcmp(a, "--quantiles") == 0) {
                o->quant_given = 1;
                if (parse_list_f(v, o->quant, 64, &o->nq) != 0)
                    return fail_usage("predict", "--quantiles '%s' is not a list like 0.1,0.5,0.9",
                                      v);
                for (int k = 0; k < o->nq; k++)
                    if (!(o->quant[k] >= 0.0f && o->quant[k] <= 1.0f))
                        return fail_usage("predict", "--quantiles '%s': each must be in [0, 1]", v);
            } else {
                if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0)
                    o->delim = '\t';
                else if (strlen(v) == 1 && (v[0] == ',' || v[0] == ';'))
                    o->delim = v[0];
                else
                    return fail_usage("predict", "--delimiter '%s': expected ',', ';' or 'tab'", v);
            }
            continue;
        }
        if (a[0] == '-' && a[1]) return fail_usage("predict", "unknown option '%s'", a);
        if (o->dir) return fail_usage("predict", "unexpected argument '%s'", a);
        o->dir = a;
    }
    if (!o->dir) return fail_usage("predict", "%smissing MODEL_DIR", "");
    if (!o->input) return fail_usage("predict", "%smissing --input PAST.csv", "");
    if (!o->long_mode) {
        ptm_long_params lp = {o->id_col, o->time_col, o->target_col, o->delim};
        o->long_mode = ptm_long_sniff(o->input, &lp);
    }
    if (o->long_mode && o->ttm.static_cat)
        return fail_usage("predict",
                          "--static-categorical reads one series' codes: long-format input "
                          "(many series) takes none yet%s",
                          "");
    return -1;
}

/* usage errors that need the model: -1 to go on, else the exit code */
static int predict_check_model(const predict_opts *o, const ptm_config *c) {
    int t = ttm_check_options("predict", &o->ttm, c, o->columns);
    if (t >= 0) return t;
    if (o->samples > 0 && c->loss != PTM_LOSS_NLL)
        return fail_usage("predict", "--samples needs a distribution head (loss \"nll\")%s", "");
    if ((o->plot || o->holdout) && c->model_class != PTM_CLASS_PREDICTION)
        return fail_usage("predict", "%s is for forecasters (PatchTSMixerForPrediction)",
                          o->plot ? "--plot" : "--holdout");
    if (o->plot && strcmp(o->plot, "-") == 0 && strcmp(o->output, "-") == 0)
        return fail_usage("predict", "--plot - and --output - would both write to %s",
                          "standard output");
    return -1;
}

/* a model with a preprocessor: its columns by name, in its order; --columns, if given, must
 * name the same */
static ptm_status predict_columns_by_name(const predict_opts *o, const ptm_preprocessor *pp,
                                          predict_input *pi, ptm_error *err) {
    if (o->columns) {
        int n = 0, same;
        ptm_status s = ptm_csv_select_columns(&pi->tab, o->columns, o->input, pi->colidx, &n, err);
        if (s != PTM_OK) return s;
        same = n == pp->ncols;
        for (int j = 0; same && j < n; j++)
            same = strcmp(pi->tab.colnames[pi->colidx[j]], pp->columns[j]) == 0;
        if (!same)
            return cli_error(err, PTM_ERR_INPUT, o->input, "--columns",
                             "the model was trained on other columns (%d, in the order of %s/"
                             "preprocessor_config.json, starting with \"%s\"); leave --columns "
                             "out to pick them by name",
                             pp->ncols, o->dir, pp->columns[0]);
    }
    return ptm_preprocessor_columns(pp, &pi->tab, o->input, pi->colidx, err);
}

/* read the CSV, pick the channels and copy out the window; PTM_OK or an error in *err */
static ptm_status predict_window(const predict_opts *o, ptm_config *c, predict_input *pi,
                                 ptm_error *err) {
    const char *input = o->input;
    size_t n_in = strlen(input);
    if (n_in >= 3 && strcasecmp(input + n_in - 3, ".ts") == 0)
        return cli_error(err, PTM_ERR_INPUT, input, NULL,
                         "a .ts file holds cases for classifiers and regressors, predict reads a "
                         "CSV of past values: score a model on .ts cases with `patchtsmixer eval "
                         "%s --data %s`",
                         o->dir, input);
    ptm_status s = ptm_csv_load(input, o->delim, &pi->tab, err);
    if (s != PTM_OK) return s;
    const ptm_csv *tab = &pi->tab;
    int C = c->num_input_channels, L = c->context_length;
    /* --holdout: the window ends prediction_length rows before the end of the file */
    pi->hold = o->holdout ? (size_t)cli_forecast_steps(c) : 0;
    pi->colidx = malloc(sizeof(int) * (tab->ncols + (size_t)C + 1));
    if (!pi->colidx) return cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    if (c->family == PTM_FAMILY_TTM && !pi->pp.present) {
        /* any number of channels (the context refuses a count the model cannot take) */
        if ((s = ttm_channels(&o->ttm, c, tab, input, o->columns, pi->colidx, &C, err)) != PTM_OK)
            return s;
        c->num_input_channels = C;
        if (!c->prediction_channel_indices) c->num_prediction_channels = C;
    } else if (pi->pp.present) {
        if ((s = predict_columns_by_name(o, &pi->pp, pi, err)) != PTM_OK) return s;
    } else if (o->columns) {
        int n = 0;
        s = ptm_csv_select_columns(tab, o->columns, input, pi->colidx, &n, err);
        if (s != PTM_OK) return s;
        if (n != C)
            return cli_error(err, PTM_ERR_INPUT, input, "--columns",
                             "%d columns selected, the model expects %d (num_input_channels)", n,
                             C);
    } else {
        if ((int)tab->ncols != C)
            return cli_error(err, PTM_ERR_INPUT, input, NULL,
                             "%zu value columns, the model expects %d (num_input_channels); "
                             "choose columns with --columns",
                             tab->ncols, C);
        for (int j = 0; j < C; j++) pi->colidx[j] = j;
    }
    int pad = o->ttm.pad && tab->nrows > pi->hold;
    if (tab->nrows < (size_t)L && !pad)
        return cli_error(err, PTM_ERR_INPUT, input, NULL,
                         "%zu data rows, the model needs at least context_length = %d (or --pad)",
                         tab->nrows, L);
    if (tab->nrows < (size_t)L + pi->hold && !pad)
        return cli_error(err, PTM_ERR_INPUT, input, NULL,
                         "%zu data rows; --holdout needs context_length + prediction_length = %zu",
                         tab->nrows, (size_t)L + pi->hold);
    pi->past = malloc(sizeof(float) * (size_t)L * C);
    pi->obs = malloc(sizeof(float) * (size_t)L * C);
    pi->inp = malloc(sizeof(float) * (size_t)L * C);
    if (!pi->past || !pi->obs || !pi->inp)
        return cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    /* --pad: the rows missing before the first one are zeros, observed (granite-tsfm) */
    size_t avail = tab->nrows - pi->hold, npad = avail < (size_t)L ? (size_t)L - avail : 0;
    pi->r0 = avail - ((size_t)L - npad);
    pi->last = avail - 1;
    for (size_t t = 0; t < (size_t)L; t++)
        for (int j = 0; j < C; j++) {
            size_t src = (pi->r0 + (t < npad ? 0 : t - npad)) * tab->ncols + (size_t)pi->colidx[j];
            pi->past[t * C + j] = t < npad ? 0.0f : tab->values[src];
            pi->obs[t * C + j] = t < npad ? 1.0f : tab->observed[src];
        }
    memcpy(pi->inp, pi->past, sizeof(float) * (size_t)L * C);
    ptm_scaler_transform(&pi->pp.scaler, pi->inp, pi->obs, (size_t)L); /* no-op without one */
    return PTM_OK;
}

/* forecasters: the forecast CSV (timestamps continuing the input's, or steps), quantile
 * columns with --samples, then the --plot picture; 0, or -1 with *err filled */
static int write_forecast(ptm_ctx *ctx, const ptm_config *c, const predict_opts *o,
                          const predict_input *pi, FILE *f, ptm_error *err) {
    int H = cli_forecast_steps(c), Cs = c->num_prediction_channels, L = c->context_length;
    int nq = o->nq, rc = -1;
    const ptm_csv *tab = &pi->tab;
    float *qout = NULL, *yunits = NULL;
    ptm_tensor_view y;
    if (ptm_ctx_output(ctx, c->loss == PTM_LOSS_NLL ? "distribution_mean" : "prediction_outputs",
                       &y, err) != PTM_OK)
        return -1;
    if (o->samples > 0 && sample_quantiles(ctx, (int)o->samples, (uint64_t)o->seed, (size_t)H * Cs,
                                           o->quant, o->nq, &qout, err) != 0)
        goto done;
    /* a model trained on scaled data: forecasts back to the data's units */
    if (!(yunits = malloc(sizeof(float) * (size_t)H * Cs))) {
        cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
        goto done;
    }
    memcpy(yunits, y.data, sizeof(float) * (size_t)H * Cs);
    ptm_scaler_inverse(&pi->pp.scaler, yunits, (size_t)H, Cs, c->prediction_channel_indices);
    if (qout)
        ptm_scaler_inverse(&pi->pp.scaler, qout, (size_t)nq * H, Cs, c->prediction_channel_indices);
    int64_t step = 0;
    int timed = tab->time_parsed && ptm_csv_time_step(tab, (size_t)L + pi->hold, &step);
    fprintf(f, "%s", timed ? (tab->time_colname ? tab->time_colname : "date") : "step");
    for (int j = 0; j < Cs; j++) {
        int ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
        fprintf(f, ",%s", tab->colnames[pi->colidx[ch]]);
    }
    if (o->samples > 0)
        for (int k = 0; k < nq; k++)
            for (int j = 0; j < Cs; j++) {
                int ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
                fprintf(f, ",%s_q%g", tab->colnames[pi->colidx[ch]], (double)o->quant[k]);
            }
    fprintf(f, "\n");
    for (int t = 0; t < H; t++) {
        if (timed) {
            char ts[96];
            ptm_csv_format_time(tab->time_sec[pi->last] + step * (t + 1), tab->time_text[pi->last],
                                ts, sizeof ts);
            fprintf(f, "%s", ts);
        } else {
            fprintf(f, "%d", t + 1);
        }
        for (int j = 0; j < Cs; j++) fprintf(f, ",%.7g", (double)yunits[(size_t)t * Cs + j]);
        if (o->samples > 0)
            for (int k = 0; k < nq; k++)
                for (int j = 0; j < Cs; j++)
                    fprintf(f, ",%.7g", (double)qout[((size_t)k * H + t) * Cs + (size_t)j]);
        fprintf(f, "\n");
    }
    if (o->plot) {
        predict_plot pp;
        memset(&pp, 0, sizeof pp);
        pp.path = o->plot;
        pp.columns = o->plot_columns;
        pp.dir = o->dir;
        pp.input = o->input;
        pp.c = c;
        pp.tab = tab;
        pp.colidx = pi->colidx;
        pp.past = pi->past;
        pp.obs = pi->obs;
        pp.y = yunits;
        pp.r0 = pi->r0;
        pp.last = pi->last;
        pp.step = timed ? step : 0;
        pp.samples = (int)o->samples;
        pp.quant = o->quant;
        pp.nq = nq;
        pp.qout = qout;
        pp.seed = o->seed;
        pp.history = (int)o->plot_history;
        if (draw_predict_plot(ctx, &pp, err) != 0) goto done;
    }
    rc = 0;
done:
    free(qout);
    free(yunits);
    return rc;
}

/* classifiers: the predicted class and the softmax of the logits */
static int write_class(ptm_ctx *ctx, const ptm_config *c, FILE *f, ptm_error *err) {
    ptm_tensor_view y;
    if (ptm_ctx_output(ctx, "prediction_outputs", &y, err) != PTM_OK) return -1;
    int T = c->num_targets, best = 0;
    double mx = -INFINITY, sum = 0.0;
    for (int k = 0; k < T; k++)
        if ((double)y.data[k] > mx) {
            mx = (double)y.data[k];
            best = k;
        }
    for (int k = 0; k < T; k++) sum += exp((double)y.data[k] - mx);
    /* with class names (config.json's id2label) a label column follows the index */
    const char *label = c->num_labels == T && c->id2label ? c->id2label[best] : NULL;
    fprintf(f, "class%s", label ? ",label" : "");
    for (int k = 0; k < T; k++) fprintf(f, ",p%d", k);
    fprintf(f, "\n%d", best);
    if (label) {
        fputc(',', f);
        csv_field(f, label);
    }
    for (int k = 0; k < T; k++) fprintf(f, ",%.6g", exp((double)y.data[k] - mx) / sum);
    fprintf(f, "\n");
    return 0;
}

/* regressors: the targets (the mean for nll heads), quantile columns with --samples */
static int write_regression(ptm_ctx *ctx, const ptm_config *c, const predict_opts *o, FILE *f,
                            ptm_error *err) {
    int T = c->num_targets, nq = o->nq;
    ptm_tensor_view y;
    if (ptm_ctx_output(ctx, c->loss == PTM_LOSS_NLL ? "distribution_mean" : "regression_outputs",
                       &y, err) != PTM_OK)
        return -1;
    float *qout = NULL;
    if (o->samples > 0 && sample_quantiles(ctx, (int)o->samples, (uint64_t)o->seed, (size_t)T,
                                           o->quant, o->nq, &qout, err) != 0) {
        free(qout);
        return -1;
    }
    for (int k = 0; k < T; k++) fprintf(f, "%starget%d", k ? "," : "", k);
    if (o->samples > 0)
        for (int q = 0; q < nq; q++)
            for (int k = 0; k < T; k++) fprintf(f, ",target%d_q%g", k, (double)o->quant[q]);
    fprintf(f, "\n");
    for (int k = 0; k < T; k++) fprintf(f, "%s%.7g", k ? "," : "", (double)y.data[k]);
    if (o->samples > 0)
        for (int q = 0; q < nq; q++)
            for (int k = 0; k < T; k++)
                fprintf(f, ",%.7g", (double)qout[(size_t)q * T + (size_t)k]);
    fprintf(f, "\n");
    free(qout);
    return 0;
}

int cmd_predict(int argc, char **argv) {
    predict_opts o;
    int rc = predict_args(argc, argv, &o);
    if (rc >= 0) return rc;
    ptm_error err;
    memset(&err, 0, sizeof err);
    ptm_model *m = NULL;
    ptm_ctx *ctx = NULL;
    predict_input pi;
    memset(&pi, 0, sizeof pi);
    rc = EXIT_RUNTIME;
    ptm_load_params lp = ptm_load_default_params();
    lp.max_bytes = o.max_model;
    if (ptm_model_load_ex(o.dir, &lp, &m, &err) != PTM_OK) goto fail;
    const ptm_config *c = ptm_model_config(m);
    if (c->model_class == PTM_CLASS_MODEL || c->model_class == PTM_CLASS_PRETRAINING) {
        cli_error(&err, PTM_ERR_UNSUPPORTED, o.dir, "architectures",
                  "%s has no prediction head; predict needs a forecasting, classification or "
                  "regression model",
                  ptm_class_name(c->model_class));
        goto fail;
    }
    if ((rc = predict_check_model(&o, c)) >= 0) goto done;
    rc = EXIT_RUNTIME;
    if (ptm_preprocessor_load(o.dir, &pi.pp, &err) != PTM_OK) goto fail;
    if (pi.pp.present && pi.pp.ncols != c->num_input_channels) {
        cli_error(&err, PTM_ERR_CONFIG, o.dir, "preprocessor_config.json",
                  "lists %d columns, config.json has %d channels (num_input_channels)", pi.pp.ncols,
                  c->num_input_channels);
        goto fail;
    }
    if (!o.long_mode) o.long_mode = long_model_sniff(&pi.pp, o.input, o.delim);
    if (!o.long_mode && (o.nlev || o.strict || o.alias)) {
        rc = fail_usage("predict", "--levels, --strict and --alias are for long-format input%s",
                        " (--long)");
        goto done;
    }
    if (o.long_mode) {
        rc = predict_long(&o, m, &pi.pp);
        goto done;
    }
    /* the config as the context sees it: a TinyTimeMixer model takes the input's channels */
    ptm_config ec = *c;
    if (predict_window(&o, &ec, &pi, &err) != PTM_OK) goto fail;
    c = &ec;
    int64_t tok = 0;
    size_t rows = pi.tab.nrows < (size_t)c->context_length + pi.hold
                      ? pi.tab.nrows
                      : (size_t)c->context_length + pi.hold;
    if (!(pi.cat = malloc(sizeof(int64_t) * ((size_t)c->ttm.num_categorical + 1)))) {
        cli_error(&err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
        goto fail;
    }
    if (ttm_freq_token(&o.ttm, c, &pi.tab, o.input, rows, &tok, &err) != PTM_OK ||
        ttm_static_codes(&o.ttm, c, &pi.tab, o.input, pi.r0, pi.last + 1 - pi.r0, pi.cat, &err) !=
            PTM_OK ||
        ttm_future(&o.ttm, c, c->num_input_channels, &pi.tab, pi.colidx, pi.last + 1, pi.hold,
                   &pi.fut, &err) != PTM_OK)
        goto fail;
    if (pi.fut) /* a model trained on scaled data reads scaled future values */
        ptm_scaler_transform(&pi.pp.scaler, pi.fut, NULL, (size_t)c->prediction_length);

    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = 1;
    cp.keep_hidden_states = 0;
    cp.num_threads = (int)o.threads;
    if (c->family == PTM_FAMILY_TTM) cp.num_input_channels = c->num_input_channels;
    if (ptm_ctx_create(m, &cp, &ctx, &err) != PTM_OK) goto fail;
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 1;
    in.past_values = pi.inp;
    in.observed_mask = pi.obs;
    in.freq_token = c->ttm.resolution_prefix_tuning ? &tok : NULL;
    in.future_values = pi.fut;
    in.static_categorical_values = ttm_reads_categoricals(c) ? pi.cat : NULL;
    if (ptm_forward(ctx, &in, &err) != PTM_OK) goto fail;

    outfile out;
    if (open_out(&out, o.output, &err) != 0) goto fail;
    int wrc = c->model_class == PTM_CLASS_PREDICTION ? write_forecast(ctx, c, &o, &pi, out.f, &err)
              : c->model_class == PTM_CLASS_CLASSIFICATION
                  ? write_class(ctx, c, out.f, &err)
                  : write_regression(ctx, c, &o, out.f, &err);
    if (wrc != 0) {
        abort_out(&out);
        goto fail;
    }
    if (close_out(&out, &err) != 0) goto fail;
    rc = 0;
    goto done;
fail:
    rc = fail_status(&err);
done:
    free(pi.past);
    free(pi.obs);
    free(pi.inp);
    free(pi.fut);
    free(pi.cat);
    free(pi.colidx);
    ptm_preprocessor_free(&pi.pp);
    ptm_csv_free(&pi.tab);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
    return rc;
}
