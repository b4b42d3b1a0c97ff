/* backtest_long.c - ptm_backtest_file on a long-format file of many series (unique_id, ds, y,
 * covariates; ptm_long_load), by statsforecast's cross_validation protocol: each series gets
 * `windows` origins, the last forecasting its last prediction_length rows, each earlier one
 * `stride` rows before it, every origin from the context_length rows before its first forecast
 * row. The model's channels are the preprocessor's columns by name (else p->columns, else
 * every value column when there are as many as channels, else the target alone for a
 * one-channel model); the metrics are those of the target column, per series id. A series
 * without enough usable rows (ptm_long_series_check: too short, a repeated time, uneven steps,
 * a column without values) is left out with its reason in r->skipped / r->skip_reason, and the
 * others go on. MASE's scale: the series' rows before its first forecast row.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"
#include "train/backtest.h"

/* what one run knows besides the result */
typedef struct {
    const ptm_config *c;
    ptm_long lt;
    ptm_preprocessor pp;
    int *colidx;   /* [C] the value column of each channel */
    int tch, tfc;  /* the target's input channel and forecast channel */
    size_t *ok;    /* [r->nseries] the series backtested (indices into lt) */
    int64_t *tok;  /* [r->nseries] frequency tokens (resolution prefix models), or NULL */
    int64_t *btok; /* [cap] the tokens of one batch, or NULL */
    size_t span;   /* rows of each series' forecasts: H + (windows - 1) * stride */
    const char *path;
} long_bt;

static void long_bt_free(long_bt *lb) {
    ptm_long_free(&lb->lt);
    ptm_preprocessor_free(&lb->pp);
    free(lb->colidx);
    free(lb->ok);
    free(lb->tok);
    free(lb->btok);
}

/* colidx: the preprocessor's columns, columns, every value column, or the target alone; then
 * the target's channels */
static ptm_status pick_channels(long_bt *lb, const char *columns, ptm_error *err) {
    const ptm_csv *tab = &lb->lt.table;
    const ptm_config *c = lb->c;
    int C = c->num_input_channels, n = 0;
    ptm_status s = PTM_OK;
    if (!(lb->colidx = malloc(sizeof(int) * (tab->ncols + (size_t)C))))
        return ptmi_err(err, PTM_ERR_NOMEM, lb->path, NULL, "out of memory");
    if (lb->pp.present) {
        if (lb->pp.ncols != C)
            return ptmi_err(err, PTM_ERR_CONFIG, NULL, "preprocessor_config.json",
                            "lists %d columns, config.json has %d channels (num_input_channels)",
                            lb->pp.ncols, C);
        s = ptm_preprocessor_columns(&lb->pp, tab, lb->path, lb->colidx, err);
    } else if (columns) {
        s = ptm_csv_select_columns(tab, columns, lb->path, lb->colidx, &n, err);
        if (s == PTM_OK && n != C)
            s = ptmi_err(err, PTM_ERR_INPUT, lb->path, "columns",
                         "%d columns selected, the model expects %d (num_input_channels)", n, C);
    } else if ((int)tab->ncols == C) {
        for (int k = 0; k < C; k++) lb->colidx[k] = k;
    } else if (C == 1) {
        lb->colidx[0] = lb->lt.target;
    } else {
        s = ptmi_err(err, PTM_ERR_INPUT, lb->path, NULL,
                     "%zu value columns (the target and covariates), the model expects %d "
                     "(num_input_channels); choose them with columns",
                     tab->ncols, C);
    }
    if (s != PTM_OK) return s;
    lb->tfc = -1;
    for (int k = 0; k < c->num_prediction_channels && lb->tfc < 0; k++) {
        int ch = c->prediction_channel_indices ? c->prediction_channel_indices[k] : k;
        if (lb->colidx[ch] == lb->lt.target) lb->tch = ch, lb->tfc = k;
    }
    if (lb->tfc < 0)
        return ptmi_err(err, PTM_ERR_INPUT, lb->path, tab->colnames[lb->lt.target],
                        "the target column is not one of the model's forecast channels");
    return PTM_OK;
}

