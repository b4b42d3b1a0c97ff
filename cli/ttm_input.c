/* ttm_input.c - what `predict` gives a TinyTimeMixer model besides past values: its channels
 * (any number for a channel-independent model; --target / --exogenous by name for models with
 * exogenous channels), the frequency token of the prefix patch (from the CSV's time step by
 * granite-tsfm's DEFAULT_FREQUENCY_MAPPING, or --freq / --freq-token), and the known future of
 * the exogenous channels that a forecast channel mixer reads (--future, or the held-out rows),
 * and the static categorical codes of models with categorical variables (--static-categorical:
 * columns of integer codes, as granite-tsfm's static_categorical_columns after its encoder).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int ttm_option(const char *cmd, int argc, char **argv, int *i, ttm_opts *o) {
    const char *a = argv[*i];
    if (strcmp(a, "--pad") == 0) {
        o->pad = 1;
        return -2;
    }
    if (strcmp(a, "--target") != 0 && strcmp(a, "--exogenous") != 0 && strcmp(a, "--future") != 0 &&
        strcmp(a, "--freq") != 0 && strcmp(a, "--freq-token") != 0 &&
        strcmp(a, "--static-categorical") != 0)
        return -1;
    if (*i + 1 >= argc) return fail_usage(cmd, "option '%s' needs a value", a);
    const char *v = argv[++*i];
    if (strcmp(a, "--target") == 0)
        o->target = v;
    else if (strcmp(a, "--exogenous") == 0)
        o->exogenous = v;
    else if (strcmp(a, "--future") == 0)
        o->future = v;
    else if (strcmp(a, "--freq") == 0)
        o->freq = v;
    else if (strcmp(a, "--static-categorical") == 0)
        o->static_cat = v;
    else if (parse_int(v, 0, 1L << 30, &o->freq_token) != 0)
        return fail_usage(cmd, "--freq-token '%s' is not an integer >= 0", v);
    else
        o->has_freq_token = 1;
    return -2;
}

int ttm_check_options(const char *cmd, const ttm_opts *o, const ptm_config *c,
                      const char *columns) {
    if (c->family != PTM_FAMILY_TTM &&
        (o->target || o->exogenous || o->future || o->freq || o->has_freq_token || o->static_cat))
        return fail_usage(cmd,
                          "--target, --exogenous, --future, --freq, --freq-token and "
                          "--static-categorical are for TinyTimeMixer models%s",
                          "");
    if (o->static_cat && !ttm_reads_categoricals(c))
        return fail_usage(cmd,
                          "--static-categorical: this model has no static categorical variables "
                          "(categorical_vocab_size_list)%s",
                          "");
    if (columns && (o->target || o->exogenous))
        return fail_usage(cmd,
                          "--columns and --target/--exogenous both choose the channels: "
                          "give one%s",
                          "");
    if (o->freq && o->has_freq_token)
        return fail_usage(cmd, "--freq and --freq-token both give the frequency token%s", "");
    if ((o->freq || o->has_freq_token) && !c->ttm.resolution_prefix_tuning)
        return fail_usage(cmd,
                          "--freq/--freq-token: this model has no frequency token "
                          "(resolution_prefix_tuning is off)%s",
                          "");
    if (o->future && !ttm_reads_future(c))
        return fail_usage(cmd,
                          "--future: this model reads no known future values (it has no "
                          "forecast channel mixer with exogenous channels)%s",
                          "");
    return -1;
}

int ttm_reads_future(const ptm_config *c) {
    return c->family == PTM_FAMILY_TTM && c->model_class == PTM_CLASS_PREDICTION &&
           c->ttm.enable_forecast_channel_mixing && c->ttm.num_exogenous_channels > 0;
}

int ttm_reads_categoricals(const ptm_config *c) {
    return c->family == PTM_FAMILY_TTM && c->model_class == PTM_CLASS_PREDICTION &&
           c->ttm.use_decoder && c->ttm.num_categorical > 0;
}

ptm_status ttm_drop_static(const ttm_opts *o, const ptm_csv *t, const char *file, int all_cols,
                           int *idx, int *n, ptm_error *err) {
    if (!o->static_cat) return PTM_OK;
    int *si = malloc(sizeof(int) * (t->ncols + 1)), ns = 0, kept = 0;
    if (!si) return cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    ptm_status s = ptm_csv_select_columns(t, o->static_cat, file, si, &ns, err);
    for (int j = 0; s == PTM_OK && j < *n; j++) {
        int is_static = 0;
        for (int k = 0; k < ns; k++) is_static |= si[k] == idx[j];
        if (is_static && !all_cols)
            s = cli_error(err, PTM_ERR_INPUT, file, t->colnames[idx[j]],
                          "the column is named as a channel and with --static-categorical");
        else if (!is_static)
            idx[kept++] = idx[j];
    }
    if (s == PTM_OK) *n = kept;
    free(si);
    return s;
}

static ptm_status no_static_codes(int K, ptm_error *err) {
    return cli_error(err, PTM_ERR_INPUT, NULL, "--static-categorical",
                     "this model has %d static categorical variables "
                     "(categorical_vocab_size_list): name the columns of their integer codes "
                     "with --static-categorical",
                     K);
}

int ttm_eval_check(const char *dir, const ttm_opts *o) {
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/config.json", dir);
    ptm_config c;
    ptm_error err;
    if (n < 0 || (size_t)n >= sizeof path || ptm_config_load(path, -1, &c, &err) != PTM_OK)
        return -1; /* the evaluation reports it */
    int rc = -1;
    if (o->static_cat && !ttm_reads_categoricals(&c))
        rc = fail_usage("eval",
                        "--static-categorical: this model has no static categorical variables "
                        "(categorical_vocab_size_list)%s",
                        "");
    else if (!o->static_cat && ttm_reads_categoricals(&c)) {
        no_static_codes(c.ttm.num_categorical, &err);
        rc = fail_status(&err);
    }
    ptm_config_free(&c);
    return rc;
}

