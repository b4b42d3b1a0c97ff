/* forward.c - ptm_forward, the forward pass of every model class, read top to bottom:
 *
 *   scale -> patchify -> (pretraining: mask) -> embed (patcher + positional encoding)
 *   -> backbone (K mixer layers, InjectScalerStatistics4D) -> head -> loss -> outputs
 *
 * The steps that work on rows of series (embed, backbone, and in eval mode scaling and the
 * head) are written once, in ptmi_forward_rows; exec.c decides how the batch is cut into ranges
 * of rows for the threads (chunks of series for inference, shards of samples for training).
 * The embedding and the backbone are the model family's ops (backbone.h, PatchTSMixer's in
 * backbone.c); the head, its loss and its outputs the model class's (heads/heads.h).
 */
#include <math.h>
#include <string.h>

#include "backbone.h"
#include "exec.h"
#include "heads/heads.h"
#include "io/config.h"
#include "kernels/threads.h"
#include "layers/layers.h"
#include "model/model.h"
#include "base/rng.h"

static ptm_status check_inputs(const ptm_ctx *ctx, const ptm_inputs *in, ptm_error *err) {
    const ptm_config *c = &ctx->model->cfg;
    if (!in) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "inputs is NULL");
    if (in->batch < 1 || in->batch > ctx->max_batch)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "batch",
                        "batch %d out of range [1, %d] (the context's max_batch)", in->batch,
                        ctx->max_batch);
    if (!in->past_values)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "past_values", "past_values is NULL");
    int L = in->past_length ? in->past_length : c->context_length;
    if (L < c->context_length)
        return ptmi_err(err, PTM_ERR_INPUT, NULL, "past_length",
                        "%d time steps, fewer than the context_length %d the model needs",
                        in->past_length, c->context_length);
    size_t n = (size_t)in->batch * L * c->num_input_channels;
    for (size_t i = 0; i < n; i++) {
        float m = in->observed_mask ? in->observed_mask[i] : 1.0f;
        /* a missing value still enters the patches (as in Hugging Face, the mask only
         * affects the scaler), so NaN/Inf is refused even where observed_mask is 0: it would
         * reach the forecast */
        if (!isfinite(m) || !isfinite(in->past_values[i])) {
            size_t ch = i % (size_t)c->num_input_channels;
            size_t t = (i / (size_t)c->num_input_channels) % (size_t)L;
            size_t b = i / ((size_t)c->num_input_channels * L);
            return ptmi_err(err, PTM_ERR_INPUT, NULL, "past_values",
                            "value at [batch %zu, time %zu, channel %zu] is %s; mark missing "
                            "values with observed_mask 0 (and value 0)",
                            b, t, ch, isfinite(m) ? "not finite" : "observed_mask not finite");
        }
    }
    const ptmi_backbone_ops *bops = ptmi_backbone_ops_for(ctx->model);
    ptm_status s = bops->check ? bops->check(ctx, in, err) : PTM_OK;
    if (s != PTM_OK) return s;
    return ptmi_head_ops_for(c)->check ? ptmi_head_ops_for(c)->check(ctx, in, err) : PTM_OK;
}

/* inputs longer than context_length: their last L steps, copied into the context, in place of
 * past_values and observed_mask (cur is the caller's inputs with those pointers replaced) */
static void last_steps(ptm_ctx *ctx, const ptm_inputs *in, ptm_inputs *cur) {
    const ptm_config *c = &ctx->model->cfg;
    *cur = *in;
    int L = c->context_length, Lp = in->past_length ? in->past_length : L;
    if (Lp == L) return;
    size_t row = (size_t)L * c->num_input_channels, skip = (size_t)(Lp - L) * c->num_input_channels;
    for (int b = 0; b < in->batch; b++) {
        size_t from = (size_t)b * ((size_t)Lp * c->num_input_channels) + skip;
        memcpy(ctx->past_in + (size_t)b * row, in->past_values + from, row * sizeof(float));
        if (in->observed_mask)
            memcpy(ctx->mask_in + (size_t)b * row, in->observed_mask + from, row * sizeof(float));
    }
    cur->past_values = ctx->past_in;
    cur->observed_mask = in->observed_mask ? ctx->mask_in : NULL;
    cur->past_length = L;
}

