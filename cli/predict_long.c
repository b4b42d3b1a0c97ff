/* predict_long.c - `patchtsmixer predict MODEL_DIR --input LONG.csv`: many series in the long
 * format of statsforecast (unique_id, ds, y, covariates...; ptm_long_load). Each series whose
 * last context_length rows are usable (ptm_long_series_check) becomes one window of the
 * model's channels, the windows go through the model in batches (--batch-size, one forward
 * for a file of up to that many series), and the forecast of the target column is written in
 * the same long format: unique_id, ds, PatchTSMixer (--alias), then statsforecast's interval
 * columns NAME-lo-L / NAME-hi-L for --levels and NAME_qQ for --quantiles (with --samples).
 * A series that cannot be forecast is reported on stderr, one line each, and the others go on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "predict.h"

const char *const PREDICT_LONG_USAGE =
    "\n"
    "long format (many series; docs/cli.md): a file whose header has unique_id and ds\n"
    "(statsforecast's layout: unique_id,ds,y[,covariates...]) is read as one series per id;\n"
    "every series is forecast and written as rows unique_id,ds,PatchTSMixer[,-lo-/-hi-]\n"
    "  --long              read --input as long format whatever its header\n"
    "  --id-column NAME    the series id column          [unique_id] (implies --long)\n"
    "  --time-column NAME  the time column               [ds]        (implies --long)\n"
    "  --target-column NAME  the target column           [y]         (implies --long)\n"
    "  --alias NAME        the forecast column's name                 [PatchTSMixer]\n"
    "  --levels L,...      with --samples: interval columns NAME-lo-L, NAME-hi-L\n"
    "  --batch-size N      series per forward pass                    [default 1024]\n"
    "  --strict            fail (exit 1, nothing written) when a series is skipped\n";

int predict_long_arg(int argc, char **argv, int *i, predict_opts *o) {
    const char *a = argv[*i];
    if (strcmp(a, "--long") == 0 || strcmp(a, "--strict") == 0) {
        *(strcmp(a, "--long") == 0 ? &o->long_mode : &o->strict) = 1;
        return 0;
    }
    if (strcmp(a, "--id-column") && strcmp(a, "--time-column") && strcmp(a, "--target-column") &&
        strcmp(a, "--alias") && strcmp(a, "--levels") && strcmp(a, "--batch-size"))
        return -1;
    if (*i + 1 >= argc) return fail_usage("predict", "option '%s' needs a value", a);
    const char *v = argv[++*i];
    if (strcmp(a, "--levels") == 0) {
        if (parse_list_f(v, o->levels, 32, &o->nlev) != 0)
            return fail_usage("predict", "--levels '%s' is not a list like 80,95", v);
        for (int k = 0; k < o->nlev; k++) {
            if (!(o->levels[k] > 0.0f && o->levels[k] < 100.0f))
                return fail_usage("predict", "--levels '%s': each must be in (0, 100)", v);
            for (int m = k; m > 0 && o->levels[m] < o->levels[m - 1]; m--) { /* sort */
                float x = o->levels[m];
                o->levels[m] = o->levels[m - 1];
                o->levels[m - 1] = x;
            }
        }
        int n = 0; /* a level given twice is one pair of columns */
        for (int k = 0; k < o->nlev; k++)
            if (n == 0 || o->levels[k] != o->levels[n - 1]) o->levels[n++] = o->levels[k];
        o->nlev = n;
        return 0;
    }
    if (strcmp(a, "--batch-size") == 0) {
        if (parse_int(v, 1, 1 << 20, &o->batch_size) != 0)
            return fail_usage("predict", "--batch-size '%s' is not an integer in [1, 1048576]", v);
        return 0;
    }
    if (!v[0]) return fail_usage("predict", "option '%s' needs a non-empty name", a);
    if (strcmp(a, "--alias") == 0) {
        o->alias = v;
        return 0;
    }
    o->long_mode = 1;
    *(strcmp(a, "--id-column") == 0     ? &o->id_col
      : strcmp(a, "--time-column") == 0 ? &o->time_col
                                        : &o->target_col) = v;
    return 0;
}

/* colidx: the preprocessor's columns by name, --columns, every value column when there are as
 * many as channels, or the target alone for a one-channel model; then the target's channel */
