/* forward.c - inference contexts and the forward pass of every model class.
 *
 * ptm_ctx_create sizes one float arena for max_batch from the config (nothing is allocated
 * later); ptm_forward reads like the Hugging Face forward:
 *   scaler -> patchify -> (pretraining mask) -> patcher (+ positional encoding)
 *   -> K mixer layers -> (InjectScalerStatistics4D) -> head -> loss
 * and ptm_ctx_output exposes every intermediate tensor under the golden files' names.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layers/dist.h"
#include "kernels/threads.h"
#include "layers/layers.h"
#include "model.h"
#include "rng.h"

#define P3(a) ((const float *const *)(a))

/* Largest activation arena a context may allocate (floats), checked before allocating. */
#define PTM_MAX_CTX_FLOATS ((size_t)1 << 33)
/* training: at most this many data-parallel shards of the batch (see ptm_ctx.n_shards) */
#define PTM_TRAIN_SHARDS 4
/* eval-mode chunks: about this many floats of [series, N, D] per layer pass */
#ifndef MICRO_BATCH_FLOATS
#define MICRO_BATCH_FLOATS 8192
#endif
#ifndef MIN_CHUNK_ROWS
#define MIN_CHUNK_ROWS 8
#endif

ptm_ctx_params ptm_ctx_default_params(void) {
    ptm_ctx_params p;
    p.max_batch = 1;
    p.keep_hidden_states = 1;
    p.training = 0;
    p.num_threads = 1;
    return p;
}

/* A list of buffers to carve out of one arena: each slot is a float* to set and its size. */
typedef struct {
    float **ptr;
    size_t count;
} slot;

typedef struct {
    slot *v;
    int n, cap;
    int bad;
} slots;

