/* layers.h - forward and backward passes of every PatchTSMixer layer, head and loss, one file
 * each in src/layers/.
 *
 * Argument order follows llm.c: outputs, then caches, then inputs, then parameters, then
 * dimensions. Row-wise layers work on a contiguous [rows, width] matrix; the mixer blocks
 * (mixer.c) transpose the hidden tensor so that the mixed axis is the contiguous one.
 * These are the scalar reference implementations; they are the oracle for faster kernels.
 */
#ifndef PTMI_LAYERS_H
#define PTMI_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* linear.c: out[r, o] = sum_i inp[r, i] * w[o, i] + b[o] */
void linear_forward_wb(float *out, const float *inp, const float *w, const float *b, size_t rows,
                       int in, int out_features);
/* the same with the model's transposed weights (lin->wt) when present */
void linear_forward(float *out, const float *inp, const ptmi_linear *lin, size_t rows);
/* out = GELU(x W^T + b) when gelu, else linear_forward (the kernel table's linear) */
void linear_act_forward(float *out, const float *inp, const ptmi_linear *lin, size_t rows,
                        int gelu);
/* accumulates: dinp += dout W, dweight += dout^T inp, dbias += sum dout (any may be NULL) */
void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                     const float *w, size_t rows, int in, int out_features);
/* the same, with dinp overwritten (dinp = dout W) instead of accumulated */
void linear_backward_set(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *w, size_t rows, int in, int out_features);

/* activation.c: exact (erf) GELU, as torch.nn.functional.gelu */
float gelu_scalar(float x);
void gelu_forward(float *out, const float *inp, size_t n);
/* out = GELU(inp) * the mask of drop (the training MLP's GELU and dropout, one pass) */
void gelu_mask_forward(float *out, const float *inp, const ptmi_dropout *drop, size_t n);
/* out = inp * the mask of drop (out may alias inp) */
void dropout_apply(float *out, const float *inp, const ptmi_dropout *drop, size_t n);
/* dinp = dout * mask * GELU'(inp), written rather than accumulated (drop NULL: no mask) */
void gelu_backward_set(float *dinp, const float *inp, const float *dout, const ptmi_dropout *drop,
                       size_t n);

/* norm.c: LayerNorm over the last axis (biased variance), saving mean and rstd per row;
 * BatchNorm in eval mode with running statistics, per feature of the last axis. */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                       const float *bias, size_t rows, int d, float eps);
void batchnorm_eval_forward(float *out, const float *inp, const float *weight, const float *bias,
                            const float *running_mean, const float *running_var, size_t rows, int d,
                            float eps);
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean, const float *rstd,
                        size_t rows, int d);
/* training mode: batch statistics per feature over all rows (biased variance for the output,
 * unbiased for the running variance), running stats updated with momentum when not NULL */
void batchnorm_train_forward(float *out, float *mean, float *rstd, const float *inp,
                             const float *weight, const float *bias, float *running_mean,
                             float *running_var, int64_t *num_batches_tracked, size_t rows, int d,
                             float eps, float momentum);
void batchnorm_train_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                              const float *inp, const float *weight, const float *mean,
                              const float *rstd, size_t rows, int d);
void batchnorm_eval_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, const float *running_mean,
                             const float *running_var, size_t rows, int d, float eps);

/* gate.c: gated attention, out = inp * softmax(inp W^T + b) along the row; probs is [rows, w]
 * and keeps the softmax for backward. out may alias inp. Backward accumulates into dinp and
 * dgate; dz is [rows, w] scratch. */
void gated_attention_forward(float *out, float *probs, const float *inp, const ptmi_linear *gate,
                             size_t rows);
/* the same plus res (the block's residual) in the same pass; res NULL = none */
void gated_attention_forward_res(float *out, float *probs, const float *inp,
                                 const ptmi_linear *gate, size_t rows, const float *res);
/* the same for inference: probs may be left unwritten (the fused kernel of the table keeps the
 * logits of a band in L1 and never stores the softmax); out may alias inp or res */
void gated_attention_infer_res(float *out, float *probs, const float *inp, const ptmi_linear *gate,
                               size_t rows, const float *res);
/* the same gate along the rows of a [r, w] block (softmax down each column; gate.c) */
void gated_attention_cols_forward(float *out, float *probs, const float *inp,
                                  const ptmi_linear *gate, int r, size_t w);