static ptm_status pick_channels(const predict_opts *o, const ptm_config *c,
                                const ptm_preprocessor *pp, long_job *j, ptm_error *err) {
    const ptm_csv *tab = &j->lt.table;
    int C = c->num_input_channels, n = 0;
    ptm_status s = PTM_OK;
    if (pp->present) {
        /* --columns, if given, must name the model's columns in its order */
        int *given = o->columns ? malloc(sizeof(int) * (tab->ncols + 1)) : NULL;
        if (o->columns && !given) return cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
        s = ptm_preprocessor_columns(pp, tab, o->input, j->colidx, err);
        if (s == PTM_OK && given)
            s = ptm_csv_select_columns(tab, o->columns, o->input, given, &n, err);
        int same = n == C;
        for (int k = 0; given && same && k < C; k++) same = given[k] == j->colidx[k];
        free(given);
        if (s == PTM_OK && o->columns && !same)
            s = cli_error(err, PTM_ERR_INPUT, o->input, "--columns",
                          "the model was trained on other columns (%d, in the order of %s/"
                          "preprocessor_config.json, starting with \"%s\"); leave --columns "
                          "out to pick them by name",
                          pp->ncols, o->dir, pp->columns[0]);
    } else if (o->columns) {
        s = ptm_csv_select_columns(tab, o->columns, o->input, j->colidx, &n, err);
        if (s == PTM_OK && n != C)
            s = cli_error(err, PTM_ERR_INPUT, o->input, "--columns",
                          "%d columns selected, the model expects %d (num_input_channels)", n, C);
    } else if ((int)tab->ncols == C) {
        for (int k = 0; k < C; k++) j->colidx[k] = k;
    } else if (C == 1) {
        j->colidx[0] = j->lt.target;
    } else {
        s = cli_error(err, PTM_ERR_INPUT, o->input, NULL,
                      "%zu value columns (the target and covariates), the model expects %d "
                      "(num_input_channels); choose them with --columns",
                      tab->ncols, C);
    }
    if (s != PTM_OK) return s;
    j->target_fc = -1;
    for (int k = 0; k < c->num_prediction_channels && j->target_fc < 0; k++) {
        int ch = c->prediction_channel_indices ? c->prediction_channel_indices[k] : k;
        if (j->colidx[ch] == j->lt.target) j->target_fc = k;
    }
    if (j->target_fc < 0)
        return cli_error(err, PTM_ERR_INPUT, o->input, tab->colnames[j->lt.target],
                         "the target column is not one of the model's forecast channels");
    return PTM_OK;
}

/* the series that can be forecast: each other one gets a line on stderr */
static ptm_status pick_series(const predict_opts *o, const ptm_config *c, long_job *j,
                              ptm_error *err) {
    size_t L = (size_t)c->context_length + j->hold, ns = j->lt.nseries;
    int64_t H = c->prediction_length;
    j->ok = malloc(sizeof(size_t) * ns);
    j->step = malloc(sizeof(int64_t) * ns);
    if (!j->ok || !j->step) return cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    for (size_t i = 0; i < ns; i++) {
        ptm_error e;
        memset(&e, 0, sizeof e);
        ptm_status s =
            ptm_long_series_check(&j->lt, i, L, j->colidx, c->num_input_channels, &j->step[i], &e);
        int64_t last = j->lt.table.time_sec[j->lt.start[i + 1] - 1 - j->hold];
        int64_t room = last >= 0 ? INT64_MAX - last : INT64_MAX; /* last + step * H fits */
        if (s == PTM_OK && (j->step[i] == 0 || j->step[i] > room / H))
            s = cli_error(&e, PTM_ERR_INPUT, NULL, NULL, "series '%.200s': %s", j->lt.ids[i],
                          j->step[i] ? "its forecast times would be beyond the integer range"
                                     : "one row does not tell the time step");
        if (s == PTM_ERR_INPUT) {
            char msg[2048];
            fprintf(stderr, "patchtsmixer %s: skipped %s\n", j->cmd,
                    ptm_error_message(&e, msg, sizeof msg));
            j->nskip++;
        } else if (s != PTM_OK) {
            *err = e;
            return s;
        } else {
            j->ok[j->nok++] = i;
        }
    }
    if (j->nok == 0)
        return cli_error(err, PTM_ERR_INPUT, o->input, NULL,
                         "no series could be forecast (%zu skipped, reasons above)", j->nskip);
    if (o->strict && j->nskip)
        return cli_error(err, PTM_ERR_INPUT, o->input, "--strict",
                         "%zu of %zu series skipped (reasons above); nothing written", j->nskip,
                         ns);
    return PTM_OK;
}

