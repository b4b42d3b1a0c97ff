/* backward.c - ptm_backward: gradients of the last training forward's loss with respect to
 * every parameter, in the reverse order of forward.c:
 *   loss -> head (and its dropout) (the class's head ops) -> InjectScalerStatistics4D
 *   -> backbone (backbone.c: mixer layers K-1 .. 0 -> positional encoding -> patcher),
 * the backbone in the forward's data-parallel shards when it had them (then their gradients
 * are summed in shard order). Each step's backward is its ops' or its layer's, beside its
 * forward; this file only walks them.
 * Nothing flows into the scaler or the patching: they have no parameters and nothing before
 * them has any. Gradients land in ctx->grads, a model-shaped arena (one memset per step).
 */
#include <string.h>

#include "kernels/threads.h"
#include "layers/layers.h"
#include "backbone.h"
#include "exec.h"
#include "heads/heads.h"
#include "model/model.h"

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
    ptmi_pool *prev = ptmi_pool_enter(NULL);
    size_t cnd = (size_t)c->num_input_channels * c->num_patches * c->d_model,
           ef = (size_t)c->expansion_factor, N = (size_t)c->num_patches;
    for (int s = ith; s < j->ns; s += j->nthreads) {
        int b0 = ptmi_shard_start(ctx->batch, j->ns, s);
        int nb = ptmi_shard_start(ctx->batch, j->ns, s + 1) - b0;
        ptm_model *gm = ctx->shard_grads[s];
        if (s > 0) memset(gm->arena, 0, gm->arena_floats * sizeof(float));
        size_t o = (size_t)b0 * cnd;
        const ptmi_grad_scratch *G = &ctx->gs;
        ptmi_grad_scratch gs = {G->da + o, G->db + o,        G->dc + o,
                                G->dd + o, G->dhid + o * ef, G->dpre + o * ef,
                                G->dz + o, G->dq + o,        G->dk + o,
                                G->dv + o, G->dctx + o,      ctx->shard_dp_row + s * N};
        ptmi_backbone_ops_for(ctx->model)
            ->backward_rows(ctx, &gm->p, b0, nb, &gs, ctx->shard_scores + s * N, 1);
    }
    ptmi_pool_leave(prev);
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
    ptmi_parallel_for(ctx->grads->arena_floats, 4096, reduce_range, &j);
}

static ptm_status backward_impl(ptm_ctx *ctx, ptm_error *err);

ptm_status ptm_backward(ptm_ctx *ctx, ptm_error *err) {
    if (!ctx) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "ctx is NULL");
    ptmi_pool *prev = ptmi_pool_enter(ctx->pool);
    ptmi_scratch_buf prev_scratch = ptmi_scratch_enter(ctx->pack, ctx->pack_floats);
    ptm_status s = backward_impl(ctx, err);
    ptmi_scratch_leave(prev_scratch);
    ptmi_pool_leave(prev);
    return s;
}

static ptm_status backward_impl(ptm_ctx *ctx, ptm_error *err) {
    if (!ctx->training)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "training",
                        "ptm_backward needs a training context (ptm_ctx_create_train)");
    if (ctx->batch < 1 || !ctx->has_loss)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "loss",
                        "the last ptm_forward computed no loss (give it the targets)");
    const ptm_model *m = ctx->model;
    const ptm_config *c = &m->cfg;
    const ptmi_params *p = &m->p;
    const ptmi_head_ops *ops = ptmi_head_ops_for(c);
    if (!ops->backward) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "no loss for a backbone");
    ptmi_params *g = &ctx->grads->p;
    int B = ctx->batch;
    memset(ctx->grads->arena, 0, ctx->grads->arena_floats * sizeof(float));

    /* loss and head: d(last_hidden_state) into d_h, or with InjectScalerStatistics4D
     * d(its output) into d_h2 and then through it into d_h */
    if (!p->has_inject) {
        ops->backward(ctx, g, ctx->d_h);
    } else {
        ops->backward(ctx, g, ctx->d_h2);
        memset(ctx->d_h, 0,
               (size_t)B * c->num_input_channels * c->num_patches * c->d_model * sizeof(float));
        inject_scale_backward(ctx->d_h, g, ctx->d_inj, ctx->d_h2, ctx->s_inj, ctx->inj_e4,
                              ctx->inj_s2, ctx->last_hidden, ctx->loc, ctx->scale, p, B,
                              c->num_input_channels, c->num_patches, c->d_model);
    }

    /* the backbone: in data-parallel shards when the context has them */
    int ns = B < ctx->n_shards ? B : ctx->n_shards;
    if (ns > 1) {
        shard_job sj = {ctx, ns, ctx->pool ? ptmi_pool_size(ctx->pool) : 1};
        if (ctx->pool)
            ptmi_pool_run(ctx->pool, shards_part, &sj);
        else
            shards_part(&sj, 0, 1);
        reduce_shards(ctx, ns);
    } else {
        ptmi_backbone_ops_for(m)->backward_rows(ctx, g, 0, B, &ctx->gs, NULL, 0);
    }
    return PTM_OK;
}

ptm_status ptm_ctx_grad(const ptm_ctx *ctx, const char *name, ptm_tensor_view *out,
                        ptm_error *err) {
    if (!ctx || !name || !out) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "NULL argument");
    if (!ctx->grads)
        return ptmi_err(err, PTM_ERR_ARG, NULL, name, "not a training context: no gradients");
    const ptm_model *gm = ctx->grads;
    for (int i = 0; i < gm->n_table; i++) {
        const ptmi_param_entry *e = &gm->table[i];
        if (strcmp(e->name, name) != 0) continue;
        if (!e->trainable || !e->f32)
            return ptmi_err(err, PTM_ERR_ARG, NULL, name, "not a trainable parameter");
        out->name = e->name;
        out->data = e->f32;
        out->ndim = e->ndim;
        for (int k = 0; k < 4; k++) out->shape[k] = k < e->ndim ? e->shape[k] : 0;
        return PTM_OK;
    }
    return ptmi_err(err, PTM_ERR_ARG, NULL, name, "no parameter of this name");
}