static void add_slot(slots *s, float **ptr, size_t count) {
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 128;
        slot *v = realloc(s->v, sizeof(slot) * (size_t)cap);
        if (!v) {
            s->bad = 1;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = (slot){ptr, count ? count : 1};
}

/* gap after each slot, in floats: 64 bytes keep buffers on separate cache lines */
static size_t slot_gap(int i) {
    (void)i;
    return 16;
}

/* the buffers of one layer cache; in eval mode (train == 0) nothing is added: the caller
 * points the cache at shared scratch instead */
static void add_layer_cache(slots *s, ptm_layer_cache *lc, const ptm_config *c, size_t B) {
    size_t C = (size_t)c->num_input_channels, N = (size_t)c->num_patches, D = (size_t)c->d_model;
    size_t bcnd = B * C * N * D, bcn = B * C * N, ef = (size_t)c->expansion_factor;
    int bn = c->norm_mlp == PTM_NORM_BATCH, drop = c->dropout > 0.0f;
    ptm_block_cache *blocks[3] = {&lc->ch, &lc->pa, &lc->fe};
    for (int i = 0; i < 3; i++) {
        ptm_block_cache *bc = blocks[i];
        if (i == 0 && c->mode != PTM_MODE_MIX_CHANNEL) continue;
        add_slot(s, &bc->norm, bcnd);
        add_slot(s, &bc->mean, bn ? D : bcn);
        add_slot(s, &bc->rstd, bn ? D : bcn);
        if (i != 2) add_slot(s, &bc->xt, bcnd);
        if (i == 0 && c->gated_attn) add_slot(s, &bc->gin, bcnd);
        add_slot(s, &bc->pre, bcnd * ef);
        add_slot(s, &bc->act, bcnd * ef);
        add_slot(s, &bc->y, bcnd);
        if (c->gated_attn) add_slot(s, &bc->gp, bcnd);
        if (i != 0 && c->gated_attn) add_slot(s, &bc->gout, bcnd);
        if (drop) {
            add_slot(s, &bc->mask1, bcnd * ef);
            add_slot(s, &bc->mask2, bcnd);
        }
    }
    if (c->mode == PTM_MODE_MIX_CHANNEL) add_slot(s, &lc->h1, bcnd);
    add_slot(s, &lc->h2, bcnd);
    if (c->self_attn) {
        size_t np = B * C * (size_t)c->self_attn_heads * N * N;
        add_slot(s, &lc->q, bcnd);
        add_slot(s, &lc->k, bcnd);
        add_slot(s, &lc->v, bcnd);
        add_slot(s, &lc->att_ctx, bcnd);
        add_slot(s, &lc->att_out, bcnd);
        add_slot(s, &lc->probs, np);
        if (drop) add_slot(s, &lc->att_mask, np);
        add_slot(s, &lc->na_in, bcnd);
        add_slot(s, &lc->na_out, bcnd);
        add_slot(s, &lc->na_mean, bn ? D : bcn);
        add_slot(s, &lc->na_rstd, bn ? D : bcn);
    }
}

ptm_status ptm_ctx_create(const ptm_model *model, const ptm_ctx_params *params, ptm_ctx **out,
                          ptm_error *err) {
    if (!out) return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "out is NULL");
    *out = NULL;
    if (!model) return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "model is NULL");
    ptm_ctx_params cp = params ? *params : ptm_ctx_default_params();
    if (cp.max_batch < 1 || cp.max_batch > (1 << 24))
        return ptm_err(err, PTM_ERR_ARG, NULL, "max_batch", "max_batch %d out of range [1, %d]",
                       cp.max_batch, 1 << 24);
    const ptm_config *c = &model->cfg;
    int K = c->num_layers;
    int train = cp.training != 0;
    size_t B = (size_t)cp.max_batch, L = (size_t)c->context_length,
           C = (size_t)c->num_input_channels, N = (size_t)c->num_patches,
           P = (size_t)c->patch_length, D = (size_t)c->d_model, H = (size_t)c->prediction_length,
           T = (size_t)c->num_targets, Cs = (size_t)c->num_prediction_channels,
           ef = (size_t)c->expansion_factor;
    size_t F = D * C * (c->head_aggregation == PTM_AGG_NONE ? N : 1);
    /* a first estimate in double, so that no size_t product below can overflow */
    double per_layer =
        train ? 14.0 + 4.0 * (double)ef + (c->self_attn ? 9.0 + (double)N : 0.0) : 0.0;
    double est = (double)B * C * N * D * (16.0 + (double)ef + 2.0 * K + per_layer * K) +
                 (double)B * L * C * 2 + (double)B * (double)(H * Cs + F) * 8;
    if (c->self_attn) est += (double)B * C * c->self_attn_heads * N * N * (train ? 2.0 * K : 0.0);
    if (est > (double)PTM_MAX_CTX_FLOATS)
        return ptm_err(err, PTM_ERR_LIMIT, NULL, "max_batch",
                       "a context for batch %zu would need about %.0f MiB, more than the limit "
                       "of %zu MiB",
                       B, est * 4 / 1048576.0, PTM_MAX_CTX_FLOATS * 4 / 1048576);

    ptm_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return ptm_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    ctx->model = model;
    ctx->max_batch = cp.max_batch;
    ctx->keep_hidden = cp.keep_hidden_states || train;
    ctx->training = train;
    ctx->hidden = calloc((size_t)K + 1, sizeof(float *));
    /* eval mode runs in chunks of series (every series, or sample, is independent: rows_chunk),
     * each on one thread with its own scratch: about MICRO_BATCH_FLOATS of activations each,
     * fewer when that leaves a thread idle (batch 1 uses every core); mb = samples a chunk can
     * touch, for the scratch sizes. Train mode runs the whole batch (or its shards) at once. */
    int mb = cp.max_batch;
    int nthr = cp.num_threads > 1 ? (cp.num_threads > 256 ? 256 : cp.num_threads) : 1;
    int nchunks_max = 1;
    size_t nd_ = (size_t)c->num_patches * (size_t)c->d_model;
    if (!train) {
        size_t rows = (size_t)cp.max_batch * (size_t)c->num_input_channels;
        size_t cr = (size_t)MICRO_BATCH_FLOATS / (nd_ ? nd_ : 1);
        /* at least MIN_CHUNK_ROWS series, so that each weight panel a GEMM streams in from
         * memory serves enough rows (long contexts have large patch-mixer weights) */
        if (cr < MIN_CHUNK_ROWS) cr = MIN_CHUNK_ROWS;
        if (cr > (rows + (size_t)nthr - 1) / (size_t)nthr)
            cr = (rows + (size_t)nthr - 1) / (size_t)nthr;
        /* mix_channel mixes the channels of a sample: chunks of whole samples */
        size_t cg = c->mode == PTM_MODE_MIX_CHANNEL ? (size_t)c->num_input_channels : 1;
        cr = (cr + cg - 1) / cg * cg;
        ctx->chunk_rows = (int)cr;
        mb = (int)((cr + (size_t)c->num_input_channels - 1) / (size_t)c->num_input_channels);
        nchunks_max = (int)((rows + cr - 1) / cr);
    }
    int nsc = train ? 1 : (nthr < nchunks_max ? nthr : nchunks_max);
    ctx->n_scratch = nsc;
    ctx->lc = calloc(train ? (size_t)K + 1 : (size_t)nsc, sizeof(ptm_layer_cache));
    slots sl = {0};
    if (!ctx->hidden || !ctx->lc) goto nomem;

    size_t bcnd = B * C * N * D, bcnp = B * C * N * P;
    size_t main_out = 1;
    switch (c->model_class) {
    case PTM_CLASS_PREDICTION:
        main_out = B * H * Cs;
        break;
    case PTM_CLASS_CLASSIFICATION:
    case PTM_CLASS_REGRESSION:
        main_out = B * T;
        break;
    case PTM_CLASS_PRETRAINING:
        main_out = bcnp;
        break;
    case PTM_CLASS_MODEL:
        main_out = 1;
        break;
    }
    float *s_int_f = NULL;
    int attn = c->self_attn;
    add_slot(&sl, &ctx->scaled, B * L * C);
    add_slot(&sl, &ctx->loc, B * C);
    add_slot(&sl, &ctx->scale, B * C);
    add_slot(&sl, &ctx->loc_sel, B * Cs);
    add_slot(&sl, &ctx->scale_sel, B * Cs);
    add_slot(&sl, &ctx->patch_input, bcnp);
    add_slot(&sl, &ctx->masked_input, c->model_class == PTM_CLASS_PRETRAINING ? bcnp : 1);
    add_slot(&sl, &ctx->mask, B * C * N);
    add_slot(&sl, &ctx->s_noise, N);
    add_slot(&sl, &ctx->embed, bcnd);
    add_slot(&sl, &ctx->last, bcnd);
    add_slot(&sl, &ctx->s_feat, B * F);
    add_slot(&sl, &ctx->s_inj, model->p.has_inject ? 2 * bcnd : 1);
    add_slot(&sl, &ctx->s_target, c->model_class == PTM_CLASS_PREDICTION ? B * H * Cs : 1);
    add_slot(&sl, &ctx->s_row, B * H);
    add_slot(&sl, &ctx->s_hrows,
             c->model_class == PTM_CLASS_PREDICTION && !train
                 ? B * C * H * (size_t)(model->p.n_proj > 0 ? model->p.n_proj : 1)
                 : 1);
    add_slot(&sl, &ctx->out_main, main_out);
    for (int j = 0; j < 3; j++)
        add_slot(&sl, &ctx->out_param[j], model->p.n_proj > j ? main_out : 1);
    add_slot(&sl, &ctx->out_mean, model->p.n_proj ? main_out : 1);
    add_slot(&sl, &ctx->loss, 1);
    add_slot(&sl, &s_int_f, (B > N ? B : N) + 1);
    int nh = ctx->keep_hidden ? K : (K < 2 ? K : 2);
    float *hbuf[2] = {NULL, NULL};
    float **hslots = calloc((size_t)nh + 1, sizeof(float *));
    if (!hslots) goto nomem;
    for (int i = 0; i < nh; i++) add_slot(&sl, &hslots[i], bcnd);

    /* layer caches */
    typedef struct {
        float *norm, *xt, *hid, *y, *gate, *q, *k, *v, *att, *scores;
    } scratch_set;
    scratch_set *scr = calloc((size_t)nsc, sizeof(scratch_set));
    if (!scr) {
        free(hslots);
        goto nomem;
    }
    if (train) {
        for (int k = 0; k < K; k++) add_layer_cache(&sl, &ctx->lc[k], c, B);
        ptm_grad_scratch *g = &ctx->gs;
        float **gb[] = {&g->da, &g->db, &g->dc, &g->dd, &g->dz, &g->dq, &g->dk, &g->dv, &g->dctx};
        for (size_t i = 0; i < sizeof gb / sizeof gb[0]; i++) add_slot(&sl, gb[i], bcnd);
        add_slot(&sl, &g->dhid, bcnd * ef);
        add_slot(&sl, &g->dpre, bcnd * ef);
        add_slot(&sl, &g->dp_row, N);
        add_slot(&sl, &ctx->d_h, bcnd);
        add_slot(&sl, &ctx->d_h2, bcnd);
        size_t hm = bcnd > B * F ? bcnd : B * F;
        add_slot(&sl, &ctx->head_mask, hm);
        add_slot(&sl, &ctx->head_in, hm);
        for (int j = 0; j < 3; j++) add_slot(&sl, &ctx->raw[j], main_out);
        for (int j = 0; j < 3; j++) add_slot(&sl, &ctx->d_raw[j], main_out);
        add_slot(&sl, &ctx->d_feat, B * F);
        add_slot(&sl, &ctx->d_inj, model->p.has_inject ? 2 * bcnd : 1);
        add_slot(&sl, &ctx->inj_e4, B * C * 4);
        add_slot(&sl, &ctx->inj_s2, B * C * 2);
    } else {
        size_t mcnd = (size_t)mb * C * N * D; /* one chunk */
        for (int t = 0; t < nsc; t++) {
            add_slot(&sl, &scr[t].norm, mcnd);
            add_slot(&sl, &scr[t].xt, mcnd);
            add_slot(&sl, &scr[t].hid, mcnd * ef);
            add_slot(&sl, &scr[t].y, mcnd);
            add_slot(&sl, &scr[t].gate, mcnd);
            if (attn) {
                add_slot(&sl, &scr[t].q, mcnd);
                add_slot(&sl, &scr[t].k, mcnd);
                add_slot(&sl, &scr[t].v, mcnd);
                add_slot(&sl, &scr[t].att, mcnd);
            }
            add_slot(&sl, &scr[t].scores, N);
        }
    }
    float *scores = NULL;
    add_slot(&sl, &scores, N);
    int nshards = train && c->norm_mlp != PTM_NORM_BATCH
                      ? (cp.max_batch < PTM_TRAIN_SHARDS ? cp.max_batch : PTM_TRAIN_SHARDS)
                      : 1;
    if (nshards > 1) {
        add_slot(&sl, &ctx->shard_scores, (size_t)nshards * N);
        add_slot(&sl, &ctx->shard_dp_row, (size_t)nshards * N);
    }
    if (sl.bad) {
        free(scr);
        free(hslots);
        goto nomem;
    }

    size_t total = 0;
    int bad = 0;
    for (int i = 0; i < sl.n; i++) bad |= ptm_add_size(total, sl.v[i].count + slot_gap(i), &total);
    if (bad || total > PTM_MAX_CTX_FLOATS) {
        free(scr);
        free(hslots);
        free(sl.v);
        ptm_ctx_free(ctx);
        return ptm_err(err, PTM_ERR_LIMIT, NULL, "max_batch",
                       "a context for batch %zu is larger than the limit of %zu MiB", B,
                       PTM_MAX_CTX_FLOATS * 4 / 1048576);
    }
    ctx->arena = calloc(total, sizeof(float));
    if (!ctx->arena) {
        free(scr);
        free(hslots);
        free(sl.v);
        ptm_ctx_free(ctx);
        return ptm_err(err, PTM_ERR_NOMEM, NULL, NULL, "cannot allocate %zu MiB of activations",
                       total * 4 / 1048576);
    }
    ctx->arena_floats = total;
    size_t off = 0;
    for (int i = 0; i < sl.n; i++) {
        *sl.v[i].ptr = ctx->arena + off;
        off += sl.v[i].count + slot_gap(i);
    }
    free(sl.v);
    sl.v = NULL;
    if (nh > 0) hbuf[0] = hslots[0];
    if (nh > 1) hbuf[1] = hslots[1];
    for (int k = 0; k < K; k++) ctx->hidden[k] = ctx->keep_hidden ? hslots[k] : hbuf[k % 2];
    free(hslots);
    ctx->s_int = (int *)(void *)s_int_f;
    if (cp.num_threads > 1)
        ctx->pool = ptm_pool_create(cp.num_threads > 256 ? 256 : cp.num_threads);
    if (train) {
        for (int k = 0; k < K; k++) {
            ctx->lc[k].scores = scores;
            /* the layer writes its output into hidden[k]; h2 of the last block is separate */
        }
        ptm_status s = ptm_model_build(c, &ctx->grads, err);
        if (s != PTM_OK) {
            ptm_ctx_free(ctx);
            return s;
        }
        ctx->shard_grads = calloc((size_t)nshards, sizeof(ptm_model *));
        if (!ctx->shard_grads) {
            ptm_ctx_free(ctx);
            return ptm_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
        }
        ctx->n_shards = nshards;
        ctx->shard_grads[0] = ctx->grads;
        for (int i = 1; i < nshards; i++) {
            s = ptm_model_build(c, &ctx->shard_grads[i], err);
            if (s != PTM_OK) {
                ptm_ctx_free(ctx);
                return s;
            }
        }
    } else {
        /* eval: every cache buffer aliases shared scratch (see mixer.c for why this is safe),
         * one scratch set per thread */
        for (int t = 0; t < nsc; t++) {
            ptm_layer_cache *lc = &ctx->lc[t];
            ptm_block_cache *blocks[3] = {&lc->ch, &lc->pa, &lc->fe};
            for (int i = 0; i < 3; i++) {
                ptm_block_cache *bc = blocks[i];
                bc->norm = scr[t].norm;
                bc->mean = bc->rstd = NULL;
                bc->xt = scr[t].xt;
                bc->gin = scr[t].xt;
                bc->pre = bc->act = scr[t].hid;
                bc->y = bc->gout = scr[t].y;
                bc->gp = scr[t].gate;
            }
            lc->q = scr[t].q;
            lc->k = scr[t].k;
            lc->v = scr[t].v;
            lc->att_ctx = scr[t].xt;
            lc->att_out = scr[t].att;
            lc->probs = lc->att_mask = NULL;
            lc->na_in = scr[t].norm;
            lc->na_out = scr[t].xt;
            lc->na_mean = lc->na_rstd = NULL;
            lc->scores = scr[t].scores;
        }
    }
    free(scr);
    *out = ctx;
    return PTM_OK;
