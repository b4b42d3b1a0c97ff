/* forecast.c - the head of PatchTSMixerForPrediction: per forecast channel a linear
 * N D -> H (point forecast, de-normalised with the scaler's loc/scale; or the projections of a
 * distribution head), MSE or NLL against the future values of the forecast channels, its
 * backward pass, and its output views. In eval mode the head runs inside each chunk of series
 * (forecast_rows); a training forward runs it on the whole batch. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "heads/heads.h"
#include "layers/layers.h"

#define P3(a) ((const float *const *)(a))

static void forecast_plan(ptmi_plan *pl, ptm_ctx *ctx, size_t B) {
    const ptm_model *m = ctx->model;
    const ptm_config *c = &m->cfg;
    size_t H = (size_t)c->prediction_length, Cs = (size_t)c->num_prediction_channels,
           C = (size_t)c->num_input_channels, cnt = B * H * Cs;
    size_t nproj = (size_t)(m->p.n_proj > 0 ? m->p.n_proj : 1);
    ptmi_plan_add(pl, &ctx->s_target, cnt);
    ptmi_plan_add(pl, &ctx->s_row, B * H);
    if (!ctx->training) ptmi_plan_add(pl, &ctx->s_hrows, B * C * H * nproj);
}

static ptm_status forecast_check(const ptm_ctx *ctx, const ptm_inputs *in, ptm_error *err) {
    const ptm_config *c = &ctx->model->cfg;
    if (!in->future_values) return PTM_OK;
    size_t nf = (size_t)in->batch * c->prediction_length * c->num_input_channels;
    for (size_t i = 0; i < nf; i++)
        if (!isfinite(in->future_values[i]))
            return ptmi_err(err, PTM_ERR_INPUT, NULL, "future_values", "value %zu is not finite",
                            i);
    return PTM_OK;
}

/* the head on series [r0, r0 + nr), then each forecast row into [B, H, Cs] (de-normalised for
 * a point forecast; distribution parameters are mapped after the chunks) */
static void forecast_rows(ptm_ctx *ctx, const float *h, size_t r0, size_t nr, size_t rows_total) {
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_params *p = &ctx->model->p;
    int C = c->num_input_channels, H = c->prediction_length, Cs = c->num_prediction_channels;
    int nll = c->loss == PTM_LOSS_NLL;
    const int *sel = c->prediction_channel_indices;
    int nh = nll ? p->n_proj : 1;
    for (int q = 0; q < nh; q++) {
        float *rows = ctx->s_hrows + ((size_t)q * rows_total + r0) * H;
        linear_forward(rows, h, nll ? &p->proj[q] : &p->head, nr);
        float *dst = nll ? ctx->out_param[q] : ctx->out_main;
        for (size_t r = 0; r < nr; r++) {
            size_t row = r0 + r, b = row / (size_t)C;
            int ch = (int)(row % (size_t)C);
            const float *src = rows + r * H;
            float lo = nll ? 0.0f : ctx->loc[row], sc = nll ? 1.0f : ctx->scale[row];
            for (int jj = 0; jj < Cs; jj++) {
                if ((sel ? sel[jj] : jj) != ch) continue;
                float *o = dst + b * (size_t)H * Cs + (size_t)jj;
                if (nll)
                    for (int t = 0; t < H; t++) o[(size_t)t * Cs] = src[t];
                else
                    for (int t = 0; t < H; t++) o[(size_t)t * Cs] = src[t] * sc + lo;
            }
        }
    }
}

static ptm_status forecast_forward(ptm_ctx *ctx, const ptm_inputs *in, const float *last,
                                   int rows_done, ptm_error *err) {
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_params *p = &ctx->model->p;
    int B = in->batch, C = c->num_input_channels, N = c->num_patches, D = c->d_model,
        H = c->prediction_length, Cs = c->num_prediction_channels;
    const int *sel = c->prediction_channel_indices;
    size_t cnt = (size_t)B * H * Cs;
    /* the scaler's statistics and the targets, restricted to the forecast channels */
    for (int b = 0; b < B; b++)
        for (int j = 0; j < Cs; j++) {
            int ch = sel ? sel[j] : j;
            ctx->loc_sel[(size_t)b * Cs + j] = ctx->loc[(size_t)b * C + ch];
            ctx->scale_sel[(size_t)b * Cs + j] = ctx->scale[(size_t)b * C + ch];
        }
    const float *fut = NULL;
    if (in->future_values) {
        float *tgt = ctx->s_target;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < H; t++)
                for (int j = 0; j < Cs; j++) {
                    int ch = sel ? sel[j] : j;
                    tgt[((size_t)b * H + t) * Cs + j] =
                        in->future_values[((size_t)b * H + t) * C + ch];
                }
        fut = tgt;
    }
    const float *hin = ptmi_head_dropout(ctx, last, (size_t)B * C * N * D);
    if (c->loss != PTM_LOSS_NLL) {
        if (!rows_done) {
            prediction_head_forward(ctx->out_main, ctx->s_row, hin, &p->head, sel, Cs, B, C, N * D,
                                    H);
            for (size_t i = 0; i < cnt; i++) {
                size_t b = i / ((size_t)H * Cs), j = i % (size_t)Cs;
                ctx->out_main[i] =
                    ctx->out_main[i] * ctx->scale_sel[b * Cs + j] + ctx->loc_sel[b * Cs + j];
            }
        }
        if (fut) {
            ctx->loss[0] = mse_loss_forward(ctx->out_main, fut, cnt);
            ctx->has_loss = 1;
        }
        return PTM_OK;
    }
    for (int j = 0; j < p->n_proj && !rows_done; j++)
        prediction_head_forward(ctx->out_param[j], ctx->s_row, hin, &p->proj[j], sel, Cs, B, C,
                                N * D, H);
    if (ctx->training)
        for (int j = 0; j < p->n_proj; j++)
            memcpy(ctx->raw[j], ctx->out_param[j], cnt * sizeof(float));
    dist_head_forward(ctx->out_param, ctx->out_mean, c->distribution_output, cnt, H, Cs,
                      ctx->loc_sel, ctx->scale_sel);
    if (fut) {
        double lp = nll_log_prob_sum(P3(ctx->out_param), c->distribution_output, cnt, H, Cs, fut,
                                     ctx->loc_sel, ctx->scale_sel);
        ctx->loss[0] = (float)(-lp / ((double)B * H));
        ctx->has_loss = 1;
    }
    (void)err;
    return PTM_OK;
}

