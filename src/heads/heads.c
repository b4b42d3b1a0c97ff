/* heads.c - the table of head operations by model class (see heads.h), the backbone-only class
 * (PatchTSMixerModel: no head, no loss) and what the heads share: the size of their main
 * output, and head dropout in training. */
#include "heads/heads.h"
#include "layers/layers.h"

static ptm_status none_forward(ptm_ctx *ctx, const ptm_inputs *in, const float *last, int rows_done,
                               ptm_error *err) {
    (void)ctx, (void)in, (void)last, (void)rows_done, (void)err;
    return PTM_OK;
}

/* PatchTSMixerModel, TinyTimeMixerModel: the backbone's outputs only */
static const ptmi_head_ops head_none = {NULL, NULL, NULL, none_forward, NULL, NULL, NULL};

const ptmi_head_ops *ptmi_head_ops_for(const ptm_config *c) {
    if (c->family == PTM_FAMILY_TTM)
        return c->model_class == PTM_CLASS_PREDICTION ? &ptmi_head_ttm : &head_none;
    switch (c->model_class) {
    case PTM_CLASS_PREDICTION:
        return &ptmi_head_forecast;
    case PTM_CLASS_CLASSIFICATION:
    case PTM_CLASS_REGRESSION:
        return &ptmi_head_linear;
    case PTM_CLASS_PRETRAINING:
        return &ptmi_head_pretrain;
    case PTM_CLASS_MODEL:
        break;
    }
    return &head_none;
}

size_t ptmi_head_main_count(const ptm_config *c, size_t B) {
    switch (c->model_class) {
    case PTM_CLASS_PREDICTION:
        return B * (size_t)c->prediction_length * (size_t)c->num_prediction_channels;
    case PTM_CLASS_CLASSIFICATION:
    case PTM_CLASS_REGRESSION:
        return B * (size_t)c->num_targets;
    case PTM_CLASS_PRETRAINING:
        return B * (size_t)c->num_input_channels * c->num_patches * c->patch_length;
    case PTM_CLASS_MODEL:
        break;
    }
    return 1;
}

int ptmi_head_dropout_on(const ptm_ctx *ctx) {
    return ctx->training && ctx->model->cfg.head_dropout > 0.0f;
}

const float *ptmi_head_dropout(ptm_ctx *ctx, const float *x, size_t n) {
    if (!ptmi_head_dropout_on(ctx)) return x;
    dropout_mask_fill(ctx->head_mask, n, ctx->model->cfg.head_dropout, &ctx->rng);
    for (size_t i = 0; i < n; i++) ctx->head_in[i] = x[i] * ctx->head_mask[i];
    return ctx->head_in;
}