/* softmax down each column of an [r, w] block, out = inp * softmax (+ res) (gate.c) */
void softmax_cols_gate(float *out, float *probs, const float *inp, int r, size_t w,
                       const float *res);
void gated_attention_backward(float *dinp, float *dz, const ptmi_linear *gate, ptmi_linear *dgate,
                              const float *dout, const float *inp, const float *probs, size_t rows);

/* mlp.c: fc1 -> GELU -> dropout -> fc2 -> dropout. pre, act are [rows, W*ef] (act may alias
 * pre in eval mode); the dropout masks (drop1 after GELU, drop2 after fc2) are NULL in eval
 * mode. Backward: dhid, dpre [rows, W*ef] and dy
 * [rows, W] are scratch; accumulates into dinp, dfc1, dfc2. */
void mlp_forward(float *out, float *pre, float *act, const float *inp, const ptmi_linear *fc1,
                 const ptmi_linear *fc2, size_t rows, const ptmi_dropout *drop1,
                 const ptmi_dropout *drop2);
void mlp_backward(float *dinp, ptmi_linear *dfc1, ptmi_linear *dfc2, float *dhid, float *dpre,
                  float *dy, const float *dout, const float *inp, const float *pre,
                  const float *act, const ptmi_linear *fc1, const ptmi_linear *fc2, size_t rows,
                  const ptmi_dropout *drop1, const ptmi_dropout *drop2);

/* attention.c: multi-head self-attention (BART attention without masks) on [S, N, D]
 * sequences: out = out_proj(softmax(q k^T / sqrt(dh)) v). q, k, v, ctxbuf are [S, N, D]
 * scratch; scores is [N] scratch. */
void self_attention_forward(float *out, float *q, float *k, float *v, float *ctxbuf, float *scores,
                            float *probs, const float *drop_mask, const float *inp,
                            const ptmi_layer *layer, size_t seqs, int n, int d, int heads);
/* accumulates into dinp and dlayer (q, k, v, o); dq, dk, dv, dctx [S, N, D] and dp_row [N] are
 * scratch */
void self_attention_backward(float *dinp, ptmi_layer *dlayer, float *dq, float *dk, float *dv,
                             float *dctx, float *dp_row, const float *dout, const float *inp,
                             const float *q, const float *k, const float *v, const float *ctxbuf,
                             const float *probs, const float *drop_mask, const ptmi_layer *layer,
                             size_t seqs, int n, int d, int heads);

/* scaler.c: per (batch, channel) statistics over time of x [B, L, C] with observed mask
 * (NULL = all observed); writes scaled [B, L, C], loc [B, C], scale [B, C]. */
void scaler_forward(float *scaled, float *loc, float *scale, const float *x, const float *observed,
                    int scaling, int b, int l, int c);

/* scaler.c: scaling (std or none; not mean, whose default is batch-wide) and patchify fused,
 * for the series r0 <= r < r1 (r = b C + c): loc[r], scale[r] and the scaled patches
 * patches[r] [N, P], identical to scaler_forward followed by patchify_forward */
void scaler_patchify_forward(float *patches, float *loc, float *scale, const float *x,
                             const float *observed, int scaling, int l, int c, int n, int p,
                             int stride, size_t r0, size_t r1);

/* patchify.c: [B, L, C] -> [B, C, N, P], dropping the first L - (P + stride (N-1)) steps */
void patchify_forward(float *out, const float *x, int b, int l, int c, int n, int p, int stride);

/* mixer.c: one PatchTSMixer layer (channel mixer for mix_channel, patch mixer, feature mixer)
 * on h [B, C, N, D]; see mixer.c for the caches. */
void mixer_layer_forward(float *out, const float *inp, ptmi_layer_cache *lc,
                         const ptmi_layer *layer, const ptmi_mixer_shape *sh, int b, int c,
                         const ptmi_run_mode *run);
/* draws the layer's dropout masks (train mode); mixer_layer_forward does it first unless
 * run->masks_drawn */
void mixer_layer_draw_masks(ptmi_layer_cache *lc, const ptmi_mixer_shape *sh, int b, int c,
                            const ptmi_run_mode *run);
/* dinp (zeroed by the caller or accumulated) gets the gradient w.r.t. the layer input */
void mixer_layer_backward(float *dinp, ptmi_layer *dlayer, float *dout, const float *inp,
                          const ptmi_layer_cache *lc, const ptmi_layer *layer,
                          const ptmi_mixer_shape *sh, int b, int training,
                          const ptmi_grad_scratch *gs);