ptm_status ttm_static_codes(const ttm_opts *o, const ptm_config *c, const ptm_csv *t,
                            const char *file, size_t row0, size_t nrows, int64_t *codes,
                            ptm_error *err) {
    if (!ttm_reads_categoricals(c)) return PTM_OK;
    int K = c->ttm.num_categorical, n = 0;
    if (!o->static_cat) return no_static_codes(K, err);
    int *si = malloc(sizeof(int) * (t->ncols + 1));
    int64_t *v = malloc(sizeof(int64_t) * (t->ncols + 1));
    ptm_status s = PTM_OK;
    if (!si || !v)
        s = cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    else
        s = ptm_csv_static_codes(t, o->static_cat, row0, nrows, file, si, v, &n, err);
    if (s == PTM_OK && n != K)
        s = cli_error(err, PTM_ERR_INPUT, NULL, "--static-categorical",
                      "%d columns named, the model has %d static categorical variables "
                      "(categorical_vocab_size_list)",
                      n, K);
    for (int k = 0; s == PTM_OK && k < K; k++) {
        int vocab = c->ttm.categorical_vocab_size_list[k];
        if (v[k] >= vocab)
            s = cli_error(err, PTM_ERR_INPUT, file, t->colnames[si[k]],
                          "code %lld is not in the vocabulary of static categorical variable %d: "
                          "[0, %d) (categorical_vocab_size_list)",
                          (long long)v[k], k, vocab);
        codes[k] = v[k];
    }
    free(si);
    free(v);
    return s;
}

/* the columns of a comma-separated list into idx (room for t->ncols); count or -1 */
static int pick(const ptm_csv *t, const char *list, const char *file, int *idx, ptm_error *err) {
    int n = 0;
    return ptm_csv_select_columns(t, list, file, idx, &n, err) == PTM_OK ? n : -1;
}