nomem:
    free(sl.v);
    ptm_ctx_free(ctx);
    return ptm_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
}

size_t ptm_ctx_memory_bytes(const ptm_ctx *ctx) {
    if (!ctx) return 0;
    size_t b = ctx->arena_floats * sizeof(float);
    if (ctx->grads) b += ctx->grads->arena_floats * sizeof(float) * 2;
    for (int i = 1; i < ctx->n_shards; i++)
        b += ctx->shard_grads[i]->arena_floats * sizeof(float) * 2;
    return b;
}

void ptm_ctx_free(ptm_ctx *ctx) {
    if (!ctx) return;
    ptm_pool_free(ctx->pool);
    if (ctx->shard_grads)
        for (int i = 1; i < ctx->n_shards; i++) ptm_model_free(ctx->shard_grads[i]);
    free(ctx->shard_grads);
    ptm_model_free(ctx->grads);
    free(ctx->arena);
    free(ctx->hidden);
    free(ctx->lc);
    free(ctx);
}

/* ------------------------------------------------------------------ outputs */

static void add_output(ptm_ctx *ctx, const char *name, const float *data, int ndim, int64_t d0,
                       int64_t d1, int64_t d2, int64_t d3) {
    if (ctx->n_outputs >= PTM_MAX_OUTPUTS) return;
    int i = ctx->n_outputs++;
    snprintf(ctx->out_names[i], sizeof ctx->out_names[i], "%s", name);
    ptm_tensor_view *v = &ctx->outputs[i];
    v->name = ctx->out_names[i];
    v->data = data;
    v->ndim = ndim;
    int64_t dims[4] = {d0, d1, d2, d3};
    for (int k = 0; k < 4; k++) v->shape[k] = k < ndim ? dims[k] : 0;
}