/* stack.c: the eval scratch lc seen from activation float o on (o ef for the MLP's hidden
 * buffers), for a range of series run on its own */
void ptmi_eval_cache_view(ptmi_layer_cache *v, const ptmi_layer_cache *lc, size_t o, size_t ef);
/* stack.c: the layers of a stack on h [b, c, N_s, D_s] (the stack's shape; a
 * TinyTimeMixer adaptive-patching level sees [b, c, N, D] as that, a pure reshape), layer l's
 * output into outs[l] (lc is an eval scratch cache whose h1/h2 are set here; without keep_all
 * only the last layer's output is whole afterwards, the others serve as per-thread scratch);
 * returns the last output (h itself for a stack without layers) */
const float *mixer_stack_forward(float *const *outs, int keep_all, const float *h,
                                 ptmi_layer_cache *lc, const ptmi_stack *st, int b, int c,
                                 const ptmi_run_mode *run);
/* stack.c, train mode: the same with a training cache per layer (lcs[l]) and the stack's
 * dropout (sh.dropout; run gives the mode and the generator) */
const float *mixer_stack_train_forward(float *const *outs, const float *h, ptmi_layer_cache *lcs,
                                       const ptmi_stack *st, int b, int c,
                                       const ptmi_run_mode *run);
/* backward of the train-mode stack whose input was h_in: dh [b, c, N_s, D_s] holds d(its last
 * output) and is turned in place into d(h_in); the layers' gradients go to dlayers (the
 * gradient model's layers of the stack) */
void mixer_stack_backward(float *dh, ptmi_layer *dlayers, const float *h_in, float *const *outs,
                          const ptmi_layer_cache *lcs, const ptmi_stack *st, int b,
                          const ptmi_grad_scratch *gs);
/* fill mask[n] with 0 or 1/(1-p) drawn from rng (a ptmi_rng *) */
void dropout_mask_fill(float *mask, size_t n, float p, void *rng);
/* the same mask, not stored: draws its key from rng (the same draw as dropout_mask_fill) */
void dropout_key_draw(ptmi_dropout *drop, float p, void *rng);

/* masking.c: pretraining masks [B, C, N] (1 = masked) drawn with Hugging Face's semantics. */
/* noise is [N] scratch, rowk is [B] scratch. */
void random_mask_draw(float *mask, float *noise, int b, int c, int n, double ratio,
                      int channel_consistent, const int *unmasked, int n_unmasked, uint64_t seed);
void forecast_mask_draw(float *mask, int *rowk, int b, int c, int n, const int *patches,
                        int n_patches, const int *unmasked, int n_unmasked, uint64_t seed);
void patch_mask_forward(float *out, const float *patches, const float *mask, float value,
                        size_t groups, int p);

#endif

/* heads.c ------------------------------------------------------------------------------- */
/* Prediction head: per channel the [N, D] block flattened (n D + d) -> Linear -> [B, H, C'],
 * only for the channels in sel (NULL = all C, cs = C); rows is [B, H] scratch. */
void prediction_head_forward(float *out, float *rows, const float *hidden, const ptmi_linear *lin,
                             const int *sel, int cs, int b, int c, int nd, int h);
/* accumulates dhin [B, C, N D] and dlin from dout [B, H, C'] */
void prediction_head_backward(float *dhin, ptmi_linear *dlin, const float *dout, const float *hin,
                              const ptmi_linear *lin, const int *sel, int cs, int b, int c, int nd,
                              int h);
/* Classification/Regression features [B, F] from hidden [B, C, N, D] viewed as [B, C, D, N]:
 * aggregation over N (max/avg/last) gives index c D + d; none gives c D N + d N + n. */
void linear_head_features_forward(float *feat, const float *hidden, int agg, int b, int c, int n,
                                  int d);
/* accumulates dhidden [B, C, N, D] from dfeat [B, F]; hidden is the forward's input */
void linear_head_features_backward(float *dhidden, const float *dfeat, const float *hidden, int agg,
                                   int b, int c, int n, int d);
/* InjectScalerStatistics4D: out[b,c,n] = comp(exp([h[b,c,n], s2(loc, scale)])), tmp is
 * [B, C, N, 2D] (kept for backward); e4s [B, C, 4] and s2s [B, C, 2] keep the statistics
 * path when not NULL. */
