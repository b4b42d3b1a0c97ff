/* backward.c - ptm_backward: gradients of the last training forward's loss with respect to
 * every parameter, in the reverse order of forward.c:
 *   loss -> head (and its dropout) -> InjectScalerStatistics4D -> mixer layers K-1 .. 0
 *   -> positional encoding -> patcher.
 * Nothing flows into the scaler or the patching: they have no parameters and nothing before
 * them has any. Gradients land in ctx->grads, a model-shaped arena (one memset per step).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/threads.h"
#include "layers/dist.h"
#include "layers/layers.h"
#include "model.h"

#define P3(a) ((const float *const *)(a))

/* the mixer layers (last to first), positional encoding and patcher for samples [b0, b0 + nb),
 * from d(last_hidden_state) in ctx->d_h, their parameter gradients into g; gs is the gradient
 * scratch seen from sample b0; shard >= 0 uses that shard's layer-cache view */
static void backbone_backward(ptm_ctx *ctx, ptm_params *g, int b0, int nb,
                              const ptm_grad_scratch *gs, float *scores, int sharded) {
    const ptm_model *m = ctx->model;
    const ptm_config *c = &m->cfg;
    const ptm_params *p = &m->p;
    int C = c->num_input_channels, N = c->num_patches, P = c->patch_length, D = c->d_model,
        K = c->num_layers;
    size_t cnd = (size_t)C * N * D, off = (size_t)b0 * cnd, bcn = (size_t)nb * C * N;
    float *dlast = ctx->d_h + off;
    /* mixer layers, last to first; dlast is turned in place into d(layer input) */
    for (int k = K - 1; k >= 0; k--) {
        const float *inp = (k > 0 ? ctx->hidden[k - 1] : ctx->embed) + off;
        ptm_layer_cache view;
        const ptm_layer_cache *lc = &ctx->lc[k];
        if (sharded) {
            ptm_shift_layer_cache(&view, lc, c, (size_t)b0, scores);
            lc = &view;
        }
        mixer_layer_backward(dlast, &g->layers[k], dlast, inp, lc, &p->layers[k], c, nb, 1, gs);
    }
    /* positional encoding (learned only) and patcher */
    if (p->position_enc && c->positional_encoding_type == PTM_PE_RANDOM)
        for (size_t r = 0; r < (size_t)nb * C; r++)
            for (size_t i = 0; i < (size_t)N * D; i++) g->position_enc[i] += dlast[r * N * D + i];
    linear_backward(NULL, g->patcher.w, g->patcher.b, dlast, ctx->enc_in + (size_t)b0 * C * N * P,
                    p->patcher.w, bcn, P, D);
}

typedef struct {
    ptm_ctx *ctx;
    int ns, nthreads;
} shard_job;

/* thread ith runs shards ith, ith + n, ...: each shard's gradients go to its own buffer, so
 * the assignment of shards to threads changes nothing in the result */
static void shards_part(void *arg, int ith, int nth) {
    const shard_job *j = arg;
    ptm_ctx *ctx = j->ctx;
    const ptm_config *c = &ctx->model->cfg;
    (void)nth;
    if (ith >= j->nthreads) return;
    ptm_pool *prev = ptm_pool_enter(NULL);
    size_t cnd = (size_t)c->num_input_channels * c->num_patches * c->d_model,
           ef = (size_t)c->expansion_factor, N = (size_t)c->num_patches;
    for (int s = ith; s < j->ns; s += j->nthreads) {
        int b0 = ptm_shard_start(ctx->batch, j->ns, s);
        int nb = ptm_shard_start(ctx->batch, j->ns, s + 1) - b0;
        ptm_model *gm = ctx->shard_grads[s];
        if (s > 0) memset(gm->arena, 0, gm->arena_floats * sizeof(float));
        size_t o = (size_t)b0 * cnd;
        const ptm_grad_scratch *G = &ctx->gs;
        ptm_grad_scratch gs = {G->da + o, G->db + o,        G->dc + o,
                               G->dd + o, G->dhid + o * ef, G->dpre + o * ef,
                               G->dz + o, G->dq + o,        G->dk + o,
                               G->dv + o, G->dctx + o,      ctx->shard_dp_row + s * N};
        backbone_backward(ctx, &gm->p, b0, nb, &gs, ctx->shard_scores + s * N, 1);
    }
    ptm_pool_leave(prev);
}

/* grads += shard_grads[1] + ... in shard order, element by element (any split of the
 * elements over threads gives the same sums) */
