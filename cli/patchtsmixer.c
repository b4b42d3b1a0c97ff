/* patchtsmixer.c - the `patchtsmixer` command line tool, over the public API only.
 *
 *   patchtsmixer info MODEL_DIR
 *   patchtsmixer predict MODEL_DIR --input past.csv [--output out.csv] [--columns a,b]
 *                        [--samples N] [--quantiles 0.1,0.5,0.9] [--seed S]
 *                        [--plot FILE.svg] [--plot-columns a,b] [--holdout]
 *   patchtsmixer --version | --help | COMMAND --help
 *
 * Errors are printed as one line "patchtsmixer: <file>: <field>: <what>" on stderr.
 * Exit codes: 0 success, 1 runtime error (bad model, bad input, I/O), 2 usage error.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"

int fail_status(const ptm_error *err) {
    char msg[2048];
    fprintf(stderr, "patchtsmixer: %s\n", ptm_error_message(err, msg, sizeof msg));
    return EXIT_RUNTIME;
}

int fail_usage(const char *cmd, const char *fmt, const char *arg) {
    fprintf(stderr, "patchtsmixer%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see 'patchtsmixer %s%s--help')\n", cmd ? cmd : "", cmd ? " " : "");
    return EXIT_USAGE;
}

static const char *USAGE =
    "usage: patchtsmixer <command> [options]\n"
    "\n"
    "PatchTSMixer time-series models (Hugging Face checkpoints) in C.\n"
    "\n"
    "commands:\n"
    "  info MODEL_DIR        describe a checkpoint (class, config, parameters, cost)\n"
    "  predict MODEL_DIR     forecast / classify / regress from a CSV of past values\n"
    "  train                 train, pretrain or fine-tune a model (Hugging Face checkpoints)\n"
    "  eval MODEL_DIR        test-set metrics (MSE/MAE, accuracy, RMSE)\n"
    "\n"
    "options:\n"
    "  --help                this help; 'patchtsmixer COMMAND --help' for a command\n"
    "  --version             print the version\n"
    "\n"
    "exit codes: 0 success, 1 runtime error, 2 usage error\n"
    "example: patchtsmixer predict models/etth1 --input data/ETTh1.csv\n";

static const char *INFO_USAGE =
    "usage: patchtsmixer info MODEL_DIR [--json]\n"
    "\n"
    "Loads MODEL_DIR/config.json and MODEL_DIR/model.safetensors (as Hugging Face's\n"
    "save_pretrained writes them), checks every tensor, and prints the model class, its\n"
    "configuration, the parameter count and the multiply-adds of one forward pass.\n"
    "  --json   the same as one JSON object (config keys as in config.json)\n"
    "\n"
    "example: patchtsmixer info models/etth1\n"
    "         patchtsmixer info models/etth1 --json\n";

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
    "  --samples N         distribution heads: sample N paths                 [default 0]\n"
    "  --quantiles Q,...   quantiles of the samples                  [default 0.1,0.5,0.9]\n"
    "  --seed S            seed of the sampler                                [default 0]\n"
    "  --threads N         worker threads                                     [default 1]\n"
    "  --plot FILE.svg     forecasters: draw history, forecast, the interval of\n"
    "                      the quantiles (distribution heads; 200 samples unless\n"
    "                      --samples) and held-out values, one panel per channel\n"
    "  --plot-columns A,B  draw only these forecast channels            [default all]\n"
    "  --plot-history N    draw the last N steps of the context (0 = all)\n"
    "                      [default: 2 x prediction_length, at most the context]\n"
    "  --holdout           forecasters: forecast the last prediction_length rows\n"
    "                      from the context_length rows before them (a backtest;\n"
    "                      --plot shows the held-out rows as actual values)\n"
    "\n"
    "example: patchtsmixer predict models/etth1 --input data/ETTh1.csv --output fc.csv\n"
    "         patchtsmixer predict models/etth1 --input data/ETTh1.csv --holdout --plot fc.svg\n";

/* ------------------------------------------------------------------ info */

