/* backbone.h - the part of a model family between the patches and the head, as a small table
 * of operations on a range of rows (like the head's, heads/heads.h): PatchTSMixer's is in
 * backbone.c; a family with another backbone (TinyTimeMixer: frequency-token prefix,
 * adaptive-patching levels, decoder) adds a file with its ops and an entry in
 * ptmi_backbone_ops_for, and forward.c, exec.c and backward.c stay as they are.
 */
#ifndef PTMI_BACKBONE_H
#define PTMI_BACKBONE_H

#include "exec.h"
#include "model/model.h"

typedef struct {
    /* the rows rr of enc_in [B C, N, P] (patches, masked for pretraining) through the
     * embedding and the blocks, into the context's per-layer buffers; returns the rows' output
     * (what the head reads), inside a context buffer */
    const float *(*forward_rows)(ptm_ctx *ctx, const float *enc_in, const ptmi_rows *rr,
                                 const ptmi_run_mode *run);
    /* samples [b0, b0 + nb) backwards from d(output) in ctx->d_h: parameter gradients into g;
     * gs is the gradient scratch seen from sample b0; sharded: the forward ran in shards, and
     * scores is this shard's attention scratch */
    void (*backward_rows)(ptm_ctx *ctx, ptmi_params *g, int b0, int nb, const ptmi_grad_scratch *gs,
                          float *scores, int sharded);
} ptmi_backbone_ops;

const ptmi_backbone_ops *ptmi_backbone_ops_for(const ptm_model *m);

#endif