typedef struct {
    ptm_ctx *ctx;
    int ns;
} reduce_job;

static void reduce_range(void *arg, size_t i0, size_t i1) {
    const reduce_job *j = arg;
    float *dst = j->ctx->grads->arena;
    for (int s = 1; s < j->ns; s++) {
        const float *src = j->ctx->shard_grads[s]->arena;
        for (size_t i = i0; i < i1; i++) dst[i] += src[i];
    }
}

static void reduce_shards(ptm_ctx *ctx, int ns) {
    reduce_job j = {ctx, ns};
    ptm_parallel_for(ctx->grads->arena_floats, 4096, reduce_range, &j);
}

static ptm_status backward_impl(ptm_ctx *ctx, ptm_error *err);

ptm_status ptm_backward(ptm_ctx *ctx, ptm_error *err) {
    if (!ctx) return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "ctx is NULL");
    ptm_pool *prev = ptm_pool_enter(ctx->pool);
    ptm_status s = backward_impl(ctx, err);
    ptm_pool_leave(prev);
    return s;
}

static ptm_status backward_impl(ptm_ctx *ctx, ptm_error *err) {
    if (!ctx->training)
        return ptm_err(err, PTM_ERR_ARG, NULL, "training",
                       "ptm_backward needs a context created with training = 1");
    if (ctx->batch < 1 || !ctx->has_loss)
        return ptm_err(err, PTM_ERR_ARG, NULL, "loss",
                       "the last ptm_forward computed no loss (give it the targets)");
    const ptm_model *m = ctx->model;
    const ptm_config *c = &m->cfg;
    const ptm_params *p = &m->p;
    ptm_params *g = &ctx->grads->p;
    int B = ctx->batch, C = c->num_input_channels, N = c->num_patches, P = c->patch_length,
        D = c->d_model, H = c->prediction_length, T = c->num_targets,
        Cs = c->num_prediction_channels;
    size_t bcn = (size_t)B * C * N, bcnd = bcn * D;
    int nll = c->loss == PTM_LOSS_NLL;
    int head_drop = c->head_dropout > 0.0f;
    const int *sel = c->prediction_channel_indices;
    memset(ctx->grads->arena, 0, ctx->grads->arena_floats * sizeof(float));

    float *dlast = ctx->d_h; /* d(last_hidden_state) [B, C, N, D] */
    memset(dlast, 0, bcnd * sizeof(float));
    float *draw[3] = {ctx->d_raw[0], ctx->d_raw[1], ctx->d_raw[2]}; /* d raw head outputs */
    float *dhin = ctx->d_h2;                                        /* d head input */

    switch (c->model_class) {
    case PTM_CLASS_MODEL:
        return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "no loss for a backbone");
    case PTM_CLASS_PREDICTION: {
        size_t cnt = (size_t)B * H * Cs;
        const float *hin = head_drop ? ctx->head_in : ctx->last_hidden;
        if (!nll) {
            /* the loss, then the de-normalisation out = raw * scale + loc */
            mse_loss_backward(draw[0], ctx->out_main, ctx->s_target, cnt);
            for (size_t i = 0; i < cnt; i++) {
                size_t b = i / ((size_t)H * Cs), j = i % (size_t)Cs;
                draw[0][i] *= ctx->scale_sel[b * Cs + j];
            }
            memset(dhin, 0, bcnd * sizeof(float));
            prediction_head_backward(dhin, &g->head, draw[0], hin, &p->head, sel, Cs, B, C, N * D,
                                     H);
        } else {
            double factor = -1.0 / ((double)B * H);
            nll_loss_backward(draw, P3(ctx->out_param), P3(ctx->raw), c->distribution_output, cnt,
                              H, Cs, ctx->s_target, ctx->loc_sel, ctx->scale_sel, factor);
            memset(dhin, 0, bcnd * sizeof(float));
            for (int j = 0; j < p->n_proj; j++)
                prediction_head_backward(dhin, &g->proj[j], draw[j], hin, &p->proj[j], sel, Cs, B,
                                         C, N * D, H);
        }
        for (size_t i = 0; i < bcnd; i++)
            dlast[i] = head_drop ? dhin[i] * ctx->head_mask[i] : dhin[i];
        break;
    }
    case PTM_CLASS_CLASSIFICATION:
    case PTM_CLASS_REGRESSION: {
        int F = D * C * (c->head_aggregation == PTM_AGG_NONE ? N : 1);
        size_t cnt = (size_t)B * T;
        const float *feat = head_drop ? ctx->head_in : ctx->s_feat;
        if (!nll) {
            float *dy = draw[0];
            if (c->model_class == PTM_CLASS_CLASSIFICATION)
                cross_entropy_loss_backward(dy, ctx->out_main, ctx->labels, B, T);
            else
                mse_loss_backward(dy, ctx->out_main, ctx->reg_targets, cnt);
            if (c->has_output_range)
                output_range_backward(dy, ctx->raw[0], cnt, c->output_range[0], c->output_range[1]);
            memset(ctx->d_feat, 0, (size_t)B * F * sizeof(float));
            linear_backward(ctx->d_feat, g->head.w, g->head.b, dy, feat, p->head.w, (size_t)B, F,
                            T);
        } else {
            nll_loss_backward(draw, P3(ctx->out_param), P3(ctx->raw), c->distribution_output, cnt,
                              1, T, ctx->reg_targets, NULL, NULL, -1.0 / B);
            memset(ctx->d_feat, 0, (size_t)B * F * sizeof(float));
            for (int j = 0; j < p->n_proj; j++)
                linear_backward(ctx->d_feat, g->proj[j].w, g->proj[j].b, draw[j], feat,
                                p->proj[j].w, (size_t)B, F, T);
        }
        if (head_drop)
            for (size_t i = 0; i < (size_t)B * F; i++) ctx->d_feat[i] *= ctx->head_mask[i];
        const float *agg_in = p->has_inject ? ctx->last : ctx->last_hidden;
        memset(dhin, 0, bcnd * sizeof(float));
        linear_head_features_backward(dhin, ctx->d_feat, agg_in, c->head_aggregation, B, C, N, D);
        if (p->has_inject)
            inject_scale_backward(dlast, g, ctx->d_inj, dhin, ctx->s_inj, ctx->inj_e4, ctx->inj_s2,
                                  ctx->last_hidden, ctx->loc, ctx->scale, p, B, C, N, D);
        else
            memcpy(dlast, dhin, bcnd * sizeof(float));
        break;
    }
    case PTM_CLASS_PRETRAINING: {
        size_t groups = bcn;
        const float *hin = head_drop ? ctx->head_in : ctx->last_hidden;
        float *dy = draw[0]; /* [B, C, N, P] */
        pretrain_loss_backward(dy, ctx->out_main, ctx->patch_input, ctx->mask, groups, P,
                               c->masked_loss);
        memset(dhin, 0, bcnd * sizeof(float));
        linear_backward(dhin, g->head.w, g->head.b, dy, hin, p->head.w, groups, D, P);
        for (size_t i = 0; i < bcnd; i++)
            dlast[i] = head_drop ? dhin[i] * ctx->head_mask[i] : dhin[i];
        break;
    }
    }

    /* the backbone: in data-parallel shards when the context has them */
    int ns = B < ctx->n_shards ? B : ctx->n_shards;
    if (ns > 1) {
        shard_job sj = {ctx, ns, ctx->pool ? ptm_pool_size(ctx->pool) : 1};
        if (ctx->pool)
            ptm_pool_run(ctx->pool, shards_part, &sj);
        else
            shards_part(&sj, 0, 1);
        reduce_shards(ctx, ns);
    } else {
        backbone_backward(ctx, g, 0, B, &ctx->gs, NULL, 0);
    }
    return PTM_OK;
}

ptm_status ptm_ctx_grad(const ptm_ctx *ctx, const char *name, ptm_tensor_view *out,
                        ptm_error *err) {
    if (!ctx || !name || !out) return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "NULL argument");
    if (!ctx->grads)
        return ptm_err(err, PTM_ERR_ARG, NULL, name, "not a training context: no gradients");
    const ptm_model *gm = ctx->grads;
    for (int i = 0; i < gm->n_table; i++) {
        const ptm_param_entry *e = &gm->table[i];
        if (strcmp(e->name, name) != 0) continue;
        if (!e->trainable || !e->f32)
            return ptm_err(err, PTM_ERR_ARG, NULL, name, "not a trainable parameter");
        out->name = e->name;
        out->data = e->f32;
        out->ndim = e->ndim;
        for (int k = 0; k < 4; k++) out->shape[k] = k < e->ndim ? e->shape[k] : 0;
        return PTM_OK;
    }
    return ptm_err(err, PTM_ERR_ARG, NULL, name, "no parameter of this name");
}