static const char *mode_name(ptm_mode m) {
    return m == PTM_MODE_MIX_CHANNEL ? "mix_channel" : "common_channel";
}
static const char *scaling_name(ptm_scaling s) {
    return s == PTM_SCALING_STD ? "std" : s == PTM_SCALING_MEAN ? "mean" : "none";
}
static const char *dist_name(ptm_dist d) {
    return d == PTM_DIST_STUDENT_T ? "student_t"
           : d == PTM_DIST_NORMAL  ? "normal"
                                   : "negative_binomial";
}
static const char *agg_name(ptm_agg a) {
    return a == PTM_AGG_MAX_POOL   ? "max_pool"
           : a == PTM_AGG_AVG_POOL ? "avg_pool"
           : a == PTM_AGG_USE_LAST ? "use_last"
                                   : "none (flatten all patches)";
}

/* a JSON string literal */
static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void json_ints(FILE *f, const int *v, int n) {
    if (!v) {
        fputs("null", f);
        return;
    }
    fputc('[', f);
    for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? ", " : "", v[i]);
    fputc(']', f);
}

/* info --json: the model as one JSON object, config keys named as in config.json */
static void info_json(const char *dir, const ptm_model *m) {
    const ptm_config *c = ptm_model_config(m);
    printf("{\"model\": ");
    json_str(stdout, dir);
    printf(", \"class\": \"%s\", \"parameters\": %lld, \"macs_per_sample\": %lld, "
           "\"version\": \"%s\",\n \"config\": {",
           ptm_class_name(c->model_class), (long long)ptm_model_num_params(m),
           (long long)ptm_model_macs_per_sample(m), ptm_version());
    printf(
        "\"context_length\": %d, \"patch_length\": %d, \"patch_stride\": %d, "
        "\"num_patches\": %d, \"num_input_channels\": %d, \"d_model\": %d, "
        "\"expansion_factor\": %d, \"num_layers\": %d, \"dropout\": %.9g, "
        "\"head_dropout\": %.9g, \"mode\": \"%s\", \"gated_attn\": %s, \"norm_mlp\": \"%s\", "
        "\"self_attn\": %s, \"self_attn_heads\": %d, \"use_positional_encoding\": %s, "
        "\"positional_encoding_type\": \"%s\", \"scaling\": ",
        c->context_length, c->patch_length, c->patch_stride, c->num_patches, c->num_input_channels,
        c->d_model, c->expansion_factor, c->num_layers, (double)c->dropout, (double)c->head_dropout,
        mode_name(c->mode), c->gated_attn ? "true" : "false",
        c->norm_mlp == PTM_NORM_BATCH ? "BatchNorm" : "LayerNorm", c->self_attn ? "true" : "false",
        c->self_attn_heads, c->use_positional_encoding ? "true" : "false",
        c->positional_encoding_type == PTM_PE_RANDOM ? "random" : "sincos");
    if (c->scaling == PTM_SCALING_NONE)
        printf("null");
    else
        printf("\"%s\"", scaling_name(c->scaling));
    printf(", \"loss\": \"%s\", \"distribution_output\": \"%s\", \"prediction_length\": %d, "
           "\"prediction_channel_indices\": ",
           c->loss == PTM_LOSS_NLL ? "nll" : "mse", dist_name(c->distribution_output),
           c->prediction_length);
    json_ints(stdout, c->prediction_channel_indices, c->num_prediction_channels);
    printf(", \"num_targets\": %d, \"output_range\": ", c->num_targets);
    if (c->has_output_range)
        printf("[%.9g, %.9g]", (double)c->output_range[0], (double)c->output_range[1]);
    else
        printf("null");
    printf(", \"head_aggregation\": ");
    if (c->head_aggregation == PTM_AGG_NONE)
        printf("null");
    else
        printf("\"%s\"", agg_name(c->head_aggregation));
    printf(", \"norm_eps\": %.9g, \"num_parallel_samples\": %d, \"mask_type\": \"%s\", "
           "\"random_mask_ratio\": %.17g, \"mask_value\": %.9g, \"masked_loss\": %s}}\n",
           (double)c->norm_eps, c->num_parallel_samples,
           c->mask_type == PTM_MASK_RANDOM ? "random" : "forecast", c->random_mask_ratio,
           (double)c->mask_value, c->masked_loss ? "true" : "false");
}