ptm_status ttm_channels(const ttm_opts *o, const ptm_config *c, const ptm_csv *t, const char *file,
                        const char *columns, int *colidx, int *count, ptm_error *err) {
    int E = c->ttm.num_exogenous_channels, C = c->num_input_channels;
    if (!o->target && !o->exogenous) {
        int n = pick(t, columns, file, colidx, err);
        if (n < 0) return err->code;
        ptm_status s = ttm_drop_static(o, t, file, columns == NULL, colidx, &n, err);
        *count = n;
        return s;
    }
    if (o->exogenous && E == 0)
        return cli_error(err, PTM_ERR_INPUT, NULL, "--exogenous",
                         "the model has no exogenous channels (exogenous_channel_indices); "
                         "forecast the columns with --target alone");
    if (!o->exogenous) {
        if (E > 0)
            return cli_error(err, PTM_ERR_INPUT, NULL, "--exogenous",
                             "the model has %d exogenous channels (exogenous_channel_indices): "
                             "name their columns with --exogenous",
                             E);
        int n = pick(t, o->target, file, colidx, err);
        if (n < 0) return err->code;
        ptm_status s = ttm_drop_static(o, t, file, 0, colidx, &n, err);
        *count = n;
        return s;
    }
    if (!o->target)
        return cli_error(err, PTM_ERR_INPUT, NULL, "--target",
                         "--exogenous needs --target (the columns of the other channels)");
    int *ti = malloc(sizeof(int) * (t->ncols + 1)), *xi = malloc(sizeof(int) * (t->ncols + 1));
    ptm_status s = PTM_OK;
    int nt = 0, nx = 0;
    if (!ti || !xi)
        s = cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    else if ((nt = pick(t, o->target, file, ti, err)) < 0 ||
             (nx = pick(t, o->exogenous, file, xi, err)) < 0 ||
             ttm_drop_static(o, t, file, 0, ti, &nt, err) != PTM_OK ||
             ttm_drop_static(o, t, file, 0, xi, &nx, err) != PTM_OK)
        s = err->code;
    else if (nx != E)
        s = cli_error(err, PTM_ERR_INPUT, NULL, "--exogenous",
                      "%d columns named, the model has %d exogenous channels "
                      "(exogenous_channel_indices)",
                      nx, E);
    else if (nt != C - E)
        s = cli_error(err, PTM_ERR_INPUT, NULL, "--target",
                      "%d columns named, the model has %d channels besides its %d exogenous ones",
                      nt, C - E, E);
    /* channel ch of the model: the next exogenous column where ch is exogenous, else the next
     * target column */
    for (int ch = 0, a = 0, b = 0; s == PTM_OK && ch < C; ch++) {
        int exo = b < E && c->ttm.exogenous_channel_indices[b] == ch;
        colidx[ch] = exo ? xi[b++] : ti[a++];
    }
    if (s == PTM_OK) *count = C;
    free(ti);
    free(xi);
    return s;
}

/* seconds of a pandas-like frequency ("h", "1h", "15min", "D", "W"; T = min, H = h): 0 if not */
static int64_t freq_seconds(const char *f) {
    char *end;
    long k = strtol(f, &end, 10);
    if (end == f) k = 1;
    if (k < 1 || k > 100000) return 0;
    static const struct {
        const char *unit;
        int64_t sec;
    } U[] = {{"s", 1},    {"S", 1},     {"min", 60},  {"T", 60},     {"h", 3600},
             {"H", 3600}, {"d", 86400}, {"D", 86400}, {"W", 604800}, {"w", 604800}};
    for (size_t u = 0; u < sizeof U / sizeof U[0]; u++)
        if (strcmp(end, U[u].unit) == 0) return k * U[u].sec;
    return 0;
}

