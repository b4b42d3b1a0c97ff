/* ttm.c - the head of TinyTimeMixerForPrediction, forward and backward: the decoder output
 * flattened per channel patch-major (head dropout in training), Linear(N Dd -> H), the forecast
 * channels, the first Hf steps, the forecast channel mixer when enabled (ttm_fcm.c, in the scaled
 * space), then x scale + loc; the loss (mse, mae, pinball, huber) over the observed future
 * values; its output views. */
#include <math.h>
#include <string.h>

#include "heads/heads.h"
#include "layers/layers.h"
#include "model/ttm_ctx.h"

static int filtered(const ptm_config *c) {
    return c->ttm.prediction_filter_length ? c->ttm.prediction_filter_length : c->prediction_length;
}

static void ttm_head_plan(ptmi_plan *pl, ptm_ctx *ctx, size_t B) {
    const ptm_config *c = &ctx->model->cfg;
    ptmi_ttm_ctx *tc = ctx->ttm;
    if (!tc) return; /* the backbone's plan failed (pl->bad) */
    size_t H = (size_t)c->prediction_length, Cs = (size_t)c->num_prediction_channels,
           cnt = ptmi_ttm_count(B, (size_t)filtered(c), Cs, 1);
    ptmi_plan_add(pl, &tc->rows, ptmi_ttm_count(B, H, 1, 1));
    ptmi_plan_add(pl, &tc->full, ptmi_ttm_count(B, H, Cs, 1));
    ptmi_plan_add(pl, &tc->base, cnt);
    ptmi_plan_add(pl, &tc->target, cnt);
    ptmi_plan_add(pl, &tc->tmask, cnt);
    if (ctx->model->p.ttm.has_fcm) ptmi_ttm_fcm_plan(pl, ctx, B);
    if (!ctx->training) return;
    size_t Dh = (size_t)(ctx->model->p.ttm.has_decoder ? c->ttm.decoder_d_model : c->d_model),
           flat = ptmi_ttm_count(B, (size_t)c->num_input_channels, (size_t)c->num_patches, Dh);
    if (c->head_dropout > 0.0f) {
        ptmi_plan_add(pl, &tc->head_mask, flat);
        ptmi_plan_add(pl, &tc->head_in, flat);
    }
    ptmi_plan_add(pl, &tc->d_out, cnt);
    ptmi_plan_add(pl, &tc->d_full, ptmi_ttm_count(B, H, Cs, 1));
}

/* what the head's linear reads: the decoder output, in training after head dropout */
static const float *head_input(ptm_ctx *ctx, const float *last, size_t n, int draw) {
    float p = ctx->model->cfg.head_dropout;
    ptmi_ttm_ctx *tc = ctx->ttm;
    if (!ctx->training || p <= 0.0f) return last;
    if (draw) {
        dropout_mask_fill(tc->head_mask, n, p, &ctx->rng);
        for (size_t i = 0; i < n; i++) tc->head_in[i] = last[i] * tc->head_mask[i];
    }
    return tc->head_in;
}

static ptm_status ttm_head_check(const ptm_ctx *ctx, const ptm_inputs *in, ptm_error *err) {
    const ptm_config *c = &ctx->model->cfg;
    size_t nf = (size_t)in->batch * c->prediction_length * c->num_input_channels;
    if (!in->future_values && c->ttm.enable_forecast_channel_mixing &&
        c->ttm.num_exogenous_channels)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "future_values",
                        "future_values is NULL; the forecast channel mixer reads the known "
                        "future of the exogenous channels from it");
    for (size_t i = 0; in->future_values && i < nf; i++)
        if (!isfinite(in->future_values[i]))
            return ptmi_err(err, PTM_ERR_INPUT, NULL, "future_values", "value %zu is not finite",
                            i);
    for (size_t i = 0; in->future_observed_mask && i < nf; i++)
        if (in->future_observed_mask[i] != 0.0f && in->future_observed_mask[i] != 1.0f)
            return ptmi_err(err, PTM_ERR_INPUT, NULL, "future_observed_mask",
                            "value %g at %zu, expected 0 or 1", (double)in->future_observed_mask[i],
                            i);
    return PTM_OK;
}

/* the loss over the first Hf steps of the forecast channels where future_observed_mask is 1 */
static ptm_status ttm_loss(ptm_ctx *ctx, const ptm_inputs *in, ptm_error *err) {
    const ptm_config *c = &ctx->model->cfg;
    ptmi_ttm_ctx *tc = ctx->ttm;
    int B = in->batch, C = c->num_input_channels, H = c->prediction_length, Hf = filtered(c),
        Cs = c->num_prediction_channels;
    const int *sel = c->prediction_channel_indices;
    size_t cnt = (size_t)B * Hf * Cs, n = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < Hf; t++)
            for (int j = 0; j < Cs; j++) {
                size_t from = ((size_t)b * H + t) * C + (size_t)(sel ? sel[j] : j);
                size_t to = ((size_t)b * Hf + t) * Cs + j;
                tc->target[to] = in->future_values[from];
                tc->tmask[to] = in->future_observed_mask ? in->future_observed_mask[from] : 1.0f;
            }
    ctx->loss[0] = point_loss_forward(c->loss, ctx->out_main, tc->target,
                                      in->future_observed_mask ? tc->tmask : NULL, cnt,
                                      c->ttm.quantile, c->ttm.huber_delta, &n);
    if (n == 0)
        return ptmi_err(err, PTM_ERR_INPUT, NULL, "future_observed_mask",
                        "no forecast value is observed: the loss has nothing to average");
    ctx->has_loss = 1;
    return PTM_OK;
}