static int cmd_info(int argc, char **argv) {
    const char *dir = NULL;
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(INFO_USAGE, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return fail_usage("info", "unknown option '%s'", argv[i]);
        if (dir) return fail_usage("info", "unexpected argument '%s'", argv[i]);
        dir = argv[i];
    }
    if (!dir) return fail_usage("info", "%smissing MODEL_DIR", "");
    ptm_error err;
    ptm_model *m = NULL;
    if (ptm_model_load(dir, &m, &err) != PTM_OK) return fail_status(&err);
    if (json) {
        info_json(dir, m);
        ptm_model_free(m);
        return 0;
    }
    const ptm_config *c = ptm_model_config(m);
    printf("model:        %s\n", dir);
    printf("class:        %s\n", ptm_class_name(c->model_class));
    printf("input:        %d channels x %d time steps (context_length)\n", c->num_input_channels,
           c->context_length);
    printf("patching:     %d patches of length %d, stride %d\n", c->num_patches, c->patch_length,
           c->patch_stride);
    printf("backbone:     %d mixer layers, d_model %d, expansion %d, %s, %s%s%s\n", c->num_layers,
           c->d_model, c->expansion_factor, mode_name(c->mode),
           c->norm_mlp == PTM_NORM_BATCH ? "BatchNorm" : "LayerNorm",
           c->gated_attn ? ", gated attention" : "", c->self_attn ? ", self-attention" : "");
    if (c->self_attn) printf("self-attn:    %d heads\n", c->self_attn_heads);
    if (c->use_positional_encoding)
        printf("positions:    %s positional encoding\n",
               c->positional_encoding_type == PTM_PE_RANDOM ? "learned (random)" : "sincos");
    printf("scaling:      %s\n", scaling_name(c->scaling));
    switch (c->model_class) {
    case PTM_CLASS_PREDICTION:
        printf("head:         forecast %d steps of %d channel%s", c->prediction_length,
               c->num_prediction_channels, c->num_prediction_channels == 1 ? "" : "s");
        if (c->prediction_channel_indices) {
            printf(" (channels");
            for (int i = 0; i < c->num_prediction_channels; i++)
                printf(" %d", c->prediction_channel_indices[i]);
            printf(")");
        }
        printf(", loss %s", c->loss == PTM_LOSS_NLL ? "nll" : "mse");
        if (c->loss == PTM_LOSS_NLL)
            printf(" (%s distribution)", dist_name(c->distribution_output));
        printf("\n");
        break;
    case PTM_CLASS_CLASSIFICATION:
        printf("head:         %d classes, aggregation %s\n", c->num_targets,
               agg_name(c->head_aggregation));
        break;
    case PTM_CLASS_REGRESSION:
        printf("head:         %d targets, aggregation %s, loss %s", c->num_targets,
               agg_name(c->head_aggregation), c->loss == PTM_LOSS_NLL ? "nll" : "mse");
        if (c->loss == PTM_LOSS_NLL)
            printf(" (%s distribution)", dist_name(c->distribution_output));
        if (c->has_output_range)
            printf(", output range [%g, %g]", (double)c->output_range[0],
                   (double)c->output_range[1]);
        printf("\n");
        break;
    case PTM_CLASS_PRETRAINING:
        printf("head:         masked reconstruction (%s masking, %s loss)\n",
               c->mask_type == PTM_MASK_RANDOM ? "random" : "forecast",
               c->masked_loss ? "masked" : "full");
        break;
    case PTM_CLASS_MODEL:
        printf("head:         none (backbone only)\n");
        break;
    }
    int64_t np = ptm_model_num_params(m);
    int64_t macs = ptm_model_macs_per_sample(m);
    printf("parameters:   %lld (%.2f MiB as float32)\n", (long long)np, (double)np * 4 / 1048576.0);
    printf("cost:         %lld multiply-adds per sample (%.2f MFLOP)\n", (long long)macs,
           (double)macs * 2e-6);
    ptm_model_free(m);
    return 0;
}

/* ------------------------------------------------------------------ predict */

static int parse_list_f(const char *s, float *out, int max, int *n) {
    *n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || *n >= max) return -1;
        out[(*n)++] = (float)v;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return *n > 0 ? 0 : -1;
}

static int parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

typedef struct {
    FILE *f;
    const char *path;
} outfile;