ptm_status ttm_freq_token(const ttm_opts *o, const ptm_config *c, const ptm_csv *t,
                          const char *file, size_t rows, int64_t *tok, ptm_error *err) {
    *tok = 0;
    if (!c->ttm.resolution_prefix_tuning) return PTM_OK;
    if (o->has_freq_token) {
        *tok = o->freq_token; /* the library checks its range */
        return PTM_OK;
    }
    int64_t sec = 0;
    if (o->freq) {
        if (strcmp(o->freq, "oov") == 0) return PTM_OK;
        if (!(sec = freq_seconds(o->freq)))
            return cli_error(err, PTM_ERR_INPUT, NULL, "--freq",
                             "'%.64s' is not a frequency like 1h, 15min, D or W (or oov)", o->freq);
    } else if (!t->time_parsed || !ptm_csv_time_step(t, rows, &sec) || sec <= 0) {
        return cli_error(err, PTM_ERR_INPUT, file, "freq_token",
                         "this model (resolution_prefix_tuning) needs a frequency token and the "
                         "input has no evenly spaced timestamps: give --freq (e.g. 1h) or "
                         "--freq-token N");
    }
    int k = ptm_frequency_token(sec);
    if (k == 0)
        fprintf(stderr,
                "patchtsmixer: warning: a step of %lld s is not in granite-tsfm's frequency "
                "mapping: frequency token 0 (oov)\n",
                (long long)sec);
    *tok = k;
    return PTM_OK;
}

/* the exogenous channels' future from rows [r0, r0 + n) of t (columns cols[ch]) into
 * fut [H, C] */
static ptm_status copy_future(const ptm_config *c, int C, const ptm_csv *t, const int *cols,
                              size_t r0, int n, const char *file, float *fut, ptm_error *err) {
    for (int b = 0; b < c->ttm.num_exogenous_channels; b++) {
        int ch = c->ttm.exogenous_channel_indices[b];
        for (int s = 0; s < n; s++) {
            size_t cell = (r0 + (size_t)s) * t->ncols + (size_t)cols[ch];
            if (t->observed[cell] <= 0)
                return cli_error(err, PTM_ERR_INPUT, file, t->colnames[cols[ch]],
                                 "data row %zu: the known future of an exogenous channel is "
                                 "missing",
                                 r0 + (size_t)s + 1);
            fut[(size_t)s * C + ch] = t->values[cell];
        }
    }
    return PTM_OK;
}

ptm_status ttm_future(const ttm_opts *o, const ptm_config *c, int C, const ptm_csv *in,
                      const int *colidx, size_t held_row, size_t held, float **out,
                      ptm_error *err) {
    *out = NULL;
    if (!ttm_reads_future(c)) return PTM_OK;
    int H = c->prediction_length;
    int hf = c->ttm.prediction_filter_length ? c->ttm.prediction_filter_length : H;
    if (!o->future && held == 0)
        return cli_error(err, PTM_ERR_INPUT, NULL, "--future",
                         "this model's forecast channel mixer reads the known future of its "
                         "exogenous channels: give their next %d values with --future FILE.csv "
                         "(or backtest with --holdout)",
                         hf);
    float *fut = calloc((size_t)H * C + 1, sizeof(float));
    if (!fut) return cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    *out = fut;
    if (!o->future) /* --holdout: the held-out rows of the input */
        return copy_future(c, C, in, colidx, held_row, hf, "--holdout", fut, err);
    ptm_csv ft;
    ptm_status s = ptm_csv_load(o->future, 0, &ft, err);
    if (s != PTM_OK) return s;
    int *cols = malloc(sizeof(int) * ((size_t)C + 1));
    if (!cols) s = cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    for (int b = 0; s == PTM_OK && b < c->ttm.num_exogenous_channels; b++) {
        int ch = c->ttm.exogenous_channel_indices[b];
        const char *name = in->colnames[colidx[ch]];
        if ((cols[ch] = ptm_csv_find_column(&ft, name)) < 0)
            s = cli_error(err, PTM_ERR_INPUT, o->future, NULL,
                          "no column '%.64s' (an exogenous channel)", name);
    }
    if (s == PTM_OK && ft.nrows < (size_t)hf)
        s = cli_error(err, PTM_ERR_INPUT, o->future, NULL,
                      "%zu data rows, the forecast channel mixer reads the next %d steps", ft.nrows,
                      hf);
    if (s == PTM_OK) s = copy_future(c, C, &ft, cols, 0, hf, o->future, fut, err);
    free(cols);
    ptm_csv_free(&ft);
    return s;
}
