/* ctx.c - contexts: ptm_ctx_create plans every buffer a forward (and, in a training context,
 * a backward) needs for max_batch samples, then carves them out of one float arena; nothing
 * is allocated later. The plan is made of the backbone's buffers, the head's (its ops' plan),
 * and either the training caches and gradient scratch or, in eval mode, one scratch set per
 * thread for the chunks of series that exec.c runs.
 */
#include <stdlib.h>
#include <string.h>

#include "backbone.h"
#include "heads/heads.h"
#include "kernels/kernels.h"
#include "kernels/threads.h"
#include "layers/layers.h"
#include "model/model.h"
#include "model/ttm_ctx.h"

/* Largest activation arena a context may allocate (floats), checked before allocating. */
#define PTMI_MAX_CTX_FLOATS ((size_t)1 << 33)
/* training: at most this many data-parallel shards of the batch (see ptm_ctx.n_shards) */
#define PTMI_TRAIN_SHARDS 4
/* eval-mode chunks: about this many floats of [series, N, D] per layer pass */
#ifndef MICRO_BATCH_FLOATS
#define MICRO_BATCH_FLOATS 8192
#endif
#ifndef SHARED_PRODUCT_BYTES
#define SHARED_PRODUCT_BYTES ((size_t)4 << 20)
#endif
#ifndef MIN_CHUNK_ROWS
#define MIN_CHUNK_ROWS 8
#endif

ptm_ctx_params ptm_ctx_default_params(void) {
    ptm_ctx_params p;
    p.max_batch = 1;
    p.keep_hidden_states = 0;
    p.num_threads = 1;
    p.num_input_channels = 0;
    return p;
}

void ptmi_plan_add(ptmi_plan *pl, float **ptr, size_t count) {
    if (pl->n == pl->cap) {
        int cap = pl->cap ? pl->cap * 2 : 128;
        ptmi_slot *v = realloc(pl->v, sizeof(ptmi_slot) * (size_t)cap);
        if (!v) {
            pl->bad = 1;
            return;
        }
        pl->v = v;
        pl->cap = cap;
    }
    pl->v[pl->n++] = (ptmi_slot){ptr, count ? count : 1};
}

/* gap after each slot, in floats: 64 bytes keep buffers on separate cache lines */
#define SLOT_GAP 16

/* the buffers of one training layer cache */
void ptmi_plan_layer_cache(ptmi_plan *pl, ptmi_layer_cache *lc, const ptmi_mixer_shape *c,
                           size_t B) {
    size_t C = (size_t)c->num_input_channels, N = (size_t)c->num_patches, D = (size_t)c->d_model;
    size_t bcnd = B * C * N * D, bcn = B * C * N, ef = (size_t)c->expansion_factor;
    int bn = c->norm_mlp == PTM_NORM_BATCH, drop = c->dropout > 0.0f;
    ptmi_block_cache *blocks[3] = {&lc->ch, &lc->pa, &lc->fe};
    for (int i = 0; i < 3; i++) {
        ptmi_block_cache *bc = blocks[i];
        if (i == 0 && c->mode != PTM_MODE_MIX_CHANNEL) continue;
        ptmi_plan_add(pl, &bc->norm, bcnd);
        ptmi_plan_add(pl, &bc->mean, bn ? D : bcn);
        ptmi_plan_add(pl, &bc->rstd, bn ? D : bcn);
        if (i != 2) ptmi_plan_add(pl, &bc->xt, bcnd);
        if (i == 0 && c->gated_attn) ptmi_plan_add(pl, &bc->gin, bcnd);
        ptmi_plan_add(pl, &bc->pre, bcnd * ef);
        ptmi_plan_add(pl, &bc->act, bcnd * ef);
        ptmi_plan_add(pl, &bc->y, bcnd);
        if (c->gated_attn) ptmi_plan_add(pl, &bc->gp, bcnd);
        if (i != 0 && c->gated_attn) ptmi_plan_add(pl, &bc->gout, bcnd);
    }
    if (c->mode == PTM_MODE_MIX_CHANNEL) ptmi_plan_add(pl, &lc->h1, bcnd);
    ptmi_plan_add(pl, &lc->h2, bcnd);
    if (c->self_attn) {
        size_t np = B * C * (size_t)c->self_attn_heads * N * N;
        float **f[] = {&lc->q, &lc->k, &lc->v, &lc->att_ctx, &lc->att_out};
        for (int i = 0; i < 5; i++) ptmi_plan_add(pl, f[i], bcnd);
        ptmi_plan_add(pl, &lc->probs, np);
        if (drop) ptmi_plan_add(pl, &lc->att_mask, np);
        ptmi_plan_add(pl, &lc->na_in, bcnd);
        ptmi_plan_add(pl, &lc->na_out, bcnd);
        ptmi_plan_add(pl, &lc->na_mean, bn ? D : bcn);
        ptmi_plan_add(pl, &lc->na_rstd, bn ? D : bcn);
    }
}