static void forecast_backward(ptm_ctx *ctx, ptmi_params *g, float *dlast) {
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_params *p = &ctx->model->p;
    int B = ctx->batch, C = c->num_input_channels, N = c->num_patches, D = c->d_model,
        H = c->prediction_length, Cs = c->num_prediction_channels;
    const int *sel = c->prediction_channel_indices;
    size_t cnt = (size_t)B * H * Cs, bcnd = (size_t)B * C * N * D;
    int head_drop = ptmi_head_dropout_on(ctx);
    const float *hin = head_drop ? ctx->head_in : ctx->last_hidden;
    float **draw = ctx->d_raw;
    memset(dlast, 0, bcnd * sizeof(float));
    if (c->loss != PTM_LOSS_NLL) {
        /* the loss, then the de-normalisation out = raw * scale + loc */
        mse_loss_backward(draw[0], ctx->out_main, ctx->s_target, cnt);
        for (size_t i = 0; i < cnt; i++) {
            size_t b = i / ((size_t)H * Cs), j = i % (size_t)Cs;
            draw[0][i] *= ctx->scale_sel[b * Cs + j];
        }
        prediction_head_backward(dlast, &g->head, draw[0], hin, &p->head, sel, Cs, B, C, N * D, H);
    } else {
        double factor = -1.0 / ((double)B * H);
        nll_loss_backward(draw, P3(ctx->out_param), P3(ctx->raw), c->distribution_output, cnt, H,
                          Cs, ctx->s_target, ctx->loc_sel, ctx->scale_sel, factor);
        for (int j = 0; j < p->n_proj; j++)
            prediction_head_backward(dlast, &g->proj[j], draw[j], hin, &p->proj[j], sel, Cs, B, C,
                                     N * D, H);
    }
    if (head_drop)
        for (size_t i = 0; i < bcnd; i++) dlast[i] *= ctx->head_mask[i];
}

static void forecast_scale_outputs(ptm_ctx *ctx, int B) {
    const ptm_config *c = &ctx->model->cfg;
    int C = c->num_input_channels, Cs = c->num_prediction_channels;
    ptmi_add_output(ctx, "loc", ctx->loc_sel, 3, B, 1, Cs, 0);
    ptmi_add_output(ctx, "scale", ctx->scale_sel, 3, B, 1, Cs, 0);
    if (c->prediction_channel_indices) {
        ptmi_add_output(ctx, "model.loc", ctx->loc, 3, B, 1, C, 0);
        ptmi_add_output(ctx, "model.scale", ctx->scale, 3, B, 1, C, 0);
    }
}

static void forecast_outputs(ptm_ctx *ctx, int B) {
    const ptm_config *c = &ctx->model->cfg;
    int H = c->prediction_length, Cs = c->num_prediction_channels;
    if (c->loss != PTM_LOSS_NLL) {
        ptmi_add_output(ctx, "prediction_outputs", ctx->out_main, 3, B, H, Cs, 0);
        return;
    }
    for (int j = 0; j < ctx->model->p.n_proj; j++) {
        char name[40];
        snprintf(name, sizeof name, "prediction_outputs.%d", j);
        ptmi_add_output(ctx, name, ctx->out_param[j], 3, B, H, Cs, 0);
    }
    ptmi_add_output(ctx, "distribution_mean", ctx->out_mean, 3, B, H, Cs, 0);
}

const ptmi_head_ops ptmi_head_forecast = {
    forecast_plan,     forecast_check,         forecast_rows,    forecast_forward,
    forecast_backward, forecast_scale_outputs, forecast_outputs,
};
