/* ttm_fcm.c - TinyTimeMixer's forecast channel mixer (granite-tsfm ForecastChannelHeadMixer),
 * eval mode. With w = fcm_context_length, s = 2w + 1, P forecast and E exogenous channels,
 * T = P + E: the scaled base forecast F [B, Hf, P] and the raw known future of the exogenous
 * channels side by side (G [B, Hf, T]); for w > 0 w rows of the raw past in front (or zeros) and
 * w zero rows behind, windows of s steps [B, Hf, T, s], with the mixer Linear(s -> 2s) and a
 * stack of T "patches" of width 2s over Hf "channels"; flattened per step, gated, Linear(T s' ->
 * P), plus F. (The raw/scaled mix is IBM's: its pipelines standard-scale the data first.)
 * Forward (eval and train mode) and backward.
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
    if (!ctx->training) return;
    size_t wide = ptmi_ttm_count(steps, T, (size_t)(d.sf > d.s ? d.sf : d.s), 1);
    ptmi_plan_add(pl, &tc->fcm_d1, wide);
    ptmi_plan_add(pl, &tc->fcm_d2, wide);
    ptmi_plan_add(pl, &tc->fcm_dz, wide);
    ptmi_plan_add(pl, &tc->fcm_dext, ptmi_ttm_count(B, (size_t)d.Hf + 2 * (size_t)d.w, T, 1));
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
            ptmi_run_mode train = {1, tp->fcm.sh.dropout, &ctx->rng, 0, 0};
            int k0 = tc->n_out - tp->fcm.n_layers;
            linear_forward(tc->fcm_emb, x, &tp->fcm_embedding, steps * d.T);
            if (ctx->training)
                x = mixer_stack_train_forward(tc->out + k0, tc->fcm_emb, tc->lcs + k0, &tp->fcm,
                                              d.B, d.Hf, &train);
            else
                x = mixer_stack_forward(tc->out + k0, 0, tc->fcm_emb, &tc->lc, &tp->fcm, d.B, d.Hf,
                                        &eval);
        }
    }
    if (tp->fcm_gate.out) {
        gated_attention_forward(tc->fcm_gate, tc->fcm_gp, x, &tp->fcm_gate, steps);
        x = tc->fcm_gate;
    }
    linear_forward(tc->fcm_mlp, x, &tp->fcm_mlp, steps);
    for (size_t i = 0; i < steps * d.P; i++) out[i] = tc->fcm_mlp[i] + base[i];
}

/* d(windows) [B, Hf, T, s] back onto the rows they were cut from, then the forecast rows' share
 * into d (the raw past and the exogenous future get none) */
static void windows_backward(ptm_ctx *ctx, float *d, const float *dwin, const fcm_dims *dm) {
    float *dext = ctx->ttm->fcm_dext;
    int rows = dm->Hf + 2 * dm->w;
    memset(dext, 0, (size_t)dm->B * rows * dm->T * sizeof(float));
    for (int b = 0; b < dm->B; b++)
        for (int tt = 0; tt < dm->Hf; tt++)
            for (int j = 0; j < dm->T; j++)
                for (int k = 0; k < dm->s; k++)
                    dext[((size_t)b * rows + tt + k) * dm->T + j] +=
                        dwin[(((size_t)b * dm->Hf + tt) * dm->T + j) * dm->s + k];
    for (int b = 0; b < dm->B; b++)
        for (int tt = 0; tt < dm->Hf; tt++)
            for (int j = 0; j < dm->P; j++)
                d[((size_t)b * dm->Hf + tt) * dm->P + j] +=
                    dext[((size_t)b * rows + dm->w + tt) * dm->T + j];
}

void ptmi_ttm_fcm_backward(ptm_ctx *ctx, ptmi_params *g, float *d) {
    const ptmi_params *p = &ctx->model->p;
    const ptmi_ttm_params *tp = &p->ttm;
    ptmi_ttm_ctx *tc = ctx->ttm;
    fcm_dims dm = dims_of(&ctx->model->cfg, ctx->batch);
    size_t steps = (size_t)dm.B * dm.Hf, width = (size_t)dm.T * (dm.w > 0 ? dm.sf : 1);
    int k0 = tc->n_out - tp->fcm.n_layers, mixer = dm.w > 0 && tp->fcm_embedding.out;
    /* what the gate read: the mixer's output, the windows, or G itself (w = 0) */
    const float *x = dm.w == 0 ? tc->fcm_ext : tc->fcm_win;
    if (mixer) x = tp->fcm.n_layers ? tc->out[tc->n_out - 1] : tc->fcm_emb;
    const float *xm = tp->fcm_gate.out ? tc->fcm_gate : x;
    float *dx = tc->fcm_d1, *other = tc->fcm_d2;
    linear_backward_set(dx, g->ttm.fcm_mlp.w, g->ttm.fcm_mlp.b, d, xm, tp->fcm_mlp.w, steps,
                        (int)width, dm.P);
    if (tp->fcm_gate.out) {
        memset(other, 0, steps * width * sizeof(float));
        gated_attention_backward(other, tc->fcm_dz, &tp->fcm_gate, &g->ttm.fcm_gate, dx, x,
                                 tc->fcm_gp, steps);
        other = dx;
        dx = tc->fcm_d2;
    }
    if (dm.w == 0) {
        for (size_t r = 0; r < steps; r++)
            for (int j = 0; j < dm.P; j++) d[r * dm.P + j] += dx[r * dm.T + j];
        return;
    }
    if (mixer) {
        mixer_stack_backward(dx, g->layers + (tp->fcm.layers - p->layers), tc->fcm_emb,
                             tc->out + k0, tc->lcs + k0, &tp->fcm, dm.B, &ctx->gs);
        linear_backward_set(other, g->ttm.fcm_embedding.w, g->ttm.fcm_embedding.b, dx, tc->fcm_win,
                            tp->fcm_embedding.w, steps * dm.T, dm.s, 2 * dm.s);
        dx = other;
    }
    windows_backward(ctx, d, dx, &dm);
}