/* refuse a batch whose context would exceed PTMI_MAX_CTX_FLOATS, from a first estimate in
 * double (so that no size_t product of the plan can overflow) */
static ptm_status check_estimate(const ptm_config *c, size_t B, int train, ptm_error *err) {
    double L = c->context_length, C = c->num_input_channels, N = c->num_patches, D = c->d_model,
           H = c->prediction_length, Cs = c->num_prediction_channels, K = c->num_layers,
           ef = c->expansion_factor;
    double F = D * C * (c->head_aggregation == PTM_AGG_NONE ? N : 1);
    double per_layer = train ? 14.0 + 4.0 * ef + (c->self_attn ? 9.0 + N : 0.0) : 0.0;
    double est = (double)B * C * N * D * (16.0 + ef + 2.0 * K + per_layer * K) +
                 (double)B * L * C * 2 + (double)B * (H * Cs + F) * 8;
    if (c->self_attn) est += (double)B * C * c->self_attn_heads * N * N * (train ? 2.0 * K : 0.0);
    if (est > (double)PTMI_MAX_CTX_FLOATS)
        return ptmi_err(err, PTM_ERR_LIMIT, NULL, "max_batch",
                        "a context for batch %zu would need about %.0f MiB, more than the limit "
                        "of %zu MiB",
                        B, est * 4 / 1048576.0, PTMI_MAX_CTX_FLOATS * 4 / 1048576);
    return PTM_OK;
}

/* Eval mode runs in chunks of series (every series, or sample, is independent: exec.c), each
 * on one thread with its own scratch: about MICRO_BATCH_FLOATS of activations each, fewer when
 * that leaves a thread idle (batch 1 uses every core). Sets chunk_rows and n_scratch; returns
 * the samples a chunk can touch (for the scratch sizes). Train mode runs the whole batch (or
 * its shards) at once. */
static int plan_chunks(ptm_ctx *ctx, const ptm_config *c, int max_batch, int nthr) {
    int nchunks_max = 1, mb = max_batch;
    if (!ctx->training && ptmi_backbone_ops_for(ctx->model)->whole_batch) {
        ctx->chunk_rows = max_batch * c->num_input_channels;
    } else if (!ctx->training) {
        size_t nd = (size_t)c->num_patches * (size_t)c->d_model;
        size_t rows = (size_t)max_batch * (size_t)c->num_input_channels;
        size_t cr = (size_t)MICRO_BATCH_FLOATS / (nd ? nd : 1);
        /* at least MIN_CHUNK_ROWS series, so that each weight panel a GEMM streams in from
         * memory serves enough rows (long contexts have large patch-mixer weights) */
        if (cr < MIN_CHUNK_ROWS) cr = MIN_CHUNK_ROWS;
        /* patch weights far beyond L2 (long contexts): the chunks run one after another on the
         * caller, each product split over the threads by columns (kernels/gemm.c), so that the
         * cores share every weight panel streamed from memory instead of each streaming all */
        size_t np = (size_t)c->num_patches, ep = np * (size_t)c->expansion_factor;
        int share = nthr > 1 && ep * np * sizeof(float) >= SHARED_PRODUCT_BYTES;
        if (share) nthr = 1;
        if (cr > (rows + (size_t)nthr - 1) / (size_t)nthr)
            cr = (rows + (size_t)nthr - 1) / (size_t)nthr;
        /* mix_channel mixes the channels of a sample: chunks of whole samples */
        size_t cg = c->mode == PTM_MODE_MIX_CHANNEL ? (size_t)c->num_input_channels : 1;
        cr = (cr + cg - 1) / cg * cg;
        ctx->chunk_rows = (int)cr;
        mb = (int)((cr + (size_t)c->num_input_channels - 1) / (size_t)c->num_input_channels);
        nchunks_max = (int)((rows + cr - 1) / cr);
    }
    ctx->n_scratch = ctx->training ? 1 : (nthr < nchunks_max ? nthr : nchunks_max);
    return mb;
}

