/* backbone.h - the part of a model family between the patches and the head, as a small table
 * of operations on a range of rows (like the head's, heads/heads.h): PatchTSMixer's is in
 * backbone.c; a family with another backbone (TinyTimeMixer: frequency-token prefix,
 * adaptive-patching levels, decoder) adds a file with its ops and an entry in
 * ptmi_backbone_ops_for, and forward.c, exec.c and backward.c stay as they are.
 */
#ifndef PTMI_BACKBONE_H
#define PTMI_BACKBONE_H

#include "exec.h"
#include "heads/heads.h"
#include "model/model.h"

typedef struct {
    /* the family's activations for a batch of B, after the scaler's and patches' (ctx.c) */
    void (*plan)(ptmi_plan *pl, ptm_ctx *ctx, size_t B);
    /* a training context's: what the backward reads (layer caches), its gradient scratch
     * (ctx->gs) and ctx->d_h, d(the backbone output), for a batch of B */
    void (*plan_train)(ptmi_plan *pl, ptm_ctx *ctx, size_t B);
    /* refuse inputs the family cannot use (before anything runs); NULL: none */
    ptm_status (*check)(const ptm_ctx *ctx, const ptm_inputs *in, ptm_error *err);
    /* the rows rr of enc_in [B C, N, P] (patches, masked for pretraining) through the
     * embedding and the blocks, into the context's per-layer buffers; returns the rows' output
     * (what the head reads), inside a context buffer */
    const float *(*forward_rows)(ptm_ctx *ctx, const ptm_inputs *in, const float *enc_in,
                                 const ptmi_rows *rr, const ptmi_run_mode *run);
    /* samples [b0, b0 + nb) backwards from d(output) in ctx->d_h: parameter gradients into g;
     * gs is the gradient scratch seen from sample b0; sharded: the forward ran in shards, and
     * scores is this shard's attention scratch */
    void (*backward_rows)(ptm_ctx *ctx, ptmi_params *g, int b0, int nb, const ptmi_grad_scratch *gs,
                          float *scores, int sharded);
    /* after the forward: the batch's backbone output, what the head reads */
    const float *(*output)(const ptm_ctx *ctx);
    /* the backbone's output views (last: what output() returned, after injection), the head's
     * scale views (head->scale_outputs) among them */
    void (*outputs)(ptm_ctx *ctx, const ptmi_head_ops *head, int B, const float *last);
    /* 1: eval mode runs the batch as one range of rows and train mode never cuts it into
     * shards (the family's stacks see whole samples in other channel modes than the config's) */
    int whole_batch;
} ptmi_backbone_ops;

const ptmi_backbone_ops *ptmi_backbone_ops_for(const ptm_model *m);

extern const ptmi_backbone_ops ptmi_backbone_ttm; /* backbone_ttm.c: TinyTimeMixer */

/* ctx.c: an eval-mode layer cache whose buffers all alias one scratch set (see mixer.c): the
 * set is planned for rows of cnd floats (ef times that for the MLP), n patches */
void ptmi_plan_eval_cache(ptmi_plan *pl, ptmi_layer_cache *lc, size_t cnd, size_t ef, size_t n,
                          int self_attn);
void ptmi_alias_eval_cache(ptmi_layer_cache *lc);
/* ctx.c: the buffers of a training layer cache of a stack of shape sh for a batch of B, and
 * gradient scratch for activations of cnd floats (ef times that for the MLP), n patches */
void ptmi_plan_layer_cache(ptmi_plan *pl, ptmi_layer_cache *lc, const ptmi_mixer_shape *sh,
                           size_t B);
void ptmi_plan_grad_scratch(ptmi_plan *pl, ptmi_grad_scratch *g, size_t cnd, size_t ef, size_t n);

#endif
