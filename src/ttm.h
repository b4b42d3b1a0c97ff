/* ttm.h - the pieces of TinyTimeMixer's backbone shared by backbone_ttm.c (ops, embedding,
 * encoder) and ttm_decoder.c (decoder). */
#ifndef PTMI_TTM_H
#define PTMI_TTM_H

#include "model/ttm_ctx.h"

/* append a [B, c, n, d] view to the hidden states of this forward */
void ptmi_ttm_hidden(ptmi_ttm_ctx *tc, const float *data, int c, int n, int d);
/* the stacks st[0..n) on h [b, c, ...], their layers' outputs into tc->out[*k ...] (*k
 * advances), their hidden states listed as granite-tsfm's TinyTimeMixerBlock lists them;
 * returns the last output */
const float *ptmi_ttm_stacks(ptm_ctx *ctx, const ptmi_stack *st, int n, const float *h, int b,
                             int c, int *k, const ptmi_run_mode *run);
/* backward of ptmi_ttm_stacks (train mode) whose input was h_in and whose first layer is
 * tc->out[k0]: d holds d(the last output) and becomes d(h_in), in place */
void ptmi_ttm_stacks_backward(ptm_ctx *ctx, ptmi_params *g, const ptmi_stack *st, int n, float *d,
                              const float *h_in, int k0, int b);
/* ttm_decoder.c: the decoder on the encoder output h [B, C, N, D] (adapter, raw-patch residual,
 * categorical channels, decoder block); returns [B, C, N, Dd] */
const float *ptmi_ttm_decoder_forward(ptm_ctx *ctx, const ptm_inputs *in, const float *h, int *k,
                                      const ptmi_run_mode *run);

/* backward of the decoder from d [B, C, N, Dd] (overwritten) whose block's first layer is
 * tc->out[k0]; returns d(encoder output) [B, C, N, D] (d itself or tc->d_tmp) */
float *ptmi_ttm_decoder_backward(ptm_ctx *ctx, ptmi_params *g, float *d, int k0, int B);

#endif
