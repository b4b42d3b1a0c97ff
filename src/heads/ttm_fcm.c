/* ttm_fcm.c - TinyTimeMixer's forecast channel mixer (granite-tsfm ForecastChannelHeadMixer),
 * eval mode. With w = fcm_context_length, s = 2w + 1, P forecast and E exogenous channels,
 * T = P + E: the scaled base forecast F [B, Hf, P] and the raw known future of the exogenous
 * channels side by side (G [B, Hf, T]); for w > 0 w rows of the raw past in front (or zeros) and
 * w zero rows behind, windows of s steps [B, Hf, T, s], with the mixer Linear(s -> 2s) and a
 * stack of T "patches" of width 2s over Hf "channels"; flattened per step, gated, Linear(T s' ->
 * P), plus F. (The raw/scaled mix is IBM's: its pipelines standard-scale the data first.)
 */
#include <string.h>

#include "heads/heads.h"
#include "layers/layers.h"
#include "model/ttm_ctx.h"

typedef struct {
    int B, Hf, P, E, T, w, s, sf;
} fcm_dims;

static fcm_dims dims_of(const ptm_config *c, int B) {
    const ptm_ttm_config *t = &c->ttm;
    fcm_dims d;
    d.B = B;
    d.Hf = t->prediction_filter_length ? t->prediction_filter_length : c->prediction_length;
    d.P = c->num_prediction_channels;
    d.E = t->num_exogenous_channels;
    d.T = d.P + d.E;
    d.w = t->fcm_context_length;
    d.s = 2 * d.w + 1;
    d.sf = t->fcm_use_mixer ? 2 * d.s : d.s;
    return d;
}

void ptmi_ttm_fcm_plan(ptmi_plan *pl, ptm_ctx *ctx, size_t B) {
    ptmi_ttm_ctx *tc = ctx->ttm;
    fcm_dims d = dims_of(&ctx->model->cfg, (int)B);
    size_t steps = ptmi_ttm_count(B, (size_t)d.Hf, 1, 1), T = (size_t)d.T;
    ptmi_plan_add(pl, &tc->fcm_out, ptmi_ttm_count(steps, (size_t)d.P, 1, 1));
    ptmi_plan_add(pl, &tc->fcm_ext, ptmi_ttm_count(B, (size_t)d.Hf + 2 * (size_t)d.w, T, 1));
    ptmi_plan_add(pl, &tc->fcm_win, ptmi_ttm_count(steps, T, (size_t)d.s, 1));
    if (ctx->model->cfg.ttm.fcm_use_mixer)
        ptmi_plan_add(pl, &tc->fcm_emb, ptmi_ttm_count(steps, T, 2, (size_t)d.s));
    ptmi_plan_add(pl, &tc->fcm_gp, ptmi_ttm_count(steps, T, (size_t)d.sf, 1));
    ptmi_plan_add(pl, &tc->fcm_gate, ptmi_ttm_count(steps, T, (size_t)d.sf, 1));
    ptmi_plan_add(pl, &tc->fcm_mlp, ptmi_ttm_count(steps, (size_t)d.P, 1, 1));
}

/* ext [B, Hf + 2w, T]: w rows of raw past (or zeros), G, w zero rows */
static void extend(ptm_ctx *ctx, const ptm_inputs *in, const float *base, const fcm_dims *d) {
    const ptm_config *c = &ctx->model->cfg;
    const ptm_ttm_config *t = &c->ttm;
    const int *sel = c->prediction_channel_indices, *ex = t->exogenous_channel_indices;
    int C = c->num_input_channels, L = c->context_length, H = c->prediction_length;
    int rows = d->Hf + 2 * d->w, first = L - t->fcm_prepend_past_offset - d->w;
    float *ext = ctx->ttm->fcm_ext;
    memset(ext, 0, (size_t)d->B * rows * d->T * sizeof(float));
    for (int b = 0; b < d->B; b++) {
        float *e = ext + (size_t)b * rows * d->T;
        for (int r = 0; r < d->w && t->fcm_prepend_past; r++) {
            const float *x = in->past_values + ((size_t)b * L + first + r) * C;
            for (int j = 0; j < d->T; j++)
                e[(size_t)r * d->T + j] = x[j < d->P ? (sel ? sel[j] : j) : ex[j - d->P]];
        }
        for (int tt = 0; tt < d->Hf; tt++) {
            float *o = e + (size_t)(d->w + tt) * d->T;
            for (int j = 0; j < d->P; j++) o[j] = base[((size_t)b * d->Hf + tt) * d->P + j];
            for (int k = 0; k < d->E; k++)
                o[d->P + k] = in->future_values[((size_t)b * H + tt) * C + ex[k]];
        }
    }
}

void ptmi_ttm_fcm_forward(ptm_ctx *ctx, const ptm_inputs *in, const float *base, float *out) {
    const ptm_config *c = &ctx->model->cfg;
    const ptmi_ttm_params *tp = &ctx->model->p.ttm;
    ptmi_ttm_ctx *tc = ctx->ttm;
    fcm_dims d = dims_of(c, in->batch);
    size_t steps = (size_t)d.B * d.Hf;
    extend(ctx, in, base, &d);
    const float *x = tc->fcm_ext; /* w = 0: G itself, rows of T */
    if (d.w > 0) {
        int rows = d.Hf + 2 * d.w;
        for (int b = 0; b < d.B; b++)
            for (int tt = 0; tt < d.Hf; tt++)
                for (int j = 0; j < d.T; j++)
                    for (int k = 0; k < d.s; k++)
                        tc->fcm_win[(((size_t)b * d.Hf + tt) * d.T + j) * d.s + k] =
                            tc->fcm_ext[((size_t)b * rows + tt + k) * d.T + j];
        x = tc->fcm_win;
        if (tp->fcm_embedding.out) {
            ptmi_run_mode eval = {0, 0.0f, NULL, 1, 1};
            linear_forward(tc->fcm_emb, x, &tp->fcm_embedding, steps * d.T);
            x = mixer_stack_forward(tc->out + (tc->n_out - tp->fcm.n_layers), tc->fcm_emb, &tc->lc,
                                    &tp->fcm, d.B, d.Hf, &eval);
        }
    }
    if (tp->fcm_gate.out) {
        gated_attention_forward(tc->fcm_gate, tc->fcm_gp, x, &tp->fcm_gate, steps);
        x = tc->fcm_gate;
    }
    linear_forward(tc->fcm_mlp, x, &tp->fcm_mlp, steps);
    for (size_t i = 0; i < steps * d.P; i++) out[i] = tc->fcm_mlp[i] + base[i];
}