/* one series left out: its id and the reason into r */
static ptm_status skip(ptm_backtest_result *r, const char *id, const ptm_error *e) {
    char msg[1024];
    ptm_error why = *e;
    why.file[0] = why.field[0] = '\0'; /* the id is kept apart */
    if (!(r->skipped[r->nskipped] = strdup(id))) return PTM_ERR_NOMEM;
    if (!(r->skip_reason[r->nskipped] = strdup(ptm_error_message(&why, msg, sizeof msg))))
        return free(r->skipped[r->nskipped]), PTM_ERR_NOMEM;
    r->nskipped++;
    return PTM_OK;
}

/* the series with room for every window; the others into r->skipped */
static ptm_status pick_series(long_bt *lb, ptm_backtest_result *r, ptm_error *err) {
    const ptm_long *t = &lb->lt;
    size_t ns = t->nseries, need = (size_t)lb->c->context_length + lb->span;
    int prefix = lb->c->family == PTM_FAMILY_TTM && lb->c->ttm.resolution_prefix_tuning;
    lb->ok = malloc(sizeof(size_t) * ns);
    r->skipped = calloc(ns, sizeof(char *));
    r->skip_reason = calloc(ns, sizeof(char *));
    if (prefix && t->time_integer)
        return ptmi_err(err, PTM_ERR_INPUT, lb->path, "freq_token",
                        "this model (resolution_prefix_tuning) needs a frequency token, found "
                        "from each series' time step, and the times are integers");
    if (prefix) lb->tok = malloc(sizeof(int64_t) * ns);
    if (!lb->ok || !r->skipped || !r->skip_reason || (prefix && !lb->tok))
        return ptmi_err(err, PTM_ERR_NOMEM, lb->path, NULL, "out of memory");
    size_t nok = 0;
    for (size_t i = 0; i < ns; i++) {
        ptm_error e;
        memset(&e, 0, sizeof e);
        int64_t step = 0;
        ptm_status s =
            ptm_long_series_check(t, i, need, lb->colidx, lb->c->num_input_channels, &step, &e);
        if (s == PTM_ERR_INPUT) {
            if (skip(r, t->ids[i], &e) != PTM_OK)
                return ptmi_err(err, PTM_ERR_NOMEM, lb->path, NULL, "out of memory");
            continue;
        }
        if (s != PTM_OK) {
            *err = e;
            return s;
        }
        if (prefix) lb->tok[nok] = ptm_frequency_token(step);
        lb->ok[nok++] = i;
    }
    if (nok == 0)
        return ptmi_err(err, PTM_ERR_INPUT, lb->path, NULL,
                        "no series can be backtested: each of the %zu needs %zu usable rows "
                        "(context_length + prediction_length + (windows - 1) * stride); the "
                        "first, '%.100s': %.300s",
                        ns, need, r->skipped[0], r->skip_reason[0]);
    r->nseries = (int)nok;
    return PTM_OK;
}

/* the first forecast row of window k of the j-th series backtested */
static size_t first_row(const long_bt *lb, const ptm_backtest_result *r, size_t j, size_t k) {
    return lb->lt.start[lb->ok[j] + 1] - lb->span + k * (size_t)r->stride;
}

/* the series' names, MASE scales (their rows before the first forecast row) and cutoffs */
static ptm_status describe(const long_bt *lb, ptm_backtest_result *r, ptm_error *err) {
    const ptm_csv *tab = &lb->lt.table;
    size_t ns = (size_t)r->nseries, nc = tab->ncols, tcol = (size_t)lb->lt.target;
    size_t longest = 1;
    for (size_t j = 0; j < ns; j++) {
        size_t n = first_row(lb, r, j, 0) - lb->lt.start[lb->ok[j]];
        if (n > longest) longest = n;
    }
    float *x = malloc(sizeof(float) * longest), *o = malloc(sizeof(float) * longest);
    r->series = calloc(ns, sizeof(char *));
    r->mase_scale = malloc(sizeof(double) * ns);
    r->cutoff_at = calloc(ns * r->norigins, sizeof(char *));
    ptm_status s = PTM_OK;
    if (!x || !o || !r->series || !r->mase_scale || !r->cutoff_at) goto oom;
    for (size_t j = 0; j < ns; j++) {
        size_t r0 = lb->lt.start[lb->ok[j]], n = first_row(lb, r, j, 0) - r0;
        if (!(r->series[j] = strdup(lb->lt.ids[lb->ok[j]]))) goto oom;
        for (size_t i = 0; i < n; i++) {
            x[i] = tab->values[(r0 + i) * nc + tcol];
            o[i] = tab->observed[(r0 + i) * nc + tcol];
        }
        r->mase_scale[j] = ptm_metric_mase_scale(x, o, n, r->season);
        for (size_t k = 0; k < r->norigins; k++)
            if (!(r->cutoff_at[k * ns + j] = strdup(tab->time_text[first_row(lb, r, j, k) - 1])))
                goto oom;
    }
    goto done;
oom:
    s = ptmi_err(err, PTM_ERR_NOMEM, lb->path, NULL, "out of memory");
done:
    free(x);
    free(o);
    return s;
}