/* the backbone's activations and the heads' common outputs */
static void plan_backbone(ptmi_plan *pl, ptm_ctx *ctx, size_t B, float **s_int) {
    const ptm_model *m = ctx->model;
    const ptm_config *c = &m->cfg;
    size_t L = (size_t)c->context_length, C = (size_t)c->num_input_channels,
           N = (size_t)c->num_patches, P = (size_t)c->patch_length, D = (size_t)c->d_model,
           Cs = (size_t)c->num_prediction_channels;
    size_t bcnd = B * C * N * D, bcnp = B * C * N * P, main_out = ptmi_head_main_count(c, B);
    ptmi_plan_add(pl, &ctx->past_in, B * L * C);
    ptmi_plan_add(pl, &ctx->mask_in, B * L * C);
    ptmi_plan_add(pl, &ctx->scaled, B * L * C);
    ptmi_plan_add(pl, &ctx->loc, B * C);
    ptmi_plan_add(pl, &ctx->scale, B * C);
    ptmi_plan_add(pl, &ctx->loc_sel, B * Cs);
    ptmi_plan_add(pl, &ctx->scale_sel, B * Cs);
    ptmi_plan_add(pl, &ctx->patch_input, bcnp);
    ptmi_plan_add(pl, &ctx->masked_input, c->model_class == PTM_CLASS_PRETRAINING ? bcnp : 1);
    ptmi_plan_add(pl, &ctx->mask, B * C * N);
    ptmi_plan_add(pl, &ctx->s_noise, N);
    ptmi_plan_add(pl, &ctx->embed, bcnd);
    ptmi_plan_add(pl, &ctx->last, bcnd);
    ptmi_plan_add(pl, &ctx->s_inj, m->p.has_inject ? 2 * bcnd : 1);
    ptmi_plan_add(pl, &ctx->out_main, main_out);
    for (int j = 0; j < 3; j++)
        ptmi_plan_add(pl, &ctx->out_param[j], m->p.n_proj > j ? main_out : 1);
    ptmi_plan_add(pl, &ctx->out_mean, m->p.n_proj ? main_out : 1);
    ptmi_plan_add(pl, &ctx->loss, 1);
    ptmi_plan_add(pl, s_int, (B > N ? B : N) + 1);
}

void ptmi_plan_grad_scratch(ptmi_plan *pl, ptmi_grad_scratch *g, size_t cnd, size_t ef, size_t n) {
    float **gb[] = {&g->da, &g->db, &g->dc, &g->dd, &g->dz, &g->dq, &g->dk, &g->dv, &g->dctx};
    for (size_t i = 0; i < sizeof gb / sizeof gb[0]; i++) ptmi_plan_add(pl, gb[i], cnd);
    ptmi_plan_add(pl, &g->dhid, cnd * ef);
    ptmi_plan_add(pl, &g->dpre, cnd * ef);
    ptmi_plan_add(pl, &g->dp_row, n);
}