static void write_header(const predict_opts *o, const long_job *j, FILE *f) {
    const char *al = o->alias ? o->alias : "PatchTSMixer";
    csv_field(f, j->lt.id_colname);
    fputc(',', f);
    csv_field(f, j->lt.table.time_colname);
    fputc(',', f);
    csv_field(f, al);
    char name[600];
    /* statsforecast's order: lo from the widest level in, then hi from the narrowest out */
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < o->nlev; k++) {
            int w = pass == 0 ? o->nlev - 1 - k : k; /* levels are sorted ascending here */
            snprintf(name, sizeof name, "%s-%s-%g", al, pass ? "hi" : "lo", (double)o->levels[w]);
            fputc(',', f);
            csv_field(f, name);
        }
    for (int k = 0; k < j->nqw; k++) {
        snprintf(name, sizeof name, "%s_q%g", al, (double)j->qlist[k]);
        fputc(',', f);
        csv_field(f, name);
    }
    fputc('\n', f);
}

/* predict's sink: the rows of the series j->ok[b0 .. b0 + nb) */
typedef struct {
    const predict_opts *o;
    const ptm_config *c;
    FILE *f;
} row_writer;

static int write_rows(void *arg, const long_job *j, size_t b0, size_t nb, const float *y,
                      const float *qout, ptm_error *err) {
    const row_writer *rw = arg;
    const predict_opts *o = rw->o;
    const ptm_config *c = rw->c;
    FILE *f = rw->f;
    int H = c->prediction_length, Cs = c->num_prediction_channels, tf = j->target_fc;
    const ptm_csv *tab = &j->lt.table;
    for (size_t b = 0; b < nb; b++) {
        size_t i = j->ok[b0 + b], last = j->lt.start[i + 1] - 1;
        const float *qb = qout ? qout + b * (size_t)j->nq * H * Cs : NULL;
        for (int t = 0; t < H; t++) {
            char ts[96];
            int64_t sec = tab->time_sec[last] + j->step[i] * (t + 1);
            if (j->lt.time_integer)
                snprintf(ts, sizeof ts, "%lld", (long long)sec);
            else
                ptm_csv_format_time(sec, tab->time_text[last], ts, sizeof ts);
            csv_field(f, j->lt.ids[i]);
            fputc(',', f);
            csv_field(f, ts);
            fprintf(f, ",%.7g", (double)y[(b * H + (size_t)t) * Cs + (size_t)tf]);
            size_t at = (size_t)t * Cs + (size_t)tf, per = (size_t)H * Cs;
            for (int pass = 0; qb && pass < 2; pass++)
                for (int k = 0; k < o->nlev; k++) {
                    int w = pass == 0 ? o->nlev - 1 - k : k;
                    fprintf(f, ",%.7g", (double)qb[(size_t)(j->nqw + 2 * w + pass) * per + at]);
                }
            for (int k = 0; qb && k < j->nqw; k++)
                fprintf(f, ",%.7g", (double)qb[(size_t)k * per + at]);
            fputc('\n', f);
        }
    }
    return 0;
}