/* the context of origin (j, k) into the i-th slot of the batch, scaled as the model reads it */
static void fill_window(const long_bt *lb, const ptm_backtest_result *r, size_t j, size_t k,
                        bt_batch *b, int i) {
    const ptm_csv *tab = &lb->lt.table;
    int L = lb->c->context_length, C = lb->c->num_input_channels;
    size_t r0 = first_row(lb, r, j, k) - (size_t)L, off = (size_t)i * L * C;
    for (int t = 0; t < L; t++)
        for (int ch = 0; ch < C; ch++) {
            size_t src = (r0 + (size_t)t) * tab->ncols + (size_t)lb->colidx[ch];
            b->past[off + (size_t)t * C + ch] = tab->values[src];
            b->pobs[off + (size_t)t * C + ch] = tab->observed[src];
        }
    ptm_scaler_transform(&lb->pp.scaler, b->past + off, b->pobs + off, (size_t)L);
    if (lb->btok) lb->btok[i] = lb->tok[j];
}

/* a value of the target channel between units (dir 1: scaled -> units) and the scaled space */
static double target_scale(const long_bt *lb, double v, int to_units) {
    const ptm_std_scaler *sc = &lb->pp.scaler;
    if (!sc->std || lb->tch >= sc->ncols) return v;
    double m = sc->mean[lb->tch], d = sc->std[lb->tch];
    return to_units ? v * d + m : (v - m) / d;
}

/* the points of the i-th origin of a batch, (j, k), into its sums */
static void add_origin(const long_bt *lb, const ptm_backtest_result *r, const bt_batch *b, int i,
                       const float *y, size_t j, size_t k, metric_sums *m) {
    const ptm_csv *tab = &lb->lt.table;
    int H = lb->c->prediction_length, Cs = lb->c->num_prediction_channels, S = b->S;
    size_t HS = (size_t)H * Cs, fr = first_row(lb, r, j, k);
    for (int t = 0; t < H; t++) {
        size_t cell = (fr + (size_t)t) * tab->ncols + (size_t)lb->lt.target;
        if (!(tab->observed[cell] > 0.0f)) continue;
        size_t p = (size_t)t * Cs + (size_t)lb->tfc;
        double yu = tab->values[cell], fs = y[(size_t)i * HS + p];
        metric_add_point(m, yu, target_scale(lb, fs, 1), target_scale(lb, yu, 0), fs);
        if (!b->samp) continue;
        for (int q = 0; q < S; q++)
            b->one[q] = (float)target_scale(lb, b->samp[((size_t)i * S + q) * HS + p], 1);
        m->crps += metric_crps_sorted(b->one, S, yu);
        const float *qv = b->q + (size_t)i * b->nq * HS;
        for (int q = 0; q < r->nintervals; q++) {
            double lo = target_scale(lb, qv[(size_t)q * HS + p], 1);
            double hi = target_scale(lb, qv[(size_t)(b->nq - 1 - q) * HS + p], 1);
            m->hits[q] += yu >= lo && yu <= hi;
        }
    }
}