/* training: the backbone's caches and gradient scratch, what the head's backward reads */
static void plan_train(ptmi_plan *pl, ptm_ctx *ctx, size_t B) {
    const ptm_config *c = &ctx->model->cfg;
    size_t C = (size_t)c->num_input_channels, N = (size_t)c->num_patches, D = (size_t)c->d_model,
           bcnd = B * C * N * D;
    size_t F = D * C * (c->head_aggregation == PTM_AGG_NONE ? N : 1);
    size_t main_out = ptmi_head_main_count(c, B);
    ptmi_backbone_ops_for(ctx->model)->plan_train(pl, ctx, B);
    ptmi_plan_add(pl, &ctx->d_h2, bcnd);
    size_t hm = bcnd > B * F ? bcnd : B * F;
    ptmi_plan_add(pl, &ctx->head_mask, hm);
    ptmi_plan_add(pl, &ctx->head_in, hm);
    for (int j = 0; j < 3; j++) ptmi_plan_add(pl, &ctx->raw[j], main_out);
    for (int j = 0; j < 3; j++) ptmi_plan_add(pl, &ctx->d_raw[j], main_out);
    ptmi_plan_add(pl, &ctx->d_inj, ctx->model->p.has_inject ? 2 * bcnd : 1);
    ptmi_plan_add(pl, &ctx->inj_e4, B * C * 4);
    ptmi_plan_add(pl, &ctx->inj_s2, B * C * 2);
}

/* eval: one scratch set per thread for a chunk of mb samples, held by the fields of lc[t] that
 * ctx_finish aliases the others to */
void ptmi_plan_eval_cache(ptmi_plan *pl, ptmi_layer_cache *lc, size_t cnd, size_t ef, size_t n,
                          int self_attn) {
    ptmi_plan_add(pl, &lc->ch.norm, cnd);
    ptmi_plan_add(pl, &lc->ch.xt, cnd);
    ptmi_plan_add(pl, &lc->ch.pre, cnd * ef);
    ptmi_plan_add(pl, &lc->ch.y, cnd);
    ptmi_plan_add(pl, &lc->ch.gp, cnd);
    if (self_attn) {
        ptmi_plan_add(pl, &lc->q, cnd);
        ptmi_plan_add(pl, &lc->k, cnd);
        ptmi_plan_add(pl, &lc->v, cnd);
        ptmi_plan_add(pl, &lc->att_out, cnd);
    }
    ptmi_plan_add(pl, &lc->scores, n);
}

static void plan_eval(ptmi_plan *pl, ptm_ctx *ctx, size_t mb) {
    const ptm_config *c = &ctx->model->cfg;
    size_t mcnd = mb * (size_t)c->num_input_channels * c->num_patches * c->d_model;
    for (int t = 0; t < ctx->n_scratch; t++)
        ptmi_plan_eval_cache(pl, &ctx->lc[t], mcnd, (size_t)c->expansion_factor,
                             (size_t)c->num_patches, c->self_attn);
}

/* one arena for every slot of the plan (which is freed) */
static ptm_status carve(ptmi_plan *pl, ptm_ctx *ctx, size_t B, ptm_error *err) {
    size_t total = 0;
    int bad = pl->bad;
    for (int i = 0; i < pl->n && !bad; i++)
        bad |= ptmi_add_size(total, pl->v[i].count + SLOT_GAP, &total);
    if (pl->bad) {
        free(pl->v);
        return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    }
    if (bad || total > PTMI_MAX_CTX_FLOATS) {
        free(pl->v);
        return ptmi_err(err, PTM_ERR_LIMIT, NULL, "max_batch",
                        "a context for batch %zu is larger than the limit of %zu MiB", B,
                        PTMI_MAX_CTX_FLOATS * 4 / 1048576);
    }
    ctx->arena = calloc(total, sizeof(float));
    if (!ctx->arena) {
        free(pl->v);
        return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "cannot allocate %zu MiB of activations",
                        total * 4 / 1048576);
    }
    ctx->arena_floats = total;
    size_t off = 0;
    for (int i = 0; i < pl->n; i++) {
        *pl->v[i].ptr = ctx->arena + off;
        off += pl->v[i].count + SLOT_GAP;
    }
    free(pl->v);
    return PTM_OK;
}