/* one batch: the windows of series j->ok[b0 .. b0 + nb) through the model, to the sink */
static int run_batch(const predict_opts *o, const ptm_config *c, const ptm_preprocessor *pp,
                     const long_job *j, size_t b0, size_t nb, float *buf[5], long_sink sink,
                     void *arg, ptm_error *err) {
    ptm_ctx *ctx = j->ctx;
    int L = c->context_length, C = c->num_input_channels, H = c->prediction_length;
    int Cs = c->num_prediction_channels;
    const ptm_csv *tab = &j->lt.table;
    float *inp = buf[0], *obs = buf[1], *y = buf[2], *samp = buf[3], *qout = buf[4];
    for (size_t b = 0; b < nb; b++) {
        size_t r0 = j->lt.start[j->ok[b0 + b] + 1] - j->hold - (size_t)L;
        float *wi = inp + b * (size_t)L * C, *wo = obs + b * (size_t)L * C;
        for (int t = 0; t < L; t++)
            for (int k = 0; k < C; k++) {
                size_t src = (r0 + (size_t)t) * tab->ncols + (size_t)j->colidx[k];
                wi[(size_t)t * C + k] = tab->values[src];
                wo[(size_t)t * C + k] = tab->observed[src];
            }
        ptm_scaler_transform(&pp->scaler, wi, wo, (size_t)L); /* no-op without one */
    }
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = (int)nb;
    in.past_values = inp;
    in.observed_mask = obs;
    in.freq_token = j->tok ? j->tok + b0 : NULL;
    ptm_tensor_view v;
    if (ptm_forward(ctx, &in, err) != PTM_OK ||
        ptm_ctx_output(ctx, c->loss == PTM_LOSS_NLL ? "distribution_mean" : "prediction_outputs",
                       &v, err) != PTM_OK)
        return -1;
    size_t per = (size_t)H * Cs;
    memcpy(y, v.data, sizeof(float) * nb * per);
    ptm_scaler_inverse(&pp->scaler, y, nb * H, Cs, c->prediction_channel_indices);
    if (o->samples > 0) {
        /* batch k (from 0) samples with seed + k */
        uint64_t seed = (uint64_t)o->seed + b0 / j->bs;
        size_t ns = nb * (size_t)o->samples * per;
        if (ptm_ctx_sample(ctx, (int)o->samples, seed, samp, ns, err) != PTM_OK ||
            ptm_quantiles(samp, (int)nb, (int)o->samples, (int64_t)per, j->qlist, j->nq, qout,
                          err) != PTM_OK)
            return -1;
        ptm_scaler_inverse(&pp->scaler, qout, nb * (size_t)j->nq * H, Cs,
                           c->prediction_channel_indices);
    }
    return sink(arg, j, b0, nb, y, o->samples > 0 ? qout : NULL, err);
}

/* the quantiles to sample: --quantiles (written unless only --levels were asked), then the
 * lower and upper quantile of each level */
static int quantile_list(const predict_opts *o, long_job *j) {
    j->nqw = o->samples > 0 && (o->quant_given || o->nlev == 0) ? o->nq : 0;
    j->nq = o->samples > 0 ? j->nqw + 2 * o->nlev : 0;
    if (!(j->qlist = malloc(sizeof(float) * (size_t)(j->nq + 1)))) return -1;
    memcpy(j->qlist, o->quant, sizeof(float) * (size_t)j->nqw);
    for (int k = 0; j->nq && k < o->nlev; k++) {
        float a = (1.0f - o->levels[k] / 100.0f) / 2.0f;
        j->qlist[j->nqw + 2 * k] = a;
        j->qlist[j->nqw + 2 * k + 1] = 1.0f - a;
    }
    return 0;
}

/* usage errors of the long format: -1 to go on, else the exit code */
static int long_check_usage(const predict_opts *o, const ptm_config *c) {
    if (c->model_class != PTM_CLASS_PREDICTION)
        return fail_usage("predict",
                          "long-format input is for forecasters "
                          "(PatchTSMixerForPrediction)%s",
                          "");
    if (o->plot || o->holdout)
        return fail_usage("predict", "%s is not available with long-format input",
                          o->plot ? "--plot" : "--holdout");
    if (o->nlev && o->samples == 0)
        return fail_usage("predict",
                          "--levels needs --samples N (the intervals are quantiles of "
                          "N sampled paths)%s",
                          "");
    return -1;
}

int long_run(const predict_opts *o, const ptm_config *c, const ptm_preprocessor *pp,
             const long_job *j, long_sink sink, void *arg, ptm_error *err) {
    size_t bs = j->bs;
    size_t LC = (size_t)c->context_length * c->num_input_channels;
    size_t per = (size_t)c->prediction_length * c->num_prediction_channels;
    size_t S = o->samples > 0 ? (size_t)o->samples : 0;
    float *buf[5] = {malloc(sizeof(float) * bs * LC), malloc(sizeof(float) * bs * LC),
                     malloc(sizeof(float) * bs * per), malloc(sizeof(float) * (bs * S * per + 1)),
                     malloc(sizeof(float) * (bs * (size_t)j->nq * per + 1))};
    int rc = -1;
    if (!buf[0] || !buf[1] || !buf[2] || !buf[3] || !buf[4])
        cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory for batches of %zu series", bs);
    else
        rc = 0;
    for (size_t b0 = 0; rc == 0 && b0 < j->nok; b0 += bs)
        rc = run_batch(o, c, pp, j, b0, j->nok - b0 < bs ? j->nok - b0 : bs, buf, sink, arg, err);
    for (int k = 0; k < 5; k++) free(buf[k]);
    return rc;
}