/* every (window, series) pair through the model, window-major as r->per_origin */
static ptm_status run_origins(ptm_ctx *ctx, const long_bt *lb, bt_batch *b, uint64_t seed,
                              const ptm_backtest_result *r, metric_sums *sums, ptm_error *err) {
    size_t ns = (size_t)r->nseries, total = r->norigins * ns;
    size_t HS = (size_t)lb->c->prediction_length * lb->c->num_prediction_channels;
    for (size_t p0 = 0; p0 < total; p0 += (size_t)b->cap) {
        size_t n = total - p0 < (size_t)b->cap ? total - p0 : (size_t)b->cap;
        for (size_t i = 0; i < n; i++) fill_window(lb, r, (p0 + i) % ns, (p0 + i) / ns, b, (int)i);
        ptm_inputs in;
        memset(&in, 0, sizeof in);
        in.batch = (int)n;
        in.past_values = b->past;
        in.observed_mask = b->pobs;
        in.freq_token = lb->btok;
        ptm_status s = ptm_forward(ctx, &in, err);
        ptm_tensor_view v;
        if (s == PTM_OK)
            s = ptm_ctx_output(
                ctx, lb->c->loss == PTM_LOSS_NLL ? "distribution_mean" : "prediction_outputs", &v,
                err);
        if (s == PTM_OK && b->samp)
            s = ptm_ctx_sample(ctx, b->S, seed + p0, b->samp, n * (size_t)b->S * HS, err);
        if (s == PTM_OK && b->samp)
            s = ptm_quantiles(b->samp, (int)n, b->S, (int64_t)HS, b->qlev, b->nq, b->q, err);
        if (s != PTM_OK) return s;
        for (size_t i = 0; i < n; i++)
            add_origin(lb, r, b, (int)i, v.data, (p0 + i) % ns, (p0 + i) / ns, sums + p0 + i);
    }
    return PTM_OK;
}

int bt_is_long(const char *model_dir, const char *path) {
    if (ptm_long_sniff(path, NULL)) return 1;
    ptm_preprocessor pp;
    ptm_error e;
    if (ptm_preprocessor_load(model_dir, &pp, &e) != PTM_OK) return 0;
    ptm_long_params lp = {pp.id_column, pp.timestamp_column, NULL, 0};
    int is_long = pp.id_column && ptm_long_sniff(path, &lp);
    ptm_preprocessor_free(&pp);
    return is_long;
}

ptm_status bt_long(const ptm_model *m, const char *model_dir, const char *path,
                   const ptm_long_params *lpar, const ptm_backtest_params *p,
                   ptm_backtest_result *r, ptm_error *err) {
    long_bt lb;
    memset(&lb, 0, sizeof lb);
    lb.c = ptm_model_config(m);
    lb.path = path;
    int H = lb.c->prediction_length;
    bt_batch b;
    memset(&b, 0, sizeof b);
    metric_sums *sums = NULL;
    ptm_ctx *ctx = NULL;
    ptm_status s = PTM_OK;
    if (p->split || p->start >= 0 || p->end >= 0) {
        s = ptmi_err(err, PTM_ERR_ARG, path, p->split ? "split" : "start",
                     "is for wide CSVs; a long-format file's origins are the last `windows` of "
                     "each series, `stride` rows apart");
        goto done;
    }
    r->long_format = 1;
    r->prediction_length = H;
    r->stride = p->stride ? p->stride : H;
    r->season = p->season;
    r->distribution = lb.c->loss == PTM_LOSS_NLL;
    r->norigins = p->windows ? (size_t)p->windows : 1;
    lb.span = (size_t)H + (r->norigins - 1) * (size_t)r->stride;
    if ((s = ptm_preprocessor_load(model_dir, &lb.pp, err)) != PTM_OK) goto done;
    ptm_long_params named = {lb.pp.id_column, lb.pp.timestamp_column, lb.pp.target_column, 0};
    if (!lpar && lb.pp.id_column) lpar = &named; /* the model's long training data's names */
    if ((s = ptm_long_load(path, lpar, &lb.lt, err)) != PTM_OK ||
        (s = pick_channels(&lb, p->columns, err)) != PTM_OK ||
        (s = pick_series(&lb, r, err)) != PTM_OK || (s = describe(&lb, r, err)) != PTM_OK ||
        (s = bt_alloc_results(r, p, H, &b, &sums, path, err)) != PTM_OK)
        goto done;
    if (bt_batch_alloc(&b, lb.c, r, r->distribution) != 0 ||
        (lb.tok && !(lb.btok = malloc(sizeof(int64_t) * (size_t)b.cap)))) {
        s = ptmi_err(err, PTM_ERR_NOMEM, path, NULL, "out of memory");
        goto done;
    }
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = b.cap;
    cp.keep_hidden_states = 0;
    if ((s = ptm_ctx_create(m, &cp, &ctx, err)) != PTM_OK) goto done;
    if ((s = run_origins(ctx, &lb, &b, p->seed, r, sums, err)) != PTM_OK) goto done;
    bt_finish(r, sums);
done:
    ptm_ctx_free(ctx);
    free(sums);
    bt_batch_free(&b);
    long_bt_free(&lb);
    return s;
}