/* training: the gradient arena, and the data-parallel shards' own (LayerNorm models) */
static ptm_status finish_train(ptm_ctx *ctx, int nshards, float *scores, ptm_error *err) {
    const ptm_config *c = &ctx->model->cfg;
    for (int k = 0; k < c->num_layers; k++) ctx->lc[k].scores = scores;
    ptm_status s = ptmi_model_build(c, PTMI_STORE_PLAIN, &ctx->grads, err);
    if (s != PTM_OK) return s;
    ctx->shard_grads = calloc((size_t)nshards, sizeof(ptm_model *));
    if (!ctx->shard_grads) return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    ctx->n_shards = nshards;
    ctx->shard_grads[0] = ctx->grads;
    for (int i = 1; i < nshards; i++)
        if ((s = ptmi_model_build(c, PTMI_STORE_PLAIN, &ctx->shard_grads[i], err)) != PTM_OK)
            return s;
    return PTM_OK;
}

/* eval: every cache buffer aliases the thread's scratch set (see mixer.c for why this is
 * safe) */
void ptmi_alias_eval_cache(ptmi_layer_cache *lc) {
    float *norm = lc->ch.norm, *xt = lc->ch.xt, *hid = lc->ch.pre, *y = lc->ch.y, *gate = lc->ch.gp;
    ptmi_block_cache *blocks[3] = {&lc->ch, &lc->pa, &lc->fe};
    for (int i = 0; i < 3; i++) {
        ptmi_block_cache *bc = blocks[i];
        bc->norm = norm;
        bc->mean = bc->rstd = NULL;
        bc->xt = bc->gin = xt;
        bc->pre = bc->act = hid;
        bc->y = bc->gout = y;
        bc->gp = gate;
    }
    lc->att_ctx = xt;
    lc->probs = lc->att_mask = NULL;
    lc->na_in = norm;
    lc->na_out = xt;
    lc->na_mean = lc->na_rstd = NULL;
}

static void finish_eval(ptm_ctx *ctx) {
    for (int t = 0; t < ctx->n_scratch; t++) ptmi_alias_eval_cache(&ctx->lc[t]);
}