int long_model_sniff(const ptm_preprocessor *pp, const char *input, char delim) {
    if (!pp->id_column) return 0;
    ptm_long_params lp = {pp->id_column, pp->timestamp_column, pp->target_column, delim};
    return ptm_long_sniff(input, &lp);
}

int long_prepare(const predict_opts *o, const ptm_model *m, const ptm_preprocessor *pp, long_job *j,
                 ptm_error *err) {
    const ptm_config *c = ptm_model_config(m);
    /* a model trained on long-format data names its columns (the options override them) */
    ptm_long_params lp = {o->id_col ? o->id_col : pp->id_column,
                          o->time_col || !pp->id_column ? o->time_col : pp->timestamp_column,
                          o->target_col ? o->target_col : pp->target_column, o->delim};
    if (pp->present && pp->ncols != c->num_input_channels)
        return cli_error(err, PTM_ERR_CONFIG, o->dir, "preprocessor_config.json",
                         "lists %d columns, config.json has %d channels (num_input_channels)",
                         pp->ncols, c->num_input_channels),
               -1;
    if (ptm_long_load(o->input, &lp, &j->lt, err) != PTM_OK) return -1;
    if (!(j->colidx = malloc(sizeof(int) * (j->lt.table.ncols + (size_t)c->num_input_channels))))
        return cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory"), -1;
    if (pick_channels(o, c, pp, j, err) != PTM_OK || pick_series(o, c, j, err) != PTM_OK) return -1;
    if (c->family == PTM_FAMILY_TTM && c->ttm.resolution_prefix_tuning) {
        /* --freq / --freq-token for every series, else each series' token from its own time
         * step, as predict finds it for one series */
        int64_t given = 0;
        int all = o->ttm.has_freq_token || o->ttm.freq;
        if (!(j->tok = malloc(sizeof(int64_t) * j->nok)))
            return cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory"), -1;
        if (all && ttm_freq_token(&o->ttm, c, &j->lt.table, o->input, 0, &given, err) != PTM_OK)
            return -1;
        if (!all && j->lt.time_integer)
            return cli_error(err, PTM_ERR_INPUT, o->input, "freq_token",
                             "this model (resolution_prefix_tuning) needs a frequency token and "
                             "the series' times are integers: give --freq (e.g. 1h) or "
                             "--freq-token N"),
                   -1;
        for (size_t k = 0; k < j->nok; k++)
            j->tok[k] = all ? given : ptm_frequency_token(j->step[j->ok[k]]);
    }
    if (quantile_list(o, j) != 0)
        return cli_error(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory"), -1;
    j->bs = o->batch_size ? (size_t)o->batch_size : 1024;
    if (j->bs > j->nok) j->bs = j->nok;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = (int)j->bs;
    cp.num_threads = (int)o->threads;
    return ptm_ctx_create(m, &cp, &j->ctx, err) == PTM_OK ? 0 : -1;
}

void long_job_free(long_job *j) {
    ptm_ctx_free(j->ctx);
    free(j->colidx);
    free(j->ok);
    free(j->step);
    free(j->tok);
    free(j->qlist);
    ptm_long_free(&j->lt);
    memset(j, 0, sizeof *j);
}

int predict_long(const predict_opts *o, const ptm_model *m, const ptm_preprocessor *pp) {
    const ptm_config *c = ptm_model_config(m);
    int rc = long_check_usage(o, c);
    if (rc >= 0) return rc;
    long_job j;
    memset(&j, 0, sizeof j);
    j.cmd = "predict";
    ptm_error err;
    memset(&err, 0, sizeof err);
    outfile out;
    row_writer rw = {o, c, NULL};
    if (long_prepare(o, m, pp, &j, &err) != 0 || open_out(&out, o->output, &err) != 0) goto fail;
    rw.f = out.f;
    write_header(o, &j, out.f);
    if (long_run(o, c, pp, &j, write_rows, &rw, &err) != 0) {
        abort_out(&out);
        goto fail;
    }
    if (close_out(&out, &err) != 0) goto fail;
    if (j.nskip)
        fprintf(stderr, "patchtsmixer predict: forecast %zu series, skipped %zu (see above)\n",
                j.nok, j.nskip);
    rc = 0;
    goto done;
fail:
    rc = fail_status(&err);
done:
    long_job_free(&j);
    return rc;
}
