/* mixer.c - one PatchTSMixerLayer on h [B, C, N, D]:
 *   mix_channel: channel mixer  h += mlp_C(gate_C(norm(h)))        (gate before the MLP)
 *   patch mixer:                h += [norm_attn(mlp_N -> gate_N  + attn(norm(h)))]
 *                               (without self_attn: h += gate_N(mlp_N(norm(h))))
 *   feature mixer:              h += gate_D(mlp_D(norm(h)))
 * The mixed axis is made contiguous by a transpose into scratch, so the MLP and the gate are
 * plain row-wise layers. Dropout is the identity (eval mode). */
#include <string.h>

#include "layers/layers.h"

static void norm_forward(float *out, const float *inp, const ptm_normp *np, const ptm_config *cfg,
                         size_t rows) {
    if (cfg->norm_mlp == PTM_NORM_BATCH)
        batchnorm_eval_forward(out, inp, np->weight, np->bias, np->running_mean, np->running_var,
                               rows, cfg->d_model, cfg->norm_eps);
    else
        layernorm_forward(out, NULL, NULL, inp, np->weight, np->bias, rows, cfg->d_model,
                          cfg->norm_eps);
}

/* [A, X, Y] -> [A, Y, X] */
static void transpose_last2(float *out, const float *inp, size_t a, int x, int y) {
    for (size_t i = 0; i < a; i++) {
        const float *s = inp + i * (size_t)x * y;
        float *d = out + i * (size_t)x * y;
        for (int r = 0; r < x; r++)
            for (int q = 0; q < y; q++) d[(size_t)q * x + r] = s[(size_t)r * y + q];
    }
}

/* [B, C, N, D] <-> [B, D, N, C]: swap axes 1 and 3 */
static void swap_c_d(float *out, const float *inp, int b, int c, int n, int d, int forward) {
    for (int bi = 0; bi < b; bi++)
        for (int ci = 0; ci < c; ci++)
            for (int ni = 0; ni < n; ni++)
                for (int di = 0; di < d; di++) {
                    size_t bcnd = (((size_t)bi * c + ci) * n + ni) * d + di;
                    size_t bdnc = (((size_t)bi * d + di) * n + ni) * c + ci;
                    if (forward)
                        out[bdnc] = inp[bcnd];
                    else
                        out[bcnd] = inp[bdnc];
                }
}

void mixer_layer_forward(float *out, const float *inp, struct ptm_ctx *ctx, const ptm_layer *layer,
                         int b) {
    const ptm_config *cfg = &ctx->model->cfg;
    int c = cfg->num_input_channels, n = cfg->num_patches, d = cfg->d_model;
    size_t rows_cnd = (size_t)b * c * n; /* rows of width D */
    size_t total = rows_cnd * d;
    const float *h = inp;

    if (cfg->mode == PTM_MODE_MIX_CHANNEL) {
        const ptm_mixer_block *blk = &layer->channel;
        norm_forward(ctx->s_norm, h, &blk->norm, cfg, rows_cnd);
        swap_c_d(ctx->s_xt, ctx->s_norm, b, c, n, d, 1); /* [B, D, N, C] */
        size_t rows = (size_t)b * d * n;
        if (blk->gate.w)
            gated_attention_forward(ctx->s_xt, ctx->s_gate, ctx->s_xt, &blk->gate, rows);
        mlp_forward(ctx->s_y, ctx->s_hid, ctx->s_xt, &blk->fc1, &blk->fc2, rows);
        swap_c_d(ctx->s_norm, ctx->s_y, b, c, n, d, 0);
        for (size_t i = 0; i < total; i++) out[i] = ctx->s_norm[i] + h[i];
        h = out;
    }

    {
        const ptm_mixer_block *blk = &layer->patch;
        norm_forward(ctx->s_norm, h, &blk->norm, cfg, rows_cnd);
        if (cfg->self_attn)
            self_attention_forward(ctx->s_att, ctx->s_q, ctx->s_k, ctx->s_v, ctx->s_hid,
                                   ctx->s_scores, ctx->s_norm, layer, (size_t)b * c, n, d,
                                   cfg->self_attn_heads);
        transpose_last2(ctx->s_xt, ctx->s_norm, (size_t)b * c, n, d); /* [B, C, D, N] */
        size_t rows = (size_t)b * c * d;
        mlp_forward(ctx->s_y, ctx->s_hid, ctx->s_xt, &blk->fc1, &blk->fc2, rows);
        if (blk->gate.w) gated_attention_forward(ctx->s_y, ctx->s_gate, ctx->s_y, &blk->gate, rows);
        transpose_last2(ctx->s_norm, ctx->s_y, (size_t)b * c, d, n); /* back to [B, C, N, D] */
        if (cfg->self_attn) {
            for (size_t i = 0; i < total; i++) ctx->s_norm[i] += ctx->s_att[i];
            norm_forward(ctx->s_y, ctx->s_norm, &layer->norm_attn, cfg, rows_cnd);
            memcpy(ctx->s_norm, ctx->s_y, total * sizeof(float));
        }
        for (size_t i = 0; i < total; i++) out[i] = ctx->s_norm[i] + h[i];
        h = out;
    }

    {
        const ptm_mixer_block *blk = &layer->feature;
        norm_forward(ctx->s_norm, h, &blk->norm, cfg, rows_cnd);
        mlp_forward(ctx->s_y, ctx->s_hid, ctx->s_norm, &blk->fc1, &blk->fc2, rows_cnd);
        if (blk->gate.w)
            gated_attention_forward(ctx->s_y, ctx->s_gate, ctx->s_y, &blk->gate, rows_cnd);
        for (size_t i = 0; i < total; i++) out[i] = ctx->s_y[i] + h[i];
    }
}