void inject_scale_forward(float *out, float *tmp, float *e4s, float *s2s, const float *hidden,
                          const float *loc, const float *scale, const ptmi_params *p, int b, int c,
                          int n, int d);
/* accumulates dh and the four linears' gradients into g; dtmp is [B, C, N, 2D] scratch, the
 * rest is what inject_scale_forward kept */
void inject_scale_backward(float *dh, ptmi_params *g, float *dtmp, const float *dout,
                           const float *tmp, const float *e4s, const float *s2s,
                           const float *hidden, const float *loc, const float *scale,
                           const ptmi_params *p, int b, int c, int n, int d);
/* sigmoid(x) (hi - lo) + lo, in place */
void output_range_forward(float *x, size_t count, float lo, float hi);
/* in place: dy *= d out / d raw at the forward's input raw */
void output_range_backward(float *dy, const float *raw, size_t count, float lo, float hi);

/* loss.c -------------------------------------------------------------------------------- */
float mse_loss_forward(const float *pred, const float *target, size_t count);
/* TinyTimeMixer's losses: the mean over the values where mask != 0 (mask NULL: all) of
 * mse (pred - target)^2, mae |pred - target|, pinball max(q e, (q - 1) e) with
 * e = target - pred, huber 0.5 e^2 below delta, else delta (|e| - 0.5 delta); *selected gets the
 * number of values (0: the result is NaN) */
float point_loss_forward(ptm_loss loss, const float *pred, const float *target, const float *mask,
                         size_t count, float quantile, float delta, size_t *selected);
/* d point_loss_forward / d pred into dpred (0 where mask is 0) */
void point_loss_backward(float *dpred, ptm_loss loss, const float *pred, const float *target,
                         const float *mask, size_t count, float quantile, float delta);
void mse_loss_backward(float *dpred, const float *pred, const float *target, size_t count);
/* mean over the batch of logsumexp(z) - z[label]; returns -1 in *bad_label if all fine,
 * else the index of the first label outside [0, t) */
float cross_entropy_loss_forward(const float *logits, const int64_t *labels, int b, int t,
                                 int *bad_label);
void cross_entropy_loss_backward(float *dlogits, const float *logits, const int64_t *labels, int b,
                                 int t);
/* masked_loss: sum(mask * mean_P(err^2)) / (sum(mask) + 1e-10); else mean of err^2 */
float pretrain_loss_forward(const float *pred, const float *target, const float *mask,
                            size_t groups, int p, int masked);
void pretrain_loss_backward(float *dpred, const float *pred, const float *target, const float *mask,
                            size_t groups, int p, int masked);

/* nll.c --------------------------------------------------------------------------------- */
/* Distribution heads on n_proj raw projections p[j] [count]: the domain maps in place, then
 * mean [count] (affine by loc/scale [B, cs] on forecasts, rows_per_b rows of cs per sample;
 * loc = scale = NULL for regression). */
void dist_head_forward(float *const *p, float *mean, ptm_dist dist, size_t count, int rows_per_b,
                       int cs, const float *loc, const float *scale);
/* sum over elements of log p(target) under the mapped parameters p */
double nll_log_prob_sum(const float *const *p, ptm_dist dist, size_t count, int rows_per_b, int cs,
                        const float *target, const float *loc, const float *scale);
/* draw[j] = factor * d log p(target) / d raw[j] (factor: the loss's -1/denominator); p are the
 * mapped parameters, raw the projections before the domain maps */
void nll_loss_backward(float *const *draw, const float *const *p, const float *const *raw,
                       ptm_dist dist, size_t count, int rows_per_b, int cs, const float *target,
                       const float *loc, const float *scale, double factor);
/* Hugging Face's regression NLL with num_targets 1 (heads/linear.c): the distribution has
 * batch shape [n] and the targets [n, 1], so log_prob broadcasts to [n, n]: the sum over
 * every target i and every element j of log p_j(target[i]) (no loc / scale) */
double nll_log_prob_cross_sum(const float *const *p, ptm_dist dist, size_t n, const float *target);
/* its gradient: draw[k][j] = factor * sum_i d log p_j(target[i]) / d raw[k][j] */
void nll_loss_backward_cross(float *const *draw, const float *const *p, const float *const *raw,
                             ptm_dist dist, size_t n, const float *target, double factor);