int ptm_ctx_num_outputs(const ptm_ctx *ctx) {
    return ctx ? ctx->n_outputs : 0;
}

ptm_status ptm_ctx_output_at(const ptm_ctx *ctx, int index, ptm_tensor_view *out) {
    if (!ctx || !out || index < 0 || index >= ctx->n_outputs) return PTM_ERR_ARG;
    *out = ctx->outputs[index];
    return PTM_OK;
}

ptm_status ptm_ctx_output(const ptm_ctx *ctx, const char *name, ptm_tensor_view *out,
                          ptm_error *err) {
    if (!ctx || !name || !out) return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "NULL argument");
    for (int i = 0; i < ctx->n_outputs; i++) {
        if (strcmp(ctx->outputs[i].name, name) == 0) {
            *out = ctx->outputs[i];
            return PTM_OK;
        }
    }
    return ptm_err(err, PTM_ERR_ARG, NULL, name,
                   "no output of this name after the last forward of a %s",
                   ptm_class_name(ctx->model->cfg.model_class));
}

/* ------------------------------------------------------------------ forward */

static ptm_status check_inputs(const ptm_ctx *ctx, const ptm_inputs *in, ptm_error *err) {
    const ptm_config *c = &ctx->model->cfg;
    if (!in) return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "inputs is NULL");
    if (in->batch < 1 || in->batch > ctx->max_batch)
        return ptm_err(err, PTM_ERR_ARG, NULL, "batch",
                       "batch %d out of range [1, %d] (the context's max_batch)", in->batch,
                       ctx->max_batch);
    if (!in->past_values)
        return ptm_err(err, PTM_ERR_ARG, NULL, "past_values", "past_values is NULL");
    size_t n = (size_t)in->batch * c->context_length * c->num_input_channels;
    for (size_t i = 0; i < n; i++) {
        float m = in->observed_mask ? in->observed_mask[i] : 1.0f;
        /* a missing value still enters the patches (as in Hugging Face, the mask only
         * affects the scaler), so NaN/Inf is refused even where observed_mask is 0: it would
         * reach the forecast */
        if (!isfinite(m) || !isfinite(in->past_values[i])) {
            size_t ch = i % (size_t)c->num_input_channels;
            size_t t = (i / (size_t)c->num_input_channels) % (size_t)c->context_length;
            size_t b = i / ((size_t)c->num_input_channels * c->context_length);
            return ptm_err(err, PTM_ERR_INPUT, NULL, "past_values",
                           "value at [batch %zu, time %zu, channel %zu] is %s; mark missing "
                           "values with observed_mask 0 (and value 0)",
                           b, t, ch, isfinite(m) ? "not finite" : "observed_mask not finite");
        }
    }
    if (in->future_values && c->model_class == PTM_CLASS_PREDICTION) {
        size_t nf = (size_t)in->batch * c->prediction_length * c->num_input_channels;
        for (size_t i = 0; i < nf; i++)
            if (!isfinite(in->future_values[i]))
                return ptm_err(err, PTM_ERR_INPUT, NULL, "future_values", "value %zu is not finite",
                               i);
    }
    if (in->target_values && c->model_class == PTM_CLASS_REGRESSION) {
        size_t nt = (size_t)in->batch * c->num_targets;
        for (size_t i = 0; i < nt; i++)
            if (!isfinite(in->target_values[i]))
                return ptm_err(err, PTM_ERR_INPUT, NULL, "target_values", "value %zu is not finite",
                               i);
    }
    return PTM_OK;
}

static ptm_status forward_impl(ptm_ctx *ctx, const ptm_inputs *in, ptm_error *err);

/* 3-5 of the train-mode forward: patch embedding (+ positional encoding), mixer layers, and for
 * Cls/Reg with scaling InjectScalerStatistics4D, into the per-layer caches, for the whole batch
 * (nchunks 1: BatchNorm needs batch statistics) or for one of its data-parallel shards. */
typedef struct {
    ptm_ctx *ctx;
    const float *enc_in;
    int B, nchunks;
    const ptm_run_mode *run;
    int nthreads; /* threads that take shards */
} backbone_job;

/* first sample of training shard s of a batch of B (the shards of a batch never depend on the
 * thread count) */
int ptm_shard_start(int B, int nshards, int s) {
    return (int)((long long)B * s / nshards);
}

/* a training layer cache viewed from sample s0 on (LayerNorm statistics are per row; sharded
 * training is not used with BatchNorm); scores is the shard's own [N] scratch */
void ptm_shift_layer_cache(ptm_layer_cache *dst, const ptm_layer_cache *src, const ptm_config *c,
                           size_t s0, float *scores) {
    size_t cn = (size_t)c->num_input_channels * c->num_patches, cnd = cn * c->d_model,
           ef = (size_t)c->expansion_factor;
    size_t np = cn * c->self_attn_heads * c->num_patches;
#define SHIFT(f, per) dst->f = src->f ? src->f + s0 * (per) : NULL
    const ptm_block_cache *sb[3] = {&src->ch, &src->pa, &src->fe};
    ptm_block_cache *db[3] = {&dst->ch, &dst->pa, &dst->fe};
    for (int i = 0; i < 3; i++) {
        const ptm_block_cache *a = sb[i];
        ptm_block_cache *b = db[i];
        b->norm = a->norm ? a->norm + s0 * cnd : NULL;
        b->mean = a->mean ? a->mean + s0 * cn : NULL;
        b->rstd = a->rstd ? a->rstd + s0 * cn : NULL;
        b->xt = a->xt ? a->xt + s0 * cnd : NULL;
        b->gin = a->gin ? a->gin + s0 * cnd : NULL;
        b->pre = a->pre ? a->pre + s0 * cnd * ef : NULL;
        b->act = a->act ? a->act + s0 * cnd * ef : NULL;
        b->y = a->y ? a->y + s0 * cnd : NULL;
        b->gp = a->gp ? a->gp + s0 * cnd : NULL;
        b->gout = a->gout ? a->gout + s0 * cnd : NULL;
        b->mask1 = a->mask1 ? a->mask1 + s0 * cnd * ef : NULL;
        b->mask2 = a->mask2 ? a->mask2 + s0 * cnd : NULL;
    }
    SHIFT(h1, cnd);
    SHIFT(h2, cnd);
    SHIFT(q, cnd);
    SHIFT(k, cnd);
    SHIFT(v, cnd);
    SHIFT(att_ctx, cnd);
    SHIFT(att_out, cnd);
    SHIFT(probs, np);
    SHIFT(att_mask, np);
    SHIFT(na_in, cnd);
    SHIFT(na_out, cnd);
    SHIFT(na_mean, cn);
    SHIFT(na_rstd, cn);
#undef SHIFT
    dst->scores = scores;
}

