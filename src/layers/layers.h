/* layers.h - forward passes of every PatchTSMixer layer, one file each in src/layers/.
 *
 * Argument order follows llm.c: outputs, then caches, then inputs, then parameters, then
 * dimensions. Row-wise layers work on a contiguous [rows, width] matrix; the mixer blocks
 * (mixer.c) transpose the hidden tensor so that the mixed axis is the contiguous one.
 * These are the scalar reference implementations; they are the oracle for faster kernels.
 */
#ifndef PTM_LAYERS_H
#define PTM_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* linear.c: out[r, o] = sum_i inp[r, i] * w[o, i] + b[o] */
void linear_forward(float *out, const float *inp, const float *w, const float *b, size_t rows,
                    int in, int out_features);

/* activation.c: exact (erf) GELU, as torch.nn.functional.gelu */
float gelu_scalar(float x);
void gelu_forward(float *out, const float *inp, size_t n);

/* norm.c: LayerNorm over the last axis (biased variance), saving mean and rstd per row;
 * BatchNorm in eval mode with running statistics, per feature of the last axis. */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                       const float *bias, size_t rows, int d, float eps);
void batchnorm_eval_forward(float *out, const float *inp, const float *weight, const float *bias,
                            const float *running_mean, const float *running_var, size_t rows, int d,
                            float eps);

/* gate.c: gated attention, out = inp * softmax(inp W^T + b) along the row; probs is [rows, w]
 * and keeps the softmax for backward. out may alias inp. */
void gated_attention_forward(float *out, float *probs, const float *inp, const ptm_linear *gate,
                             size_t rows);

/* mlp.c: fc1 -> GELU -> fc2 (dropout is the identity in eval mode). hid is [rows, W*ef]. */
void mlp_forward(float *out, float *hid, const float *inp, const ptm_linear *fc1,
                 const ptm_linear *fc2, size_t rows);

/* attention.c: multi-head self-attention (BART attention without masks) on [S, N, D]
 * sequences: out = out_proj(softmax(q k^T / sqrt(dh)) v). q, k, v, ctxbuf are [S, N, D]
 * scratch; scores is [N] scratch. */
void self_attention_forward(float *out, float *q, float *k, float *v, float *ctxbuf, float *scores,
                            const float *inp, const ptm_layer *layer, size_t seqs, int n, int d,
                            int heads);

/* scaler.c: per (batch, channel) statistics over time of x [B, L, C] with observed mask
 * (NULL = all observed); writes scaled [B, L, C], loc [B, C], scale [B, C]. */
void scaler_forward(float *scaled, float *loc, float *scale, const float *x, const float *observed,
                    int scaling, int b, int l, int c);

/* patchify.c: [B, L, C] -> [B, C, N, P], dropping the first L - (P + stride (N-1)) steps */
void patchify_forward(float *out, const float *x, int b, int l, int c, int n, int p, int stride);

/* mixer.c: one PatchTSMixer layer (channel mixer for mix_channel, patch mixer, feature mixer)
 * on h [B, C, N, D], in place into out. */
void mixer_layer_forward(float *out, const float *inp, struct ptm_ctx *ctx, const ptm_layer *layer,
                         int b);

/* masking.c: pretraining masks [B, C, N] (1 = masked) drawn with Hugging Face's semantics. */
/* noise is [N] scratch, rowk is [B] scratch. */
void random_mask(float *mask, float *noise, int b, int c, int n, double ratio,
                 int channel_consistent, const int *unmasked, int n_unmasked, uint64_t seed);
void forecast_mask(float *mask, int *rowk, int b, int c, int n, const int *patches, int n_patches,
                   const int *unmasked, int n_unmasked, uint64_t seed);
void apply_mask(float *out, const float *patches, const float *mask, float value, size_t groups,
                int p);

#endif

/* heads.c ------------------------------------------------------------------------------- */
/* Prediction head: per channel the [N, D] block flattened (n D + d) -> Linear -> [B, H, C'],
 * only for the channels in sel (NULL = all C, cs = C). */
void prediction_head_forward(float *out, const float *hidden, const ptm_linear *lin, const int *sel,
                             int cs, int b, int c, int nd, int h);
/* Classification/Regression features [B, F] from hidden [B, C, N, D] viewed as [B, C, D, N]:
 * aggregation over N (max/avg/last) gives index c D + d; none gives c D N + d N + n. */
void linear_head_features(float *feat, const float *hidden, int agg, int b, int c, int n, int d);
/* InjectScalerStatistics4D: out[b,c,n] = comp(exp([h[b,c,n], s2(loc, scale)])), tmp is
 * [B, C, N, 2D] scratch. */
void inject_scale_forward(float *out, float *tmp, const float *hidden, const float *loc,
                          const float *scale, const ptm_params *p, int b, int c, int n, int d);
/* sigmoid(x) (hi - lo) + lo, in place */
void output_range_forward(float *x, size_t count, float lo, float hi);

/* loss.c -------------------------------------------------------------------------------- */
float mse_loss(const float *pred, const float *target, size_t count);
/* mean over the batch of logsumexp(z) - z[label]; returns -1 in *bad_label if all fine,
 * else the index of the first label outside [0, t) */
float cross_entropy_loss(const float *logits, const int64_t *labels, int b, int t, int *bad_label);
/* masked_loss: sum(mask * mean_P(err^2)) / (sum(mask) + 1e-10); else mean of err^2 */
float pretrain_loss(const float *pred, const float *target, const float *mask, size_t groups, int p,
                    int masked);