static int open_out(outfile *o, const char *path, ptm_error *err) {
    o->path = path;
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    o->f = fopen(path, "w");
    if (!o->f) {
        snprintf(err->file, sizeof err->file, "%s", path);
        err->field[0] = 0;
        snprintf(err->text, sizeof err->text, "cannot write: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int close_out(outfile *o, ptm_error *err) {
    int bad = ferror(o->f);
    if (o->f != stdout)
        bad |= fclose(o->f) != 0;
    else
        bad |= fflush(stdout) != 0;
    if (bad) {
        snprintf(err->file, sizeof err->file, "%s", o->path);
        err->field[0] = 0;
        snprintf(err->text, sizeof err->text, "write failed");
        return -1;
    }
    return 0;
}

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
 * held-out actual values) into pp->path. Returns 0, or -1 with *err filled. */
static int draw_predict_plot(ptm_ctx *ctx, const predict_plot *pp, ptm_error *err) {
    const ptm_config *c = pp->c;
    int L = c->context_length, H = c->prediction_length, C = c->num_input_channels;
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
    for (int j = 0; j < Cs; j++) {
        int ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
        const char *name = pp->tab->colnames[pp->colidx[ch]];
        if (pp->columns) {
            /* --plot-columns: is name in the comma-separated list? */
            size_t len = strlen(name);
            const char *p = pp->columns;
            int found = 0;
            while (*p && !found) {
                const char *e = strchr(p, ',');
                size_t l = e ? (size_t)(e - p) : strlen(p);
                found = l == len && strncmp(p, name, len) == 0;
                p = e ? e + 1 : p + l;
            }
            if (!found) continue;
        }
        pick[n] = j;
        names[n++] = name;
    }
    if (n == 0) {
        snprintf(err->field, sizeof err->field, "--plot-columns");
        snprintf(err->text, sizeof err->text, "none of '%s' is a forecast channel", pp->columns);
        goto done;
    }
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
    if (plot_forecast(pp->path, &d) != 0) {
        snprintf(err->file, sizeof err->file, "%s", pp->path);
        snprintf(err->text, sizeof err->text, "cannot write: %s", strerror(errno));
        goto done;
    }
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

static int cmd_predict(int argc, char **argv) {
    const char *dir = NULL, *input = NULL, *output = "-", *columns = NULL;
    const char *plot = NULL, *plot_columns = NULL;
    int holdout = 0;
    long plot_history = -1;
    long samples = 0, seed = 0, threads = 1;
    char delim = 0;
    float quant[64] = {0.1f, 0.5f, 0.9f};
    int nq = 3;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(PREDICT_USAGE, stdout);
            return 0;
        }
        int has_val = i + 1 < argc;
        if (strcmp(a, "--holdout") == 0) {
            holdout = 1;
            continue;
        }
        if (strcmp(a, "--plot") == 0 || strcmp(a, "--plot-columns") == 0 ||
            strcmp(a, "--plot-history") == 0) {
            if (!has_val) return fail_usage("predict", "option '%s' needs a value", a);
            if (strcmp(a, "--plot") == 0)
                plot = argv[++i];
            else if (strcmp(a, "--plot-columns") == 0)
                plot_columns = argv[++i];
            else if (parse_int(argv[++i], 0, 1L << 30, &plot_history) != 0)
                return fail_usage("predict", "--plot-history '%s' is not an integer >= 0", argv[i]);
            continue;
        }
        if (strcmp(a, "--input") == 0 || strcmp(a, "--output") == 0 ||
            strcmp(a, "--columns") == 0 || strcmp(a, "--samples") == 0 ||
            strcmp(a, "--quantiles") == 0 || strcmp(a, "--seed") == 0 ||
            strcmp(a, "--delimiter") == 0 || strcmp(a, "--threads") == 0) {
            if (!has_val) return fail_usage("predict", "option '%s' needs a value", a);
            const char *v = argv[++i];
            if (strcmp(a, "--input") == 0)
                input = v;
            else if (strcmp(a, "--output") == 0)
                output = v;
            else if (strcmp(a, "--columns") == 0)
                columns = v;
            else if (strcmp(a, "--samples") == 0) {
                if (parse_int(v, 1, 1000000, &samples) != 0)
                    return fail_usage("predict", "--samples '%s' is not an integer in [1, 1000000]",
                                      v);
            } else if (strcmp(a, "--threads") == 0) {
                if (parse_int(v, 1, 256, &threads) != 0)
                    return fail_usage("predict", "--threads '%s' is not an integer in [1, 256]", v);
            } else if (strcmp(a, "--seed") == 0) {
                if (parse_int(v, 0, 2147483647L, &seed) != 0)
                    return fail_usage("predict", "--seed '%s' is not a non-negative integer", v);
            } else if (strcmp(a, "--quantiles") == 0) {
                if (parse_list_f(v, quant, 64, &nq) != 0)
                    return fail_usage("predict", "--quantiles '%s' is not a list like 0.1,0.5,0.9",
                                      v);
                for (int k = 0; k < nq; k++)
                    if (!(quant[k] >= 0.0f && quant[k] <= 1.0f))
                        return fail_usage("predict", "--quantiles '%s': each must be in [0, 1]", v);
            } else {
                if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0)
                    delim = '\t';
                else if (strlen(v) == 1 && (v[0] == ',' || v[0] == ';'))
                    delim = v[0];
                else
                    return fail_usage("predict", "--delimiter '%s': expected ',', ';' or 'tab'", v);
            }
            continue;
        }
        if (a[0] == '-' && a[1]) return fail_usage("predict", "unknown option '%s'", a);
        if (dir) return fail_usage("predict", "unexpected argument '%s'", a);
        dir = a;
    }
    if (!dir) return fail_usage("predict", "%smissing MODEL_DIR", "");
    if (!input) return fail_usage("predict", "%smissing --input PAST.csv", "");

    ptm_error err;
    memset(&err, 0, sizeof err);
    ptm_model *m = NULL;
    ptm_ctx *ctx = NULL;
    ptm_csv tab;
    memset(&tab, 0, sizeof tab);
    float *past = NULL, *obs = NULL, *samp = NULL, *qout = NULL;
    int *colidx = NULL;
    int rc = EXIT_RUNTIME;
    if (ptm_model_load(dir, &m, &err) != PTM_OK) goto fail;
    const ptm_config *c = ptm_model_config(m);
    if (c->model_class == PTM_CLASS_MODEL || c->model_class == PTM_CLASS_PRETRAINING) {
        snprintf(err.file, sizeof err.file, "%s", dir);
        snprintf(err.field, sizeof err.field, "architectures");
        snprintf(err.text, sizeof err.text,
                 "%s has no prediction head; predict needs a forecasting, classification or "
                 "regression model",
                 ptm_class_name(c->model_class));
        goto fail;
    }
    if (samples > 0 && c->loss != PTM_LOSS_NLL) {
        rc = fail_usage("predict", "--samples needs a distribution head (loss \"nll\")%s", "");
        goto done;
    }
    if ((plot || holdout) && c->model_class != PTM_CLASS_PREDICTION) {
        rc = fail_usage("predict", "%s is for forecasters (PatchTSMixerForPrediction)",
                        plot ? "--plot" : "--holdout");
        goto done;
    }
    if (plot && strcmp(plot, "-") == 0 && strcmp(output, "-") == 0) {
        rc = fail_usage("predict", "--plot - and --output - would both write to %s",
                        "standard output");
        goto done;
    }
    if (ptm_csv_load(input, delim, &tab, &err) != PTM_OK) goto fail;
    int C = c->num_input_channels, L = c->context_length;
    /* --holdout: the window ends prediction_length rows before the end of the file */
    size_t hold = holdout ? (size_t)c->prediction_length : 0;
    colidx = malloc(sizeof(int) * (tab.ncols + (size_t)C + 1));
    if (!colidx) goto oom;
    if (columns) {
        int n = 0;
        if (ptm_csv_select_columns(&tab, columns, input, colidx, &n, &err) != PTM_OK) goto fail;
        if (n != C) {
            snprintf(err.file, sizeof err.file, "%s", input);
            snprintf(err.field, sizeof err.field, "--columns");
            snprintf(err.text, sizeof err.text,
                     "%d columns selected, the model expects %d (num_input_channels)", n, C);
            goto fail;
        }
    } else {
        if ((int)tab.ncols != C) {
            snprintf(err.file, sizeof err.file, "%s", input);
            err.field[0] = 0;
            snprintf(err.text, sizeof err.text,
                     "%zu value columns, the model expects %d (num_input_channels); choose "
                     "columns with --columns",
                     tab.ncols, C);
            goto fail;
        }
        for (int j = 0; j < C; j++) colidx[j] = j;
    }
    if (tab.nrows < (size_t)L) {
        snprintf(err.file, sizeof err.file, "%s", input);
        err.field[0] = 0;
        snprintf(err.text, sizeof err.text,
                 "%zu data rows, the model needs at least context_length = %d", tab.nrows, L);
        goto fail;
    }
    if (tab.nrows < (size_t)L + hold) {
        snprintf(err.file, sizeof err.file, "%s", input);
        err.field[0] = 0;
        snprintf(err.text, sizeof err.text,
                 "%zu data rows; --holdout needs context_length + prediction_length = %zu",
                 tab.nrows, (size_t)L + hold);
        goto fail;
    }
    past = malloc(sizeof(float) * (size_t)L * C);
    obs = malloc(sizeof(float) * (size_t)L * C);
    if (!past || !obs) goto oom;
    size_t r0 = tab.nrows - hold - (size_t)L, last = tab.nrows - hold - 1;
    for (int t = 0; t < L; t++)
        for (int j = 0; j < C; j++) {
            size_t src = (r0 + (size_t)t) * tab.ncols + (size_t)colidx[j];
            past[(size_t)t * C + j] = tab.values[src];
            obs[(size_t)t * C + j] = tab.observed[src];
        }

    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = 1;
    cp.keep_hidden_states = 0;
    cp.num_threads = (int)threads;
    if (ptm_ctx_create(m, &cp, &ctx, &err) != PTM_OK) goto fail;
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 1;
    in.past_values = past;
    in.observed_mask = obs;
    if (ptm_forward(ctx, &in, &err) != PTM_OK) goto fail;

    outfile o;
    if (open_out(&o, output, &err) != 0) goto fail;
    int nll = c->loss == PTM_LOSS_NLL;
    if (c->model_class == PTM_CLASS_PREDICTION) {
        int H = c->prediction_length, Cs = c->num_prediction_channels;
        ptm_tensor_view y;
        if (ptm_ctx_output(ctx, nll ? "distribution_mean" : "prediction_outputs", &y, &err) !=
            PTM_OK)
            goto fail;
        if (samples > 0) {
            size_t per = (size_t)H * Cs;
            samp = malloc(sizeof(float) * per * (size_t)samples);
            qout = malloc(sizeof(float) * per * (size_t)nq);
            if (!samp || !qout) goto oom;
            if (ptm_ctx_sample(ctx, (int)samples, (uint64_t)seed, samp, per * (size_t)samples,
                               &err) != PTM_OK ||
                ptm_quantiles(samp, 1, (int)samples, (int64_t)per, quant, nq, qout, &err) != PTM_OK)
                goto fail;
        }
        int64_t step = 0;
        int timed = tab.time_parsed && ptm_csv_time_step(&tab, (size_t)L + hold, &step);
        fprintf(o.f, "%s", timed ? (tab.time_colname ? tab.time_colname : "date") : "step");
        for (int j = 0; j < Cs; j++) {
            int ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
            const char *name = tab.colnames[colidx[ch]];
            fprintf(o.f, ",%s", name);
        }
        if (samples > 0)
            for (int k = 0; k < nq; k++)
                for (int j = 0; j < Cs; j++) {
                    int ch = c->prediction_channel_indices ? c->prediction_channel_indices[j] : j;
                    fprintf(o.f, ",%s_q%g", tab.colnames[colidx[ch]], (double)quant[k]);
                }
        fprintf(o.f, "\n");
        for (int t = 0; t < H; t++) {
            if (timed) {
                char ts[96];
                ptm_csv_format_time(tab.time_sec[last] + step * (t + 1), tab.time_text[last], ts,
                                    sizeof ts);
                fprintf(o.f, "%s", ts);
            } else {
                fprintf(o.f, "%d", t + 1);
            }
            for (int j = 0; j < Cs; j++) fprintf(o.f, ",%.7g", (double)y.data[(size_t)t * Cs + j]);
            if (samples > 0)
                for (int k = 0; k < nq; k++)
                    for (int j = 0; j < Cs; j++)
                        fprintf(o.f, ",%.7g", (double)qout[((size_t)k * H + t) * Cs + (size_t)j]);
            fprintf(o.f, "\n");
        }
        if (plot) {
            predict_plot pp;
            memset(&pp, 0, sizeof pp);
            pp.path = plot;
            pp.columns = plot_columns;
            pp.dir = dir;
            pp.input = input;
            pp.c = c;
            pp.tab = &tab;
            pp.colidx = colidx;
            pp.past = past;
            pp.obs = obs;
            pp.y = y.data;
            pp.r0 = r0;
            pp.last = last;
            pp.step = timed ? step : 0;
            pp.samples = (int)samples;
            pp.quant = quant;
            pp.nq = nq;
            pp.qout = qout;
            pp.seed = seed;
            pp.history = (int)plot_history;
            if (draw_predict_plot(ctx, &pp, &err) != 0) {
                close_out(&o, &err);
                goto fail;
            }
        }
    } else if (c->model_class == PTM_CLASS_CLASSIFICATION) {
        ptm_tensor_view y;
        if (ptm_ctx_output(ctx, "prediction_outputs", &y, &err) != PTM_OK) goto fail;
        int T = c->num_targets, best = 0;
        double mx = -INFINITY, sum = 0.0;
        for (int k = 0; k < T; k++)
            if ((double)y.data[k] > mx) {
                mx = (double)y.data[k];
                best = k;
            }
        for (int k = 0; k < T; k++) sum += exp((double)y.data[k] - mx);
        fprintf(o.f, "class");
        for (int k = 0; k < T; k++) fprintf(o.f, ",p%d", k);
        fprintf(o.f, "\n%d", best);
        for (int k = 0; k < T; k++) fprintf(o.f, ",%.6g", exp((double)y.data[k] - mx) / sum);
        fprintf(o.f, "\n");
    } else {
        int T = c->num_targets;
        ptm_tensor_view y;
        if (ptm_ctx_output(ctx, nll ? "distribution_mean" : "regression_outputs", &y, &err) !=
            PTM_OK)
            goto fail;
        if (samples > 0) {
            samp = malloc(sizeof(float) * (size_t)T * (size_t)samples);
            qout = malloc(sizeof(float) * (size_t)T * (size_t)nq);
            if (!samp || !qout) goto oom;
            if (ptm_ctx_sample(ctx, (int)samples, (uint64_t)seed, samp, (size_t)T * (size_t)samples,
                               &err) != PTM_OK ||
                ptm_quantiles(samp, 1, (int)samples, T, quant, nq, qout, &err) != PTM_OK)
                goto fail;
        }
        for (int k = 0; k < T; k++) fprintf(o.f, "%starget%d", k ? "," : "", k);
        if (samples > 0)
            for (int q = 0; q < nq; q++)
                for (int k = 0; k < T; k++) fprintf(o.f, ",target%d_q%g", k, (double)quant[q]);
        fprintf(o.f, "\n");
        for (int k = 0; k < T; k++) fprintf(o.f, "%s%.7g", k ? "," : "", (double)y.data[k]);
        if (samples > 0)
            for (int q = 0; q < nq; q++)
                for (int k = 0; k < T; k++)
                    fprintf(o.f, ",%.7g", (double)qout[(size_t)q * T + (size_t)k]);
        fprintf(o.f, "\n");
    }
    if (close_out(&o, &err) != 0) goto fail;
    rc = 0;
    goto done;
oom:
    snprintf(err.text, sizeof err.text, "out of memory");
    err.file[0] = err.field[0] = 0;
fail:
    rc = fail_status(&err);
done:
    free(past);
    free(obs);
    free(samp);
    free(qout);
    free(colidx);
    ptm_csv_free(&tab);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("patchtsmixer %s\n", ptm_version());
        return 0;
    }
    if (strcmp(cmd, "info") == 0) return cmd_info(argc - 2, argv + 2);
    if (strcmp(cmd, "predict") == 0) return cmd_predict(argc - 2, argv + 2);
    if (strcmp(cmd, "train") == 0) return cmd_train(argc - 2, argv + 2);
    if (strcmp(cmd, "eval") == 0) return cmd_eval(argc - 2, argv + 2);
    return fail_usage(NULL, "unknown command '%s'", cmd);
}
