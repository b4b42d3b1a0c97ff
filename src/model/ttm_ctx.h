/* ttm_ctx.h - the activations of a TinyTimeMixer forward pass (ptm_ctx.ttm), planned by its
 * backbone ops (backbone_ttm.c) and head ops (heads/ttm.c) in the context's one arena. Shapes:
 * B batch, C channels, N patches (with the prefix), D d_model, Dd decoder_d_model, P
 * forecast channels, H prediction_length, Hf the filtered horizon, T = P + E forecast-channel-
 * mixer channels, w its context, s = 2w + 1, s' its feature width (2s with the mixer, else s).
 */
#ifndef PTMI_TTM_CTX_H
#define PTMI_TTM_CTX_H

#include "model/model.h"

/* a*b*c*d floats for a plan: products beyond 2^62 saturate there, so that the context's
 * size limit (ctx.c) refuses them instead of an overflow wrapping around */
static inline size_t ptmi_ttm_count(size_t a, size_t b, size_t c, size_t d) {
    size_t r = 1, cap = (size_t)1 << 62;
    if (ptmi_mul_size(r, a, &r) || ptmi_mul_size(r, b, &r) || ptmi_mul_size(r, c, &r) ||
        ptmi_mul_size(r, d, &r) || r > cap)
        return cap;
    return r;
}

/* one entry of hidden_states: a [B, c, n, d] view */
typedef struct {
    const float *data;
    int c, n, d;
} ptmi_ttm_view;

typedef struct ptmi_ttm_ctx {
    float **out; /* [n_layers] every mixer layer's output [B, C_s, N_s, D_s]
                    (encoder, decoder, forecast channel mixer, in that order) */
    int n_out;
    float *freq;           /* [B, m + D] the prefix MLP's hidden layer and output */
    float *adapt;          /* [B, C, N, Dd] adapter output */
    float *resid;          /* [B, C, N, Dd] + the raw-patch embedding */
    float *raw_in;         /* [B C, N, patch_length] patches with a zero prefix patch */
    float *dec_in;         /* [B, C + n_cat, N, Dd] the decoder block's input */
    float *dec_out;        /* [B, C, N, Dd] its output without the categorical channels */
    const float *enc_last; /* the encoder's output of the last forward [B, C, N, D] */
    const float *dec_last; /* what the head read [B, C, N, Dd] */
    ptmi_ttm_view *hs;     /* hidden_states of the last forward */
    int n_hs, cap_hs;
    ptmi_layer_cache lc; /* eval scratch of every stack (aliased as in ctx.c) */
    /* training contexts: what the backward passes read and their scratch */
    ptmi_layer_cache *lcs;  /* [n_layers] a cache per mixer layer, in the order of out */
    float *freq_pre;        /* [B, m] the prefix MLP's hidden layer before GELU */
    float *d_freq;          /* [B, 2m + D] its gradients */
    float *d_tmp;           /* [B, max(C + n_cat, C), N, max(D, Dd)] decoder gradients */
    float *scores;          /* [N_s] attention scratch of the widest stack */
    float *head_mask;       /* [B, C, N Dd] head dropout mask */
    float *head_in;         /* [B, C, N Dd] the head's (dropped) input */
    float *d_out, *d_full;  /* [B, Hf, P] d(scaled forecast), [B, H, P] d(head output) */
    float *fcm_d1, *fcm_d2; /* [B Hf, T s'] gradients through the forecast channel mixer */
    float *fcm_dz;          /* [B Hf, T s'] gate scratch */
    float *fcm_dext;        /* [B, Hf + 2w, T] */
    const int64_t *freq_token, *categorical; /* the last forward's inputs */
    /* head (heads/ttm.c, heads/ttm_fcm.c) */
    float *rows;              /* [B, H] one channel's head rows */
    float *full;              /* [B, H, P] head output of the forecast channels */
    float *base;              /* [B, Hf, P] scaled base forecast */
    float *fcm_out;           /* [B, Hf, P] the forecast channel mixer's output (scaled) */
    float *target, *tmask;    /* [B, Hf, P] loss targets and their mask */
    float *fcm_ext;           /* [B, Hf + 2w, T] the padded forecast and exogenous rows */
    float *fcm_win;           /* [B, Hf, T, s] windows of s steps */
    float *fcm_emb;           /* [B, Hf, T, 2s] their embedding (the mixer's input) */
    float *fcm_gp, *fcm_gate; /* [B Hf, T s'] gate softmax and output */
    float *fcm_mlp;           /* [B Hf, P] */
} ptmi_ttm_ctx;

#endif