static ptm_status ttm_head_forward(ptm_ctx *ctx, const ptm_inputs *in, const float *last,
                                   int rows_done, ptm_error *err) {
    (void)rows_done;
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_params *p = &ctx->model->p;
    ptmi_ttm_ctx *tc = ctx->ttm;
    int B = in->batch, C = c->num_input_channels, N = c->num_patches, H = c->prediction_length,
        Hf = filtered(c), Cs = c->num_prediction_channels;
    int Dh = p->ttm.has_decoder ? c->ttm.decoder_d_model : c->d_model;
    const int *sel = c->prediction_channel_indices;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < Cs; j++) {
            int ch = sel ? sel[j] : j;
            ctx->loc_sel[(size_t)b * Cs + j] = ctx->loc[(size_t)b * C + ch];
            ctx->scale_sel[(size_t)b * Cs + j] = ctx->scale[(size_t)b * C + ch];
        }
    const float *hin = head_input(ctx, last, (size_t)B * C * N * Dh, 1);
    prediction_head_forward(tc->full, tc->rows, hin, &p->head, sel, Cs, B, C, N * Dh, H);
    for (int b = 0; b < B; b++)
        memcpy(tc->base + (size_t)b * Hf * Cs, tc->full + (size_t)b * H * Cs,
               (size_t)Hf * Cs * sizeof(float));
    const float *y = tc->base;
    if (p->ttm.has_fcm) {
        ptmi_ttm_fcm_forward(ctx, in, tc->base, tc->fcm_out);
        y = tc->fcm_out;
    }
    size_t cnt = (size_t)B * Hf * Cs;
    for (size_t i = 0; i < cnt; i++) {
        size_t b = i / ((size_t)Hf * Cs), j = i % (size_t)Cs;
        ctx->out_main[i] = y[i] * ctx->scale_sel[b * Cs + j] + ctx->loc_sel[b * Cs + j];
    }
    return in->future_values ? ttm_loss(ctx, in, err) : PTM_OK;
}

/* d loss / d(decoder output) into dlast [B, C, N, Dd]: the loss, x scale, the forecast channel
 * mixer, the Hf cut and the channel selection, the linear, head dropout */
static void ttm_head_backward(ptm_ctx *ctx, ptmi_params *g, float *dlast) {
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_params *p = &ctx->model->p;
    ptmi_ttm_ctx *tc = ctx->ttm;
    int B = ctx->batch, C = c->num_input_channels, N = c->num_patches, H = c->prediction_length,
        Hf = filtered(c), Cs = c->num_prediction_channels;
    int Dh = p->ttm.has_decoder ? c->ttm.decoder_d_model : c->d_model;
    size_t cnt = (size_t)B * Hf * Cs, flat = (size_t)B * C * N * Dh;
    point_loss_backward(tc->d_out, c->loss, ctx->out_main, tc->target, tc->tmask, cnt,
                        c->ttm.quantile, c->ttm.huber_delta);
    for (size_t i = 0; i < cnt; i++) {
        size_t b = i / ((size_t)Hf * Cs), j = i % (size_t)Cs;
        tc->d_out[i] *= ctx->scale_sel[b * Cs + j];
    }
    if (p->ttm.has_fcm) ptmi_ttm_fcm_backward(ctx, g, tc->d_out);
    memset(tc->d_full, 0, (size_t)B * H * Cs * sizeof(float));
    for (int b = 0; b < B; b++)
        memcpy(tc->d_full + (size_t)b * H * Cs, tc->d_out + (size_t)b * Hf * Cs,
               (size_t)Hf * Cs * sizeof(float));
    memset(dlast, 0, flat * sizeof(float));
    prediction_head_backward(dlast, &g->head, tc->d_full, head_input(ctx, tc->dec_last, flat, 0),
                             &p->head, c->prediction_channel_indices, Cs, B, C, N * Dh, H);
    if (ctx->training && c->head_dropout > 0.0f)
        for (size_t i = 0; i < flat; i++) dlast[i] *= tc->head_mask[i];
}

static void ttm_head_scale_outputs(ptm_ctx *ctx, int B) {
    const ptm_config *c = &ctx->model->cfg;
    int C = c->num_input_channels, Cs = c->num_prediction_channels;
    ptmi_add_output(ctx, "loc", ctx->loc_sel, 3, B, 1, Cs, 0);
    ptmi_add_output(ctx, "scale", ctx->scale_sel, 3, B, 1, Cs, 0);
    if (c->prediction_channel_indices) {
        ptmi_add_output(ctx, "backbone.loc", ctx->loc, 3, B, 1, C, 0);
        ptmi_add_output(ctx, "backbone.scale", ctx->scale, 3, B, 1, C, 0);
    }
}

static void ttm_head_outputs(ptm_ctx *ctx, int B) {
    const ptm_config *c = &ctx->model->cfg;
    int Hf = filtered(c), Cs = c->num_prediction_channels;
    ptmi_add_output(ctx, "prediction_outputs", ctx->out_main, 3, B, Hf, Cs, 0);
    if (!ctx->model->p.ttm.has_fcm) return;
    ptmi_add_output(ctx, "fcm_block.base_forecasts", ctx->ttm->base, 3, B, Hf, Cs, 0);
    ptmi_add_output(ctx, "fcm_block.output", ctx->ttm->fcm_out, 3, B, Hf, Cs, 0);
}

const ptmi_head_ops ptmi_head_ttm = {
    ttm_head_plan,          ttm_head_check,   NULL, ttm_head_forward, ttm_head_backward,
    ttm_head_scale_outputs, ttm_head_outputs,
};
