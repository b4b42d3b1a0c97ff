/* pretrain.c - the head of PatchTSMixerForPretraining: a linear D -> P per patch that
 * reconstructs the (masked) patches, the masked mean-squared-error loss, its backward pass, and
 * the output views (reconstruction, mask, masked input). In eval mode it runs inside each chunk
 * of series. */
#include <string.h>

#include "heads/heads.h"
#include "layers/layers.h"

static void pretrain_rows(ptm_ctx *ctx, const float *h, size_t r0, size_t nr, size_t rows_total) {
    const ptm_config *c = &ctx->model->cfg;
    size_t np = (size_t)c->num_patches * c->patch_length;
    (void)rows_total;
    linear_forward(ctx->out_main + r0 * np, h, &ctx->model->p.head, nr * c->num_patches);
}

static ptm_status pretrain_forward(ptm_ctx *ctx, const ptm_inputs *in, const float *last,
                                   int rows_done, ptm_error *err) {
    const ptm_config *c = &ctx->model->cfg;
    size_t bcn = (size_t)in->batch * c->num_input_channels * c->num_patches;
    const float *hin = ptmi_head_dropout(ctx, last, bcn * c->d_model);
    if (!rows_done) linear_forward(ctx->out_main, hin, &ctx->model->p.head, bcn);
    ctx->loss[0] = pretrain_loss_forward(ctx->out_main, ctx->patch_input, ctx->mask, bcn,
                                         c->patch_length, c->masked_loss);
    ctx->has_loss = 1;
    (void)err;
    return PTM_OK;
}

static void pretrain_backward(ptm_ctx *ctx, ptmi_params *g, float *dlast) {
    const ptm_config *c = &ctx->model->cfg;
    int P = c->patch_length, D = c->d_model;
    size_t groups = (size_t)ctx->batch * c->num_input_channels * c->num_patches, bcnd = groups * D;
    int head_drop = ptmi_head_dropout_on(ctx);
    const float *hin = head_drop ? ctx->head_in : ctx->last_hidden;
    float *dy = ctx->d_raw[0]; /* [B, C, N, P] */
    pretrain_loss_backward(dy, ctx->out_main, ctx->patch_input, ctx->mask, groups, P,
                           c->masked_loss);
    memset(dlast, 0, bcnd * sizeof(float));
    linear_backward(dlast, g->head.w, g->head.b, dy, hin, ctx->model->p.head.w, groups, D, P);
    if (head_drop)
        for (size_t i = 0; i < bcnd; i++) dlast[i] *= ctx->head_mask[i];
}

static void pretrain_outputs(ptm_ctx *ctx, int B) {
    const ptm_config *c = &ctx->model->cfg;
    int C = c->num_input_channels, N = c->num_patches, P = c->patch_length;
    ptmi_add_output(ctx, "prediction_outputs", ctx->out_main, 4, B, C, N, P);
    ptmi_add_output(ctx, "mask", ctx->mask, 3, B, C, N, 0);
    ptmi_add_output(ctx, "masked_patch_input", ctx->masked_input, 4, B, C, N, P);
}

const ptmi_head_ops ptmi_head_pretrain = {
    NULL, NULL, pretrain_rows, pretrain_forward, pretrain_backward, NULL, pretrain_outputs,
};
