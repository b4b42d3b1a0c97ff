/* stream.c - online forecasting: observations arrive a row at a time, a forecast can be asked
 * for after any row.
 *
 * The stream keeps the last context_length rows in a ring buffer and a batch-1 context, both
 * allocated at creation; push copies rows in, forecast lays the ring out as one window and
 * runs the forward. What can be reused is reused (the buffers, the context, the transposed
 * weights); the forward itself cannot be shortened: instance scaling (std/mean) renormalises
 * the whole window at every step and the patch mixer mixes every patch with every other, so
 * each forecast is one full batch-1 forward (bench/bench.c --stream reports its cost).
 * A TinyTimeMixer stream also carries the series' frequency token and static categorical
 * codes, given once at creation and checked there.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "patchtsmixer.h"

struct ptm_stream {
    const ptm_model *model;
    ptm_ctx *ctx;
    int L, C;
    float *ring, *ring_obs;  /* [L, C] */
    float *window, *win_obs; /* [L, C] in time order */
    int64_t seen;            /* rows pushed so far */
    int head;                /* ring slot of the next row */
    int64_t freq_token;      /* the prefix's token, or -1 (no prefix) */
    int64_t *cat;            /* [n_cat] static categorical codes, or NULL */
};

ptm_stream_params ptm_stream_default_params(void) {
    ptm_stream_params p;
    p.num_threads = 1;
    p.num_input_channels = 0;
    p.freq_token = -1;
    p.static_categorical_values = NULL;
    return p;
}

/* a TinyTimeMixer model's token and codes in p: what it needs, within its vocabularies */
static ptm_status stream_ttm_check(const ptm_config *c, const ptm_stream_params *p,
                                   ptm_error *err) {
    const ptm_ttm_config *t = &c->ttm;
    int prefix = c->family == PTM_FAMILY_TTM && t->resolution_prefix_tuning;
    int ncat = c->family == PTM_FAMILY_TTM && t->use_decoder ? t->num_categorical : 0;
    if (!prefix && p->freq_token >= 0)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "freq_token",
                        "this model has no frequency token (resolution_prefix_tuning is off)");
    if (prefix && p->freq_token < 0)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "freq_token",
                        "this model (resolution_prefix_tuning) needs a frequency token: set "
                        "ptm_stream_params.freq_token (ptm_frequency_token of the time step)");
    if (prefix && p->freq_token >= t->frequency_token_vocab_size)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "freq_token", "token %lld out of range [0, %d)",
                        (long long)p->freq_token, t->frequency_token_vocab_size);
    if (!ncat && p->static_categorical_values)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "static_categorical_values",
                        "this model has no static categorical variables "
                        "(categorical_vocab_size_list)");
    if (ncat && !p->static_categorical_values)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "static_categorical_values",
                        "this model needs %d static categorical codes: set "
                        "ptm_stream_params.static_categorical_values",
                        ncat);
    for (int k = 0; k < ncat; k++)
        if (p->static_categorical_values[k] < 0 ||
            p->static_categorical_values[k] >= t->categorical_vocab_size_list[k])
            return ptmi_err(err, PTM_ERR_ARG, NULL, "static_categorical_values",
                            "variable %d: index %lld out of range [0, %d)", k,
                            (long long)p->static_categorical_values[k],
                            t->categorical_vocab_size_list[k]);
    return PTM_OK;
}

