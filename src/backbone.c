/* backbone.c - PatchTSMixer's backbone, forward and backward side by side: the patch
 * embedding (patcher + positional encoding), the stack of mixer layers and, for classification
 * and regression with scaling, InjectScalerStatistics4D (its backward runs on the whole batch,
 * in backward.c, before the backbone's). forward.c and exec.c call it on a range of rows
 * through ptmi_backbone_ops (backbone.h), as they call the head through ptmi_head_ops.
 */
#include "backbone.h"

#include <stdio.h>

#include "layers/layers.h"
#include "model/model.h"

/* the patch embedding of the rows rr (patcher + positional encoding), the mixer layers and
 * InjectScalerStatistics4D (Cls/Reg with scaling); returns the backbone output of the rows */
static const float *patchtsmixer_forward_rows(ptm_ctx *ctx, const ptm_inputs *in,
                                              const float *enc_in, const ptmi_rows *rr,
                                              const ptmi_run_mode *run) {
    (void)in;
    const ptm_model *m = ctx->model;
    const ptm_config *c = &m->cfg;
    const ptmi_params *p = &m->p;
    int N = c->num_patches, P = c->patch_length, D = c->d_model;
    size_t r0 = rr->r0, nr = (size_t)rr->b * rr->c, nd = (size_t)N * D, off = r0 * nd;
    /* embed: patcher + positional encoding */
    float *emb = ctx->embed + off;
    linear_forward(emb, enc_in + r0 * N * P, &p->patcher, nr * N);
    if (p->position_enc)
        for (size_t r = 0; r < nr; r++)
            for (size_t i = 0; i < nd; i++) emb[r * nd + i] += p->position_enc[i];
    /* the mixer layers, then InjectScalerStatistics4D */
    const float *h = emb;
    for (int k = 0; k < c->num_layers; k++) {
        ptmi_layer_cache view;
        ptmi_layer_cache *lc = ptmi_exec_layer_cache(ctx, rr, k, &view);
        mixer_layer_forward(ctx->hidden[k] + off, h, lc, &p->layers[k], &m->mixer, rr->b, rr->c,
                            run);
        h = ctx->hidden[k] + off;
    }
    if (p->has_inject) {
        inject_scale_forward(ctx->last + off, ctx->s_inj + 2 * off,
                             ctx->inj_e4 ? ctx->inj_e4 + r0 * 4 : NULL,
                             ctx->inj_s2 ? ctx->inj_s2 + r0 * 2 : NULL, h, ctx->loc + r0,
                             ctx->scale + r0, p, rr->b, rr->c, N, D);
        h = ctx->last + off;
    }
    return h;
}

/* the mixer layers (last to first), positional encoding and patcher for samples [b0, b0 + nb),
 * from d(last_hidden_state) in ctx->d_h, their parameter gradients into g; gs is the gradient
 * scratch seen from sample b0; shard >= 0 uses that shard's layer-cache view */
static void patchtsmixer_backward_rows(ptm_ctx *ctx, ptmi_params *g, int b0, int nb,
                                       const ptmi_grad_scratch *gs, float *scores, int sharded) {
    const ptm_model *m = ctx->model;
    const ptm_config *c = &m->cfg;
    const ptmi_params *p = &m->p;
    int C = c->num_input_channels, N = c->num_patches, P = c->patch_length, D = c->d_model,
        K = c->num_layers;
    size_t cnd = (size_t)C * N * D, off = (size_t)b0 * cnd, bcn = (size_t)nb * C * N;
    float *dlast = ctx->d_h + off;
    /* mixer layers, last to first; dlast is turned in place into d(layer input) */
    for (int k = K - 1; k >= 0; k--) {
        const float *inp = (k > 0 ? ctx->hidden[k - 1] : ctx->embed) + off;
        ptmi_layer_cache view;
        const ptmi_layer_cache *lc = &ctx->lc[k];
        if (sharded) {
            ptmi_shift_layer_cache(&view, lc, &m->mixer, (size_t)b0, scores);
            lc = &view;
        }
        mixer_layer_backward(dlast, &g->layers[k], dlast, inp, lc, &p->layers[k], &m->mixer, nb, 1,
                             gs);
    }
    /* positional encoding (learned only) and patcher */
    if (p->position_enc && c->positional_encoding_type == PTM_PE_RANDOM)
        for (size_t r = 0; r < (size_t)nb * C; r++)
            for (size_t i = 0; i < (size_t)N * D; i++) g->position_enc[i] += dlast[r * N * D + i];
    linear_backward(NULL, g->patcher.w, g->patcher.b, dlast, ctx->enc_in + (size_t)b0 * C * N * P,
                    p->patcher.w, bcn, P, D);
}

/* the hidden states: every layer's, or two alternating buffers (ctx.c) */
static void patchtsmixer_plan(ptmi_plan *pl, ptm_ctx *ctx, size_t B) {
    const ptm_config *c = &ctx->model->cfg;
    size_t K = (size_t)c->num_layers;
    size_t bcnd = B * c->num_input_channels * c->num_patches * c->d_model;
    size_t nh = ctx->keep_hidden ? K : (K < 2 ? K : 2);
    for (size_t i = 0; i < nh; i++) ptmi_plan_add(pl, &ctx->hidden[i], bcnd);
}

/* training: a cache per layer, the gradient scratch, d(last_hidden_state) */
static void patchtsmixer_plan_train(ptmi_plan *pl, ptm_ctx *ctx, size_t B) {
    const ptm_config *c = &ctx->model->cfg;
    size_t N = (size_t)c->num_patches, bcnd = B * c->num_input_channels * N * c->d_model;
    for (int k = 0; k < c->num_layers; k++)
        ptmi_plan_layer_cache(pl, &ctx->lc[k], &ctx->model->mixer, B);
    ptmi_plan_grad_scratch(pl, &ctx->gs, bcnd, (size_t)c->expansion_factor, N);
    ptmi_plan_add(pl, &ctx->d_h, bcnd);
}

static const float *patchtsmixer_output(const ptm_ctx *ctx) {
    int K = ctx->model->cfg.num_layers;
    return K > 0 ? ctx->hidden[K - 1] : ctx->embed;
}

static void patchtsmixer_outputs(ptm_ctx *ctx, const ptmi_head_ops *head, int B,
                                 const float *last) {
    const ptm_config *c = &ctx->model->cfg;
    int C = c->num_input_channels, N = c->num_patches, P = c->patch_length, D = c->d_model;
    ptmi_add_output(ctx, "patch_input", ctx->patch_input, 4, B, C, N, P);
    ptmi_publish_scale(ctx, head, B);
    if (ctx->keep_hidden) {
        for (int k = 0; k < c->num_layers; k++) {
            char name[32];
            snprintf(name, sizeof name, "hidden_states.%d", k);
            ptmi_add_output(ctx, name, ctx->hidden[k], 4, B, C, N, D);
        }
    }
    ptmi_add_output(ctx, "last_hidden_state", last, 4, B, C, N, D);
}

static const ptmi_backbone_ops patchtsmixer_backbone = {patchtsmixer_plan,
                                                        patchtsmixer_plan_train,
                                                        NULL,
                                                        patchtsmixer_forward_rows,
                                                        patchtsmixer_backward_rows,
                                                        patchtsmixer_output,
                                                        patchtsmixer_outputs,
                                                        0};

const ptmi_backbone_ops *ptmi_backbone_ops_for(const ptm_model *m) {
    return m->cfg.family == PTM_FAMILY_TTM ? &ptmi_backbone_ttm : &patchtsmixer_backbone;
}