static ptm_status ctx_create(const ptm_model *model, const ptm_ctx_params *params, int train,
                             ptm_ctx **out, ptm_error *err) {
    if (!out) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "out is NULL");
    *out = NULL;
    if (!model) return ptmi_err(err, PTM_ERR_ARG, NULL, NULL, "model is NULL");
    ptm_status s = ptmi_kernels_check_env(err);
    if (s != PTM_OK) return s;
    ptm_ctx_params cp = params ? *params : ptm_ctx_default_params();
    if (cp.max_batch < 1 || cp.max_batch > (1 << 24))
        return ptmi_err(err, PTM_ERR_ARG, NULL, "max_batch", "max_batch %d out of range [1, %d]",
                        cp.max_batch, 1 << 24);
    const ptm_config *c = &model->cfg;
    ptm_model *view = NULL;
    if ((s = ptmi_model_channel_view(model, cp.num_input_channels, &view, err)) != PTM_OK) return s;
    if (view) model = view;
    c = &model->cfg;
    int K = c->num_layers;
    size_t B = (size_t)cp.max_batch;
    ptm_ctx *ctx = NULL;
    if ((s = check_estimate(c, B, train, err)) != PTM_OK || !(ctx = calloc(1, sizeof *ctx))) {
        free(view);
        return s != PTM_OK ? s : ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    }
    ctx->model = model;
    ctx->view = view;
    ctx->max_batch = cp.max_batch;
    ctx->keep_hidden = cp.keep_hidden_states || train;
    ctx->training = train;
    int nthr = cp.num_threads > 1 ? (cp.num_threads > 256 ? 256 : cp.num_threads) : 1;
    int mb = plan_chunks(ctx, c, cp.max_batch, nthr);
    ctx->hidden = calloc((size_t)K + 1, sizeof(float *));
    ctx->lc = calloc(train ? (size_t)K + 1 : (size_t)ctx->n_scratch, sizeof(ptmi_layer_cache));
    if (!ctx->hidden || !ctx->lc) {
        ptm_ctx_free(ctx);
        return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    }

    const ptmi_head_ops *ops = ptmi_head_ops_for(c);
    ptmi_plan pl = {0};
    float *s_int = NULL, *scores = NULL;
    plan_backbone(&pl, ctx, B, &s_int);
    ptmi_backbone_ops_for(model)->plan(&pl, ctx, B);
    if (ops->plan) ops->plan(&pl, ctx, B);
    if (train)
        plan_train(&pl, ctx, B);
    else
        plan_eval(&pl, ctx, (size_t)mb);
    ptmi_plan_add(&pl, &scores, (size_t)c->num_patches);
    /* the GEMM kernels' packing scratch, one per thread (kernels.h, pack_floats) */
    ctx->pack_floats = ptmi_kernels()->pack_floats;
    if (ctx->pack_floats) ptmi_plan_add(&pl, &ctx->pack, (size_t)nthr * ctx->pack_floats);
    int nshards =
        train && c->norm_mlp != PTM_NORM_BATCH && !ptmi_backbone_ops_for(model)->whole_batch
            ? (cp.max_batch < PTMI_TRAIN_SHARDS ? cp.max_batch : PTMI_TRAIN_SHARDS)
            : 1;
    if (nshards > 1) {
        ptmi_plan_add(&pl, &ctx->shard_scores, (size_t)nshards * c->num_patches);
        ptmi_plan_add(&pl, &ctx->shard_dp_row, (size_t)nshards * c->num_patches);
    }
    if ((s = carve(&pl, ctx, B, err)) != PTM_OK) {
        ptm_ctx_free(ctx);
        return s;
    }
    if (!ctx->keep_hidden)
        for (int k = 2; k < K; k++) ctx->hidden[k] = ctx->hidden[k % 2];
    ctx->s_int = (int *)(void *)s_int;
    if (cp.num_threads > 1) ctx->pool = ptmi_pool_create(nthr);
    ptmi_pool_set_scratch(ctx->pool, ctx->pack, ctx->pack_floats);
    if (train)
        s = finish_train(ctx, nshards, scores, err);
    else
        finish_eval(ctx);
    if (s != PTM_OK) {
        ptm_ctx_free(ctx);
        return s;
    }
    *out = ctx;
    return PTM_OK;
}

ptm_status ptm_ctx_create(const ptm_model *model, const ptm_ctx_params *params, ptm_ctx **out,
                          ptm_error *err) {
    return ctx_create(model, params, 0, out, err);
}

/* the one place a context gets a model it may write: train-mode BatchNorm updates the running
 * statistics (mixer.c, through the model's normalisation buffers), and a loaded model gets the
 * weight layouts that backward reads (ptmi_model_make_trainable) */
ptm_status ptm_ctx_create_train(ptm_model *model, const ptm_ctx_params *params, ptm_ctx **out,
                                ptm_error *err) {
    if (out) *out = NULL;
    ptm_status s = ptmi_model_make_trainable(model, err);
    return s == PTM_OK ? ctx_create(model, params, 1, out, err) : s;
}

size_t ptm_ctx_memory_bytes(const ptm_ctx *ctx) {
    if (!ctx) return 0;
    size_t b = ctx->arena_floats * sizeof(float);
    if (ctx->grads) b += ctx->grads->arena_floats * sizeof(float);
    for (int i = 1; i < ctx->n_shards; i++) b += ctx->shard_grads[i]->arena_floats * sizeof(float);
    return b;
}

void ptm_ctx_free(ptm_ctx *ctx) {
    if (!ctx) return;
    ptmi_pool_free(ctx->pool);
    if (ctx->shard_grads)
        for (int i = 1; i < ctx->n_shards; i++) ptm_model_free(ctx->shard_grads[i]);
    free(ctx->shard_grads);
    ptm_model_free(ctx->grads);
    free(ctx->arena);
    free(ctx->hidden);
    free(ctx->lc);
    if (ctx->ttm) free(ctx->ttm->out);
    if (ctx->ttm) free(ctx->ttm->hs);
    if (ctx->ttm) free(ctx->ttm->lcs);
    free(ctx->ttm);
    free(ctx->view);
    free(ctx);
}