void ptmi_forward_rows(ptm_ctx *ctx, const ptm_inputs *in, const float *enc_in, const ptmi_rows *rr,
                       const ptmi_run_mode *run) {
    const ptm_model *m = ctx->model;
    const ptm_config *c = &m->cfg;
    size_t r0 = rr->r0, nr = (size_t)rr->b * rr->c;
    /* scale + patchify, when every series is scaled on its own */
    if (rr->prep)
        scaler_patchify_forward(ctx->patch_input, ctx->loc, ctx->scale, in->past_values,
                                in->observed_mask, c->scaling, c->context_length,
                                c->num_input_channels, ptmi_config_patches(c), c->patch_length,
                                c->patch_stride, r0, r0 + nr);
    /* embed and backbone */
    const float *h = ptmi_backbone_ops_for(m)->forward_rows(ctx, in, enc_in, rr, run);
    /* head, when it works per series */
    const ptmi_head_ops *ops = ptmi_head_ops_for(c);
    if (rr->head && ops->forward_rows)
        ops->forward_rows(ctx, h, r0, nr, (size_t)in->batch * c->num_input_channels);
}

static ptm_status forward_impl(ptm_ctx *ctx, const ptm_inputs *in0, ptm_error *err) {
    ptm_status s = check_inputs(ctx, in0, err);
    if (s != PTM_OK) return s;
    ptm_inputs cur;
    last_steps(ctx, in0, &cur);
    const ptm_inputs *in = &cur;
    const ptm_model *m = ctx->model;
    const ptm_config *c = &m->cfg;
    const ptmi_head_ops *ops = ptmi_head_ops_for(c);
    int B = in->batch, L = c->context_length, C = c->num_input_channels, N = c->num_patches,
        P = c->patch_length;
    size_t bcn = (size_t)B * C * N;
    ctx->batch = B;
    ctx->n_outputs = 0;
    ctx->has_loss = 0;

    /* eval mode runs in chunks of series (exec.c), which also scale and patch their own series
     * unless the scaling is batch-wide (mean) or patches get masked first (pretraining) */
    int prep =
        !ctx->training && c->scaling != PTM_SCALING_MEAN && c->model_class != PTM_CLASS_PRETRAINING;

    /* scale and patchify (the whole batch) */
    if (!prep) {
        scaler_forward(ctx->scaled, ctx->loc, ctx->scale, in->past_values, in->observed_mask,
                       c->scaling, B, L, C);
        patchify_forward(ctx->patch_input, ctx->scaled, B, L, C, ptmi_config_patches(c), P,
                         c->patch_stride);
    }
    const float *enc_in = ctx->patch_input;

    /* pretraining: mask patches */
    if (c->model_class == PTM_CLASS_PRETRAINING) {
        if (in->patch_mask) {
            for (size_t i = 0; i < bcn; i++) {
                float v = in->patch_mask[i];
                if (v != 0.0f && v != 1.0f)
                    return ptmi_err(err, PTM_ERR_INPUT, NULL, "patch_mask",
                                    "value %g at %zu, expected 0 or 1", (double)v, i);
                ctx->mask[i] = v;
            }
        } else if (c->mask_type == PTM_MASK_RANDOM) {
            random_mask_draw(ctx->mask, ctx->s_noise, B, C, N, c->random_mask_ratio,
                             c->channel_consistent_masking, c->unmasked_channel_indices,
                             c->num_unmasked_channels, in->mask_seed);
        } else {
            forecast_mask_draw(ctx->mask, ctx->s_int, B, C, N, c->num_forecast_mask_patches,
                               c->num_forecast_mask_patches_count, c->unmasked_channel_indices,
                               c->num_unmasked_channels, in->mask_seed);
        }
        patch_mask_forward(ctx->masked_input, ctx->patch_input, ctx->mask, c->mask_value, bcn, P);
        enc_in = ctx->masked_input;
    }

    /* embed and backbone (in eval mode also the head, per series) over the threads */
    ptmi_run_mode run = {ctx->training, c->dropout, &ctx->rng, 0, !ctx->training};
    if (ctx->training) ptmi_rng_seed(&ctx->rng, in->dropout_seed);
    ptmi_exec_forward(ctx, in, enc_in, &run, prep);
    const float *h = ptmi_backbone_ops_for(m)->output(ctx);
    ctx->enc_in = enc_in;
    ctx->last_hidden = h;
    ctx->labels = in->target_labels;
    ctx->reg_targets = in->target_values;
    const float *last = m->p.has_inject ? ctx->last : h;

    /* head and loss (on the batch) */
    s = ops->forward(ctx, in, last, !ctx->training, err);
    if (s != PTM_OK) return s;

    /* output views, named as in the golden files */
    ptmi_publish_outputs(ctx, ops, B, last);
    return PTM_OK;
}

ptm_status ptm_forward(ptm_ctx *ctx, const ptm_inputs *in, ptm_error *err) {
    if (!ctx) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "ctx is NULL");
    ptmi_pool *prev = ptmi_pool_enter(ctx->pool);
    ptmi_scratch_buf prev_scratch = ptmi_scratch_enter(ctx->pack, ctx->pack_floats);
    ptm_status s = forward_impl(ctx, in, err);
    ptmi_scratch_leave(prev_scratch);
    ptmi_pool_leave(prev);
    return s;
}