ptm_status ptm_stream_create(const ptm_model *model, const ptm_stream_params *params,
                             ptm_stream **out, ptm_error *err) {
    if (!out) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "out is NULL");
    *out = NULL;
    if (!model) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "model is NULL");
    const ptm_config *c = &model->cfg;
    if (c->model_class != PTM_CLASS_PREDICTION)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "architectures",
                        "streaming needs a forecaster (PatchTSMixerForPrediction), not %s",
                        ptm_config_class_name(c));
    ptm_stream_params dp = ptm_stream_default_params();
    if (!params) params = &dp;
    ptm_status st = stream_ttm_check(c, params, err);
    if (st != PTM_OK) return st;
    ptm_stream *s = calloc(1, sizeof *s);
    if (!s) return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    s->freq_token = params->freq_token;
    int ncat = params->static_categorical_values ? c->ttm.num_categorical : 0;
    if (ncat && !(s->cat = malloc(sizeof(int64_t) * (size_t)ncat))) {
        free(s);
        return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    }
    if (ncat) memcpy(s->cat, params->static_categorical_values, sizeof(int64_t) * (size_t)ncat);
    s->model = model;
    s->L = c->context_length;
    s->C = params->num_input_channels > 0 ? params->num_input_channels : c->num_input_channels;
    size_t n = (size_t)s->L * (size_t)s->C;
    s->ring = malloc(n * sizeof(float));
    s->ring_obs = malloc(n * sizeof(float));
    s->window = malloc(n * sizeof(float));
    s->win_obs = malloc(n * sizeof(float));
    if (!s->ring || !s->ring_obs || !s->window || !s->win_obs) {
        ptm_stream_free(s);
        return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    }
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = 1;
    cp.keep_hidden_states = 0;
    cp.num_threads = params->num_threads;
    cp.num_input_channels = params->num_input_channels;
    st = ptm_ctx_create(model, &cp, &s->ctx, err);
    if (st != PTM_OK) {
        ptm_stream_free(s);
        return st;
    }
    *out = s;
    return PTM_OK;
}

void ptm_stream_free(ptm_stream *s) {
    if (!s) return;
    ptm_ctx_free(s->ctx);
    free(s->ring);
    free(s->ring_obs);
    free(s->window);
    free(s->win_obs);
    free(s->cat);
    free(s);
}

ptm_status ptm_stream_push(ptm_stream *s, const float *rows, const float *observed, int n,
                           ptm_error *err) {
    if (!s || (!rows && n > 0) || n < 0)
        return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "invalid arguments to ptm_stream_push");
    size_t C = (size_t)s->C;
    for (int r = 0; r < n; r++) {
        float *dst = s->ring + (size_t)s->head * C, *dob = s->ring_obs + (size_t)s->head * C;
        memcpy(dst, rows + (size_t)r * C, C * sizeof(float));
        for (size_t c = 0; c < C; c++) dob[c] = observed ? observed[(size_t)r * C + c] : 1.0f;
        s->head = (s->head + 1) % s->L;
        s->seen++;
    }
    return PTM_OK;
}

int64_t ptm_stream_rows(const ptm_stream *s) {
    return s ? s->seen : 0;
}

ptm_status ptm_stream_forecast(ptm_stream *s, const float **out, ptm_error *err) {
    if (!s || !out) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "NULL argument");
    *out = NULL;
    if (s->seen < s->L)
        return ptmi_err(err, PTM_ERR_INPUT, NULL, "context_length",
                        "%lld rows pushed, the model needs %d before its first forecast",
                        (long long)s->seen, s->L);
    size_t C = (size_t)s->C, older = (size_t)(s->L - s->head);
    /* ring slots head..L-1 are the oldest rows, 0..head-1 the newest */
    memcpy(s->window, s->ring + (size_t)s->head * C, older * C * sizeof(float));
    memcpy(s->window + older * C, s->ring, (size_t)s->head * C * sizeof(float));
    memcpy(s->win_obs, s->ring_obs + (size_t)s->head * C, older * C * sizeof(float));
    memcpy(s->win_obs + older * C, s->ring_obs, (size_t)s->head * C * sizeof(float));
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 1;
    in.past_values = s->window;
    in.observed_mask = s->win_obs;
    in.freq_token = s->freq_token >= 0 ? &s->freq_token : NULL;
    in.static_categorical_values = s->cat;
    ptm_status st = ptm_forward(s->ctx, &in, err);
    if (st != PTM_OK) return st;
    ptm_tensor_view v;
    const char *name =
        s->model->cfg.loss == PTM_LOSS_NLL ? "distribution_mean" : "prediction_outputs";
    if ((st = ptm_ctx_output(s->ctx, name, &v, err)) != PTM_OK) return st;
    *out = v.data;
    return PTM_OK;
}
