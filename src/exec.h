/* exec.h - how the rows of a batch are split over threads (exec.c), and the one forward
 * sequence (forward.c) that every split calls on its range of rows. */
#ifndef PTMI_EXEC_H
#define PTMI_EXEC_H

#include "model/model.h"

/* A range of series (row r = b C + c of the batch) that goes through the model at once: b
 * samples of c channels each (c = C, or 1 for a chunk of independent common_channel series). */
typedef struct {
    size_t r0;                 /* first series */
    int b, c;                  /* b c series */
    ptmi_layer_cache *scratch; /* eval: this thread's scratch cache; NULL: the training caches */
    int shard;                 /* training: the data-parallel shard of the range, -1: none */
    int prep;                  /* scale and patch the range's series here (eval, per series) */
    int head;                  /* run the head's forward_rows on the range (eval) */
} ptmi_rows;

/* forward.c: scale + patchify (prep), patch embedding (+ positional encoding), the mixer
 * layers, InjectScalerStatistics4D and, with head, the head, on the rows rr */
void ptmi_forward_rows(ptm_ctx *ctx, const ptm_inputs *in, const float *enc_in, const ptmi_rows *rr,
                       const ptmi_run_mode *run);

/* exec.c: the backbone (and in eval mode the head) of the whole batch: in eval mode chunks of
 * series spread over the pool's threads, in train mode the whole batch or its data-parallel
 * shards. prep: the chunks scale and patch their own series. */
void ptmi_exec_forward(ptm_ctx *ctx, const ptm_inputs *in, const float *enc_in, ptmi_run_mode *run,
                       int prep);
/* the layer cache layer k of the rows rr uses; view is storage for a shard's view */
ptmi_layer_cache *ptmi_exec_layer_cache(ptm_ctx *ctx, const ptmi_rows *rr, int k,
                                        ptmi_layer_cache *view);

/* sharded training: first sample of shard s, and a layer cache seen from sample s0 */
int ptmi_shard_start(int B, int nshards, int s);
void ptmi_shift_layer_cache(ptmi_layer_cache *dst, const ptmi_layer_cache *src,
                            const ptmi_mixer_shape *c, size_t s0, float *scores);

#endif