static void backbone_chunk(const backbone_job *j, int chunk) {
    ptm_ctx *ctx = j->ctx;
    const ptm_model *m = ctx->model;
    const ptm_config *c = &m->cfg;
    const ptm_params *p = &m->p;
    int C = c->num_input_channels, N = c->num_patches, P = c->patch_length, D = c->d_model,
        K = c->num_layers;
    size_t cnd = (size_t)C * N * D;
    int sharded = j->nchunks > 1;
    int b0 = ptm_shard_start(j->B, j->nchunks, chunk);
    int nb = ptm_shard_start(j->B, j->nchunks, chunk + 1) - b0;
    ptm_layer_cache shifted;
    size_t off = (size_t)b0 * cnd;
    float *emb = ctx->embed + off;
    linear_fwd(emb, j->enc_in + (size_t)b0 * C * N * P, &p->patcher, (size_t)nb * C * N);
    if (p->position_enc)
        for (size_t r = 0; r < (size_t)nb * C; r++)
            for (size_t i = 0; i < (size_t)N * D; i++) emb[r * N * D + i] += p->position_enc[i];
    const float *hh = emb;
    for (int k = 0; k < K; k++) {
        ptm_layer_cache *lc = &ctx->lc[k];
        if (sharded) {
            ptm_shift_layer_cache(&shifted, lc, c, (size_t)b0,
                                  ctx->shard_scores + (size_t)chunk * N);
            lc = &shifted;
        }
        mixer_layer_forward(ctx->hidden[k] + off, hh, lc, &p->layers[k], c, nb, C, j->run);
        hh = ctx->hidden[k] + off;
    }
    if (p->has_inject)
        inject_scale_forward(ctx->last + off, ctx->s_inj + 2 * off,
                             ctx->inj_e4 ? ctx->inj_e4 + (size_t)b0 * C * 4 : NULL,
                             ctx->inj_s2 ? ctx->inj_s2 + (size_t)b0 * C * 2 : NULL, hh,
                             ctx->loc + (size_t)b0 * C, ctx->scale + (size_t)b0 * C, p, nb, C, N,
                             D);
}

/* thread ith takes chunks ith, ith + n, ... (a fixed assignment: results do not depend on
 * timing); inside a chunk the kernels run serially */
/* thread ith takes shards ith, ith + n, ...; each shard's results land in its own slices */
static void backbone_part(void *arg, int ith, int nth) {
    const backbone_job *j = arg;
    (void)nth;
    if (ith >= j->nthreads) return;
    ptm_pool *prev = ptm_pool_enter(NULL);
    for (int ch = ith; ch < j->nchunks; ch += j->nthreads) backbone_chunk(j, ch);
    ptm_pool_leave(prev);
}

/* Eval mode: every series (b, c) goes through the model on its own (common_channel; with
 * mix_channel every sample, and chunks hold whole samples), so the whole forward of a chunk of
 * series [r0, r1) - scaling + patching (unless done before),
 * patch embedding, the layers, InjectScalerStatistics4D and the forecasting or pretraining head -
 * runs on one thread with no serial step in between. A series' result does not depend on the
 * chunk it is in (every kernel computes each output element in the same order). */
typedef struct {
    ptm_ctx *ctx;
    const ptm_inputs *in;
    const float *enc_in;
    size_t rows, cr;
    int nchunks, nthreads, prep, nll;
    const ptm_run_mode *run;
} rows_job;

static void rows_chunk(const rows_job *j, ptm_layer_cache *lc, int chunk) {
    ptm_ctx *ctx = j->ctx;
    const ptm_model *m = ctx->model;
    const ptm_config *c = &m->cfg;
    const ptm_params *p = &m->p;
    int C = c->num_input_channels, N = c->num_patches, P = c->patch_length, D = c->d_model,
        K = c->num_layers, H = c->prediction_length, Cs = c->num_prediction_channels;
    size_t r0 = (size_t)chunk * j->cr, r1 = r0 + j->cr < j->rows ? r0 + j->cr : j->rows;
    int nr = (int)(r1 - r0);
    size_t nd = (size_t)N * D, off = r0 * nd;
    if (j->prep)
        scaler_patchify_rows(ctx->patch_input, ctx->loc, ctx->scale, j->in->past_values,
                             j->in->observed_mask, c->scaling, c->context_length, C, N, P,
                             c->patch_stride, r0, r1);
    float *emb = ctx->embed + off;
    linear_fwd(emb, j->enc_in + r0 * N * P, &p->patcher, (size_t)nr * N);
    if (p->position_enc)
        for (int r = 0; r < nr; r++)
            for (size_t i = 0; i < nd; i++) emb[r * nd + i] += p->position_enc[i];
    const float *hh = emb;
    for (int k = 0; k < K; k++) {
        lc->h1 = lc->h2 = ctx->hidden[k] + off;
        int cg = c->mode == PTM_MODE_MIX_CHANNEL ? C : 1; /* chunks hold whole samples then */
        mixer_layer_forward(ctx->hidden[k] + off, hh, lc, &p->layers[k], c, nr / cg, cg, j->run);
        hh = ctx->hidden[k] + off;
    }
    if (p->has_inject) {
        inject_scale_forward(ctx->last + off, ctx->s_inj + 2 * off, NULL, NULL, hh, ctx->loc + r0,
                             ctx->scale + r0, p, nr, 1, N, D);
        hh = ctx->last + off;
    }
    if (c->model_class == PTM_CLASS_PRETRAINING) {
        linear_fwd(ctx->out_main + r0 * N * P, hh, &p->head, (size_t)nr * N);
    } else if (c->model_class == PTM_CLASS_PREDICTION) {
        /* the head on these series, then each forecast row into [B, H, Cs] (de-normalised
         * for a point forecast; distribution parameters are mapped after the chunks) */
        const int *sel = c->prediction_channel_indices;
        int nh = j->nll ? p->n_proj : 1;
        for (int q = 0; q < nh; q++) {
            float *rows = ctx->s_hrows + ((size_t)q * j->rows + r0) * H;
            linear_fwd(rows, hh, j->nll ? &p->proj[q] : &p->head, (size_t)nr);
            float *dst = j->nll ? ctx->out_param[q] : ctx->out_main;
            for (int r = 0; r < nr; r++) {
                size_t row = r0 + (size_t)r, b = row / (size_t)C;
                int ch = (int)(row % (size_t)C);
                const float *src = rows + (size_t)r * H;
                float lo = j->nll ? 0.0f : ctx->loc[row], sc = j->nll ? 1.0f : ctx->scale[row];
                for (int jj = 0; jj < Cs; jj++) {
                    if ((sel ? sel[jj] : jj) != ch) continue;
                    float *o = dst + b * (size_t)H * Cs + (size_t)jj;
                    if (j->nll)
                        for (int t = 0; t < H; t++) o[(size_t)t * Cs] = src[t];
                    else
                        for (int t = 0; t < H; t++) o[(size_t)t * Cs] = src[t] * sc + lo;
                }
            }
        }
    }
}

