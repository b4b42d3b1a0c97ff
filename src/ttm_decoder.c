/* ttm_decoder.c - TinyTimeMixer's decoder (granite-tsfm TinyTimeMixerDecoder), forward and
 * backward: the
 * adapter Linear(D -> Dd) when the widths differ, the raw-patch residual Linear(patch_length ->
 * Dd) of the scaled patches (a zero patch in front with the prefix patch, so that patch 0 gets
 * only the bias), the static categorical variables as extra channels (their embeddings repeated
 * over the patches) and the decoder block, whose categorical channels are dropped at the end.
 */
#include <string.h>

#include "layers/layers.h"
#include "ttm.h"

/* the scaled patches with a zero patch in front (prefix tuning), [B C, N, patch_length] */
static const float *raw_patches(ptm_ctx *ctx, int rows) {
    const ptm_config *c = &ctx->model->cfg;
    if (!c->ttm.resolution_prefix_tuning) return ctx->patch_input;
    size_t P = (size_t)c->patch_length, N = (size_t)c->num_patches, np = (N - 1) * P;
    float *dst = ctx->ttm->raw_in;
    for (size_t r = 0; r < (size_t)rows; r++) {
        memset(dst + r * N * P, 0, P * sizeof(float));
        memcpy(dst + r * N * P + P, ctx->patch_input + r * np, np * sizeof(float));
    }
    return dst;
}

/* [B, C, N, Dd] x and the categorical embeddings (repeated over N) as channels C .. C+n_cat-1 */
static const float *with_categoricals(ptm_ctx *ctx, const ptm_inputs *in, const float *x, int B) {
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_ttm_params *tp = &ctx->model->p.ttm;
    int ncat = c->ttm.num_categorical, Dd = c->ttm.decoder_d_model;
    size_t N = (size_t)c->num_patches, cnd = (size_t)c->num_input_channels * N * Dd,
           snd = cnd + (size_t)ncat * N * Dd;
    float *dst = ctx->ttm->dec_in;
    for (int b = 0; b < B; b++) {
        float *o = dst + (size_t)b * snd;
        memcpy(o, x + (size_t)b * cnd, cnd * sizeof(float));
        for (int k = 0; k < ncat; k++) {
            int64_t idx = in->static_categorical_values[(size_t)b * ncat + k];
            const float *e = tp->cat_emb[k] + (size_t)idx * Dd;
            for (size_t n = 0; n < N; n++)
                memcpy(o + cnd + ((size_t)k * N + n) * Dd, e, (size_t)Dd * sizeof(float));
        }
    }
    return dst;
}

const float *ptmi_ttm_decoder_forward(ptm_ctx *ctx, const ptm_inputs *in, const float *h, int *k,
                                      const ptmi_run_mode *run) {
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_ttm_params *tp = &ctx->model->p.ttm;
    ptmi_ttm_ctx *tc = ctx->ttm;
    int B = in->batch, C = c->num_input_channels, N = c->num_patches, Dd = c->ttm.decoder_d_model,
        ncat = c->ttm.num_categorical;
    size_t rows = (size_t)B * C * N, total = rows * (size_t)Dd;
    const float *x = h;
    if (tp->adapter.out) {
        linear_forward(tc->adapt, x, &tp->adapter, rows);
        x = tc->adapt;
        ptmi_ttm_hidden(tc, x, C, N, Dd);
    }
    if (tp->raw_emb.out) {
        linear_forward(tc->resid, raw_patches(ctx, B * C), &tp->raw_emb, rows);
        for (size_t i = 0; i < total; i++) tc->resid[i] = x[i] + tc->resid[i];
        x = tc->resid;
        ptmi_ttm_hidden(tc, x, C, N, Dd);
    }
    if (ncat) x = with_categoricals(ctx, in, x, B);
    x = ptmi_ttm_stacks(ctx, tp->dec, tp->n_dec, x, B, C + ncat, k, run);
    if (!ncat) return x;
    size_t cnd = (size_t)C * N * Dd, snd = cnd + (size_t)ncat * N * Dd;
    for (int b = 0; b < B; b++)
        memcpy(tc->dec_out + (size_t)b * cnd, x + (size_t)b * snd, cnd * sizeof(float));
    ptmi_ttm_hidden(tc, tc->dec_out, C, N, Dd);
    return tc->dec_out;
}

/* what the decoder block read: the categorical channels, the raw residual, the adapter's or
 * the encoder's output */
static const float *block_input(const ptm_ctx *ctx) {
    const ptmi_ttm_params *tp = &ctx->model->p.ttm;
    const ptmi_ttm_ctx *tc = ctx->ttm;
    if (ctx->model->cfg.ttm.num_categorical) return tc->dec_in;
    if (tp->raw_emb.out) return tc->resid;
    return tp->adapter.out ? tc->adapt : tc->enc_last;
}

float *ptmi_ttm_decoder_backward(ptm_ctx *ctx, ptmi_params *g, float *d, int k0, int B) {
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_ttm_params *tp = &ctx->model->p.ttm;
    ptmi_ttm_ctx *tc = ctx->ttm;
    int C = c->num_input_channels, N = c->num_patches, D = c->d_model, Dd = c->ttm.decoder_d_model,
        ncat = c->ttm.num_categorical;
    size_t rows = (size_t)B * C * N, cnd = (size_t)C * N * Dd, snd = cnd + (size_t)ncat * N * Dd;
    float *x = d;
    if (ncat) { /* the categorical channels get no gradient from the head */
        x = tc->d_tmp;
        for (int b = 0; b < B; b++) {
            memcpy(x + (size_t)b * snd, d + (size_t)b * cnd, cnd * sizeof(float));
            memset(x + (size_t)b * snd + cnd, 0, (snd - cnd) * sizeof(float));
        }
    }
    ptmi_ttm_stacks_backward(ctx, g, tp->dec, tp->n_dec, x, block_input(ctx), k0, B);
    if (ncat) {
        for (int b = 0; b < B; b++) {
            const float *xb = x + (size_t)b * snd;
            for (int k = 0; k < ncat; k++) {
                float *ge = g->ttm.cat_emb[k] + (size_t)tc->categorical[(size_t)b * ncat + k] * Dd;
                for (int n = 0; n < N; n++)
                    for (int i = 0; i < Dd; i++) ge[i] += xb[cnd + ((size_t)k * N + n) * Dd + i];
            }
            memcpy(d + (size_t)b * cnd, xb, cnd * sizeof(float));
        }
    }
    if (tp->raw_emb.out) {
        const float *raw = c->ttm.resolution_prefix_tuning ? tc->raw_in : ctx->patch_input;
        linear_backward(NULL, g->ttm.raw_emb.w, g->ttm.raw_emb.b, d, raw, tp->raw_emb.w, rows,
                        c->patch_length, Dd);
    }
    if (!tp->adapter.out) return d;
    linear_backward_set(tc->d_tmp, g->ttm.adapter.w, g->ttm.adapter.b, d, tc->enc_last,
                        tp->adapter.w, rows, D, Dd);
    return tc->d_tmp;
}