static void rows_part(void *arg, int ith, int nth) {
    const rows_job *j = arg;
    (void)nth;
    if (ith >= j->nthreads) return;
    ptm_pool *prev = ptm_pool_enter(NULL);
    for (int ch = ith; ch < j->nchunks; ch += j->nthreads) rows_chunk(j, &j->ctx->lc[ith], ch);
    ptm_pool_leave(prev);
}

ptm_status ptm_forward(ptm_ctx *ctx, const ptm_inputs *in, ptm_error *err) {
    if (!ctx) return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "ctx is NULL");
    ptm_pool *prev = ptm_pool_enter(ctx->pool);
    ptm_status s = forward_impl(ctx, in, err);
    ptm_pool_leave(prev);
    return s;
}

static ptm_status forward_impl(ptm_ctx *ctx, const ptm_inputs *in, ptm_error *err) {
    ptm_status s = check_inputs(ctx, in, err);
    if (s != PTM_OK) return s;
    const ptm_model *m = ctx->model;
    const ptm_config *c = &m->cfg;
    const ptm_params *p = &m->p;
    int B = in->batch, L = c->context_length, C = c->num_input_channels, N = c->num_patches,
        P = c->patch_length, D = c->d_model, H = c->prediction_length, T = c->num_targets,
        K = c->num_layers, Cs = c->num_prediction_channels;
    size_t bcn = (size_t)B * C * N, bcnd = bcn * D;
    ctx->batch = B;
    ctx->n_outputs = 0;
    ctx->has_loss = 0;

    /* eval mode: the forward runs in chunks of series (see rows_chunk), which
     * also scale and patch their own series unless the scaling is batch-wide (mean) or patches
     * get masked first (pretraining) */
    int rowpar = !ctx->training;
    int prep = rowpar && c->scaling != PTM_SCALING_MEAN && c->model_class != PTM_CLASS_PRETRAINING;
    int nll = c->loss == PTM_LOSS_NLL;

    /* 1. instance scaling and patching */
    if (!prep) {
        scaler_forward(ctx->scaled, ctx->loc, ctx->scale, in->past_values, in->observed_mask,
                       c->scaling, B, L, C);
        patchify_forward(ctx->patch_input, ctx->scaled, B, L, C, N, P, c->patch_stride);
    }
    const float *enc_in = ctx->patch_input;

    /* 2. pretraining: mask patches */
    if (c->model_class == PTM_CLASS_PRETRAINING) {
        if (in->patch_mask) {
            for (size_t i = 0; i < bcn; i++) {
                float v = in->patch_mask[i];
                if (v != 0.0f && v != 1.0f)
                    return ptm_err(err, PTM_ERR_INPUT, NULL, "patch_mask",
                                   "value %g at %zu, expected 0 or 1", (double)v, i);
                ctx->mask[i] = v;
            }
        } else if (c->mask_type == PTM_MASK_RANDOM) {
            random_mask(ctx->mask, ctx->s_noise, B, C, N, c->random_mask_ratio,
                        c->channel_consistent_masking, c->unmasked_channel_indices,
                        c->num_unmasked_channels, in->mask_seed);
        } else {
            forecast_mask(ctx->mask, ctx->s_int, B, C, N, c->num_forecast_mask_patches,
                          c->num_forecast_mask_patches_count, c->unmasked_channel_indices,
                          c->num_unmasked_channels, in->mask_seed);
        }
        apply_mask(ctx->masked_input, ctx->patch_input, ctx->mask, c->mask_value, bcn, P);
        enc_in = ctx->masked_input;
    }

    /* 3-5. the backbone: in eval mode in chunks of series (rows_chunk, which also runs the
     * head), about MICRO_BATCH_FLOATS each so that a layer's working set stays in cache, spread
     * over the pool's threads; in train mode the whole batch or its shards (backbone_chunk) */
    ptm_run_mode run = {ctx->training, c->dropout, &ctx->rng, 0, !ctx->training};
    if (ctx->training) ptm_rng_seed(&ctx->rng, in->dropout_seed);
    if (rowpar) {
        size_t rows = (size_t)B * C, cr = (size_t)ctx->chunk_rows;
        rows_job rj = {ctx, in, enc_in, rows, cr, (int)((rows + cr - 1) / cr), 1, prep, nll, &run};
        if (ctx->pool && rj.nchunks > 1 && ctx->n_scratch > 1) {
            rj.nthreads = ctx->n_scratch;
            ptm_pool_run(ctx->pool, rows_part, &rj);
        } else {
            for (int ch = 0; ch < rj.nchunks; ch++) rows_chunk(&rj, &ctx->lc[0], ch);
        }
    } else {
        /* train mode: the whole batch, or its data-parallel shards */
        int nchunks = 1;
        if (ctx->n_shards > 1) {
            /* every mask for the whole batch first (the same keys in the same order as one
             * pass), then the shards */
            for (int k = 0; k < K; k++) mixer_layer_draw_masks(&ctx->lc[k], c, B, C, &run);
            run.masks_drawn = 1;
            nchunks = B < ctx->n_shards ? B : ctx->n_shards;
        }
        backbone_job job = {ctx, enc_in, B, nchunks, &run, 1};
        if (ctx->pool && nchunks > 1) {
            job.nthreads = ptm_pool_size(ctx->pool);
            ptm_pool_run(ctx->pool, backbone_part, &job);
        } else {
            for (int ch = 0; ch < nchunks; ch++) backbone_chunk(&job, ch);
        }
    }
    const float *h = K > 0 ? ctx->hidden[K - 1] : ctx->embed;
    ctx->enc_in = enc_in;
    ctx->last_hidden = h;
    ctx->labels = in->target_labels;
    ctx->reg_targets = in->target_values;
    const float *last = p->has_inject ? ctx->last : h;
    /* head dropout (train mode): the head reads head_in = its input * mask */
    int head_drop = ctx->training && c->head_dropout > 0.0f;

    /* 6. heads and losses */
    const int *sel = c->prediction_channel_indices;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < Cs; j++) {
            int ch = sel ? sel[j] : j;
            ctx->loc_sel[(size_t)b * Cs + j] = ctx->loc[(size_t)b * C + ch];
            ctx->scale_sel[(size_t)b * Cs + j] = ctx->scale[(size_t)b * C + ch];
        }
    switch (c->model_class) {
    case PTM_CLASS_MODEL:
        break;
    case PTM_CLASS_PREDICTION: {
        size_t cnt = (size_t)B * H * Cs;
        const float *fut = NULL;
        if (in->future_values) {
            /* targets restricted to the forecast channels */
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
        const float *hin = last;
        if (head_drop) {
            dropout_mask_fill(ctx->head_mask, bcnd, c->head_dropout, &ctx->rng);
            for (size_t i = 0; i < bcnd; i++) ctx->head_in[i] = last[i] * ctx->head_mask[i];
            hin = ctx->head_in;
        }
        if (!nll) {
            if (!rowpar) { /* else done in rows_chunk */
                prediction_head_forward(ctx->out_main, ctx->s_row, hin, &p->head, sel, Cs, B, C,
                                        N * D, H);
                for (size_t i = 0; i < cnt; i++) {
                    size_t b = i / ((size_t)H * Cs), j = i % (size_t)Cs;
                    ctx->out_main[i] =
                        ctx->out_main[i] * ctx->scale_sel[b * Cs + j] + ctx->loc_sel[b * Cs + j];
                }
            }
            if (fut) {
                ctx->loss[0] = mse_loss(ctx->out_main, fut, cnt);
                ctx->has_loss = 1;
            }
        } else {
            for (int j = 0; j < p->n_proj && !rowpar; j++)
                prediction_head_forward(ctx->out_param[j], ctx->s_row, hin, &p->proj[j], sel, Cs, B,
                                        C, N * D, H);
            if (ctx->training)
                for (int j = 0; j < p->n_proj; j++)
                    memcpy(ctx->raw[j], ctx->out_param[j], cnt * sizeof(float));
            dist_head_forward(ctx->out_param, ctx->out_mean, c->distribution_output, cnt, H, Cs,
                              ctx->loc_sel, ctx->scale_sel);
            if (fut) {
                double lp = nll_log_prob_sum(P3(ctx->out_param), c->distribution_output, cnt, H, Cs,
                                             fut, ctx->loc_sel, ctx->scale_sel);
                ctx->loss[0] = (float)(-lp / ((double)B * H));
                ctx->has_loss = 1;
            }
        }
        break;
    }
    case PTM_CLASS_CLASSIFICATION:
    case PTM_CLASS_REGRESSION: {
        int F = D * C * (c->head_aggregation == PTM_AGG_NONE ? N : 1);
        linear_head_features_forward(ctx->s_feat, last, c->head_aggregation, B, C, N, D);
        size_t cnt = (size_t)B * T;
        const float *feat = ctx->s_feat;
        if (head_drop) {
            size_t nf = (size_t)B * F;
            dropout_mask_fill(ctx->head_mask, nf, c->head_dropout, &ctx->rng);
            for (size_t i = 0; i < nf; i++) ctx->head_in[i] = feat[i] * ctx->head_mask[i];
            feat = ctx->head_in;
        }
        if (!nll) {
            linear_fwd(ctx->out_main, feat, &p->head, (size_t)B);
            if (ctx->training) memcpy(ctx->raw[0], ctx->out_main, cnt * sizeof(float));
            if (c->has_output_range)
                output_range_forward(ctx->out_main, cnt, c->output_range[0], c->output_range[1]);
            if (c->model_class == PTM_CLASS_CLASSIFICATION && in->target_labels) {
                int bad = -1;
                ctx->loss[0] = cross_entropy_loss(ctx->out_main, in->target_labels, B, T, &bad);
                if (bad >= 0)
                    return ptm_err(err, PTM_ERR_INPUT, NULL, "target_values",
                                   "class %lld of sample %d is outside [0, %d)",
                                   (long long)in->target_labels[bad], bad, T);
                ctx->has_loss = 1;
            } else if (c->model_class == PTM_CLASS_REGRESSION && in->target_values) {
                ctx->loss[0] = mse_loss(ctx->out_main, in->target_values, cnt);
                ctx->has_loss = 1;
            }
        } else {
            for (int j = 0; j < p->n_proj; j++)
                linear_fwd(ctx->out_param[j], feat, &p->proj[j], (size_t)B);
            if (ctx->training)
                for (int j = 0; j < p->n_proj; j++)
                    memcpy(ctx->raw[j], ctx->out_param[j], cnt * sizeof(float));
            dist_head_forward(ctx->out_param, ctx->out_mean, c->distribution_output, cnt, 1, T,
                              NULL, NULL);
            if (in->target_values) {
                if (c->distribution_output == PTM_DIST_NEGATIVE_BINOMIAL)
                    for (size_t i = 0; i < cnt; i++)
                        if (in->target_values[i] < 0)
                            return ptm_err(err, PTM_ERR_INPUT, NULL, "target_values",
                                           "negative value %g for a negative binomial head",
                                           (double)in->target_values[i]);
                double lp = nll_log_prob_sum(P3(ctx->out_param), c->distribution_output, cnt, 1, T,
                                             in->target_values, NULL, NULL);
                ctx->loss[0] = (float)(-lp / B);
                ctx->has_loss = 1;
            }
        }
        break;
    }
    case PTM_CLASS_PRETRAINING: {
        const float *hin = last;
        if (head_drop) {
            dropout_mask_fill(ctx->head_mask, bcnd, c->head_dropout, &ctx->rng);
            for (size_t i = 0; i < bcnd; i++) ctx->head_in[i] = last[i] * ctx->head_mask[i];
            hin = ctx->head_in;
        }
        if (!rowpar) linear_fwd(ctx->out_main, hin, &p->head, bcn);
        ctx->loss[0] =
            pretrain_loss(ctx->out_main, ctx->patch_input, ctx->mask, bcn, P, c->masked_loss);
        ctx->has_loss = 1;
        break;
    }
    }

    /* 7. output views, named as in the golden files */
    add_output(ctx, "patch_input", ctx->patch_input, 4, B, C, N, P);
    if (c->model_class == PTM_CLASS_PREDICTION) {
        add_output(ctx, "loc", ctx->loc_sel, 3, B, 1, Cs, 0);
        add_output(ctx, "scale", ctx->scale_sel, 3, B, 1, Cs, 0);
        if (sel) {
            add_output(ctx, "model.loc", ctx->loc, 3, B, 1, C, 0);
            add_output(ctx, "model.scale", ctx->scale, 3, B, 1, C, 0);
        }
    } else {
        add_output(ctx, "loc", ctx->loc, 3, B, 1, C, 0);
        add_output(ctx, "scale", ctx->scale, 3, B, 1, C, 0);
    }
    if (ctx->keep_hidden) {
        for (int k = 0; k < K; k++) {
            char name[32];
            snprintf(name, sizeof name, "hidden_states.%d", k);
            add_output(ctx, name, ctx->hidden[k], 4, B, C, N, D);
        }
    }
    add_output(ctx, "last_hidden_state", last, 4, B, C, N, D);
    if (ctx->has_loss) add_output(ctx, "loss", ctx->loss, 0, 0, 0, 0, 0);
    const char *main_name =
        c->model_class == PTM_CLASS_REGRESSION ? "regression_outputs" : "prediction_outputs";
    switch (c->model_class) {
    case PTM_CLASS_MODEL:
        break;
    case PTM_CLASS_PREDICTION:
    case PTM_CLASS_CLASSIFICATION:
    case PTM_CLASS_REGRESSION: {
        int ndim = c->model_class == PTM_CLASS_PREDICTION ? 3 : 2;
        int64_t d1 = ndim == 3 ? H : T, d2 = ndim == 3 ? Cs : 0;
        if (!nll || c->model_class == PTM_CLASS_CLASSIFICATION) {
            add_output(ctx, main_name, ctx->out_main, ndim, B, d1, d2, 0);
        } else {
            for (int j = 0; j < p->n_proj; j++) {
                char name[40];
                snprintf(name, sizeof name, "%s.%d", main_name, j);
                add_output(ctx, name, ctx->out_param[j], ndim, B, d1, d2, 0);
            }
            add_output(ctx, "distribution_mean", ctx->out_mean, ndim, B, d1, d2, 0);
        }
        break;
    }
    case PTM_CLASS_PRETRAINING:
        add_output(ctx, "prediction_outputs", ctx->out_main, 4, B, C, N, P);
        add_output(ctx, "mask", ctx->mask, 3, B, C, N, 0);
        add_output(ctx, "masked_patch_input", ctx->masked_input, 4, B, C, N, P);
        break;
    }
    return PTM_OK;
}

/* ------------------------------------------------------------------ sampling */

ptm_status ptm_ctx_sample(ptm_ctx *ctx, int num_samples, uint64_t seed, float *out,
                          size_t out_count, ptm_error *err) {
    if (!ctx || !out) return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "NULL argument");
    const ptm_config *c = &ctx->model->cfg;
    if (c->loss != PTM_LOSS_NLL ||
        (c->model_class != PTM_CLASS_PREDICTION && c->model_class != PTM_CLASS_REGRESSION))
        return ptm_err(err, PTM_ERR_ARG, NULL, "loss",
                       "sampling needs a distribution head (loss \"nll\"); this model is a %s "
                       "with a point head",
                       ptm_class_name(c->model_class));
    if (ctx->batch < 1 || ctx->n_outputs == 0)
        return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "call ptm_forward before ptm_ctx_sample");
    if (num_samples < 1)
        return ptm_err(err, PTM_ERR_ARG, NULL, "num_samples", "num_samples %d must be >= 1",
                       num_samples);
    int pred = c->model_class == PTM_CLASS_PREDICTION;
    size_t per =
        pred ? (size_t)c->prediction_length * c->num_prediction_channels : (size_t)c->num_targets;
    int cs = pred ? c->num_prediction_channels : c->num_targets;
    int rows = pred ? c->prediction_length : 1;
    size_t need = (size_t)ctx->batch * (size_t)num_samples * per;
    if (out_count < need)
        return ptm_err(err, PTM_ERR_ARG, NULL, "out_count", "output holds %zu values, need %zu",
                       out_count, need);
    ptm_rng r;
    ptm_rng_seed(&r, seed);
    float *const *p = ctx->out_param;
    for (int b = 0; b < ctx->batch; b++)
        for (int s = 0; s < num_samples; s++)
            for (size_t e = 0; e < per; e++) {
                size_t i = (size_t)b * per + e;
                double v;
                if (c->distribution_output == PTM_DIST_NEGATIVE_BINOMIAL) {
                    v = dist_sample_negbin(&r, p[0][i], p[1][i]);
                } else {
                    v = c->distribution_output == PTM_DIST_STUDENT_T
                            ? dist_sample_student_t(&r, p[0][i], p[1][i], p[2][i])
                            : dist_sample_normal(&r, p[0][i], p[1][i]);
                    if (pred) {
                        size_t ch = e % (size_t)cs;
                        v = v * (double)ctx->scale_sel[(size_t)b * cs + ch] +
                            (double)ctx->loc_sel[(size_t)b * cs + ch];
                    }
                }
                out[((size_t)b * num_samples + s) * per + e] = (float)v;
            }
    (void)rows;
    return PTM_OK;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

ptm_status ptm_quantiles(const float *samples, int batch, int num_samples, int64_t m,
                         const float *q, int nq, float *out, ptm_error *err) {
    if (!samples || !q || !out || batch < 1 || num_samples < 1 || m < 1 || nq < 1)
        return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "invalid argument to ptm_quantiles");
    for (int k = 0; k < nq; k++)
        if (!(q[k] >= 0.0f && q[k] <= 1.0f))
            return ptm_err(err, PTM_ERR_ARG, NULL, "quantiles", "quantile %g outside [0, 1]",
                           (double)q[k]);
    float *col = malloc(sizeof(float) * (size_t)num_samples);
    if (!col) return ptm_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    for (int b = 0; b < batch; b++)
        for (int64_t e = 0; e < m; e++) {
            for (int s = 0; s < num_samples; s++)
                col[s] = samples[((size_t)b * num_samples + s) * (size_t)m + (size_t)e];
            qsort(col, (size_t)num_samples, sizeof(float), cmp_float);
            for (int k = 0; k < nq; k++)
                out[((size_t)b * nq + k) * (size_t)m + (size_t)e] =
                    dist_quantile_sorted(col, (size_t)num_samples, q[k]);
        }
    free(col);
    return PTM_OK;
}
